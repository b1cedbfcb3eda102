//! Stages `activation`, `provisioning`, `sbc-connect` and `sbc-tls`: the
//! phone's TCP connections, their outcome (SYN-ACK, RST, ICMP, silence) and
//! the TLS handshake on them (ClientHello, ServerHello, certificate chain,
//! plaintext alerts with their sender, TLS 1.3 encrypted alerts where their
//! place tells, a phone abandoning the handshake (`conn/abandon.rs`), a
//! server's first flight cut after its ServerHello (`conn/flight.rs`),
//! completion). Certificate advice is in `cert.rs`, a server's refusal in
//! `refusal.rs`; ICMP unreachable and time exceeded (a routing loop) answer
//! an attempt.
//!
//! A connection is attributed by SNI, else by the name its server address
//! resolved from, else (SBC) by its port or an SRV target address
//! (`conn/connection.rs`). The TCP outcome is in `conn/tcp.rs`, the TLS
//! handshake's in `conn/handshake.rs`. An activation completed again and
//! again that never leads to provisioning fails (`conn/repeated.rs`).
//! Provisioning over plain HTTP is judged by its response
//! (`conn/clear_http.rs`). A connection to another host after activation
//! or provisioning (a redirect, a profile rule naming a partner's server)
//! is judged with the stage that sent the phone there (`conn/follow.rs`).
//! A later connection whose bytes the capture lacks
//! (both sides acknowledged them) makes an earlier failure can't tell: the
//! last attempt decides. SIP in clear to the SBC port warns `sbc-tls`.

mod abandon;
pub(super) mod clear_http;
mod connection;
mod cut;
mod download;
mod elsewhere;
mod flight;
mod follow;
mod handshake;
mod live;
mod local_tls;
mod lost;
mod no_request;
pub(crate) mod pmtu;
mod repeated;
mod stall;
mod tcp;
mod too_big;
mod webex_private;

use std::net::SocketAddr;

