//! A REGISTER with no final response: an ICMP error its answer, an answer
//! the capture cut, an answer that never reached the phone (it went on
//! re-sending), an answer delivered to another host holding the phone's
//! address, the end of the capture, the registrar hanging up on it over
//! TCP, answers lost as IP fragments, only provisional (1xx) answers, or no
//! answer at all.

use std::net::SocketAddr;
use std::ops::ControlFlow;

use super::advice::{ordinal, response_text};
use super::connect::registrar_hung_up;
use super::exchange::{cut_answer, icmp_answer, registered_before};
use super::stage;
use super::transaction::Transaction;
use crate::fact::{Body, Fact};
use crate::packet::{mac_string, Mac, UnreachKind};
use crate::proto::sip::SipMessage;
use crate::verdict::{ev, Ctx, Evidence, Others, Service, Stage, StageResult, Status};

/// Seconds within which the phone's ICMP error refuses a datagram to it.
const REFUSED_SECS: f64 = 2.0;

/// The answer `f` that the phone re-sent its REGISTER after went to its
/// address but another port than the REGISTER came from (the port its Via
/// names, without `rport`: RFC 3261 18.2.2, RFC 3581): the phone listens
/// on the port it sends from, and refuses the answer with ICMP if it says.
/// A SIP answer from the REGISTER's destination to the phone's socket for
/// a request of another method (an OPTIONS): the path works both ways.
fn other_method_answered<'a>(
    ctx: &'a Ctx<'a>,
    last: &Transaction<'_>,
) -> Option<(&'a Fact, String)> {
    let (to, from) = (last.request.dst, last.request.src);
    ctx.own().find_map(|f| match &f.body {
        Body::Sip(m) if f.src == to && f.dst == from => match &m.start {
            crate::proto::sip::StartLine::Response { .. } => {
                let method = m.cseq.as_ref().map_or("", |(_, method)| method.as_str());
                (!method.eq_ignore_ascii_case("REGISTER") && !method.is_empty())
                    .then(|| (f, method.to_ascii_uppercase()))
            }
            _ => None,
        },
        _ => None,
    })
}

/// The line's registration that still stands when `last` is sent: the
/// last 2xx before it, whose granted time has not run out, with every
/// REGISTER of the line since answered by a 2xx or a challenge (a refused
/// or unanswered one undid it). Its 2xx, and whether `last` refreshes it
/// (same Call-ID).
fn standing<'a>(line: &[&Transaction<'a>], last: &Transaction<'a>) -> Option<(&'a Fact, bool)> {
    let before: Vec<&&Transaction<'a>> = line
        .iter()
        .filter(|t| t.request.frame < last.request.frame)
        .collect();
    let at = before
        .iter()
        .rposition(|t| matches!(t.final_code(), Some(200..=299)))?;
    let t = before.get(at)?;
    let (ok, _, msg) = t.finals.iter().find(|(_, c, _)| (200..300).contains(c))?;
    let since_ok = before.get(at + 1..).unwrap_or_default();
    let undone = since_ok
        .iter()
        .any(|t| !matches!(t.final_code(), Some(200..=299 | 401 | 407)));
    // (The grant of the phone's own Contact, not another device's binding
    // on the same account.)
    let granted = msg
        .binding_expires(t.msg.registered_contact().0)
        .or(t.expires());
    let expired = granted.is_some_and(|secs| ok.ts.secs_until(&last.request.ts) > f64::from(secs));
    (!undone && !expired).then_some((*ok, t.call_id == last.call_id))
}

/// Seconds before the capture's end within which a REGISTER's missing answer
/// may simply not have come yet: a registrar answers at once, but one
/// checking credentials against a slow back end takes a second or two.
pub(super) const PENDING_SECS: f64 = 4.0;

