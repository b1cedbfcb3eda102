//! Correlation: who is a phone, its identity, and which facts are its own.
//!
//! A host is a phone when it shows phone behaviour (DOMAIN.md "Who is a
//! phone"): a DHCP client with a `SEP<mac>` hostname, an IP-phone vendor
//! class or a request for options 66/150/159/160; or a host that asks DNS for
//! the activation / provisioning names or a `_sip(s)._tcp` SRV, connects to
//! the SBC port, fetches a profile over TFTP/HTTP, or sends SIP REGISTER.
//! Phones are keyed by MAC where the capture shows it (DHCP chaddr, else the
//! Ethernet source of the host's packets when that MAC is not a gateway's,
//! i.e. not the source of several addresses and not one that ARP ties to
//! another address; an IPv6 address whose EUI-64 interface identifier
//! encodes a phone's MAC, `eui64.rs`), else by IP. A host sending from an address leased to
//! a phone, with its own MAC and no DHCP exchange in the capture, is
//! another host (`other_hosts.rs`). HTTP proxies and clients whose vendor
//! class names another device (PXE boot ROMs, print servers) are not phones.
//!
//! NAT is said, not merged silently (`nat.rs`): several Via
//! addresses, several phone models or MACs in User-Agents, or bursts of
//! handshakes behind one address (the entry is then known by that address,
//! not by the NAT device's MAC, unless DHCP leased it to that MAC); one
//! phone on both sides of a NAT (the same REGISTERs from two addresses),
//! and a SIP ALG when the two copies of one REGISTER transaction name
//! different Vias. Datagrams captured twice are left out
//! of the phones' facts (`copies.rs`).

mod behaviour;
mod copies;
mod describe;
mod direction;
mod eui64;
pub mod identity;
pub mod names;
mod nat;
mod other_hosts;
mod source_macs;

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::net::IpAddr;

use crate::fact::{Body, Fact};
use crate::packet::{mac_string, Mac};
use behaviour::{dhcp_clients, phone_behaviour_ips};
use describe::describe;
use direction::{directions, one_direction, other_direction};
use names::NameMap;
use nat::nat_warnings;
use source_macs::source_macs;

pub use behaviour::is_profile_file;

/// One phone and the indices of its facts (in frame order).
#[derive(Clone, Debug)]
pub struct Phone {
    /// Lowercase MAC if known, else the IP.
    pub id: String,
    pub mac: Option<Mac>,
    pub ips: Vec<IpAddr>,
    pub hostname: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub first_frame: u64,
    pub facts: Vec<usize>,
    /// The capture holds this phone's REGISTER on both sides of a SIP ALG
    /// that rewrote its Via: what was rewritten, for `sip-register`.
    pub sip_alg: Option<String>,
    /// The address holds several phones behind NAT (`nat.rs`: Via
    /// addresses, models or MACs of several; not a burst of handshakes
    /// alone): one phone's success is no recovery of another's failure.
    pub shared: bool,
}

/// Knobs of correlation.
#[derive(Clone, Copy, Debug)]
pub struct CorrelateOptions {
    pub sbc_port: u16,
    /// List every DHCP client, phone-like or not.
    pub all_dhcp_clients: bool,
    /// Hosts the capture shows ARP frames sent to (its other direction).
    pub arp_to: [Option<Mac>; crate::packet::ARP_TO_KEPT],
}

/// The phones of one capture, the name map, and what the reader should know.
#[derive(Debug)]
pub struct Correlation {
    pub phones: Vec<Phone>,
    pub names: NameMap,
    pub warnings: Vec<String>,
    /// Every phone sent and none received: the capture holds one direction.
    pub one_way: bool,
}

/// What a phone is keyed by while correlating: its MAC where known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Mac(Mac),
    Ip(IpAddr),
}

impl Key {
    /// The phone's id: the lowercase MAC, else the address.
    fn id(&self) -> String {
        match self {
            Key::Mac(m) => mac_string(m),
            Key::Ip(ip) => ip.to_string(),
        }
    }
}

