//! Activation that completes again and again and leads nowhere: the phone
//! finished the TLS handshake with activate.cisco.com, asked again on its
//! resync timer, and never went on to cisco.sipflash.com. On a 200 the
//! activation service hands the phone its profile rule (DOMAIN step 5), so
//! a phone that keeps coming back did not get one: usually its MAC is not
//! added in Control Hub. The answer itself is encrypted; the repeat is what
//! the capture shows.

use super::connection::{Conn, Kind};
use crate::fact::{Body, Fact};
use crate::phone::names::{is_provisioning_name, is_sip_srv_name};
use crate::verdict::{Ctx, Stage, StageResult, Status};

/// Seconds between the first and the last completed session that make a
/// retry on the phone's resync timer (about 60 s in the reference), not two
/// connections opened together.
const RETRY_SECS: f64 = 20.0;

/// Seconds of capture after the last session in which the phone would have
/// gone on to provisioning (it does so at once after a good activation).
const GOES_ON_SECS: f64 = 5.0;

/// The failed stage, when a host that shows itself as a phone completed the
/// activation handshake at least twice, [`RETRY_SECS`] apart, and after the
/// first neither asked for the provisioning name nor connected anywhere
/// later in the boot chain.
pub(super) fn activation_repeated<'a>(
    ctx: &Ctx<'a>,
    conns: &[(Kind, Conn<'a>)],
) -> Option<StageResult> {
    // Only a host that shows itself as a phone (a model or a SEP name): a
    // laptop opening the activation page twice is not stuck.
    let sep = |h: &str| h.to_ascii_uppercase().starts_with("SEP");
    if ctx.phone.model.is_none() && !ctx.phone.hostname.as_deref().is_some_and(sep) {
        return None;
    }
    let done: Vec<&Conn<'a>> = conns
        .iter()
        .filter(|(k, c)| *k == Kind::Activation && c.finished.is_some() && c.alerts.is_empty())
        .map(|(_, c)| c)
        .collect();
    let start = |c: &Conn<'a>| c.hello.unwrap_or(c.first);
    let (first, last) = (start(done.first()?), start(done.last()?));
    // Going on after the first good activation: provisioning, the SBC, a
    // query for the provisioning or an SRV name, or SIP.
    let later = |k: &Kind, c: &Conn<'a>| {
        matches!(k, Kind::Provisioning | Kind::Sbc) && c.first.frame > first.frame
    };
    let went_on = conns.iter().any(|(k, c)| later(k, c))
        || ctx
            .own()
            .any(|f| f.frame > first.frame && later_step(ctx, f));
    if went_on {
        return None;
    }
    let apart = first.ts.secs_until(&last.ts);
    if done.len() < 2 || apart < RETRY_SECS || ctx.secs_left(&last.ts) < GOES_ON_SECS {
        return None;
    }
    let summary = format!(
        "the handshake with activate.cisco.com completed {} times over {apart:.0} s (#{} to \
         #{}) and the phone never went on to cisco.sipflash.com: the activation service gave \
         it no profile",
        done.len(),
        first.frame,
        last.frame
    );
    let advice = "the activation service does not know this phone: in Control Hub, add the \
                  phone by its MAC address (check the MAC and the model) to a user or \
                  workspace, then factory-reset the phone so that it activates again";
    let mut result = StageResult::new(Stage::Activation, Status::Fail, summary).advice(advice);
    // What passed before the first of them did not get past it.
    result.failing_since = Some(first.frame);
    Some(result)
}

/// A fact of the phone from a later step of the boot chain: a query for
/// the provisioning name or an SRV name, HTTP to the provisioning server,
/// or SIP.
fn later_step(ctx: &Ctx<'_>, f: &Fact) -> bool {
    match &f.body {
        Body::Dns(m) if !m.response && ctx.is_phone(&f.src_ip()) => m
            .questions
            .iter()
            .any(|q| is_provisioning_name(&q.name) || is_sip_srv_name(&q.name)),
        Body::Sip(_) => true,
        // Provisioning over plain HTTP (an address the phone kept).
        Body::Http(_) => super::clear_http::asks_provisioning(ctx, f),
        _ => false,
    }
}
