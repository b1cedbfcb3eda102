//! Several boot cycles of one phone in one capture (DOMAIN.md "Retries and
//! repeats"): the stages after DHCP are judged on the last boot, and the
//! earlier boots stay as evidence.
//!
//! A boot starts with a DISCOVER, or an INIT-REBOOT REQUEST (RFC 2131
//! 4.3.2: no `ciaddr`, no server identifier), sent after an earlier
//! exchange of the phone was acknowledged; a renewal (`ciaddr` set) is not
//! one. The stage rules run twice, on the boots before the last together
//! and on the last boot alone, and the two results are merged: the last
//! boot decides, an earlier failure the last boot got past makes a `warn`
//! (said as the earlier boots' own result), and a stage the last boot never
//! reached is `not_seen` with the earlier boots' evidence, or a `warn` when
//! it failed then and the last boot reached no later stage either (nothing
//! since says the fault is gone).

use super::{Ctx, StageResult, Status};
use crate::fact::Body;
use crate::proto::sip::StartLine;

const DISCOVER: u8 = 1;
const REQUEST: u8 = 3;
const ACK: u8 = 5;
const NAK: u8 = 6;

/// Frame where the phone's last boot starts, when the capture holds more
/// than one. A last boot whose lease was granted and that shows nothing
/// after it (a DHCP client restarted, or the capture ends there) tells
/// nothing new: the whole capture is then judged as one; so does one whose
/// lone exchange is still under way at the capture's end (a DISCOVER not
/// answered yet, an OFFER not yet requested: `dhcp::under_way_at_end`). A
/// last boot whose lease failed is news (the phone is down).
pub fn last_boot_start(ctx: &Ctx<'_>) -> Option<u64> {
    let start = lease_restart(ctx)?;
    let dhcp_port = |p: u16| p == 67 || p == 68;
    let mut leased = false;
    // What the last boot did after its lease: anything, and anything
    // beyond the name lookups a boot makes in its first moments.
    let (mut went_on, mut beyond_dns) = (false, false);
    for f in ctx.own().filter(|f| f.frame >= start) {
        match &f.body {
            Body::Dhcp(m) => leased |= m.op == 2 && m.message_type == Some(ACK),
            // An ICMP error about a DHCP message is part of the lease.
            Body::Icmp(u) if dhcp_port(u.orig_dst.port()) => {}
            Body::Dns(_) => went_on = true,
            _ => (went_on, beyond_dns) = (true, true),
        }
    }
    let cut_short = || super::dhcp::under_way_at_end(ctx).is_some_and(|at| at <= start);
    // A reboot after a registration that the capture ends on before it got
    // past DNS tells nothing new either: said on the dhcp stage
    // ([`reboot_note`]), the capture judged as one.
    let cut_by_end =
        !beyond_dns && short_tail(ctx, start).is_some() && registered_before(ctx, start);
    (went_on && !cut_by_end || !leased && !cut_short()).then_some(start)
}

/// Seconds from the last boot's start to the capture's end, when fewer
/// than [`SHORT_TAIL_SECS`].
fn short_tail(ctx: &Ctx<'_>, start: u64) -> Option<f64> {
    let first = ctx.own().find(|f| f.frame == start)?;
    Some(ctx.secs_left(&first.ts)).filter(|&s| s < SHORT_TAIL_SECS)
}

/// Seconds within which a capture that ends after the last boot's start
/// explains why the boot reached no later stage.
const SHORT_TAIL_SECS: f64 = 10.0;

/// How the last boot (from `start`) is named in the stages it did not
/// reach: its first frame, and how soon the capture ends after it when that
/// explains it.
pub fn label(ctx: &Ctx<'_>, start: u64) -> String {
    match short_tail(ctx, start) {
        Some(secs) => format!("from #{start}; {}", ends_text(secs)),
        None => format!("from #{start}"),
    }
}

fn ends_text(secs: f64) -> String {
    match secs < 0.1 {
        true => "the capture ends within 0.1 s".to_string(),
        false => format!("the capture ends {secs:.1} s after it began"),
    }
}