fn to_another_port(
    ctx: &Ctx<'_>,
    last: &Transaction<'_>,
    f: &Fact,
    text: &str,
    evidence: &mut Vec<Evidence>,
) -> Option<StageResult> {
    let from = last.request.src;
    if f.dst.ip() != from.ip() || f.dst.port() == from.port() || f.l4 != last.request.l4 {
        return None;
    }
    let to = f.dst;
    evidence.push(ev(f, format!("{text} to {to}, not to {from}")));
    let refused = ctx.own().find(|g| {
        g.frame > f.frame
            && f.ts.secs_until(&g.ts) <= REFUSED_SECS
            && g.src_ip() == to.ip()
            && matches!(&g.body, Body::Icmp(u) if u.orig_src == f.src && u.orig_dst == to)
    });
    let how = match refused {
        Some(g) => {
            let words = match &g.body {
                Body::Icmp(u) => u.kind.words(),
                _ => "error",
            };
            evidence.push(ev(g, format!("the phone refuses it: ICMP {words}")));
            format!(", and the phone refused it (ICMP {words}, #{})", g.frame)
        }
        None => String::new(),
    };
    let summary = format!(
        "the {text} (#{}) to the REGISTER (#{}) went to port {} while the phone sent from \
         port {}{how}: it re-sent the REGISTER ({})",
        f.frame,
        last.request.frame,
        to.port(),
        from.port(),
        crate::text::plural(last.resent_after_any, "copy", "copies")
    );
    let advice = format!(
        "the registrar at {} answers to port {} (the port the REGISTER's Via names, with no \
         rport), but the phone sends from and listens on port {}: set the phone's SIP port to \
         the one it sends from (or have it add rport, RFC 3581), or make the registrar answer \
         to the source port (symmetric response routing, e.g. kamailio force_rport)",
        last.request.dst,
        to.port(),
        from.port()
    );
    Some(stage(Status::Fail, summary).advice(advice))
}

