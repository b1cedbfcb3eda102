//! The rule of one DNS stage: the last decisive attempt judges it, earlier
//! failures make a success a `warn`, and a failure names every name that
//! failed, with one line of advice for the answer that failed it.

use super::advice::{advice_of, refused_then};
use super::answer::{Answer, Attempt};
use super::dropped::dropped_other;
use super::matching::PARALLEL_SECS;
use super::origin::Lease;
use super::several;
use super::targets::{dead_targets, targets_advice};
use super::Family;
use crate::fact::Body;
use crate::proto::dns::qtype_name;
use crate::verdict::{ev, Evidence, Stage, StageResult, Status};

/// `all`: every attempt of the phone, of every stage (what its DNS server
/// answered for other names).
pub(super) fn stage(
    stage: Stage,
    attempts: &[&Attempt<'_>],
    what: &str,
    family: Family,
    all: &[Attempt<'_>],
    dhcp: Lease,
) -> StageResult {
    if attempts.is_empty() {
        return StageResult::not_seen(stage, format!("no query for {what}"));
    }
    let evidence = attempts_evidence(attempts);
    let parallel = parallel_order(attempts);
    let attempts = &parallel[..];
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
        return undecided(stage, attempts, what, (malformed, family), evidence);
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
    let judge = Judge {
        stage,
        attempts,
        family,
        all,
        decides: &decides,
        dhcp,
    };
    match last.ok() {
        true => judge.resolved(last, malformed, evidence),
        false => judge.failed(last, evidence),
    }
}

/// The attempts in query order, except that a query nobody answered that
/// was sent at the same time as the same question to another server, which
/// answered, comes just before that one: the answer decides, and the
/// silent server is an earlier failure (whichever of the two went first).
fn parallel_order<'x, 'a>(attempts: &[&'x Attempt<'a>]) -> Vec<&'x Attempt<'a>> {
    // Answered attempts by question (an index: endless unanswered retries
    // must not make this quadratic).
    let mut answered: std::collections::HashMap<(String, u16), Vec<&Attempt<'_>>> =
        std::collections::HashMap::new();
    for s in attempts.iter().filter(|s| s.ok()) {
        let key = (s.name.to_ascii_lowercase(), s.qtype);
        answered.entry(key).or_default().push(s);
    }
    let sibling = |a: &Attempt<'_>| {
        let silent = matches!(a.answer, Answer::NoResponse) && a.answer_fact.is_none();
        if !silent || answered.is_empty() {
            return None;
        }
        let of_question = answered.get(&(a.name.to_ascii_lowercase(), a.qtype))?;
        // (In query order: the first within the window decides.)
        let from = of_question.partition_point(|s| {
            s.query.ts.secs_until(&a.query.ts) >= super::matching::PARALLEL_SECS
        });
        // (A few looked at: a storm of answered copies from the same server
        // must not make this quadratic.)
        (of_question.get(from..)?.iter().copied())
            .take_while(|s| a.query.ts.secs_until(&s.query.ts) < super::matching::PARALLEL_SECS)
            .take(PARALLEL_LOOK)
            .find(|s| s.server() != a.server())
    };
    let mut keyed: Vec<((u64, bool), &'x Attempt<'a>)> = attempts
        .iter()
        .map(|a| match sibling(a) {
            Some(s) => ((s.query.frame, false), *a),
            None => ((a.query.frame, true), *a),
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, a)| a).collect()
}

/// Answered copies of a question looked at for one asked of another server
/// at the same time.
const PARALLEL_LOOK: usize = 8;

/// Each query and its answer, as evidence.
fn attempts_evidence(attempts: &[&Attempt<'_>]) -> Vec<Evidence> {
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
    evidence
}

/// No attempt decides the stage: an answer cut by the snaplen, only
/// malformed responses, no records, a truncated answer, or nothing.
fn undecided(
    stage: Stage,
    attempts: &[&Attempt<'_>],
    what: &str,
    (malformed, family): (usize, Family),
    evidence: Vec<Evidence>,
) -> StageResult {
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
            "the answer from {} does not fit in UDP (truncated) and the capture shows no \
             retry over TCP: allow DNS over TCP (port 53) from the phones to it, or trim the \
             records",
            last.server()
        );
        return StageResult::new(stage, Status::Warn, last.text())
            .advice(advice)
            .evidence(evidence);
    }
    // An answer of the other family is no pass of its own: the summary
    // starts with the phone's own family's attempt that did not decide.
    let own = attempts
        .iter()
        .rev()
        .find(|a| a.qtype == family.qtype() && !a.ok());
    let summary = match own {
        Some(own) if last.ok() && status == Status::NotSeen => {
            format!("{}; {}", own.text(), last.text())
        }
        _ => last.text(),
    };
    StageResult::new(stage, status, summary).evidence(evidence)
}

/// What the failed and passed attempts of one stage are judged with.
struct Judge<'x, 'a> {
    stage: Stage,
    attempts: &'x [&'x Attempt<'a>],
    family: Family,
    all: &'x [Attempt<'a>],
    /// Whether an attempt decides the stage (its family, its query seen).
    decides: &'x dyn Fn(&Attempt<'_>) -> bool,
    /// The capture may hold the phone's DHCP (see [`advice_of`]).
    dhcp: Lease,
}

