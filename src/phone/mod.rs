//! Correlation: who is a phone, its identity, and which facts are its own.
//!
//! A host is a phone when it shows phone behaviour (DOMAIN.md "Who is a
//! phone"): a DHCP client with a `SEP<mac>` hostname, an IP-phone vendor
//! class or a request for options 66/150/159/160; or a host that asks DNS for
//! the activation / provisioning names or a `_sip(s)._tcp` SRV, connects to
//! the SBC port, fetches a profile over TFTP/HTTP, or sends SIP REGISTER.
//! Phones are keyed by MAC where the capture shows it (DHCP chaddr, else the
//! Ethernet source of the host's packets when that MAC is not a gateway's,
//! i.e. not the source of several addresses), else by IP. HTTP proxies and
//! PXE-booting PCs are not phones.
//!
//! NAT is said, not merged silently (`nat_warnings`): several Via
//! addresses, several phone models or bursts of handshakes behind one
//! address; one phone on both sides of a NAT (the same REGISTERs from two
//! addresses), and a SIP ALG when the two copies of one REGISTER
//! transaction name different Vias. Datagrams captured twice are left out
//! of the phones' facts (`copies.rs`).

mod copies;
pub mod identity;
pub mod names;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::net::IpAddr;

use crate::fact::{Body, Fact};
use crate::packet::{mac_string, Mac};
use crate::proto::{http, sip, tftp, tls};
use crate::text::printable;
use names::NameMap;

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

