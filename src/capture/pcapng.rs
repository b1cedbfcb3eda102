//! pcapng files.
pub(super) struct PcapngReader {}
