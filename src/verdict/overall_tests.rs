//! Tests of [`super::overall`]: root cause and verdict from stage results.

use super::{overall, Stage, StageResult, Status, Verdict};

fn stages(statuses: &[(Stage, Status)]) -> Vec<StageResult> {
    statuses
        .iter()
        .map(|&(stage, status)| StageResult::new(stage, status, ""))
        .collect()
}

#[test]
fn a_phone_that_never_got_a_lease_fails_even_when_the_offer_was_clean() {
    // REQUEST never acknowledged: the offer's options pass, nothing follows.
    let s = stages(&[
        (Stage::Dhcp, Status::Fail),
        (Stage::DhcpOptions, Status::Pass),
        (Stage::LocalConfig, Status::NotSeen),
        (Stage::Ntp, Status::Pass),
    ]);
    assert_eq!(overall(&s), (Verdict::Fail, Some(Stage::Dhcp)));
    // A later boot stage that passed is getting past it: recovered.
    let s = stages(&[
        (Stage::Dhcp, Status::Fail),
        (Stage::DhcpOptions, Status::Pass),
        (Stage::DnsActivation, Status::Pass),
    ]);
    assert_eq!(overall(&s), (Verdict::Warn, Some(Stage::Dhcp)));
    // Past the first failure, then stuck at a later one: a failing phone,
    // rooted at the first.
    let s = stages(&[
        (Stage::DnsSrv, Status::Fail),
        (Stage::SbcConnect, Status::Pass),
        (Stage::SbcTls, Status::Fail),
        (Stage::SipRegister, Status::NotSeen),
    ]);
    assert_eq!(overall(&s), (Verdict::Fail, Some(Stage::DnsSrv)));
}

#[test]
fn the_first_failure_is_the_root_and_a_warning_only_roots_when_nothing_failed() {
    let s = stages(&[
        (Stage::Dhcp, Status::Warn),
        (Stage::DnsActivation, Status::Pass),
        (Stage::SbcConnect, Status::Fail),
    ]);
    assert_eq!(overall(&s), (Verdict::Fail, Some(Stage::SbcConnect)));
    let s = stages(&[(Stage::Dhcp, Status::Warn), (Stage::SbcTls, Status::Pass)]);
    assert_eq!(overall(&s), (Verdict::Warn, Some(Stage::Dhcp)));
    let s = stages(&[(Stage::Dhcp, Status::Pass), (Stage::Ntp, Status::NotSeen)]);
    assert_eq!(overall(&s), (Verdict::Pass, None));
}

fn at(stage: Stage, status: Status, frames: &[u64]) -> StageResult {
    let evidence = frames
        .iter()
        .map(|&frame| super::Evidence {
            frame,
            time: crate::time::Timestamp::new(0, 6),
            text: String::new(),
        })
        .collect();
    StageResult::new(stage, status, "").evidence(evidence)
}

#[test]
fn a_pass_before_the_failure_is_not_a_recovery() {
    // A good TLS session with the SBC, then its last connection is dropped.
    let mut dropped = at(Stage::SbcConnect, Status::Fail, &[60, 90, 95]);
    dropped.failing_since = Some(90);
    let s = [
        dropped.clone(),
        at(Stage::SbcTls, Status::Pass, &[62, 66]),
        at(Stage::SipRegister, Status::Pass, &[70, 74]),
    ];
    assert_eq!(overall(&s), (Verdict::Fail, Some(Stage::SbcConnect)));
    // Undated failures keep the older reading: any later pass recovers.
    dropped.failing_since = None;
    let s = [dropped, at(Stage::SbcTls, Status::Pass, &[62, 66])];
    assert_eq!(overall(&s), (Verdict::Warn, Some(Stage::SbcConnect)));
    // Dropped first, connected after it: recovered.
    let mut first = at(Stage::SbcConnect, Status::Fail, &[60, 64]);
    first.failing_since = Some(60);
    let s = [first, at(Stage::SbcTls, Status::Pass, &[66, 70])];
    assert_eq!(overall(&s), (Verdict::Warn, Some(Stage::SbcConnect)));
}