/// What one DHCP client said and was given.
#[derive(Default)]
struct DhcpClient {
    phone_like: bool,
    leases: Vec<IpAddr>,
    /// Frames of the ACKs that gave each address (renewals too), bounded.
    acks: Vec<(IpAddr, u64)>,
    first_frame: u64,
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

pub fn correlate(facts: &[Fact], opts: &CorrelateOptions) -> Correlation {
    // Five independent passes over the facts: the names behind addresses,
    // who showed phone behaviour, which MAC each address uses, and which
    // datagrams are copies of an earlier one.
    let (((names, clients), copy), ((behaving, natted), macs)) = rayon::join(
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
    let lease_owner: FxHashMap<IpAddr, Mac> = clients
        .iter()
        .flat_map(|(mac, c)| c.leases.iter().map(move |ip| (*ip, *mac)))
        .collect();
    for (ip, first) in &behaving {
        if ip_owner.contains_key(ip) {
            continue;
        }
        // A DHCP phone's MAC claims its other addresses (IPv6, a static IP).
        let phone_mac = macs
            .only_mac(ip)
            .filter(|m| by_key.contains_key(&Key::Mac(*m)));
        let mac = lease_owner
            .get(ip)
            .copied()
            .or(phone_mac)
            .or_else(|| macs.host_mac(ip).filter(|_| !natted.contains(ip)));
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
    let (((mut warnings, alg), duplicates), (sent, received)) = rayon::join(
        || {
            rayon::join(
                || nat_warnings(&phones, facts),
                || duplicate_addresses(&handovers, facts),
            )
        },
        || directions(&phones, facts),
    );
    warnings.extend(duplicates);
    for (i, text) in alg {
        if let Some(p) = phones.get_mut(i) {
            p.sip_alg = Some(text);
        }
    }
    let udp = facts
        .iter()
        .filter(|f| f.l4 == crate::fact::L4::Udp)
        .count();
    warnings.extend(copies::warning(copy.iter().filter(|c| **c).count(), udp));
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

/// Messages the phones must have sent (or received), with none going the
/// other way, before a capture counts as holding one direction only.
const ONE_WAY_MIN_SENT: usize = 5;

/// Did phone `p` send `f` (`Some(false)`: receive it)? `None` where a fact
/// stands for both directions (a TCP attempt's outcome, a malformed message).
fn sent_by(p: &Phone, f: &Fact) -> Option<bool> {
    match &f.body {
        Body::Dhcp(m) => Some(m.op == 1),
        Body::Tcp { .. } | Body::Unacked { .. } | Body::Malformed { .. } => None,
        _ if p.ips.contains(&f.src_ip()) => Some(true),
        _ => p.ips.contains(&f.dst_ip()).then_some(false),
    }
}

/// Messages the phones sent and received.
fn directions(phones: &[Phone], facts: &[Fact]) -> (usize, usize) {
    let (mut sent, mut received) = (0usize, 0usize);
    for p in phones {
        for f in p.facts.iter().filter_map(|&i| facts.get(i)) {
            match sent_by(p, f) {
                Some(true) => sent += 1,
                Some(false) => received += 1,
                None => {}
            }
        }
    }
    (sent, received)
}

/// Every phone sent and none received anything: the capture holds one
/// direction (a SPAN or tap on one side), and the answers missing from it
/// say nothing about the network.
fn one_direction(sent: usize, received: usize) -> Option<String> {
    (received == 0 && sent >= ONE_WAY_MIN_SENT).then(|| {
        format!(
            "the phones sent {sent} messages and received none: the capture seems to hold one \
             direction of the traffic only (a SPAN or tap on one side); answers missing from it \
             may have been sent all the same"
        )
    })
}

/// The other side of a tap: every phone received and none sent anything
/// (phones are then known by DHCP answers and what was sent to them).
fn other_direction(sent: usize, received: usize) -> Option<String> {
    (sent == 0 && received >= ONE_WAY_MIN_SENT).then(|| {
        format!(
            "the phones received {received} messages and sent none: the capture seems to hold \
             one direction of the traffic only (a SPAN or tap on one side); what the phones sent \
             is missing from it, and the stages it shows are judged from the answers alone"
        )
    })
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

fn dhcp_clients(facts: &[Fact]) -> BTreeMap<Mac, DhcpClient> {
    let mut out: BTreeMap<Mac, DhcpClient> = BTreeMap::new();
    for f in facts {
        let Body::Dhcp(m) = &f.body else { continue };
        let c = out.entry(m.chaddr).or_insert_with(|| DhcpClient {
            first_frame: f.frame,
            ..Default::default()
        });
        if m.op == 1 {
            let host = m.option(12).map(|h| String::from_utf8_lossy(h).to_string());
            let vc = m.option(60).map(|v| String::from_utf8_lossy(v).to_string());
            let prl = m.option(55).unwrap_or(&[]);
            // A PXE boot ROM asks for 66 too (RFC 4578: client architecture
            // 93, machine identifier 97; vendor class "PXEClient:...").
            let pxe = vc.as_deref().is_some_and(|v| v.starts_with("PXEClient"))
                || m.option(93).is_some()
                || m.option(97).is_some();
            c.phone_like |= host.as_deref().and_then(identity::mac_from_sep).is_some()
                || vc.as_deref().is_some_and(identity::looks_like_phone_vendor)
                || !pxe && prl.iter().any(|o| matches!(o, 66 | 150 | 159 | 160));
            // A declined address (in use by another host) is not the phone's.
            if let (Some(4), Some(ip)) = (m.message_type, m.requested_ip()) {
                c.leases.retain(|l| *l != IpAddr::V4(ip));
            }
        } else if m.message_type == Some(5) && !m.yiaddr.is_unspecified() {
            let ip = IpAddr::V4(m.yiaddr);
            if !c.leases.contains(&ip) && c.leases.len() < MAX_ADDRESSES {
                c.leases.push(ip);
            }
            if c.acks.len() < MAX_ACKS_KEPT {
                c.acks.push((ip, f.frame));
            }
        }
    }
    out
}

/// Addresses that behaved like a phone, with the first frame showing it.
/// Also returns the addresses whose REGISTERs show NAT: the Ethernet source
/// of their packets is then the NAT device's, not a phone's.
fn phone_behaviour_ips(
    facts: &[Fact],
    opts: &CorrelateOptions,
) -> (Vec<(IpAddr, u64)>, FxHashSet<IpAddr>) {
    let mut seen: BTreeMap<IpAddr, u64> = BTreeMap::new();
    let mut natted = FxHashSet::default();
    // HTTP proxies: what they resolve and connect to is their clients' doing.
    let mut proxies = FxHashSet::default();
    for f in facts {
        if let Body::Http(http::HttpMessage::Request { method, .. }) = &f.body {
            if method.eq_ignore_ascii_case("CONNECT") {
                proxies.insert(f.dst_ip());
            }
        }
        let phone_name = |m: &crate::proto::dns::DnsMessage| {
            m.questions.iter().any(|q| {
                names::is_activation_name(&q.name)
                    || names::is_provisioning_name(&q.name)
                    || names::is_sip_srv_name(&q.name)
            })
        };
        let client_ip = match &f.body {
            Body::Dns(m) if !m.response => phone_name(m).then(|| f.src_ip()),
            // A DNS server's answer says who asked (a capture of one
            // direction holds the answers only).
            Body::Dns(m) if f.src.port() == 53 => phone_name(m).then(|| f.dst_ip()),
            Body::Tls {
                from_client: true,
                event: tls::TlsEvent::ClientHello { sni, .. },
                ..
            } => sni
                .as_deref()
                .is_some_and(|s| names::is_activation_name(s) || names::is_provisioning_name(s))
                .then(|| f.src_ip()),
            Body::Tcp { .. } => (f.dst.port() == opts.sbc_port).then(|| f.src_ip()),
            Body::Tftp(tftp::TftpPacket::Rrq { filename, .. }) => {
                is_profile_file(filename).then(|| f.src_ip())
            }
            // A profile by its name, or any request with a phone's own
            // User-Agent (Cisco-CP-8851-3PCC/12.0.2).
            Body::Http(http::HttpMessage::Request {
                target, user_agent, ..
            }) => (is_profile_file(target)
                || user_agent
                    .as_deref()
                    .and_then(identity::model_from)
                    .is_some_and(|m| m.contains("3PCC")))
            .then(|| f.src_ip()),
            Body::Sip(m) => match &m.start {
                sip::StartLine::Request { method, .. } if method == "REGISTER" => {
                    if sip::nat_evidence(m, f.src_ip()).is_some() {
                        natted.insert(f.src_ip());
                    }
                    Some(f.src_ip())
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(ip) = client_ip {
            seen.entry(ip).or_insert(f.frame);
        }
    }
    let mut v: Vec<(IpAddr, u64)> = seen
        .into_iter()
        .filter(|(ip, _)| !proxies.contains(ip))
        .collect();
    v.sort_by_key(|(_, f)| *f);
    (v, natted)
}

/// A file name a phone asks for as its profile (or its trust list, CTL/ITL .tlv).
pub fn is_profile_file(target: &str) -> bool {
    let t = target.to_ascii_lowercase();
    let path = t.split(['?', '#']).next().unwrap_or("");
    let file = path.rsplit('/').next().unwrap_or(path);
    // A .cfg is a phone's when named like one (spa<model>.cfg, SEP<mac>,
    // CP-<model>, a MAC): a boot loader's grub.cfg is not.
    let mac = file
        .as_bytes()
        .windows(12)
        .any(|w| w.iter().all(u8::is_ascii_hexdigit));
    let phone_cfg = file.ends_with(".cfg")
        && (file.starts_with("spa") || file.starts_with("cp") || file.contains("sep") || mac);
    path.ends_with(".xml") || path.ends_with(".tlv") || phone_cfg || file.contains("sep")
}

/// Source MACs of each address, and addresses of each source MAC.
#[derive(Default)]
struct SourceMacs {
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
    fn host_mac(&self, ip: &IpAddr) -> Option<Mac> {
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
    fn only_mac(&self, ip: &IpAddr) -> Option<Mac> {
        match self.of_ip.get(ip)? {
            MacsSeen::One(mac) => Some(*mac),
            MacsSeen::Several => None,
        }
    }
}

fn source_macs(facts: &[Fact]) -> SourceMacs {
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

/// Hostname, model and firmware from the phone's own facts.
fn describe(p: &mut Phone, facts: &[Fact]) {
    let own = p.facts.clone();
    for i in own {
        let f = &facts[i];
        match &f.body {
            Body::Dhcp(m) if m.op == 1 => {
                if let Some(h) = m.option(12) {
                    p.hostname.get_or_insert_with(|| text(h));
                }
                if let Some(vc) = m.option(60) {
                    if p.model.is_none() {
                        p.model = identity::model_from(&text(vc));
                    }
                }
            }
            // Only what the phone sent: a proxy receives its clients' agents.
            Body::Http(http::HttpMessage::Request {
                user_agent: Some(ua),
                ..
            }) if p.ips.contains(&f.src_ip()) => user_agent(p, ua),
            Body::Sip(m) if Some(f.src_ip()) == p.ips.first().copied() => {
                if let Some(ua) = &m.user_agent {
                    user_agent(p, ua);
                }
            }
            Body::Tftp(tftp::TftpPacket::Rrq { filename, .. })
                if p.model.is_none() && p.ips.contains(&f.src_ip()) =>
            {
                p.model = identity::model_from(filename).filter(|m| m.contains("3PCC"));
            }
            _ => {}
        }
    }
}

fn user_agent(p: &mut Phone, ua: &str) {
    if let Some(m) = identity::model_from(ua) {
        p.model.get_or_insert(m);
        if p.firmware.is_none() {
            p.firmware = identity::firmware_from_user_agent(ua);
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches('\0')
        .to_string()
}

/// One address speaking for several phones: a NAT (or a SIP proxy) between
/// the phones and the capture point.
///
/// Also one phone seen twice: the same REGISTERs (one Call-ID local part,
/// From tag and user) sent from two phones' addresses, as a capture of both
/// sides of a NAT shows them.
///
/// When the copies of one transaction (also the same CSeq and top Via
/// branch, which an ALG keeps and a B2BUA or a new REGISTER does not) name
/// different Via addresses (as many of them), a SIP ALG rewrote the
/// REGISTER between the two capture points (plain NAT leaves the Via as the
/// phone wrote it): each phone involved gets that said (second list: phone
/// index, the words).
fn nat_warnings(phones: &[Phone], facts: &[Fact]) -> (Vec<String>, Vec<(usize, String)>) {
    let mut out = Vec::new();
    // Keyed by the Call-ID's local part, the From tag and the From user: a
    // SIP ALG may rewrite the host after the Call-ID's '@', never those.
    let mut senders: BTreeMap<(&str, &str, String), BTreeSet<&str>> = BTreeMap::new();
    let mut register_copies: BTreeMap<RegisterKey<'_>, Vec<RegisterCopy>> = BTreeMap::new();
    for (index, p) in phones.iter().enumerate() {
        let mut users: BTreeSet<String> = BTreeSet::new();
        // Addresses REGISTERs name in their Via, other than their source.
        let mut vias: BTreeSet<IpAddr> = BTreeSet::new();
        // The models its REGISTERs' User-Agents name, by model number: one
        // phone has one (a firmware upgrade or a move from enterprise to MPP
        // firmware changes the version and the spelling, not the number).
        let mut agents: BTreeMap<String, String> = BTreeMap::new();
        for &i in &p.facts {
            let f = &facts[i];
            if let Body::Sip(m) = &f.body {
                let is_register = matches!(&m.start,
                    sip::StartLine::Request { method, .. } if method == "REGISTER");
                if is_register && p.ips.contains(&f.src_ip()) {
                    if let Some(u) = m.from.as_deref().and_then(aor_user) {
                        users.insert(u);
                    }
                    vias.extend(m.via_ip().filter(|v| *v != f.src_ip()));
                    if let Some(model) = m.user_agent.as_deref().and_then(identity::model_from) {
                        agents.entry(model_number(&model)).or_insert(model);
                    }
                    let from = m.from.as_deref();
                    if let (Some(call_id), Some(tag), Some(user)) = (
                        m.call_id.as_deref(),
                        from.and_then(from_tag),
                        from.and_then(aor_user),
                    ) {
                        let local = call_id.split('@').next().unwrap_or(call_id);
                        // The same transaction: CSeq and the top Via's branch
                        // (an ALG keeps both; a B2BUA or a new REGISTER not).
                        let cseq = m.cseq.as_ref().map_or(0, |(n, _)| *n);
                        let key = (local, tag, user.clone(), cseq, via_branch(m));
                        let seen = register_copies.entry(key).or_default();
                        if !seen.iter().any(|(i, _, _, _)| *i == index) {
                            seen.push((index, m.via_ip(), f.frame, via_count(m)));
                        }
                        senders.entry((local, tag, user)).or_default().insert(&p.id);
                    }
                }
            }
        }
        // A phone that named itself SEP<mac> in DHCP registers its lines.
        let own_identity = p.hostname.as_deref().is_some_and(|h| {
            h.get(..3)
                .is_some_and(|sep| sep.eq_ignore_ascii_case("SEP"))
        });
        if vias.len() > 1 {
            let list: Vec<String> = vias.iter().take(5).map(IpAddr::to_string).collect();
            out.push(format!(
                "{} holds several phones behind NAT: its REGISTERs name {} addresses in their Via \
                 ({}) and all come from {}; their verdicts are merged into one",
                p.id,
                vias.len(),
                list.join(", "),
                p.ips.first().map_or(String::new(), IpAddr::to_string)
            ));
        } else if let Some(burst) = handshake_burst(p, facts) {
            out.push(burst);
        } else if agents.len() > 1 {
            let list: Vec<String> = (agents.values().take(5))
                .map(|a| printable(a).into())
                .collect();
            out.push(format!(
                "{} holds several phones behind NAT: its REGISTERs' User-Agents name {} phone \
                 models ({}) and all come from {}; their verdicts are merged into one",
                p.id,
                agents.len(),
                list.join(", "),
                p.ips.first().map_or(String::new(), IpAddr::to_string)
            ));
        } else if users.len() > 1 && !own_identity {
            let list: Vec<String> = users.into_iter().take(5).collect();
            out.push(format!(
                "{} registers several SIP users ({}): several lines of one phone, or phones \
                 behind NAT or a proxy reported as one",
                p.id,
                list.join(", ")
            ));
        }
    }
    let mut twice: BTreeSet<Vec<&str>> = BTreeSet::new();
    for ((call_id, _, _), ids) in senders.into_iter().filter(|(_, ids)| ids.len() > 1) {
        let ids: Vec<&str> = ids.into_iter().collect();
        if twice.insert(ids.clone()) {
            out.push(format!(
                "{} send the same REGISTERs (Call-ID {call_id}): the capture holds both sides \
                 of a NAT (or a proxy), and one phone is listed under each address",
                ids.join(" and ")
            ));
        }
    }
    (out, alg_rewrites(&register_copies))
}

/// The first copy a phone sent of a REGISTER: the phone's index, its Via
/// address, its frame, and how many Via values it carries.
type RegisterCopy = (usize, Option<IpAddr>, u64, usize);

/// What tells phone models apart: the model number (`8851` of CP-8851-3PCC
/// and of CP8851), else the name as it is.
fn model_number(model: &str) -> String {
    let digits: String = (model.chars())
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.len() {
        3.. => digits,
        _ => model.to_ascii_lowercase(),
    }
}

/// One REGISTER transaction however it was rewritten on the way: Call-ID
/// local part, From tag, From user, CSeq number, top Via branch.
type RegisterKey<'a> = (&'a str, &'a str, String, u32, Option<String>);

/// The branch parameter of the top Via (RFC 3261 8.1.1.7).
fn via_branch(m: &sip::SipMessage) -> Option<String> {
    let (_, via) = (m.headers.iter())
        .find(|(n, _)| n.eq_ignore_ascii_case("Via") || n.eq_ignore_ascii_case("v"))?;
    let top = via.split(',').next()?;
    (top.split(';').skip(1))
        .find_map(|p| p.trim().strip_prefix("branch="))
        .map(|b| b.trim().to_string())
}

/// Via values a SIP message carries (header lines and comma-joined ones).
fn via_count(m: &sip::SipMessage) -> usize {
    (m.headers.iter())
        .filter(|(n, _)| n.eq_ignore_ascii_case("Via") || n.eq_ignore_ascii_case("v"))
        .map(|(_, v)| v.split(',').count())
        .sum()
}

/// The phones whose REGISTER the capture holds twice with two different
/// Via addresses, and the words for it (the first such REGISTER each). A
/// proxy on the way adds a Via of its own on top; an ALG rewrites the one
/// there, so the count stays.
fn alg_rewrites<K>(register_copies: &BTreeMap<K, Vec<RegisterCopy>>) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for seen in register_copies.values() {
        let mut seen = seen.clone();
        seen.sort_by_key(|(_, _, frame, _)| *frame);
        let [(_, Some(a), fa, na), (_, Some(b), fb, nb), ..] = seen.as_slice() else {
            continue;
        };
        if a == b || na != nb {
            continue;
        }
        let text = format!(
            "a SIP ALG on the path rewrites the REGISTER: its Via names {a} (#{fa}) and {b} in \
             the same REGISTER further on (#{fb})"
        );
        for (i, _, _, _) in &seen {
            if !out.iter().any(|(j, _)| j == i) {
                out.push((*i, text.clone()));
            }
        }
    }
    out
}

/// ClientHellos for one activation or provisioning name, from one address,
/// this close together: several phones booting behind one address. A phone
/// makes one such connection at a time and retries after seconds.
const BURST_HELLOS: usize = 3;
const BURST_NS: i64 = 2_000_000_000;

/// Several phones behind one address, told by their handshakes with the
/// activation or provisioning service starting within [`BURST_NS`], each
/// after its own A lookup of the name (one phone opening several
/// connections resolves once).
fn handshake_burst(p: &Phone, facts: &[Fact]) -> Option<String> {
    let mut hellos: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    // The A lookups of each name: a phone resolves once per boot (and retries
    // after a second or more), so several within the burst are several phones.
    let mut lookups: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for f in p.facts.iter().filter_map(|&i| facts.get(i)) {
        if let Body::Dns(m) = &f.body {
            if !m.response && p.ips.contains(&f.src_ip()) {
                for q in m.questions.iter().filter(|q| q.qtype == 1) {
                    lookups.entry(q.name.as_str()).or_default().push(f.ts.ns);
                }
            }
        }
        if let Body::Tls {
            from_client: true,
            event: tls::TlsEvent::ClientHello { sni: Some(sni), .. },
            ..
        } = &f.body
        {
            let cisco = names::is_activation_name(sni) || names::is_provisioning_name(sni);
            if cisco && p.ips.contains(&f.src_ip()) {
                hellos.entry(sni).or_default().push(f.ts.ns);
            }
        }
    }
    hellos.into_iter().find_map(|(sni, times)| {
        // The most handshakes that start within BURST_NS of one another,
        // and when that burst starts.
        let (most, start) = (0..times.len())
            .map(|i| {
                let start = times.get(i).copied().unwrap_or(0);
                let n = times
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|t| t.saturating_sub(start) < BURST_NS)
                    .count();
                (n, start)
            })
            .max()
            .unwrap_or((0, 0));
        let resolved = lookups.get(sni).map_or(0, |l| {
            l.iter()
                .filter(|t| {
                    (start.saturating_sub(BURST_NS)..start.saturating_add(BURST_NS)).contains(*t)
                })
                .count()
        });
        (most >= BURST_HELLOS && resolved >= BURST_HELLOS).then(|| {
            format!(
                "{} opened {most} handshakes with {sni} within 2 s: several phones behind one \
                 address (NAT)? Their verdicts are merged into one; a capture on the phones' \
                 side of the NAT tells them apart",
                p.id
            )
        })
    })
}

/// The `tag` parameter of a From header value (RFC 3261 section 19.3).
fn from_tag(header: &str) -> Option<&str> {
    let at = header.to_ascii_lowercase().find(";tag=")? + 5;
    let tag = header.get(at..)?.split([';', ' ', ',']).next()?;
    (!tag.is_empty()).then_some(tag)
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
mod tests {
    use super::*;

    #[test]
    fn models_are_told_apart_by_their_number() {
        assert_eq!(model_number("CP-8851-3PCC"), "8851");
        assert_eq!(model_number("CP8851"), "8851");
        assert_ne!(model_number("CP-7841-3PCC"), model_number("CP-8851-3PCC"));
        assert_eq!(model_number("Polycom VVX"), "polycom vvx");
    }

    #[test]
    fn the_top_via_branch_is_read() {
        let text = "REGISTER sip:example.com SIP/2.0\r\n\
                    Via: SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK-1-0,SIP/2.0/UDP x;branch=b\r\n\
                    Via: SIP/2.0/UDP 192.0.2.100;branch=z9hG4bK-old\r\n\
                    Call-ID: c1\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n";
        let parsed = crate::proto::sip::parse_datagram(text.as_bytes());
        let Some(Ok(m)) = parsed.into_iter().next() else {
            panic!("a SIP message");
        };
        assert_eq!(via_branch(&m).as_deref(), Some("z9hG4bK-1-0"));
        assert_eq!(via_count(&m), 3);
    }
}
