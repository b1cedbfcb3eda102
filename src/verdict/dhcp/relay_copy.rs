//! One DHCP message seen on both sides of a relay agent (RFC 2131 4.1: the
//! relay forwards the client's broadcast to the server with `giaddr` set,
//! and the server's answer back to the client): a capture merged from both
//! links shows each message twice. The copies count once.

use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;

/// Seconds within which a relay forwards a message: a client's own
/// retransmission comes a second or more later.
const RELAY_SECS: f64 = 0.5;

/// What tells one leg of a relayed message from another.
#[derive(Clone, Copy)]
pub struct Leg {
    key: (u8, u32, [u8; 6], Option<u8>, std::net::Ipv4Addr),
    relayed: bool,
    ends: (std::net::SocketAddr, std::net::SocketAddr),
    ts: crate::time::Timestamp,
}

impl Leg {
    pub fn of(f: &Fact, m: &DhcpMessage) -> Leg {
        Leg {
            key: (m.op, m.xid, m.chaddr, m.message_type, m.yiaddr),
            relayed: !m.giaddr.is_unspecified(),
            ends: (f.src, f.dst),
            ts: f.ts,
        }
    }

    /// `self` is the relay's copy of `earlier`: the same message (op, xid,
    /// chaddr, type, yiaddr) on another leg (other source or destination),
    /// at once.
    pub fn copies(&self, earlier: &Leg) -> bool {
        let secs = earlier.ts.secs_until(&self.ts);
        self.key == earlier.key
            && (self.relayed || earlier.relayed)
            && self.ends != earlier.ends
            && (0.0..RELAY_SECS).contains(&secs)
    }
}

/// The messages without relay copies (the first leg seen stays).
pub fn without_copies<'a>(
    msgs: Vec<(&'a Fact, &'a DhcpMessage)>,
) -> Vec<(&'a Fact, &'a DhcpMessage)> {
    let mut out: Vec<(&'a Fact, &'a DhcpMessage)> = Vec::with_capacity(msgs.len());
    for (f, m) in msgs {
        let leg = Leg::of(f, m);
        let copy = (out.iter().rev().take(RECENT)).any(|(ef, em)| leg.copies(&Leg::of(ef, em)));
        if !copy {
            out.push((f, m));
        }
    }
    out
}

/// Earlier messages looked at for the original of a copy.
pub const RECENT: usize = 8;