impl<'x, 'a> Judge<'x, 'a> {
    /// The last decisive attempt, `last`, resolved the name: pass, or warn
    /// with the failures (or malformed or lost answers) before it.
    fn resolved(
        &self,
        last: &'x &'x Attempt<'a>,
        malformed: usize,
        evidence: Vec<Evidence>,
    ) -> StageResult {
        let Judge {
            stage,
            attempts,
            family,
            all,
            decides,
            dhcp,
        } = *self;
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
            // SRV targets with no address (stale records, a broken zone):
            // the phone went on with the next target, after losing time on
            // each.
            let dead: Vec<&Attempt<'_>> = match (stage, best.qtype, failed.qtype) {
                (Stage::DnsSrv, 33, t) if t != 33 => {
                    dead_targets(&attempts[..pos], attempts, family, decides)
                }
                _ => Vec::new(),
            };
            if !dead.is_empty() {
                let names: Vec<&str> = dead.iter().map(|a| a.name.as_str()).collect();
                drop_after(&mut summary, failed);
                summary.push_str(&format!(
                    " ({} of its targets {} not resolve: {})",
                    names.len(),
                    match names.len() {
                        1 => "does",
                        _ => "do",
                    },
                    names.join(", ")
                ));
                advice = Some(targets_advice(best, &dead, attempts, family));
            }
            let late = matches!(failed.answer, Answer::Late(..));
            // The same question asked of two servers at once, one silent:
            // nothing waited, but that server is dead.
            let parallel = matches!(failed.answer, Answer::NoResponse)
                && failed.server() != best.server()
                && failed.query.ts.secs_until(&best.query.ts).abs()
                    < super::matching::PARALLEL_SECS;
            if parallel && !other_name && !answered_first {
                drop_after(&mut summary, failed);
                summary.push_str(&format!(
                    " ({} never answered the query {} answered, asked at the same time)",
                    failed.server(),
                    best.server()
                ));
            }
            advice = advice.or(Some(match other_name {
                false if late => advice_of(failed, all, dhcp),
                false if failed.edns_refused(best) => format!(
                    "DNS server {} answers FORMERR to queries with EDNS (an OPT record) and \
                     answered the phone only when it asked again without: it, or a DNS \
                     inspection in front of it, does not support EDNS (RFC 6891); answers \
                     larger than 512 bytes (SRV sets) then come back truncated and need DNS \
                     over TCP, so upgrade the server or turn the inspection off",
                    failed.server()
                ),
                false if matches!(&failed.answer, Answer::Error(rc) if rc == "REFUSED") => {
                    refused_then(failed, best, all, (dhcp, when))
                }
                // Every answer of that server came from another address:
                // the server's fault, said as when it fails alone.
                false if matches!(failed.answer, Answer::OtherSource(_)) => format!(
                    "{}; until then the phone waits on {} before it asks the next server",
                    advice_of(failed, all, dhcp),
                    failed.server()
                ),
                false if parallel && !answered_first => format!(
                    "DNS server {} never answers (the phone asked {} at the same time, which \
                     answered): fix it or remove it from {}; a phone that asks it alone waits \
                     for its timeout",
                    failed.server(),
                    best.server(),
                    match dhcp.gave(&failed.server()) {
                        true => "DHCP option 6",
                        false => "the phone's DNS servers",
                    }
                ),
                true => format!(
                    "{} resolved, but not {} ({}): this phone went on with the first; \
                     phones that ask for the other (older firmware) fail here, so let the \
                     resolver answer both",
                    best.name,
                    failed.name,
                    failed.text()
                ),
                false => {
                    // An IPv6 server came from the router advertisement
                    // (or DHCPv6), whatever the DHCPv4 lease says.
                    let server = failed.server();
                    let from = match (server.contains(':'), dhcp.gave(&server), dhcp.seen) {
                        (true, ..) => "from the router advertisement's RDNSS or DHCPv6 option 23",
                        (false, true, _) => "in DHCP option 6",
                        (false, false, true) => "set on the phone (option 6 does not name it)",
                        (false, false, false) => "the phone was given (no DHCP in the capture)",
                    };
                    // It answered none of the phone's queries: the server
                    // fails, not the name.
                    let silent = |a: &&Attempt<'_>| {
                        matches!(a.answer, Answer::NoResponse | Answer::Unreachable(_))
                    };
                    let to_it: Vec<&Attempt<'_>> =
                        all.iter().filter(|a| a.server() == server).collect();
                    match to_it.len() >= 2 && to_it.iter().all(silent) {
                        true => format!(
                            "{} {when} {what} ({}): DNS server {server} answered none of the \
                             phone's queries; fix it or remove it ({from}); a phone waits \
                             before it asks another",
                            best.name,
                            failed.text()
                        ),
                        false => format!(
                            "{} {when} {what} ({}): if it recurs, check every DNS server {from} \
                             and the records of the name (a phone waits before it asks again)",
                            best.name,
                            failed.text()
                        ),
                    }
                }
            }));
        }
        if let (None, Some(lost)) = (&advice, lost) {
            summary.push_str(&format!(" (after {})", lost.text()));
            advice = Some(advice_of(lost, all, dhcp));
        }
        // Answered only after the phone had timed out and asked again: a
        // retry after a timeout, recovered (a warning).
        let slow = match (trouble, &advice) {
            (false, None) => slow_answer(&attempts[..=pos.min(attempts.len() - 1)]),
            _ => None,
        };
        match slow {
            Some(Slow::Late(a, secs)) => {
                summary.push_str(&format!(
                    " (answered {secs:.1} s after the query, once the phone had sent it again)"
                ));
                advice = Some(format!(
                    "DNS server {} answers too slowly ({secs:.1} s): the phone timed out and \
                     asked again before the answer came; fix its upstream forwarding, or give \
                     the phones a resolver that answers within a second",
                    a.server()
                ));
            }
            Some(Slow::FirstLost(a, copy)) => {
                let after = a.query.ts.secs_until(&copy.query.ts);
                summary.push_str(&format!(
                    " (after {} {}: no answer to #{} until the copy #{} the phone sent \
                     {after:.1} s after it, which was answered)",
                    a.name,
                    qtype_name(a.qtype),
                    a.query.frame,
                    copy.query.frame
                ));
                advice = Some(format!(
                    "the phone's query to DNS server {} went unanswered until it asked again \
                     {after:.1} s later: if it recurs, check the path to that server for loss",
                    a.server()
                ));
            }
            None => {}
        }
        // The other family's queries dropped (a retry after each timeout):
        // the phone waited for them before it went on.
        let dropped = match (trouble, slow.is_some(), &advice) {
            (false, false, None) => dropped_other(attempts, family),
            _ => None,
        };
        if let Some(d) = &dropped {
            summary.push_str(&format!(
                " ({} {} {} to {} unanswered over {:.1} s, while its {} queries were answered)",
                d.count,
                qtype_name(family.other()),
                match d.count {
                    1 => "query",
                    _ => "queries",
                },
                d.server,
                d.secs,
                qtype_name(family.qtype())
            ));
            advice = Some(format!(
                "DNS server {} answers the phone's {} queries for {} but none of its {} queries \
                 (#{} to #{}, sent again for {:.1} s): a firewall or DNS proxy on the path drops \
                 {} queries (or the server ignores them), and the phone waits for them; let \
                 them through, or have the server answer them (NOERROR, no records)",
                d.server,
                qtype_name(family.qtype()),
                d.name,
                qtype_name(family.other()),
                d.first,
                d.last,
                d.secs,
                qtype_name(family.other())
            ));
        }
        let trouble = trouble || slow.is_some() || dropped.is_some();
        let status = if trouble { Status::Warn } else { Status::Pass };
        let result = StageResult::new(stage, status, summary).evidence(evidence);
        match advice {
            Some(a) if status == Status::Warn => result.advice(a),
            _ => result,
        }
    }

    /// The last decisive attempt, `last`, failed: the worst failure is
    /// named, with the other names of the stage that failed too.
    fn failed(&self, last: &'x &'x Attempt<'a>, evidence: Vec<Evidence>) -> StageResult {
        let Judge {
            stage,
            attempts,
            family,
            all,
            dhcp,
            ..
        } = *self;
        // Name the SRV or own-family failure rather than the other family's,
        // a primary name's rather than its fallback's.
        let worst = several::leading(attempts, family, last);
        let mut summary = worst.text();
        // Every SBC target failed to resolve: name each one, not only the worst.
        if let Some((summary, advice)) = self.no_target_resolves(worst) {
            return StageResult::new(stage, Status::Fail, summary)
                .advice(advice)
                .evidence(evidence);
        }
        // Several servers asked, none answering: each is named.
        let silent = worst.silent_servers(attempts.iter().copied());
        if silent.len() > 1 && matches!(worst.answer, Answer::NoResponse) {
            let one = format!("no answer from {}", worst.server());
            summary =
                summary.replacen(&one, &format!("no answer from {}", silent.join(" or ")), 1);
        }
        summary.push_str(&unanswered_note(attempts));
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
            _ => advice_of(worst, all, dhcp),
        };
        // Other names of the stage that failed too (activate.cisco.com and its
        // older name webapps.cisco.com): each said, so that none is left out
        // when the fix is made.
        let others = several::others(attempts, family, worst);
        let (summary, advice) = match others.as_slice() {
            [] => (summary, advice),
            _ => {
                let texts: Vec<String> = others.iter().map(|a| a.text()).collect();
                (
                    format!("{summary}; {}", texts.join("; ")),
                    several::advice_with(advice, worst, &others),
                )
            }
        };
        StageResult::new(stage, Status::Fail, summary)
            .advice(advice)
            .evidence(evidence)
    }

    /// A failed SRV stage whose every SBC target failed to resolve: a
    /// summary that names each target, and the advice.
    fn no_target_resolves(&self, worst: &Attempt<'_>) -> Option<(String, String)> {
        let Judge {
            stage,
            attempts,
            family,
            all,
            dhcp,
            ..
        } = *self;
        if stage != Stage::DnsSrv || worst.qtype == 33 {
            return None;
        }
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
        if failed.len() < 2 || failed.iter().any(|a| a.ok()) {
            return None;
        }
        failed.reverse();
        let each: Vec<String> = failed.iter().map(|a| a.text()).collect();
        let summary = format!("no SBC target resolves: {}", each.join("; "));
        let names: Vec<&str> = failed.iter().map(|a| a.name.as_str()).collect();
        let blocked = failed
            .iter()
            .all(|a| matches!(a.answer, Answer::Blocked(_)));
        let literals: Vec<&str> = (names.iter().copied())
            .filter(|n| n.parse::<std::net::IpAddr>().is_ok())
            .collect();
        let srv = (attempts.iter()).find(|a| a.qtype == 33 && a.ok());
        let advice = match blocked {
            true => advice_of(worst, all, dhcp),
            false if !literals.is_empty() => format!(
                "{} names {} by IP address, written as host names ({}), which {} cannot \
                 resolve: RFC 2782 wants a host name there; give each SBC address a name with \
                 an A record and list those names",
                srv.map_or("the SRV record".to_string(), |s| format!(
                    "the SRV record of {}",
                    s.name
                )),
                match literals.len() == names.len() {
                    true => "its targets",
                    false => "targets",
                },
                literals.join(", "),
                worst.server()
            ),
            false => format!(
                "none of the SRV targets ({}) has an address at {}: give each an A record \
                 in the zone, or point the SRV record at SBC names that resolve",
                names.join(", "),
                worst.server()
            ),
        };
        Some((summary, advice))
    }
}

