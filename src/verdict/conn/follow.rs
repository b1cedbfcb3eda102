//! Follow-up connections: once the phone has reached activation or
//! provisioning, a connection to a host that is neither a Webex name nor a
//! server the DHCP scope named is where the service sent it (an HTTP
//! redirect, or a profile rule naming another server; TLS hides which).
//! It belongs to the stage that sent the phone there: provisioning once
//! the phone has reached cisco.sipflash.com; activation while its
//! connection to activate.cisco.com is still open (a redirect being
//! followed); else provisioning (the profile rule activation gave). Its
//! outcome is judged as the stage's own connections are (TCP, the TLS
//! handshake, or the HTTP exchange in clear) and says the host it went to;
//! local-config leaves it alone, since the scope did not name that host.
//! Only web connections (TCP 80 or 443, TLS, or HTTP) count, and they are
//! judged only when the phone got no further: once it asks DNS for an SRV
//! record or connects to the SBC, it had its profile, and its other web
//! connections (a firmware download, a directory, the service's other
//! hosts) are none of the chain's. Either way they are not local-config's.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use super::clear_http::{exchange, Answers};
use super::connection::{server_name, Conn, Kind};
use super::handshake::tls_outcome;
use super::tcp::tcp_outcome;
use super::Outcome;
use crate::fact::{Body, Fact};
use crate::phone::is_profile_file;
use crate::proto::http::{Cut, HttpMessage};
use crate::verdict::local::{host_of, Targets};
use crate::verdict::{ev, Ctx, Status};

/// HTTP's and HTTPS's ports (RFC 9110 4.2).
const WEB_PORTS: [u16; 2] = [80, 443];

/// A follow-up connection, the stage it belongs to, the Webex connection
/// before it, and the phone's HTTP requests on it (positions in `own`).
pub(super) struct FollowUp<'c, 'a> {
    pub(super) conn: &'c Conn<'a>,
    pub(super) kind: Kind,
    pub(super) from: &'c Conn<'a>,
    requests: Vec<usize>,
}

/// The follow-up connections of a phone, with its facts.
pub(super) struct FollowUps<'c, 'a> {
    own: Vec<&'a Fact>,
    pub(super) list: Vec<FollowUp<'c, 'a>>,
    /// The phone asked for an SRV record or reached the SBC: it had its
    /// profile, and the follow-ups are not judged.
    went_further: bool,
}

/// The phone's socket of a connection.
fn client(c: &Conn<'_>) -> SocketAddr {
    match c.first.dst == c.server {
        true => c.first.src,
        false => c.first.dst,
    }
}

