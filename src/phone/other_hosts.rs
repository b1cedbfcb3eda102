//! Other hosts on a leased address (DOMAIN.md "Identity and correlation"):
//! a host that uses an address DHCP leased to a phone, without a DHCP
//! exchange of its own in the capture (a static address, or a lease from
//! before the capture began), is told apart by its Ethernet source MAC.
//!
//! A MAC counts as another host's when it sources the address and no other
//! IPv4 address (a router's speaks for many), ARP ties it to no other
//! address, it is not the MAC of a listed phone the address was leased
//! to, and it sends to a MAC the lease holder sends to (their gateway: one
//! link; a router's far side, merged into the capture, sends elsewhere).
//! A MAC that carried the lease holder's own DHCP messages (its chaddr) is
//! the holder seen behind a bridge rewriting MACs, not another host.
//! Only where some lease holder is itself seen sending from the address:
//! a capture behind a router shows every host's packets with the router's
//! MAC, and then the lease timeline alone says whose they are.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::behaviour::DhcpClient;
use super::source_macs::SourceMacs;
use crate::fact::Fact;
use crate::packet::{mac_string, ArpLog, Mac};

/// Each leased address with the MACs of the other hosts seen using it.
pub(super) fn other_hosts(
    clients: &BTreeMap<Mac, DhcpClient>,
    listed: impl Fn(&Mac) -> bool,
    macs: &SourceMacs,
    arp: &ArpLog,
    facts: &[Fact],
) -> FxHashMap<IpAddr, Vec<Mac>> {
    // Source MACs that carried a DHCP message of another client (its
    // chaddr): a bridge rewriting the client's MAC (MAC-NAT on a wireless
    // client bridge) in a capture merged from both sides of it. That MAC
    // is the client's own seen from there, never another host.
    let mut rewritten: Vec<(Mac, Mac)> = Vec::new();
    for f in facts {
        let (crate::fact::Body::Dhcp(m), Some(src)) = (&f.body, f.src_mac) else {
            continue;
        };
        if m.op == 1 && m.chaddr != src && !rewritten.contains(&(src, m.chaddr)) {
            rewritten.push((src, m.chaddr));
        }
    }
    let mut holders: FxHashMap<IpAddr, Vec<Mac>> = FxHashMap::default();
    for (mac, c) in clients {
        for ip in &c.leases {
            holders.entry(*ip).or_default().push(*mac);
        }
    }
    let mut out = FxHashMap::default();
    for (ip, held_by) in holders {
        let seen = macs.macs_of(&ip);
        let on_link: Vec<&Mac> = seen.iter().filter(|m| held_by.contains(m)).collect();
        if seen.len() < 2 || on_link.is_empty() {
            continue;
        }
        let router = |m: &Mac| match ip {
            IpAddr::V4(v4) => arp.speaks_for_other(m, v4),
            IpAddr::V6(_) => false,
        };
        let others: Vec<Mac> = seen
            .iter()
            .filter(|m| !(held_by.contains(m) && listed(m)))
            .filter(|m| macs.only_sources(m, &ip) && !router(m))
            .filter(|m| !held_by.iter().any(|h| rewritten.contains(&(**m, *h))))
            .filter(|m| on_link.iter().any(|h| macs.share_a_peer(h, m)))
            .copied()
            .collect();
        if !others.is_empty() {
            out.insert(ip, others);
        }
    }
    out
}

/// One warning per address another listed phone used while DHCP leased it
/// to a phone: the first frame it sent from it, and the lease's first ACK.
pub(super) fn warnings(
    others: &FxHashMap<IpAddr, Vec<Mac>>,
    clients: &BTreeMap<Mac, DhcpClient>,
    listed: impl Fn(&Mac) -> bool,
    facts: &[Fact],
) -> Vec<String> {
    if others.is_empty() {
        return Vec::new();
    }
    let mut first: BTreeMap<(IpAddr, Mac), u64> = BTreeMap::new();
    for f in facts {
        let (ip, Some(mac)) = (f.src_ip(), f.src_mac) else {
            continue;
        };
        if others.get(&ip).is_some_and(|o| o.contains(&mac)) && listed(&mac) {
            first.entry((ip, mac)).or_insert(f.frame);
        }
    }
    let mut out = Vec::new();
    let mut said: Vec<IpAddr> = Vec::new();
    for ((ip, mac), frame) in first {
        let lease = clients.iter().find_map(|(holder, c)| {
            let ack = c.acks.iter().find(|(a, _)| *a == ip)?.1;
            (listed(holder) && *holder != mac).then_some((holder, ack))
        });
        let Some((holder, ack)) = lease.filter(|_| !said.contains(&ip)) else {
            continue;
        };
        said.push(ip);
        out.push(format!(
            "{ip}, leased to {} (ACK #{ack}), is also used by {} (#{frame}), which has no DHCP \
             exchange for it in the capture (a static address, or a lease older than the \
             capture): two hosts with one address; each frame is given to the host whose MAC \
             it carries",
            mac_string(holder),
            mac_string(&mac)
        ));
    }
    out
}