/// What a slow answer was: late for its query (`Late`: the attempt and
/// the delay), or quick for a copy the phone sent after a timeout, the
/// first one lost (`FirstLost`: the attempt and that copy).
enum Slow<'x, 'a> {
    Late(&'x Attempt<'a>, f64),
    FirstLost(&'x Attempt<'a>, &'x Attempt<'a>),
}

/// An answered attempt whose answer came more than [`SLOW_SECS`] after its
/// query, after the phone had sent the same query again (same id and
/// socket, not at the same moment to another server). With fewer answers
/// than copies, the answer may be the last copy's (the first query lost on
/// the way): slow only if it is slow for that one.
fn slow_answer<'x, 'a>(attempts: &[&'x Attempt<'a>]) -> Option<Slow<'x, 'a>> {
    attempts.iter().enumerate().find_map(|(i, a)| {
        let answer = a.answer_fact.filter(|_| a.ok())?;
        let secs = a.query.ts.secs_until(&answer.ts);
        if secs <= SLOW_SECS {
            return None;
        }
        let Body::Dns(m) = &a.query.body else {
            return None;
        };
        // (A few later attempts looked at: the copies come next.)
        let copy = |b: &&&Attempt<'_>| {
            b.query.src == a.query.src
                && matches!(&b.query.body, Body::Dns(n) if n.id == m.id)
                && a.query.ts.secs_until(&b.query.ts) >= PARALLEL_SECS
        };
        let mut later = attempts.get(i + 1..)?.iter().take(SLOW_LOOK).filter(copy);
        let last_copy = later.rfind(|b| b.query.frame < answer.frame)?;
        let for_last = last_copy.query.ts.secs_until(&answer.ts);
        match a.fewer_answers && for_last <= SLOW_SECS {
            true => Some(Slow::FirstLost(a, last_copy)),
            false => Some(Slow::Late(a, secs)),
        }
    })
}

/// Seconds after its query from which an answer is slow, and the later
/// attempts looked at for a copy of the query.
const SLOW_SECS: f64 = 2.0;
const SLOW_LOOK: usize = 8;

/// Takes the " (after <failed>)" just added off the end of `summary`, for
/// words that say more.
fn drop_after(summary: &mut String, failed: &Attempt<'_>) {
    let tail = format!(" (after {})", failed.text());
    if let Some(cut) = summary.strip_suffix(&tail).map(str::len) {
        summary.truncate(cut);
    }
}

/// " (3 queries unanswered: A and AAAA)" when more than one was, else "".
fn unanswered_note(attempts: &[&Attempt<'_>]) -> String {
    let unanswered = attempts
        .iter()
        .filter(|a| matches!(a.answer, Answer::NoResponse | Answer::Pending))
        .count();
    if unanswered < 2 {
        return String::new();
    }
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
    format!(" ({unanswered} queries unanswered{of})")
}
