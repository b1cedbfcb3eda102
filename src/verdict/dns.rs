//! Stages `dns-activation`, `dns-provisioning` and `dns-srv`: the phone's
//! queries, each matched to its response (same id, reversed endpoints), an
//! ICMP unreachable quoting it, or silence. The last decisive attempt judges
//! the stage; earlier failures make a success a `warn`. Malformed responses
//! beside a good one are evidence on a `warn`; only malformed ones fail the
//! stage (the phone got no address it could use). An answer the phone
//! refused at once with ICMP port unreachable came after it had given up
//! (a slow resolver): a failure, not an answer. A server silent for one name
//! that answered others is told to test that name, and a phone that went on
//! without an answer while the server's other answers are in the capture
//! used an address it had kept (a warning when that address answers). An
//! SRV query with no records, or never answered, whose domain's address
//! record the phone then used, is the RFC 3263 4.2 fallback. A query sent
//! to two servers at once that one of them answered makes the silent one an
//! earlier failure (a warning naming it); an answer long after a query that
//! was sent again since is the later copy's; over TCP, a server closing the
//! connection unanswered is no answer, and an answer the phone acknowledged
//! but the capture lacks is can't tell. A dual-stack phone that connected
//! to the address an AAAA answer gave, for a name with no A answer, lives by
//! AAAA for that name. A BADCOOKIE answered query asked again at once (RFC
//! 7873) is no failure; queries of the other family than the phone's that
//! one server never answered, sent again after a timeout while it answered
//! the phone's own family, warn (the phone waited on them). A REFUSED from
//! a server that answered the phone's other names is a policy on that name.
//! The rule of one stage is in `dns/judge.rs`, the search-list names of all
//! three stages in `dns/search.rs`, its failed SRV targets in
//! `dns/targets.rs`, which of several failed names leads in
//! `dns/several.rs`, the dropped queries of one family in `dns/dropped.rs`.

mod absent;
mod advice;
mod answer;
mod dropped;
mod judge;
mod matching;
mod origin;
mod search;
mod several;
mod srv;
mod targets;

use super::{hijack, Ctx, Stage, StageResult, Status};
use crate::fact::{Body, Fact};
use crate::phone::names::srv_domain;
use crate::phone::names::{is_activation_lookup, is_activation_name, is_provisioning_lookup};
use crate::phone::names::{is_provisioning_name, is_sip_srv_name, is_webex_name};
use answer::{Answer, Attempt};
use judge::stage;
use matching::attempts;
use srv::{sbc_names, sip_to, srv_lookups};

/// The address record a phone lives by: A, or AAAA for a phone seen only
/// with IPv6 addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    V4,
    V6Only,
}

impl Family {
    fn of(ctx: &Ctx<'_>) -> Family {
        let ips = &ctx.phone.ips;
        match !ips.is_empty() && ips.iter().all(|ip| ip.is_ipv6()) {
            true => Family::V6Only,
            false => Family::V4,
        }
    }

    /// The qtype of the phone's addresses.
    fn qtype(self) -> u16 {
        match self {
            Family::V4 => 1,
            Family::V6Only => 28,
        }
    }

    /// The qtype of the other family.
    fn other(self) -> u16 {
        match self {
            Family::V4 => 28,
            Family::V6Only => 1,
        }
    }
}

/// The three DNS stages of a phone.
pub struct DnsStages {
    pub activation: StageResult,
    pub provisioning: StageResult,
    pub srv: StageResult,
}

