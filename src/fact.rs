//! Facts: what the decoders saw, one record per decoded message, with the
//! frame that completed it, the time and the endpoints. Facts are the raw
//! evidence behind every verdict and what `--format facts` prints, like a
//! Zeek log.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::flow::{Answered, Astray};
use crate::packet::{mac_string, Mac, UnreachKind};
use crate::proto::{dhcp, dns, http, ntp, sip, tftp, tls};
use crate::time::Timestamp;

/// Transport protocol a fact was carried on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum L4 {
    Udp,
    Tcp,
    Icmp,
}

/// How a TCP connection attempt ended (see [`crate::flow::ConnOutcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpResult {
    Established,
    Refused,
    Unreachable,
    NoAnswer,
}

/// A TCP connection attempt and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TcpAttempt {
    pub result: TcpResult,
    /// Client SYNs, retransmissions included.
    pub syns: u32,
    pub first_syn_frame: u64,
    /// Time of the first SYN (the connection's first packet when no SYN was seen).
    #[serde(rename = "first_syn_time")]
    pub first_syn_ts: Timestamp,
    /// The SYN-ACK, RST or ICMP frame; the last SYN when unanswered.
    pub answer_frame: u64,
    pub saw_syn: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreach: Option<UnreachKind>,
    /// Who sent that ICMP (the server itself, or a router on the way).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreach_from: Option<IpAddr>,
    /// Established, but the capture lacks the SYN-ACK: what showed the
    /// answer instead (the phone's handshake ACK, the server's traffic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synack_unseen: Option<Answered>,
    /// Unanswered, but SYN-ACKs or RSTs acknowledging the SYNs came from
    /// another socket (a NAT rewriting the server's side, a device
    /// answering for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub astray: Option<Astray>,
}

/// An ICMP unreachable answering a UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct IcmpUnreach {
    pub kind: UnreachKind,
    pub code: u8,
    pub orig_proto: u8,
    /// The datagram that was refused: its sender and destination.
    pub orig_src: SocketAddr,
    pub orig_dst: SocketAddr,
    /// The next-hop MTU a packet too big names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
}

impl IcmpUnreach {
    /// ICMPv4 'fragmentation needed and DF set' (type 3 code 4) or ICMPv6
    /// packet too big: a request for smaller datagrams, not a refusal.
    pub fn frag_needed(&self) -> bool {
        self.kind == UnreachKind::PacketTooBig
    }
}

