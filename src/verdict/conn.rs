//! Stages `activation`, `provisioning`, `sbc-connect` and `sbc-tls`: the
//! phone's TCP connections, their outcome (SYN-ACK, RST, ICMP, silence) and
//! the TLS handshake on them (ClientHello, ServerHello, certificate chain,
//! plaintext alerts with their sender, TLS 1.3 encrypted alerts where their
//! place tells, a phone abandoning the handshake (`conn/abandon.rs`),
//! completion). Certificate advice is in `cert.rs`, a server's refusal in
//! `refusal.rs`; ICMP unreachable and time exceeded (a routing loop) answer
//! an attempt.
//!
//! A connection is attributed by SNI, else by the name its server address
//! resolved from, else (SBC) by its port or an SRV target address.

mod abandon;
mod stall;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::dhcp::trim;
use super::{cert, ev, hijack, ntp, proxy, refusal, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::{Body, Fact, TcpAttempt, TcpResult};
use crate::packet::UnreachKind;
use crate::phone::names::{is_activation_name, is_provisioning_name};
use crate::proto::tls::{alert_name, version_name, CertInfo, TlsEvent};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Activation,
    Provisioning,
    Sbc,
    Other,
}

/// One TCP connection of the phone, with what TLS showed on it.
struct Conn<'a> {
    server: SocketAddr,
    first: &'a Fact,
    tcp: Option<(&'a Fact, TcpAttempt)>,
    sni: Option<String>,
    offered: Vec<u16>,
    hello: Option<&'a Fact>,
    server_hello: Option<(&'a Fact, u16)>,
    chain: Option<(&'a Fact, &'a [CertInfo])>,
    /// The server's CertificateRequest (mutual TLS), in clear (TLS 1.2).
    cert_request: Option<&'a Fact>,
    /// The phone's first TLS record after its ClientHello(s).
    phone_next: Option<&'a Fact>,
    /// The phone's own Certificate message and how many certificates it held.
    client_cert: Option<(&'a Fact, usize)>,
    alerts: Vec<(&'a Fact, bool, u8, u8)>,
    /// A side whose bytes are not TLS records (a banner, HTTP): the fact,
    /// whether it is the phone's side, and what came instead.
    not_tls: Option<(&'a Fact, bool, &'a str)>,
    ccs: [bool; 2],
    app_data: [bool; 2],
    /// Each side's first encrypted alert (TLS 1.3: a record of an alert's
    /// length where the handshake ends or right after it).
    enc_alert: [Option<&'a Fact>; 2],
    /// A side sent more after its alert-sized record (it was data).
    went_on: [bool; 2],
    /// TLS 1.3: the phone sent more after its Finished's segment.
    phone_more: Option<&'a Fact>,
    /// The first fact that showed the handshake finished (CCS or app data).
    finished: Option<&'a Fact>,
    closed: Option<(&'a Fact, bool, bool)>,
    /// The phone reset the connection (aborted it) at some point.
    phone_reset: Option<&'a Fact>,
    /// The capture ends with the phone's bytes re-sent and never
    /// acknowledged, the server silent: the last send and the re-sends.
    unacked: Option<(&'a Fact, u32)>,
}

/// Result of one connection for a stage.
#[derive(Clone)]
struct Outcome {
    status: Status,
    summary: String,
    advice: Option<String>,
    evidence: Vec<Evidence>,
}

/// The four connection stages of a phone.
pub struct ConnStages {
    pub activation: StageResult,
    pub provisioning: StageResult,
    pub sbc_connect: StageResult,
    pub sbc_tls: StageResult,
}

pub fn judge_all(ctx: &Ctx<'_>) -> ConnStages {
    let conns = conns(ctx);
    let ntp_ok = ntp::ntp(ctx).status == Status::Pass;
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
                    .unwrap_or_else(|| tls_outcome(ctx, c, kind, ntp_ok, port));
                if let Some(k) = proxied {
                    outcome.evidence.splice(0..0, k.evidence());
                    let inspected = outcome.advice.as_deref().is_some_and(|a| {
                        a.contains("TLS-inspecting") || a.contains("TLS decryption")
                    });
                    if let (true, Some(advice)) = (inspected, outcome.advice.as_mut()) {
                        advice.push_str(&format!(
                            "; the phone's HTTP proxy {} is the first suspect (it may inspect \
                             the tunnels it opens)",
                            k.request.dst
                        ));
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
                            "{advice}; note that {what} resolved to {ip}, {why}, which is not \
                             Cisco's service"
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
                };
                outcomes.push((k.request.frame, outcome));
            }
        }
        outcomes.sort_by_key(|(frame, _)| *frame);
        let outcomes = outcomes.into_iter().map(|(_, o)| o).collect();
        combine(stage, outcomes, &format!("no connection to {what}"))
    };
    let activation = tls_stage(Stage::Activation, Kind::Activation, "activate.cisco.com");
    let provisioning = tls_stage(
        Stage::Provisioning,
        Kind::Provisioning,
        "cisco.sipflash.com",
    );
    let connect: Vec<(SocketAddr, Outcome)> = of(Kind::Sbc)
        .map(|c| {
            (
                c.server,
                tcp_outcome(ctx, c, true, web_ok).unwrap_or_else(|| connected(c)),
            )
        })
        .collect();
    let sbc_connect = sbc_connect(ctx, connect);
    let tls: Vec<Outcome> = of(Kind::Sbc)
        .filter(|c| tcp_outcome(ctx, c, true, web_ok).is_none())
        .map(|c| tls_outcome(ctx, c, Kind::Sbc, ntp_ok, c.server.port()))
        .collect();
    let sbc_tls = combine(Stage::SbcTls, tls, "no TLS with the SBC");
    ConnStages {
        activation,
        provisioning,
        sbc_connect,
        sbc_tls,
    }
}

fn conns<'a>(ctx: &'a Ctx<'a>) -> Vec<(Kind, Conn<'a>)> {
    let mut by_id: BTreeMap<u64, Conn<'a>> = BTreeMap::new();
    for f in ctx.own() {
        if let Body::Malformed { of: "tls", reason } = &f.body {
            // No connection id on it: the latest connection to that server.
            let of_conn = |c: &&mut Conn<'a>| c.server == f.src || c.server == f.dst;
            if let Some(c) = by_id.values_mut().rev().find(of_conn) {
                let what = match reason.split_once(", starts ") {
                    Some((_, text)) => text.trim_end_matches(')'),
                    None => reason.as_str(),
                };
                c.not_tls.get_or_insert((f, c.server == f.dst, what));
            }
            continue;
        }
        let (id, from_client) = match &f.body {
            Body::Tcp { conn, .. } => (*conn, true),
            Body::Tls {
                conn, from_client, ..
            } => (*conn, *from_client),
            Body::Closed {
                conn, from_client, ..
            } => (*conn, *from_client),
            Body::Unacked {
                conn, from_client, ..
            } => (*conn, *from_client),
            _ => continue,
        };
        let (client, server) = if from_client {
            (f.src, f.dst)
        } else {
            (f.dst, f.src)
        };
        if !ctx.is_phone(&client.ip()) {
            continue;
        }
        let c = by_id.entry(id).or_insert_with(|| Conn {
            server,
            first: f,
            tcp: None,
            sni: None,
            offered: Vec::new(),
            hello: None,
            server_hello: None,
            chain: None,
            cert_request: None,
            phone_next: None,
            client_cert: None,
            alerts: Vec::new(),
            not_tls: None,
            ccs: [false; 2],
            app_data: [false; 2],
            enc_alert: [None; 2],
            went_on: [false; 2],
            phone_more: None,
            finished: None,
            closed: None,
            phone_reset: None,
            unacked: None,
        });
        let side = usize::from(!from_client);
        if let Body::Tls { event, .. } = &f.body {
            let hello = matches!(event, TlsEvent::ClientHello { .. });
            if from_client && !hello && c.hello.is_some() {
                c.phone_next.get_or_insert(f);
            }
        }
        match &f.body {
            Body::Tcp { attempt, .. } => c.tcp = Some((f, *attempt)),
            Body::Unacked { resent, .. } if from_client => c.unacked = Some((f, *resent)),
            Body::Closed { rst, .. } => {
                c.closed.get_or_insert((f, from_client, *rst));
                if *rst && from_client {
                    c.phone_reset.get_or_insert(f);
                }
            }
            Body::Tls { event, .. } => match event {
                TlsEvent::ClientHello { versions, sni, .. } => {
                    c.hello.get_or_insert(f);
                    c.sni = sni.clone();
                    c.offered = versions.clone();
                }
                TlsEvent::ServerHello {
                    selected_version, ..
                } => {
                    c.server_hello = Some((f, *selected_version));
                }
                TlsEvent::Certificate { chain } if !from_client => c.chain = Some((f, chain)),
                TlsEvent::Certificate { chain } => c.client_cert = Some((f, chain.len())),
                TlsEvent::Handshake {
                    msg_type: CERTIFICATE_REQUEST,
                } if !from_client => c.cert_request = Some(f),
                TlsEvent::Alert { level, description } => {
                    c.alerts.push((f, from_client, *level, *description))
                }
                TlsEvent::ChangeCipherSpec => {
                    c.ccs[side] = true;
                    if c.ccs == [true, true] {
                        c.finished.get_or_insert(f);
                    }
                }
                TlsEvent::EncryptedAlert => {
                    c.enc_alert[side].get_or_insert(f);
                }
                TlsEvent::RecordAfterAlert => c.went_on[side] = true,
                TlsEvent::LaterRecord if from_client => {
                    c.phone_more.get_or_insert(f);
                }
                TlsEvent::ApplicationData => {
                    c.app_data[side] = true;
                    if side == 0 {
                        c.finished.get_or_insert(f);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    let mut out: Vec<(Kind, Conn<'a>)> =
        by_id.into_values().map(|c| (kind_of(ctx, &c), c)).collect();
    out.sort_by_key(|(_, c)| c.first.frame);
    out
}

/// The server's name without SNI: the name that resolved to its address
/// (the stage's own name first: activate.cisco.com rather than its CNAME
/// target), else the address.
fn server_name(ctx: &Ctx<'_>, c: &Conn<'_>, kind: Kind) -> String {
    let ip = c.server.ip();
    let own = |n: &&str| match kind {
        Kind::Activation => is_activation_name(n),
        Kind::Provisioning => is_provisioning_name(n),
        Kind::Sbc | Kind::Other => true,
    };
    let name = ctx
        .names
        .names(&ip)
        .find(own)
        .or_else(|| ctx.names.names(&ip).next());
    name.map_or_else(|| ip.to_string(), str::to_string)
}

fn kind_of(ctx: &Ctx<'_>, c: &Conn<'_>) -> Kind {
    let ip = c.server.ip();
    if let Some(sni) = c.sni.as_deref() {
        if is_activation_name(sni) {
            return Kind::Activation;
        }
        if is_provisioning_name(sni) {
            return Kind::Provisioning;
        }
        // The phone names one of its SRV targets, or the SIP domain it found
        // no SRV record for (RFC 3263 4.2): its SBC, whatever the port (a
        // firewall in front of the tap may translate 8934).
        let sni = sni.trim_end_matches('.');
        if ctx.names.srv_targets.contains_key(sni) || ctx.names.srv_domains.contains(sni) {
            return Kind::Sbc;
        }
    } else if ctx.names.any_name(&ip, is_activation_name) {
        return Kind::Activation;
    } else if ctx.names.any_name(&ip, is_provisioning_name) {
        return Kind::Provisioning;
    }
    let srv_port = ctx
        .names
        .names(&ip)
        .filter_map(|n| ctx.names.srv_targets.get(n))
        .any(|ports| ports.contains(&c.server.port()));
    // No SRV record: the SIP domain's own address on SIP over TLS (5061).
    let fallback = c.server.port() == 5061
        && ctx
            .names
            .names(&ip)
            .any(|n| ctx.names.srv_domains.contains(n));
    if c.server.port() == ctx.sbc_port || srv_port || fallback {
        Kind::Sbc
    } else {
        Kind::Other
    }
}

/// The stage a host name belongs to, for a proxy's CONNECT target.
fn host_kind(host: &str) -> Option<Kind> {
    if is_activation_name(host) {
        Some(Kind::Activation)
    } else if is_provisioning_name(host) {
        Some(Kind::Provisioning)
    } else {
        None
    }
}

/// Handshake type of CertificateRequest (RFC 5246 section 7.4.4).
const CERTIFICATE_REQUEST: u8 = 13;

/// A client retransmits an unanswered SYN after about 1 s, then 3 s (RFC
/// 6298 section 2.1 and its doubling; older stacks start at 3 s): an attempt
/// that began closer than this to the end of the capture is still waiting,
/// not dropped.
const SYN_RETRY_SECS: f64 = 3.0;

/// The TCP attempt's failure, or None when the connection was established
/// (or its start was not captured). An attempt the capture ends on is
/// `not_seen`.
fn tcp_outcome(ctx: &Ctx<'_>, c: &Conn<'_>, sbc: bool, web_ok: bool) -> Option<Outcome> {
    let (f, t) = c.tcp?;
    let to = c.server;
    let first = Evidence {
        frame: t.first_syn_frame,
        time: t.first_syn_ts,
        text: format!("SYN to {to}"),
    };
    let syns = if t.syns > 1 {
        format!("{} SYNs", t.syns)
    } else {
        "SYN".to_string()
    };
    if t.result == TcpResult::NoAnswer && ctx.secs_left(&t.first_syn_ts) < SYN_RETRY_SECS {
        return Some(Outcome {
            status: Status::NotSeen,
            summary: format!("{syns} to {to} at the end of the capture, no answer yet"),
            advice: None,
            evidence: vec![first],
        });
    }
    let port = to.port();
    let (summary, advice) = match t.result {
        TcpResult::Established => return None,
        TcpResult::NoAnswer => (
            format!("{syns} to {to}, no answer: dropped on the way"),
            if sbc && web_ok {
                format!(
                    "outbound TCP {port} to the Webex Calling SBC is dropped while HTTPS works: \
                     open the SIP-TLS signalling ports of the Webex Calling port reference"
                )
            } else {
                // The name the phone resolved for it says which service.
                let name = (ctx.names.names(&to.ip()).next())
                    .map_or(String::new(), |n| format!(" ({n})"));
                format!(
                    "outbound TCP {port} to {}{name} is dropped: allow it in the firewall (the \
                     Webex Calling port reference lists the hosts and ports phones need)",
                    to.ip()
                )
            },
        ),
        TcpResult::Refused => (
            format!("{syns} to {to} answered by RST: refused"),
            format!("{to} refuses TCP {port} (nothing listening, or a firewall rejecting it)"),
        ),
        TcpResult::Unreachable => (
            format!(
                "{syns} to {to} answered by ICMP {}",
                t.unreach
                    .map_or("destination unreachable", UnreachKind::words)
            ),
            match t.unreach {
                Some(UnreachKind::TtlExceeded) => format!(
                    "packets to {} circle between routers until their TTL runs out (ICMP time \
                     exceeded, #{}): fix the routing towards {} (a routing loop, often two \
                     default routes pointing at each other)",
                    to.ip(),
                    t.answer_frame,
                    to.ip()
                ),
                _ => format!(
                    "a router or firewall rejects TCP {port} to {}: check its rules",
                    to.ip()
                ),
            },
        ),
    };
    let last = ev(f, summary.clone());
    let status = Status::Fail;
    Some(Outcome {
        status,
        summary,
        advice: Some(advice),
        evidence: vec![first, last],
    })
}

fn connected(c: &Conn<'_>) -> Outcome {
    let evidence: Vec<Evidence> = match c.tcp {
        Some((f, t)) => vec![ev(f, format!("SYN-ACK from {} ({} SYN)", c.server, t.syns))],
        None => vec![ev(
            c.first,
            format!("connection to {} already open", c.server),
        )],
    };
    Outcome {
        status: Status::Pass,
        summary: format!("connected to {}", c.server),
        advice: None,
        evidence,
    }
}

/// The TLS handshake on an established connection.
/// One TLS connection's outcome; `port` is the one TLS runs to (a proxy
/// tunnel's target port, else the server's).
fn tls_outcome(ctx: &Ctx<'_>, c: &Conn<'_>, kind: Kind, ntp_ok: bool, port: u16) -> Outcome {
    let snaplen_cut = ctx.snaplen_cut;
    let mut evidence = Vec::new();
    let name = c.sni.clone().unwrap_or_else(|| server_name(ctx, c, kind));
    if let Some(h) = c.hello {
        let offered: Vec<String> = c.offered.iter().map(|v| version_name(*v)).collect();
        let sni = match &c.sni {
            Some(sni) => format!("SNI {sni}"),
            None => "without SNI".to_string(),
        };
        let text = format!("ClientHello {sni} to {} ({})", c.server, offered.join(", "));
        evidence.push(ev(h, text));
    }
    if let Some((f, v)) = c.server_hello {
        // TLS 1.2 and older: keys changed on both sides with no certificate
        // in clear is an abbreviated handshake (RFC 5246 7.3).
        let tls13 = v == 0x0304 || v >> 8 == 0x7f;
        let resumed = !tls13 && c.chain.is_none() && c.ccs == [true, true];
        let note = if resumed {
            " (session resumed: no certificate sent)"
        } else {
            ""
        };
        evidence.push(ev(f, format!("ServerHello {}{note}", version_name(v))));
    }
    if let Some((f, chain)) = c.chain {
        if let Some(leaf) = chain.first() {
            let cn = leaf.subject_cn.as_deref().unwrap_or(&leaf.subject);
            let issuer = leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer);
            evidence.push(ev(f, format!("Certificate {cn} issued by {issuer}")));
        }
    }
    if let Some(f) = c.cert_request {
        evidence.push(ev(
            f,
            "CertificateRequest: the server asks for the phone's certificate",
        ));
    }
    if let Some((f, n)) = c.client_cert {
        let text = match n {
            0 => "empty Certificate from the phone (it has none to give)".to_string(),
            n => format!("Certificate from the phone ({n} certificates)"),
        };
        evidence.push(ev(f, text));
    }
    for (f, by_phone, level, desc) in &c.alerts {
        let who = if *by_phone { "phone" } else { "server" };
        let lvl = if *level == 2 { "fatal" } else { "warning" };
        evidence.push(ev(
            f,
            format!("alert {} ({lvl}) from {who}", alert_name(*desc)),
        ));
    }
    // An alert with no ClientHello before it (the phone opened and closed
    // without a handshake) answers nothing the stage is about.
    let fatal = c
        .alerts
        .iter()
        .find(|a| a.2 == 2 && (a.1 || c.hello.is_some()));
    let warning = c.alerts.iter().find(|a| a.2 == 1 && a.3 != 0);
    let version = c.server_hello.map(|(_, v)| v);
    let tls13 = version.is_some_and(|v| v == 0x0304 || v >> 8 == 0x7f);
    let done = c.app_data[0] || (c.ccs[0] && c.ccs[1]) || (!tls13 && c.app_data[1]);
    // The phone quit after the server's hello: an alert the server sends
    // after that close answers it.
    let quit = abandon::phone_quit(c);
    let fatal = fatal.filter(|a| a.1 || quit.is_none_or(|q| a.0.frame < q.frame));
    let (status, summary, advice) = if let Some((f, by_phone, _, desc)) = fatal {
        let who = if *by_phone { "the phone" } else { "the server" };
        let summary = format!(
            "{who} ended the handshake with {} ({name}:{port})",
            alert_name(*desc)
        );
        let advice = if *by_phone && cert::is_certificate_alert(*desc) {
            let hidden = if tls13 {
                "TLS 1.3 encrypts it"
            } else if snaplen_cut {
                "not in the capture, whose snaplen cuts frames"
            } else {
                "not in the capture"
            };
            let chain = c.chain.map(|(_, ch)| ch);
            cert::advice(*desc, chain, hidden, &f.ts, ntp_ok, port, c.sni.as_deref())
        } else if let Some(advice) =
            refusal::mutual_tls(c.cert_request, c.client_cert, *by_phone, *desc, &name)
        {
            advice
        } else if !*by_phone
            && (matches!(desc, 40 | 70 | 71)
                || (c.server_hello.is_none() && refusal::offers_only_old(&c.offered)))
        {
            refusal::version(&name, *desc, &c.offered)
        } else if let (true, 70 | 71, Some((_, chosen @ ..0x0303))) =
            (*by_phone, *desc, c.server_hello)
        {
            // The phone refuses the version (or ciphers) the server chose.
            format!(
                "{name} chose {} in its ServerHello and the phone refuses it ({}): enable TLS 1.2 \
                 or 1.3 with current cipher suites on the server (and on anything terminating \
                 TLS in front of it)",
                version_name(chosen),
                alert_name(*desc)
            )
        } else if let (true, 40, Some(_)) = (*by_phone, *desc, c.server_hello) {
            // The phone ends the handshake on what the server chose.
            format!(
                "the phone refuses what {name} chose for the handshake (handshake_failure after \
                 its ServerHello): most often a key exchange below today's minimum (DH \
                 parameters under 2048 bits) or an old cipher suite; offer ECDHE with AES-GCM \
                 on TLS 1.2 or 1.3"
            )
        } else if !*by_phone && *desc == 112 {
            // unrecognized_name (RFC 6066 3): no such name served there.
            let sni = c.sni.as_deref().unwrap_or("the name asked");
            format!(
                "the server at {} does not serve {sni} (the name the phone asked for, SNI): DNS, \
                 an SRV record or a proxy sends the phone to the wrong server, or the server \
                 lacks that name's certificate",
                c.server
            )
        } else {
            format!(
                "TLS to {name} fails with {}: check the server and the path",
                alert_name(*desc)
            )
        };
        (Status::Fail, summary, Some(advice))
    } else if let Some(close) = quit {
        let quit = abandon::Quit {
            close,
            name: &name,
            port,
            tls13,
            ntp_ok,
            snaplen_cut,
        };
        abandon::judge(c, &quit, &mut evidence)
    } else if let (Some((f, false, what)), None, Some(_)) = (c.not_tls, c.server_hello, c.hello) {
        // Only an answer to the phone's ClientHello: a capture that starts
        // inside a session sees a record's middle first.
        evidence.push(ev(f, format!("the server answers in clear: {what}")));
        let summary = format!("{name}:{port} does not answer in TLS: it sent {what}");
        let advice = format!(
            "what listens on {} is not a TLS server: check the address and port the SRV \
             answer gives for the SBC, and what answers there (another service, or a proxy \
             answering in clear)",
            c.server
        );
        (Status::Fail, summary, Some(advice))
    } else if let Some((f, summary, advice)) = tls13
        .then(|| {
            let end = refusal::Ending13 {
                alerts: c.enc_alert,
                server_went_on: c.went_on[1],
                phone_more: c.phone_more,
                finished: c.app_data[0].then_some(c.finished).flatten(),
                closed: c.closed.map(|(f, _, _)| f),
            };
            refusal::encrypted_13(end, &name, port)
        })
        .flatten()
    {
        evidence.push(f);
        let advice = advice.unwrap_or_else(|| {
            let hidden = "TLS 1.3 encrypts the certificate and the alert";
            let at = &c.enc_alert[0].unwrap_or(c.first).ts;
            cert::advice(46, None, hidden, at, ntp_ok, port, c.sni.as_deref())
        });
        (Status::Fail, summary, Some(advice))
    } else if done {
        if let Some(f) = c.finished {
            let by_ccs = matches!(
                f.body,
                Body::Tls {
                    event: TlsEvent::ChangeCipherSpec,
                    ..
                }
            );
            let who = match (by_ccs, tls13) {
                (true, _) => "both sides changed keys",
                // TLS 1.3: the phone's first encrypted record is its Finished.
                (false, true) => "encrypted records from the phone (its Finished first)",
                (false, false) => "application data from the phone",
            };
            evidence.push(ev(f, who.to_string()));
        }
        let v = version.map_or("TLS".to_string(), version_name);
        let old = version.is_some_and(|v| v < 0x0303 && v >> 8 != 0x7f);
        // The phone aborted (RST) right after the handshake, having sent
        // nothing, and the certificate names another host than it asked for:
        // it checked the name after the handshake (as curl does) and gave
        // up. (A quiet close after a handshake proves nothing.)
        let leaf = c.chain.and_then(|(_, chain)| chain.first());
        let wrong_name = match (leaf, c.sni.as_deref()) {
            (Some(leaf), Some(sni)) => !cert::names_host(leaf, sni),
            _ => false,
        };
        let aborted = c.phone_reset.filter(|_| !c.app_data[0]);
        if let (true, Some(f)) = (wrong_name, aborted) {
            evidence.push(ev(f, "the phone reset the connection, having sent nothing"));
            let advice = leaf.map(|_| {
                let (desc, chain) = (42, c.chain.map(|(_, ch)| ch));
                let at = c.finished.map_or(c.first.ts, |f| f.ts);
                cert::advice(desc, chain, "", &at, ntp_ok, port, c.sni.as_deref())
            });
            let summary = format!(
                "{v} handshake with {name} completed, then the phone aborted it without sending \
                 anything: the certificate does not name {name}"
            );
            (Status::Fail, summary, advice)
        } else if old {
            let advice = "Webex needs TLS 1.2 or later: update the phone firmware and server";
            (
                Status::Warn,
                format!("{v} handshake with {name} completed"),
                Some(advice.to_string()),
            )
        } else if let Some((_, by_phone, _, d)) = warning {
            let advice = match (*by_phone, *d) {
                (false, 112) => format!(
                    "{name} does not know the name the phone asked for (SNI {}): add it to the \
                     server's certificate and virtual hosts",
                    c.sni.as_deref().unwrap_or("none")
                ),
                (by_phone, d) => format!(
                    "the {} sent a warning alert {} (the handshake went on): check its TLS \
                     configuration",
                    if by_phone { "phone" } else { "server" },
                    alert_name(d)
                ),
            };
            (
                Status::Warn,
                format!(
                    "{v} handshake with {name} completed after a warning \
                alert {}",
                    alert_name(*d)
                ),
                Some(advice),
            )
        } else {
            (
                Status::Pass,
                format!("{v} handshake with {name} completed"),
                None,
            )
        }
    } else if c.hello.is_some() && c.server_hello.is_none() {
        stall::no_server_hello(c, &name, port, &mut evidence)
    } else if c.hello.is_none() {
        (
            Status::NotSeen,
            format!("no TLS handshake seen with {name}"),
            None,
        )
    } else if let Some(late) = stall::answered_too_late(c, &name, port, &mut evidence) {
        late
    } else {
        (
            Status::NotSeen,
            format!("TLS handshake with {name} not finished in the capture"),
            None,
        )
    };
    Outcome {
        status,
        summary,
        advice,
        evidence,
    }
}

/// The last decisive connection judges the stage; earlier failures warn.
fn combine(stage: Stage, outcomes: Vec<Outcome>, none: &str) -> StageResult {
    if outcomes.is_empty() {
        return StageResult::not_seen(stage, none);
    }
    let mut evidence: Vec<Evidence> = outcomes.iter().flat_map(|o| o.evidence.clone()).collect();
    evidence.sort_by_key(|e| e.frame);
    evidence.dedup();
    trim(&mut evidence);
    let decisive: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != Status::NotSeen)
        .collect();
    let Some(last) = decisive.last() else {
        let o = &outcomes[outcomes.len() - 1];
        return StageResult::not_seen(stage, o.summary.clone()).evidence(evidence);
    };
    let earlier_fail = decisive[..decisive.len() - 1]
        .iter()
        .any(|o| o.status == Status::Fail);
    let mut result = StageResult::new(stage, last.status, last.summary.clone()).evidence(evidence);
    if last.status == Status::Pass && earlier_fail {
        result.status = Status::Warn;
        result
            .summary
            .push_str(" (after an earlier failed attempt)");
        let failed = decisive.iter().rev().find(|o| o.status == Status::Fail);
        result.advice = failed.and_then(|o| o.advice.clone());
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
fn sbc_connect(ctx: &Ctx<'_>, outcomes: Vec<(SocketAddr, Outcome)>) -> StageResult {
    let label = |a: &SocketAddr| match ctx.names.names(&a.ip()).next() {
        Some(n) => format!("{a} ({n})"),
        None => a.to_string(),
    };
    let mut failed: Vec<(SocketAddr, &Outcome)> = Vec::new();
    for (a, o) in &outcomes {
        if o.status == Status::Fail {
            failed.retain(|(b, _)| b != a);
            failed.push((*a, o));
        }
    }
    let last_ok = outcomes
        .iter()
        .rev()
        .find(|(_, o)| o.status == Status::Pass)
        .map(|(a, _)| *a);
    let port = outcomes.first().map_or(ctx.sbc_port, |(a, _)| a.port());
    let all: Vec<Outcome> = outcomes.iter().map(|(_, o)| o.clone()).collect();
    let mut r = combine(Stage::SbcConnect, all, "no connection to the SBC port");
    let names: Vec<String> = failed.iter().map(|(a, _)| label(a)).collect();
    match r.status {
        Status::Fail if failed.len() > 1 => {
            let each: Vec<String> = failed
                .iter()
                .map(|(a, o)| o.summary.replacen(&a.to_string(), &label(a), 1))
                .collect();
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
            } else {
                format!("{list} cannot be reached on TCP {port}: check the firewall rules")
            });
        }
        Status::Fail => {
            if let Some((a, _)) = failed.first() {
                r.summary = r.summary.replacen(&a.to_string(), &label(a), 1);
            }
        }
        Status::Warn => {
            let reached = last_ok.map_or("another SBC".to_string(), |a| label(&a));
            r.summary = format!("connected to {reached} after {} failed", names.join(", "));
            r.advice = Some(format!(
                "{} did not accept TCP {port}; the phone moved on to {reached}: open TCP {port} \
                 to every SBC address of the Webex Calling port reference",
                names.join(", ")
            ));
        }
        _ => {}
    }
    r
}
