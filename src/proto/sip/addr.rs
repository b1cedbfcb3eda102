//! The addresses a SIP message names for itself: the sent-by host of its top
//! Via (RFC 3261 section 20.42, 18.2.1) and the host of its first Contact
//! URI (sections 20.10 and 19.1.1), when they are IP literals. Compared with
//! the packet's source address they show NAT on the path, and a SIP ALG
//! that rewrites one but not the other. Host names are not resolved.

use std::net::IpAddr;

use super::SipMessage;

impl SipMessage {
    /// The top Via: the first value of the first Via header field
    /// (compact `v` is stored under its long name).
    fn top_via(&self) -> Option<&str> {
        let (_, via) = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Via"))?;
        via.split(',').next()
    }

    /// The top Via's sent-by host, when it is an IP address.
    pub fn via_ip(&self) -> Option<IpAddr> {
        // "SIP/2.0/UDP host:port;params": the sent-by is the second word.
        let sent_by = self.top_via()?.split_whitespace().nth(1)?;
        host_ip(sent_by.split(';').next()?)
    }

    /// The top Via's branch parameter (RFC 3261 8.1.1.7), which names the
    /// transaction.
    pub fn via_branch(&self) -> Option<&str> {
        self.top_via()?.split(';').skip(1).find_map(|p| {
            let (name, value) = p.trim().split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("branch")
                .then_some(value.trim())
        })
    }

    /// The first Contact URI's host, when it is an IP address.
    pub fn contact_ip(&self) -> Option<IpAddr> {
        let contact = self.contact.first()?;
        let lower = contact.to_ascii_lowercase();
        let start = lower
            .find("sip:")
            .map(|i| i + 4)
            .or_else(|| lower.find("sips:").map(|i| i + 5))?;
        let uri = contact.get(start..)?;
        let end = uri.find(['>', ';', '?', ' ', ',']).unwrap_or(uri.len());
        let hostport = uri.get(..end)?;
        // userinfo ends at the last '@' (a password may hold none).
        let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
        host_ip(hostport)
    }
}

/// The IP of a `host[:port]` (an IPv6 reference in brackets), if it is one.
fn host_ip(hostport: &str) -> Option<IpAddr> {
    let hostport = hostport.trim();
    if let Some(rest) = hostport.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let host = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => hostport,
    };
    host.parse().ok()
}

/// An address only reachable inside a site: RFC 1918 and RFC 6598 (carrier
/// NAT) IPv4, IPv4 and IPv6 link-local, IPv6 unique local (RFC 4193).
pub fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let [a, b, ..] = v.octets();
            v.is_private() || v.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v) => {
            let seg = v.segments()[0];
            (seg & 0xfe00) == 0xfc00 || (seg & 0xffc0) == 0xfe80
        }
    }
}

/// NAT between the phone and the capture point, as one message shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nat {
    /// What was seen, in words.
    pub text: String,
    /// The Via was rewritten to the source but the Contact was not: a SIP
    /// ALG at work (else nothing rewrote the message).
    pub partial_alg: bool,
}