use super::{cert, hijack, ntp, proxy, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::TcpResult;
use connection::{conns, host_kind, Conn, Kind};
use handshake::tls_outcome;
pub(crate) use local_tls::{judge as judge_local_tls, Judged as LocalTls};
use tcp::{connected, tcp_outcome};
pub(crate) use tcp::{icmp_advice, Icmp};

/// Status, summary and advice of a connection's stage, as each of its
/// judgements (abandon, download, flight, no_request, pmtu, stall) gives them.
type Judged = (Status, String, Option<String>);

/// Result of one connection for a stage.
#[derive(Clone)]
struct Outcome {
    status: Status,
    summary: String,
    advice: Option<String>,
    evidence: Vec<Evidence>,
    /// Not seen because the capture lacks the connection's bytes (its
    /// snaplen cut them, or it lost them): an attempt whose outcome is
    /// hidden, not one that never was.
    hidden: bool,
    /// The SYNs were answered from another socket (`TcpAttempt::astray`):
    /// its advice says what rewrites or resets, for a failover too.
    astray: bool,
}

/// The four connection stages of a phone.
pub struct ConnStages {
    pub activation: StageResult,
    pub provisioning: StageResult,
    pub sbc_connect: StageResult,
    pub sbc_tls: StageResult,
    /// The frames of the HTTP requests on connections that followed
    /// activation or provisioning to another host (`conn/follow.rs`): those
    /// stages judge them, not local-config.
    pub follow_up_requests: std::collections::HashSet<u64>,
}

pub fn judge_all(ctx: &Ctx<'_>) -> ConnStages {
    let conns = conns(ctx);
    let clock = Clock::of(ctx, &conns);
    let web_ok = conns.iter().any(|(k, c)| {
        *k != Kind::Sbc
            && c.tcp
                .is_some_and(|(_, t)| t.result == TcpResult::Established)
    });
    let of = |kind: Kind| {
        conns
            .iter()
            .filter(move |(k, _)| *k == kind)
            .map(|(_, c)| c)
    };
    let connects = proxy::connects(ctx);
    let follow_ups = follow::follow_ups(ctx, &conns);
    let nets = hijack::Subnets::of(ctx);
    let tls_stage = |stage: Stage, kind: Kind, what: &str| {
        let mut outcomes: Vec<(u64, Outcome)> = of(kind)
            .map(|c| {
                // Through an HTTP proxy: its CONNECT opened this tunnel.
                let client = if c.first.dst == c.server {
                    c.first.src
                } else {
                    c.first.dst
                };
                // The last CONNECT on the connection opened the tunnel.
                let proxied = connects
                    .iter()
                    .rev()
                    .find(|k| k.sockets() == (client, c.server));
                // The port TLS runs to: the CONNECT's, not the proxy's.
                let port = proxied.and_then(|k| k.port()).unwrap_or(c.server.port());
                let mut outcome = tcp_outcome(ctx, c, false, web_ok)
                    .unwrap_or_else(|| tls_outcome(ctx, c, kind, clock.ok_for(c), port));
                outcome.evidence.extend(too_big::notes(ctx, c));
                if let Some(k) = proxied {
                    outcome.evidence.splice(0..0, k.evidence());
                    let inspected = outcome.advice.as_deref().is_some_and(|a| {
                        a.contains("TLS-inspecting") || a.contains("TLS decryption")
                    });
                    if let (true, Some(advice)) = (inspected, outcome.advice.as_mut()) {
                        *advice = proxy_first(advice, &k.request.dst.to_string());
                    }
                }
                // A failure at an address that cannot be Cisco's: whoever
                // answered there is the fault, not its certificate or port.
                let ip = c.server.ip();
                let not_cisco = proxied.is_none().then(|| nets.why(ip)).flatten();
                if let (Status::Fail, Some(why)) = (outcome.status, not_cisco) {
                    // A certificate for another name, or self-signed, shows
                    // who answered; otherwise the address is only a note.
                    let leaf = c.chain.and_then(|(_, chain)| chain.first());
                    let foreign =
                        leaf.is_some_and(|l| l.self_signed || !cert::names_host(l, what));
                    outcome.advice = match (foreign, outcome.advice.take()) {
                        (false, Some(advice)) => Some(format!(
                            "{advice}; note that the phone used {ip} for {what}, {why}, \
                             which is not Cisco's service"
                        )),
                        _ => Some(hijack::advice(what, ip, &why)),
                    };
                }
                (c.first.frame, outcome)
            })
            .collect();
        // CONNECTs the proxy refused never became connections of the stage.
        for (i, k) in connects.iter().enumerate() {
            if host_kind(&k.host) != Some(kind) || proxy::got_through_later(&connects, i) {
                continue;
            }
            if let Some((status, summary, advice)) = k.refusal(ctx) {
                let outcome = Outcome {
                    status,
                    summary,
                    advice: Some(advice),
                    evidence: k.evidence(),
                    hidden: false,
                    astray: false,
                };
                outcomes.push((k.request.frame, outcome));
            }
        }
        // Where the stage sent the phone on (`conn/follow.rs`).
        let clock_ok = |c: &Conn<'_>| clock.ok_for(c);
        outcomes.extend(follow::outcomes(ctx, &follow_ups, kind, clock_ok, web_ok));
        outcomes.sort_by_key(|(frame, _)| *frame);
        let outcomes = outcomes.into_iter().map(|(_, o)| o).collect();
        combine(stage, outcomes, &format!("no connection to {what}"))
    };
    let activation = tls_stage(Stage::Activation, Kind::Activation, "activate.cisco.com");
    // Completed again and again, leading nowhere: the service said no.
    let activation = match repeated::activation_repeated(ctx, &conns) {
        Some(r) if matches!(activation.status, Status::Pass | Status::Warn) => {
            r.evidence(activation.evidence)
        }
        _ => activation,
    };
    let provisioning = tls_stage(
        Stage::Provisioning,
        Kind::Provisioning,
        "cisco.sipflash.com",
    );
    // No TLS with it: a profile rule of http:// shows its exchange in clear.
    let provisioning = match provisioning.status {
        Status::NotSeen => clear_http::provisioning(ctx).unwrap_or(provisioning),
        _ => provisioning,
    };
    let connect: Vec<(SocketAddr, Outcome)> = of(Kind::Sbc)
        .map(|c| {
            (
                c.server,
                tcp_outcome(ctx, c, true, web_ok).unwrap_or_else(|| connected(c)),
            )
        })
        .collect();
    // Live sessions with SRV targets, their handshake passed.
    let live: Vec<live::Live> = of(Kind::Sbc)
        .filter(|c| tcp_outcome(ctx, c, true, web_ok).is_none())
        .filter(|c| ctx.names.is_srv_endpoint(&c.server))
        .filter(|c| {
            let port = c.server.port();
            tls_outcome(ctx, c, Kind::Sbc, clock.ok_for(c), port).status == Status::Pass
        })
        .filter_map(|c| live::session(c))
        .collect();
    let sbc_connect = sbc_connect(ctx, connect, &live);
    let tls: Vec<Outcome> = of(Kind::Sbc)
        .filter(|c| tcp_outcome(ctx, c, true, web_ok).is_none())
        .map(|c| {
            let mut o = tls_outcome(ctx, c, Kind::Sbc, clock.ok_for(c), c.server.port());
            o.evidence.extend(too_big::notes(ctx, c));
            o
        })
        .collect();
    let sbc_tls = combine(Stage::SbcTls, tls, "no TLS with the SBC");
    let mut sbc_tls = match sbc_tls.status {
        Status::NotSeen => clear_sip(ctx).unwrap_or(sbc_tls),
        _ => sbc_tls,
    };
    // An established session the SBC closed first, and the phone's next
    // connection: a drop worth knowing when registrations come and go.
    let sessions: Vec<&Conn<'_>> = of(Kind::Sbc).collect();
    let dropped = sessions.iter().find_map(|c| {
        let live = live::session(c)?;
        let (close, by_phone, rst) = c.closed?;
        let next = (sessions.iter()).find(|n| n.first.frame > close.frame)?;
        (!by_phone).then_some((live, close, rst, next.first))
    });
    if let (Status::Pass, Some((live, close, rst, next))) = (sbc_tls.status, dropped) {
        sbc_tls.summary.push_str(&format!(
            "; {} {} an established session at #{}, {:.1} s after the phone's data began; the \
             phone's next connection: #{}",
            live.server,
            if rst { "reset (RST)" } else { "closed (FIN)" },
            close.frame,
            live.data.ts.secs_until(&close.ts),
            next.frame
        ));
        (sbc_tls.evidence).push(crate::verdict::ev(
            close,
            "the SBC closed an established session",
        ));
    }
    ConnStages {
        activation,
        provisioning,
        sbc_connect,
        sbc_tls,
        follow_up_requests: follow::request_frames(&follow_ups),
    }
}

/// Whether the phone's clock is cleared as a cause of a certificate
/// refusal: NTP set it, or the phone accepted another server's certificate
/// in the same boot (a clock far off fails every certificate, not one).
/// A certificate_expired names the dates themselves: a certificate accepted
/// elsewhere only places the clock inside that certificate's own validity
/// (which TLS 1.3 hides), so for it only NTP clears the clock, as on every
/// stage alike.
#[derive(Clone, Copy)]
struct Clock {
    ntp: bool,
    accepted: bool,
}

impl Clock {
    fn of(ctx: &Ctx<'_>, conns: &[(Kind, Conn<'_>)]) -> Self {
        Clock {
            ntp: ntp::ntp(ctx).status == Status::Pass,
            accepted: conns.iter().any(|(_, c)| c.cert_accepted()),
        }
    }

    fn ok_for(self, c: &Conn<'_>) -> bool {
        let dated = (c.alerts.iter()).any(|a| a.1 && a.3 == CERTIFICATE_EXPIRED);
        self.ntp || self.accepted && !dated
    }
}

