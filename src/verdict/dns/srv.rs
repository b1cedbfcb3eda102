//! The SRV stage's names: which SRV lookups of a phone count (RFC 3263
//! section 4), and the SBC names whose address lookups belong to the stage.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::answer::{Answer, Attempt};
use super::search::shorter_forms;
use crate::fact::{Body, Fact};
use crate::phone::names::srv_domain;
use crate::proto::sip::StartLine;
use crate::verdict::{ev, Ctx, Stage, StageResult, Status};

/// The SRV stage's lookups, as RFC 3263 section 4 has a SIP client make
/// them: the SRV names of one domain are tried per transport, and only a
/// domain none of whose SRV names answered, and whose address records the
/// phone then did not use, failed. Left out: the other transports' misses
/// of a domain that answered, the misses of a domain the phone then
/// resolved directly (4.2: no SRV, use the A record; that fallback is
/// returned as the stage when nothing else is left), and a name's miss when
/// its search-list expansion answered (the expansions' own misses are left
/// out before, in `search.rs`).
/// SRV queries of a domain that were never answered, whose domain's address
/// record the phone got and then used (`used`), are such a fallback too (a
/// warning).
pub(super) fn srv_lookups<'a, 'b>(
    all: &'b [Attempt<'a>],
    srv: Vec<&'b Attempt<'a>>,
    used: &dyn Fn(&Attempt<'_>) -> bool,
) -> (Vec<&'b Attempt<'a>>, Option<StageResult>) {
    // Indexes, not scans: a phone may ask the same SRV name 100k times.
    let answered_names: HashSet<&str> = srv
        .iter()
        .filter(|a| a.ok() && a.qtype == 33)
        .map(|a| a.name.as_str())
        .collect();
    let answered_domains: HashSet<&str> = answered_names
        .iter()
        .filter_map(|n| srv_domain(n))
        .collect();
    // Another transport of this domain answered (a miss of this very name
    // before its own answer stays: a retry that recovered).
    let answered = |a: &Attempt<'_>, d: &str| {
        answered_domains.contains(&d) && !answered_names.contains(&a.name.as_str())
    };
    // The domain's own address, answered: after a miss (no SRV records),
    // or at any time around SRV queries that never got an answer (a phone
    // that gave up on SRV and keeps asking it now and then).
    let mut addresses: HashMap<&str, Vec<&'b Attempt<'a>>> = HashMap::new();
    for b in all.iter().filter(|b| matches!(b.qtype, 1 | 28) && b.ok()) {
        addresses.entry(b.name.as_str()).or_default().push(b);
    }
    let direct = |a: &Attempt<'_>, d: &str| {
        let after = |b: &Attempt<'_>| b.query.frame > a.query.frame || unanswered(a);
        addresses.get(d)?.iter().find(|b| after(b)).copied()
    };
    // "No SRV records found" (RFC 3263 4.2) is a name error or no data, not
    // a resolver refusing or failing.
    let no_records = |a: &Attempt<'_>| {
        matches!(&a.answer, Answer::NoData | Answer::NoService)
            || matches!(&a.answer, Answer::Error(rc) if rc == "NXDOMAIN")
    };
    let mut fallback = None;
    // The name with a search-list suffix answered: the bare name's miss
    // was the resolver's first try, not a failure (nor one when the
    // snaplen cut that answer: can't tell).
    let mut ok_shorter: HashSet<(u16, &str)> = HashSet::new();
    for b in (all.iter()).filter(|b| b.ok() || matches!(b.answer, Answer::CutShort)) {
        ok_shorter.extend(shorter_forms(&b.name).map(|n| (b.qtype, n)));
    }
    let expanded_ok = |a: &Attempt<'_>| ok_shorter.contains(&(a.qtype, a.name.as_str()));
    let mut fell_back: Vec<&str> = Vec::new();
    let kept: Vec<&'b Attempt<'a>> = srv
        .into_iter()
        .filter(|a| matches!(a.qtype, 1 | 28 | 33))
        // (An expansion whose answer the snaplen cut stays: can't tell.)
        .filter(|a| a.ok() || matches!(a.answer, Answer::CutShort) || !expanded_ok(a))
        .filter(|a| {
            let Some(d) = srv_domain(&a.name).filter(|_| !a.ok()) else {
                return true;
            };
            if answered(a, d) {
                return false;
            }
            // (Unanswered, but answered another time: a re-query, judged so.)
            let never = unanswered(a) && !answered_domains.contains(&d);
            match direct(a, d).filter(|b| no_records(a) || never && used(b)) {
                Some(b) => {
                    fallback = Some(address_fallback(a, b, d));
                    fell_back.push(d);
                    false
                }
                None => true,
            }
        })
        .collect();
    // The same question once more at the capture's end is no news.
    let mut kept = kept;
    kept.retain(|a| {
        let again = srv_domain(&a.name).is_some_and(|d| fell_back.contains(&d));
        !(again && matches!(a.answer, Answer::Pending))
    });
    (kept, fallback)
}

/// An SRV query with no answer at all (not one cut by the snaplen).
fn unanswered(a: &Attempt<'_>) -> bool {
    matches!(a.answer, Answer::NoResponse) && a.answer_fact.is_none()
}

/// The stage when the phone used the domain `d`'s address record `b` after
/// the SRV lookup `a` failed: a pass when the domain has no SRV records
/// (RFC 3263 4.2), a warning when the SRV query went unanswered.
fn address_fallback(a: &Attempt<'_>, b: &Attempt<'_>, d: &str) -> StageResult {
    // The frames that prove it: the answers, or the queries left unanswered.
    let evidence = vec![
        ev(a.answer_fact.unwrap_or(a.query), a.text()),
        ev(b.answer_fact.unwrap_or(b.query), b.text()),
    ];
    if unanswered(a) {
        let summary = format!(
            "{}: the phone used the address record of {d} instead ({})",
            a.text(),
            b.text()
        );
        return StageResult::new(Stage::DnsSrv, Status::Warn, summary)
            .advice(format!(
                "DNS server {} never answers the SRV query for {}: the phone went on with the \
                 address record of {d}, without the SRV's ports and failover; make the server \
                 answer SRV queries (a record, or NXDOMAIN at once)",
                a.server(),
                a.name
            ))
            .evidence(evidence);
    }
    let summary = format!(
        "no SRV record for {d} ({}): the phone used its address record instead ({}; RFC 3263 \
         4.2)",
        a.text(),
        b.text()
    );
    StageResult::new(Stage::DnsSrv, Status::Pass, summary).evidence(evidence)
}

/// A SIP request of the phone whose Request-URI names the domain `d` (a
/// REGISTER's `sip:d`, an INVITE's `sip:user@d`).
pub(super) fn sip_to(ctx: &Ctx<'_>, f: &Fact, d: &str) -> bool {
    match &f.body {
        Body::Sip(m) if ctx.is_phone(&f.src_ip()) => match &m.start {
            StartLine::Request { uri, .. } => {
                uri_host(uri).is_some_and(|h| h.eq_ignore_ascii_case(d))
            }
            StartLine::Response { .. } => false,
        },
        _ => false,
    }
}

/// The host of a SIP URI: `sip:user@host:port;params` gives `host`.
fn uri_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once(':')?.1;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    rest.split([':', ';', '?', '>'])
        .next()
        .filter(|h| !h.is_empty())
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
