//! Link and network layers: from a captured frame to addresses, ports and a
//! transport payload.
//!
//! Link types (see `link.rs`): Ethernet with 802.1Q / 802.1ad / 0x9100 tag
//! stacks (the innermost tag is the voice VLAN), Linux cooked SLL and SLL2,
//! raw IP (101, and 12 / 14), IPv4 (228), IPv6 (229), BSD loopback (0),
//! OpenBSD loopback (108) and Linux NFLOG (239); IP inside a PPPoE session.
//! Other link types are skipped and counted.
//!
//! Network layer: IPv4 (RFC 791) and IPv6 with its extension headers (RFC
//! 8200 section 4), IPv4 AH (RFC 4302), IP-in-IP (protocols 4 and 41), and
//! the tunnels a remote capture arrives in (`tunnel.rs`: GRE, ERSPAN, VXLAN;
//! an inner Ethernet header gives the hosts' own MACs), two tunnels deep.
//! Fragments of both versions are reassembled in `frag.rs`, bounded in
//! memory and time: a transport header is only ever read from an
//! unfragmented packet or a reassembled datagram, never from a fragment
//! (the first fragment of a UDP datagram whose rest never came is kept as a
//! lost answer, [`LostDatagram`], when a phone's exchange may wait for it).
//! etherparse slices the IP headers; the fixed-offset headers (link, UDP,
//! TCP, ICMP) are read by hand, which is simpler and faster here.
//!
//! Transport: UDP, TCP, and ICMP / ICMPv6 destination-unreachable and
//! time-exceeded-in-transit messages with the header they quote (RFC 792,
//! RFC 4443 sections 3.1 and 3.3). Every other ICMP type and IP protocol is
//! skipped. Checksums are not verified (capture
//! hosts offload them).
//!
//! A cheap filter on fixed offsets runs before any full decode: UDP datagrams
//! that cannot carry a protocol provscope reads (RTP, for example) come back
//! as [`Decoded::Skip`] after a few header reads. TCP always passes: the flow
//! table decides what it keeps.
//!
//! A header cut short by the capture's snaplen gives `Skip`; the same header
//! cut short on a complete frame is malformed and gives `Bad` with a stable
//! snake_case id.

mod arp;
mod early_tcp;
mod frag;
mod link;
mod tunnel;

use std::net::IpAddr;

use etherparse::{
    err, IpAuthHeaderSlice, IpNumber, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice,
    Ipv6RawExtHeaderSlice,
};

use crate::capture::Frame;
use crate::time::Timestamp;
pub use frag::{FirstFragment, LostDatagram};
use frag::{FragKey, FragOutcome, FragPool, Fragment};
pub use link::mislabel;
use link::Link;
pub use tunnel::Unsupported;

pub use arp::{ArpLog, Asks};
pub use early_tcp::bulk_endpoints;

/// An Ethernet address.
pub type Mac = [u8; 6];

/// Formats a MAC as lowercase `aa:bb:cc:dd:ee:ff`.
pub fn mac_string(mac: &Mac) -> String {
    let m = mac;
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// TCP header flags (the low 8 bits of the flags field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// Link-layer facts about a frame, where the link type shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L2 {
    pub src_mac: Option<Mac>,
    pub dst_mac: Option<Mac>,
    /// Innermost VLAN id of the tag stack.
    pub vlan: Option<u16>,
}

/// One TCP segment.
#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub payload: &'a [u8],
    /// Payload bytes the capture's snaplen cut off the end of `payload`, by
    /// the IP length (0: none; `None`: cut by an amount not known).
    pub cut: Option<u32>,
    /// The highest right edge of the segment's SACK blocks (RFC 2018): the
    /// sender holds bytes up to there past a hole its `ack` stops at.
    pub sack_right: Option<u32>,
}

/// Why an ICMP / ICMPv6 destination-unreachable was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnreachKind {
    Net,
    Host,
    Protocol,
    Port,
    AdminProhibited,
    /// Time exceeded in transit (ICMPv4 type 11, ICMPv6 type 3, code 0):
    /// the packet's hop limit ran out on the way, a routing loop.
    TtlExceeded,
    /// ICMPv6 codes of RFC 4443 section 3.1 with no ICMPv4 twin: no route
    /// to the destination (0), address unreachable (3), the source address
    /// failed an ingress/egress policy (5), a reject route (6).
    NoRoute,
    AddressUnreachable,
    SourcePolicy,
    RejectRoute,
    /// ICMPv6 packet too big (type 2) and ICMPv4 fragmentation needed
    /// with DF set (type 3, code 4): path MTU discovery asks for smaller
    /// packets; it refuses nothing.
    PacketTooBig,
    /// ICMPv6 parameter problem (type 4): a router or the host could not
    /// process a header field, a next header or an option of the packet
    /// (RFC 4443 section 3.4) and discarded it.
    ParameterProblem,
    Other,
}

impl UnreachKind {
    /// What the sender said, in words: "port unreachable".
    pub fn words(self) -> &'static str {
        match self {
            UnreachKind::Net => "network unreachable",
            UnreachKind::Host => "host unreachable",
            UnreachKind::Protocol => "protocol unreachable",
            UnreachKind::Port => "port unreachable",
            UnreachKind::AdminProhibited => "administratively prohibited",
            UnreachKind::TtlExceeded => "time exceeded in transit (a routing loop)",
            UnreachKind::NoRoute => "no route to destination",
            UnreachKind::AddressUnreachable => "address unreachable",
            UnreachKind::SourcePolicy => "source address failed ingress/egress policy",
            UnreachKind::RejectRoute => "reject route to destination",
            UnreachKind::PacketTooBig => "packet too big (fragmentation needed)",
            UnreachKind::ParameterProblem => "parameter problem (a header or option refused)",
            UnreachKind::Other => "destination unreachable",
        }
    }
}

