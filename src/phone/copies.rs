//! Datagrams captured twice: two capture points merged into one file (a
//! SPAN port and the gateway's port, mergecap of two taps) show every packet
//! twice, microseconds apart. Counted once, re-sent messages keep their
//! meaning: "8 SYNs" for 4 would read as a firewall, "190 bytes" for 95 as
//! two downloads.
//!
//! Copies are left out of the phones' facts (the facts output keeps every
//! frame, as tshark does). A copy is a UDP fact with the same addresses and
//! the same decoded message as one of the last [`RECENT`] between them, less
//! than [`COPY_WINDOW_NS`] apart (a merge may interleave the two points'
//! packets, or put one point's burst after the other's).
//! Equal messages with two IPv4 identifications are two sends (a DHCP
//! server answering both of a client's re-sent DISCOVERs at once, after
//! its ping check): judged once all the same, but not said to be captured
//! twice (a copy keeps the identification of its original).
//! No client re-sends a message that fast (DHCP and DNS wait a second or
//! more, SIP's T1 is 500 ms, an NTP request carries a new timestamp). TCP
//! needs nothing here: reassembly already drops re-sent bytes.

use std::collections::VecDeque;
use std::net::SocketAddr;

use rustc_hash::FxHashMap;

use crate::fact::{Fact, L4};

/// Copies of one datagram arrive within this many nanoseconds.
const COPY_WINDOW_NS: i64 = 50_000_000;

/// Originals kept per pair of addresses to match copies against.
const RECENT: usize = 16;

/// Which of `facts` (in frame order) are copies of an earlier one, and how
/// many of them are the same datagram captured twice.
pub fn copies(facts: &[Fact]) -> (Vec<bool>, usize) {
    let mut twice = 0;
    let mut recent: FxHashMap<(SocketAddr, SocketAddr), VecDeque<usize>> = FxHashMap::default();
    let mut copy = vec![false; facts.len()];
    for (i, f) in facts.iter().enumerate() {
        // (A message the snaplen cut shows only its start: two different
        // ones may look the same.)
        if f.l4 != L4::Udp || f.truncated {
            continue;
        }
        let kept = recent.entry((f.src, f.dst)).or_default();
        let same = kept.iter().filter_map(|&j| facts.get(j)).find(|prev| {
            f.ts.ns.abs_diff(prev.ts.ns) < COPY_WINDOW_NS as u64 && prev.body == f.body
        });
        match (same, copy.get_mut(i)) {
            (Some(prev), Some(c)) => {
                *c = true;
                // (Two IPv4 identifications: a second send, not a copy.)
                let resent = prev.ip_id.is_some() && f.ip_id.is_some() && prev.ip_id != f.ip_id;
                twice += usize::from(!resent);
            }
            _ => {
                if kept.len() == RECENT {
                    kept.pop_front();
                }
                kept.push_back(i);
            }
        }
    }
    (copy, twice)
}

/// Copies said in a warning: at least this many, and this share of the
/// UDP facts (a server answering each of a client's re-sends at once sends
/// equal datagrams too; a merged capture doubles everything).
const WARN_COPIES: usize = 3;
const WARN_SHARE: usize = 10;

/// The capture warning for `n` copies among `udp` UDP facts.
pub fn warning(n: usize, udp: usize) -> Option<String> {
    (n >= WARN_COPIES && n * 100 >= udp * WARN_SHARE).then(|| {
        let (n, what) = crate::text::agree(n as u64, "datagram was", "datagrams were");
        format!(
            "{n} {what} captured twice (the same message between the same hosts within 50 ms): \
             two capture points merged into one file? Each is judged once."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fact::Body;
    use crate::time::Timestamp;
    use crate::verdict::test_support::fact;

    fn udp(frame: u64, ms: i64, src: &str, body: Body) -> Fact {
        let mut f = fact(frame, 0, src, "203.0.113.123:123", body);
        f.ts = Timestamp::new(ms * 1_000_000, 6);
        f
    }

    fn malformed(why: &str) -> Body {
        Body::Malformed {
            of: "ntp",
            reason: why.into(),
        }
    }

    #[test]
    fn a_copy_is_the_same_message_between_the_same_hosts_within_50_ms() {
        let phone = "192.0.2.101:123";
        let facts = vec![
            udp(1, 0, phone, malformed("a")),
            udp(2, 0, phone, malformed("a")),
            udp(3, 1000, phone, malformed("a")),
            udp(4, 1001, "192.0.2.102:123", malformed("a")),
            udp(5, 1002, phone, malformed("b")),
        ];
        let copy = copies(&facts);
        assert_eq!(
            copy.0,
            [false, true, false, false, false],
            "a re-send a second later is kept"
        );
        // One point's packets after the other's: copies of earlier messages.
        let merged = vec![
            udp(1, 0, phone, malformed("offer")),
            udp(2, 1, phone, malformed("ack")),
            udp(3, 0, phone, malformed("offer")),
            udp(4, 1, phone, malformed("ack")),
        ];
        assert_eq!(copies(&merged).0, [false, false, true, true]);
        // Two equal answers with two IPv4 identifications: two sends.
        let mut twice = vec![
            udp(1, 0, phone, malformed("ack")),
            udp(2, 0, phone, malformed("ack")),
        ];
        twice[0].ip_id = Some(0xd669);
        twice[1].ip_id = Some(0xd66a);
        assert_eq!(
            copies(&twice),
            (vec![false, true], 0),
            "judged once, sent twice"
        );
        twice[1].ip_id = Some(0xd669);
        assert_eq!(copies(&twice), (vec![false, true], 1), "captured twice");
        assert!(
            warning(1, 10).is_none(),
            "one equal answer is no merged capture"
        );
        assert!(warning(3, 10).is_some_and(|w| w.starts_with("3 datagrams were captured twice")));
        assert!(warning(3, 100).is_none());
    }
}
