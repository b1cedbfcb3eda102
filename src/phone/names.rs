//! Names behind server addresses, learnt from DNS answers: every A/AAAA
//! record maps its address to the record's owner and to the question that
//! led to it (so a CNAME chain maps the final address back to the name the
//! phone asked for). SRV answers give the SBC targets and their ports.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use crate::fact::{Body, Fact};
use crate::proto::dns::RData;

/// Address -> names, and the SRV targets seen.
#[derive(Debug, Default)]
pub struct NameMap {
    by_ip: HashMap<IpAddr, BTreeSet<String>>,
    /// SRV target name -> ports it was offered on.
    pub srv_targets: HashMap<String, BTreeSet<u16>>,
    /// SRV target name -> the best (lowest) priority it was offered with.
    pub srv_priority: HashMap<String, u16>,
    /// Domains of the SIP SRV names asked (`sbc.example.com` of
    /// `_sips._tcp.sbc.example.com`): a client that finds no SRV record
    /// connects to the domain itself (RFC 3263 4.2), its SIP server.
    pub srv_domains: BTreeSet<String>,
}

impl NameMap {
    pub fn from_facts(facts: &[Fact]) -> Self {
        let mut map = NameMap::default();
        for f in facts {
            let Body::Dns(m) = &f.body else { continue };
            for q in m.questions.iter().filter(|q| q.qtype == 33) {
                if let Some(domain) = srv_domain(&q.name) {
                    map.srv_domains.insert(domain.to_string());
                }
            }
            if !m.response || m.malformed.is_some() {
                continue;
            }
            let asked: Vec<&str> = m.questions.iter().map(|q| q.name.as_str()).collect();
            for r in m.answers.iter().chain(m.additionals.iter()) {
                match &r.data {
                    RData::A { addr } => map.add(IpAddr::V4(*addr), &r.name, &asked),
                    RData::Aaaa { addr } => map.add(IpAddr::V6(*addr), &r.name, &asked),
                    RData::Srv {
                        port,
                        target,
                        priority,
                        ..
                    } => {
                        map.srv_targets
                            .entry(target.clone())
                            .or_default()
                            .insert(*port);
                        let best = map.srv_priority.entry(target.clone()).or_insert(*priority);
                        *best = (*best).min(*priority);
                    }
                    _ => {}
                }
            }
        }
        map
    }

    fn add(&mut self, ip: IpAddr, owner: &str, asked: &[&str]) {
        let names = self.by_ip.entry(ip).or_default();
        // Answers repeat: allocate only for a name not seen yet.
        let new = |n: &&str| !names.contains(*n);
        let fresh: Vec<String> = std::iter::once(owner)
            .chain(asked.iter().copied().filter(|q| !q.starts_with('_')))
            .filter(new)
            .map(str::to_string)
            .collect();
        names.extend(fresh);
    }

    /// Names that resolved to `ip`, sorted.
    pub fn names(&self, ip: &IpAddr) -> impl Iterator<Item = &str> {
        self.by_ip.get(ip).into_iter().flatten().map(String::as_str)
    }

    /// True when some name of `ip` satisfies `pred`.
    pub fn any_name(&self, ip: &IpAddr, pred: impl Fn(&str) -> bool) -> bool {
        self.names(ip).any(pred)
    }

    /// True when `ip` is an address of an SRV target.
    pub fn is_srv_target(&self, ip: &IpAddr) -> bool {
        self.names(ip).any(|n| self.srv_targets.contains_key(n))
    }

    /// The best SRV priority of `ip`'s target names (lower is preferred,
    /// RFC 2782).
    pub fn srv_priority(&self, ip: &IpAddr) -> Option<u16> {
        (self.names(ip))
            .filter_map(|n| self.srv_priority.get(n))
            .min()
            .copied()
    }

