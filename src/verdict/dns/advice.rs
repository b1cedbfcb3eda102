//! One line of advice for the DNS answer that failed a stage, by what the
//! answer was (an error code, no records, no answer, ICMP, a late answer...)
//! and where the phone got the server.

use std::net::SocketAddr;

use super::answer::{Answer, Attempt};
use super::origin::Lease;
use crate::phone::names::{is_activation_lookup, is_provisioning_lookup};
use crate::phone::names::{is_webex_name, srv_domain};
use crate::proto::dns::qtype_name;

/// The answer of `a` is NOERROR with empty answer and authority sections
/// (see `DnsMessage::bare_noerror`).
pub(super) fn made_up(a: &Attempt<'_>) -> bool {
    matches!(a.answer_fact.map(|f| &f.body), Some(crate::fact::Body::Dns(m)) if m.bare_noerror)
}

/// `dhcp`: whether the capture may hold the phone's DHCP (a lease seen, or
/// frames the snaplen cut) and which servers its option 6 named; a server
/// it did not name did not come from option 6.
pub(super) fn advice_of(a: &Attempt<'_>, all: &[Attempt<'_>], dhcp: Lease) -> String {
    let (name, server) = (&a.name, a.server());
    // Where the phone got this server: DHCP option 6 (or set on the phone,
    // or an earlier lease, with no DHCP in the capture), or for an IPv6
    // server the router advertisement's RDNSS or DHCPv6 option 23.
    let given = match (server.contains(':'), dhcp.gave(&server), dhcp.seen) {
        (true, ..) => "the router advertisement's RDNSS or DHCPv6 option 23",
        (false, true, _) => "DHCP option 6",
        (false, false, true) => "the phone's static DNS setting (option 6 names other servers)",
        (false, false, false) => NO_DHCP,
    };
    let other_server = dhcp.other_server(&server);
    let reach = match (server.contains(':'), dhcp.gave(&server), dhcp.seen) {
        (false, false, false) => String::new(),
        (false, false, true) => " (set on the phone, not by option 6)".to_string(),
        _ => format!(" ({given})"),
    };
    let looped = a.cname_loop();
    match &a.answer {
        Answer::Error(_) | Answer::NoData if looped.is_some() => format!(
            "{server} answers {name} with a CNAME loop ({}): a zone of the resolver's own \
             (split DNS) holds these names; fix their CNAME records, or let it ask the public \
             DNS for {name} (forward the zone)",
            looped.unwrap_or_default()
        ),
        // The name is an alias whose target does not exist: the error is
        // the target's (RFC 6604 3).
        Answer::Error(rc) if rc == "NXDOMAIN" => match a.dangling_cname() {
            Some(target) => format!(
                "{name} is a CNAME to {target} at {server}, and {target} does not exist there \
                 (NXDOMAIN): a zone of the resolver's own (split DNS) or a filter holds the \
                 alias without what is behind it; let it ask the public DNS for {name} \
                 (forward the zone), or fix the alias"
            ),
            None => nxdomain(name, &server),
        },
        Answer::Error(rc) if rc == "SERVFAIL" => format!(
            "resolver {server} cannot resolve {name} (SERVFAIL): check its upstream \
             forwarders and DNSSEC validation"
        ),
        Answer::Error(rc) if rc == "REFUSED" => match answered_name(a, all) {
            Some(o) => format!(
                "resolver {server} answers the phone's other names ({} {}, #{}) but refuses \
                 {name} (REFUSED): a policy, filter or per-zone ACL there refuses that name \
                 or its zone; allow it for the voice subnet, or {other_server}",
                o.name,
                qtype_name(o.qtype),
                o.answer_fact.map_or(o.query.frame, |f| f.frame)
            ),
            None => format!(
                "resolver {server} refuses the phone's queries: allow recursion for the voice \
                 subnet, or {other_server}; a forwarder that cannot reach its upstream \
                 servers (dnsmasq) refuses too, so check that it reaches them"
            ),
        },
        Answer::Error(rc) => format!("resolver {server} answers {rc} for {name}: check it"),
        // A server that only refers the phone on (no recursion): it is an
        // authoritative server, not the resolver a phone needs.
        Answer::NoData if a.referral() => format!(
            "{server}{reach} does not recurse: it answered {name} with a referral to other \
             name servers (recursion not available), as an authoritative-only server does; \
             give the phone a recursive resolver, or allow recursion there for the voice \
             subnet"
        ),
        Answer::NoData => match a.dangling_cname() {
            Some(target) => format!(
                "{name} is a CNAME to {target} at {server}, and {target} has no record of that \
                 type there: a zone of the resolver's own (split DNS) holds the name without \
                 what is behind it; let it ask the public DNS for {name} (forward the zone), \
                 or add the records"
            ),
            None if a.qtype == 33 && srv_domain(name).is_some() => format!(
                "{name} has no SRV record at {server}: publish the outbound proxy's SRV records \
                 (SBC targets on port 8934), or fix the outbound proxy name the phone is given"
            ),
            // An IPv4 question, an IPv6-only name: the phone lives by A.
            None if a.qtype == 1 => match aaaa_of(all, name) {
                Some(v6) => format!(
                    "{name} has only an IPv6 address at {server} (AAAA {v6}) and no IPv4 (A) \
                     record, which the phone asks for: add the A record (or remove the local \
                     zone or override of {name})"
                ),
                None if made_up(a) => format!(
                    "resolver {server} answers {name} A with NOERROR and nothing else, not even \
                     the SOA a zone gives a name without such a record (RFC 2308): the resolver \
                     made the answer itself; check its local overrides, filter lists and DNS \
                     rebind protection (dnsmasq stop-dns-rebind drops private addresses) for \
                     {name}"
                ),
                None => format!("{name} has no A (IPv4) record at {server}: check the zone"),
            },
            None => format!(
                "{name} has no {} record at {server}: check the zone",
                qtype_name(a.qtype)
            ),
        },
        Answer::NoService if srv_domain(name).is_none() => format!(
            "the zone says {name} is not offered (SRV target \".\"): check the zone if the \
             phone needs it"
        ),
        Answer::NoService => format!(
            "the zone says {name} is not offered (SRV target \".\"): publish the outbound \
             proxy's SRV records with the SBC targets on port 8934, or fix the outbound proxy \
             name the phone is given"
        ),
        Answer::OtherSource(from)
            if from
                .parse::<SocketAddr>()
                .is_ok_and(|f| f.ip().to_string() == server) =>
        {
            format!(
                "the answers to the phone's queries to {server} come back from {from}, not \
                 from port 53, and the phone refuses them (ICMP port unreachable): fix what \
                 sends them from another port (a DNS proxy, or a NAT rewriting the source \
                 port of one direction)"
            )
        }
        Answer::OtherSource(from) => format!(
            "the answers to the phone's queries to {server} come back from {from}, and a phone \
             drops answers from an address it did not ask: make the DNS server answer from the \
             address {given} gives (a multi-homed server, or a NAT or DNS redirect that \
             rewrites one direction only)"
        ),
        Answer::Mismatched(why) => format!(
            "DNS server {server} answers, but its response for {name} does not match the \
             phone's query ({why}), and a phone drops such an answer: a DNS proxy, ALG or \
             load balancer between them rewrites or mixes up answers; fix it, or give the \
             phones a resolver that answers directly"
        ),
        Answer::Blocked(addr) => format!(
            "resolver {server} answers {name} with {addr}, what DNS filters (blocklists, DNS \
             firewalls) give a blocked name: allow activate.cisco.com, cisco.sipflash.com and \
             the Webex Calling names in its filter"
        ),
        Answer::TcpRetryFailed(_, how, _) => format!(
            "the answer for {name} from {server} does not fit in UDP and the phone's retry over \
             TCP 53 was {how}: allow DNS over TCP (port 53) from the phones to {server}, or \
             trim the records"
        ),
        Answer::NoResponse if a.answer_fact.is_some() && a.closed().is_none() => format!(
            "DNS server {server} answers, but its answer for {name} is larger than the path's \
             MTU and its IP fragments after the first are lost on the way: let IP fragments \
             through the firewalls between the phone and {server}, or have the server send \
             smaller UDP answers (an EDNS buffer size of 1232 bytes, DNS Flag Day 2020) so \
             that large ones go over TCP"
        ),
        Answer::Late(secs, _) => format!(
            "DNS server {server} answers too slowly: its answer for {name} came {secs:.1} s \
             after the query, when the phone had given up; fix its upstream forwarding (or \
             give the phones a resolver that answers within a second), and check with \
             `nslookup {name} {server}`"
        ),
        Answer::RefusedByPhone(kind, _) => format!(
            "the answers from DNS server {server} reach the phone's address and are refused at \
             once (ICMP {kind}): a firewall on the phone's side rejects DNS answers; allow UDP \
             from port 53 back to the phones (a stateful rule)"
        ),
        Answer::Unreachable(kind) if a.icmp_router().is_some() => format!(
            "a router ({}) on the way to DNS server {server} answers ICMP {kind}: fix the \
             routing or the firewall towards {server}, or give the phones a DNS server they can \
             reach{reach}",
            a.icmp_router().map_or(String::new(), |r| r.to_string())
        ),
        Answer::Unreachable(kind) => format!(
            "DNS server {server} rejects the phone's queries (ICMP {kind}): nothing takes DNS \
             at that address, or a firewall refuses it; check the address in {given} and that \
             the server's DNS service runs"
        ),
        Answer::NoResponse => match answered_other(a, all) {
            Some(other) => format!(
                "DNS server {server} answered the phone's query for {} {} (#{}) but never the \
                 one for {name} {}: it (or its upstream forwarder, or a DNS filter) cannot \
                 resolve that; test with `nslookup -type={} {name} {server}` and fix its \
                 forwarding or filter",
                other.name,
                qtype_name(other.qtype),
                other.answer_fact.map_or(other.query.frame, |f| f.frame),
                qtype_name(a.qtype),
                qtype_name(a.qtype)
            ),
            None if a.closed().is_some() => {
                format!(
                    "DNS server {server} took the phone's query over TCP and closed the \
                     connection without an answer: it cannot resolve {name} (its upstream \
                     forwarder, or a filter); test with `nslookup -vc {name} {server}`"
                )
            }
            None => match a.silent_servers(all.iter()) {
                // It answered other hosts meanwhile: this phone alone.
                // Others' queries went unanswered too: it fails part of
                // what it is asked (the names it forwards, or its load).
                _ if a.others.partial().is_some() => {
                    let ((frame, k), (silent, _)) = a.others.partial().unwrap_or_default();
                    format!(
                        "DNS server {server} answered other hosts meanwhile ({}, #{frame}) but \
                         left {} unanswered too (#{silent}), as it leaves the phone's: it fails \
                         part of what it is asked, most often the names it forwards: check its \
                         upstream forwarders (or a DNS filter) and its load; test with \
                         `nslookup {name} {server}`",
                        crate::verdict::others_text(k, "answer", "answers"),
                        a.others
                            .unanswered_text("query of another host", "queries of other hosts")
                    )
                }
                _ if a.others.singled_out().is_some() => {
                    let (frame, k) = a.others.singled_out().unwrap_or_default();
                    format!(
                        "DNS server {server} answered other hosts meanwhile ({}, #{frame}) but \
                         never this phone: something singles it out (an ACL or a rate limit \
                         for its address, a firewall rule for its port or VLAN); check the \
                         server's log and filters for {}",
                        crate::verdict::others_text(k, "answer", "answers"),
                        a.query.src_ip()
                    )
                }
                silent if silent.len() > 1 => format!(
                    "DNS servers {} do not answer: check {given} and that UDP/TCP 53 to them \
                     is allowed",
                    silent.join(" and ")
                ),
                _ => format!(
                    "DNS server {server} does not answer: check {given} and that UDP/TCP 53 to \
                     it is allowed"
                ),
            },
        },
        _ => format!("check DNS for {name}"),
    }
}