/// An ICMP destination-unreachable and the packet header it quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreachable {
    pub kind: UnreachKind,
    /// Raw ICMP code (ICMPv6 codes when `v6`).
    pub code: u8,
    pub v6: bool,
    /// IP protocol of the quoted packet (6 TCP, 17 UDP).
    pub orig_proto: u8,
    pub orig_src: IpAddr,
    pub orig_dst: IpAddr,
    pub orig_sport: u16,
    pub orig_dport: u16,
    /// The next-hop MTU a packet too big (or fragmentation needed) names.
    pub mtu: Option<u32>,
}

impl Unreachable {
    /// ICMPv4 'fragmentation needed and DF set' (type 3 code 4): a
    /// request for smaller packets (path MTU discovery), not a refusal.
    pub fn frag_needed(&self) -> bool {
        self.kind == UnreachKind::PacketTooBig
    }
}

/// The transport layer of a decoded packet.
#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    Udp {
        sport: u16,
        dport: u16,
        payload: &'a [u8],
        /// The payload's length by the UDP header: more than `payload`
        /// holds when the frame was cut.
        len: usize,
    },
    Tcp(TcpSegment<'a>),
    IcmpUnreachable(Unreachable),
}

/// A decoded packet. `payload` slices borrow the frame or the decoder's
/// reassembly buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    pub l2: L2,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport<'a>,
    /// The capture cut this packet short (snaplen): its payload is partial.
    pub truncated: bool,
    /// The innermost IPv4 header's identification (None for IPv6): one
    /// datagram captured at two points keeps it, a second send changes it.
    pub ip_id: Option<u16>,
}

/// What the decoder made of a frame.
#[derive(Debug)]
pub enum Decoded<'a> {
    Packet(Packet<'a>),
    /// Nothing provscope reads (filtered early, or a protocol we ignore).
    Skip,
    /// A fragment stored for reassembly; the datagram is not complete yet.
    Held,
    /// Undecodable; the reason is a stable snake_case id.
    Bad(&'static str),
}

/// Bounds on the decoder's state.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// Datagrams being reassembled at once.
    pub max_fragment_datagrams: usize,
    /// Bytes held in all reassembly buffers together.
    pub max_fragment_bytes: usize,
    /// A datagram still incomplete after this many nanoseconds is dropped.
    pub fragment_timeout_ns: i64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_fragment_datagrams: 1024,
            max_fragment_bytes: 16 << 20,
            fragment_timeout_ns: 30_000_000_000,
        }
    }
}

/// Counters of what the decoder could not use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecodeStats {
    pub undecodable: u64,
    pub truncated_by_snaplen: u64,
    /// Fragments dropped because a reassembly bound was hit.
    pub fragments_dropped: u64,
    /// Fragmented datagrams never completed (timed out or left at the end).
    pub fragments_incomplete: u64,
    /// Datagrams dropped because overlapping fragments disagreed.
    pub fragments_conflicting: u64,
    /// Frames on link types provscope does not read.
    pub unsupported_linktype: u64,
    /// The first such link type, to name it.
    pub unsupported_linktype_first: Option<u32>,
    /// Frames whose link payload might hold IP but is not read (MACsec, an
    /// unknown Ethernet type, MPLS over neither IP nor Ethernet).
    pub other_payload: u64,
    /// The first such payload's Ethernet type, to name it.
    pub other_payload_first: Option<u16>,
    /// Frames undecodable at the link layer (among `undecodable`): a link
    /// header cut short or holding what its link type cannot.
    pub link_undecodable: u64,
    /// The first frame that failed at the link layer (undecodable there, or
    /// carrying a payload not read), to tell a file whose header names the
    /// wrong link type.
    pub link_failed_first: Option<link::mislabel::LinkFailure>,
    /// Frames undecodable at the link layer (among `link_undecodable`) too
    /// short to tell any layout ([`link::mislabel::TELLING`]): no evidence
    /// of a wrong link type.
    pub link_short: u64,
    /// Of those, frames with no byte captured.
    pub link_empty: u64,
    /// Frames decoded to an IP packet: the link type they are on is right.
    /// (Counted by the analysis, which sees every packet handed out; the
    /// decoder leaves it 0, as it counts only what it could not use.)
    pub ip_packets: u64,
    /// Frames in tunnels provscope knows but does not decode, by
    /// [`tunnel::Unsupported::index`].
    pub unsupported_tunnel: [u64; 3],
    /// Frames inside more tunnels than the decoder follows (not counted as
    /// undecodable: nothing in them is broken).
    pub nested_too_deep: u64,
    /// IPv4 packets whose total length is shorter than their header (0 in
    /// a capture taken on a host with TCP segmentation offload): read from
    /// the bytes captured.
    pub ipv4_length_short: u64,
    /// Unicast destinations of ARP frames (replies, or requests re-sent to
    /// a known host), the first few: a host the capture shows frames *to*.
    pub arp_to: [Option<Mac>; ARP_TO_KEPT],
}

impl DecodeStats {
    /// Counts a frame whose payload of type `ethertype` is not read.
    fn other_payload(&mut self, ethertype: u16, frame: u64) {
        self.other_payload += 1;
        self.other_payload_first.get_or_insert(ethertype);
        log::debug!("packet: frame {frame} skipped: Ethernet type {ethertype:#06x} not read");
    }

    /// Keeps the first frame that failed at the link layer (the first long
    /// enough to tell a layout, when there is one); gives what is kept of
    /// `frame` (for the debug line).
    fn link_failed(&mut self, frame: &Frame<'_>) -> link::mislabel::LinkFailure {
        let this = link::mislabel::LinkFailure::new(frame.number, frame.linktype, frame.data);
        let kept = self.link_failed_first.get_or_insert(this);
        if kept.short() && !this.short() {
            *kept = this;
        }
        this
    }

    /// Counts a frame in a tunnel that is not decoded.
    fn unsupported_tunnel(&mut self, kind: tunnel::Unsupported, frame: u64) {
        if let Some(n) = self.unsupported_tunnel.get_mut(kind.index()) {
            *n += 1;
        }
        log::debug!(
            "packet: frame {frame} skipped: {} is not decoded",
            kind.words()
        );
    }
}

