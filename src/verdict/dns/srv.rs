//! The SRV stage's names: which SRV lookups of a phone count (RFC 3263
//! section 4), and the SBC names whose address lookups belong to the stage.

use std::collections::BTreeSet;

use super::answer::{Answer, Attempt};
use crate::fact::Body;
use crate::phone::names::srv_domain;
use crate::verdict::{ev, Ctx, Stage, StageResult, Status};

/// The SRV stage's lookups, as RFC 3263 section 4 has a SIP client make
/// them: the SRV names of one domain are tried per transport, and only a
/// domain none of whose SRV names answered, and whose address records the
/// phone then did not use, failed. Left out: the other transports' misses
/// of a domain that answered, the misses of a domain the phone then
/// resolved directly (4.2: no SRV, use the A record; that fallback is
/// returned as the stage when nothing else is left), search-list
/// expansions that missed (`<name>.<domain suffix>` of a name also asked),
/// and a name's miss when its expansion answered.
pub(super) fn srv_lookups<'a, 'b>(
    all: &'b [Attempt<'a>],
    srv: Vec<&'b Attempt<'a>>,
) -> (Vec<&'b Attempt<'a>>, Option<StageResult>) {
    let expansion = |a: &Attempt<'_>| {
        all.iter().any(|b| {
            a.name.len() > b.name.len() + 1
                && a.name.starts_with(&b.name)
                && a.name.as_bytes().get(b.name.len()) == Some(&b'.')
        })
    };
    let answered_names: Vec<&str> = srv
        .iter()
        .filter(|a| a.ok() && a.qtype == 33)
        .map(|a| a.name.as_str())
        .collect();
    let answered_domains: Vec<&str> = answered_names
        .iter()
        .filter_map(|n| srv_domain(n))
        .collect();
    // Another transport of this domain answered (a miss of this very name
    // before its own answer stays: a retry that recovered).
    let answered = |a: &Attempt<'_>, d: &str| {
        answered_domains.contains(&d) && !answered_names.contains(&a.name.as_str())
    };
    // The domain's own address, asked after the SRV miss and answered.
    let direct = |a: &Attempt<'_>, d: &str| {
        all.iter().find(|b| {
            b.name == d && matches!(b.qtype, 1 | 28) && b.ok() && b.query.frame > a.query.frame
        })
    };
    // "No SRV records found" (RFC 3263 4.2) is a name error or no data, not
    // a resolver refusing or failing.
    let no_records = |a: &Attempt<'_>| {
        matches!(&a.answer, Answer::NoData | Answer::NoService)
            || matches!(&a.answer, Answer::Error(rc) if rc == "NXDOMAIN")
    };
    let mut fallback = None;
    // The name with a search-list suffix answered: the bare name's miss
    // was the resolver's first try, not a failure.
    let expanded_ok = |a: &Attempt<'_>| {
        all.iter().any(|b| {
            b.ok()
                && b.qtype == a.qtype
                && b.name.len() > a.name.len() + 1
                && b.name.starts_with(&a.name)
                && b.name.as_bytes().get(a.name.len()) == Some(&b'.')
        })
    };
    let kept = srv
        .into_iter()
        .filter(|a| matches!(a.qtype, 1 | 28 | 33))
        // (An expansion whose answer the snaplen cut stays: can't tell.)
        .filter(|a| {
            a.ok() || matches!(a.answer, Answer::CutShort) || !expansion(a) && !expanded_ok(a)
        })
        .filter(|a| {
            let Some(d) = srv_domain(&a.name).filter(|_| !a.ok()) else {
                return true;
            };
            if answered(a, d) {
                return false;
            }
            match direct(a, d).filter(|_| no_records(a)) {
                Some(b) => {
                    let summary = format!(
                        "no SRV record for {d} ({}): the phone used its address record instead \
                         ({}; RFC 3263 4.2)",
                        a.text(),
                        b.text()
                    );
                    let evidence = vec![ev(a.query, a.text()), ev(b.query, b.text())];
                    fallback = Some(
                        StageResult::new(Stage::DnsSrv, Status::Pass, summary).evidence(evidence),
                    );
                    false
                }
                None => true,
            }
        })
        .collect();
    (kept, fallback)
}

/// SRV targets, and names of addresses the phone connected to on the SBC port.
pub(super) fn sbc_names(ctx: &Ctx<'_>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ctx.names.srv_targets.keys().cloned().collect();
    for f in ctx.own() {
        if let Body::Tcp { .. } = f.body {
            if f.dst.port() == ctx.sbc_port && ctx.is_phone(&f.src_ip()) {
                out.extend(ctx.names.names(&f.dst_ip()).map(str::to_string));
            }
        }
    }
    out
}