/// A name that does not exist: a public Webex or Cisco name is hidden by
/// the resolver; any other the phone was given (the outbound proxy of its
/// profile, whose SRV name it asks; a provisioning server; an SRV target)
/// may be wrong where it was given.
fn nxdomain(name: &str, server: &str) -> String {
    let public = is_activation_lookup(name) || is_provisioning_lookup(name) || is_webex_name(name);
    match srv_domain(name) {
        _ if public => format!(
            "resolver {server} says {name} does not exist (DNS filtering or split horizon): let \
             it resolve the public Webex and Cisco names"
        ),
        Some(domain) => format!(
            "resolver {server} says {name} does not exist: the phone asks it for {domain}, the \
             outbound proxy its profile names; check the outbound proxy name in the profile, \
             then that the zone of {domain} publishes its SRV records (or a DNS filter or split \
             horizon hides it)"
        ),
        None => format!(
            "resolver {server} says {name} does not exist: check the name where the phone got \
             it (its profile, a DHCP option or an SRV record) and its zone (or a DNS filter or \
             split horizon hiding it)"
        ),
    }
}

/// Where a phone with no DHCP in the capture got its DNS server.
const NO_DHCP: &str =
    "the DNS server setting (no DHCP in the capture: set on the phone, or from an earlier \
     lease's option 6)";