/// ARP destinations kept in [`DecodeStats::arp_to`].
pub const ARP_TO_KEPT: usize = 16;

/// Stateful decoder (fragment reassembly lives here).
pub struct Decoder {
    limits: DecodeLimits,
    stats: DecodeStats,
    frags: FragPool,
    /// Reassembled payloads handed out, one per IP nesting level.
    reassembled: [Vec<u8>; MAX_IP_DEPTH],
    /// Who asked ARP for whom, who answered.
    arp: ArpLog,
}

impl Decoder {
    /// Notes a unicast ARP destination (the first [`ARP_TO_KEPT`] distinct).
    fn arp_to(&mut self, mac: Option<Mac>) {
        let Some(mac) = mac.filter(|m| m[0] & 1 == 0) else {
            return;
        };
        let kept = &mut self.stats.arp_to;
        if kept.contains(&Some(mac)) {
            return;
        }
        if let Some(slot) = kept.iter_mut().find(|s| s.is_none()) {
            *slot = Some(mac);
        }
    }

    pub fn new(limits: DecodeLimits) -> Self {
        Decoder {
            limits,
            stats: DecodeStats::default(),
            frags: FragPool::default(),
            reassembled: Default::default(),
            arp: ArpLog::default(),
        }
    }

    /// Decodes one frame.
    pub fn decode<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let truncated = (frame.data.len() as u64) < u64::from(frame.orig_len);
        if frame.linktype == LINKTYPE_ETHERNET && unwanted_udp(frame.data) {
            let cut = truncated && !ip_whole(frame.data);
            self.stats.truncated_by_snaplen += u64::from(cut);
            return Decoded::Skip;
        }
        self.layers(frame, truncated)
    }

    /// The full decode of a frame, link layer up. A cut frame is counted,
    /// unless its IP datagram is all there: it lost only what follows it
    /// (a stored FCS, padding).
    fn layers<'a>(&'a mut self, frame: &Frame<'a>, truncated: bool) -> Decoded<'a> {
        let cut = u64::from(truncated);
        let (l2, version, data) = match link::parse(frame.linktype, frame.data) {
            Link::Ip { l2, version, data } => (l2, version, data),
            Link::Skip => {
                self.stats.truncated_by_snaplen += cut;
                return Decoded::Skip;
            }
            Link::Other(ethertype) => {
                self.stats.other_payload(ethertype, frame.number);
                self.stats.link_failed(frame);
                self.stats.truncated_by_snaplen += cut;
                return Decoded::Skip;
            }
            Link::Arp(l2, message) => {
                self.arp_to(l2.dst_mac);
                self.arp.note(message, frame.number, frame.ts);
                // (Ethernet/IPv4 ARP is 28 octets: only padding lost after.)
                self.stats.truncated_by_snaplen += cut * u64::from(message.len() < ARP_LEN);
                return Decoded::Skip;
            }
            Link::Unsupported => {
                self.stats.unsupported_linktype += 1;
                self.stats
                    .unsupported_linktype_first
                    .get_or_insert(frame.linktype);
                self.stats.truncated_by_snaplen += cut;
                return Decoded::Skip;
            }
            Link::Short(_) if truncated => {
                self.stats.truncated_by_snaplen += cut;
                return Decoded::Skip;
            }
            Link::Short(id) | Link::Bad(id) => {
                self.stats.undecodable += 1;
                self.stats.link_undecodable += 1;
                let this = self.stats.link_failed(frame);
                self.stats.link_short += u64::from(this.short());
                self.stats.link_empty += u64::from(frame.data.is_empty());
                log::debug!(
                    "packet: frame {} undecodable: {id} (link type {}, {})",
                    frame.number,
                    frame.linktype,
                    this.bytes_words()
                );
                return Decoded::Bad(id);
            }
        };

        let Decoder {
            limits,
            stats,
            frags,
            reassembled,
            ..
        } = self;
        let mut cx = Cx {
            stats,
            frags,
            limits,
            frame: frame.number,
            ts: frame.ts,
            l2,
            truncated,
            cut_inside: false,
            whole: false,
            ip_missing: Some(0),
            ip_id: None,
        };
        let decoded = ip_packet(&mut cx, reassembled, data, version, 0);
        match &decoded {
            Decoded::Bad(TOO_DEEP) => {
                cx.stats.nested_too_deep += 1;
                log::debug!(
                    "packet: frame {} skipped: inside more than {} tunnels",
                    frame.number,
                    MAX_TUNNELS
                );
            }
            Decoded::Bad(id) => {
                cx.stats.undecodable += 1;
                log::debug!("packet: frame {} undecodable: {id}", frame.number);
            }
            Decoded::Packet(_) if cx.cut_inside => cx.stats.truncated_by_snaplen += 1,
            _ => {}
        }
        cx.stats.truncated_by_snaplen += u64::from(truncated && !cx.whole);
        decoded
    }

    /// Call at the end of the capture: counts datagrams never completed.
    pub fn finish(&mut self) {
        self.frags.finish(&mut self.stats);
    }

    /// UDP datagrams found lost since the last call: their first fragment
    /// was captured, the others never all came (see [`LostDatagram`]).
    pub fn take_lost(&mut self) -> Option<Vec<LostDatagram>> {
        match self.frags.lost.is_empty() {
            true => None,
            false => Some(std::mem::take(&mut self.frags.lost)),
        }
    }

    /// What ARP told so far (taken once, at the capture's end).
    pub fn take_arp(&mut self) -> ArpLog {
        std::mem::take(&mut self.arp)
    }

    pub fn stats(&self) -> DecodeStats {
        self.stats
    }
}

/// An Ethernet/IPv4 ARP message's length (RFC 826).
const ARP_LEN: usize = 28;

