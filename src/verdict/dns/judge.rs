//! The rule of one DNS stage: the last decisive attempt judges it, earlier
//! failures make a success a `warn`, and a failure names every name that
//! failed, with one line of advice for the answer that failed it.

use std::net::SocketAddr;

use super::answer::{Answer, Attempt};
use super::Family;
use crate::proto::dns::qtype_name;
use crate::verdict::dhcp::trim;
use crate::verdict::{ev, Evidence, Stage, StageResult, Status};

/// `all`: every attempt of the phone, of every stage (what its DNS server
/// answered for other names).
pub(super) fn stage(
    stage: Stage,
    attempts: &[&Attempt<'_>],
    what: &str,
    family: Family,
    all: &[Attempt<'_>],
) -> StageResult {
    if attempts.is_empty() {
        return StageResult::not_seen(stage, format!("no query for {what}"));
    }
    let mut evidence: Vec<Evidence> = Vec::new();
    for a in attempts {
        let unseen = if a.unseen_query() {
            " (not captured)"
        } else {
            ""
        };
        let q = ev(
            a.query,
            format!(
                "query {} {} to {}{unseen}",
                a.name,
                qtype_name(a.qtype),
                a.server()
            ),
        );
        evidence.push(q);
        if let Some(f) = a.answer_fact {
            evidence.push(ev(f, a.text()));
        }
    }
    trim(&mut evidence);
    let malformed = attempts
        .iter()
        .filter(|a| matches!(a.answer, Answer::Malformed(_)))
        .count();
    // An IPv4 phone lives by its A (and SRV) lookups: an AAAA failure
    // decides nothing when those were asked. An IPv6-only phone lives by
    // its AAAA lookups the same way; the other family decides only alone.
    let asks_own = attempts.iter().any(|a| a.qtype != family.other());
    // An answer alone (its query not captured) of the other family decides
    // nothing: the phone's own-family answer may be what the capture lacks.
    let decides = |a: &Attempt<'_>| {
        let other = a.qtype == family.other();
        let other_decides = !asks_own && !a.unseen_query();
        a.decisive(family) && (!other || other_decides)
    };
    let Some(last) = attempts.iter().rev().find(|a| decides(a)) else {
        // An answer cut by the snaplen may be the one that decided: what
        // the other answers say (an AAAA with no records) cannot fail it.
        let cut = attempts
            .iter()
            .rev()
            .find(|a| matches!(a.answer, Answer::CutShort));
        if let Some(cut) = cut {
            let summary = format!("{}: can't tell", cut.text());
            return StageResult::new(stage, Status::NotSeen, summary).evidence(evidence);
        }
        let last = attempts[attempts.len() - 1];
        // Only malformed responses: the phone got no address it could use
        // (it fails here unless a later stage shows it decoded one).
        if malformed > 0 {
            let shown = attempts
                .iter()
                .rev()
                .find(|a| matches!(a.answer, Answer::Malformed(_)))
                .unwrap_or(&last);
            let summary = format!(
                "{}; no usable answer ({})",
                shown.text(),
                crate::text::plural(malformed, "malformed response", "malformed responses")
            );
            return StageResult::new(stage, Status::Fail, summary)
                .advice(format!(
                    "every DNS response for {what} was malformed: look for a device on the path \
                     that rewrites DNS (a DNS ALG or inspection) or a resolver bug, and try \
                     another resolver"
                ))
                .evidence(evidence);
        }
        let status = if matches!(last.answer, Answer::NoData) {
            Status::Warn
        } else {
            Status::NotSeen
        };
        if let Answer::Truncated(_) = last.answer {
            // No full answer over TCP followed: what the phone got is partial.
            let advice = format!(
                "the answer from {} does not fit in UDP and no retry over TCP was answered: \
                 allow DNS over TCP (port 53) from the phones to it, or trim the records",
                last.server()
            );
            return StageResult::new(stage, Status::Warn, last.text())
                .advice(advice)
                .evidence(evidence);
        }
        return StageResult::new(stage, status, last.text()).evidence(evidence);
    };
    // An answer the snaplen cut came after the failure: it may have been
    // the good one the phone went on with (DOMAIN: can't tell).
    let cut_after = attempts
        .iter()
        .rev()
        .find(|a| matches!(a.answer, Answer::CutShort) && a.query.frame > last.query.frame);
    if let (false, Some(cut)) = (last.ok(), cut_after) {
        let summary = format!("{}: can't tell (after {})", cut.text(), last.text());
        return StageResult::new(stage, Status::NotSeen, summary).evidence(evidence);
    }
    if last.ok() {
        let pos = attempts
            .iter()
            .position(|a| std::ptr::eq(*a, *last))
            .unwrap_or(0);
        // An answer of the other family lost as IP fragments decides
        // nothing, but the path that lost it will lose others.
        let lost = attempts[..pos]
            .iter()
            .find(|a| matches!(a.answer, Answer::NoResponse) && a.answer_fact.is_some());
        let trouble = attempts[..pos].iter().any(|a| decides(a) && !a.ok())
            || malformed > 0
            || lost.is_some();
        // Name the most telling answer: SRV, then the phone's own address
        // family, then whatever passed.
        let best = [33u16, family.qtype()]
            .iter()
            .find_map(|t| attempts.iter().rev().find(|a| a.ok() && a.qtype == *t))
            .unwrap_or(last);
        let mut summary = best.text();
        let mut advice = None;
        if malformed > 0 {
            summary.push_str(&format!(" ({malformed} malformed responses ignored)"));
            advice = Some(format!(
                "{malformed} DNS responses could not be decoded: look for a device on the path \
                 that rewrites DNS (a DNS ALG or inspection) or a resolver bug"
            ));
        } else if let Some(failed) = attempts[..pos]
            .iter()
            .rev()
            .filter(|a| decides(a) && !a.ok())
            // The named answer's own failed tries first (the SRV's, not a target's).
            .min_by_key(|a| a.qtype != best.qtype)
        {
            // A failure between answers (a re-query) is no "only after".
            let answered_first = attempts
                .iter()
                .take_while(|a| !std::ptr::eq(**a, *failed))
                .any(|a| a.ok() && a.name == failed.name);
            let what = match failed.answer {
                Answer::NoResponse => "an unanswered query",
                Answer::Late(..) => "an answer that came too late",
                Answer::Unreachable(_) => "a query answered by ICMP",
                _ => "a failed answer",
            };
            // Another name of the stage failed (the older webapps.cisco.com
            // beside activate.cisco.com): the phone got on with this one.
            let other_name =
                stage == Stage::DnsActivation && !failed.name.eq_ignore_ascii_case(&best.name);
            let when = if other_name {
                summary.push_str(&format!("; {}", failed.text()));
                "resolved, but"
            } else if answered_first {
                summary.push_str(&format!(
                    " ({what} between answered ones: {}, #{})",
                    failed.text(),
                    failed.query.frame
                ));
                "had"
            } else {
                summary.push_str(&format!(" (after {})", failed.text()));
                "resolved only after"
            };
            let late = matches!(failed.answer, Answer::Late(..));
            advice = Some(match other_name {
                false if late => advice_of(failed, all),
                true => format!(
                    "{} resolved, but not {} ({}): this phone went on with the first; \
                     phones that ask for the other (older firmware) fail here, so let the \
                     resolver answer both",
                    best.name,
                    failed.name,
                    failed.text()
                ),
                false => format!(
                    "{} {when} {what} ({}): if it recurs, check every DNS server in DHCP \
                     option 6 and the records of the name (a phone waits before it asks again)",
                    best.name,
                    failed.text()
                ),
            });
        }
        if let (None, Some(lost)) = (&advice, lost) {
            summary.push_str(&format!(" (after {})", lost.text()));
            advice = Some(advice_of(lost, all));
        }
        let status = if trouble { Status::Warn } else { Status::Pass };
        let result = StageResult::new(stage, status, summary).evidence(evidence);
        return match advice {
            Some(a) if status == Status::Warn => result.advice(a),
            _ => result,
        };
    }
    // Name the SRV or own-family failure rather than the other family's.
    let worst = [33u16, family.qtype()]
        .iter()
        .find_map(|t| {
            attempts
                .iter()
                .rev()
                .find(|a| a.decisive(family) && a.qtype == *t)
        })
        .filter(|a| !a.ok())
        .unwrap_or(last);
    let mut summary = worst.text();
    // Every SBC target failed to resolve: name each one, not only the worst.
    if stage == Stage::DnsSrv && worst.qtype != 33 {
        let mut failed: Vec<&Attempt<'_>> = Vec::new();
        for a in attempts
            .iter()
            .rev()
            .filter(|a| a.decisive(family) && a.qtype == worst.qtype)
        {
            if !failed.iter().any(|f| f.name == a.name) {
                failed.push(a);
            }
        }
        if failed.len() > 1 && failed.iter().all(|a| !a.ok()) {
            failed.reverse();
            let each: Vec<String> = failed.iter().map(|a| a.text()).collect();
            summary = format!("no SBC target resolves: {}", each.join("; "));
            let names: Vec<&str> = failed.iter().map(|a| a.name.as_str()).collect();
            let blocked = failed
                .iter()
                .all(|a| matches!(a.answer, Answer::Blocked(_)));
            let advice = match blocked {
                true => advice_of(worst, all),
                false => format!(
                    "none of the SRV targets ({}) has an address at {}: give each an A record \
                     in the zone, or point the SRV record at SBC names that resolve",
                    names.join(", "),
                    worst.server()
                ),
            };
            return StageResult::new(stage, Status::Fail, summary)
                .advice(advice)
                .evidence(evidence);
        }
    }
    let unanswered = attempts
        .iter()
        .filter(|a| matches!(a.answer, Answer::NoResponse | Answer::Pending))
        .count();
    if unanswered > 1 {
        let mut types: Vec<String> = Vec::new();
        for a in attempts
            .iter()
            .filter(|a| matches!(a.answer, Answer::NoResponse))
        {
            let t = qtype_name(a.qtype);
            if !types.contains(&t) {
                types.push(t);
            }
        }
        let of = match types.len() {
            0 | 1 => String::new(),
            _ => format!(": {}", types.join(" and ")),
        };
        summary.push_str(&format!(" ({unanswered} queries unanswered{of})"));
    }
    // The same server answered this name before: it stopped, rather than
    // never answering.
    let answered = attempts
        .iter()
        .filter(|a| a.ok() && a.name == worst.name && a.server() == worst.server())
        .filter(|a| a.query.frame < worst.query.frame)
        .filter_map(|a| a.answer_fact)
        .collect::<Vec<_>>();
    let silent = matches!(worst.answer, Answer::NoResponse) && worst.answer_fact.is_none();
    let stopped = silent && !answered.is_empty();
    let advice = match answered.last() {
        Some(last_ok) if stopped => {
            let n = crate::text::plural(answered.len(), "query", "queries");
            summary.push_str(&format!("; it had answered {n} for it before"));
            format!(
                "DNS server {} answered {n} for {} (the last at #{}) and then stopped: check \
                 it and the path to it (a rate limit on the many re-queries of a short TTL, a \
                 firewall dropping UDP 53 for a while)",
                worst.server(),
                worst.name,
                last_ok.frame
            )
        }
        _ => advice_of(worst, all),
    };
    // Other names of the stage that failed too (activate.cisco.com and its
    // older name webapps.cisco.com): each said, so that none is left out
    // when the fix is made.
    let mut others: Vec<&Attempt<'_>> = Vec::new();
    for a in attempts.iter().rev() {
        let last_of_name = attempts.iter().rev().find(|b| b.name == a.name);
        let failed = last_of_name.is_some_and(|b| b.decisive(family) && !b.ok());
        if a.name != worst.name && failed && !others.iter().any(|o| o.name == a.name) {
            others.push(a);
        }
    }
    let (summary, advice) = match others.as_slice() {
        [] => (summary, advice),
        _ => {
            others.reverse();
            let texts: Vec<String> = others.iter().map(|a| a.text()).collect();
            let names: Vec<&str> = others.iter().map(|a| a.name.as_str()).collect();
            (
                format!("{summary}; {}", texts.join("; ")),
                format!("{advice} (the same for {})", names.join(", ")),
            )
        }
    };
    StageResult::new(stage, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

pub(super) fn advice_of(a: &Attempt<'_>, all: &[Attempt<'_>]) -> String {
    let (name, server) = (&a.name, a.server());
    // Where the phone got this server: DHCP option 6, or for an IPv6
    // server the router advertisement's RDNSS or DHCPv6 option 23.
    let given = match server.contains(':') {
        true => "the router advertisement's RDNSS or DHCPv6 option 23",
        false => "DHCP option 6",
    };
    match &a.answer {
        Answer::Error(rc) if rc == "NXDOMAIN" => format!(
            "resolver {server} says {name} does not exist (DNS filtering or split horizon): \
             let it resolve the public Webex and Cisco names"
        ),
        Answer::Error(rc) if rc == "SERVFAIL" => format!(
            "resolver {server} cannot resolve {name} (SERVFAIL): check its upstream \
             forwarders and DNSSEC validation"
        ),
        Answer::Error(rc) if rc == "REFUSED" => format!(
            "resolver {server} refuses the phone's queries: allow recursion for the voice \
             subnet, or hand out another DNS server (option 6)"
        ),
        Answer::Error(rc) => format!("resolver {server} answers {rc} for {name}: check it"),
        Answer::NoData => match a.dangling_cname() {
            Some(target) => format!(
                "{name} is a CNAME to {target} at {server}, and {target} has no record of that \
                 type there: a zone of the resolver's own (split DNS) holds the name without \
                 what is behind it; let it ask the public DNS for {name} (forward the zone), \
                 or add the records"
            ),
            None if a.qtype == 33 => format!(
                "{name} has no SRV record at {server}: publish the outbound proxy's SRV records \
                 (SBC targets on port 8934), or fix the outbound proxy name the phone is given"
            ),
            None => format!("{name} has no record of that type at {server}: check the zone"),
        },
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
             address DHCP option 6 gives (a multi-homed server, or a NAT or DNS redirect that \
             rewrites one direction only)"
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
        Answer::NoResponse if a.answer_fact.is_some() => format!(
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
             reach ({given})",
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
            None => format!(
                "DNS server {server} does not answer: check {given} and that UDP/TCP 53 to it \
                 is allowed"
            ),
        },
        _ => format!("check DNS for {name}"),
    }
}

/// An answer the same server gave the phone for another name or type: the
/// server and the path work, this question does not.
fn answered_other<'a, 'b>(a: &Attempt<'_>, all: &'b [Attempt<'a>]) -> Option<&'b Attempt<'a>> {
    all.iter().find(|o| {
        o.server() == a.server()
            && (!o.name.eq_ignore_ascii_case(&a.name) || o.qtype != a.qtype)
            && o.answer_fact.is_some()
            && matches!(
                o.answer,
                Answer::Records(_) | Answer::NoData | Answer::Error(_) | Answer::NoService
            )
    })
}