pub fn judge_all(ctx: &Ctx<'_>) -> DnsStages {
    let attempts = attempts(ctx);
    let sbc_names = sbc_names(ctx);
    let of = |pred: &dyn Fn(&str) -> bool| -> Vec<&Attempt<'_>> {
        attempts.iter().filter(|a| pred(&a.name)).collect()
    };
    // (With search-list expansions: their misses are the stub trying its
    // next form; an answer to one is what the phone used.)
    let search = search::SearchList::of(ctx, &attempts, &sbc_names);
    let act = search.left_out(of(&|n| is_activation_lookup(n)));
    let prov = search.left_out(of(&|n| is_provisioning_lookup(n)));
    let srv_name = |n: &str| {
        is_sip_srv_name(n)
            || sbc_names.contains(n)
            || search
                .real_of(n)
                .is_some_and(|(real, _)| sbc_names.contains(real))
    };
    let srv = search.left_out(of(&srv_name));
    // An address answer the phone then sent something to: the last frame
    // it sent to each address, from one pass made only when an SRV fallback
    // asks (SRV queries may be many; most phones need none).
    let last_sent: std::cell::OnceCell<std::collections::HashMap<std::net::IpAddr, u64>> =
        std::cell::OnceCell::new();
    let used = |b: &Attempt<'_>| {
        let Answer::Records(records) = &b.answer else {
            return false;
        };
        let last_sent = last_sent.get_or_init(|| {
            (ctx.own().filter(|f| ctx.is_phone(&f.src_ip())))
                .map(|f| (f.dst_ip(), f.frame))
                .collect()
        });
        (records.iter())
            .filter_map(|r| r.parse::<std::net::IpAddr>().ok())
            .any(|ip| last_sent.get(&ip).is_some_and(|last| *last > b.query.frame))
    };
    let (srv, fallback) = srv_lookups(&attempts, srv, &used);
    let family = Family::of(ctx);
    // Whether the capture may hold the phone's DHCP (frames the snaplen cut
    // may be DHCP unread) and its option 6: the advice names option 6 only
    // for a server it gave.
    let dhcp = origin::Lease::of(ctx);
    let act_stage = by_family(ctx, &act, family, &used, &|family| {
        let what = "activate.cisco.com";
        stage(Stage::DnsActivation, &act, what, family, &attempts, dhcp)
    });
    let prov_stage = by_family(ctx, &prov, family, &used, &|family| {
        let what = "cisco.sipflash.com";
        stage(Stage::DnsProvisioning, &prov, what, family, &attempts, dhcp)
    });
    // With frames cut by the snaplen, a ClientHello may have lost its name:
    // any HTTPS connection then may be the one the answer allowed.
    let https =
        |f: &Fact| ctx.snaplen_cut && matches!(f.body, Body::Tcp { .. }) && f.dst.port() == 443;
    let act_stage = answered_unseen(ctx, act_stage, &act, &attempts, &|f| {
        hello_to(f, is_activation_name) || https(f)
    });
    let prov_stage = answered_unseen(ctx, prov_stage, &prov, &attempts, &|f| {
        hello_to(f, is_provisioning_name) || https(f)
    });
    let act_stage = search::expansion_used(act_stage, &act, &search, false);
    let prov_stage = search::expansion_used(prov_stage, &prov, &search, false);
    let act_stage = search.never_asked(act_stage, &act);
    let prov_stage = search.never_asked(prov_stage, &prov);
    let mut stages = DnsStages {
        activation: not_cisco(ctx, act_stage, &act),
        provisioning: not_cisco(ctx, prov_stage, &prov),
        srv: match (srv.is_empty(), fallback) {
            (true, Some(used)) => used,
            _ => {
                let what = "the outbound proxy's SRV";
                let result = by_family(ctx, &srv, family, &used, &|family| {
                    stage(Stage::DnsSrv, &srv, what, family, &attempts, dhcp)
                });
                // Connected to the SBC port, or sent SIP for an SRV domain.
                let domains: Vec<&str> = srv.iter().filter_map(|a| srv_domain(&a.name)).collect();
                let sbc = |f: &Fact| {
                    matches!(f.body, Body::Tcp { .. }) && f.dst.port() == ctx.sbc_port
                        || domains.iter().any(|d| sip_to(ctx, f, d))
                };
                let result = answered_unseen(ctx, result, &srv, &attempts, &sbc);
                let result = search::expansion_used(result, &srv, &search, true);
                not_webex(ctx, search.never_asked(result, &srv), &srv)
            }
        },
    };
    // An option-6 server absent from the link: said once, on the first
    // stage that passed (the lookups went to the next server after it).
    let first_passed = [
        &mut stages.activation,
        &mut stages.provisioning,
        &mut stages.srv,
    ]
    .into_iter()
    .find(|s| s.status == Status::Pass);
    if let Some(stage) = first_passed {
        absent::server_absent(ctx, stage);
    }
    stages
}