/// `arp`: who spoke ARP for which address (a MAC that ARP ties to another
/// address, a router's, is not a phone's).
pub fn correlate(
    facts: &[Fact],
    opts: &CorrelateOptions,
    arp: &crate::packet::ArpLog,
) -> Correlation {
    // Five independent passes over the facts: the names behind addresses,
    // who showed phone behaviour, which MAC each address uses, and which
    // datagrams are copies of an earlier one.
    let (((names, clients), (copy, twice)), (behaviour, macs)) = rayon::join(
        || {
            rayon::join(
                || rayon::join(|| NameMap::from_facts(facts), || dhcp_clients(facts)),
                || copies::copies(facts),
            )
        },
        || rayon::join(|| phone_behaviour_ips(facts, opts), || source_macs(facts)),
    );

    // Phones keyed by MAC (DHCP, then Ethernet source), else by IP.
    let mut by_key: FxHashMap<Key, Phone> = FxHashMap::default();
    let mut ip_owner: FxHashMap<IpAddr, Key> = FxHashMap::default();
    for (mac, c) in &clients {
        if !(c.phone_like || opts.all_dhcp_clients) {
            continue;
        }
        let key = Key::Mac(*mac);
        let phone = by_key.entry(key).or_insert_with(|| new_phone(key));
        phone.first_frame = phone.first_frame.min(c.first_frame);
        for ip in &c.leases {
            if add_ip(phone, *ip) {
                ip_owner.insert(*ip, key);
            }
        }
    }
    // An address leased to several phones in turn (a phone swapped, a
    // small pool): each ACK hands it to its client until the next one.
    let mut handovers: FxHashMap<IpAddr, Vec<(u64, Key)>> = FxHashMap::default();
    for (mac, c) in &clients {
        if by_key.contains_key(&Key::Mac(*mac)) {
            for (ip, frame) in &c.acks {
                handovers
                    .entry(*ip)
                    .or_default()
                    .push((*frame, Key::Mac(*mac)));
            }
        }
    }
    handovers.retain(|_, acks| {
        acks.sort_unstable_by_key(|(frame, _)| *frame);
        acks.windows(2).any(|w| w[0].1 != w[1].1)
    });
    // Hosts using a leased address with their own MAC: theirs, not the
    // lease holder's (a static address, a lease older than the capture).
    let others = other_hosts::other_hosts(
        &clients,
        |m| by_key.contains_key(&Key::Mac(*m)),
        &macs,
        arp,
        facts,
    );
    let other = |ip: &IpAddr, mac: Option<Mac>| {
        others
            .get(ip)
            .is_some_and(|o| mac.is_some_and(|m| o.contains(&m)))
    };
    let natted = &behaviour.natted;
    // Addresses some host other than those behaved like a phone on.
    let mut not_only_others: FxHashSet<IpAddr> = FxHashSet::default();
    let mut other_phones: Vec<(Mac, IpAddr)> = Vec::new();
    for (ip, mac) in &behaviour.by_mac {
        match mac.filter(|m| other(ip, Some(*m))) {
            Some(mac) => other_phones.push((mac, *ip)),
            None => {
                not_only_others.insert(*ip);
            }
        }
    }
    other_phones.sort_unstable();
    for (mac, ip) in other_phones {
        let key = Key::Mac(mac);
        let phone = by_key.entry(key).or_insert_with(|| new_phone(key));
        add_ip(phone, ip);
    }
    let lease_owner: FxHashMap<IpAddr, Mac> = clients
        .iter()
        .flat_map(|(mac, c)| c.leases.iter().map(move |ip| (*ip, *mac)))
        .collect();
    for (ip, first) in &behaviour.ips {
        // (Only other hosts behaved like a phone on it: they have theirs.)
        if ip_owner.contains_key(ip) || !not_only_others.contains(ip) {
            continue;
        }
        // A DHCP phone's MAC claims its other addresses (IPv6, a static IP).
        let phone_mac = macs
            .only_mac(ip)
            .filter(|m| by_key.contains_key(&Key::Mac(*m)));
        // A SLAAC address whose EUI-64 identifier is a known phone's MAC.
        let slaac_mac = eui64::eui64_mac(ip)
            .filter(|m| by_key.contains_key(&Key::Mac(*m)) && !natted.contains(ip));
        let mac = lease_owner
            .get(ip)
            .copied()
            .or(phone_mac)
            .or(slaac_mac)
            .or_else(|| {
                let ip4 = match ip {
                    IpAddr::V4(v4) => Some(*v4),
                    IpAddr::V6(_) => None,
                };
                // (A MAC that ARP names for another address is a router's.)
                let own = |m: &Mac| ip4.is_none_or(|i| !arp.speaks_for_other(m, i));
                macs.host_mac(ip).filter(|m| !natted.contains(ip) && own(m))
            });
        let key = mac.map_or(Key::Ip(*ip), Key::Mac);
        let phone = by_key.entry(key).or_insert_with(|| new_phone(key));
        phone.first_frame = phone.first_frame.min(*first);
        if add_ip(phone, *ip) {
            ip_owner.insert(*ip, key);
        }
    }

    // Each fact to the phones it concerns (a DHCP message to its client's,
    // anything else to the phones of its two addresses): the owners are
    // looked up in parallel, then the facts handed out in frame order.
    let (keys, mut phones): (Vec<Key>, Vec<Phone>) = by_key.into_iter().unzip();
    let index: FxHashMap<Key, u32> = keys.into_iter().zip(0u32..).collect();
    let phone_of = |k: Key| index.get(&k).copied();
    let owners: Vec<[Option<u32>; 2]> = facts
        .par_iter()
        .map(|f| match &f.body {
            Body::Dhcp(m) => [phone_of(Key::Mac(m.chaddr)), None],
            _ => {
                // A shared address: the frame's own MAC, when it is one of
                // the phones sharing it, beats the lease timeline (a phone
                // still using the address after the next one got it).
                let owner = |ip: IpAddr, mac: Option<Mac>| match handovers.get(&ip) {
                    _ if other(&ip, mac) => mac.map(Key::Mac),
                    Some(acks) => mac
                        .map(Key::Mac)
                        .filter(|k| acks.iter().any(|(_, a)| a == k))
                        .or_else(|| holder(acks, f.frame)),
                    None => ip_owner.get(&ip).copied(),
                };
                let src = owner(f.src_ip(), f.src_mac).and_then(phone_of);
                let dst = owner(f.dst_ip(), f.dst_mac).and_then(phone_of);
                [src, dst.filter(|d| src != Some(*d))]
            }
        })
        .collect();
    // A phone's first frame is the first it sent (or its DHCP exchange's):
    // a phone and the proxy it talks to are then ordered by who began.
    let mut first_heard = vec![u64::MAX; phones.len()];
    for (i, (f, owners)) in facts.iter().zip(owners).enumerate() {
        if copy.get(i).copied().unwrap_or(false) {
            continue;
        }
        for (side, p) in owners.into_iter().enumerate() {
            let Some(p) = p else { continue };
            if let Some(phone) = phones.get_mut(p as usize) {
                phone.facts.push(i);
                phone.first_frame = phone.first_frame.min(f.frame);
                let own = side == 0 || matches!(f.body, Body::Dhcp(_));
                if let (true, Some(h)) = (own, first_heard.get_mut(p as usize)) {
                    *h = (*h).min(f.frame);
                }
            }
        }
    }
    for (p, heard) in phones.iter_mut().zip(first_heard) {
        if heard != u64::MAX {
            p.first_frame = heard;
        }
    }
    phones.retain(|p| !p.facts.is_empty());
    phones.par_iter_mut().for_each(|p| describe(p, facts));
    phones.sort_by(|a, b| a.first_frame.cmp(&b.first_frame).then(a.id.cmp(&b.id)));
    let ((nat, duplicates), (sent, received)) = rayon::join(
        || {
            rayon::join(
                || nat_warnings(&phones, facts),
                || duplicate_addresses(&handovers, facts),
            )
        },
        || directions(&phones, facts),
    );
    let mut warnings = nat.warnings;
    warnings.extend(duplicates);
    let listed = |m: &Mac| phones.iter().any(|p| p.mac == Some(*m));
    warnings.extend(other_hosts::warnings(&others, &clients, listed, facts));
    for (i, text) in nat.alg {
        if let Some(p) = phones.get_mut(i) {
            p.sip_alg = Some(text);
        }
    }
    // Several phones behind one address: the Ethernet source is the NAT
    // device's, not a phone's (unless DHCP leased it to that MAC).
    for &i in &nat.natted {
        let Some(p) = phones.get_mut(i) else { continue };
        p.shared = !nat.guessed.contains(&i);
        let leased = p.mac.is_some_and(|mac| {
            p.facts
                .iter()
                .filter_map(|&f| facts.get(f))
                .any(|f| matches!(&f.body, Body::Dhcp(m) if m.chaddr == mac))
        });
        if let (Some(_), false, Some(ip)) = (p.mac, leased, p.ips.first()) {
            let by_ip = ip.to_string();
            for w in warnings.iter_mut() {
                *w = w.replace(&p.id, &by_ip);
            }
            p.id = by_ip;
            p.mac = None;
        }
    }
    phones.sort_by(|a, b| a.first_frame.cmp(&b.first_frame).then(a.id.cmp(&b.id)));
    let udp = facts
        .iter()
        .filter(|f| f.l4 == crate::fact::L4::Udp)
        .count();
    warnings.extend(copies::warning(twice, udp));
    // An ARP frame sent to a phone: the capture holds its other direction
    // too, the servers just did not answer.
    let arp_to_phone = phones
        .iter()
        .any(|p| p.mac.is_some_and(|m| opts.arp_to.contains(&Some(m))));
    let one_way = one_direction(sent, received).filter(|_| !arp_to_phone);
    warnings.extend(one_way.clone());
    warnings.extend(other_direction(sent, received));
    Correlation {
        phones,
        names,
        warnings,
        one_way: one_way.is_some(),
    }
}

