//! Stage `sip-register`: REGISTER transactions of the phone (keyed by
//! Call-ID, CSeq and Via branch: `sip/transaction.rs`) and their final
//! responses; with no REGISTER at all, why (a failed SBC stage, a registrar
//! refusing TCP, a snaplen, SIP inside TLS).
//!
//! A first 401/407 is the normal digest challenge; a 401 with `stale=true`
//! is a nonce refresh. An authenticated REGISTER answered by a fresh 401, or
//! a 403, means the credentials were rejected. A challenge the phone never
//! answers while the capture goes on 5 s or more is a failed registration
//! (`sip/unfollowed.rs`); one the capture ends on stays not seen. No final
//! response means the path to the registrar is broken (`sip/unanswered.rs`:
//! an answer the phone went on re-sending after never reached it); answers
//! that came back as IP fragments never completed say the path lost them. A
//! line challenged again and again that never answers with credentials has
//! none (unless the snaplen hid them). A REGISTER with expires 0 at the end
//! is a de-registration, not a failure, and one without a Contact a binding
//! query (RFC 3261 10.2.3): its 2xx registers nothing, a warning when the
//! phone sent nothing else (`sip/registered.rs`). Several lines: each
//! line's last REGISTER counts, the worst decides and is named. NAT: a Via
//! sent-by address that differs from the packet's source warns (a Via
//! rewritten but a private Contact left is a half-working SIP ALG); the
//! same REGISTER captured on both sides of a SIP ALG (`Phone::sip_alg`)
//! warns with the rewrite (and a failure names it).
//! SIP answers cut by the snaplen or lost from the capture make the stage
//! can't tell; a final answer (not a challenge) to a REGISTER the capture
//! lost, after all else, decides (`sip/no_register.rs`). Refusals naming
//! their reason (420, 421, 439, 483, 3xx) get advice of their own.

mod advice;
mod challenge;
mod connect;
mod exchange;
mod mismatch;
mod no_register;
mod registered;
mod tcp_black_hole;
mod too_big;
mod transaction;
mod unanswered;
mod unfollowed;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use super::evidence::cited_frames;
use super::sip_tls;
use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use advice::{final_advice, response_text};
use connect::registrar_unreachable;
use exchange::{cut_sip, no_credentials};
use no_register::{answers_alone, cut_by_snaplen};
use registered::registered;
use transaction::{nat_note, transactions, Transaction};
use unanswered::unanswered;

