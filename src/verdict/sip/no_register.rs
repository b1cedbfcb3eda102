//! The stage when the capture holds no REGISTER of the phone but other SIP
//! of it: final answers alone (a tap copying one direction), or SIP cut by
//! the snaplen before its Call-ID or CSeq; and when the phone's last
//! answer is to a REGISTER the capture lost (`orphan_answer`).

use super::advice::{final_advice, response_text};
use super::exchange::cut_sip;
use super::transaction::Transaction;
use crate::fact::{Body, Fact};
use crate::phone::aor_user;
use crate::proto::sip::{SipMessage, StartLine};
use crate::verdict::{ev, Ctx, Evidence, Stage, StageResult, Status};

/// A final answer to a REGISTER: its fact, status code and message.
type Answer<'a> = (&'a Fact, u16, &'a SipMessage);

/// No REGISTER of the phone in the capture, but final answers to one sent
/// to it (a tap copying one direction): the last decides, said as such.
pub(super) fn answers_alone(ctx: &Ctx<'_>) -> Option<StageResult> {
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
                m,
                min_expires,
                None,
            ))
        }
    };
    Some(result.evidence(evidence))
}

/// SIP of the phone cut by the snaplen before its Call-ID or CSeq: there
/// was SIP in clear, but which answer goes with which REGISTER can't be told.
pub(super) fn cut_by_snaplen(ctx: &Ctx<'_>) -> Option<StageResult> {
    let cut: Vec<&Fact> = ctx.own().filter(|f| cut_sip(f)).collect();
    // The last piece that shows its start line says most.
    let readable = cut.iter().rev().find(|f| matches!(f.body, Body::Sip(_)));
    let (first, last) = (cut.first()?, readable.or(cut.last())?);
    let line = match &last.body {
        Body::Sip(m) => match &m.start {
            StartLine::Request { method, .. } => method.clone(),
            StartLine::Response { code, reason } => format!("{code} {reason}"),
        },
        _ => "bytes missing from the TCP stream".to_string(),
    };
    // No frame of the capture was cut by the snaplen: the bytes were lost
    // by the capture (a gap in the TCP stream).
    let (why, fix) = match ctx.snaplen_cut {
        true => (
            "cut by the snaplen or lost",
            "capture with a larger snaplen",
        ),
        false => (
            "with bytes the capture lost",
            "capture nearer the phone, or where no packets are dropped",
        ),
    };
    let summary = format!(
        "SIP in clear, but {why} ({}, the last: {line}): can't tell how the registration went; \
         {fix}",
        crate::text::plural(cut.len(), "piece", "pieces")
    );
    let mut evidence = vec![ev(first, format!("SIP {why}"))];
    if last.frame != first.frame {
        evidence.push(ev(last, format!("{line}, {why}")));
    }
    Some(StageResult::not_seen(Stage::SipRegister, summary).evidence(evidence))
}

/// The last thing of the phone's SIP is a final answer to one of its
/// REGISTERs (by Call-ID and CSeq) that the capture lost (a SPAN port
/// dropping a frame): that answer is the outcome all the same, said with
/// the request missing. `None` when the last answer has its transaction.
pub(super) fn orphan_answer(
    ctx: &Ctx<'_>,
    txs: &[Transaction<'_>],
    evidence: &mut Vec<Evidence>,
) -> Option<StageResult> {
    let known: std::collections::HashSet<(&str, u32)> =
        txs.iter().map(|t| (t.call_id.as_str(), t.cseq)).collect();
    // The last frame of each line's transactions: an answer after it is
    // that line's last word.
    let mut seen_until: std::collections::HashMap<Option<&str>, u64> =
        std::collections::HashMap::new();
    for t in txs {
        let last = std::iter::once(t.last_send.frame).chain(t.finals.iter().map(|f| f.0.frame));
        let at = seen_until.entry(t.line()).or_default();
        *at = (*at).max(last.max().unwrap_or(0));
    }
    let after_line = |m: &SipMessage, frame: u64| {
        let line = m.from.as_deref().and_then(aor_user);
        frame > seen_until.get(&line.as_deref()).copied().unwrap_or(0)
    };
    let (f, code, m, cseq) = ctx
        .own()
        .filter(|f| ctx.is_phone(&f.dst_ip()))
        .filter(|f| matches!(&f.body, Body::Sip(m) if after_line(m, f.frame)))
        .filter_map(|f| match &f.body {
            Body::Sip(m) => match (&m.start, &m.cseq, &m.call_id) {
                (StartLine::Response { code, .. }, Some((cseq, method)), Some(call_id))
                    if *code >= 200
                        && method.eq_ignore_ascii_case("REGISTER")
                        && !known.contains(&(call_id.as_str(), *cseq)) =>
                {
                    Some((f, *code, m.as_ref(), *cseq))
                }
                _ => None,
            },
            _ => None,
        })
        .last()?;
    // A challenge to a REGISTER the capture lacks tells nothing the
    // transactions seen do not (whether that REGISTER carried credentials
    // is unknown): they judge.
    if matches!(code, 401 | 407) {
        return None;
    }
    // A 2xx to the next CSeq of a challenged REGISTER answers that
    // challenge: the transactions judge it as a registration (or a
    // de-registration) with earlier failures.
    let Body::Sip(_) = &f.body else { return None };
    let challenged = txs.iter().any(|t| {
        Some(t.call_id.as_str()) == m.call_id.as_deref()
            && t.cseq.wrapping_add(1) == cseq
            && matches!(t.final_code(), Some(401 | 407))
    });
    if (200..300).contains(&code) && challenged {
        return None;
    }
    // Another line whose last REGISTER did not register keeps the judging
    // of every line's last transaction.
    let line = m.from.as_deref().and_then(aor_user);
    let mut last_of_line: std::collections::HashMap<Option<&str>, &Transaction<'_>> =
        std::collections::HashMap::new();
    for t in txs {
        last_of_line.insert(t.line(), t);
    }
    if (last_of_line.iter()).any(|(l, t)| *l != line.as_deref() && t.rank() != 0) {
        return None;
    }
    let text = response_text(code, m);
    let lost = format!("its REGISTER, CSeq {cseq}, is not in the capture");
    evidence.push(ev(f, format!("{text} ({lost})")));
    let from = f.src;
    Some(match code {
        200..=299 => StageResult::new(
            Stage::SipRegister,
            Status::Pass,
            format!("registered: {text} from {from} ({lost})"),
        ),
        403 => StageResult::new(
            Stage::SipRegister,
            Status::Fail,
            format!("403 Forbidden from {from}: the registrar rejects this line ({lost})"),
        )
        .advice(
            "the registrar forbids the registration: check the user ID, Auth ID and password, \
             and that the device is assigned to the user in Control Hub",
        ),
        _ => StageResult::new(
            Stage::SipRegister,
            Status::Fail,
            format!("REGISTER answered {text} from {from} ({lost})"),
        )
        .advice(final_advice(code, m, m.header_secs("Min-Expires"), None)),
    })
}