/// An answer the same server gave the phone for another name or type: the
/// server and the path work, this question does not.
/// (An answer the phone refused as late, or as one it no longer needed,
/// came from the server all the same.)
fn answered_other<'a, 'b>(a: &Attempt<'_>, all: &'b [Attempt<'a>]) -> Option<&'b Attempt<'a>> {
    all.iter().find(|o| {
        let from_server = o.answer_fact.is_some_and(|f| {
            matches!(f.body, crate::fact::Body::Dns(_)) && f.src_ip().to_string() == a.server()
        });
        o.server() == a.server()
            && (!o.name.eq_ignore_ascii_case(&a.name) || o.qtype != a.qtype)
            && from_server
            && matches!(
                o.answer,
                Answer::Records(_)
                    | Answer::NoData
                    | Answer::Error(_)
                    | Answer::NoService
                    | Answer::Late(..)
                    | Answer::RefusedByPhone(..)
            )
    })
}

/// A name `best` resolved after the REFUSED `failed` (`when`: "resolved
/// only after"...): whom to fix, by who refused and who answered.
pub(super) fn refused_then(
    failed: &Attempt<'_>,
    best: &Attempt<'_>,
    all: &[Attempt<'_>],
    (dhcp, when): (Lease, &str),
) -> String {
    let (name, refuser, answerer) = (&best.name, failed.server(), best.server());
    if refuser == answerer {
        return format!(
            "{name} {when} a REFUSED from {refuser} ({}), which answered it when asked again: \
             if it recurs, check its rate limits and ACLs for the voice subnet",
            failed.text()
        );
    }
    let from = match (refuser.contains(':'), dhcp.gave(&refuser)) {
        (true, _) => "the router advertisement's RDNSS or DHCPv6 option 23",
        (false, true) => "DHCP option 6",
        (false, false) => "the phone's DNS servers",
    };
    match answered_name(failed, all) {
        Some(o) => format!(
            "{name} {when} a REFUSED from {refuser}, then {answerer} answered: {refuser} \
             answers the phone's other names ({} {}, #{}) but refuses {}: a policy, filter or \
             per-zone ACL there; allow the name, or remove {refuser} from {from}",
            o.name,
            qtype_name(o.qtype),
            o.answer_fact.map_or(o.query.frame, |f| f.frame),
            failed.name
        ),
        None => format!(
            "{name} {when} a REFUSED from {refuser}, then {answerer} answered: {refuser} \
             refuses the phone's queries; allow recursion there for the voice subnet, or \
             remove it from {from}"
        ),
    }
}

/// An answer other than REFUSED the same server gave the phone for
/// another name: it serves the phone, and refuses only some names.
pub(super) fn answered_name<'a, 'b>(
    a: &Attempt<'_>,
    all: &'b [Attempt<'a>],
) -> Option<&'b Attempt<'a>> {
    all.iter().find(|o| {
        let answered = match &o.answer {
            Answer::Error(rc) => rc != "REFUSED",
            other => matches!(
                other,
                Answer::Records(_) | Answer::NoData | Answer::NoService | Answer::Blocked(_)
            ),
        };
        answered
            && !o.unseen_query()
            && o.server() == a.server()
            && !o.name.eq_ignore_ascii_case(&a.name)
    })
}

/// An address of `name` that an AAAA answer gave.
fn aaaa_of(all: &[Attempt<'_>], name: &str) -> Option<String> {
    all.iter()
        .filter(|o| o.qtype == 28 && o.name.eq_ignore_ascii_case(name))
        .find_map(|o| match &o.answer {
            Answer::Records(r) => r.first().cloned(),
            _ => None,
        })
}