/// IP layers followed in one frame: the packet and up to two tunnels in it.
const MAX_IP_DEPTH: usize = 3;

/// Tunnels followed in one frame, for the words of warnings.
pub const MAX_TUNNELS: usize = MAX_IP_DEPTH - 1;

/// Why a packet inside more than [`MAX_IP_DEPTH`] - 1 tunnels is not read.
const TOO_DEEP: &str = "tunnels_nested_too_deep";
/// IPv6 extension headers followed before giving up.
const MAX_IPV6_EXT_HEADERS: usize = 16;

const PROTO_ICMP: u8 = 1;
const PROTO_IPIP: u8 = 4;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_IPV6: u8 = 41;
const PROTO_GRE: u8 = 47;
const PROTO_IPV6_FRAG: u8 = 44;
const PROTO_AH: u8 = 51;
const PROTO_ICMPV6: u8 = 58;

/// Per-frame context of the layer functions.
struct Cx<'s> {
    stats: &'s mut DecodeStats,
    frags: &'s mut FragPool,
    limits: &'s DecodeLimits,
    /// The frame's number and time (a first fragment's, should it be lost).
    frame: u64,
    ts: Timestamp,
    l2: L2,
    truncated: bool,
    /// Cut inside an encapsulation ([`Cx::cut_inside`]); counted with the
    /// snaplen's cuts when the packet is kept.
    cut_inside: bool,
    /// The outer IP datagram is all in the captured bytes (see
    /// [`Cx::whole_datagram`]).
    whole: bool,
    /// Bytes of the innermost IP datagram's payload the capture lacks, by
    /// its declared length (`None`: not known, a reassembled datagram).
    ip_missing: Option<usize>,
    /// The innermost IPv4 header's identification (see [`Packet::ip_id`]).
    ip_id: Option<u16>,
}

impl Cx<'_> {
    /// A header cut short: expected when the capture cut the frame (snaplen),
    /// malformed otherwise.
    fn short(&self, id: &'static str) -> Decoded<'static> {
        if self.truncated {
            Decoded::Skip
        } else {
            Decoded::Bad(id)
        }
    }

    /// An IP datagram is longer than the bytes present though the frame
    /// was captured whole: the copy was cut before the capture (a mirror
    /// session's truncation). Counted and treated as a snaplen cut.
    fn cut_inside(&mut self) {
        self.cut_inside |= !self.truncated;
        self.truncated = true;
    }

    /// The outermost IP datagram's declared length is all captured: a frame
    /// cut after it (a stored FCS, padding) hides nothing of it.
    fn whole_datagram(&mut self, depth: usize) {
        if depth == 0 {
            self.whole = true;
            self.truncated = false;
        }
    }

    fn packet<'a>(&self, src: IpAddr, dst: IpAddr, transport: Transport<'a>) -> Decoded<'a> {
        Decoded::Packet(Packet {
            l2: self.l2,
            src,
            dst,
            transport,
            truncated: self.truncated,
            ip_id: self.ip_id,
        })
    }

    /// Adds a fragment; the protocol and payload when it completes its
    /// datagram.
    fn reassemble<'a>(
        &mut self,
        key: FragKey,
        frag: Fragment<'_>,
        out: &'a mut Vec<u8>,
    ) -> Result<(u8, &'a [u8]), Decoded<'a>> {
        match self
            .frags
            .add(key, frag, self.ts.ns, self.limits, self.stats, out)
        {
            FragOutcome::Complete(proto) => Ok((proto, out.as_slice())),
            // Every fragment came, the snaplen cut some: a cut datagram.
            FragOutcome::CompleteCut(proto) => {
                self.truncated = true;
                self.ip_missing = None;
                Ok((proto, out.as_slice()))
            }
            FragOutcome::Held => Err(Decoded::Held),
            FragOutcome::Dropped | FragOutcome::Duplicate => Err(Decoded::Skip),
            FragOutcome::Bad(id) => Err(Decoded::Bad(id)),
        }
    }
}

/// An IP packet; `version` 0 means: read it from the packet.
fn ip_packet<'a>(
    cx: &mut Cx<'_>,
    outs: &'a mut [Vec<u8>],
    data: &'a [u8],
    version: u8,
    depth: usize,
) -> Decoded<'a> {
    let nibble = data.first().map_or(0, |b| b >> 4);
    match (version, nibble) {
        (0 | 4, 4) => ipv4(cx, outs, data, depth),
        (0 | 6, 6) => ipv6(cx, outs, data, depth),
        (_, _) if data.is_empty() => cx.short("ip_missing"),
        (_, _) => Decoded::Bad("ip_version"),
    }
}

