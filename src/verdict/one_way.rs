//! Captures that hold the phones' direction only (a SPAN session or a tap
//! that copies one side): an answer missing from them is no evidence that
//! none was sent. The phone's own behaviour still is: a phone that went on
//! to a later stage was answered at the earlier one.
//!
//! Only the request-and-answer stages over UDP are judged again here (DHCP,
//! the three DNS stages, NTP), and a local profile fetch left waiting for
//! its answer. TCP stages need nothing: their judges read the
//! phone's acknowledgments and re-sent SYNs, which a one-direction capture
//! holds. A stage the phone never got past keeps its failure: its re-sends
//! say no answer reached it; the capture's warning says the rest.

use super::{Stage, StageResult, Status};

/// Stages whose failure, in a one-direction capture, can only rest on
/// answers missing from it.
const ASKED: [Stage; 5] = [
    Stage::Dhcp,
    Stage::DnsActivation,
    Stage::DnsProvisioning,
    Stage::DnsSrv,
    Stage::Ntp,
];

/// Re-judges `stages` (all twelve, in boot order) of a phone in a capture
/// that holds its direction only.
pub fn judge(stages: &mut [StageResult]) {
    for i in 0..stages.len() {
        let Some(r) = stages.get(i) else { continue };
        // A local profile fetch left "before the answer": the answer may
        // only be missing from the capture (what came of it is unknown).
        let local_unknown = r.stage == Stage::LocalConfig && r.status == Status::NotSeen;
        if !(ASKED.contains(&r.stage) || local_unknown)
            || r.status == Status::Pass
            || r.evidence.is_empty()
        {
            continue;
        }
        // The lease judge already read a lease the phone used (`dhcp.rs`).
        if r.stage == Stage::Dhcp && r.status == Status::NotSeen {
            continue;
        }
        let went_on = stages
            .get(i + 1..)
            .unwrap_or_default()
            .iter()
            .find(|later| {
                !matches!(later.stage, Stage::Ntp | Stage::DhcpOptions)
                    && (later.status != Status::NotSeen || !later.evidence.is_empty())
            });
        let summary = match (r.stage, went_on) {
            (Stage::LocalConfig, Some(later)) => format!(
                "no answer in this capture, which holds the phones' direction only; the phone \
                 then went on to {}: what the local server gave it can't be told",
                later.stage.id()
            ),
            (Stage::LocalConfig, None) => continue,
            (_, Some(later)) => format!(
                "no answer in this capture, which holds the phones' direction only; the phone \
                 went on to {}, so it was answered",
                later.stage.id()
            ),
            (Stage::Ntp, None) => "no reply in this capture, which holds the phones' direction \
                                   only: can't tell whether the server answered"
                .to_string(),
            _ => continue,
        };
        if let Some(r) = stages.get_mut(i) {
            r.status = Status::NotSeen;
            r.summary = summary;
            r.advice = None;
            r.failing_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Evidence;

    fn stage(stage: Stage, status: Status, frame: Option<u64>) -> StageResult {
        let evidence = frame.map_or(Vec::new(), |frame| {
            vec![Evidence {
                frame,
                time: crate::time::Timestamp::default(),
                text: "sent".into(),
            }]
        });
        StageResult::new(stage, status, "no answer")
            .advice("check the server")
            .evidence(evidence)
    }

    fn boot(statuses: &[(Status, Option<u64>)]) -> Vec<StageResult> {
        Stage::ALL
            .iter()
            .zip(statuses)
            .map(|(s, (status, frame))| stage(*s, *status, *frame))
            .collect()
    }

    #[test]
    fn a_stage_the_phone_got_past_is_not_a_failure_and_the_last_one_stays() {
        use Status::*;
        let none = (NotSeen, None);
        let mut stages = boot(&[
            (Fail, Some(1)),
            none,
            none,
            (Fail, Some(4)),
            (Pass, Some(8)),
            (NotSeen, Some(15)),
            (Pass, Some(19)),
            (Fail, Some(26)),
            (Fail, Some(28)),
            none,
            none,
            (Fail, Some(37)),
        ]);
        judge(&mut stages);
        let status: Vec<Status> = stages.iter().map(|r| r.status).collect();
        assert_eq!(
            status,
            [
                NotSeen, NotSeen, NotSeen, NotSeen, Pass, NotSeen, Pass, NotSeen, Fail, NotSeen,
                NotSeen, NotSeen
            ]
        );
        assert!(stages[0]
            .summary
            .ends_with("went on to dns-activation, so it was answered"));
        assert!(stages[3].summary.contains("went on to activation"));
        assert!(stages[7].summary.contains("went on to sbc-connect"));
        assert_eq!(stages[0].advice, None);
        assert!(stages[11].summary.contains("can't tell"));
        // sbc-connect is judged from the phone's re-sent SYNs: unchanged.
        assert_eq!(stages[8].summary, "no answer");
    }

    #[test]
    fn dns_that_led_nowhere_keeps_its_failure() {
        use Status::*;
        let none = (NotSeen, None);
        let mut stages = boot(&[
            (Fail, Some(1)),
            none,
            none,
            (Fail, Some(4)),
            none,
            none,
            none,
            none,
            none,
            none,
            none,
            none,
        ]);
        judge(&mut stages);
        assert_eq!(stages[0].status, NotSeen);
        assert_eq!(stages[3].status, Fail);
        assert_eq!(stages[3].advice.as_deref(), Some("check the server"));
    }
}
