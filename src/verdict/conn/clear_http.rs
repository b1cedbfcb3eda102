//! Provisioning over HTTP in clear: a profile rule of `http://` sends the
//! phone to cisco.sipflash.com (by its Host header, or an address that name
//! resolved to) on plain HTTP. There is no handshake to judge, but the
//! exchange itself shows: the response's status says whether the phone got
//! its profile. Judged only when no TLS with the provisioning server was
//! seen, and not for a server the DHCP scope named (that is local-config).
//!
//! The profile's request decides (a firmware file asked after it does not);
//! a 304 keeps the phone's copy; a redirect is followed to the request the
//! phone made where it pointed; a body the close cut short is no profile.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use crate::fact::{Body, Fact};
use crate::phone::names::is_provisioning_name;
use crate::proto::http::{Cut, HttpMessage};
use crate::verdict::local::{host_of, Targets};
use crate::verdict::{ev, Ctx, Evidence, Stage, StageResult, Status};

/// The host a request names (Host header without its port), lowercase.
fn host(f: &Fact) -> Option<String> {
    let Body::Http(HttpMessage::Request { host: Some(h), .. }) = &f.body else {
        return None;
    };
    Some(host_of(h).to_ascii_lowercase())
}

/// An HTTP request of the phone to the provisioning server: by its Host
/// header, or an address the provisioning name resolved to.
pub(super) fn asks_provisioning(ctx: &Ctx<'_>, f: &Fact) -> bool {
    matches!(f.body, Body::Http(HttpMessage::Request { .. }))
        && ctx.is_phone(&f.src_ip())
        && (host(f).as_deref().is_some_and(is_provisioning_name)
            || ctx.names.any_name(&f.dst_ip(), is_provisioning_name))
}

/// A GET of the phone to the provisioning server in clear that the scope
/// did not name.
fn to_provisioning(ctx: &Ctx<'_>, t: &Targets, f: &Fact) -> bool {
    let Body::Http(HttpMessage::Request { method, .. }) = &f.body else {
        return false;
    };
    let named = t.ips.contains(&f.dst_ip()) || host(f).is_some_and(|n| t.hosts.contains(&n));
    method == "GET" && !named && asks_provisioning(ctx, f)
}

/// One request and what answered it.
pub(super) struct Exchange<'a> {
    request: &'a Fact,
    pub(super) status: u16,
    pub(super) reason: String,
    pub(super) location: Option<String>,
    pub(super) response: &'a Fact,
    /// The body never ended: the close (or the capture's end) cut it.
    pub(super) cut: Option<(&'a Fact, Cut)>,
    /// The 2xx body begins like an HTML document: a web page.
    pub(super) html: Option<&'a Fact>,
}

/// The positions (in the phone's facts) of the final HTTP responses and of
/// the bodies cut short, by (server, client) sockets: each request looks
/// its answer up instead of walking the facts after it (thousands of
/// unanswered requests would make that quadratic).
#[derive(Default)]
pub(super) struct Answers {
    finals: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    cuts: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    html: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    /// Holes in the server's stream (lost, or cut by the snaplen).
    gaps: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
}

impl Answers {
    pub(super) fn of(own: &[&Fact]) -> Self {
        let mut a = Answers::default();
        for (i, f) in own.iter().enumerate() {
            match &f.body {
                Body::Http(m) if m.is_final_response() => {
                    a.finals.entry((f.src, f.dst)).or_default().push(i);
                }
                Body::Http(HttpMessage::Unfinished { .. }) => {
                    a.cuts.entry((f.src, f.dst)).or_default().push(i);
                }
                Body::Http(HttpMessage::HtmlBody) => {
                    a.html.entry((f.src, f.dst)).or_default().push(i);
                }
                Body::Malformed {
                    of: "http" | "http_acked" | "http_cut",
                    ..
                } => a.gaps.entry((f.src, f.dst)).or_default().push(i),
                _ => {}
            }
        }
        a
    }

    /// The first position in `list` of the pair after `at`.
    fn after(
        list: &HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
        key: (SocketAddr, SocketAddr),
        at: usize,
    ) -> Option<usize> {
        let found = list.get(&key)?;
        found.get(found.partition_point(|&i| i <= at)).copied()
    }
}

