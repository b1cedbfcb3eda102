//! An address that holds several phones behind NAT (`phone/nat.rs`): the
//! entry merges their attempts, so a success after a failure may be another
//! phone's. One phone's success is no recovery of another's failure: a stage
//! that would warn "after an earlier failed attempt" fails, saying why, and
//! a later stage that passed does not make the entry's verdict a warning.

use super::{Stage, StageResult, Status, Verdict};

/// Turns every recovered stage back into the failure it recovered from.
pub fn no_recovery(stages: &mut [StageResult]) {
    for r in stages.iter_mut().filter(|r| r.status == Status::Warn) {
        let Some(rec) = r.recovered.take() else {
            continue;
        };
        r.status = Status::Fail;
        r.summary = format!(
            "{}; a later attempt from this address succeeded ({}), but several phones are \
             behind it: the failure is one of theirs",
            rec.failed, rec.success
        );
        r.advice = rec.advice;
    }
}

/// The entry's verdict: a failure stands even when a later stage passed
/// (that may be another phone's). What DHCP offered (`dhcp-options`) is
/// judged as before.
pub fn verdict(stages: &[StageResult], verdict: Verdict) -> Verdict {
    let failed = stages
        .iter()
        .any(|r| r.status == Status::Fail && r.stage != Stage::DhcpOptions);
    match (verdict, failed) {
        (Verdict::Warn, true) => Verdict::Fail,
        (v, _) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Recovery;

    #[test]
    fn a_success_after_a_failure_behind_nat_is_no_recovery() {
        let mut stages = vec![
            StageResult::new(
                Stage::Activation,
                Status::Warn,
                "completed (after unknown_ca)",
            ),
            StageResult::new(Stage::SipRegister, Status::Pass, "registered"),
        ];
        stages[0].recovered = Some(Recovery {
            failed: "unknown_ca".into(),
            advice: Some("exempt it".into()),
            success: "completed".into(),
        });
        no_recovery(&mut stages);
        assert_eq!(stages[0].status, Status::Fail);
        assert!(stages[0].summary.starts_with("unknown_ca; a later attempt"));
        assert_eq!(stages[0].advice.as_deref(), Some("exempt it"));
        assert_eq!(verdict(&stages, Verdict::Warn), Verdict::Fail);
    }
}
