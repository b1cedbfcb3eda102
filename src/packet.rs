//! Link and network layers: from a captured frame to addresses, ports and a
//! transport payload.
//!
//! Link types (see `link.rs`): Ethernet with 802.1Q / 802.1ad / 0x9100 tag
//! stacks (the innermost tag is the voice VLAN), Linux cooked SLL and SLL2,
//! raw IP (101, and 12 / 14), IPv4 (228), IPv6 (229), BSD loopback (0) and
//! OpenBSD loopback (108). Other link types are skipped and counted.
//!
//! Network layer: IPv4 (RFC 791) and IPv6 with its extension headers (RFC
//! 8200 section 4), IPv4 AH (RFC 4302), IP-in-IP (protocols 4 and 41, two
//! tunnels deep). Fragments of both versions are reassembled in `frag.rs`,
//! bounded in memory and time: a transport header is only ever read from an
//! unfragmented packet or a reassembled datagram, never from a fragment.
//! etherparse slices the IP headers; the fixed-offset headers (link, UDP,
//! TCP, ICMP) are read by hand, which is simpler and faster here.
//!
//! Transport: UDP, TCP, and ICMP / ICMPv6 destination-unreachable messages
//! with the header they quote (RFC 792, RFC 4443 section 3.1). Every other
//! ICMP type and IP protocol is skipped. Checksums are not verified (capture
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

mod frag;
mod link;

use std::net::IpAddr;

use etherparse::{
    err, IpAuthHeaderSlice, IpNumber, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice,
    Ipv6RawExtHeaderSlice,
};

use crate::capture::Frame;
use frag::{FragKey, FragOutcome, FragPool, Fragment};
use link::Link;

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
    Other,
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
}

/// The transport layer of a decoded packet.
#[derive(Clone, Copy, Debug)]
pub enum Transport<'a> {
    Udp {
        sport: u16,
        dport: u16,
        payload: &'a [u8],
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
    /// Frames on link types provscope does not read.
    pub unsupported_linktype: u64,
    /// The first such link type, to name it.
    pub unsupported_linktype_first: Option<u32>,
}

/// Stateful decoder (fragment reassembly lives here).
pub struct Decoder {
    limits: DecodeLimits,
    stats: DecodeStats,
    frags: FragPool,
    /// Reassembled payloads handed out, one per IP nesting level.
    reassembled: [Vec<u8>; MAX_IP_DEPTH],
}

impl Decoder {
    pub fn new(limits: DecodeLimits) -> Self {
        Decoder {
            limits,
            stats: DecodeStats::default(),
            frags: FragPool::default(),
            reassembled: Default::default(),
        }
    }

    /// Decodes one frame.
    pub fn decode<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let truncated = (frame.data.len() as u64) < u64::from(frame.orig_len);
        if truncated {
            self.stats.truncated_by_snaplen += 1;
        }
        if frame.linktype == LINKTYPE_ETHERNET && unwanted_udp(frame.data) {
            return Decoded::Skip;
        }
        self.layers(frame, truncated)
    }

    /// The full decode of a frame, link layer up.
    fn layers<'a>(&'a mut self, frame: &Frame<'a>, truncated: bool) -> Decoded<'a> {
        let (l2, version, data) = match link::parse(frame.linktype, frame.data) {
            Link::Ip { l2, version, data } => (l2, version, data),
            Link::Skip => return Decoded::Skip,
            Link::Unsupported => {
                self.stats.unsupported_linktype += 1;
                self.stats
                    .unsupported_linktype_first
                    .get_or_insert(frame.linktype);
                return Decoded::Skip;
            }
            Link::Short(_) if truncated => return Decoded::Skip,
            Link::Short(id) => {
                self.stats.undecodable += 1;
                log::debug!("packet: frame {} undecodable: {id}", frame.number);
                return Decoded::Bad(id);
            }
        };

        let Decoder {
            limits,
            stats,
            frags,
            reassembled,
        } = self;
        let mut cx = Cx {
            stats,
            frags,
            limits,
            now_ns: frame.ts.ns,
            l2,
            truncated,
        };
        let decoded = ip_packet(&mut cx, reassembled, data, version, 0);
        if let Decoded::Bad(id) = &decoded {
            cx.stats.undecodable += 1;
            log::debug!("packet: frame {} undecodable: {id}", frame.number);
        }
        decoded
    }

    /// Call at the end of the capture: counts datagrams never completed.
    pub fn finish(&mut self) {
        self.frags.finish(&mut self.stats);
    }

    pub fn stats(&self) -> DecodeStats {
        self.stats
    }
}

/// IP layers followed in one frame: the packet and up to two tunnels in it.
const MAX_IP_DEPTH: usize = 3;
/// IPv6 extension headers followed before giving up.
const MAX_IPV6_EXT_HEADERS: usize = 16;

const PROTO_ICMP: u8 = 1;
const PROTO_IPIP: u8 = 4;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const PROTO_IPV6: u8 = 41;
const PROTO_IPV6_FRAG: u8 = 44;
const PROTO_AH: u8 = 51;
const PROTO_ICMPV6: u8 = 58;

