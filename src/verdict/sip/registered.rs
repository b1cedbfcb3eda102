//! A REGISTER answered 2xx: registered, and what a pass must still warn of
//! (a binding granted 0 s, rejected or refused attempts before it, a failed
//! connection to another registrar, a REGISTER refused by ICMP, REGISTERs left
//! unanswered, a late answer, NAT and SIP ALG rewrites). A 2xx to a REGISTER
//! without a Contact (a binding query, RFC 3261 10.2.3) registers nothing:
//! a warning, not a registration.

use super::advice::{reason_advice, response_text};
use super::challenge::answered_unseen;
use super::connect::failed_connection_before;
use super::exchange::{cut_answer, late_answer, refused_before, LATE_ADVICE};
use super::stage;
use super::transaction::Transaction;
use std::net::SocketAddr;

use crate::fact::{Body, Fact};
use crate::proto::sip::Nat;
use crate::verdict::{Ctx, StageResult, Status};

/// The stage when `last`, the deciding REGISTER, got the 2xx `code`.
/// `rejected`: authenticated REGISTERs challenged anew (not nonce renewals).
pub(super) fn registered(
    ctx: &Ctx<'_>,
    txs: &[Transaction<'_>],
    judged: &[&Transaction<'_>],
    last: &Transaction<'_>,
    code: u16,
    rejected: usize,
    nat: Option<&(&Fact, Nat)>,
) -> StageResult {
    if last.binding_query() {
        return binding_query(last, code);
    }
    let ok = last.finals.first().map(|(_, _, m)| *m);
    let own = last.msg.registered_contact().0;
    let expires = ok.and_then(|m| m.binding_expires(own));
    let exp = expires.map_or(String::new(), |e| format!(", expires {e} s"));
    // A de-registration after it, accepted: the binding is gone
    // when the capture ends (a reboot or shutdown; no failure).
    // (Its challenge answered by a REGISTER the capture lost, whose 2xx
    // is there, counts: a few looked at.)
    let dereg =
        |t: &&Transaction<'_>| t.expires() == Some(0) && t.request.frame > last.request.frame;
    let accepted = |t: &&Transaction<'_>| t.final_code().is_some_and(|c| (200..300).contains(&c));
    let removed = match txs.iter().filter(dereg).find(accepted) {
        Some(t) => Some(t.request.frame),
        None => (txs.iter().filter(dereg).take(DEREG_LOOK))
            .filter(|t| matches!(t.final_code(), Some(401 | 407)))
            .find_map(|t| answered_unseen(ctx, t).map(|(ok, _)| ok.0.frame)),
    };
    let summary = match removed {
        Some(frame) => {
            format!("registered: {code} OK{exp}; then de-registered (Expires 0, #{frame})")
        }
        // Only de-registrations: the phone removed its binding.
        None if last.expires() == Some(0) => format!(
            "de-registered: {code} OK to the phone's REGISTER with Expires 0 (it \
             removed its own binding)"
        ),
        None => format!("registered: {code} OK{exp}"),
    };
    // A de-registration refused (not challenged): the binding stays at the
    // registrar until it expires; said, not judged (the line registered).
    let summary = match (removed, txs.iter().filter(dereg).find_map(refused_dereg)) {
        (None, Some((req, answer, text))) if last.expires() != Some(0) => format!(
            "{summary}; its de-registration (Expires 0, #{req}) was refused: {text} (#{answer})"
        ),
        _ => summary,
    };
    let forbidden = judged.iter().any(|t| matches!(t.final_code(), Some(403)));
    // Earlier REGISTERs that never got a final response: a path that
    // failed before it worked (another registrar, a retry) is a warning.
    let earlier = &judged[..judged.len() - 1];
    // (Over UDP a phone re-sends a REGISTER nobody answers, RFC 3261
    // 17.1.1.2: one never re-sent, followed by the next REGISTER of its
    // Call-ID, had its answer, which the capture lost.)
    // (An ICMP error about it is its answer: refused, not lost.)
    let icmp = icmp_errors(ctx);
    let refused = |t: &Transaction<'_>| icmp_about(&icmp, t);
    let answer_lost = |t: &Transaction<'_>| {
        t.request.l4 == crate::fact::L4::Udp
            && t.retransmissions == 0
            && refused(t).is_none()
            && judged.iter().any(|n| {
                n.call_id == t.call_id && n.cseq > t.cseq && n.request.frame > t.request.frame
            })
    };
    let unanswered = (earlier.iter())
        .filter(|t| t.final_code().is_none() && cut_answer(ctx, t).is_none() && !answer_lost(t))
        .count();
    // Refused before it got an answer (its first sends, while nothing
    // listened), or never answered.
    let first_refused = earlier.iter().find_map(|t| {
        let (f, words) = refused(t)?;
        let answer = t.finals.first().map_or(u64::MAX, |(a, _, _)| a.frame);
        (f.frame < answer).then_some((t, (f, words)))
    });
    // (Not for a de-registration the phone asked for itself.)
    if expires == Some(0) && removed.is_none() && last.expires() != Some(0) {
        // RFC 3261 10.3: a binding granted 0 s is removed at
        // once; the line is not registered.
        stage(
            Status::Fail,
            format!(
                "{code} OK, but it grants the phone's Contact 0 s (expires=0): the \
                 binding is removed at once, the line is not registered"
            ),
        )
        .advice(
            "the registrar accepts the REGISTER but keeps no binding: check its \
             registration-time limits (maximum and minimum expires) and that nothing \
             on the path (a SIP ALG) rewrites the Expires or Contact the phone sends",
        )
    } else if rejected > 0 || forbidden {
        let mut r = stage(Status::Warn, format!("{summary} (after rejected attempts)")).advice(
            "the registrar rejected the line's credentials (a fresh challenge or a 403) before \
             it accepted them: if it recurs, check the Auth ID and password in Control Hub and \
             that no other device registers with them",
        );
        r.recovered = Some(crate::verdict::Recovery {
            failed: "the registrar rejected the line's credentials (a fresh challenge or a 403)"
                .to_string(),
            advice: Some(
                "check the line's Auth ID and password against Control Hub, and that no other \
                 device registers with them"
                    .to_string(),
            ),
            success: summary.clone(),
        });
        r
    } else if let Some((f, code, m)) = refused_before(earlier) {
        let text = response_text(code, m);
        let from = f.src;
        let retry = m
            .header_secs("Retry-After")
            .map_or(String::new(), |s| format!(" (Retry-After {s} s)"));
        stage(
            Status::Warn,
            format!("{summary} (after {text} from {from}{retry}, #{})", f.frame),
        )
        .advice(match (reason_advice(code, m), last.request.dst == from) {
            // A refusal naming what to change, which the phone then did
            // without: that costs a round trip at each registration.
            (Some(advice), _) => format!(
                "the phone registered only after the registrar at {from} refused its first \
                 REGISTER ({text}): {advice}"
            ),
            // The same registrar, later (after its Retry-After): no failover.
            (None, true) => format!(
                "the registrar at {from} refused the phone ({text}) and accepted it when it \
                 asked again: check that registrar's load and service; each refusal costs \
                 the phone time"
            ),
            (None, false) => format!(
                "the registrar at {from} refused the phone ({text}) before another \
                 accepted it: check that registrar (service, load, configuration); each \
                 failover costs the phone time"
            ),
        })
    } else if let Some((failed, beside)) = failed_connection_before(ctx, last) {
        match beside {
            true => stage(
                Status::Warn,
                format!("{summary}; a connection opened beside it failed ({failed})"),
            )
            .advice(
                "the phone also connected to another registrar (another line's, or a second \
                 one) and that failed; nothing registered there: check that registrar's \
                 address and port and the firewall on its path",
            ),
            false => stage(Status::Warn, format!("{summary} (after {failed})")).advice(
                "the phone registered only after its TCP connection to another \
                 registrar failed: check that registrar (or the firewall on its path), \
                 each failover costs the phone time",
            ),
        }
    } else if let Some((t, (f, words))) = first_refused {
        let to = t.request.dst;
        stage(
            Status::Warn,
            format!(
                "{summary} (after a REGISTER to {to} refused by ICMP {words}, #{})",
                f.frame
            ),
        )
        .advice(format!(
            "{} answered the phone's REGISTER to {to} with ICMP {words} before the registration \
             worked: nothing listened on that SIP port then (a registrar restarting), or a \
             firewall rejects it; check that registrar and the path to it",
            f.src_ip()
        ))
    } else if unanswered > 0 {
        let n = crate::text::plural(unanswered, "REGISTER", "REGISTERs");
        stage(
            Status::Warn,
            format!("{summary} (after {n} with no answer)"),
        )
        .advice(
            "the registrar answered only after earlier REGISTERs got nothing back: check \
         the path (firewall, NAT, SIP ALG) to the first registrar tried",
        )
    } else if let Some(late) = late_answer(last) {
        stage(Status::Warn, format!("{summary} (the REGISTER was {late})")).advice(LATE_ADVICE)
    } else if let Some((t, late)) = earlier
        .iter()
        .rev()
        .find_map(|t| Some((t, late_answer(t)?)))
    {
        // An earlier exchange of the run (its challenge, a refresh) came
        // late: the same lossy path.
        let at = t.request.frame;
        stage(
            Status::Warn,
            format!("{summary} (the REGISTER #{at} was {late})"),
        )
        .advice(LATE_ADVICE)
    } else if let Some((_, n)) = nat.filter(|(_, n)| n.partial_alg) {
        stage(Status::Warn, format!("{summary}; {}", n.text)).advice(
            "a SIP ALG on the NAT/firewall rewrites the phone's REGISTER by halves \
             (Via public, Contact private): disable it and let the registrar handle \
             the NAT (rport, keep-alives); half-rewritten messages lose calls and \
             registrations",
        )
    } else if let Some((_, Nat { text, .. })) = nat {
        // The private Via survived: nothing rewrote it (no ALG at
        // work on this path); the registrar must handle the NAT.
        stage(Status::Warn, format!("{summary}; {text}")).advice(
            "the phone registers through NAT (its Via names another address than \
             the packet's source): keep the registrar's NAT handling (rport, \
             keep-alives) on, \
             and if a SIP ALG on that NAT/firewall is enabled, disable it; it is the \
             usual cause of one-way audio and lost registrations",
        )
    } else if let Some((ok, granted, next, gap)) = lapse(txs, last) {
        stage(
            Status::Warn,
            format!(
                "{summary}; the binding lapsed between refreshes: granted {granted} s (#{ok}), \
                 the next REGISTER came {gap:.0} s later (#{next})"
            ),
        )
        .advice(
            "the phone refreshes later than the registrar's grant, so its binding expires \
             between refreshes and calls to it fail then: make the phone refresh within the \
             expires the 200 OK grants (its registration expiry and the registrar's maximum \
             must agree)",
        )
    } else if let Some(alg) = &ctx.phone.sip_alg {
        // Both sides of the ALG in the capture: the rewrite seen.
        stage(Status::Warn, format!("{summary}; {alg}")).advice(
            "a SIP ALG on the NAT/firewall rewrites the phone's REGISTERs: disable \
             it (SIP inspection, fixup or helper) and let the registrar handle the \
             NAT; Webex Calling requires SIP ALG off, it is the usual cause of \
             one-way audio and lost registrations",
        )
    } else {
        stage(Status::Pass, summary)
    }
}

/// Seconds of slack before a late refresh counts as a lapse (clocks, the
/// round trip of the refresh itself).
const LAPSE_SLACK_SECS: f64 = 2.0;

/// The first registration of `last`'s line that expired before the line's
/// next REGISTER of the same Call-ID: the 2xx's frame, the seconds it granted, the next
/// REGISTER's frame and the seconds between them.
fn lapse(txs: &[Transaction<'_>], last: &Transaction<'_>) -> Option<(u64, u32, u64, f64)> {
    let mut line: Vec<&Transaction<'_>> = txs.iter().filter(|t| t.line() == last.line()).collect();
    line.sort_by_key(|t| t.request.frame);
    line.windows(2).find_map(|pair| {
        let (t, next) = (pair[0], pair[1]);
        let (ok, code, m) = t.finals.first()?;
        let granted = match code {
            200..=299 => m.binding_expires(t.msg.registered_contact().0)?,
            _ => return None,
        };
        // A refresh keeps the Call-ID (RFC 3261 10.2.4); a new one is a
        // new start (a reboot), whose gap says nothing about refreshing.
        let gap = ok.ts.secs_until(&next.request.ts);
        let refresh = next.call_id == t.call_id;
        let lapsed = refresh && granted > 0 && gap > f64::from(granted) + LAPSE_SLACK_SECS;
        lapsed.then_some((ok.frame, granted, next.request.frame, gap))
    })
}

/// A de-registration's refusal: the frames of the request and of its final
/// answer, the answer in words. A challenge is no refusal unless it
/// answered credentials (not stale).
fn refused_dereg(t: &Transaction<'_>) -> Option<(u64, u64, String)> {
    let (f, code, m) = t.finals.first()?;
    let challenge = matches!(code, 401 | 407) && (!t.authenticated() || t.stale());
    (*code >= 300 && !challenge).then(|| (t.request.frame, f.frame, response_text(*code, m)))
}

/// The ICMP errors about UDP datagrams the phone sent, in frame order:
/// (frame, quoted sender, quoted destination, the fact).
fn icmp_errors<'a>(ctx: &'a Ctx<'a>) -> Vec<(u64, SocketAddr, SocketAddr, &'a Fact)> {
    (ctx.own())
        .filter_map(|f| match &f.body {
            // ('Fragmentation needed' asks for smaller datagrams: no refusal.)
            Body::Icmp(u) if u.orig_proto == 17 && !u.frag_needed() => {
                Some((f.frame, u.orig_src, u.orig_dst, f))
            }
            _ => None,
        })
        .collect()
}

/// The first ICMP error quoting `t`'s datagram, among the few after it:
/// its fact and its kind in words.
fn icmp_about<'a>(
    icmp: &[(u64, SocketAddr, SocketAddr, &'a Fact)],
    t: &Transaction<'_>,
) -> Option<(&'a Fact, &'static str)> {
    let req = t.request;
    let from = icmp.partition_point(|e| e.0 <= req.frame);
    (icmp.get(from..)?.iter().take(ICMP_LOOK))
        .find(|e| e.1 == req.src && e.2 == req.dst)
        .and_then(|e| match &e.3.body {
            Body::Icmp(u) => Some((e.3, u.kind.words())),
            _ => None,
        })
}

/// De-registrations after the deciding REGISTER looked at for one that
/// was accepted.
const DEREG_LOOK: usize = 4;

/// ICMP errors looked at after a REGISTER for one about it.
const ICMP_LOOK: usize = 16;

/// `last`, a REGISTER without a Contact, got the 2xx `code`: it listed the
/// line's bindings (those its answer names) and added none.
fn binding_query(last: &Transaction<'_>, code: u16) -> StageResult {
    let listed = last.finals.first().map_or(0, |(_, _, m)| m.contact.len());
    let bindings = match listed {
        0 => "no binding".to_string(),
        n => crate::text::plural(n, "binding", "bindings"),
    };
    stage(
        Status::Warn,
        format!(
            "binding query, nothing registered: the REGISTER at #{} carried no Contact, and \
             its {code} OK lists {bindings}",
            last.request.frame
        ),
    )
    .advice(
        "a REGISTER without a Contact header only asks for the line's bindings (RFC 3261 \
         10.2.3) and registers nothing: check the phone's line settings and that no SIP ALG \
         on the path strips the Contact header",
    )
}