/// A phone sending from an address leased to another phone at that time
/// (it kept the address after losing its lease): one warning per address.
fn duplicate_addresses(
    handovers: &FxHashMap<IpAddr, Vec<(u64, Key)>>,
    facts: &[Fact],
) -> Vec<String> {
    if handovers.is_empty() {
        return Vec::new();
    }
    let mut seen: BTreeMap<IpAddr, String> = BTreeMap::new();
    for f in facts {
        let (ip, Some(mac)) = (f.src_ip(), f.src_mac) else {
            continue;
        };
        let Some(acks) = handovers.get(&ip) else {
            continue;
        };
        let (Some(Key::Mac(holder_mac)), true) = (
            holder(acks, f.frame),
            acks.iter().any(|(_, k)| *k == Key::Mac(mac)),
        ) else {
            continue;
        };
        if holder_mac == mac || seen.contains_key(&ip) {
            continue;
        }
        let ack = acks
            .iter()
            .rev()
            .find(|(frame, k)| *frame <= f.frame && *k == Key::Mac(holder_mac))
            .map_or(0, |(frame, _)| *frame);
        seen.insert(
            ip,
            format!(
                "{ip} is used by {} (#{}) while it is leased to {} (ACK #{ack}): two phones \
                 with one address; each frame is given to the phone whose MAC it carries",
                mac_string(&mac),
                f.frame,
                mac_string(&holder_mac)
            ),
        );
    }
    seen.into_values().collect()
}

