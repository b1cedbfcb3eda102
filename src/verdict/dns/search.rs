//! Search-list expansions of the activation and provisioning names: a stub
//! resolver whose `ndots` exceeds the dots of `activate.cisco.com` asks it
//! with its search domain appended first (`activate.cisco.com.corp.example`,
//! the domain from DHCP option 15 or 119). A miss there (NXDOMAIN, no data)
//! is the stub going on to its next form, no failure; an answer there (a
//! wildcard record in the search domain) is the address the phone used,
//! and it is not the service's.

use super::answer::{Answer, Attempt};
use crate::phone::names::searched_for;
use crate::verdict::{ev, StageResult, Status};

/// The stage's lookups without the expansions that found no such name, nor
/// those that failed otherwise once the bare name was asked too (the stub
/// went on to it: its outcome is the phone's).
pub(super) fn misses_left_out<'b, 'a>(attempts: Vec<&'b Attempt<'a>>) -> Vec<&'b Attempt<'a>> {
    let missed = |a: &Attempt<'_>| {
        matches!(&a.answer, Answer::NoData)
            || matches!(&a.answer, Answer::Error(rc) if rc == "NXDOMAIN")
    };
    let expanded = |a: &Attempt<'_>| {
        let bare = |n: &str| {
            crate::phone::names::is_activation_name(n)
                || crate::phone::names::is_provisioning_name(n)
        };
        !bare(&a.name)
    };
    let bare_asked = attempts.iter().any(|a| !expanded(a));
    attempts
        .into_iter()
        .filter(|a| !(expanded(a) && (missed(a) || bare_asked && !a.ok())))
        .collect()
}

/// The stage's last answered lookup was an expansion: the phone took an
/// address the search domain gave for `name.<suffix>`, not the service's.
pub(super) fn expansion_used(
    result: StageResult,
    attempts: &[&Attempt<'_>],
    bare: fn(&str) -> bool,
) -> StageResult {
    let Some(last) = attempts.iter().rev().find(|a| a.ok()) else {
        return result;
    };
    let Some(name) = searched_for(&last.name, bare).filter(|_| !bare(&last.name)) else {
        return result;
    };
    let Answer::Records(records) = &last.answer else {
        return result;
    };
    let suffix = last
        .name
        .get(name.len() + 1..)
        .unwrap_or_default()
        .trim_end_matches('.');
    let summary = format!(
        "{name} was asked as {} (the search list appended {suffix}) and that name answered {} \
         (#{}): not {name}'s address",
        last.name,
        records.join(", "),
        last.answer_fact.map_or(last.query.frame, |f| f.frame)
    );
    // The bare name failed before (a stub trying it first, ndots low): its
    // failure is the first fault, the wildcard only hid it.
    let bare_failed = attempts
        .iter()
        .rfind(|a| a.query.frame < last.query.frame && bare(&a.name))
        .filter(|a| !a.ok());
    let advice = match bare_failed {
        Some(a) => format!(
            "{name} itself got no address (#{}), and a record in {suffix} (a wildcard, \
             *.{suffix}) answered the search list's {name}.{suffix}: make the DNS server the \
             phones use (DHCP option 6) resolve {name}, and remove the wildcard",
            a.answer_fact.map_or(a.query.frame, |f| f.frame)
        ),
        None => format!(
            "a record in {suffix} (a wildcard, *.{suffix}) answers for {name}.{suffix}, which \
             the phone asks with its search domain before {name} itself: remove the wildcard, \
             or the search domain from the voice scope (DHCP option 15 or 119)"
        ),
    };
    let mut out = StageResult::new(result.stage, Status::Fail, summary).advice(advice);
    out.evidence = result.evidence;
    if let Some(f) = last.answer_fact {
        out.evidence.push(ev(
            f,
            format!("{} answered for {}", records.join(", "), last.name),
        ));
    }
    out
}
