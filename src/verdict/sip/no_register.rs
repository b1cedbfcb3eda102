//! The stage when the capture holds no REGISTER of the phone but other SIP
//! of it: final answers alone (a tap copying one direction), or SIP cut by
//! the snaplen before its Call-ID or CSeq.

use super::advice::{final_advice, response_text};
use super::exchange::cut_sip;
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
    let (first, last) = (cut.first()?, cut.last()?);
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