/// The stage when `last`, the deciding REGISTER, got no final response.
/// `Break` holds a result already complete with its evidence (taken out of
/// `evidence`); `Continue` one that the evidence is still to be added to.
pub(super) fn unanswered(
    ctx: &Ctx<'_>,
    judged: &[&Transaction<'_>],
    last: &Transaction<'_>,
    evidence: &mut Vec<Evidence>,
) -> ControlFlow<StageResult, StageResult> {
    // An ICMP error about the last REGISTER is its answer when no SIP came.
    if let Some((f, words)) = icmp_answer(ctx, last) {
        let to = last.request.dst;
        evidence.push(ev(f, format!("ICMP {words} for the REGISTER to {to}")));
        let sender = f.src_ip();
        let result = stage(
            Status::Fail,
            format!(
                "REGISTER to {to} answered by ICMP {words} from {sender} (#{})",
                f.frame
            ),
        )
        .advice(icmp_advice(f, to));
        return ControlFlow::Continue(result);
    }
    // Or an answer that the snaplen cut before it could be matched.
    if let Some(f) = cut_answer(ctx, last) {
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
        return ControlFlow::Continue(StageResult::not_seen(Stage::SipRegister, s));
    }
    // Answered where the capture saw it, and re-sent after: the answer
    // was lost between the capture point and the phone.
    if let Some((f, code, m)) = last.unreached {
        let text = response_text(code, m);
        if let Some(result) = to_another_port(ctx, last, f, &text, evidence) {
            return ControlFlow::Continue(result);
        }
        evidence.push(ev(f, format!("{text}, never reached the phone")));
        let result = stage(
            Status::Fail,
            format!(
                "the {text} (#{}) to the REGISTER (#{}) never reached the phone: it re-sent \
                 the REGISTER after its answers ({})",
                f.frame,
                last.request.frame,
                crate::text::plural(last.resent_after_any, "copy", "copies")
            ),
        )
        .advice(format!(
            "the registrar at {} answers, but its answers do not reach the phone: a firewall, \
             NAT or SIP ALG between the capture point and the phone drops them",
            last.request.dst
        ));
        return ControlFlow::Continue(result);
    }
    // Answered, but to another host holding the phone's address (its MAC
    // differs): two devices share the address, and this one never heard.
    if let Some((answer, other)) = answered_elsewhere(ctx, last) {
        return ControlFlow::Continue(to_another_host(last, answer, other, evidence));
    }
    let n = last.retransmissions + 1;
    let to = last.request.dst;
    if n > 1 {
        let text = format!("REGISTER sent for the {} time, unanswered", ordinal(n));
        evidence.push(ev(last.last_send, text));
    }
    let answered_before = judged
        .iter()
        .filter(|t| t.request.dst == to && t.request.frame < last.request.frame)
        // (A provisional answer shows the path worked too.)
        .filter_map(|t| t.finals.first().or(t.provisional.as_ref()))
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
    // (Not when the phone closed first: the registrar only answered that.)
    let phone_closed_first = |close: &Fact| {
        ctx.own().any(|g| {
            matches!(
                g.body,
                Body::Closed {
                    from_client: true,
                    ..
                }
            ) && g.src == last.request.src
                && g.dst == to
                && (last.request.frame..close.frame).contains(&g.frame)
        })
    };
    if let Some(close) = hung_up.filter(|c| !phone_closed_first(c)) {
        let no_length = last.msg.anomalies.contains(&"missing_content_length");
        let taken = std::mem::take(evidence);
        return ControlFlow::Break(registrar_hung_up(last, close, no_length, taken));
    }
    // (A closed connection, above, ends the exchange however soon the
    // capture ends; an open one may still bring the answer.)
    // (A transaction waits 32 s, Timer F of RFC 3261 17.1.2.2: a REGISTER
    // sent a few seconds before the end may still get its answer, however
    // many times UDP re-sent it meanwhile.)
    let waited = last.request.ts.secs_until(&last.last_send.ts);
    if ctx.secs_left(&last.request.ts) < PENDING_SECS {
        let mut s = match last.retransmissions {
            0 => "REGISTER at the end of the capture, no answer yet".to_string(),
            r => format!(
                "REGISTER at the end of the capture, no answer yet ({} in {waited:.1} s)",
                crate::text::plural(r + 1, "send", "sends")
            ),
        };
        // Answers whose IP fragments never all arrived are said, though
        // the transaction may still end well: can't tell.
        let lost = ctx.lost_fragments(to, last.request.src, last.request.frame);
        if let Some(first) = lost.first() {
            s.push_str(&format!(
                "; {} from {to} came back in IP fragments that never completed (from #{}): \
                 can't tell",
                crate::text::plural(lost.len(), "answer", "answers"),
                first.frame
            ));
            evidence.extend(lost.iter().map(|f| ev(f, crate::verdict::lost_text(f, to))));
            evidence.sort_by_key(|e| e.frame);
        }
        // A refresh waiting at the end of a line whose registration still
        // stands: its 200 OK seen, not expired, nothing failed since.
        let line: Vec<&Transaction<'_>> = (judged.iter().copied())
            .filter(|t| t.line() == last.line())
            .collect();
        if let Some((ok, same_call)) = standing(&line, last) {
            evidence.push(ev(ok, "200 OK: registered"));
            let what = match same_call {
                true => "a refresh",
                false => "a new REGISTER",
            };
            let summary = format!(
                "registered (#{}); {} (#{})",
                ok.frame,
                s.replacen("REGISTER", what, 1),
                last.request.frame
            );
            return ControlFlow::Continue(stage(Status::Pass, summary));
        }
        let mut result = StageResult::not_seen(Stage::SipRegister, s);
        if !lost.is_empty() {
            result = result.advice(format!(
                "take a longer capture; if the registrar's answers still arrive only in \
                 part, they exceed the path's MTU and their later IP fragments are lost: let \
                 IP fragments through between the phone and {to}, or register over TCP or TLS"
            ));
        }
        return ControlFlow::Continue(result);
    }
    // Answers too big for the path: their IP fragments after
    // the first lost on the way (a firewall dropping fragments).
    let lost = ctx.lost_fragments(to, last.request.src, last.request.frame);
    if let Some(first) = lost.first() {
        for f in &lost {
            evidence.push(ev(f, crate::verdict::lost_text(f, to)));
        }
        let result = stage(
            Status::Fail,
            format!(
                "no complete response to REGISTER ({} to {to}): {} came back in IP \
                 fragments that never all arrived (from #{})",
                crate::text::plural(n, "send", "sends"),
                crate::text::plural(lost.len(), "answer", "answers"),
                first.frame
            ),
        )
        .advice(format!(
            "the registrar at {to} answers, but its answers are larger than the \
             path's MTU and their IP fragments after the first are lost on the way: \
             let IP fragments through the firewalls and NAT between the phone and \
             {to}, or register over TCP or TLS, which do not fragment"
        ));
        return ControlFlow::Break(result.evidence(std::mem::take(evidence)));
    }
    // Provisional answers only: the path works both ways, the server that
    // sent them never decides (RFC 3261 17.1.2.2: a 1xx stops the quick
    // re-sends, the final response never comes).
    if let Some((f, code, m)) = last.provisional {
        return ControlFlow::Continue(provisional_only(last, (f, code, m), n, evidence));
    }
    // Credentials refused, then silence: a registrar's intrusion protection
    // (fail2ban, kamailio pike, a ban list) blocks an address that failed.
    let refused = judged
        .iter()
        .filter(|t| t.request.dst == to && t.authenticated())
        .filter(|t| matches!(t.final_code(), Some(403)))
        .count();
    // Only looked for when nothing else explains the silence.
    let others = match answered_before {
        None if !acked_by_registrar(ctx, last) => {
            let first = first_send(judged, to).unwrap_or(last.request);
            others(ctx, judged, first, last)
        }
        _ => Others::default(),
    };
    let advice = match answered_before {
        Some((f, 403, _)) if refused > 0 => format!(
            "the registrar at {to} refused the line's credentials (403, #{}; {} in all) and \
             then stopped answering this address: its intrusion protection (fail2ban, pike, a \
             ban list) has most likely blocked it after the failures; fix the line's Auth ID \
             and password in Control Hub, then have the address unblocked",
            f.frame,
            crate::text::plural(refused, "refusal", "refusals")
        ),
        Some((f, code, _)) => format!(
            "the registrar at {to} stopped answering after its {code} (#{}): \
             check it and the path to it (firewall, NAT binding timeouts)",
            f.frame
        ),
        // Over TCP, the registrar's host acknowledged the REGISTER's bytes
        // (the phone's close says so): path and address work, SIP does not.
        None if acked_by_registrar(ctx, last) => format!(
            "the registrar's host at {to} acknowledged the REGISTER over TCP, so the path and \
             address work, but its SIP service never answered: it is hung or overloaded; check \
             the registrar"
        ),
        // It answered other phones meanwhile: this one alone (a ban, an
        // ACL for its address).
        // Others' REGISTERs go unanswered too: it fails for everyone.
        None if others.partial().is_some() => {
            let ((frame, k), (silent, _)) = others.partial().unwrap_or_default();
            format!(
                "the registrar at {to} answered some other phones meanwhile ({}, #{frame}) and \
                 left {} unanswered too (#{silent}): it is overloaded or failing for \
                 everyone, not this phone alone (a registration storm after an outage, a \
                 hung process); check the registrar's load and logs",
                crate::verdict::others_text(k, "answer", "answers"),
                others.unanswered_text("request of another host", "requests of other hosts")
            )
        }
        None if others.singled_out().is_some() => {
            let (frame, k) = others.singled_out().unwrap_or_default();
            format!(
                "the registrar at {to} answered other phones meanwhile ({}, #{frame}) but \
                 never this one: something singles it out (intrusion protection or a ban \
                 list for its address, an ACL, a per-source rate limit); check the \
                 registrar's logs and blocks for {}",
                crate::verdict::others_text(k, "answer", "answers"),
                last.request.src_ip()
            )
        }
        None => match other_method_answered(ctx, last) {
            // The same path carried its answer to another request of the
            // phone's (an OPTIONS keepalive): only REGISTER goes unanswered.
            Some((f, method)) => format!(
                "the registrar at {to} answers this phone's {method} on the same path (#{}) \
                 but never its REGISTER: it drops the REGISTERs (a per-method ACL, an \
                 anti-flood rule, a hung registrar module); check the registrar's logs",
                f.frame
            ),
            None => format!(
                "the registrar at {to} never answers: check the firewall/NAT path and \
                 the proxy address"
            ),
        },
    };
    let before = match registered_before(judged, last) {
        Some(ok) => format!(" after a registration (#{})", ok.frame),
        None => String::new(),
    };
    let sends = crate::text::plural(n, "send", "sends");
    let mut summary = format!("no response to REGISTER ({sends} to {to}){before}");
    let mut advice = advice;
    // Over UDP and larger than an Ethernet MTU holds: it left as IP
    // fragments, which firewalls and NATs often drop (RFC 3261 18.1.1 sends
    // such requests over TCP).
    if let Some(octets) = fragmented(last) {
        summary.push_str(&format!(
            "; each REGISTER is {octets} bytes, more than one 1500-byte packet holds: it \
             travels as IP fragments"
        ));
        advice = format!(
            "the REGISTER ({octets} bytes over UDP) leaves as IP fragments, and a firewall or \
             NAT between the phone and {to} that drops fragments loses it: register over TCP or \
             TLS (RFC 3261 18.1.1), or let fragments through; else {advice}"
        );
    } else if let Some(octets) = near_mtu(last) {
        // Whole, but larger than RFC 3261 18.1.1 lets UDP carry: a link
        // with a smaller MTU (a tunnel, a VPN) drops it where its ICMP
        // 'fragmentation needed' is filtered.
        summary.push_str(&format!("; each REGISTER is {octets} bytes over UDP"));
        advice = format!(
            "the REGISTER is {octets} bytes over UDP, more than the 1300 RFC 3261 18.1.1 allows \
             without a known path MTU: a link on the way with a smaller MTU (a tunnel, a VPN) \
             drops it when its ICMP 'fragmentation needed' is filtered; register over TCP or TLS, \
             or fix the MTU on that path; else {advice}"
        );
    }
    // Over TCP, its full-size segment re-sent and never acknowledged while
    // the registrar SACKs the rest: the path drops large packets.
    if let Some((f, resent)) = super::tcp_black_hole::sacked_tail(ctx, last) {
        let text = format!("{resent} TCP retransmissions, the first segment never acknowledged");
        evidence.push(ev(f, text));
        summary.push_str(&format!(
            "; over TCP, after {resent} TCP retransmissions its first full-size segment was \
             still not acknowledged while the registrar acknowledged (SACK) the bytes after it: \
             a path-MTU black hole"
        ));
        advice = crate::verdict::conn::pmtu::black_hole_advice(to.ip(), &to.to_string());
    }
    // Registered at another registrar meanwhile (another SRV target), its
    // binding still granted: the phone works there and only this one, which
    // it prefers (a lower SRV priority) and tries again, stays silent.
    let line: Vec<&Transaction<'_>> = (judged.iter().copied())
        .filter(|t| t.line() == last.line())
        .collect();
    let rank = |ip: &std::net::IpAddr| ctx.names.srv_priority(ip);
    let preferred = |ok: &Fact| {
        let (tried, there) = (rank(&to.ip()), rank(&ok.src_ip()));
        ok.src_ip() != to.ip() && matches!((tried, there), (Some(a), Some(b)) if a < b)
    };
    if let Some((ok, _)) = standing(&line, last).filter(|(ok, _)| preferred(ok)) {
        evidence.push(ev(ok, format!("200 OK from {}: registered", ok.src)));
        let summary = format!(
            "registered at {} (#{}), its binding still granted; REGISTER to {to} gets no \
             response ({sends})",
            ok.src, ok.frame
        );
        let advice = format!("the phone works through {}; meanwhile {advice}", ok.src);
        return ControlFlow::Continue(stage(Status::Warn, summary).advice(advice));
    }
    ControlFlow::Continue(stage(Status::Fail, summary).advice(advice))
}

/// The size of `last`'s REGISTER when, over UDP, it is larger than a
/// 1500-byte packet holds with its IP and UDP headers.
fn fragmented(last: &Transaction<'_>) -> Option<usize> {
    let headers = match last.request.src_ip() {
        std::net::IpAddr::V4(_) => 28,
        std::net::IpAddr::V6(_) => 48,
    };
    let udp = last.request.l4 == crate::fact::L4::Udp;
    (udp && last.msg.octets + headers > 1500).then_some(last.msg.octets)
}

/// The size of `last`'s REGISTER when, over UDP, it is over the 1300 bytes
/// RFC 3261 18.1.1 lets UDP carry without a known path MTU.
fn near_mtu(last: &Transaction<'_>) -> Option<usize> {
    let udp = last.request.l4 == crate::fact::L4::Udp;
    (udp && last.msg.octets > UDP_MAX_UNKNOWN_MTU).then_some(last.msg.octets)
}

/// RFC 3261 18.1.1: a request over 1300 bytes goes over TCP when the path
/// MTU is unknown.
const UDP_MAX_UNKNOWN_MTU: usize = 1300;

/// A SIP response to `last` (same Call-ID and CSeq, to the phone's address)
/// delivered to another MAC than the one the REGISTER came from, whose
/// host sends from that address too (a router's MAC on a routed capture
/// does not), and that MAC.
fn answered_elsewhere<'a>(ctx: &Ctx<'a>, last: &Transaction<'_>) -> Option<(&'a Fact, Mac)> {
    let own = last.request.src_mac?;
    let from = last.request.src_ip();
    let sent_to = ctx.messages_to(from, last.request.frame.saturating_add(1));
    let (answer, other) = sent_to.into_iter().find_map(|f| {
        let Body::Sip(m) = &f.body else { return None };
        let other = f.dst_mac.filter(|mac| *mac != own)?;
        let same = f.dst_ip() == from
            && m.method().is_none()
            && m.call_id.as_deref() == Some(last.call_id.as_str())
            && m.cseq.as_ref().is_some_and(|(n, _)| *n == last.cseq);
        same.then_some((f, other))
    })?;
    let shares = (ctx.facts.iter()).any(|f| f.src_mac == Some(other) && f.src_ip() == from);
    shares.then_some((answer, other))
}