/// Per-frame context of the layer functions.
struct Cx<'s> {
    stats: &'s mut DecodeStats,
    frags: &'s mut FragPool,
    limits: &'s DecodeLimits,
    now_ns: i64,
    l2: L2,
    truncated: bool,
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

    fn packet<'a>(&self, src: IpAddr, dst: IpAddr, transport: Transport<'a>) -> Decoded<'a> {
        Decoded::Packet(Packet {
            l2: self.l2,
            src,
            dst,
            transport,
            truncated: self.truncated,
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
            .add(key, frag, self.now_ns, self.limits, self.stats, out)
        {
            FragOutcome::Complete(proto) => Ok((proto, out.as_slice())),
            FragOutcome::Held => Err(Decoded::Held),
            FragOutcome::Dropped => Err(Decoded::Skip),
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
fn ipv4<'a>(cx: &mut Cx<'_>, outs: &'a mut [Vec<u8>], data: &'a [u8], depth: usize) -> Decoded<'a> {
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
        data.len()
    } else {
        total_len.min(data.len())
    };
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
        PROTO_ICMP | PROTO_IPIP | PROTO_TCP | PROTO_UDP | PROTO_IPV6 | PROTO_AH
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
fn ipv6<'a>(cx: &mut Cx<'_>, outs: &'a mut [Vec<u8>], data: &'a [u8], depth: usize) -> Decoded<'a> {
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
                let ext = Ipv6RawExtHeaderSlice::from_slice(rest).map_err(|_| "ipv6_ext_header")?;
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
    match proto {
        PROTO_UDP => udp(cx, src, dst, payload),
        PROTO_TCP => tcp(cx, src, dst, payload),
        PROTO_ICMP => icmp(cx, src, dst, payload, false),
        PROTO_ICMPV6 => icmp(cx, src, dst, payload, true),
        PROTO_IPIP | PROTO_IPV6 if depth + 1 < MAX_IP_DEPTH => {
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

/// The early filter on fixed offsets, before any decoding: true for an
/// Ethernet frame (untagged or one 802.1Q tag) carrying a whole IPv4 or
/// IPv6 UDP datagram, without IP options or extension headers, that
/// [`udp`] would skip (RTP, most of a voice capture). It reads the fields
/// the full decode reads and answers true only where that decode gives
/// `Skip` and counts nothing; anything else goes the full way.
fn unwanted_udp(frame: &[u8]) -> bool {
    let (ethertype, ip_at) = match be16(frame, 12) {
        0x8100 => (be16(frame, 16), 18),
        ethertype => (ethertype, 14),
    };
    let Some(ip) = frame.get(ip_at..) else {
        return false;
    };
    let udp = match (ethertype, ip) {
        // IPv4, IHL 5, UDP, neither more fragments nor an offset.
        (0x0800, [0x45, _, _, _, _, _, flags, offset, _, PROTO_UDP, ..])
            if flags & 0x3f == 0 && *offset == 0 =>
        {
            let total = usize::from(be16(ip, 2));
            let end = if total < 20 {
                ip.len()
            } else {
                total.min(ip.len())
            };
            ip.get(20..end)
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
        }
        _ => false,
    }
}

/// UDP ports provscope always reads: DNS, DHCP, TFTP, NTP, SIP, SIPS.
fn udp_port_wanted(port: u16) -> bool {
    matches!(port, 53 | 67 | 68 | 69 | 123 | 5060 | 5061)
}

/// Whether a UDP payload on other ports may still be TFTP (a transfer moves
/// to ephemeral ports; opcodes 1..=6, RFC 1350 and RFC 2347) or SIP (a
/// method token or `SIP/2.0`: three ASCII letters). RTP (first byte 0x80
/// and up) and most other media fail both.
fn udp_payload_wanted(payload: &[u8]) -> bool {
    match payload {
        [0, 1..=6, ..] => true,
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
    let body = match length {
        // Zero in an IPv6 jumbogram (RFC 2675): the IP length rules.
        0 => body,
        1..=7 => return Decoded::Bad("udp_length"),
        n => body.get(..n - 8).unwrap_or(body),
    };
    cx.packet(
        src,
        dst,
        Transport::Udp {
            sport,
            dport,
            payload: body,
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
    let segment = TcpSegment {
        sport: be16(header, 0),
        dport: be16(header, 2),
        seq: be32(header, 4),
        ack: be32(header, 8),
        flags: TcpFlags(header.get(13).copied().unwrap_or(0)),
        payload: body,
    };
    cx.packet(src, dst, Transport::Tcp(segment))
}

/// ICMP destination unreachable (RFC 792 type 3) and ICMPv6 destination
/// unreachable (RFC 4443 section 3.1, type 1); every other type is skipped.
fn icmp<'a>(cx: &Cx<'_>, src: IpAddr, dst: IpAddr, payload: &[u8], v6: bool) -> Decoded<'a> {
    let unreachable_type = if v6 { 1 } else { 3 };
    let (Some(&icmp_type), Some(&code)) = (payload.first(), payload.get(1)) else {
        return cx.short("icmp_header");
    };
    if icmp_type != unreachable_type {
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
        kind: unreach_kind(code, v6),
        code,
        v6,
        orig_proto: quoted.proto,
        orig_src: quoted.src,
        orig_dst: quoted.dst,
        orig_sport: quoted.sport,
        orig_dport: quoted.dport,
    };
    cx.packet(src, dst, Transport::IcmpUnreachable(unreachable))
}

fn unreach_kind(code: u8, v6: bool) -> UnreachKind {
    match (v6, code) {
        (_, 0) => UnreachKind::Net,
        (false, 1) | (true, 3) => UnreachKind::Host,
        (false, 2) => UnreachKind::Protocol,
        (false, 3) | (true, 4) => UnreachKind::Port,
        (false, 9 | 10 | 13) | (true, 1) => UnreachKind::AdminProhibited,
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
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use etherparse::{PacketBuilder, VlanId};
    use std::net::{Ipv4Addr, Ipv6Addr};
    use testpcap::TestPcap;

    const PHONE: [u8; 4] = [192, 0, 2, 100];
    const SERVER: [u8; 4] = [198, 51, 100, 20];
    const PHONE6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64,
    ];
    const SERVER6: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x35,
    ];

    fn frame(linktype: u32, data: &[u8]) -> Frame<'_> {
        Frame {
            number: 1,
            ts: Timestamp::new(0, 6),
            linktype,
            interface: 0,
            data,
            orig_len: data.len() as u32,
        }
    }

    fn decode_one<'a>(dec: &'a mut Decoder, linktype: u32, data: &'a [u8]) -> Decoded<'a> {
        dec.decode(&frame(linktype, data))
    }

    fn udp_of<'a>(d: &Decoded<'a>) -> (IpAddr, IpAddr, u16, u16, &'a [u8]) {
        match d {
            Decoded::Packet(Packet {
                src,
                dst,
                transport:
                    Transport::Udp {
                        sport,
                        dport,
                        payload,
                    },
                ..
            }) => (*src, *dst, *sport, *dport, payload),
            other => panic!("not UDP: {other:?}"),
        }
    }

    fn ipv4_udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        PacketBuilder::ipv4(PHONE, SERVER, 64)
            .udp(sport, dport)
            .write(&mut v, payload)
            .unwrap();
        v
    }

    /// A 20-byte IPv4 header for a fragment carrying `len` payload bytes.
    fn ipv4_fragment(id: u16, offset: usize, more: bool, proto: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let flags_offset = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        let mut v = vec![0x45, 0];
        v.extend(total.to_be_bytes());
        v.extend(id.to_be_bytes());
        v.extend(flags_offset.to_be_bytes());
        v.extend([64, proto, 0, 0]);
        v.extend(PHONE);
        v.extend(SERVER);
        v.extend(payload);
        v
    }

    #[test]
    fn ethernet_qinq_udp_dns() {
        let mut f = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .double_vlan(VlanId::try_new(300).unwrap(), VlanId::try_new(42).unwrap())
            .ipv4(PHONE, SERVER, 64)
            .udp(40000, 53)
            .write(&mut f, b"\x12\x34query")
            .unwrap();
        let mut dec = Decoder::new(DecodeLimits::default());
        let d = decode_one(&mut dec, 1, &f);
        let Decoded::Packet(p) = &d else {
            panic!("{d:?}")
        };
        assert_eq!(p.l2.vlan, Some(42));
        assert_eq!(p.l2.src_mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(p.l2.dst_mac, Some([2, 0, 0, 0, 0, 2]));
        assert!(!p.truncated);
        let (src, dst, sport, dport, payload) = udp_of(&d);
        assert_eq!(src, IpAddr::V4(Ipv4Addr::from(PHONE)));
        assert_eq!(dst, IpAddr::V4(Ipv4Addr::from(SERVER)));
        assert_eq!((sport, dport), (40000, 53));
        assert_eq!(payload, b"\x12\x34query");
    }

    #[test]
    fn ethernet_padding_is_not_payload() {
        let mut f = vec![0; 12];
        f.extend([0x08, 0x00]);
        f.extend(ipv4_udp(68, 67, b"dhcp"));
        f.extend([0; 18]);
        let mut dec = Decoder::new(DecodeLimits::default());
        let d = decode_one(&mut dec, 1, &f);
        assert_eq!(udp_of(&d).4, b"dhcp");
    }

    #[test]
    fn linux_sll2_header_then_ipv4() {
        let mut f = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6];
        f.extend([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, 0, 0]);
        f.extend(ipv4_udp(5060, 5060, b"REGISTER sip:x SIP/2.0\r\n"));
        let mut dec = Decoder::new(DecodeLimits::default());
        let d = decode_one(&mut dec, 276, &f);
        let Decoded::Packet(p) = &d else {
            panic!("{d:?}")
        };
        assert_eq!(p.l2.src_mac, None, "cooked captures identify hosts by IP");
        assert_eq!(p.l2.dst_mac, None);
        assert!(udp_of(&d).4.starts_with(b"REGISTER"));
    }

    #[test]
    fn raw_ipv6_on_101_and_229() {
        let mut v = Vec::new();
        PacketBuilder::ipv6(PHONE6, SERVER6, 64)
            .udp(50000, 53)
            .write(&mut v, b"abc")
            .unwrap();
        let mut dec = Decoder::new(DecodeLimits::default());
        for linktype in [101, 229, 12] {
            let d = decode_one(&mut dec, linktype, &v);
            let (src, dst, _, dport, payload) = udp_of(&d);
            assert_eq!(src, IpAddr::V6(Ipv6Addr::from(PHONE6)));
            assert_eq!(dst, IpAddr::V6(Ipv6Addr::from(SERVER6)));
            assert_eq!((dport, payload), (53, &b"abc"[..]));
        }
        // An IPv6 packet on the IPv4-only link type is malformed.
        assert!(matches!(
            decode_one(&mut dec, 228, &v),
            Decoded::Bad("ip_version")
        ));
        assert_eq!(dec.stats().undecodable, 1);
    }

    #[test]
    fn bsd_loopback_both_byte_orders_and_openbsd() {
        let ip = ipv4_udp(123, 123, b"ntp");
        let mut dec = Decoder::new(DecodeLimits::default());
        for (linktype, family) in [(0, [2, 0, 0, 0]), (0, [0, 0, 0, 2]), (108, [0, 0, 0, 2])] {
            let mut f = family.to_vec();
            f.extend(&ip);
            let d = decode_one(&mut dec, linktype, &f);
            assert_eq!(udp_of(&d).2, 123);
            assert_eq!(
                match &d {
                    Decoded::Packet(p) => p.l2,
                    _ => unreachable!(),
                },
                L2::default()
            );
        }
    }

    #[test]
    fn unsupported_linktype_is_counted() {
        let mut dec = Decoder::new(DecodeLimits::default());
        assert!(matches!(decode_one(&mut dec, 105, &[0; 64]), Decoded::Skip));
        assert_eq!(dec.stats().unsupported_linktype, 1);
    }

    #[test]
    fn early_filter_keeps_provisioning_udp_only() {
        let mut dec = Decoder::new(DecodeLimits::default());
        let cases: [(u16, u16, &[u8], bool); 8] = [
            (16384, 16386, &[0x80, 0x00, 0x12, 0x34], false), // RTP
            (40000, 5060, &[0x80, 0x00, 0x12, 0x34], true),   // SIP port
            (40000, 5080, b"INVITE sip:a@b SIP/2.0", true),   // SIP off-port
            (40000, 5080, b"SIP/2.0 200 OK", true),
            (49152, 49153, &[0, 3, 0, 1, 0x41], true), // TFTP DATA
            (49152, 49153, &[0, 9, 0, 1], false),
            (443, 50000, &[0x45, 0x12, 0x99], false), // QUIC short header
            (40000, 53, &[], true),
        ];
        for (sport, dport, payload, wanted) in cases {
            let ip = ipv4_udp(sport, dport, payload);
            let d = decode_one(&mut dec, 228, &ip);
            assert_eq!(matches!(d, Decoded::Packet(_)), wanted, "{sport}->{dport}");
        }
        assert_eq!(dec.stats(), DecodeStats::default());
    }

    #[test]
    fn other_protocols_skip_and_tcp_passes() {
        let mut dec = Decoder::new(DecodeLimits::default());
        let esp = ipv4_fragment(1, 0, false, 50, &[0; 32]);
        assert!(matches!(decode_one(&mut dec, 228, &esp), Decoded::Skip));
        let mut echo = Vec::new();
        PacketBuilder::ipv4(PHONE, SERVER, 64)
            .icmpv4_echo_request(1, 1)
            .write(&mut echo, &[])
            .unwrap();
        assert!(matches!(decode_one(&mut dec, 228, &echo), Decoded::Skip));
        let mut syn = Vec::new();
        PacketBuilder::ipv4(PHONE, SERVER, 64)
            .tcp(50000, 443, 1000, 64240)
            .syn()
            .write(&mut syn, b"hi")
            .unwrap();
        let d = decode_one(&mut dec, 228, &syn);
        let Decoded::Packet(Packet {
            transport: Transport::Tcp(seg),
            ..
        }) = d
        else {
            panic!("{d:?}")
        };
        assert_eq!((seg.sport, seg.dport, seg.seq), (50000, 443, 1000));
        assert!(seg.flags.has(TcpFlags::SYN) && !seg.flags.has(TcpFlags::ACK));
        assert_eq!(seg.payload, b"hi");
    }

    #[test]
    fn ipv4_fragments_out_of_order_are_reassembled() {
        let body: Vec<u8> = b"REGISTER sip:example.com SIP/2.0\r\n"
            .iter()
            .copied()
            .cycle()
            .take(3000)
            .collect();
        let whole = ipv4_udp(5060, 5060, &body);
        let datagram = &whole[20..];
        let parts = [(0, 1480), (1480, 2960), (2960, datagram.len())];
        let frames: Vec<Vec<u8>> = parts
            .iter()
            .map(|&(s, e)| ipv4_fragment(0x4242, s, e != datagram.len(), 17, &datagram[s..e]))
            .collect();
        let mut dec = Decoder::new(DecodeLimits::default());
        assert!(matches!(
            decode_one(&mut dec, 228, &frames[2]),
            Decoded::Held
        ));
        assert!(matches!(
            decode_one(&mut dec, 228, &frames[0]),
            Decoded::Held
        ));
        let d = decode_one(&mut dec, 228, &frames[1]);
        let (_, _, sport, dport, payload) = udp_of(&d);
        assert_eq!((sport, dport), (5060, 5060));
        assert_eq!(payload, &body[..]);
        dec.finish();
        assert_eq!(dec.stats(), DecodeStats::default());
    }

    #[test]
    fn orphan_non_first_fragment_never_yields_udp() {
        // Bytes that look like a UDP header to 5060 and a SIP request.
        let mut fake = vec![0x13, 0xc4, 0x13, 0xc4, 0x00, 0x40, 0x00, 0x00];
        fake.extend(b"OPTIONS sip:x SIP/2.0\r\n");
        let f = ipv4_fragment(0x7777, 1480, false, 17, &fake);
        let mut dec = Decoder::new(DecodeLimits::default());
        assert!(matches!(decode_one(&mut dec, 228, &f), Decoded::Held));
        dec.finish();
        assert_eq!(dec.stats().fragments_incomplete, 1);
    }

    #[test]
    fn ipv6_fragments_are_reassembled() {
        let mut whole = Vec::new();
        let body = vec![b'a'; 2000];
        PacketBuilder::ipv6(PHONE6, SERVER6, 64)
            .udp(53, 40000)
            .write(&mut whole, &body)
            .unwrap();
        let datagram = &whole[40..];
        let frag = |offset: usize, end: usize| {
            let more = end != datagram.len();
            let mut v = whole[..40].to_vec();
            v[6] = 44;
            v[4..6].copy_from_slice(&((end - offset + 8) as u16).to_be_bytes());
            let off_flags = (offset as u16) | u16::from(more);
            // Only the first fragment's Next Header counts (RFC 8200 4.5).
            v.extend([if offset == 0 { 17 } else { 6 }, 0]);
            v.extend(off_flags.to_be_bytes());
            v.extend(0xdead_beef_u32.to_be_bytes());
            v.extend(&datagram[offset..end]);
            v
        };
        let (first, last) = (frag(0, 1232), frag(1232, datagram.len()));
        let mut dec = Decoder::new(DecodeLimits::default());
        assert!(matches!(decode_one(&mut dec, 229, &first), Decoded::Held));
        let d = decode_one(&mut dec, 229, &last);
        let (_, _, sport, _, payload) = udp_of(&d);
        assert_eq!((sport, payload.len()), (53, 2000));
    }

    #[test]
    fn icmp_port_unreachable_quotes_udp() {
        let quoted = ipv4_udp(40000, 69, b"\x00\x01SEP.cnf.xml\x00octet\x00");
        let mut v = Vec::new();
        PacketBuilder::ipv4(SERVER, PHONE, 64)
            .icmpv4_raw(3, 3, [0; 4])
            .write(&mut v, &quoted[..28])
            .unwrap();
        let mut dec = Decoder::new(DecodeLimits::default());
        let d = decode_one(&mut dec, 228, &v);
        let Decoded::Packet(Packet {
            src,
            transport: Transport::IcmpUnreachable(u),
            ..
        }) = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(src, IpAddr::V4(Ipv4Addr::from(SERVER)));
        assert_eq!(u.kind, UnreachKind::Port);
        assert_eq!((u.code, u.v6, u.orig_proto), (3, false, 17));
        assert_eq!(u.orig_src, IpAddr::V4(Ipv4Addr::from(PHONE)));
        assert_eq!(u.orig_dst, IpAddr::V4(Ipv4Addr::from(SERVER)));
        assert_eq!((u.orig_sport, u.orig_dport), (40000, 69));
        // A quote without its ports is malformed.
        let mut short = Vec::new();
        PacketBuilder::ipv4(SERVER, PHONE, 64)
            .icmpv4_raw(3, 1, [0; 4])
            .write(&mut short, &quoted[..22])
            .unwrap();
        assert!(matches!(
            decode_one(&mut dec, 228, &short),
            Decoded::Bad("icmp_quote")
        ));
    }

    #[test]
    fn icmpv6_admin_prohibited_quotes_tcp_syn() {
        let mut syn = Vec::new();
        PacketBuilder::ipv6(PHONE6, SERVER6, 64)
            .tcp(50001, 443, 7, 1024)
            .syn()
            .write(&mut syn, &[])
            .unwrap();
        let mut v = Vec::new();
        PacketBuilder::ipv6(SERVER6, PHONE6, 64)
            .icmpv6_raw(1, 1, [0; 4])
            .write(&mut v, &syn)
            .unwrap();
        let mut dec = Decoder::new(DecodeLimits::default());
        let d = decode_one(&mut dec, 229, &v);
        let Decoded::Packet(Packet {
            transport: Transport::IcmpUnreachable(u),
            ..
        }) = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(u.kind, UnreachKind::AdminProhibited);
        assert_eq!((u.orig_proto, u.orig_sport, u.orig_dport), (6, 50001, 443));
        assert_eq!(unreach_kind(4, true), UnreachKind::Port);
        assert_eq!(unreach_kind(3, true), UnreachKind::Host);
        assert_eq!(unreach_kind(13, false), UnreachKind::AdminProhibited);
        assert_eq!(unreach_kind(2, true), UnreachKind::Other);
    }

    #[test]
    fn ip_in_ip_decodes_the_inner_packet() {
        let inner = ipv4_udp(5060, 5060, b"REGISTER sip:a SIP/2.0");
        let outer = ipv4_fragment(9, 0, false, PROTO_IPIP, &inner);
        let mut dec = Decoder::new(DecodeLimits::default());
        let d = decode_one(&mut dec, 228, &outer);
        assert_eq!(udp_of(&d).2, 5060);
        // IPv6 in IPv4 (protocol 41).
        let mut inner6 = Vec::new();
        PacketBuilder::ipv6(PHONE6, SERVER6, 64)
            .udp(50000, 53)
            .write(&mut inner6, b"q")
            .unwrap();
        let six_in_four = ipv4_fragment(10, 0, false, PROTO_IPV6, &inner6);
        let d = decode_one(&mut dec, 228, &six_in_four);
        let (src, _, _, dport, _) = udp_of(&d);
        assert_eq!((src, dport), (IpAddr::V6(Ipv6Addr::from(PHONE6)), 53));
        // Tunnels nested deeper than MAX_IP_DEPTH are skipped, not followed.
        let mut deep = inner;
        for _ in 0..MAX_IP_DEPTH {
            deep = ipv4_fragment(9, 0, false, PROTO_IPIP, &deep);
        }
        assert!(matches!(decode_one(&mut dec, 228, &deep), Decoded::Skip));
    }

    #[test]
    fn snaplen_cut_tcp_is_decoded_and_counted_once() {
        let mut v = Vec::new();
        PacketBuilder::ipv4(PHONE, SERVER, 64)
            .tcp(50000, 80, 1, 1024)
            .write(&mut v, &[b'G'; 500])
            .unwrap();
        let mut dec = Decoder::new(DecodeLimits::default());
        let f = Frame {
            orig_len: v.len() as u32,
            ..frame(228, &v[..68])
        };
        let d = dec.decode(&f);
        let Decoded::Packet(Packet {
            truncated: true,
            transport: Transport::Tcp(seg),
            ..
        }) = d
        else {
            panic!("{d:?}")
        };
        assert_eq!(seg.payload.len(), 28);
        // Cut inside the TCP header: skipped, not malformed.
        let g = Frame {
            orig_len: v.len() as u32,
            ..frame(228, &v[..30])
        };
        assert!(matches!(dec.decode(&g), Decoded::Skip));
        assert_eq!(dec.stats().truncated_by_snaplen, 2);
        assert_eq!(dec.stats().undecodable, 0);
    }

    #[test]
    fn malformed_headers_are_bad_and_counted() {
        let mut dec = Decoder::new(DecodeLimits::default());
        let mut ip = ipv4_udp(1, 53, b"x");
        ip[0] = 0x43;
        assert!(matches!(
            decode_one(&mut dec, 228, &ip),
            Decoded::Bad("ipv4_header")
        ));
        let mut tcp = ipv4_fragment(1, 0, false, 6, &[0; 20]);
        tcp[32] = 0x30;
        assert!(matches!(
            decode_one(&mut dec, 228, &tcp),
            Decoded::Bad("tcp_data_offset")
        ));
        assert!(matches!(
            decode_one(&mut dec, 1, &[0; 10]),
            Decoded::Bad("ethernet_header")
        ));
        assert_eq!(dec.stats().undecodable, 3);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut dec = Decoder::new(DecodeLimits::default());
        let mut seed = 0x1234_5678_u32;
        for round in 0..20_000 {
            let len = (round % 97) as usize;
            let mut data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            // Steer some of them into IP headers.
            if let Some(b) = data.first_mut() {
                *b = if round % 2 == 0 { 0x45 } else { 0x60 };
            }
            for linktype in [1, 101, 276] {
                let _ = decode_one(&mut dec, linktype, &data);
            }
        }
        dec.finish();
    }

    // Shared cases: what expected.json says at this layer.

    #[test]
    fn case_16_linux_sll2() {
        let cap = TestPcap::open("../shared/cases/16-linux-sll2/capture.pcap");
        assert_eq!(cap.linktype, 276);
        let mut dec = Decoder::new(DecodeLimits::default());
        // Case 16's rule: without an Ethernet header the phone is known by IP.
        let macs = [None, None];
        for (n, mac) in (1..=2).zip(macs) {
            let d = dec.decode(&cap.frame(n));
            let Decoded::Packet(p) = &d else {
                panic!("frame {n}: {d:?}")
            };
            assert_eq!(p.l2.src_mac, mac, "frame {n}");
            let payload = match p.transport {
                Transport::Udp { payload, .. } => payload,
                Transport::Tcp(seg) => seg.payload,
                _ => panic!("frame {n}"),
            };
            assert!(payload.windows(20).any(|w| w == b"c16-sll2@192.0.2.100"));
        }
        let d = dec.decode(&cap.frame(3));
        let (src, _, _, dport, _) = udp_of(&d);
        assert!(src.is_ipv6());
        assert_eq!(dport, 53);
        assert_eq!(dec.stats(), DecodeStats::default());
    }

    #[test]
    fn case_18_ipv4_fragments() {
        let cap = TestPcap::open("../shared/cases/18-ipv4-fragments/capture.pcap");
        let mut dec = Decoder::new(DecodeLimits::default());
        // Frame 1 is the last fragment of 0x4242, frame 2 its first.
        assert!(matches!(dec.decode(&cap.frame(1)), Decoded::Held));
        let d = dec.decode(&cap.frame(2));
        let (src, _, sport, dport, payload) = udp_of(&d);
        assert_eq!(src, IpAddr::V4(Ipv4Addr::from(PHONE)));
        assert_eq!((sport, dport), (5060, 5060));
        assert_eq!(payload.len(), 2201 - 20 - 8);
        assert!(payload.starts_with(b"REGISTER "));
        assert!(payload.windows(20).any(|w| w == b"c18-frag@192.0.2.100"));
        let d = dec.decode(&cap.frame(3));
        assert!(udp_of(&d).4.starts_with(b"SIP/2.0 401"));
        // Frame 4: orphan fragment 0x7777 at offset 1480: no UDP, no OPTIONS.
        assert!(matches!(dec.decode(&cap.frame(4)), Decoded::Held));
        assert_eq!(cap.len(), 4);
        dec.finish();
        let stats = dec.stats();
        assert_eq!(stats.fragments_incomplete, 1);
        assert_eq!(stats.undecodable, 0);
    }

    #[test]
    fn case_20_tcp_frames_decode() {
        let cap = TestPcap::open("../shared/cases/20-tcp-ooo-overlap-syndata/capture.pcap");
        let mut dec = Decoder::new(DecodeLimits::default());
        let mut syn_payloads = vec![];
        for n in 1..=cap.len() {
            let d = dec.decode(&cap.frame(n));
            let Decoded::Packet(Packet {
                transport: Transport::Tcp(seg),
                ..
            }) = d
            else {
                panic!("frame {n}: {d:?}")
            };
            if seg.flags.has(TcpFlags::SYN) && !seg.flags.has(TcpFlags::ACK) {
                syn_payloads.push(seg.payload.len());
            }
        }
        assert_eq!(syn_payloads, vec![0, 38]);
    }

    /// Real captures from the corpus: every frame decodes without a
    /// malformed verdict, and the fragmented DNS answers come back whole.
    #[test]
    fn corpus_dns_fragmented_reassembles_every_answer() {
        let cap = TestPcap::open("../shared/corpus/files/ndpi__dns_fragmented.pcap");
        let mut dec = Decoder::new(DecodeLimits::default());
        let (mut dns, mut held, mut tcp) = (0, 0, 0);
        for n in 1..=cap.len() {
            match dec.decode(&cap.frame(n)) {
                Decoded::Packet(Packet {
                    transport: Transport::Udp { sport, dport, .. },
                    ..
                }) if sport == 53 || dport == 53 => dns += 1,
                Decoded::Packet(Packet {
                    transport: Transport::Tcp(_),
                    ..
                }) => tcp += 1,
                Decoded::Held => held += 1,
                Decoded::Bad(id) => panic!("frame {n}: {id}"),
                _ => {}
            }
        }
        dec.finish();
        // tshark: 4 + 3 datagrams in two fragments each; UDP DNS in 8 + 31
        // frames (those completing a datagram included), TCP in 10 + 10.
        assert_eq!(held, 7);
        assert_eq!(dns, 39);
        assert_eq!(tcp, 20);
        assert_eq!(dec.stats().fragments_incomplete, 0);
    }

    #[test]
    fn corpus_link_types_decode() {
        let files = [
            ("heplify__ipip0.pcap", 8),
            ("tcpdump__LINKTYPE_RAW_ipv6.pcap", 0),
            ("suri__decode-sll2-01.pcap", 0),
            ("suri__linktype-228_flow-test-01.pcap", 0),
        ];
        for (name, want_sip) in files {
            let cap = TestPcap::open(&format!("../shared/corpus/files/{name}"));
            let mut dec = Decoder::new(DecodeLimits::default());
            let mut sip = 0;
            for n in 1..=cap.len() {
                match dec.decode(&cap.frame(n)) {
                    Decoded::Packet(Packet {
                        transport: Transport::Udp { dport, sport, .. },
                        ..
                    }) if dport == 5060 || sport == 5060 => sip += 1,
                    Decoded::Bad(id) => panic!("{name} frame {n}: {id}"),
                    _ => {}
                }
            }
            if want_sip > 0 {
                assert_eq!(sip, want_sip, "{name}");
            }
            assert_eq!(dec.stats().unsupported_linktype, 0, "{name}");
        }
    }

    /// Every classic pcap of the corpus decodes without a malformed frame
    /// (tshark flags none of them at these layers) and leaves no fragment.
    #[test]
    fn corpus_classic_pcaps_have_no_undecodable_frame() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/files");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let path = format!("{dir}/{name}");
            let head = std::fs::read(&path).unwrap();
            let classic = matches!(
                head.get(..4),
                Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1])
                    | Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d])
            );
            if !classic {
                continue;
            }
            let cap = TestPcap::open(&format!("../shared/corpus/files/{name}"));
            let mut dec = Decoder::new(DecodeLimits::default());
            for n in 1..=cap.len() {
                if let Decoded::Bad(id) = dec.decode(&cap.frame(n)) {
                    panic!("{name} frame {n}: {id}");
                }
            }
            dec.finish();
            assert_eq!(dec.stats().fragments_incomplete, 0, "{name}");
            read += 1;
        }
        assert!(read >= 25, "only {read} captures read");
    }
}