/// A hole in the server's stream between the request at `at` and the
/// first final response after it: the answer may be in it (a response
/// after the hole may answer a later request on the connection).
fn hidden<'a>(own: &[&'a Fact], answers: &Answers, at: usize) -> Option<&'a Fact> {
    let request = *own.get(at)?;
    let key = (request.dst, request.src);
    let gap = Answers::after(&answers.gaps, key, at)?;
    let next = Answers::after(&answers.finals, key, at).unwrap_or(usize::MAX);
    (gap < next).then(|| own.get(gap).copied()).flatten()
}

/// The first final response to `request` on its connection after it, and
/// a cut that followed that response.
pub(super) fn exchange<'a>(
    own: &[&'a Fact],
    answers: &Answers,
    at: usize,
) -> Option<Exchange<'a>> {
    let request = *own.get(at)?;
    let key = (request.dst, request.src);
    let pos = Answers::after(&answers.finals, key, at)?;
    let response = *own.get(pos)?;
    let Body::Http(HttpMessage::Response {
        status,
        reason,
        location,
        ..
    }) = &response.body
    else {
        return None;
    };
    let cut = (Answers::after(&answers.cuts, key, pos))
        .and_then(|i| own.get(i).copied())
        .and_then(|c| match &c.body {
            Body::Http(HttpMessage::Unfinished { by, .. }) => Some((c, *by)),
            _ => None,
        });
    // The body's start comes before the connection's next response.
    let next = Answers::after(&answers.finals, key, pos).unwrap_or(usize::MAX);
    let html = (Answers::after(&answers.html, key, pos))
        .filter(|&i| i < next)
        .and_then(|i| own.get(i).copied());
    Some(Exchange {
        html,
        request,
        status: *status,
        reason: reason.clone(),
        location: location.clone(),
        response,
        cut,
    })
}

/// The requests the provisioning stage judges (by frame), so that
/// local-config leaves them alone: the GETs to the provisioning server in
/// clear, and those that followed its redirects.
pub(crate) fn requests(ctx: &Ctx<'_>, t: &Targets) -> HashSet<u64> {
    let own: Vec<&Fact> = ctx.own().collect();
    let answers = Answers::of(&own);
    let mut out = HashSet::new();
    // Each host a redirect pointed to, from the first such redirect's frame.
    let mut redirected: HashMap<String, u64> = HashMap::new();
    for (i, f) in own.iter().enumerate() {
        let followed = host(f)
            .and_then(|h| redirected.get(&h).copied())
            .is_some_and(|after| f.frame > after);
        if !to_provisioning(ctx, t, f) && !followed {
            continue;
        }
        out.insert(f.frame);
        if let Some(e) = exchange(&own, &answers, i) {
            if let Some(to) = e.location.as_deref().and_then(location_host) {
                let first = redirected.entry(to).or_insert(e.response.frame);
                *first = (*first).min(e.response.frame);
            }
        }
    }
    out
}

/// The host of a redirect's Location, lowercase.
fn location_host(url: &str) -> Option<String> {
    url.contains("://")
        .then(|| host_of(url).to_ascii_lowercase())
}