/// The answer to the REGISTER `last` went to `other`, another host with the
/// phone's address: two devices share it, and this one never heard.
fn to_another_host(
    last: &Transaction<'_>,
    answer: &Fact,
    other: Mac,
    evidence: &mut Vec<Evidence>,
) -> StageResult {
    let ip = last.request.src_ip();
    evidence.push(ev(
        answer,
        format!("the answer went to {}", mac_string(&other)),
    ));
    let result = stage(
        Status::Fail,
        format!(
            "the answer to the REGISTER (#{}) went to {}, another host with the phone's \
             address {ip}",
            answer.frame,
            mac_string(&other)
        ),
    )
    .advice(format!(
        "two devices use {ip} (a duplicate address: a static address inside the DHCP pool, \
         or a lease given twice): the registrar's answers reach the other one; give each \
         device its own address"
    ));
    result
}

/// Only provisional answers (the first `f`, its `code`, `m`) to the
/// REGISTER `last`, sent `n` times.
fn provisional_only(
    last: &Transaction<'_>,
    (f, code, m): (&Fact, u16, &SipMessage),
    n: usize,
    evidence: &mut Vec<Evidence>,
) -> StageResult {
    let to = last.request.dst;
    let text = response_text(code, m);
    let by = match f.src == to {
        true => String::new(),
        false => format!(" from {}", f.src),
    };
    let times = match last.provisionals {
        1 => String::new(),
        k => format!(" ({k} times)"),
    };
    evidence.push(ev(f, text.clone()));
    // The last one too: the server went on answering to the end.
    if let Some(l) = last.last_provisional.filter(|l| l.frame != f.frame) {
        let k = last.provisionals;
        evidence.push(ev(l, format!("{text}, the last of {k}")));
        evidence.sort_by_key(|e| e.frame);
    }
    let sends = crate::text::plural(n, "send", "sends");
    let result = stage(
        Status::Fail,
        format!(
            "no final response to REGISTER ({sends} to {to}): only {text}{times}, from #{}",
            f.frame
        ),
    )
    .advice(format!(
        "the REGISTERs to {to} get {text}{by}, so the path works both ways, but no final \
         response ever comes: the registrar behind that server (or its back end: subscriber \
         database, authentication) does not answer; check its logs and where it forwards \
         REGISTERs"
    ));
    result
}