/// IPv4 (RFC 791): header, total length, fragments.
fn ipv4<'a>(
    cx: &mut Cx<'_>,
    outs: &'a mut [Vec<u8>],
    data: &'a [u8],
    depth: usize,
) -> Decoded<'a> {
    let header = match Ipv4HeaderSlice::from_slice(data) {
        Ok(h) => h,
        Err(err::ipv4::HeaderSliceError::Len(_)) => return cx.short("ipv4_header"),
        Err(err::ipv4::HeaderSliceError::Content(_)) => return Decoded::Bad("ipv4_header"),
    };
    let header_len = header.slice().len();
    let total_len = usize::from(header.total_len());
    // A total length shorter than the header is ignored (as etherparse's Lax
    // slices do); one longer than the capture means the frame was cut.
    let end = if total_len < header_len {
        cx.stats.ipv4_length_short += 1;
        log::debug!(
            "packet: frame {}: IPv4 total length {total_len} is shorter than its header; \
             read from the captured bytes",
            cx.frame
        );
        data.len()
    } else {
        total_len.min(data.len())
    };
    // Cut inside an encapsulation (an ERSPAN session truncating what it
    // mirrors) while the outer frame is whole: the snaplen's case.
    cx.ip_missing = Some(total_len.saturating_sub(data.len()));
    cx.ip_id = Some(header.identification());
    if total_len > data.len() {
        cx.cut_inside();
    } else if total_len >= header_len {
        cx.whole_datagram(depth);
    }
    let payload = data.get(header_len..end).unwrap_or_default();
    let src = IpAddr::V4(header.source_addr());
    let dst = IpAddr::V4(header.destination_addr());
    let proto = header.protocol().0;
    let offset = usize::from(header.fragments_offset().byte_offset());
    let more = header.more_fragments();
    if !more && offset == 0 {
        return transport(cx, outs, src, dst, proto, payload, depth);
    }

    // A fragment: never read a transport header from it, only reassemble.
    if !matches!(
        proto,
        PROTO_ICMP | PROTO_IPIP | PROTO_TCP | PROTO_UDP | PROTO_IPV6 | PROTO_AH | PROTO_GRE
    ) {
        return Decoded::Skip;
    }
    let declared_len = if total_len < header_len {
        payload.len()
    } else {
        total_len - header_len
    };
    let key = FragKey {
        src,
        dst,
        id: u32::from(header.identification()),
        proto,
    };
    let frag = Fragment {
        offset,
        more,
        declared_len,
        data: payload,
        proto,
        frame: cx.frame,
        ts: cx.ts,
        l2: cx.l2,
    };
    let Some((out, rest)) = outs.split_first_mut() else {
        return Decoded::Skip;
    };
    match cx.reassemble(key, frag, out) {
        Ok((proto, datagram)) => transport(cx, rest, src, dst, proto, datagram, depth),
        Err(not_yet) => not_yet,
    }
}

/// IPv6 (RFC 8200): header, extension headers, fragments.
fn ipv6<'a>(
    cx: &mut Cx<'_>,
    outs: &'a mut [Vec<u8>],
    data: &'a [u8],
    depth: usize,
) -> Decoded<'a> {
    let header = match Ipv6HeaderSlice::from_slice(data) {
        Ok(h) => h,
        Err(err::ipv6::HeaderSliceError::Len(_)) => return cx.short("ipv6_header"),
        Err(err::ipv6::HeaderSliceError::Content(_)) => return Decoded::Bad("ipv6_header"),
    };
    let after_header = data.get(header.slice().len()..).unwrap_or_default();
    let payload_len = usize::from(header.payload_length());
    // Payload length 0 is a jumbogram (RFC 2675): take what is there.
    let body = match payload_len {
        0 => after_header,
        n => after_header.get(..n).unwrap_or(after_header),
    };
    let missing = payload_len.saturating_sub(after_header.len());
    cx.ip_missing = Some(missing);
    cx.ip_id = None;
    if missing > 0 {
        cx.cut_inside();
    } else if payload_len > 0 {
        cx.whole_datagram(depth);
    }
    let src = IpAddr::V6(header.source_addr());
    let dst = IpAddr::V6(header.destination_addr());
    let (next, rest, frag) = match ipv6_exts(header.next_header().0, body) {
        Ok(found) => found,
        Err(id) => return cx.short(id),
    };
    let Some(frag) = frag else {
        return transport(cx, outs, src, dst, next, rest, depth);
    };

    // A fragment: the bytes after its Fragment header are opaque until
    // reassembled; the headers after it are then read again. Its Next Header
    // may differ between fragments, so it is no filter (RFC 8200 4.5).
    let key = FragKey {
        src,
        dst,
        id: frag.id,
        proto: 0,
    };
    let fragment = Fragment {
        offset: frag.offset,
        more: frag.more,
        declared_len: rest.len().saturating_add(missing),
        data: rest,
        proto: next,
        frame: cx.frame,
        ts: cx.ts,
        l2: cx.l2,
    };
    let Some((out, outs)) = outs.split_first_mut() else {
        return Decoded::Skip;
    };
    let (next, datagram) = match cx.reassemble(key, fragment, out) {
        Ok(done) => done,
        Err(not_yet) => return not_yet,
    };
    match ipv6_exts(next, datagram) {
        Ok((next, rest, None)) => transport(cx, outs, src, dst, next, rest, depth),
        Ok((_, _, Some(_))) => Decoded::Bad("ipv6_fragment_in_fragment"),
        Err(id) => Decoded::Bad(id),
    }
}

/// Where an IPv6 Fragment header puts its fragment.
#[derive(Clone, Copy, Debug)]
struct V6Frag {
    offset: usize,
    more: bool,
    id: u32,
}

/// Follows IPv6 extension headers from `next` over `rest`. Stops at the
/// upper-layer header, or right after a Fragment header that really
/// fragments (an atomic fragment, offset 0 without MF, is stepped over).
fn ipv6_exts(mut next: u8, mut rest: &[u8]) -> Result<(u8, &[u8], Option<V6Frag>), &'static str> {
    for _ in 0..MAX_IPV6_EXT_HEADERS {
        let len = match next {
            PROTO_IPV6_FRAG => {
                let f = Ipv6FragmentHeaderSlice::from_slice(rest).map_err(|_| "ipv6_fragment")?;
                let after = rest.get(f.slice().len()..).unwrap_or_default();
                if f.is_fragmenting_payload() {
                    let frag = V6Frag {
                        offset: usize::from(f.fragment_offset().byte_offset()),
                        more: f.more_fragments(),
                        id: f.identification(),
                    };
                    return Ok((f.next_header().0, after, Some(frag)));
                }
                next = f.next_header().0;
                rest = after;
                continue;
            }
            PROTO_AH => {
                let ah = IpAuthHeaderSlice::from_slice(rest).map_err(|_| "ip_auth_header")?;
                next = ah.next_header().0;
                ah.slice().len()
            }
            n if Ipv6RawExtHeaderSlice::header_type_supported(IpNumber(n)) => {
                let ext =
                    Ipv6RawExtHeaderSlice::from_slice(rest).map_err(|_| "ipv6_ext_header")?;
                next = ext.next_header().0;
                ext.slice().len()
            }
            _ => return Ok((next, rest, None)),
        };
        rest = rest.get(len..).unwrap_or_default();
    }
    Err("ipv6_ext_chain_too_long")
}

