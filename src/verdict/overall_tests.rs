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
