//! Link and network layers: from a captured frame to addresses, ports and a
//! transport payload.
//!
//! Ethernet with 802.1Q / 802.1ad / 0x9100 tag stacks (the innermost tag is
//! the voice VLAN), Linux cooked SLL and SLL2, raw IPv4/IPv6 (link types 101,
//! 228, 229), BSD loopback (0). IPv4 and IPv6 with extension headers, and
//! fragment reassembly bounded in memory and time: a transport header is only
//! ever read from a first fragment or a reassembled datagram. ICMP and ICMPv6
//! destination-unreachable messages are decoded with the header they quote.
//!
//! A cheap filter on fixed offsets runs before any full decode: UDP datagrams
//! that cannot carry a protocol provscope reads (RTP, for example) come back
//! as [`Decoded::Skip`].

use std::net::IpAddr;

use crate::capture::Frame;

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
}

/// Stateful decoder (fragment reassembly lives here).
pub struct Decoder {
    limits: DecodeLimits,
    stats: DecodeStats,
}

impl Decoder {
    pub fn new(limits: DecodeLimits) -> Self {
        Decoder {
            limits,
            stats: DecodeStats::default(),
        }
    }

    /// Decodes one frame.
    pub fn decode<'a>(&'a mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let _ = (frame, self.limits);
        todo!("packet: decode")
    }

    /// Call at the end of the capture: counts datagrams never completed.
    pub fn finish(&mut self) {}

    pub fn stats(&self) -> DecodeStats {
        self.stats
    }
}