/// NAT between the phone and the capture point, told by one REGISTER: its
/// Via or Contact names another address than the packet comes from. `None`
/// when the message names its source (or no address).
pub fn nat_evidence(m: &SipMessage, src: IpAddr) -> Option<Nat> {
    if src.is_loopback() {
        return None;
    }
    // A phone on a private address that names a public one (its STUN or
    // configured NAT mapping) knows its NAT: nothing to say.
    let mapped = |named: &IpAddr| is_private(&src) && !is_private(named);
    if let Some(via) = m.via_ip().filter(|v| *v != src && !mapped(v)) {
        let text = format!("Via says {via} but the packet comes from {src}: NAT in the path");
        return Some(Nat {
            text,
            partial_alg: false,
        });
    }
    // A Via that names the source while the Contact keeps a private address:
    // something rewrote the Via (a SIP ALG) and left the Contact. Not when a
    // proxy put its own Via on top of the phone's.
    let vias = m
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Via"));
    if vias.map(|(_, v)| v.split(',').count()).sum::<usize>() > 1 {
        return None;
    }
    let contact = m
        .contact_ip()
        .filter(|c| *c != src && is_private(c) && !is_private(&src))?;
    let text = format!(
        "the Via names {src}, the packet's source, but the Contact keeps the private {contact}: \
         a SIP ALG rewrote part of the REGISTER"
    );
    Some(Nat {
        text,
        partial_alg: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::sip::parse_datagram;

    fn register(via: &str, contact: &str) -> SipMessage {
        let text = format!(
            "REGISTER sip:example.com SIP/2.0\r\nVia: {via}\r\nContact: {contact}\r\n\
             Call-ID: a\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
        );
        parse_datagram(text.as_bytes()).remove(0).expect("SIP")
    }

    #[test]
    fn the_top_vias_branch() {
        let contact = "<sip:1101@192.168.1.50>";
        let m = register(
            "SIP/2.0/UDP 10.0.0.1:5060 ; Branch = z9hG4bKa ;rport",
            contact,
        );
        assert_eq!(m.via_branch(), Some("z9hG4bKa"));
        // Only the top value counts, and a Via without a branch has none.
        let m = register(
            "SIP/2.0/UDP 10.0.0.1;rport, SIP/2.0/UDP b;branch=x",
            contact,
        );
        assert_eq!(m.via_branch(), None);
        assert_eq!(m.via_ip(), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn via_and_contact_hosts() {
        let m = register(
            "SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bK1;rport",
            "\"Line 1\" <sip:1101:pw@192.168.1.50:5060;transport=udp>;expires=120",
        );
        assert_eq!(m.via_ip(), "192.168.1.50".parse().ok());
        assert_eq!(m.contact_ip(), "192.168.1.50".parse().ok());
        let m = register("SIP/2.0/TCP [2001:db8::5]:5060", "<SIPS:[fd00::5]:5061>");
        assert_eq!(m.via_ip(), "2001:db8::5".parse().ok());
        assert_eq!(m.contact_ip(), "fd00::5".parse().ok());
        let m = register(
            "SIP/2.0/UDP phone.example.com",
            "<sip:1101@phone.example.com>",
        );
        assert_eq!((m.via_ip(), m.contact_ip()), (None, None));
    }

    #[test]
    fn nat_told_by_via_or_by_a_private_contact_left_behind() {
        let public: IpAddr = "203.0.113.9".parse().unwrap_or(IpAddr::from([0; 4]));
        let private_via = register("SIP/2.0/UDP 192.168.1.50:5060", "<sip:1@192.168.1.50>");
        let nat = nat_evidence(&private_via, public).expect("NAT");
        assert!(nat.text.starts_with("Via says 192.168.1.50") && !nat.partial_alg);
        let half = register("SIP/2.0/UDP 203.0.113.9:5060", "<sip:1@192.168.1.50:5060>");
        let nat = nat_evidence(&half, public).expect("NAT");
        assert!(nat.text.contains("Contact keeps the private 192.168.1.50") && nat.partial_alg);
        // Rewritten both ways, or a phone on a public address: no NAT seen.
        let whole = register("SIP/2.0/UDP 203.0.113.9:5060", "<sip:1@203.0.113.9>");
        assert_eq!(nat_evidence(&whole, public), None);
        // A phone naming its public mapping (STUN) from inside: no NAT note.
        let lan_src: IpAddr = "192.168.1.50".parse().unwrap_or(public);
        let stun = register("SIP/2.0/UDP 203.0.113.9:5060", "<sip:1@203.0.113.9>");
        assert_eq!(nat_evidence(&stun, lan_src), None);
        // A proxy's Via on top of the phone's: not a half-working ALG.
        let proxied = register(
            "SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK2\r\nVia: SIP/2.0/UDP 192.168.1.50",
            "<sip:1@192.168.1.50:5060>",
        );
        assert_eq!(nat_evidence(&proxied, public), None);
        // Inside the site, a private Contact is the phone's own.
        let lan: IpAddr = "192.168.1.50".parse().unwrap_or(public);
        let inside = register("SIP/2.0/UDP 192.168.1.50:5060", "<sip:1@192.168.1.51>");
        assert_eq!(nat_evidence(&inside, lan), None);
        assert!(is_private(&"100.64.0.1".parse().unwrap_or(public)));
        assert!(!is_private(&public));
    }
}