/// The stage from the phone's last profile GET to the provisioning server
/// in clear (any GET when none asks for a profile), if there was one.
pub(super) fn provisioning(ctx: &Ctx<'_>) -> Option<StageResult> {
    let t = crate::verdict::local::targets(ctx);
    let own: Vec<&Fact> = ctx.own().collect();
    let answers = Answers::of(&own);
    let judged = requests(ctx, &t);
    let gets: Vec<usize> = (0..own.len())
        .filter(|&i| own.get(i).is_some_and(|f| judged.contains(&f.frame)))
        .collect();
    let target = |i: &usize| match own.get(*i).map(|f| &f.body) {
        Some(Body::Http(HttpMessage::Request { target, .. })) => target.clone(),
        _ => String::new(),
    };
    let profiles: Vec<usize> = (gets.iter().copied())
        .filter(|i| crate::phone::is_profile_file(&target(i)))
        .collect();
    let decides = *profiles.last().or(gets.last())?;
    let mut evidence: Vec<Evidence> = Vec::new();
    // A redirect is followed: the request after it where it pointed
    // decides (one hop; the evidence keeps the redirect).
    let mut at = decides;
    let mut e = None;
    let mut gap = None;
    for _ in 0..MAX_REDIRECTS {
        gap = hidden(&own, &answers, at);
        if gap.is_some() {
            break;
        }
        let Some(x) = exchange(&own, &answers, at) else {
            break;
        };
        let to = x.location.as_deref().and_then(location_host);
        let next = to.and_then(|to| {
            (at + 1..own.len()).find(|&j| {
                own.get(j)
                    .is_some_and(|f| judged.contains(&f.frame) && host(f) == Some(to.clone()))
            })
        });
        match (x.status, next) {
            (300..=399, Some(j)) => {
                evidence.push(ev(x.request, request_text(x.request)));
                evidence.push(ev(x.response, format!("{} {}", x.status, x.reason)));
                at = j;
            }
            _ => {
                e = Some(x);
                break;
            }
        }
    }
    let request = own.get(at).copied()?;
    let asked = request_text(request);
    evidence.push(ev(request, asked.clone()));
    if let Some(g) = gap {
        evidence.push(ev(g, "bytes missing from the server's stream"));
        let summary = format!(
            "{asked}: can't tell: the capture lacks bytes of {}'s answers from #{} (lost, or \
             cut by the snaplen)",
            host(request).unwrap_or_else(|| request.dst.to_string()),
            g.frame
        );
        return Some(StageResult::not_seen(Stage::Provisioning, summary).evidence(evidence));
    }
    let Some(e) = e else {
        let summary = format!("{asked}: no response in the capture");
        return Some(StageResult::not_seen(Stage::Provisioning, summary).evidence(evidence));
    };
    let code = format!("{} {}", e.status, e.reason);
    evidence.push(ev(e.response, code.clone()));
    let stage = |status, summary: String| StageResult::new(Stage::Provisioning, status, summary);
    let result = match (e.status, e.cut) {
        (200..=299, Some((c, Cut::Close))) => {
            evidence.push(ev(c, "the connection closed before the body's end"));
            stage(
                Status::Fail,
                format!("{asked}: {code}, but the connection closed before the profile's end"),
            )
            .advice(
                "the provisioning server (or what is on the path) cuts the profile short: check \
                 it and the path; Webex provisioning normally runs over HTTPS",
            )
        }
        (200..=299, Some((c, Cut::CaptureEnd))) => {
            evidence.push(ev(c, "the capture ends before the body's end"));
            let s = format!("{asked}: {code}, the capture ends during the profile");
            StageResult::not_seen(Stage::Provisioning, s)
        }
        (200..=299, None) if e.html.is_some() => {
            if let Some(h) = e.html {
                evidence.push(ev(h, "the body is a web page (HTML)"));
            }
            stage(
                Status::Fail,
                format!("{asked}: {code}, but the body is a web page (HTML), not a profile"),
            )
            .advice(
                "the phone got a web page instead of its profile: a captive portal, a login page \
                 or a proxy answers for the provisioning server; let the phones' traffic to \
                 cisco.sipflash.com through without it",
            )
        }
        (200..=299, None) => stage(Status::Pass, format!("{asked}: {code}")),
        (304, _) => stage(
            Status::Pass,
            format!("{asked}: {code}: the profile is unchanged and the phone keeps its copy"),
        ),
        (300..=399, _) => {
            let to = e.location.as_deref().unwrap_or("elsewhere");
            let s = format!("{asked}: {code} to {to}; the capture shows no request there");
            StageResult::not_seen(Stage::Provisioning, s)
        }
        // Plain HTTP to HTTPS's port: the server wants TLS there (nginx
        // answers 400, 'The plain HTTP request was sent to HTTPS port').
        (400, _) if request.dst.port() == HTTPS_PORT => {
            stage(Status::Fail, format!("{asked}: {code}")).advice(format!(
                "the phone spoke plain HTTP to port {HTTPS_PORT} of {}, where the server \
                 expects TLS: use https:// in the profile rule or option 160 (an http:// URL \
                 with :443 does this)",
                host(request).unwrap_or_else(|| request.dst.to_string()),
            ))
        }
        _ => stage(Status::Fail, format!("{asked}: {code}")).advice(format!(
            "{} answered {code} for {}: the phone got no profile; check the profile rule the \
             phone was given (its path) and that the device is added in Control Hub; Webex \
             provisioning normally runs over HTTPS",
            host(request).unwrap_or_else(|| request.dst.to_string()),
            target(&at)
        )),
    };
    Some(result.evidence(evidence))
}

/// HTTPS's port (RFC 9110 4.2.2).
const HTTPS_PORT: u16 = 443;

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 4;

fn request_text(f: &Fact) -> String {
    match &f.body {
        Body::Http(HttpMessage::Request { target, host, .. }) => {
            let server = host.clone().unwrap_or_else(|| f.dst.to_string());
            format!("HTTP GET {target} from {server} (in clear)")
        }
        _ => "HTTP request".to_string(),
    }
}