/// `sbc_failed`: the SBC stage that failed (`sbc-connect` or `sbc-tls`), so
/// no SIP could run with it (a REGISTER in clear is judged all the same).
pub fn register(ctx: &Ctx<'_>, sbc_failed: Option<Stage>) -> StageResult {
    let txs = transactions(ctx);
    if txs.is_empty() {
        return no_transaction(ctx, sbc_failed);
    }
    let mut evidence = transaction_evidence(&txs);
    let nat = nat_note(&txs);
    if let Some((f, n)) = &nat {
        evidence.push(ev(f, n.text.clone()));
    }
    // De-registrations at the end do not judge the registration, nor do
    // binding queries (REGISTERs without a Contact).
    let judged: Vec<&Transaction<'_>> = {
        let live: Vec<&Transaction<'_>> = (txs.iter())
            .filter(|t| t.expires() != Some(0) && !t.binding_query())
            .collect();
        if live.is_empty() {
            txs.iter().collect()
        } else {
            live
        }
    };
    // A REGISTER still waiting at the capture's end does not judge its line
    // when the line's REGISTER before it failed (unanswered, refused): that
    // failure stands (a phone retrying a dead registrar).
    let waiting = |t: &Transaction<'_>| {
        t.finals.is_empty()
            && t.provisional.is_none()
            && ctx.secs_left(&t.request.ts) < unanswered::PENDING_SECS
    };
    // (One pass: each line's last REGISTER, and its latest failure since
    // its last 2xx; the line's REGISTERs after that failure go.)
    let mut last_at: HashMap<Option<&str>, usize> = HashMap::new();
    let mut failed_at: HashMap<Option<&str>, usize> = HashMap::new();
    for (i, t) in judged.iter().enumerate() {
        last_at.insert(t.line(), i);
        match t.rank() {
            0 => {
                failed_at.remove(&t.line());
            }
            2 if !waiting(t) => {
                failed_at.insert(t.line(), i);
            }
            _ => {}
        }
    }
    let waits = |line: Option<&str>| {
        (last_at.get(&line))
            .and_then(|i| judged.get(*i))
            .is_some_and(|t| waiting(t))
    };
    let judged: Vec<&Transaction<'_>> = (judged.iter().enumerate())
        .filter(|(i, t)| {
            let after_failure = failed_at.get(&t.line()).is_some_and(|f| i > f);
            !(after_failure && waits(t.line()))
        })
        .map(|(_, t)| *t)
        .collect();
    // Several lines: each line's last REGISTER counts; the worst decides,
    // and among failures one that needs the line's settings changed (a 403,
    // a 404) before a transient one (a 503: wait or try another target);
    // ties go to the later REGISTER.
    let mut last_of_line: BTreeMap<&str, &Transaction<'_>> = BTreeMap::new();
    for t in &judged {
        if let Some(line) = t.line() {
            last_of_line.insert(line, t);
        }
    }
    let lines: BTreeSet<&str> = last_of_line.keys().copied().collect();
    let last = match lines.len() {
        0 | 1 => judged[judged.len() - 1],
        _ => (last_of_line.values())
            .max_by_key(|t| (t.rank(), !t.transient(), t.request.frame))
            .copied()
            .unwrap_or(judged[judged.len() - 1]),
    };
    let rejected = rejected(&judged);
    if let Some(result) = no_register::orphan_answer(ctx, &txs, &mut evidence) {
        return with_alg(ctx, result.evidence(evidence));
    }
    // A challenge the phone answered with a REGISTER the capture lost: its
    // 2xx (the Call-ID's next CSeq) is there.
    // Judged as the registration that 2xx makes.
    let unseen = match last.final_code() {
        Some(401 | 407) => challenge::answered_unseen(ctx, last),
        _ => None,
    };
    let unseen = unseen.map(|(ok, cseq)| {
        evidence.push(ev(
            ok.0,
            format!(
                "{} to CSeq {cseq}, whose REGISTER is not in the capture",
                ok.1
            ),
        ));
        let done = last.answered_unseen(ok, cseq);
        // (Its own challenge was answered: no rejection.)
        let counted = last.authenticated() && !last.stale();
        let rejected = rejected.saturating_sub(usize::from(counted));
        let mut r = registered(ctx, &txs, &judged, &done, ok.1, rejected, nat.as_ref());
        r.summary.push_str(&format!(
            "; the REGISTER answering the challenge (CSeq {cseq}) is not in the capture"
        ));
        r
    });
    // Challenged again after credentials that answer another challenge.
    let mismatch = match (&unseen, last.final_code()) {
        (None, Some(401 | 407)) if !last.stale() => mismatch::mismatched(&judged, last),
        _ => None,
    };
    let result = match (unseen, last.final_code()) {
        _ if mismatch.is_some() => mismatch.unwrap_or_else(|| stage(Status::Fail, String::new())),
        (Some(r), _) => r,
        (None, Some(code)) if (200..300).contains(&code) => {
            registered(ctx, &txs, &judged, last, code, rejected, nat.as_ref())
        }
        // A refresh with the nonce that had worked, challenged anew (a new
        // nonce) as the capture ends: the phone's answer to it is not in
        // the capture.
        (None, Some(code @ (401 | 407))) if rechallenged_at_end(ctx, &judged, last) => {
            StageResult::not_seen(
                Stage::SipRegister,
                format!(
                    "a refresh was challenged anew ({code}, a new nonce) as the capture ends; \
                     the phone had registered with those credentials before: the answer to \
                     the challenge is not in the capture"
                ),
            )
        }
        (None, Some(code @ (401 | 407))) if last.authenticated() && !last.stale() => stage(
            Status::Fail,
            format!(
                "credentials rejected: {} answered with a fresh {code}",
                crate::text::plural(
                    rejected,
                    "authenticated REGISTER",
                    "authenticated REGISTERs"
                )
            ),
        )
        .advice(
            "check the line's Auth ID and password against Control Hub: the registrar keeps \
             challenging the authenticated REGISTERs",
        ),
        (None, Some(401 | 407)) => {
            // Challenges the worst line got without ever sending credentials.
            let uncredentialed = no_credentials(&judged, last);
            challenge::challenged(ctx, &judged, last, uncredentialed)
        }
        (None, Some(403)) => {
            // Credentials of either kind, or a REGISTER whose headers were cut.
            let credentials = last.authenticated()
                || !last.msg.credentials(true).is_empty()
                || last.request.truncated
                || challenged_line(&judged, last);
            stage(
                Status::Fail,
                "403 Forbidden: the registrar rejects this line".into(),
            )
            .advice(advice::forbidden(credentials, &refuser(&judged, last)))
        }
        (None, Some(code)) => {
            let last_final = last.finals.first();
            let reason = last_final
                .map(|(_, c, m)| response_text(*c, m))
                .unwrap_or_default();
            let min_expires = last_final.and_then(|(_, _, m)| m.header_secs("Min-Expires"));
            let advice = match last_final {
                Some((_, _, m)) => final_advice(code, m, min_expires, last.expires()),
                None => format!("the registrar answered {code}"),
            };
            // (A Retry-After says when the registrar wants to be asked again.)
            let retry = last_final
                .and_then(|(_, _, m)| m.header_secs("Retry-After"))
                .map_or(String::new(), |s| format!(" (Retry-After {s} s)"));
            stage(Status::Fail, format!("REGISTER answered {reason}{retry}")).advice(advice)
        }
        (None, None) => match unanswered(ctx, &judged, last, &mut evidence) {
            ControlFlow::Break(done) => return done,
            ControlFlow::Continue(result) => result,
        },
    };
    // A failure after the phone had registered says so: the registrar, its
    // address and the credentials had worked.
    let mut result = result;
    let line: Vec<&Transaction<'_>> = (judged.iter().copied())
        .filter(|t| t.line() == last.line())
        .collect();
    if let (Status::Fail, Some(ok)) = (result.status, exchange::registered_before(&line, last)) {
        if !result.summary.contains("registration (#") && !result.summary.contains("before (#") {
            result
                .summary
                .push_str(&format!(" (after a registration, #{})", ok.frame));
        }
    }
    // Path MTU discovery about the REGISTERs: told, and kept through the
    // trimming.
    let too_big = too_big::too_big(ctx, &txs);
    let too_big_frames: Vec<u64> = too_big.iter().map(|e| e.frame).collect();
    if !too_big.is_empty() {
        evidence.extend(too_big);
        evidence.sort_by_key(|e| e.frame);
    }
    let result = after_deciding_answer(ctx, result.evidence(evidence), last);
    let result = with_alg(ctx, result).keep(too_big_frames);
    let result = match (lines.len() > 1, last.line()) {
        (true, Some(line)) => name_line(result, &lines, line, &last_of_line),
        _ => result,
    };
    keep_deciding(result, &txs, last)
}