/// Words for the dhcp stage when the phone started a new DHCP exchange
/// after it had registered (a reboot, a key symptom); `judged`: that boot
/// is judged on its own (the start of the last boot).
pub fn reboot_note(ctx: &Ctx<'_>, judged: Option<u64>) -> Option<String> {
    let start = lease_restart(ctx)?;
    // A server's NAK just before it restarts the lease: the phone obeys
    // RFC 2131 4.4.5 (the dhcp stage says so), it did not reboot.
    let last_dhcp = (ctx.own().take_while(|f| f.frame < start))
        .filter_map(|f| match &f.body {
            Body::Dhcp(m) => Some(m.message_type),
            _ => None,
        })
        .last();
    if !registered_before(ctx, start) || last_dhcp == Some(Some(NAK)) {
        return None;
    }
    let said = "the phone rebooted after it had registered";
    Some(match (judged, short_tail(ctx, start)) {
        (None, Some(secs)) => format!(
            "{said}: a new DHCP exchange from #{start}, and {}: too soon to judge that boot",
            ends_text(secs)
        ),
        _ => format!("{said}: a new DHCP exchange from #{start}"),
    })
}

/// The registrar accepted a REGISTER of the phone before frame `start`.
fn registered_before(ctx: &Ctx<'_>, start: u64) -> bool {
    ctx.own()
        .take_while(|f| f.frame < start)
        .any(|f| match &f.body {
            Body::Sip(m) => {
                let ok = matches!(m.start, StartLine::Response { code, .. } if code / 100 == 2);
                let register = (m.cseq.as_ref()).is_some_and(|(_, meth)| meth == "REGISTER");
                ok && register && ctx.is_phone(&f.dst_ip())
            }
            _ => false,
        })
}

/// Frame of the phone's last DISCOVER or INIT-REBOOT REQUEST after an
/// acknowledged exchange, if any.
fn lease_restart(ctx: &Ctx<'_>) -> Option<u64> {
    let mut acked = false;
    let mut start = None;
    let mut acked_xid = None;
    for f in ctx.own() {
        let Body::Dhcp(m) = &f.body else { continue };
        if Some(m.chaddr) != ctx.phone.mac {
            continue;
        }
        match m.message_type {
            Some(ACK) if m.op == 2 => {
                acked = true;
                acked_xid = Some(m.xid);
            }
            Some(DISCOVER) if m.op == 1 && acked && acked_xid != Some(m.xid) => {
                start = Some(f.frame);
                acked = false;
            }
            Some(REQUEST)
                if m.op == 1
                    && acked
                    && acked_xid != Some(m.xid)
                    && m.ciaddr.is_unspecified()
                    && m.option(54).is_none() =>
            {
                start = Some(f.frame);
                acked = false;
            }
            _ => {}
        }
    }
    start
}