/// The upper layer of an IP packet, early filter first.
fn transport<'a>(
    cx: &mut Cx<'_>,
    outs: &'a mut [Vec<u8>],
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    payload: &'a [u8],
    depth: usize,
) -> Decoded<'a> {
    // One tunnel more than the decoder follows: counted, not read.
    let deeper = depth + 1 < MAX_IP_DEPTH;
    match proto {
        PROTO_UDP => {
            let (sport, dport) = (be16(payload, 0), be16(payload, 2));
            // A datagram from a service port is that service's answer, even
            // to an ephemeral port that happens to be VXLAN's.
            let body = payload.get(8..).unwrap_or_default();
            let service = udp_service_port(sport);
            let vxlan = if service {
                None
            } else {
                tunnel::vxlan(dport, body)
            };
            match vxlan {
                Some(frame) if deeper => inner_ethernet(cx, outs, frame, depth + 1),
                Some(_) => Decoded::Bad(TOO_DEEP),
                None => match tunnel::unsupported(dport, body).filter(|_| !service) {
                    Some(kind) => {
                        cx.stats.unsupported_tunnel(kind, cx.frame);
                        Decoded::Skip
                    }
                    None => udp(cx, src, dst, payload),
                },
            }
        }
        PROTO_GRE | PROTO_IPIP | PROTO_IPV6 if !deeper => Decoded::Bad(TOO_DEEP),
        PROTO_GRE => match tunnel::gre(payload) {
            tunnel::Inner::Ip { version, data } => ip_packet(cx, outs, data, version, depth + 1),
            tunnel::Inner::Ethernet(frame) => inner_ethernet(cx, outs, frame, depth + 1),
            tunnel::Inner::None => Decoded::Skip,
        },
        PROTO_TCP => tcp(cx, src, dst, payload),
        PROTO_ICMP => icmp(cx, src, dst, payload, false),
        PROTO_ICMPV6 => icmp(cx, src, dst, payload, true),
        PROTO_IPIP | PROTO_IPV6 => {
            let version = if proto == PROTO_IPIP { 4 } else { 6 };
            ip_packet(cx, outs, payload, version, depth + 1)
        }
        PROTO_AH => {
            // IPv4 only: IPv6 steps over AH with its extension headers.
            let ah = match IpAuthHeaderSlice::from_slice(payload) {
                Ok(ah) => ah,
                Err(_) => return cx.short("ip_auth_header"),
            };
            let next = ah.next_header().0;
            let rest = payload.get(ah.slice().len()..).unwrap_or_default();
            if next == PROTO_AH {
                return Decoded::Bad("ip_auth_header_repeated");
            }
            transport(cx, outs, src, dst, next, rest, depth)
        }
        _ => Decoded::Skip,
    }
}

const LINKTYPE_ETHERNET: u32 = 1;

/// An Ethernet frame out of a tunnel: its own MACs and VLAN replace the
/// outer ones, as if it were captured at the tunnel's start.
fn inner_ethernet<'a>(
    cx: &mut Cx<'_>,
    outs: &'a mut [Vec<u8>],
    frame: &'a [u8],
    depth: usize,
) -> Decoded<'a> {
    match link::parse(LINKTYPE_ETHERNET, frame) {
        Link::Ip { l2, version, data } => {
            cx.l2 = l2;
            ip_packet(cx, outs, data, version, depth)
        }
        Link::Short(id) => cx.short(id),
        Link::Bad(id) => Decoded::Bad(id),
        Link::Other(ethertype) => {
            cx.stats.other_payload(ethertype, cx.frame);
            Decoded::Skip
        }
        Link::Skip | Link::Arp(..) | Link::Unsupported => Decoded::Skip,
    }
}

/// The ethertype and the IP bytes of an Ethernet frame, untagged or with
/// one 802.1Q tag (the early filter's kinds).
fn ethernet_ip(frame: &[u8]) -> Option<(u16, &[u8])> {
    let (ethertype, ip_at) = match be16(frame, 12) {
        0x8100 => (be16(frame, 16), 18),
        ethertype => (ethertype, 14),
    };
    Some((ethertype, frame.get(ip_at..)?))
}

/// Whether an Ethernet frame's IP datagram (the filter's kinds: untagged or
/// one tag) is all in its bytes, as the full decode tells it.
fn ip_whole(frame: &[u8]) -> bool {
    let Some((ethertype, ip)) = ethernet_ip(frame) else {
        return false;
    };
    let ihl = usize::from(ip.first().map_or(0, |b| b & 0x0f)) * 4;
    match ethertype {
        0x0800 => (ihl..=ip.len()).contains(&usize::from(be16(ip, 2))),
        0x86dd => ip.len() >= 40 && (1..=ip.len() - 40).contains(&usize::from(be16(ip, 4))),
        _ => false,
    }
}

/// The early filter on fixed offsets, before any decoding: true for an
/// Ethernet frame (untagged or one 802.1Q tag) carrying a whole IPv4 or
/// IPv6 UDP datagram, without IP options or extension headers, that
/// [`udp`] would skip (RTP, most of a voice capture). It reads the fields
/// the full decode reads and answers true only where that decode gives
/// `Skip` and counts nothing; anything else goes the full way.
fn unwanted_udp(frame: &[u8]) -> bool {
    let Some((ethertype, ip)) = ethernet_ip(frame) else {
        return false;
    };
    let udp = match (ethertype, ip) {
        // IPv4, IHL 5, UDP, neither more fragments nor an offset.
        (0x0800, [0x45, _, _, _, _, _, flags, offset, _, PROTO_UDP, ..])
            if flags & 0x3f == 0 && *offset == 0 =>
        {
            // A total length under the header is counted by the full decode.
            let total = usize::from(be16(ip, 2));
            match total < 20 {
                true => None,
                false => ip.get(20..total.min(ip.len())),
            }
        }
        // IPv6, next header UDP; payload length 0 takes what is there.
        (0x86dd, [v, _, _, _, _, _, PROTO_UDP, ..]) if v >> 4 == 6 && ip.len() >= 40 => {
            let rest = ip.get(40..).unwrap_or_default();
            match usize::from(be16(ip, 4)) {
                0 => Some(rest),
                n => Some(rest.get(..n).unwrap_or(rest)),
            }
        }
        _ => None,
    };
    match udp {
        Some(udp) if udp.len() >= 8 => {
            let body = udp.get(8..).unwrap_or_default();
            !udp_port_wanted(be16(udp, 0))
                && !udp_port_wanted(be16(udp, 2))
                && !udp_payload_wanted(body)
                && tunnel::unsupported(be16(udp, 2), body).is_none()
        }
        _ => false,
    }
}