/// The deciding REGISTER and its answers, and every REGISTER whose request
/// or answer the summary or advice cites, with its answers, stay through
/// the evidence trimming (tester132: a 404 amid six lines was trimmed off).
fn keep_deciding(
    result: StageResult,
    txs: &[Transaction<'_>],
    last: &Transaction<'_>,
) -> StageResult {
    let texts = [Some(result.summary.as_str()), result.advice.as_deref()];
    let cited: BTreeSet<u64> = texts
        .iter()
        .flatten()
        .flat_map(|t| cited_frames(t))
        .collect();
    let keep: Vec<u64> = (txs.iter())
        .filter(|t| tx_frames(t).iter().any(|f| cited.contains(f)))
        .flat_map(tx_frames)
        .chain(tx_frames(last))
        .collect();
    result.keep(keep)
}

/// A failure of a phone whose REGISTERs the capture shows rewritten by a SIP
/// ALG (both sides of it captured) says the rewrite too: it is not the
/// failure's cause in general, but Webex Calling needs it off.
fn with_alg(ctx: &Ctx<'_>, mut result: StageResult) -> StageResult {
    let Some(alg) = &ctx.phone.sip_alg else {
        return result;
    };
    if result.status != Status::Fail || result.summary.contains("SIP ALG") {
        return result;
    }
    result.summary = format!("{}; {alg}", result.summary);
    let also = "also disable the SIP ALG on the NAT/firewall that rewrites the REGISTERs \
                (Webex Calling requires it off)";
    result.advice = Some(match result.advice.take() {
        Some(advice) => format!("{advice}; {also}"),
        None => also.to_string(),
    });
    result
}

fn stage(status: Status, summary: String) -> StageResult {
    StageResult::new(Stage::SipRegister, status, summary)
}

/// The stage when the phone sent no REGISTER (or none the capture shows).
fn no_transaction(ctx: &Ctx<'_>, sbc_failed: Option<Stage>) -> StageResult {
    let never = |what: &str| {
        let s = format!("no REGISTER: {what}, so SIP never started");
        StageResult::not_seen(Stage::SipRegister, s)
    };
    let connect_failed = sbc_failed == Some(Stage::SbcConnect);
    let sbc_connect = "the connection to the SBC failed (sbc-connect)";
    if sbc_failed == Some(Stage::SbcTls) {
        return never("the TLS session with the SBC failed (sbc-tls)");
    }
    if let Some((to, refused)) = registrar_unreachable(ctx) {
        // The SBC's port may be a SIP port (5061 from an SRV record): its
        // failed connection is sbc-connect's, not a registrar's of its own.
        let sbc = to.port() == ctx.sbc_port || ctx.names.is_srv_endpoint(&to);
        return match connect_failed && sbc {
            true => never(sbc_connect),
            false => refused,
        };
    }
    if let Some(cut) = cut_by_snaplen(ctx) {
        return cut;
    }
    if let Some(answered) = answers_alone(ctx) {
        return answered;
    }
    match sip_tls::inside_tls(ctx) {
        Some(result) => result,
        None if connect_failed => never(sbc_connect),
        None => StageResult::not_seen(Stage::SipRegister, "no REGISTER from this phone"),
    }
}

/// Each REGISTER and its final responses, as evidence.
fn transaction_evidence(txs: &[Transaction<'_>]) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    for t in txs {
        let auth = if t.authenticated() {
            " with credentials"
        } else {
            ""
        };
        let unregister = if t.expires() == Some(0) {
            " (Expires 0: de-registration)"
        } else {
            ""
        };
        evidence.push(ev(
            t.request,
            format!(
                "REGISTER{auth} CSeq {} Call-ID {}{unregister}",
                t.cseq, t.call_id
            ),
        ));
        for (f, code, m) in &t.finals {
            evidence.push(ev(f, response_text(*code, m)));
        }
    }
    evidence
}

/// Authenticated REGISTERs challenged anew: rejected credentials. A fresh
/// challenge to an authenticated REGISTER that the line's next REGISTER
/// passes is the registrar renewing its nonce (without the stale flag RFC
/// 7616 asks for, as kamailio does): no rejection.
fn rejected(judged: &[&Transaction<'_>]) -> usize {
    // Each REGISTER's next one of the same line to the same registrar (a
    // phone with dual registration keeps one binding at each), found in
    // one backward pass.
    let mut next: Vec<Option<&Transaction<'_>>> = vec![None; judged.len()];
    let mut later: HashMap<(Option<&str>, std::net::SocketAddr), &Transaction<'_>> =
        HashMap::new();
    for (i, t) in judged.iter().enumerate().rev() {
        let following = later.insert((t.line(), t.request.dst), t);
        if let Some(slot) = next.get_mut(i) {
            *slot = following;
        }
    }
    let renewed = |t: &Transaction<'_>, next: Option<&Transaction<'_>>| {
        // The challenge's nonce is a new one: the phone's had expired (the
        // same nonce challenged again rejects the credentials).
        let passed =
            next.is_some_and(|n| n.authenticated() && matches!(n.final_code(), Some(200..=299)));
        t.new_nonce() && passed
    };
    (judged.iter().zip(next))
        .filter(|(t, _)| {
            t.authenticated() && matches!(t.final_code(), Some(401 | 407)) && !t.stale()
        })
        .filter(|(t, n)| !renewed(t, *n))
        .count()
}

/// Seconds before the capture's end within which a phone's answer to a
/// challenge may just not have been captured (it answers in milliseconds).
const ANSWER_SECS: f64 = 2.0;

/// `last`, a REGISTER with credentials answered by a challenge with a new
/// nonce within [`ANSWER_SECS`] of the capture's end, used the nonce of an
/// earlier REGISTER of its line that was accepted (a 2xx): a refresh
/// re-challenged, whose answer the capture does not hold.
fn rechallenged_at_end(
    ctx: &Ctx<'_>,
    judged: &[&Transaction<'_>],
    last: &Transaction<'_>,
) -> bool {
    let Some((answer, _, _)) = last.finals.last() else {
        return false;
    };
    // (With the nonce that had worked: an answer to a fresh challenge, with
    // its new nonce, that is refused again rejects the credentials.)
    let accepted_before = judged.iter().any(|t| {
        t.request.frame < last.request.frame
            && t.line() == last.line()
            && matches!(t.final_code(), Some(200..=299))
            && t.nonce().is_some()
            && t.nonce() == last.nonce()
    });
    last.authenticated()
        && last.new_nonce()
        && accepted_before
        && ctx.secs_left(&answer.ts) < ANSWER_SECS
}

/// SIP after the deciding answer that was cut or lost: the phone may have
/// gone on (a 423 or 401 is normally retried), so a failure can't stand.
fn after_deciding_answer(
    ctx: &Ctx<'_>,
    result: StageResult,
    last: &Transaction<'_>,
) -> StageResult {
    let decided_at = last
        .finals
        .last()
        .map_or(last.request.frame, |(f, _, _)| f.frame);
    let lost = ctx.own().find(|f| f.frame > decided_at && cut_sip(f));
    let (Status::Fail, Some(f)) = (result.status, lost) else {
        return result;
    };
    let summary = format!(
        "{}; SIP after it is cut or lost in the capture (from #{}): can't tell how the \
         registration ended",
        result.summary, f.frame
    );
    let mut evidence = result.evidence;
    evidence.push(ev(f, "SIP cut by the snaplen or lost"));
    StageResult::not_seen(Stage::SipRegister, summary).evidence(evidence)
}

/// Several lines: the summary names the deciding one and the others.
/// Other failing lines named in a line's summary, at most.
const MAX_FAILING_NAMED: usize = 3;

fn name_line(
    mut result: StageResult,
    lines: &BTreeSet<&str>,
    line: &str,
    last_of_line: &BTreeMap<&str, &Transaction<'_>>,
) -> StageResult {
    let others: Vec<&str> = lines.iter().copied().filter(|u| *u != line).collect();
    // Other lines that failed too are said with their answer: fixing the
    // one named leaves them dead.
    let mut failing = Vec::new();
    let mut more = 0usize;
    for u in &others {
        let Some(t) = last_of_line.get(u).filter(|t| t.rank() == 2) else {
            continue;
        };
        if failing.len() == MAX_FAILING_NAMED {
            more += 1;
            continue;
        }
        let what = match t.finals.first() {
            Some((f, code, m)) => {
                result
                    .evidence
                    .push(ev(f, format!("line {u}: {}", response_text(*code, m))));
                result.keep.extend([t.request.frame, f.frame]);
                response_text(*code, m)
            }
            None => "no answer".to_string(),
        };
        failing.push(format!("line {u}: {what}"));
    }
    if !failing.is_empty() {
        result.evidence.sort_by_key(|e| e.frame);
    }
    let also = match failing.is_empty() {
        true => String::new(),
        false if more > 0 => format!("; failing too: {} and {more} more", failing.join(", ")),
        false => format!("; failing too: {}", failing.join(", ")),
    };
    result.summary = format!(
        "line {line}: {} (other lines: {}{also})",
        result.summary,
        others.join(", ")
    );
    result
}

/// A REGISTER's frame and its final answers'.
fn tx_frames(t: &Transaction<'_>) -> Vec<u64> {
    let answers = t.finals.iter().map(|(f, _, _)| f.frame);
    std::iter::once(t.request.frame).chain(answers).collect()
}

/// The registrar a refusal names: with its address when the line's REGISTER
/// got there by following a redirect (3xx) from another one (tester132: a
/// 302 to 10.132.0.3, which answered 403).
fn refuser(judged: &[&Transaction<'_>], last: &Transaction<'_>) -> String {
    let redirected = (judged.iter()).any(|t| {
        t.line() == last.line()
            && t.request.frame < last.request.frame
            && t.request.dst != last.request.dst
            && matches!(t.final_code(), Some(300..=399))
    });
    match (redirected, last.finals.first()) {
        (true, Some((f, _, _))) => {
            format!("the registrar the redirect pointed to ({})", f.src)
        }
        _ => "the registrar".to_string(),
    }
}

/// Whether the line of `last` dealt in credentials at all: a challenge, or
/// a REGISTER that carried them.
fn challenged_line(judged: &[&Transaction<'_>], last: &Transaction<'_>) -> bool {
    (judged.iter())
        .filter(|t| t.line() == last.line())
        .any(|t| t.authenticated() || matches!(t.final_code(), Some(401 | 407)))
}
#[cfg(test)]
mod tests;