/// A stage judged by `judge` for the phone's address family, or, for a
/// phone with addresses of both families that has no A answer for a name
/// and connected to an address an AAAA answer for it gave (`used`), judged
/// as an IPv6 phone's when that passes where the first failed or warned
/// (a can't tell stays): it lives
/// by AAAA for that name (a name with no A record is no failure then), and
/// the pass says so.
fn by_family(
    ctx: &Ctx<'_>,
    attempts: &[&Attempt<'_>],
    family: Family,
    used: &dyn Fn(&Attempt<'_>) -> bool,
    judge: &dyn Fn(Family) -> StageResult,
) -> StageResult {
    let result = judge(family);
    let dual = family == Family::V4 && ctx.phone.ips.iter().any(|ip| ip.is_ipv6());
    if !matches!(result.status, Status::Fail | Status::Warn) || !dual {
        return result;
    }
    let has_a = |name: &str| {
        (attempts.iter()).any(|o| o.qtype == 1 && o.ok() && o.name.eq_ignore_ascii_case(name))
    };
    let v6 =
        (attempts.iter().rev()).find(|a| a.qtype == 28 && a.ok() && !has_a(&a.name) && used(a));
    let Some(v6) = v6 else {
        return result;
    };
    let as_v6 = judge(Family::V6Only);
    if as_v6.status != Status::Pass {
        return result;
    }
    let summary = format!(
        "{} ({} has no A record; the phone used its AAAA answer, over IPv6)",
        as_v6.summary, v6.name
    );
    StageResult { summary, ..as_v6 }
}

/// A TLS ClientHello naming a host `name` accepts.
fn hello_to(f: &Fact, name: fn(&str) -> bool) -> bool {
    matches!(&f.body, Body::Tls {
        from_client: true,
        event: crate::proto::tls::TlsEvent::ClientHello { sni: Some(sni), .. },
        ..
    } if name(sni))
}

/// A stage whose queries got no answer in the capture, after which the phone
/// did what only an answer allows (`used`: connected to the name): the
/// answer went by a path the capture does not see (asymmetric routing, a tap
/// on one direction). Not a failure: `not_seen`, saying why. Unless the
/// capture holds the same server's answers to other queries: then the phone
/// used an address it had kept, which gets it past the stage for now if
/// that address answers: a warning, saying so (a failure when it is dead).
fn answered_unseen(
    ctx: &Ctx<'_>,
    result: StageResult,
    attempts: &[&Attempt<'_>],
    all: &[Attempt<'_>],
    used: &dyn Fn(&Fact) -> bool,
) -> StageResult {
    let unanswered = |a: &&Attempt<'_>| matches!(a.answer, Answer::NoResponse | Answer::Pending);
    if result.status == Status::Pass || attempts.is_empty() || !attempts.iter().all(unanswered) {
        return result;
    }
    let last = attempts.iter().map(|a| a.query.frame).max().unwrap_or(0);
    let Some(f) = ctx
        .own()
        .find(|f| f.frame > last && ctx.is_phone(&f.src_ip()) && used(f))
    else {
        return result;
    };
    // The same server's answers to the phone's other queries are in the
    // capture: its answers to these would be too. The phone went on with an
    // address it had kept from before (a cache), and will not find it again.
    let servers: Vec<String> = attempts.iter().map(|a| a.server()).collect();
    let seen = all.iter().any(|a| {
        servers.contains(&a.server())
            && a.answer_fact
                .is_some_and(|r| matches!(&r.body, Body::Dns(m) if m.response))
    });
    if seen {
        // When the kept address works, the phone got past the stage for
        // now: a warning, so that a later failure is the root cause; the
        // advice stays. A dead kept address leaves the failure standing.
        let answered = ctx
            .own()
            .any(|g| g.frame > f.frame && g.src_ip() == f.dst_ip() && ctx.is_phone(&g.dst_ip()));
        let established = matches!(
            &f.body,
            Body::Tcp { attempt, .. } if attempt.result == crate::fact::TcpResult::Established
        );
        let worked = answered || established;
        let (went, status) = match (worked, result.status) {
            (true, Status::Fail) => ("connected to", Status::Warn),
            (true, other) => ("connected to", other),
            (false, other) => ("tried", other),
        };
        let summary = format!(
            "{}; the phone then {went} {} (#{}) all the same: an address it had kept from \
             before",
            result.summary, f.dst, f.frame
        );
        return StageResult {
            summary,
            status,
            ..result
        };
    }
    let summary = format!(
        "no answer in the capture, yet the phone then connected to {} (#{}): the answer came \
         by a path the capture does not see",
        f.dst, f.frame
    );
    StageResult::new(result.stage, Status::NotSeen, summary).evidence(result.evidence)
}

/// A Cisco name that resolved to an address that cannot be Cisco's (see
/// [`hijack`]): the summary says so.
fn not_cisco(ctx: &Ctx<'_>, result: StageResult, attempts: &[&Attempt<'_>]) -> StageResult {
    if result.status != Status::Pass {
        return result;
    }
    let nets = hijack::Subnets::of(ctx);
    let found = attempts.iter().rev().find_map(|a| match &a.answer {
        Answer::Records(records) => records
            .iter()
            .filter_map(|r| r.parse::<std::net::IpAddr>().ok())
            .find_map(|ip| nets.why(ip).map(|why| (ip, why))),
        _ => None,
    });
    let Some((ip, why)) = found else {
        return result;
    };
    // Said, not judged: a lab may serve its own activate.cisco.com there;
    // the connection stage judges what answered.
    let summary = format!("{} ({ip} is {why}, not Cisco's)", result.summary);
    StageResult { summary, ..result }
}

/// Webex's SBC names (SRV targets under webex.com) resolved to an address
/// that cannot be Webex's (a split horizon's internal one): the summary of
/// a passed stage says so, as [`not_cisco`] does; the connection stage
/// judges what answered there.
fn not_webex(ctx: &Ctx<'_>, result: StageResult, attempts: &[&Attempt<'_>]) -> StageResult {
    if result.status != Status::Pass {
        return result;
    }
    let nets = hijack::Subnets::of(ctx);
    let found = (attempts.iter())
        .filter(|a| matches!(a.qtype, 1 | 28) && is_webex_name(&a.name))
        .find_map(|a| match &a.answer {
            Answer::Records(records) => records
                .iter()
                .filter_map(|r| r.parse::<std::net::IpAddr>().ok())
                .find_map(|ip| nets.why(ip).map(|why| (&a.name, ip, why))),
            _ => None,
        });
    let Some((name, ip, why)) = found else {
        return result;
    };
    let said = match result.summary.contains(&ip.to_string()) {
        true => format!("{ip} is {why}"),
        false => format!("{name} is {ip}, {why}"),
    };
    let summary = format!("{} ({said}, not Webex's)", result.summary);
    StageResult { summary, ..result }
}

#[cfg(test)]
mod tests;
