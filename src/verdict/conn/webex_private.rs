//! Webex's SBC names (SRV targets under webex.com) that resolved to a
//! private address: Webex's SBCs have public addresses only, so such an
//! answer is a split-horizon DNS (an internal zone or override for
//! webex.com) giving its own address. A failed SBC connection there is told
//! so, as the activation name's is (see `hijack`).

use std::net::SocketAddr;

use crate::phone::names::is_webex_name;
use crate::verdict::{hijack, Ctx, StageResult, Status};

/// `r`, the failed `sbc-connect` stage, with advice naming the split
/// horizon when every failed address (`failed`) is a Webex name's private
/// address.
pub(super) fn advise(ctx: &Ctx<'_>, r: StageResult, failed: &[SocketAddr]) -> StageResult {
    if r.status != Status::Fail || failed.is_empty() {
        return r;
    }
    let nets = hijack::Subnets::of(ctx);
    let mut named: Vec<String> = Vec::new();
    let mut why = None;
    for a in failed {
        let (Some(w), Some(name)) = (
            nets.why(a.ip()),
            ctx.names.names(&a.ip()).find(|n| is_webex_name(n)),
        ) else {
            return r;
        };
        let each = format!("{name} {}", a.ip());
        if !named.contains(&each) {
            named.push(each);
        }
        why.get_or_insert(w);
    }
    let what = match (named.len(), why) {
        (1, Some(why)) => format!("{}, {why}", named.join(", ")),
        _ => format!("{}: private addresses", named.join(", ")),
    };
    let advice = format!(
        "the phones' DNS server gives Webex's SBC names internal addresses ({what}): Webex \
         Calling's SBCs have public addresses only, so a split-horizon DNS (an internal zone or \
         override for webex.com) answers for them; let the phones' resolver ask the public DNS \
         for webex.com names"
    );
    StageResult {
        advice: Some(advice),
        ..r
    }
}