/// The decoded content of a fact.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "proto", rename_all = "lowercase")]
pub enum Body {
    Dhcp(dhcp::DhcpMessage),
    Dns(dns::DnsMessage),
    Tftp(tftp::TftpPacket),
    Http(http::HttpMessage),
    Tls {
        /// Connection number inside the capture (links events of one connection).
        conn: u64,
        from_client: bool,
        event: tls::TlsEvent,
    },
    Sip(Box<sip::SipMessage>),
    Ntp(ntp::NtpPacket),
    Tcp {
        conn: u64,
        #[serde(flatten)]
        attempt: TcpAttempt,
    },
    Icmp(IcmpUnreach),
    /// An ICMPv6 packet too big, or a fragmentation needed about TCP: path
    /// MTU discovery asking for smaller packets. Only a note beside the
    /// stage it slowed (IPv4's about UDP stays `Icmp`, read as before).
    #[serde(rename = "packet_too_big")]
    TooBig(IcmpUnreach),
    /// A FIN or RST on a connection that carried a protocol we read.
    Closed {
        conn: u64,
        from_client: bool,
        rst: bool,
        /// The other side had acknowledged every byte this side sent.
        peer_acked: bool,
        /// The other side had sent nothing (none captured, none acknowledged).
        peer_silent: bool,
        /// This side had acknowledged bytes of the other side's that the
        /// capture lacks.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        peer_unseen: bool,
        /// This side sent bytes the capture lacks (its FIN comes after
        /// them, or the other side acknowledged them).
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        own_unseen: bool,
        /// An HTTPS download followed to its close: what the client and the
        /// server had sent inside the session by then.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        tls: Option<Box<[tls::Tail; 2]>>,
    },
    /// The capture ends with this side's bytes re-sent and never
    /// acknowledged, the other side silent (see `flow::TcpEvent::Unacked`).
    Unacked {
        conn: u64,
        from_client: bool,
        resent: u32,
        /// The server re-sent its SYN-ACK after the handshake: nothing the
        /// client sent after its SYN reached it.
        synack_again: bool,
        /// The other side had spoken before and went silent (see
        /// `flow::TcpEvent::Unacked`).
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        went_silent: bool,
        /// The other side selectively acknowledged (SACK) bytes past its
        /// acknowledgment: the later segments arrived, the first never did.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        sacked: bool,
    },
    /// A hole in this side's bytes that the other side's acknowledgments
    /// never passed, to the connection's end: `missing` bytes sent (the
    /// capture holds `held` bytes after them) that never reached the other
    /// side; the fact's frame brought the first bytes after the hole. What
    /// came after it was never read (the receiver could not read it either).
    Unreceived {
        conn: u64,
        from_client: bool,
        missing: u64,
        held: u64,
    },
    /// Bytes this side sent that the capture lacks though they were sent
    /// (the other side acknowledged them, or this side's FIN comes after
    /// them; not cut by the snaplen): the capture dropped them. `after` is
    /// this side's last captured payload before them (0: none), so they
    /// were sent between that frame and this fact's.
    Lost {
        conn: u64,
        from_client: bool,
        after: u64,
        /// Cut by the capture's snaplen instead (the first cut of this
        /// side of a TLS connection): sent whole, captured in part.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        snaplen: bool,
        /// That cut hid what this side said (see `proto::tls::Cut`): a
        /// TLS record other than application data; said for the first
        /// such cut of the side too.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        hides: bool,
        /// The content type of the record the cut fell in, when the first
        /// octet of its header came.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        content_type: Option<u8>,
    },
    /// ICMP errors answered the client's bytes after the handshake, which
    /// the server never acknowledged (see `flow::TcpEvent::DataUnreachable`);
    /// the fact's frame is the first ICMP.
    #[serde(rename = "data_unreachable")]
    DataUnreachable {
        conn: u64,
        kind: UnreachKind,
        sender: IpAddr,
        count: u32,
    },
    /// The first fragment of a UDP datagram whose other fragments never all
    /// came (the frame is that first fragment's): sent, and lost on the way.
    #[serde(rename = "fragments_lost")]
    FragmentsLost {
        /// Payload bytes that arrived, in how many fragments.
        held_bytes: usize,
        fragments: u64,
    },
    /// A message of a known protocol that could not be decoded.
    Malformed {
        of: &'static str,
        reason: String,
    },
}

/// One decoded fact.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fact {
    pub frame: u64,
    #[serde(rename = "time")]
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub l4: L4,
    #[serde(serialize_with = "ser_mac")]
    pub src_mac: Option<Mac>,
    /// The Ethernet destination where it tells the receiving host (not
    /// output: it only keeps apart hosts that share an address).
    #[serde(skip)]
    pub dst_mac: Option<Mac>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    /// The payload was cut by the capture's snaplen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// The IPv4 identification of a datagram (not output: it only tells
    /// a datagram captured twice from two equal sends).
    #[serde(skip)]
    pub ip_id: Option<u16>,
    #[serde(flatten)]
    pub body: Body,
}

fn ser_mac<S: serde::Serializer>(mac: &Option<Mac>, s: S) -> Result<S::Ok, S::Error> {
    match mac {
        Some(m) => s.serialize_str(&mac_string(m)),
        None => s.serialize_none(),
    }
}

impl Fact {
    /// The IP of the side that sent it.
    pub fn src_ip(&self) -> IpAddr {
        self.src.ip()
    }

    pub fn dst_ip(&self) -> IpAddr {
        self.dst.ip()
    }

    /// Short protocol name of the body.
    pub fn proto(&self) -> &'static str {
        match &self.body {
            Body::Dhcp(_) => "dhcp",
            Body::Dns(_) => "dns",
            Body::Tftp(_) => "tftp",
            Body::Http(_) => "http",
            Body::Tls { .. } => "tls",
            Body::Sip(_) => "sip",
            Body::Ntp(_) => "ntp",
            Body::Tcp { .. } => "tcp",
            Body::Icmp(_) | Body::TooBig(_) => "icmp",
            Body::Closed { .. }
            | Body::Unacked { .. }
            | Body::Unreceived { .. }
            | Body::Lost { .. }
            | Body::DataUnreachable { .. } => "tcp",
            Body::FragmentsLost { .. } => "fragments_lost",
            Body::Malformed { .. } => "malformed",
        }
    }
}