/// One stage from its result on the boots before the last (`before`) and on
/// the last boot; the evidence of both is kept. `past`: the last boot went
/// on to a later stage (so a stage it did not show was not needed).
pub fn merge(
    before: StageResult,
    last: StageResult,
    (start, label): (u64, &str),
    past: bool,
) -> StageResult {
    let mut evidence: Vec<_> = before
        .evidence
        .iter()
        .filter(|e| e.frame < start)
        .cloned()
        .collect();
    evidence.extend(last.evidence.iter().cloned());
    // (What decides either boot's stage stays through trimming.)
    let keep: Vec<u64> = before.keep.iter().chain(&last.keep).copied().collect();
    let merged = match (before.status, last.status) {
        (Status::NotSeen, _) => last,
        // An earlier failure the last boot has not come back to is the
        // latest word on the stage: a warning, not a silence.
        (Status::Fail | Status::Warn, Status::NotSeen) if !past => {
            let summary = format!(
                "in an earlier boot: {}; not reached again in the last boot ({label})",
                before.summary
            );
            let result = StageResult::new(last.stage, Status::Warn, summary);
            StageResult {
                advice: before.advice,
                ..result.evidence(before.evidence)
            }
        }
        (_, Status::NotSeen) => {
            let summary = format!(
                "not reached in the last boot ({label}); in an earlier boot: {}",
                before.summary
            );
            StageResult::new(last.stage, Status::NotSeen, summary).evidence(before.evidence)
        }
        // The last boot went cleanly; the earlier boots recovered too
        // ("X (after Y)"): say that it was then.
        (Status::Warn, Status::Pass) => {
            let rest = before
                .summary
                .strip_prefix(last.summary.as_str())
                .map(str::trim);
            let summary = match rest.and_then(|r| r.strip_suffix(')')) {
                Some(open) if open.starts_with('(') => {
                    format!("{} {open}, in an earlier boot)", last.summary)
                }
                _ => format!("{} (in an earlier boot: {})", last.summary, before.summary),
            };
            let result = StageResult::new(last.stage, Status::Warn, summary).evidence(evidence);
            StageResult {
                advice: before.advice,
                recovered: before.recovered,
                ..result
            }
        }
        (Status::Fail, Status::Pass) => {
            let summary = format!("{} (an earlier boot: {})", last.summary, before.summary);
            let result = StageResult::new(last.stage, Status::Warn, summary).evidence(evidence);
            // The last boot passed: the earlier failure's advice is for
            // when it comes back, not a present fault.
            let recovered = Some(super::Recovery {
                failed: format!("in an earlier boot: {}", before.summary),
                advice: before.advice.clone(),
                success: last.summary,
            });
            let advice = before
                .advice
                .map(|a| format!("it failed only in an earlier boot; if it recurs: {a}"));
            StageResult {
                advice,
                recovered,
                ..result
            }
        }
        _ => StageResult { evidence, ..last },
    };
    StageResult { keep, ..merged }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Evidence, Stage};

    fn result(status: Status, summary: &str, frames: &[u64]) -> StageResult {
        let evidence = frames
            .iter()
            .map(|&frame| Evidence {
                frame,
                time: Default::default(),
                text: format!("frame {frame}"),
            })
            .collect();
        StageResult::new(Stage::SipRegister, status, summary).evidence(evidence)
    }

    #[test]
    fn the_last_boot_decides_and_the_earlier_stays_as_evidence() {
        let start = 50;
        // Registered in the first boot, never reached in the last.
        let m = merge(
            result(Status::Pass, "registered", &[10, 12]),
            result(Status::NotSeen, "no REGISTER", &[]),
            (start, "from #50"),
            false,
        );
        assert_eq!(m.status, Status::NotSeen);
        assert!(m
            .summary
            .starts_with("not reached in the last boot (from #50)"));
        assert_eq!(m.frame_range(), Some((10, 12)));
        // Failed in the first boot, passed in the last: recovered.
        let m = merge(
            result(Status::Fail, "403", &[10]),
            result(Status::Pass, "registered", &[60]),
            (start, "from #50"),
            true,
        );
        assert_eq!(m.status, Status::Warn);
        assert!(m.summary.contains("an earlier boot: 403"), "{}", m.summary);
        // Passed first, fails now: fail, with both boots' frames.
        let m = merge(
            result(Status::Fail, "RST", &[10, 60]),
            result(Status::Fail, "RST", &[60]),
            (start, "from #50"),
            true,
        );
        assert_eq!(m.status, Status::Fail);
        assert_eq!(m.frame_range(), Some((10, 60)));
    }

    #[test]
    fn an_earlier_failure_the_last_boot_never_came_back_to_warns() {
        let failed = || result(Status::Fail, "credentials rejected", &[10]).advice("check");
        let none = || result(Status::NotSeen, "no REGISTER", &[]);
        // The last boot stopped before this stage: the failure still stands.
        let m = merge(failed(), none(), (50, "from #50"), false);
        assert_eq!(m.status, Status::Warn);
        assert!(m
            .summary
            .starts_with("in an earlier boot: credentials rejected"));
        assert!(m
            .summary
            .ends_with("not reached again in the last boot (from #50)"));
        assert_eq!(m.advice.as_deref(), Some("check"));
        // It went on past the stage (not needed any more): no warning.
        let m = merge(failed(), none(), (50, "from #50"), true);
        assert_eq!(m.status, Status::NotSeen);
    }

    #[test]
    fn advice_of_a_failure_fixed_by_the_last_boot_is_for_if_it_recurs() {
        let failed = result(Status::Fail, "NXDOMAIN", &[10]).advice("let it resolve");
        let m = merge(
            failed,
            result(Status::Pass, "A 198.51.100.10", &[60]),
            (50, "from #50"),
            true,
        );
        assert_eq!(m.status, Status::Warn);
        let advice = m.advice.unwrap_or_default();
        assert!(
            advice.starts_with("it failed only in an earlier boot"),
            "{advice}"
        );
        assert!(advice.ends_with("let it resolve"), "{advice}");
    }
}
