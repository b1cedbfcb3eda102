//! Stage `sip-register`: REGISTER transactions of the phone (keyed by
//! Call-ID and CSeq) and their final responses.
//!
//! A first 401/407 is the normal digest challenge; a 401 with `stale=true`
//! is a nonce refresh. An authenticated REGISTER answered by a fresh 401, or
//! a 403, means the credentials were rejected. No final response means the
//! path to the registrar is broken; answers that came back as IP fragments
//! never completed say the path lost them. A line challenged again and again
//! that never answers with credentials has none (unless the snaplen hid
//! them). A REGISTER with expires 0 at the end is a de-registration, not a
//! failure. Several lines: each line's last REGISTER counts, the worst
//! decides and is named. NAT: a Via sent-by address that differs from the
//! packet's source warns (a Via rewritten but a private Contact left is a
//! half-working SIP ALG); the same REGISTER captured on both sides of a SIP
//! ALG (`Phone::sip_alg`) warns with the rewrite. SIP answers cut by the
//! snaplen or lost from the capture make the stage can't tell.

mod advice;
mod challenge;
mod connect;
mod exchange;
mod no_register;
mod transaction;

use std::collections::BTreeSet;

use super::dhcp::trim;
use super::sip_tls;
use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::Body;
use crate::proto::sip::Nat;
use advice::{final_advice, ordinal, response_text};
use connect::{failed_connection_before, registrar_hung_up, registrar_unreachable};
use exchange::{
    cut_answer, cut_sip, icmp_answer, late_answer, no_credentials, refused_before,
    registered_before, LATE_ADVICE,
};
use no_register::{answers_alone, cut_by_snaplen};
use transaction::{nat_note, transactions, Transaction};