/// UDP ports provscope always reads: its services, and VXLAN (whose inner
/// frames are decoded).
fn udp_port_wanted(port: u16) -> bool {
    udp_service_port(port) || port == tunnel::VXLAN_PORT
}

/// The UDP ports of the services provscope reads: DNS, DHCP, TFTP, NTP,
/// SIP and SIPS.
fn udp_service_port(port: u16) -> bool {
    matches!(port, 53 | 67 | 68 | 69 | 123 | 5060 | 5061)
}

/// Whether a UDP payload on other ports may still be TFTP (a transfer moves
/// to ephemeral ports; opcodes 1..=6, RFC 1350 and RFC 2347), an NTP reply
/// or SIP (a method token or `SIP/2.0`: three ASCII letters). RTP (first
/// byte 0x80 and up) and most other media fail all three.
fn udp_payload_wanted(payload: &[u8]) -> bool {
    match payload {
        [0, 1..=6, ..] => true,
        // An NTP server reply (mode 4, version 3 or 4) from another port
        // than 123: a NAT rewrote it (`analyze/udp.rs` keeps it only as
        // the answer to a request).
        [b, ..] if payload.len() >= 48 && b & 0x07 == 4 && matches!((b >> 3) & 0x07, 3 | 4) => {
            true
        }
        [a, b, c, ..] => {
            a.is_ascii_alphabetic() && b.is_ascii_alphabetic() && c.is_ascii_alphabetic()
        }
        _ => false,
    }
}

/// UDP (RFC 768), filtered on ports and first bytes before anything else.
fn udp<'a>(cx: &Cx<'_>, src: IpAddr, dst: IpAddr, payload: &'a [u8]) -> Decoded<'a> {
    let Some(header) = payload.get(..8) else {
        return cx.short("udp_header");
    };
    let sport = be16(header, 0);
    let dport = be16(header, 2);
    let body = payload.get(8..).unwrap_or_default();
    if !udp_port_wanted(sport) && !udp_port_wanted(dport) && !udp_payload_wanted(body) {
        return Decoded::Skip;
    }
    let length = usize::from(be16(header, 4));
    let (body, len) = match length {
        // Zero in an IPv6 jumbogram (RFC 2675): the IP length rules.
        0 => (body, body.len()),
        1..=7 => return Decoded::Bad("udp_length"),
        n => (body.get(..n - 8).unwrap_or(body), n - 8),
    };
    cx.packet(
        src,
        dst,
        Transport::Udp {
            sport,
            dport,
            payload: body,
            len,
        },
    )
}

/// TCP (RFC 9293 section 3.1): ports, sequence numbers, flags, payload.
fn tcp<'a>(cx: &Cx<'_>, src: IpAddr, dst: IpAddr, payload: &'a [u8]) -> Decoded<'a> {
    let Some(header) = payload.get(..20) else {
        return cx.short("tcp_header");
    };
    let data_offset = usize::from(header.get(12).map_or(0, |b| b >> 4));
    if data_offset < 5 {
        return Decoded::Bad("tcp_data_offset");
    }
    let body = match payload.get(data_offset * 4..) {
        Some(body) => body,
        None if cx.truncated => &[],
        None => return Decoded::Bad("tcp_header_len"),
    };
    // The segment's payload on the wire, by the IP length: what the
    // snaplen cut off it.
    let cut = match cx.truncated {
        false => Some(0),
        true => cx.ip_missing.map(|missing| {
            let wire = (payload.len() + missing).saturating_sub(data_offset * 4);
            u32::try_from(wire.saturating_sub(body.len())).unwrap_or(u32::MAX)
        }),
    };
    let segment = TcpSegment {
        sport: be16(header, 0),
        dport: be16(header, 2),
        seq: be32(header, 4),
        ack: be32(header, 8),
        flags: TcpFlags(header.get(13).copied().unwrap_or(0)),
        payload: body,
        cut,
        sack_right: header_options(payload, data_offset).and_then(sack_right),
    };
    cx.packet(src, dst, Transport::Tcp(segment))
}

/// The options of a TCP header `data_offset` words long, when captured.
fn header_options(segment: &[u8], data_offset: usize) -> Option<&[u8]> {
    segment.get(20..data_offset * 4)
}

/// The highest right edge among the SACK option's blocks (RFC 2018 section
/// 3: kind 5, 8 octets per block), if the options carry one.
fn sack_right(options: &[u8]) -> Option<u32> {
    const END: u8 = 0;
    const NOP: u8 = 1;
    const SACK: u8 = 5;
    let mut at = 0;
    while let Some(&kind) = options.get(at) {
        match kind {
            END => return None,
            NOP => at += 1,
            _ => {
                let len = usize::from(*options.get(at + 1)?);
                if len < 2 {
                    return None;
                }
                let body = options.get(at + 2..at + len)?;
                if kind == SACK {
                    let edges = body.chunks_exact(8).map(|b| be32(b, 4));
                    return edges.reduce(|a, b| if b.wrapping_sub(a) as i32 > 0 { b } else { a });
                }
                at += len;
            }
        }
    }
    None
}