#[cfg(test)]
mod early_filter_tests {
    use super::*;
    use crate::time::Timestamp;
    use proptest::prelude::*;

    /// An Ethernet frame (tagged or not) with a UDP datagram over IPv4 or
    /// IPv6, `body` as its payload.
    fn udp_frame(tag: bool, v6: bool, sport: u16, dport: u16, body: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        if tag {
            f.extend([0x81, 0x00, 0x00, 0x65]);
        }
        let udp_len = (8 + body.len()) as u16;
        if v6 {
            f.extend([0x86, 0xdd, 0x60, 0, 0, 0]);
            f.extend(udp_len.to_be_bytes());
            f.extend([PROTO_UDP, 64]);
            f.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[1]));
            f.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[2]));
        } else {
            f.extend([0x08, 0x00, 0x45, 0xb8]);
            f.extend((20 + udp_len).to_be_bytes());
            f.extend([0, 1, 0x40, 0, 64, PROTO_UDP, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        }
        f.extend(sport.to_be_bytes());
        f.extend(dport.to_be_bytes());
        f.extend(udp_len.to_be_bytes());
        f.extend([0, 0]);
        f.extend(body);
        f
    }

    fn frame(data: &[u8], orig_len: u32) -> Frame<'_> {
        Frame {
            number: 7,
            ts: Timestamp::new(0, 6),
            linktype: LINKTYPE_ETHERNET,
            interface: 0,
            data,
            orig_len,
        }
    }

    /// Where the filter skips, the full decode skips too and counts nothing.
    fn agrees(data: &[u8], orig_len: u32) {
        if !unwanted_udp(data) {
            return;
        }
        let mut dec = Decoder::new(DecodeLimits::default());
        let f = frame(data, orig_len);
        let truncated = (data.len() as u64) < u64::from(orig_len);
        let decoded = dec.layers(&f, truncated);
        assert!(
            matches!(decoded, Decoded::Skip),
            "{decoded:?} for {data:02x?}"
        );
        assert_eq!(dec.stats(), DecodeStats::default());
    }

    #[test]
    fn rtp_is_skipped_early_and_wanted_traffic_is_not() {
        let rtp = [0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160];
        for (tag, v6) in [(false, false), (true, false), (false, true), (true, true)] {
            assert!(unwanted_udp(&udp_frame(tag, v6, 16_384, 20_000, &rtp)));
            assert!(!unwanted_udp(&udp_frame(tag, v6, 16_384, 53, &rtp)));
            assert!(!unwanted_udp(&udp_frame(tag, v6, 5060, 30_000, &rtp)));
            assert!(!unwanted_udp(&udp_frame(
                tag,
                v6,
                40_000,
                30_000,
                b"REGISTER sip:"
            )));
            assert!(!unwanted_udp(&udp_frame(
                tag,
                v6,
                40_000,
                30_000,
                &[0, 3, 0, 1]
            )));
        }
        let mut fragment = udp_frame(false, false, 16_384, 20_000, &rtp);
        fragment[20] = 0x20; // more fragments
        assert!(!unwanted_udp(&fragment));
        let mut options = udp_frame(false, false, 16_384, 20_000, &rtp);
        options[14] = 0x46;
        assert!(!unwanted_udp(&options));
        let mut v4_in_v6 = udp_frame(false, true, 16_384, 20_000, &rtp);
        v4_in_v6[14] = 0x45;
        assert!(!unwanted_udp(&v4_in_v6));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn the_filter_never_skips_what_the_decode_would_keep(
            tag in any::<bool>(),
            v6 in any::<bool>(),
            sport in prop_oneof![Just(53u16), Just(5060), Just(16_384), any::<u16>()],
            dport in prop_oneof![Just(68u16), Just(69), Just(20_000), any::<u16>()],
            body in proptest::collection::vec(any::<u8>(), 0..24),
            edits in proptest::collection::vec((0usize..80, any::<u8>()), 0..4),
            cut in 0usize..100,
            snapped in any::<bool>(),
        ) {
            let mut data = udp_frame(tag, v6, sport, dport, &body);
            for (at, byte) in edits {
                if let Some(b) = data.get_mut(at) {
                    *b = byte;
                }
            }
            let orig_len = data.len() as u32;
            data.truncate(data.len().saturating_sub(cut % 40));
            agrees(&data, if snapped { orig_len } else { data.len() as u32 });
        }
    }
}