/// The alert certificate_expired (RFC 8446 6.2).
const CERTIFICATE_EXPIRED: u8 = 45;

/// No TLS with the SBC, and SIP in clear (TCP or UDP) to the SBC port:
/// the line's transport is TCP or UDP where Webex Calling takes only TLS,
/// and the digest exchange crossed the network readable.
fn clear_sip(ctx: &Ctx<'_>) -> Option<StageResult> {
    let f = ctx.own().find(|f| {
        ctx.is_phone(&f.src_ip())
            && f.dst.port() == ctx.sbc_port
            && matches!(&f.body, crate::fact::Body::Sip(_))
    })?;
    // A server there that never answered the SIP in clear (a TLS listener
    // closing on bytes that are no record) refused it: the transport is the
    // failure, not the registrar.
    let answered = ctx
        .own()
        .any(|g| g.src == f.dst && g.dst == f.src && matches!(&g.body, crate::fact::Body::Sip(_)));
    // (The server closing, or a wait no registrar takes; a capture ending
    // at once tells nothing.)
    let closed = ctx.own().any(|g| {
        g.src == f.dst && g.dst == f.src && matches!(&g.body, crate::fact::Body::Closed { .. })
    });
    let refused = !answered && (closed || ctx.secs_left(&f.ts) >= 2.0);
    let (status, summary) = match !refused {
        true => (
            Status::Warn,
            format!(
                "no TLS: the phone sent SIP in clear to the SBC port ({}, #{})",
                f.dst, f.frame
            ),
        ),
        false => (
            Status::Fail,
            format!(
                "no TLS: the phone sent SIP in clear to the SBC port ({}, #{}) and got no SIP \
                 back: the SBC port takes TLS",
                f.dst, f.frame
            ),
        ),
    };
    let advice = "set the line's SIP transport to TLS: Webex Calling takes SIP only over TLS on \
                  the SBC port, and in clear the registration (digest exchange, numbers) \
                  crosses the network readable";
    Some(
        StageResult::new(Stage::SbcTls, status, summary)
            .advice(advice)
            .evidence(vec![super::ev(f, "SIP in clear on the SBC connection")]),
    )
}

