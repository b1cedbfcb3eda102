//! The Ethernet source MACs of each address: a host's own MAC (one per
//! address, a few addresses per MAC) as opposed to a gateway's, which
//! sources the packets of many addresses.

use std::net::IpAddr;

use rustc_hash::FxHashMap;

use crate::fact::Fact;
use crate::packet::Mac;

/// Source MACs of each address, and addresses of each source MAC.
#[derive(Default)]
pub(super) struct SourceMacs {
    of_ip: FxHashMap<IpAddr, MacsSeen>,
    /// At most [`HOST_ADDRESSES`] + 1 of them: more already says "router".
    ips_of: FxHashMap<Mac, Vec<IpAddr>>,
    /// The unicast Ethernet destinations each source MAC sent datagrams to
    /// (its next hops and peers on the link), at most [`MACS_KEPT`].
    sent_to: FxHashMap<Mac, Vec<Mac>>,
}

/// The source MACs an address was seen with: one, or more than one (the
/// first [`MACS_KEPT`] of them: hosts that used the address in turn).
#[derive(Clone)]
enum MacsSeen {
    One(Mac),
    Several(Vec<Mac>),
}

/// Source MACs remembered per address beyond the first.
const MACS_KEPT: usize = 8;

/// Most addresses a host's own MAC sources: one IPv4 and up to three IPv6.
const HOST_ADDRESSES: usize = 4;

impl SourceMacs {
    /// The host's own MAC: its packets all carry one source MAC, and that
    /// MAC is not a gateway's (the source of several addresses).
    pub(super) fn host_mac(&self, ip: &IpAddr) -> Option<Mac> {
        let mac = self.only_mac(ip)?;
        let ips = self.ips_of.get(&mac)?;
        // A dual-stack host has one IPv4 and a few IPv6 addresses; a router
        // forwards from many.
        if ips.len() > HOST_ADDRESSES {
            return None;
        }
        let v4 = ips.iter().filter(|i| i.is_ipv4()).count();
        (v4 <= 1 && ips.len() - v4 <= 3).then_some(mac)
    }

    /// The one source MAC of an address, if it has exactly one.
    pub(super) fn only_mac(&self, ip: &IpAddr) -> Option<Mac> {
        match self.of_ip.get(ip)? {
            MacsSeen::One(mac) => Some(*mac),
            MacsSeen::Several(_) => None,
        }
    }

    /// The source MACs an address was seen with (at most [`MACS_KEPT`]).
    pub(super) fn macs_of(&self, ip: &IpAddr) -> &[Mac] {
        match self.of_ip.get(ip) {
            Some(MacsSeen::One(mac)) => std::slice::from_ref(mac),
            Some(MacsSeen::Several(macs)) => macs,
            None => &[],
        }
    }

    /// Whether `a` and `b` sent to a common unicast MAC (a gateway, a
    /// server on the link): they are on one link.
    pub(super) fn share_a_peer(&self, a: &Mac, b: &Mac) -> bool {
        let (Some(x), Some(y)) = (self.sent_to.get(a), self.sent_to.get(b)) else {
            return false;
        };
        x.iter().any(|m| y.contains(m))
    }

    /// Whether `mac` is a host's own and sources no IPv4 address but `ip`
    /// (a router's sources many; see [`Self::host_mac`]).
    pub(super) fn only_sources(&self, mac: &Mac, ip: &IpAddr) -> bool {
        let Some(ips) = self.ips_of.get(mac) else {
            return false;
        };
        let v4_others = ips.iter().filter(|i| i.is_ipv4() && *i != ip).count();
        ips.contains(ip) && ips.len() <= HOST_ADDRESSES && v4_others == 0
    }
}

pub(super) fn source_macs(facts: &[Fact]) -> SourceMacs {
    let mut s = SourceMacs::default();
    let mut last = None;
    for f in facts {
        let (Some(mac), ip) = (f.src_mac, f.src_ip()) else {
            continue;
        };
        // Runs of one host's packets are common; one look per run.
        if ip.is_unspecified() || last == Some((mac, ip, f.dst_mac)) {
            continue;
        }
        last = Some((mac, ip, f.dst_mac));
        // (A TCP fact carries its connection's MACs, not its frame's: a
        // capture merged from two points mixes the two sides' MACs.)
        let to = f
            .dst_mac
            .filter(|d| d[0] & 1 == 0 && f.l4 != crate::fact::L4::Tcp);
        if let Some(to) = to {
            let peers = s.sent_to.entry(mac).or_default();
            if peers.len() < MACS_KEPT && !peers.contains(&to) {
                peers.push(to);
            }
        }
        s.of_ip
            .entry(ip)
            .and_modify(|seen| match seen {
                MacsSeen::One(m) if *m != mac => *seen = MacsSeen::Several(vec![*m, mac]),
                MacsSeen::Several(macs) if macs.len() < MACS_KEPT && !macs.contains(&mac) => {
                    macs.push(mac)
                }
                _ => {}
            })
            .or_insert(MacsSeen::One(mac));
        let ips = s.ips_of.entry(mac).or_default();
        if ips.len() <= HOST_ADDRESSES && !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    s
}