/// What an ICMP error answering the REGISTER to `to` asks of the reader: a
/// firewall's rule, a router's route, or the registrar's service.
fn icmp_advice(f: &Fact, to: SocketAddr) -> String {
    let sender = f.src_ip();
    let kind = match &f.body {
        Body::Icmp(u) => u.kind,
        _ => UnreachKind::Other,
    };
    let words = kind.words();
    let by = match sender == to.ip() {
        true => to.ip().to_string(),
        false => format!("the router or firewall {sender}"),
    };
    match kind {
        UnreachKind::AdminProhibited | UnreachKind::SourcePolicy | UnreachKind::RejectRoute => {
            format!(
                "{by} rejects SIP to {to} by policy (ICMP {words}): a firewall rule there; \
                 allow the phone's SIP to the registrar (UDP and TCP {})",
                to.port()
            )
        }
        UnreachKind::Host
        | UnreachKind::Net
        | UnreachKind::NoRoute
        | UnreachKind::AddressUnreachable
        | UnreachKind::TtlExceeded
            if sender != to.ip() =>
        {
            format!(
                "the router {sender} cannot deliver to {} (ICMP {words}): the host is down or \
                 the address wrong, or that router's route towards it is broken; check the \
                 registrar's address (the outbound proxy) and the routing to it",
                to.ip()
            )
        }
        _ => format!(
            "nothing takes SIP at {to} (ICMP {words}): check the registrar's address and port \
             (the outbound proxy) and that its service runs"
        ),
    }
}