/// Who holds an address at `frame`: the client of the last ACK at or
/// before it (the first client before any). `acks` is sorted by frame.
fn holder(acks: &[(u64, Key)], frame: u64) -> Option<Key> {
    let after = acks.partition_point(|(f, _)| *f <= frame);
    acks.get(after.saturating_sub(1)).map(|(_, key)| *key)
}

fn new_phone(key: Key) -> Phone {
    Phone {
        id: key.id(),
        mac: match key {
            Key::Mac(m) => Some(m),
            Key::Ip(_) => None,
        },
        ips: Vec::new(),
        hostname: None,
        model: None,
        firmware: None,
        first_frame: u64::MAX,
        facts: Vec::new(),
        sip_alg: None,
        shared: false,
    }
}

/// Most addresses one phone (or one DHCP client) is given: a phone has an
/// IPv4 address and a few IPv6 ones; a MAC handed thousands of leases is
/// hostile input, and checking each new address against all of them would
/// be quadratic.
const MAX_ADDRESSES: usize = 16;

/// ACKs remembered per DHCP client (renewals every few minutes over an
/// hour stay far below).
const MAX_ACKS_KEPT: usize = 256;

/// Adds an address to the phone (the unspecified address is owned but not
/// listed); false when it is one past [`MAX_ADDRESSES`] and not the phone's.
fn add_ip(p: &mut Phone, ip: IpAddr) -> bool {
    if ip.is_unspecified() || p.ips.contains(&ip) {
        return true;
    }
    if p.ips.len() >= MAX_ADDRESSES {
        log::debug!(
            "phone: {} has {MAX_ADDRESSES} addresses, {ip} ignored",
            p.id
        );
        return false;
    }
    p.ips.push(ip);
    true
}

/// The user part of a From/To header value, e.g. `5551001`.
pub fn aor_user(header: &str) -> Option<String> {
    let start = header.find("sip:").or_else(|| header.find("sips:"))?;
    let rest = &header[start..];
    let rest = rest.split_once(':')?.1;
    let user = rest.split(['@', '>', ';']).next()?;
    rest.contains('@').then(|| user.to_string())
}

#[cfg(test)]
mod tests;
