//! A digest challenge (401/407) the phone never answered while the capture
//! went on: a failed registration, not a capture that ended too soon.
//!
//! A phone answers a challenge within milliseconds, and over UDP re-sends
//! an answer the path lost from 0.5 s on (RFC 3261 timer E: 0.5, 1, 2 s),
//! so [`UNFOLLOWED_SECS`] (5 s) of capture after the challenge with no
//! authenticated REGISTER, nor a re-send of the challenged one, is the
//! phone giving up on it. A capture that ends sooner keeps the stage
//! `not_seen`: the answer may just not be in it. A capture without
//! timestamps never waits long enough.
//!
//! The advice follows the challenge: a digest algorithm other than MD5
//! (SHA-256, SHA-512-256: RFC 7616, RFC 8760) is one the phone may not
//! know; an MD5 challenge left unanswered means the line has no
//! credentials for that realm, or the phone refused the challenge.

use super::challenge::unanswerable_algorithms;
use super::transaction::Transaction;
use crate::fact::{Body, Fact};
use crate::verdict::{Ctx, Stage, StageResult, Status};

/// Seconds a phone has to answer a challenge before the capture's going on
/// without it counts (a phone answers a 401 at once).
pub(super) const UNFOLLOWED_SECS: f64 = 5.0;

/// The challenge (`last`'s first 401/407) when the capture goes on at least
/// [`UNFOLLOWED_SECS`] after it.
pub(super) fn waited_on<'a>(ctx: &Ctx<'_>, last: &Transaction<'a>) -> Option<&'a Fact> {
    let (challenge, _, _) = last.finals.first()?;
    (ctx.secs_left(&challenge.ts) >= UNFOLLOWED_SECS).then_some(*challenge)
}

/// `last`, challenged at `challenge` (`code`, stale or not) and never
/// answered by the phone in the capture's [`UNFOLLOWED_SECS`] or more
/// after it: a failure that names the challenge and its algorithm.
pub(super) fn unfollowed(
    ctx: &Ctx<'_>,
    last: &Transaction<'_>,
    challenge: &Fact,
    code: u16,
) -> StageResult {
    let waited = ctx.secs_left(&challenge.ts);
    let realm = match &challenge.body {
        Body::Sip(m) => (m.www_authenticate.as_ref())
            .and_then(|a| a.get("realm"))
            .map(|r| format!(" for realm {r}")),
        _ => None,
    };
    let realm = realm.unwrap_or_default();
    let stale = if last.stale() { " with stale=true" } else { "" };
    // The phone went on with other traffic: it was alive, not cut off.
    let next = ctx
        .own()
        .find(|f| f.frame > challenge.frame && ctx.is_phone(&f.src_ip()));
    let went_on = next.map_or(String::new(), |f| {
        format!(
            "; the phone went on without it (#{}, {})",
            f.frame,
            f.proto()
        )
    });
    let mut summary = format!(
        "the REGISTER at #{} was challenged ({code}{stale}{realm}, #{}) and the phone never \
         answered it: no authenticated REGISTER in the {waited:.0} s the capture goes on{went_on}",
        last.request.frame, challenge.frame
    );
    let algorithms = match &challenge.body {
        Body::Sip(m) => unanswerable_algorithms(m),
        _ => None,
    };
    let advice = match algorithms {
        Some(algorithms) => {
            summary.push_str(&format!("; the challenge offers only {algorithms}"));
            format!(
                "the registrar's challenge uses the {algorithms} digest algorithm \
                 (RFC 7616/8760), which the phone may not support: have the registrar offer an \
                 MD5 challenge too, or bring the phone to a firmware that answers {algorithms}"
            )
        }
        None => "the phone did not answer the registrar's digest challenge: the line has no \
                 Auth ID and password for that realm (or the phone refused the challenge); set \
                 the line's credentials from Control Hub, resync the phone and read its log"
            .to_string(),
    };
    StageResult::new(Stage::SipRegister, Status::Fail, summary).advice(advice)
}