/// The last decisive connection judges the stage; earlier failures warn.
fn combine(stage: Stage, outcomes: Vec<Outcome>, none: &str) -> StageResult {
    if outcomes.is_empty() {
        return StageResult::not_seen(stage, none);
    }
    let mut evidence: Vec<Evidence> = outcomes.iter().flat_map(|o| o.evidence.clone()).collect();
    evidence.sort_by_key(|e| e.frame);
    evidence.dedup();
    let decisive: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != Status::NotSeen)
        .collect();
    let Some(last) = decisive.last() else {
        let o = &outcomes[outcomes.len() - 1];
        return StageResult::not_seen(stage, o.summary.clone()).evidence(evidence);
    };
    // A later attempt whose bytes the capture lacks: the last attempt
    // decides, and what it did cannot be told; an earlier failure is said.
    let last_at = outcomes.iter().rposition(|o| o.status != Status::NotSeen);
    let hidden_after = outcomes
        .iter()
        .skip(last_at.map_or(0, |i| i + 1))
        .rfind(|o| o.hidden);
    if let (Some(h), Status::Fail) = (hidden_after, last.status) {
        let summary = format!("{}; before it, {}", h.summary, last.summary);
        let mut result = StageResult::not_seen(stage, summary).evidence(evidence);
        result.advice = last
            .advice
            .as_deref()
            .map(|a| format!("an earlier attempt failed; if it is the phone's last: {a}"));
        return result;
    }
    let earlier_fail = decisive[..decisive.len() - 1]
        .iter()
        .any(|o| o.status == Status::Fail);
    let mut result = StageResult::new(stage, last.status, last.summary.clone()).evidence(evidence);
    if last.status == Status::Pass && earlier_fail {
        result.status = Status::Warn;
        // Which attempt failed and how: the one before the success.
        let failed = decisive.iter().rev().find(|o| o.status == Status::Fail);
        let how = failed.map_or(String::new(), |o| format!(": {}", o.summary));
        result.recovered = failed.map(|o| super::Recovery {
            failed: o.summary.clone(),
            advice: o.advice.clone(),
            success: last.summary.clone(),
        });
        result
            .summary
            .push_str(&format!(" (after an earlier failed attempt{how})"));
        result.advice = failed
            .and_then(|o| o.advice.as_deref())
            .map(|a| format!("an earlier attempt failed before one worked; if it recurs: {a}"));
    } else {
        result.advice = last.advice.clone();
    }
    if result.status == Status::Fail {
        // The failures after the last success decide: date their start.
        let run: Vec<&&Outcome> = decisive
            .iter()
            .rev()
            .take_while(|o| o.status == Status::Fail)
            .collect();
        result.failing_since = run
            .iter()
            .filter_map(|o| o.evidence.iter().map(|e| e.frame).min())
            .min();
        // Other ways the same run failed (another SRV target) are said too.
        let mut before: Vec<&str> = Vec::new();
        for o in run.iter().skip(1) {
            if o.summary != last.summary && !before.contains(&o.summary.as_str()) {
                before.push(&o.summary);
            }
        }
        if !before.is_empty() {
            before.reverse();
            let shown = before.len().min(MAX_EARLIER_NAMED);
            let more = match before.len() - shown {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let list = before[..shown].join("; ");
            result
                .summary
                .push_str(&format!(" (before it: {list}{more})"));
        }
    }
    result
}

