//! Who behaves like a phone (DOMAIN.md "Who is a phone"): DHCP clients
//! that look like phones and what they were given, addresses that ask for
//! the provisioning names, connect to the SBC or fetch a profile, and the
//! HTTP proxies, PXE-booting PCs and printers that are not phones.

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustc_hash::FxHashSet;

use super::{identity, names, CorrelateOptions, MAX_ACKS_KEPT, MAX_ADDRESSES};
use crate::fact::{Body, Fact};
use crate::packet::Mac;
use crate::proto::{http, sip, tftp, tls};

/// What one DHCP client said and was given.
#[derive(Default)]
pub(super) struct DhcpClient {
    pub(super) phone_like: bool,
    pub(super) leases: Vec<IpAddr>,
    /// Frames of the ACKs that gave each address (renewals too), bounded.
    pub(super) acks: Vec<(IpAddr, u64)>,
    pub(super) first_frame: u64,
}

pub(super) fn dhcp_clients(facts: &[Fact]) -> BTreeMap<Mac, DhcpClient> {
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
            // 93, machine identifier 97), and so does a print server for its
            // firmware: a vendor class naming another device outweighs it.
            let other = vc.as_deref().is_some_and(identity::names_other_device)
                || m.option(93).is_some()
                || m.option(97).is_some();
            c.phone_like |= host.as_deref().and_then(identity::mac_from_sep).is_some()
                || vc.as_deref().is_some_and(identity::looks_like_phone_vendor)
                || !other && prl.iter().any(|o| matches!(o, 66 | 150 | 159 | 160));
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

/// Addresses that behaved like a phone.
pub(super) struct Behaviour {
    /// Each address with the first frame showing it, in that order.
    pub(super) ips: Vec<(IpAddr, u64)>,
    /// The addresses whose REGISTERs show NAT: the Ethernet source of their
    /// packets is then the NAT device's, not a phone's.
    pub(super) natted: FxHashSet<IpAddr>,
    /// Each address with the MACs its phone-like frames carried on its side
    /// (None: the link shows no MAC), to tell apart hosts sharing it.
    pub(super) by_mac: FxHashSet<(IpAddr, Option<Mac>)>,
}

pub(super) fn phone_behaviour_ips(facts: &[Fact], opts: &CorrelateOptions) -> Behaviour {
    let mut seen: BTreeMap<IpAddr, u64> = BTreeMap::new();
    let mut natted = FxHashSet::default();
    let mut by_mac = FxHashSet::default();
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
                names::is_activation_lookup(&q.name)
                    || names::is_provisioning_lookup(&q.name)
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
            let mac = if ip == f.src_ip() {
                f.src_mac
            } else {
                f.dst_mac
            };
            by_mac.insert((ip, mac));
        }
    }
    let mut ips: Vec<(IpAddr, u64)> = seen
        .into_iter()
        .filter(|(ip, _)| !proxies.contains(ip))
        .collect();
    ips.sort_by_key(|(_, f)| *f);
    Behaviour {
        ips,
        natted,
        by_mac,
    }
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