/// The Host header of a request, without its port, lowercase.
fn host(f: &Fact) -> Option<String> {
    match &f.body {
        Body::Http(HttpMessage::Request { host: Some(h), .. }) => {
            Some(host_of(h).to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The connections that followed the phone's activation or provisioning.
pub(super) fn follow_ups<'c, 'a>(
    ctx: &'a Ctx<'a>,
    conns: &'c [(Kind, Conn<'a>)],
) -> FollowUps<'c, 'a> {
    let own: Vec<&'a Fact> = ctx.own().collect();
    // The phone went on to the SBC: it had its profile.
    let srv_asked = own.iter().any(|f| {
        matches!(&f.body, Body::Dns(m) if !m.response && m.questions.iter().any(|q| q.qtype == 33))
    });
    let went_further = srv_asked || conns.iter().any(|(k, _)| *k == Kind::Sbc);
    let t = crate::verdict::local::named(ctx);
    let boot = crate::verdict::dhcp::boot_server(ctx).map(|b| IpAddr::V4(b.next_server));
    // (Requests after a redirect seen in clear: `clear_http` follows them.)
    let in_clear = super::clear_http::requests(ctx, &t);
    // The phone's HTTP requests by (phone, server) sockets.
    let mut asked: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::new();
    for (i, f) in own.iter().enumerate() {
        if matches!(f.body, Body::Http(HttpMessage::Request { .. })) {
            asked.entry((f.src, f.dst)).or_default().push(i);
        }
    }
    let mut list = Vec::new();
    // The latest connection to activation and to provisioning so far.
    let (mut act, mut prov): (Option<&'c Conn<'a>>, Option<&'c Conn<'a>>) = (None, None);
    for (k, c) in conns {
        match k {
            Kind::Activation => act = Some(c),
            Kind::Provisioning => prov = Some(c),
            Kind::Sbc | Kind::Other => {}
        }
        if *k != Kind::Other {
            continue;
        }
        let at = c.first.frame;
        let requests = asked.remove(&(client(c), c.server)).unwrap_or_default();
        let web =
            WEB_PORTS.contains(&c.server.port()) || c.hello.is_some() || !requests.is_empty();
        let of = |i: &usize| own.get(*i).copied();
        let followed = (requests.iter().filter_map(of)).any(|r| in_clear.contains(&r.frame));
        let hosts: Vec<String> = requests.iter().filter_map(of).filter_map(host).collect();
        let named = boot == Some(c.server.ip()) || named(ctx, &t, c, &hosts);
        if !web || followed || named {
            continue;
        }
        let open = |w: &Conn<'_>| w.closed.is_none_or(|(f, _, _)| f.frame > at);
        let (kind, from) = match (prov, act) {
            (Some(p), _) => (Kind::Provisioning, p),
            (None, Some(a)) if open(a) => (Kind::Activation, a),
            (None, Some(a)) => (Kind::Provisioning, a),
            (None, None) => continue,
        };
        // Only a Webex connection the phone went on with could have sent it
        // anywhere: one it refused sent it nowhere.
        if !went_on(from) {
            continue;
        }
        list.push(FollowUp {
            conn: c,
            kind,
            from,
            requests,
        });
    }
    FollowUps {
        own,
        list,
        went_further,
    }
}

/// The phone went on past the handshake (it sent application data and no
/// fatal alert): the server could answer it, a redirect for one.
fn went_on(w: &Conn<'_>) -> bool {
    let refused = w.alerts.iter().any(|a| a.1 && a.2 == 2);
    w.cert_accepted() || w.app_data[0] && !refused
}

/// A server the DHCP scope named (by address, name, SNI or a request's
/// Host header): local-config's, never a follow-up.
fn named(ctx: &Ctx<'_>, t: &Targets, c: &Conn<'_>, hosts: &[String]) -> bool {
    let ip = c.server.ip();
    let sni = c.sni.as_deref().map(str::to_ascii_lowercase);
    t.ips.contains(&ip)
        || ctx.names.any_name(&ip, |n| t.hosts.contains(n))
        || sni.is_some_and(|s| t.hosts.contains(&s))
        || hosts.iter().any(|h| t.hosts.contains(h))
}

/// The frames of the phone's HTTP requests on follow-up connections: the
/// stage that sent the phone there judges them, not local-config.
pub(super) fn request_frames(follow: &FollowUps<'_, '_>) -> HashSet<u64> {
    (follow.list.iter())
        .flat_map(|f| f.requests.iter())
        .filter_map(|&i| follow.own.get(i).map(|r| r.frame))
        .collect()
}

/// The outcomes of the follow-ups of `kind`, each by its first frame.
pub(super) fn outcomes(
    ctx: &Ctx<'_>,
    follow: &FollowUps<'_, '_>,
    kind: Kind,
    clock: impl Fn(&Conn<'_>) -> bool,
    web_ok: bool,
) -> Vec<(u64, Outcome)> {
    if follow.went_further {
        return Vec::new();
    }
    let mine: Vec<&FollowUp<'_, '_>> = follow.list.iter().filter(|f| f.kind == kind).collect();
    // (Built once: an exchange in clear looks its answer up here.)
    let answers = match mine.iter().any(|f| !f.requests.is_empty()) {
        true => Answers::of(&follow.own),
        false => Answers::default(),
    };
    (mine.iter())
        .filter_map(|f| outcome(ctx, (f, &follow.own, &answers), clock(f.conn), web_ok))
        .collect()
}

/// A follow-up connection's outcome, as the stage's own connections are
/// judged, with where the phone went and from where: by its first frame.
fn outcome(
    ctx: &Ctx<'_>,
    (f, own, answers): (&FollowUp<'_, '_>, &[&Fact], &Answers),
    clock_ok: bool,
    web_ok: bool,
) -> Option<(u64, Outcome)> {
    let c = f.conn;
    // (The exchange in clear gives its own advice on the location.)
    let (o, in_clear) = match tcp_outcome(ctx, c, false, web_ok) {
        Some(o) => (o, false),
        None => match clear(f, own, answers) {
            Some(o) => (o, true),
            None if c.hello.is_some() => {
                let port = c.server.port();
                (tls_outcome(ctx, c, f.kind, clock_ok, port), false)
            }
            None => return None,
        },
    };
    let to = (c.sni.clone())
        .or_else(|| {
            f.requests
                .iter()
                .filter_map(|&i| own.get(i))
                .find_map(|r| host(r))
        })
        .unwrap_or_else(|| server_name(ctx, c, Kind::Other));
    let from = (f.from.sni.clone()).unwrap_or_else(|| server_name(ctx, f.from, f.kind));
    let advice = (o.advice.clone()).map(|a| match in_clear {
        true => format!(
            "{to} is where {from} sent the phone (a redirect, or a profile rule) and it {a}"
        ),
        false => format!(
            "{to} is where {from} sent the phone (a redirect, or a profile rule): {a}; or \
             correct that location if {to} is not meant to serve the phone"
        ),
    });
    let summary = format!("{to}, where {from} sent the phone: {}", o.summary);
    Some((
        c.first.frame,
        Outcome {
            summary,
            advice,
            ..o
        },
    ))
}

/// The HTTP exchange in clear on a follow-up connection: its last profile
/// request (else its last request) and the answer.
fn clear(f: &FollowUp<'_, '_>, own: &[&Fact], answers: &Answers) -> Option<Outcome> {
    let c = f.conn;
    let target = |f: &Fact| match &f.body {
        Body::Http(HttpMessage::Request { target, .. }) => target.clone(),
        _ => String::new(),
    };
    let profile = |i: &&usize| own.get(**i).is_some_and(|r| is_profile_file(&target(r)));
    let at = *(f.requests.iter().rev().find(profile)).or(f.requests.last())?;
    let request = *own.get(at)?;
    let server = host(request).unwrap_or_else(|| c.server.to_string());
    let asked = format!("HTTP GET {} from {server} (in clear)", target(request));
    let mut evidence = vec![ev(request, asked.clone())];
    let Some(e) = exchange(own, answers, at) else {
        let summary = format!("{asked}: no response in the capture");
        return Some(judged(Status::NotSeen, summary, None, evidence));
    };
    let code = format!("{} {}", e.status, e.reason);
    evidence.push(ev(e.response, code.clone()));
    let (status, summary, advice) = match (e.status, e.cut, e.html) {
        (200..=299, Some((cut, Cut::Close)), _) => {
            evidence.push(ev(cut, "the connection closed before the body's end"));
            let advice = "cuts the profile short: check that server and the path (Webex \
                          provisioning normally runs over HTTPS)"
                .to_string();
            let summary = format!("{asked}: {code}, but the connection closed before its end");
            (Status::Fail, summary, Some(advice))
        }
        (200..=299, Some((cut, Cut::CaptureEnd)), _) => {
            evidence.push(ev(cut, "the capture ends before the body's end"));
            let summary = format!("{asked}: {code}, the capture ends during the profile");
            (Status::NotSeen, summary, None)
        }
        (200..=299, None, Some(html)) => {
            evidence.push(ev(html, "the body is a web page (HTML)"));
            let advice = "answers with a web page (a portal, a login or default page), not a \
                          profile: point the phone at the real profile"
                .to_string();
            let summary = format!("{asked}: {code}, but the body is a web page (HTML)");
            (Status::Fail, summary, Some(advice))
        }
        (200..=299 | 304, None, _) => (Status::Pass, format!("{asked}: {code}"), None),
        (300..=399, _, _) => {
            let to = e.location.as_deref().unwrap_or("elsewhere");
            (Status::NotSeen, format!("{asked}: {code} to {to}"), None)
        }
        _ => {
            let advice = format!(
                "answered {code} for {}: the phone got no profile there; put the \
                 profile at that location, or correct the location the phone is given (Webex \
                 provisioning normally runs over HTTPS)",
                target(request)
            );
            (Status::Fail, format!("{asked}: {code}"), Some(advice))
        }
    };
    Some(judged(status, summary, advice, evidence))
}

fn judged(
    status: Status,
    summary: String,
    advice: Option<String>,
    evidence: Vec<crate::verdict::Evidence>,
) -> Outcome {
    Outcome {
        status,
        summary,
        advice,
        evidence,
        hidden: false,
        astray: false,
    }
}