    /// True when `addr` is an SRV target's address on a port its SRV
    /// record names.
    pub fn is_srv_endpoint(&self, addr: &std::net::SocketAddr) -> bool {
        (self.names(&addr.ip()))
            .filter_map(|n| self.srv_targets.get(n))
            .any(|ports| ports.contains(&addr.port()))
    }
}

/// activate.cisco.com and its older name webapps.cisco.com.
pub fn is_activation_name(name: &str) -> bool {
    matches!(name, "activate.cisco.com" | "webapps.cisco.com")
}

/// cisco.sipflash.com and its regional siblings (*.sipflash.com). A name
/// written with an escape (`cisco\.sipflash.com`: a label holding a dot,
/// RFC 4343 2.1) is no host name under sipflash.com.
pub fn is_provisioning_name(name: &str) -> bool {
    let plain = !name.contains('\\');
    plain && (name == "sipflash.com" || name.ends_with(".sipflash.com"))
}

/// The name `bare` accepts that `name` expands with a search-list suffix
/// (`activate.cisco.com.corp.example`: a stub resolver appending its search
/// domain first, as it does for a name with fewer dots than its `ndots`).
pub fn searched_for(name: &str, bare: fn(&str) -> bool) -> Option<&str> {
    (name.char_indices())
        .filter(|(i, c)| *c == '.' && i + 1 < name.len())
        .filter_map(|(i, _)| name.get(..i))
        .find(|n| bare(n))
}

/// A lookup of activate.cisco.com: the name, or it with a search suffix.
pub fn is_activation_lookup(name: &str) -> bool {
    is_activation_name(name) || searched_for(name, is_activation_name).is_some()
}

/// A lookup of cisco.sipflash.com: the name, or it with a search suffix.
pub fn is_provisioning_lookup(name: &str) -> bool {
    is_provisioning_name(name) || searched_for(name, is_provisioning_name).is_some()
}

/// webex.com or a name under it (Webex's SBCs: `sbc1.us01.bcld.webex.com`).
pub fn is_webex_name(name: &str) -> bool {
    let n = name.trim_end_matches('.').to_ascii_lowercase();
    n == "webex.com" || n.ends_with(".webex.com")
}

/// `_sip._tcp.`, `_sips._tcp.`, `_sip._udp.` service names (of plain
/// labels, as in [`is_provisioning_name`]).
pub fn is_sip_srv_name(name: &str) -> bool {
    let plain = !name.contains('\\');
    plain
        && ["_sip._tcp.", "_sips._tcp.", "_sip._udp."]
            .iter()
            .any(|p| name.starts_with(p))
}

/// The domain of a SIP SRV name: `voice.example.com` of
/// `_sip._udp.voice.example.com`.
pub fn srv_domain(name: &str) -> Option<&str> {
    is_sip_srv_name(name)
        .then(|| name.splitn(3, '.').nth(2))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_an_escaped_dot_are_no_provisioning_or_srv_names() {
        assert!(is_provisioning_name("cisco.sipflash.com"));
        assert!(is_provisioning_name("sipflash.com"));
        assert!(!is_provisioning_name("cisco\\.sipflash.com"));
        assert!(!is_provisioning_name("notsipflash.com"));
        assert!(is_sip_srv_name("_sips._tcp.sbc.example.com"));
        assert!(!is_sip_srv_name("_sips._tcp.sbc\\.example.com"));
        assert!(!is_activation_name("activate\\.cisco.com"));
        assert_eq!(
            searched_for("activate.cisco.com.lab.example", is_activation_name),
            Some("activate.cisco.com")
        );
        assert!(is_provisioning_lookup("cisco.sipflash.com.corp.example"));
        assert!(!is_activation_lookup("activate.cisco.community.example"));
        assert!(!is_activation_lookup("myactivate.cisco.com.lab.example"));
        assert!(is_webex_name("sbc1.us01.bcld.webex.com."));
        assert!(!is_webex_name("notwebex.com"));
    }
}
