//! ARP over Ethernet for IPv4 (RFC 826), kept as a small log rather than as
//! facts: which address asked for which how often (the frames and times of
//! the first and last request), and which addresses spoke ARP at all (a
//! reply, a request or an announcement: a host alive on the link), and the
//! address each sender MAC spoke for (a router's MAC speaks for its own
//! address, not a phone's). A gateway that never answers its clients'
//! requests shows here. Bounded: past [`MAX_KEPT`] pairs, speakers or MACs,
//! new ones are not kept.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;

use crate::time::Timestamp;

/// Most (sender, target) pairs, and most speakers, kept.
const MAX_KEPT: usize = 1 << 16;

/// Requests for a host, over at least this many seconds, that make it
/// absent from the link (Linux asks three times a second apart before it
/// gives up a send).
pub const ABSENT_ASKS: u32 = 3;
pub const ABSENT_SECS: f64 = 1.0;

/// Requests from one address for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asks {
    pub count: u32,
    pub first: (u64, Timestamp),
    pub last: (u64, Timestamp),
}

/// What ARP told in one capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArpLog {
    asks: HashMap<(Ipv4Addr, Ipv4Addr), Asks>,
    speakers: HashSet<Ipv4Addr>,
    /// The first IPv4 address each sender MAC spoke ARP for, and whether
    /// it spoke for others too (a proxy ARP router, VRRP, a secondary
    /// address).
    owners: HashMap<[u8; 6], (Ipv4Addr, bool)>,
}

impl ArpLog {
    /// Reads one ARP message (the bytes after the link header) of frame
    /// `frame`; anything but Ethernet/IPv4 ARP is passed over.
    pub(super) fn note(&mut self, arp: &[u8], frame: u64, ts: Timestamp) {
        // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4, then the opcode.
        let Some(&[0, 1, 0x08, 0x00, 6, 4, 0, op]) = arp.get(..8) else {
            return;
        };
        let ip = |at: usize| -> Option<Ipv4Addr> {
            let b: [u8; 4] = arp.get(at..at + 4)?.try_into().ok()?;
            Some(Ipv4Addr::from(b))
        };
        let (Some(sender), Some(target)) = (ip(14), ip(24)) else {
            return;
        };
        if !sender.is_unspecified()
            && (self.speakers.len() < MAX_KEPT || self.speakers.contains(&sender))
        {
            self.speakers.insert(sender);
        }
        let mac: Option<[u8; 6]> = arp.get(8..14).and_then(|m| m.try_into().ok());
        if let (Some(mac), false) = (mac, sender.is_unspecified()) {
            let kept = self.owners.len();
            match self.owners.get_mut(&mac) {
                Some((first, several)) if *first != sender => *several = true,
                Some(_) => {}
                None if kept < MAX_KEPT => {
                    self.owners.insert(mac, (sender, false));
                }
                None => {}
            }
        }
        // A request for another address (an announcement asks for itself).
        if op != 1 || sender == target || sender.is_unspecified() {
            return;
        }
        let kept = self.asks.len();
        match self.asks.get_mut(&(sender, target)) {
            Some(a) => {
                a.count = a.count.saturating_add(1);
                a.last = (frame, ts);
            }
            None if kept < MAX_KEPT => {
                let first = (frame, ts);
                let asks = Asks {
                    count: 1,
                    first,
                    last: first,
                };
                self.asks.insert((sender, target), asks);
            }
            None => {}
        }
    }

    /// The requests `from` sent for `target`.
    pub fn asks(&self, from: Ipv4Addr, target: Ipv4Addr) -> Option<&Asks> {
        self.asks.get(&(from, target))
    }

    /// Whether `mac` spoke ARP for an address other than `ip` (it is then
    /// another host's, a router's, not the one of the host at `ip`).
    pub fn speaks_for_other(&self, mac: &[u8; 6], ip: Ipv4Addr) -> bool {
        self.owners
            .get(mac)
            .is_some_and(|(first, several)| *several || *first != ip)
    }

    /// `from`'s requests for `target` when they show no such host on the
    /// link: at least [`ABSENT_ASKS`] over [`ABSENT_SECS`] or more, and
    /// `target` never spoke ARP at all.
    pub fn absent(&self, from: Ipv4Addr, target: Ipv4Addr) -> Option<Asks> {
        let asks = *self.asks(from, target)?;
        let waited = asks.first.1.secs_until(&asks.last.1);
        let absent = asks.count >= ABSENT_ASKS && waited >= ABSENT_SECS && !self.spoke(target);
        absent.then_some(asks)
    }

    /// The MAC that spoke ARP first for `ip` (a reply "`ip` is at"), if any.
    pub fn owner_of(&self, ip: Ipv4Addr) -> Option<[u8; 6]> {
        // (The lowest of several, so that the answer does not depend on
        // the map's order.)
        self.owners
            .iter()
            .filter(|(_, (first, _))| *first == ip)
            .map(|(mac, _)| *mac)
            .min()
    }

    /// Whether `ip` sent any ARP message (it is on the link and alive).
    pub fn spoke(&self, ip: Ipv4Addr) -> bool {
        self.speakers.contains(&ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4 ARP message.
    fn arp(op: u8, sender: [u8; 4], target: [u8; 4]) -> Vec<u8> {
        let mut m = vec![0, 1, 0x08, 0x00, 6, 4, 0, op];
        m.extend([2, 0, 0, 0, 0, 1]);
        m.extend(sender);
        m.extend([0; 6]);
        m.extend(target);
        m
    }

    #[test]
    fn requests_are_counted_per_pair_and_speakers_kept() {
        let mut log = ArpLog::default();
        let ts = |s: i64| Timestamp::new(s * 1_000_000_000, 6);
        let (phone, gw) = ([192, 0, 2, 101], [192, 0, 2, 254]);
        for i in 0..3 {
            log.note(&arp(1, phone, gw), 10 + i, ts(i as i64));
        }
        let asks = log.asks(phone.into(), gw.into()).copied();
        assert_eq!(
            asks.map(|a| (a.count, a.first.0, a.last.0)),
            Some((3, 10, 12))
        );
        assert!(log.spoke(phone.into()) && !log.spoke(gw.into()));
        assert!(!log.speaks_for_other(&[2, 0, 0, 0, 0, 1], phone.into()));
        assert!(log.speaks_for_other(&[2, 0, 0, 0, 0, 1], gw.into()));
        // The gateway's reply makes it a speaker; an announcement and a
        // probe (sender 0.0.0.0) are no request for another host.
        log.note(&arp(2, gw, phone), 13, ts(3));
        assert!(log.spoke(gw.into()));
        log.note(&arp(1, [192, 0, 2, 7], [192, 0, 2, 7]), 14, ts(4));
        log.note(&arp(1, [0, 0, 0, 0], [192, 0, 2, 8]), 15, ts(5));
        assert!(log
            .asks([192, 0, 2, 7].into(), [192, 0, 2, 7].into())
            .is_none());
        assert!(log
            .asks([0, 0, 0, 0].into(), [192, 0, 2, 8].into())
            .is_none());
        // Cut or not Ethernet/IPv4: passed over.
        log.note(&arp(1, phone, gw)[..20], 16, ts(6));
        let mut other = arp(1, [10, 0, 0, 1], gw);
        other[3] = 0x06;
        log.note(&other, 17, ts(7));
        assert!(!log.spoke([10, 0, 0, 1].into()));
        assert_eq!(log.asks(phone.into(), gw.into()).map(|a| a.count), Some(3));
    }
}