/// ICMP destination unreachable (RFC 792 type 3), ICMPv6 destination
/// unreachable, packet too big and parameter problem (RFC 4443 sections
/// 3.1, 3.2 and 3.4, types 1, 2 and 4), and time exceeded in transit;
/// every other type is skipped.
fn icmp<'a>(cx: &Cx<'_>, src: IpAddr, dst: IpAddr, payload: &[u8], v6: bool) -> Decoded<'a> {
    let (unreachable_type, time_exceeded_type) = if v6 { (1, 3) } else { (3, 11) };
    const ICMPV6_PACKET_TOO_BIG: u8 = 2;
    const ICMPV6_PARAMETER_PROBLEM: u8 = 4;
    let (Some(&icmp_type), Some(&code)) = (payload.first(), payload.get(1)) else {
        return cx.short("icmp_header");
    };
    // Time exceeded in transit answers the packet as finally as an
    // unreachable does (code 1, fragment reassembly, is the receiver's).
    let ttl = icmp_type == time_exceeded_type && code == 0;
    let too_big = v6 && icmp_type == ICMPV6_PACKET_TOO_BIG;
    let parameter = v6 && icmp_type == ICMPV6_PARAMETER_PROBLEM;
    if icmp_type != unreachable_type && !ttl && !too_big && !parameter {
        return Decoded::Skip;
    }
    let Some(quote) = payload.get(8..) else {
        return cx.short("icmp_header");
    };
    let quoted = if v6 {
        quoted_v6(quote)
    } else {
        quoted_v4(quote)
    };
    let Some(quoted) = quoted else {
        return cx.short("icmp_quote");
    };
    let unreachable = Unreachable {
        kind: match (ttl, too_big) {
            (true, _) => UnreachKind::TtlExceeded,
            (_, true) => UnreachKind::PacketTooBig,
            _ if parameter => UnreachKind::ParameterProblem,
            _ => unreach_kind(code, v6),
        },
        code,
        v6,
        orig_proto: quoted.proto,
        orig_src: quoted.src,
        orig_dst: quoted.dst,
        orig_sport: quoted.sport,
        orig_dport: quoted.dport,
        // RFC 4443 3.2: the MTU is the second word; RFC 1191: the low half
        // of ICMPv4's (0 from routers older than it: none named).
        mtu: match (too_big, v6, code) {
            (true, ..) => payload.get(4..8).map(|b| be32(b, 0)),
            (_, false, 4) if icmp_type == 3 => payload.get(6..8).map(|b| u32::from(be16(b, 0))),
            _ => None,
        }
        .filter(|m| *m > 0),
    };
    cx.packet(src, dst, Transport::IcmpUnreachable(unreachable))
}

fn unreach_kind(code: u8, v6: bool) -> UnreachKind {
    match (v6, code) {
        (false, 0) => UnreachKind::Net,
        (true, 0) => UnreachKind::NoRoute,
        (false, 1) => UnreachKind::Host,
        (true, 3) => UnreachKind::AddressUnreachable,
        (false, 2) => UnreachKind::Protocol,
        (false, 3) | (true, 4) => UnreachKind::Port,
        (false, 9 | 10 | 13) | (true, 1) => UnreachKind::AdminProhibited,
        (true, 5) => UnreachKind::SourcePolicy,
        (true, 6) => UnreachKind::RejectRoute,
        (false, 4) => UnreachKind::PacketTooBig,
        _ => UnreachKind::Other,
    }
}

/// The packet header an ICMP error quotes.
struct Quoted {
    proto: u8,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
}

/// Ports of a quoted TCP or UDP header (0 for other protocols). `None`
/// when the quote should hold them but is too short.
fn quoted_ports(proto: u8, first_fragment: bool, rest: &[u8]) -> Option<(u16, u16)> {
    if !first_fragment || !matches!(proto, PROTO_TCP | PROTO_UDP) {
        return Some((0, 0));
    }
    let ports = rest.get(..4)?;
    Some((be16(ports, 0), be16(ports, 2)))
}

fn quoted_v4(quote: &[u8]) -> Option<Quoted> {
    let header = Ipv4HeaderSlice::from_slice(quote).ok()?;
    let proto = header.protocol().0;
    let first_fragment = header.fragments_offset().value() == 0;
    let rest = quote.get(header.slice().len()..)?;
    let (sport, dport) = quoted_ports(proto, first_fragment, rest)?;
    Some(Quoted {
        proto,
        src: IpAddr::V4(header.source_addr()),
        dst: IpAddr::V4(header.destination_addr()),
        sport,
        dport,
    })
}

fn quoted_v6(quote: &[u8]) -> Option<Quoted> {
    let header = Ipv6HeaderSlice::from_slice(quote).ok()?;
    let after = quote.get(header.slice().len()..)?;
    let (mut proto, mut rest, frag) = ipv6_exts(header.next_header().0, after).ok()?;
    let first_fragment = frag.is_none_or(|f| f.offset == 0);
    if frag.is_some() && first_fragment {
        (proto, rest, _) = ipv6_exts(proto, rest).ok()?;
    }
    let (sport, dport) = quoted_ports(proto, first_fragment, rest)?;
    Some(Quoted {
        proto,
        src: IpAddr::V6(header.source_addr()),
        dst: IpAddr::V6(header.destination_addr()),
        sport,
        dport,
    })
}

/// Big-endian u16 at `at`; 0 past the end (callers check lengths first).
fn be16(data: &[u8], at: usize) -> u16 {
    match data.get(at..) {
        Some([a, b, ..]) => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// Big-endian u32 at `at`; 0 past the end (callers check lengths first).
fn be32(data: &[u8], at: usize) -> u32 {
    match data.get(at..) {
        Some([a, b, c, d, ..]) => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

#[cfg(test)]
pub(crate) mod testpcap;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod early_filter_tests;

#[cfg(test)]
mod early_tcp_tests;