/// `sbc_tls_failed`: the TLS stage with the SBC failed, so no SIP could run
/// inside it (a REGISTER in clear is judged all the same).
pub fn register(ctx: &Ctx<'_>, sbc_tls_failed: bool) -> StageResult {
    let txs = transactions(ctx);
    if txs.is_empty() && sbc_tls_failed {
        let s = "no REGISTER: the TLS session with the SBC failed (sbc-tls), so SIP never started";
        return StageResult::not_seen(Stage::SipRegister, s);
    }
    if txs.is_empty() {
        if let Some(refused) = registrar_unreachable(ctx) {
            return refused;
        }
        if let Some(cut) = cut_by_snaplen(ctx) {
            return cut;
        }
        if let Some(answered) = answers_alone(ctx) {
            return answered;
        }
        return match sip_tls::inside_tls(ctx) {
            Some(result) => result,
            None => StageResult::not_seen(Stage::SipRegister, "no REGISTER from this phone"),
        };
    }
    let mut evidence: Vec<Evidence> = Vec::new();
    for t in &txs {
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
    let nat = nat_note(&txs);
    if let Some((f, n)) = &nat {
        evidence.push(ev(f, n.text.clone()));
    }
    trim(&mut evidence);
    // De-registrations at the end do not judge the registration.
    let judged: Vec<&Transaction<'_>> = {
        let live: Vec<&Transaction<'_>> = txs.iter().filter(|t| t.expires() != Some(0)).collect();
        if live.is_empty() {
            txs.iter().collect()
        } else {
            live
        }
    };
    // Several lines: each line's last REGISTER counts; the worst decides.
    let lines: BTreeSet<String> = judged.iter().filter_map(|t| t.line()).collect();
    let last = match lines.len() {
        0 | 1 => judged[judged.len() - 1],
        _ => lines
            .iter()
            .filter_map(|u| judged.iter().rev().find(|t| t.line().as_ref() == Some(u)))
            .max_by_key(|t| (t.rank(), t.request.frame))
            .copied()
            .unwrap_or(judged[judged.len() - 1]),
    };
    // A fresh challenge to an authenticated REGISTER that the line's next
    // REGISTER passes is the registrar renewing its nonce (without the
    // stale flag RFC 7616 asks for, as kamailio does): no rejection.
    let renewed = |t: &Transaction<'_>| {
        // The challenge's nonce is a new one: the phone's had expired (the
        // same nonce challenged again rejects the credentials).
        let sent = t.msg.authorization.as_ref().and_then(|a| a.get("nonce"));
        let fresh = t
            .finals
            .last()
            .and_then(|(_, _, m)| m.www_authenticate.as_ref());
        let new_nonce = match (sent, fresh.and_then(|a| a.get("nonce"))) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        };
        // The line's next REGISTER to the same registrar (a phone with
        // dual registration keeps one binding at each).
        let next = (judged.iter()).find(|n| {
            n.request.frame > t.request.frame
                && n.line() == t.line()
                && n.request.dst == t.request.dst
        });
        let passed =
            next.is_some_and(|n| n.authenticated() && matches!(n.final_code(), Some(200..=299)));
        new_nonce && passed
    };
    let rejected = judged
        .iter()
        .filter(|t| t.authenticated() && matches!(t.final_code(), Some(401 | 407)) && !t.stale())
        .filter(|t| !renewed(t))
        .count();
    let stage =
        |status: Status, summary: String| StageResult::new(Stage::SipRegister, status, summary);
    // Challenges the worst line got without ever sending credentials.
    let uncredentialed = no_credentials(&judged, last);
    // An ICMP error about the last REGISTER is its answer when no SIP came.
    let refused = icmp_answer(ctx, last);
    // Or an answer that the snaplen cut before it could be matched.
    let cut = cut_answer(ctx, last);
    let result =
        match last.final_code() {
            Some(code) if (200..300).contains(&code) => {
                let ok = last.finals.first().map(|(_, _, m)| *m);
                let own = last.msg.contact.first().map(String::as_str);
                let expires = ok.and_then(|m| m.binding_expires(own));
                let exp = expires.map_or(String::new(), |e| format!(", expires {e} s"));
                // A de-registration after it, accepted: the binding is gone
                // when the capture ends (a reboot or shutdown; no failure).
                let removed = txs.iter().find(|t| {
                    t.expires() == Some(0)
                        && t.request.frame > last.request.frame
                        && t.final_code().is_some_and(|c| (200..300).contains(&c))
                });
                let summary = match removed {
                    Some(t) => format!(
                        "registered: {code} OK{exp}; then de-registered (Expires 0, #{})",
                        t.request.frame
                    ),
                    // Only de-registrations: the phone removed its binding.
                    None if last.expires() == Some(0) => format!(
                        "de-registered: {code} OK to the phone's REGISTER with Expires 0 (it \
                         removed its own binding)"
                    ),
                    None => format!("registered: {code} OK{exp}"),
                };
                let forbidden = judged.iter().any(|t| matches!(t.final_code(), Some(403)));
                // Earlier REGISTERs that never got a final response: a path that
                // failed before it worked (another registrar, a retry) is a warning.
                let earlier = &judged[..judged.len() - 1];
                let unanswered = earlier
                    .iter()
                    .filter(|t| t.final_code().is_none() && cut_answer(ctx, t).is_none())
                    .count();
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
                    stage(Status::Warn, format!("{summary} (after rejected attempts)"))
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
                    .advice(format!(
                        "the registrar at {from} refused the phone ({text}) before another \
                         accepted it: check that registrar (service, load, configuration); each \
                         failover costs the phone time"
                    ))
                } else if let Some(failed) = failed_connection_before(ctx, last) {
                    stage(Status::Warn, format!("{summary} (after {failed})")).advice(
                        "the phone registered only after its TCP connection to another \
                         registrar failed: check that registrar (or the firewall on its path), \
                         each failover costs the phone time",
                    )
                } else if unanswered > 0 {
                    let n = crate::text::plural(unanswered, "REGISTER", "REGISTERs");
                    stage(Status::Warn, format!("{summary} (after {n} with no answer)")).advice(
                    "the registrar answered only after earlier REGISTERs got nothing back: check \
                     the path (firewall, NAT, SIP ALG) to the first registrar tried",
                )
                } else if let Some(late) = late_answer(last) {
                    stage(Status::Warn, format!("{summary} (the REGISTER was {late})"))
                        .advice(LATE_ADVICE)
                } else if let Some((_, n)) = nat.as_ref().filter(|(_, n)| n.partial_alg) {
                    stage(Status::Warn, format!("{summary}; {}", n.text)).advice(
                        "a SIP ALG on the NAT/firewall rewrites the phone's REGISTER by halves \
                         (Via public, Contact private): disable it and let the registrar handle \
                         the NAT (rport, keep-alives); half-rewritten messages lose calls and \
                         registrations",
                    )
                } else if let Some((_, Nat { text, .. })) = &nat {
                    // The private Via survived: nothing rewrote it (no ALG at
                    // work on this path); the registrar must handle the NAT.
                    stage(Status::Warn, format!("{summary}; {text}")).advice(
                        "the phone registers through NAT (its Via names another address than \
                         the packet's source): keep the registrar's NAT handling (rport, \
                         keep-alives) on, \
                         and if a SIP ALG on that NAT/firewall is enabled, disable it; it is the \
                         usual cause of one-way audio and lost registrations",
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
            Some(code @ (401 | 407)) if last.authenticated() && !last.stale() => stage(
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
            Some(401 | 407) => challenge::challenged(ctx, &judged, last, uncredentialed),
            Some(403) => stage(
                Status::Fail,
                "403 Forbidden: the registrar rejects this line".into(),
            )
            .advice(
                "the registrar forbids the registration: check the user ID, Auth ID and \
                 password, and that the device is assigned to the user in Control Hub",
            ),
            Some(code) => {
                let last_final = last.finals.first();
                let reason = last_final
                    .map(|(_, c, m)| response_text(*c, m))
                    .unwrap_or_default();
                let min_expires = last_final.and_then(|(_, _, m)| m.header_secs("Min-Expires"));
                stage(Status::Fail, format!("REGISTER answered {reason}")).advice(final_advice(
                    code,
                    min_expires,
                    last.expires(),
                ))
            }
            None if refused.is_some() => {
                let (f, words) = refused.unwrap_or((last.request, ""));
                let to = last.request.dst;
                evidence.push(ev(f, format!("ICMP {words} for the REGISTER to {to}")));
                stage(
                    Status::Fail,
                    format!("REGISTER to {to} answered by ICMP {words} (#{})", f.frame),
                )
                .advice(format!(
                    "nothing takes SIP at {to} (ICMP {words}): check the registrar's address \
                     and port (the outbound proxy) and that its service runs"
                ))
            }
            None if cut.is_some() => {
                let f = cut.unwrap_or(last.request);
                // Cut by the snaplen, or bytes of a TCP stream the capture
                // lost (the phone acknowledged them): say which.
                let why = match ctx.snaplen_cut {
                    true => "cut by the snaplen",
                    false => "missing bytes the capture lost",
                };
                evidence.push(ev(f, format!("SIP answer {why}")));
                let s = format!(
                    "the answer to the REGISTER (#{}) is {why} before its Call-ID or CSeq: \
                     can't tell how the registration went",
                    f.frame
                );
                StageResult::not_seen(Stage::SipRegister, s)
            }
            None if last.retransmissions == 0 && ctx.secs_left(&last.request.ts) < 2.0 => {
                let s = "REGISTER at the end of the capture, no answer yet";
                StageResult::not_seen(Stage::SipRegister, s)
            }
            None => {
                let n = last.retransmissions + 1;
                let to = last.request.dst;
                if n > 1 {
                    let text = format!("REGISTER sent for the {} time, unanswered", ordinal(n));
                    evidence.push(ev(last.last_send, text));
                }
                let answered_before = judged
                    .iter()
                    .filter(|t| t.request.dst == to && t.request.frame < last.request.frame)
                    .filter_map(|t| t.finals.first())
                    .next_back();
                // Over TCP, the registrar closing the connection on the
                // REGISTER is its answer: it would not read the message.
                let hung_up = ctx.own().find(|f| {
                    matches!(
                        f.body,
                        Body::Closed {
                            from_client: false,
                            ..
                        }
                    ) && f.src == to
                        && f.dst == last.request.src
                        && f.frame > last.request.frame
                });
                if let Some(close) = hung_up {
                    let no_length = last.msg.anomalies.contains(&"missing_content_length");
                    return registrar_hung_up(last, close, no_length, evidence);
                }
                // Answers too big for the path: their IP fragments after
                // the first lost on the way (a firewall dropping fragments).
                let lost = ctx.lost_fragments(to, last.request.src, last.request.frame);
                if let Some(first) = lost.first() {
                    for f in &lost {
                        evidence.push(ev(f, super::lost_text(f, to)));
                    }
                    return stage(
                        Status::Fail,
                        format!(
                            "no complete response to REGISTER ({n} sends to {to}): {} came \
                             back in IP fragments that never all arrived (from #{})",
                            crate::text::plural(lost.len(), "answer", "answers"),
                            first.frame
                        ),
                    )
                    .advice(format!(
                        "the registrar at {to} answers, but its answers are larger than the \
                         path's MTU and their IP fragments after the first are lost on the way: \
                         let IP fragments through the firewalls and NAT between the phone and \
                         {to}, or register over TCP or TLS, which do not fragment"
                    ))
                    .evidence(evidence);
                }
                let advice = match answered_before {
                    Some((f, code, _)) => format!(
                        "the registrar at {to} stopped answering after its {code} (#{}): \
                         check it and the path to it (firewall, NAT binding timeouts)",
                        f.frame
                    ),
                    None => format!(
                        "the registrar at {to} never answers: check the firewall/NAT path and \
                         the proxy address"
                    ),
                };
                let before = match registered_before(&judged, last) {
                    Some(ok) => format!(" after a registration (#{})", ok.frame),
                    None => String::new(),
                };
                stage(
                    Status::Fail,
                    format!("no response to REGISTER ({n} sends to {to}){before}"),
                )
                .advice(advice)
            }
        };
    let mut result = result.evidence(evidence);
    // SIP after the deciding answer that was cut or lost: the phone may have
    // gone on (a 423 or 401 is normally retried), so a failure can't stand.
    let decided_at = last
        .finals
        .last()
        .map_or(last.request.frame, |(f, _, _)| f.frame);
    let lost = ctx.own().find(|f| f.frame > decided_at && cut_sip(f));
    if let (Status::Fail, Some(f)) = (result.status, lost) {
        let summary = format!(
            "{}; SIP after it is cut or lost in the capture (from #{}): can't tell how the \
             registration ended",
            result.summary, f.frame
        );
        result
            .evidence
            .push(ev(f, "SIP cut by the snaplen or lost"));
        result = StageResult::not_seen(Stage::SipRegister, summary).evidence(result.evidence);
    }
    if let (true, Some(line)) = (lines.len() > 1, last.line()) {
        let others: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|u| *u != line)
            .collect();
        result.summary = format!(
            "line {line}: {} (other lines: {})",
            result.summary,
            others.join(", ")
        );
    }
    result
}

#[cfg(test)]
mod tests;
