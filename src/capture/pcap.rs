//! Legacy pcap files.
pub(super) struct PcapReader {}
