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
}

/// The source MACs an address was seen with: one, or more than one.
#[derive(Clone, Copy)]
enum MacsSeen {
    One(Mac),
    Several,
}

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
            MacsSeen::Several => None,
        }
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
        if ip.is_unspecified() || last == Some((mac, ip)) {
            continue;
        }
        last = Some((mac, ip));
        s.of_ip
            .entry(ip)
            .and_modify(|seen| {
                if matches!(seen, MacsSeen::One(m) if *m != mac) {
                    *seen = MacsSeen::Several;
                }
            })
            .or_insert(MacsSeen::One(mac));
        let ips = s.ips_of.entry(mac).or_default();
        if ips.len() <= HOST_ADDRESSES && !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    s
}