/// Earlier failures of a run quoted in a stage's summary.
const MAX_EARLIER_NAMED: usize = 2;

/// Stage `sbc-connect`: like [`combine`], but a failure names every SBC
/// address that failed, and a recovery names the ones the phone gave up on.
fn sbc_connect(
    ctx: &Ctx<'_>,
    outcomes: Vec<(SocketAddr, Outcome)>,
    live: &[live::Live],
) -> StageResult {
    let label = |a: &SocketAddr| match ctx.names.names(&a.ip()).next() {
        Some(n) => format!("{a} ({n})"),
        None => a.to_string(),
    };
    let mut failed: Vec<(SocketAddr, &Outcome)> = Vec::new();
    // Separate attempts (connections) that failed, per address.
    let mut attempts: std::collections::HashMap<SocketAddr, usize> = Default::default();
    for (a, o) in &outcomes {
        if o.status == Status::Fail {
            failed.retain(|(b, _)| b != a);
            failed.push((*a, o));
            *attempts.entry(*a).or_default() += 1;
        }
    }
    let times = |a: &SocketAddr| match attempts.get(a).copied().unwrap_or(0) {
        0 | 1 => String::new(),
        n => format!(" ({n} attempts)"),
    };
    // Each failing address's summary, named, with its count of attempts.
    let each_failed = |failed: &[(SocketAddr, &Outcome)]| -> Vec<String> {
        (failed.iter())
            .map(|(a, o)| {
                let each = o.summary.replacen(&a.to_string(), &label(a), 1);
                format!("{each}{}", times(a))
            })
            .collect()
    };
    let last_ok = outcomes
        .iter()
        .rev()
        .find(|(_, o)| o.status == Status::Pass)
        .map(|(a, _)| *a);
    let port = outcomes.first().map_or(ctx.sbc_port, |(a, _)| a.port());
    let all: Vec<Outcome> = outcomes.iter().map(|(_, o)| o.clone()).collect();
    let mut r = combine(Stage::SbcConnect, all, "no connection to the SBC port");
    // Failing where the phone holds a live session with another SRV
    // target: the phone got past the stage; the failing targets warn. Only
    // a preferred target (a lower SRV priority) tried meanwhile is a phone
    // checking whether its first choice is back; one moving on to a target
    // it ranks lower is leaving a session that does not serve it.
    let preferred = |failing: &SocketAddr, live: &SocketAddr| {
        let rank = |a: &SocketAddr| ctx.names.srv_priority(&a.ip());
        matches!((rank(failing), rank(live)), (Some(f), Some(l)) if f < l)
    };
    let elsewhere = failed.last().and_then(|(a, o)| {
        // (The attempt's last packet: SYNs re-sent into the session count.)
        let at = o.evidence.iter().map(|e| e.frame).max()?;
        let srv = ctx.names.is_srv_endpoint(a);
        (live.iter()).find(|l| srv && l.server != *a && l.spans(at) && preferred(a, &l.server))
    });
    if let (Status::Fail, Some(live)) = (r.status, elsewhere) {
        let (l, data) = (&live.server, live.data);
        failed.retain(|(a, _)| a != l);
        let each = each_failed(&failed);
        let advice: Vec<&str> = failed
            .iter()
            .filter_map(|(_, o)| o.advice.as_deref())
            .collect();
        r.status = Status::Warn;
        r.failing_since = None;
        r.summary = format!(
            "{}; the phone works on {} (a live session, its data from #{})",
            each.join("; "),
            label(l),
            data.frame
        );
        r.advice = Some(format!(
            "{}; meanwhile the phone works on {}, with no other SBC to fall back to",
            advice.join("; "),
            label(l)
        ));
        return r;
    }
    let names: Vec<String> = failed.iter().map(|(a, _)| label(a)).collect();
    let astray = failed.iter().find(|(_, o)| o.astray);
    match r.status {
        Status::Fail if failed.len() > 1 => {
            let each = each_failed(&failed);
            r.summary = format!("no SBC answered: {}", each.join("; "));
            let list = names.join(", ");
            let kinds = |w: &str| failed.iter().all(|(_, o)| o.summary.contains(w));
            r.advice = Some(if kinds("no answer") {
                let web = if r
                    .advice
                    .as_deref()
                    .is_some_and(|a| a.contains("HTTPS works"))
                {
                    " while HTTPS works"
                } else {
                    ""
                };
                format!(
                    "outbound TCP {port} to every SBC ({list}) is dropped{web}: open the SIP-TLS \
                     signalling ports of the Webex Calling port reference"
                )
            } else if kinds("RST") {
                format!("{list} refuse TCP {port}: nothing listening, or a firewall rejecting it")
            } else if let Some(why) = astray.and_then(|(_, o)| o.advice.as_deref()) {
                format!("{list} cannot be reached on TCP {port}; {why}")
            } else if let (true, Some((_, o))) = (kinds("answered by ICMP"), failed.last()) {
                // ICMP tells why (a router's route, a firewall's rule): the
                // last one's advice.
                let why = o.advice.as_deref().unwrap_or("check the firewall rules");
                format!("{list} cannot be reached on TCP {port}; the last: {why}")
            } else {
                format!("{list} cannot be reached on TCP {port}: check the firewall rules")
            });
        }
        Status::Fail => {
            if let Some((a, _)) = failed.first() {
                r.summary = r.summary.replacen(&a.to_string(), &label(a), 1);
                r.summary.push_str(&times(a));
            }
        }
        Status::Warn => {
            let reached = last_ok.map_or("another SBC".to_string(), |a| label(&a));
            r.summary = format!("connected to {reached} after {} failed", names.join(", "));
            r.advice = Some(match astray.and_then(|(_, o)| o.advice.as_deref()) {
                // Answered, from the wrong socket: what rewrites or resets.
                Some(why) => format!("the phone moved on to {reached}; {why}"),
                None => format!(
                    "{} did not accept TCP {port}; the phone moved on to {reached}: open TCP \
                     {port} to every SBC address of the Webex Calling port reference",
                    names.join(", ")
                ),
            });
        }
        _ => {}
    }
    let failed: Vec<SocketAddr> = failed.iter().map(|(a, _)| *a).collect();
    webex_private::advise(ctx, r, &failed)
}

/// Advice on a certificate rejected inside an HTTP proxy's tunnel: the
/// proxy comes first, and a TLS-inspecting device elsewhere is the next
/// suspect, not "the usual cause".
fn proxy_first(advice: &str, proxy: &str) -> String {
    let rest = advice.replace(
        " is the usual cause",
        " elsewhere on the path is the next suspect",
    );
    format!(
        "the phone's HTTP proxy {proxy} opened this tunnel and is the first suspect (it may \
         inspect the tunnels it opens): {rest}"
    )
}