/// Over TCP, the phone's close after `last` says the registrar acknowledged
/// every byte the phone sent (its REGISTER included).
fn acked_by_registrar(ctx: &Ctx<'_>, last: &Transaction<'_>) -> bool {
    let (phone, to) = (last.request.src, last.request.dst);
    last.request.l4 == crate::fact::L4::Tcp
        && ctx.own().any(|f| {
            f.frame > last.request.frame
                && f.src == phone
                && f.dst == to
                && matches!(
                    f.body,
                    Body::Closed {
                        from_client: true,
                        peer_acked: true,
                        ..
                    }
                )
        })
}

/// The phone's first REGISTER to `to` among `judged`.
fn first_send<'a>(judged: &[&Transaction<'a>], to: std::net::SocketAddr) -> Option<&'a Fact> {
    (judged.iter())
        .filter(|t| t.request.dst == to)
        .map(|t| t.request)
        .min_by_key(|f| f.frame)
}

/// What the registrar of `last` did for other hosts from the phone's REGISTER `from` until
/// a second after `last`'s last send: SIP responses to them, and their
/// requests it left unanswered (the phone's own Call-IDs, copied by a NAT,
/// are no other host's).
fn others(
    ctx: &Ctx<'_>,
    judged: &[&Transaction<'_>],
    from: &Fact,
    last: &Transaction<'_>,
) -> Others {
    let to = last.request.dst;
    let own: Vec<&str> = judged.iter().map(|t| t.call_id.as_str()).collect();
    fn sip(f: &Fact) -> Option<&SipMessage> {
        match &f.body {
            Body::Sip(m) => Some(m),
            _ => None,
        }
    }
    let foreign = |m: &SipMessage| !m.call_id.as_deref().is_some_and(|c| own.contains(&c));
    let reply = |f: &Fact| {
        sip(f).is_some_and(|m| m.status().is_some() && f.src == to && foreign(m))
            && !ctx.is_phone(&f.dst_ip())
    };
    // (An ACK never gets a response: RFC 3261 17.1.1.3.)
    let request = |f: &Fact| {
        sip(f).is_some_and(|m| {
            m.status().is_none() && m.method() != Some("ACK") && f.dst == to && foreign(m)
        }) && !ctx.is_phone(&f.src_ip())
    };
    let answers = |r: &Fact, p: &Fact| match (sip(r), sip(p)) {
        (Some(r), Some(p)) => r.call_id == p.call_id && r.cseq == p.cseq,
        _ => false,
    };
    let service = Service::of_server(to.ip(), &reply, &request, &answers);
    ctx.others(&service, from, &last.last_send.ts)
}
