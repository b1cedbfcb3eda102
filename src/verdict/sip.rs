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

use std::collections::{BTreeSet, HashMap};

use super::dhcp::trim;
use super::sip_tls;
use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::Fact;
use crate::fact::{Body, TcpAttempt};
use crate::phone::aor_user;
use crate::proto::sip::{nat_evidence, Nat, SipMessage, StartLine};

/// One REGISTER transaction.
struct Transaction<'a> {
    call_id: String,
    cseq: u32,
    request: &'a Fact,
    msg: &'a SipMessage,
    retransmissions: usize,
    /// The request's last copy (itself when never retransmitted).
    last_send: &'a Fact,
    finals: Vec<(&'a Fact, u16, &'a SipMessage)>,
}

impl Transaction<'_> {
    fn authenticated(&self) -> bool {
        self.msg.authorization.is_some()
    }

    fn expires(&self) -> Option<u32> {
        self.msg.contact_expires.or(self.msg.expires)
    }

    fn final_code(&self) -> Option<u16> {
        self.finals.last().map(|f| f.1)
    }

    /// The line (user part of From) this REGISTER is for.
    fn line(&self) -> Option<String> {
        self.msg.from.as_deref().and_then(aor_user)
    }

    /// How badly the transaction ended: registered 0, still open (a
    /// challenge not yet answered, no answer yet) 1, failed 2.
    fn rank(&self) -> u8 {
        match self.final_code() {
            Some(200..=299) => 0,
            Some(401 | 407) if !self.authenticated() || self.stale() => 1,
            None if self.retransmissions == 0 => 1,
            _ => 2,
        }
    }

    fn stale(&self) -> bool {
        self.finals.last().is_some_and(|(_, _, m)| {
            m.www_authenticate
                .as_ref()
                .and_then(|a| a.get("stale"))
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        })
    }
}

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
        let next =
            (judged.iter()).find(|n| n.request.frame > t.request.frame && n.line() == t.line());
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
                let ok = last.finals.last().map(|(_, _, m)| *m);
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
                if rejected > 0 || forbidden {
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
            Some(401 | 407) => {
                // After good registrations, a refresh left on a challenge
                // the phone never answered while the capture went on: the
                // binding runs out.
                let challenge = last.finals.last().map(|(f, _, _)| *f);
                let waited = challenge.is_some_and(|f| ctx.secs_left(&f.ts) >= UNFOLLOWED_SECS);
                match (registered_before(&judged, last), challenge) {
                    (Some(ok), Some(ch)) if waited => {
                        let sends = match last.retransmissions {
                            0 => String::new(),
                            n => format!(", sent {} times,", n + 1),
                        };
                        let summary = format!(
                            "registered before (#{}), but the refresh at #{}{sends} got only a \
                             challenge (#{}) and no authenticated REGISTER followed",
                            ok.frame, last.request.frame, ch.frame
                        );
                        stage(Status::Warn, summary).advice(
                            "the phone stopped re-registering after a challenge: its binding \
                             expires; check the path to the registrar (late or lost answers) \
                             and the phone's log",
                        )
                    }
                    // Challenged again and again, never answering with
                    // credentials: the line has none to give.
                    _ if uncredentialed >= 2 => {
                        let n = uncredentialed;
                        let summary = format!(
                            "challenged {n} times (401/407) and the phone never answered with \
                             credentials: each REGISTER starts over without Authorization"
                        );
                        stage(Status::Fail, summary).advice(
                            "the phone does not answer the registrar's digest challenge: the \
                             line has no Auth ID and password (or they were never provisioned); \
                             set the line's credentials from Control Hub and resync the phone",
                        )
                    }
                    _ => match late_answer(last) {
                        // Answered only after many re-sends: the path lost
                        // the phone's REGISTERs (or the answers) for a while.
                        Some(late) => {
                            let summary = format!(
                                "the REGISTER at #{} was {late}; the capture ends before the \
                                 phone's next REGISTER",
                                last.request.frame
                            );
                            stage(Status::Warn, summary).advice(LATE_ADVICE)
                        }
                        None if judged
                            .iter()
                            .any(|t| t.line() == last.line() && t.request.truncated) =>
                        {
                            let s = "challenged (401); the capture's snaplen cut the phone's \
                                     REGISTERs, so whether they carried credentials can't be told";
                            StageResult::not_seen(Stage::SipRegister, s)
                        }
                        None => {
                            let s = "challenged (401), no authenticated REGISTER followed in the \
                                     capture";
                            StageResult::not_seen(Stage::SipRegister, s)
                        }
                    },
                }
            }
            Some(403) => stage(
                Status::Fail,
                "403 Forbidden: the registrar rejects this line".into(),
            )
            .advice(
                "the registrar forbids the registration: check the user ID, Auth ID and \
                 password, and that the device is assigned to the user in Control Hub",
            ),
            Some(code) => {
                let last_final = last.finals.last();
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
                evidence.push(ev(f, "SIP answer cut by the snaplen"));
                let s = format!(
                    "the answer to the REGISTER (#{}) is cut by the snaplen before its Call-ID or \
                     CSeq: can't tell how the registration went",
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
                    .filter_map(|t| t.finals.last())
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

/// A final answer to a REGISTER: its fact, status code and message.
type Answer<'a> = (&'a Fact, u16, &'a SipMessage);

/// No REGISTER of the phone in the capture, but final answers to one sent
/// to it (a tap copying one direction): the last decides, said as such.
fn answers_alone(ctx: &Ctx<'_>) -> Option<StageResult> {
    // Only for a phone that sent no SIP the capture holds (a tap copying
    // what it received).
    let sent = |f: &Fact| ctx.is_phone(&f.src_ip()) && matches!(f.body, Body::Sip(_));
    if ctx.own().any(sent) {
        return None;
    }
    let answers: Vec<Answer<'_>> = ctx
        .own()
        .filter(|f| ctx.is_phone(&f.dst_ip()))
        .filter_map(|f| match &f.body {
            Body::Sip(m) => match (&m.start, &m.cseq) {
                (StartLine::Response { code, .. }, Some((_, method)))
                    if *code >= 200 && method.eq_ignore_ascii_case("REGISTER") =>
                {
                    Some((f, *code, m.as_ref()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    // Each line's last answer; the worst decides (a line that failed
    // is not hidden by another's 200).
    let mut by_line: Vec<(Option<String>, Answer<'_>)> = Vec::new();
    for a in &answers {
        let line = a.2.from.as_deref().and_then(aor_user);
        by_line.retain(|(l, _)| *l != line);
        by_line.push((line, *a));
    }
    let &(last, code, m) = by_line
        .iter()
        .map(|(_, a)| a)
        .max_by_key(|(f, code, _)| (*code >= 300, f.frame))?;
    let text = response_text(code, m);
    let evidence: Vec<Evidence> = answers
        .iter()
        .map(|(f, c, m)| {
            ev(
                f,
                format!("{} (its REGISTER not captured)", response_text(*c, m)),
            )
        })
        .collect();
    let from = last.src;
    let result = match code {
        200..=299 => {
            let s = format!("registered: {text} from {from} (the REGISTER is not in the capture)");
            StageResult::new(Stage::SipRegister, Status::Pass, s)
        }
        // A challenge, or a 423 asking for a longer expiry, is answered with
        // a new REGISTER; a capture whose snaplen cuts frames may hide SIP.
        401 | 407 | 423 => {
            let s = format!(
                "{text} from {from}, then nothing: the phone's REGISTERs are not in the capture, \
                 so whether it answered can't be told"
            );
            StageResult::not_seen(Stage::SipRegister, s)
        }
        _ if ctx.snaplen_cut => {
            let s = format!(
                "{text} from {from}; the REGISTERs are not in the capture, whose snaplen cuts \
                 frames: can't tell"
            );
            StageResult::not_seen(Stage::SipRegister, s)
        }
        _ => {
            let s = format!("REGISTER answered {text} from {from} (the REGISTER is not captured)");
            let min_expires = m.header_secs("Min-Expires");
            StageResult::new(Stage::SipRegister, Status::Fail, s).advice(final_advice(
                code,
                min_expires,
                None,
            ))
        }
    };
    Some(result.evidence(evidence))
}

/// The registrar closed the TCP connection after the REGISTER without a
/// SIP answer. `no_length`: the REGISTER had no Content-Length, which
/// a message on a stream transport must carry (RFC 3261 18.3, 20.14).
fn registrar_hung_up(
    last: &Transaction<'_>,
    close: &Fact,
    no_length: bool,
    mut evidence: Vec<Evidence>,
) -> StageResult {
    let to = last.request.dst;
    evidence.push(ev(
        close,
        "the registrar closed the connection, no SIP answer",
    ));
    let summary = format!(
        "the registrar at {to} closed the TCP connection after the REGISTER (#{}) without \
         answering",
        last.request.frame
    );
    let advice = match no_length {
        true => format!(
            "the phone's REGISTER over TCP has no Content-Length, which SIP over TCP requires \
             (RFC 3261 18.3): the registrar at {to} cannot frame it and hangs up; update the \
             phone's firmware (or whatever rewrites its SIP on the path)"
        ),
        false => format!(
            "the registrar at {to} drops the phone's connection on its REGISTER: its log tells \
             why (a message it cannot parse, a source it does not accept)"
        ),
    };
    StageResult::new(Stage::SipRegister, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

/// Re-sends before a first answer that show a lossy path (a UDP REGISTER is
/// re-sent after 0.5 s, 1 s, 2 s: RFC 3261 section 17.1.2.2), and the least
/// wait that makes an answer late.
const LATE_RESENDS: usize = 3;
const LATE_SECS: f64 = 4.0;

const LATE_ADVICE: &str = "the registrar answered only after the phone had re-sent its REGISTER \
    many times: check the path to it (packet loss, a firewall or NAT that drops SIP for a while) \
    and the registrar's load";

/// "sent 10 times over 27.5 s before its first answer (#129)", when the
/// REGISTER was re-sent at least [`LATE_RESENDS`] times before an answer.
fn late_answer(t: &Transaction<'_>) -> Option<String> {
    let (first, _, _) = t.finals.first()?;
    let wait = t.request.ts.secs_until(&first.ts);
    (t.retransmissions >= LATE_RESENDS && wait >= LATE_SECS).then(|| {
        format!(
            "sent {} times over {wait:.1} s before its first answer (#{})",
            t.retransmissions + 1,
            first.frame
        )
    })
}

/// Seconds a phone has to answer a challenge before the capture's going on
/// without it counts (a phone answers a 401 at once).
const UNFOLLOWED_SECS: f64 = 5.0;

/// The 2xx of the latest REGISTER before `last` that got one.
fn registered_before<'a>(judged: &[&Transaction<'a>], last: &Transaction<'a>) -> Option<&'a Fact> {
    judged
        .iter()
        .filter(|t| t.request.frame < last.request.frame)
        .filter_map(|t| {
            t.finals
                .iter()
                .rev()
                .find(|(_, code, _)| (200..300).contains(code))
        })
        .map(|(f, _, _)| *f)
        .next_back()
}

/// An ICMP error about the REGISTER's datagram after it (port or host
/// unreachable, administratively prohibited): that exchange's outcome.
fn icmp_answer<'a>(ctx: &'a Ctx<'a>, t: &Transaction<'a>) -> Option<(&'a Fact, &'static str)> {
    ctx.own().find_map(|f| match &f.body {
        Body::Icmp(u)
            if f.frame > t.request.frame
                && u.orig_proto == 17
                && u.orig_dst == t.request.dst
                && u.orig_src == t.request.src =>
        {
            Some((f, u.kind.words()))
        }
        _ => None,
    })
}

/// SIP that could not be read whole: a message cut by the snaplen, or
/// bytes missing from a SIP TCP stream.
fn cut_sip(f: &Fact) -> bool {
    f.truncated && matches!(&f.body, Body::Sip(_) | Body::Malformed { of: "sip", .. })
}

/// SIP to the phone after the REGISTER that could not be read whole (a
/// response cut before its Call-ID or CSeq, or a hole in the TCP stream):
/// it may be the answer.
fn cut_answer<'a>(ctx: &Ctx<'a>, t: &Transaction<'a>) -> Option<&'a Fact> {
    ctx.own().find(|f| {
        f.frame > t.request.frame
            && f.dst_ip() == t.request.src_ip()
            && cut_sip(f)
            && !matches!(&f.body, Body::Sip(m) if m.status().is_none())
    })
}

/// SIP of the phone cut by the snaplen before its Call-ID or CSeq: there
/// was SIP in clear, but which answer goes with which REGISTER can't be told.
fn cut_by_snaplen(ctx: &Ctx<'_>) -> Option<StageResult> {
    let cut: Vec<&Fact> = ctx.own().filter(|f| cut_sip(f)).collect();
    let (first, last) = (cut.first()?, cut.last()?);
    let line = match &last.body {
        Body::Sip(m) => match &m.start {
            StartLine::Request { method, .. } => method.clone(),
            StartLine::Response { code, reason } => format!("{code} {reason}"),
        },
        _ => "bytes missing from the TCP stream".to_string(),
    };
    let summary = format!(
        "SIP in clear, but cut by the snaplen or lost ({}, the last: {line}): can't tell how \
         the registration went; capture with a larger snaplen",
        crate::text::plural(cut.len(), "piece", "pieces")
    );
    let mut evidence = vec![ev(first, "SIP cut by the snaplen or lost")];
    if last.frame != first.frame {
        evidence.push(ev(last, format!("{line}, cut by the snaplen")));
    }
    Some(StageResult::not_seen(Stage::SipRegister, summary).evidence(evidence))
}

/// The latest earlier REGISTER a registrar refused with an error (4xx-6xx
/// other than the 401/407 challenges, 403 and 423, which the protocol
/// answers with a new REGISTER) before the phone registered.
fn refused_before<'a>(earlier: &[&Transaction<'a>]) -> Option<(&'a Fact, u16, &'a SipMessage)> {
    earlier
        .iter()
        .rev()
        .filter_map(|t| t.finals.last().copied())
        .find(|(_, code, _)| *code >= 400 && !matches!(code, 401 | 403 | 407 | 423))
}

fn response_text(code: u16, m: &SipMessage) -> String {
    let reason = match &m.start {
        StartLine::Response { reason, .. } => reason.as_str(),
        _ => "",
    };
    let mut t = format!("{code} {reason}");
    if let Some(a) = &m.www_authenticate {
        if let Some(realm) = a.get("realm") {
            t.push_str(&format!(" realm {realm}"));
        }
        if a.get("stale")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            t.push_str(" stale=true");
        }
    }
    t
}

fn transactions<'a>(ctx: &'a Ctx<'a>) -> Vec<Transaction<'a>> {
    let mut txs: Vec<Transaction<'a>> = Vec::new();
    // Position of each (Call-ID, CSeq) in `txs`: a linear search per message
    // would be quadratic in a capture of endless REGISTER retries.
    let mut index: HashMap<(&'a str, u32), usize> = HashMap::new();
    for f in ctx.own() {
        let Body::Sip(m) = &f.body else { continue };
        let (Some(call_id), Some((cseq, method))) = (&m.call_id, &m.cseq) else {
            continue;
        };
        if !method.eq_ignore_ascii_case("REGISTER") {
            continue;
        }
        let key = (call_id.as_str(), *cseq);
        let existing = index.get(&key).and_then(|&at| txs.get_mut(at));
        match (&m.start, existing) {
            (StartLine::Request { .. }, Some(t)) if ctx.is_phone(&f.src_ip()) => {
                t.retransmissions += 1;
                t.last_send = f;
            }
            (StartLine::Request { .. }, None) if ctx.is_phone(&f.src_ip()) => {
                index.insert(key, txs.len());
                txs.push(Transaction {
                    call_id: call_id.clone(),
                    cseq: *cseq,
                    request: f,
                    msg: m,
                    retransmissions: 0,
                    last_send: f,
                    finals: Vec::new(),
                })
            }
            // Only answers to the phone: a proxy's own responses to the
            // phones behind it share the Call-ID but answer nothing of its.
            (StartLine::Response { code, .. }, Some(t))
                if *code >= 200 && f.dst_ip() == t.request.src_ip() =>
            {
                t.finals.push((f, *code, m))
            }
            _ => {}
        }
    }
    txs
}

/// 2nd, 3rd, 11th, 21st...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// NAT seen in a REGISTER: its Via or Contact names another address than
/// the packet comes from ([`nat_evidence`]).
fn nat_note<'a>(txs: &[Transaction<'a>]) -> Option<(&'a Fact, Nat)> {
    txs.iter()
        .find_map(|t| Some((t.request, nat_evidence(t.msg, t.request.src_ip())?)))
}

/// Advice for a final response other than 200, 401/407 and 403, by class
/// (RFC 3261 section 21).
/// `min_expires`: a 423's Min-Expires; `asked`: the REGISTER's expiry.
fn final_advice(code: u16, min_expires: Option<u32>, asked: Option<u32>) -> String {
    match code {
        423 => {
            let min = min_expires.map_or("a longer expiry".to_string(), |m| format!("{m} s"));
            let asked = asked.map_or(String::new(), |a| format!(", the phone asked for {a} s"));
            format!(
                "the registrar wants registrations of at least {min} (423 Interval Too \
                 Brief){asked}: raise the line's registration expiry to it, or lower the \
                 registrar's minimum"
            )
        }
        403 => "the registrar forbids the registration: check the user ID, Auth ID and \
                password, and that the device is assigned to the user in Control Hub"
            .to_string(),
        404 => "the registrar does not know this line (404): check the user ID and the \
                registrar's domain in the line settings"
            .to_string(),
        408 | 480 | 500..=599 => format!(
            "the registrar (or a proxy before it) answered {code}: it is overloaded, down or \
             cannot reach its back end; try another SRV target or wait, and check the \
             service status"
        ),
        _ => {
            format!("the registrar answered {code}: check the line's registrar and proxy settings")
        }
    }
}

/// The phone's failed TCP connection to a SIP port before the REGISTER
/// `last` (a registrar refusing or dropping it, then another taking the
/// phone), in words.
fn failed_connection_before(ctx: &Ctx<'_>, last: &Transaction<'_>) -> Option<String> {
    use crate::fact::TcpResult;
    let (f, a) = sip_connections(ctx).find(|(f, a)| f.frame < last.request.frame && failed(a))?;
    Some(match a.result {
        TcpResult::Refused => format!("TCP to {} refused, #{}", f.dst, f.frame),
        TcpResult::Unreachable => format!("TCP to {} unreachable, #{}", f.dst, f.frame),
        _ => format!("{} SYNs to {} unanswered, #{}", a.syns, f.dst, f.frame),
    })
}

/// The phone's TCP connection attempts to a SIP port, in frame order.
fn sip_connections<'a>(ctx: &'a Ctx<'a>) -> impl Iterator<Item = (&'a Fact, TcpAttempt)> + 'a {
    ctx.own()
        .filter(|f| ctx.is_phone(&f.src_ip()) && SIP_TCP_PORTS.contains(&f.dst.port()))
        .filter_map(|f| match &f.body {
            Body::Tcp { attempt, .. } => Some((f, *attempt)),
            _ => None,
        })
}

/// An attempt that failed: refused, unreachable, or SYNs re-sent and never
/// answered (a lone SYN may be the capture's end).
fn failed(a: &TcpAttempt) -> bool {
    use crate::fact::TcpResult;
    match a.result {
        TcpResult::Refused | TcpResult::Unreachable => true,
        TcpResult::NoAnswer => a.syns >= 2,
        TcpResult::Established => false,
    }
}

/// TCP ports of SIP (RFC 3261 section 19.1.2): a phone that registers over
/// TCP or TLS connects there first.
const SIP_TCP_PORTS: [u16; 2] = [5060, 5061];

/// No REGISTER because the phone's TCP connection to a SIP port failed (its
/// last attempt there refused, unreachable, or unanswered SYNs re-sent): the
/// registrar is down or filtered. A lone SYN at the capture's end is no
/// answer *yet*.
fn registrar_unreachable(ctx: &Ctx<'_>) -> Option<StageResult> {
    use crate::fact::TcpResult;
    let (f, a) = sip_connections(ctx).last().filter(|(_, a)| failed(a))?;
    let to = f.dst;
    let (summary, why) = match a.result {
        TcpResult::Refused => (
            format!("TCP to the registrar {to} refused (RST)"),
            "refuses",
        ),
        TcpResult::Unreachable => {
            let kind = a.unreach.map_or("unreachable", |k| k.words());
            (
                format!("TCP to the registrar {to}: ICMP {kind}"),
                "cannot be reached on",
            )
        }
        _ => {
            let syns = crate::text::plural(a.syns as usize, "SYN", "SYNs");
            (
                format!("TCP to the registrar {to}: {syns}, no answer: dropped on the way"),
                "does not answer on",
            )
        }
    };
    let advice = format!(
        "the registrar {} {why} TCP port {}: check that it runs and listens there, and any \
         firewall between the phone and it",
        to.ip(),
        to.port()
    );
    let evidence = vec![ev(f, summary.clone())];
    Some(
        StageResult::new(Stage::SipRegister, Status::Fail, summary)
            .advice(advice)
            .evidence(evidence),
    )
}

/// REGISTERs of `last`'s line answered by a challenge (401/407) when the
/// phone never sent one with credentials for that line: 0 as soon as one
/// does, or when the snaplen cut one (its Authorization may be in the part
/// the capture lacks).
fn no_credentials(judged: &[&Transaction<'_>], last: &Transaction<'_>) -> usize {
    let line: Vec<&&Transaction<'_>> = judged.iter().filter(|t| t.line() == last.line()).collect();
    if line
        .iter()
        .any(|t| t.authenticated() || t.request.truncated || t.last_send.truncated)
    {
        return 0;
    }
    (line.iter())
        .filter(|t| matches!(t.final_code(), Some(401 | 407)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::names::NameMap;
    use crate::proto::sip::parse_datagram;
    use crate::verdict::test_support::{ctx, phone};

    fn fact(frame: u64, secs: i64, src: &str, dst: &str, text: &str) -> Fact {
        let msg = parse_datagram(text.as_bytes()).remove(0).expect("SIP");
        crate::verdict::test_support::fact(frame, secs, src, dst, Body::Sip(Box::new(msg)))
    }

    fn register_text(call_id: &str, cseq: u32) -> String {
        format!(
            "REGISTER sip:example.com SIP/2.0\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n\
             From: <sip:1001@example.com>\r\nContent-Length: 0\r\n\r\n"
        )
    }

    #[test]
    fn success_after_an_unanswered_register_warns() {
        let phone_ip = "192.0.2.100:5060";
        let ok = "SIP/2.0 200 OK\r\nCall-ID: b\r\nCSeq: 1 REGISTER\r\nExpires: 120\r\n\
                  Content-Length: 0\r\n\r\n";
        let facts = vec![
            fact(1, 0, phone_ip, "198.51.100.20:5060", &register_text("a", 1)),
            fact(2, 4, phone_ip, "198.51.100.20:5060", &register_text("a", 1)),
            fact(
                3,
                40,
                phone_ip,
                "198.51.100.21:5060",
                &register_text("b", 1),
            ),
            fact(4, 41, "198.51.100.21:5060", phone_ip, ok),
        ];
        let names = NameMap::default();
        let p = phone("192.0.2.100", vec![0, 1, 2, 3]);
        let ctx = ctx(&facts, &p, &names, 60);
        let r = register(&ctx, false);
        assert_eq!(r.status, Status::Warn, "{}", r.summary);
        assert!(
            r.summary.contains("after 1 REGISTER with no answer"),
            "{}",
            r.summary
        );
        // Without the unanswered first attempt the same success passes.
        let p = phone("192.0.2.100", vec![2, 3]);
        let ctx = crate::verdict::test_support::ctx(&facts, &p, &names, 60);
        assert_eq!(register(&ctx, false).status, Status::Pass);
    }

    /// A REGISTER from a public address: its Via and Contact as given.
    fn nat_facts(via: &str, contact: &str) -> Vec<Fact> {
        let (phone_ip, sbc) = ("203.0.113.9:5060", "198.51.100.20:5060");
        let req = format!(
            "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK1\r\n\
             Contact: <sip:1101@{contact}>\r\nCall-ID: n\r\nCSeq: 1 REGISTER\r\n\
             Content-Length: 0\r\n\r\n"
        );
        let ok = "SIP/2.0 200 OK\r\nCall-ID: n\r\nCSeq: 1 REGISTER\r\nExpires: 120\r\n\
                  Content-Length: 0\r\n\r\n";
        vec![
            fact(1, 0, phone_ip, sbc, &req),
            fact(2, 0, sbc, phone_ip, ok),
        ]
    }

    #[test]
    fn nat_and_half_rewriting_alg_warn_with_their_own_advice() {
        let names = NameMap::default();
        let p = phone("203.0.113.9", vec![0, 1]);
        let judge = |facts: &[Fact]| register(&ctx(facts, &p, &names, 10), false);
        let r = judge(&nat_facts("192.168.1.50:5060", "192.168.1.50:5060"));
        assert_eq!(r.status, Status::Warn);
        assert!(r.summary.contains("NAT in the path"), "{}", r.summary);
        let r = judge(&nat_facts("203.0.113.9:5060", "192.168.1.50:5060"));
        assert_eq!(r.status, Status::Warn);
        assert!(r.summary.contains("SIP ALG rewrote part"), "{}", r.summary);
        assert!(r.advice.as_deref().unwrap_or("").contains("by halves"));
        // Both rewritten (or a phone on a public address): nothing to say.
        let r = judge(&nat_facts("203.0.113.9:5060", "203.0.113.9:5060"));
        assert_eq!(r.status, Status::Pass, "{}", r.summary);
    }
}
