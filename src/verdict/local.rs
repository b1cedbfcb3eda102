//! Stage `local-config`: the phone fetching a profile from a local server
//! (TFTP RRQ, HTTP GET, or HTTPS to a host named by option 159/160, or a TCP
//! connection to it that failed), and what came of it. Any such fetch is a
//! problem for a Webex phone: a profile taken (Webex will never be reached),
//! not found, or no answer (stuck). The last fetch decides, but a profile
//! taken stays taken (a later miss of the same file is said after it). An
//! absolute-form GET to another host went through an HTTP proxy, which is
//! named; an answer the capture lost (bytes the phone acknowledged) or a
//! body it lacks bytes of that the phone never acknowledged is can't tell.
//! HTTPS is judged as the activation and provisioning downloads are
//! (`conn::local_tls`): a failed handshake got no profile, a completed one
//! hides its answer (never a profile seen). A fetch from a server the
//! scope did not name, once the phone has been through activation or
//! provisioning, is where that service sent it: those stages judge it
//! (`conn/follow.rs`), not this one.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::{Body, Fact};
use crate::phone::names::{is_activation_name, is_provisioning_name};
use crate::proto::dns::{rcode_name, RData};
use crate::proto::http::{Cut, HttpMessage};
use crate::proto::tls::TlsEvent;

/// Provisioning servers the DHCP scope named, as addresses and host names.
#[derive(Default)]
pub struct Targets {
    pub ips: BTreeSet<IpAddr>,
    pub hosts: BTreeSet<String>,
    /// TCP ports the URLs name (80 for http, 443 for https, or their own).
    pub ports: BTreeSet<u16>,
}

impl Targets {
    /// The server of a URL or `host[:port]`, as an address or a host name.
    fn add(&mut self, url: &str) {
        let port = url_port(url);
        self.ports.extend(port);
        let host = host_of(url);
        match host.parse::<IpAddr>() {
            Ok(ip) => {
                self.ips.insert(ip);
            }
            Err(_) if !host.is_empty() => {
                self.hosts.insert(host.to_ascii_lowercase());
            }
            Err(_) => {}
        }
    }
}

/// Servers from options 66 / 150 / 159 / 160 (and 43 / 125) offered to the phone.
pub fn targets(ctx: &Ctx<'_>) -> Targets {
    let mut t = Targets::default();
    for f in ctx.own() {
        let Body::Dhcp(m) = &f.body else { continue };
        if m.op != 2 || Some(m.chaddr) != ctx.phone.mac {
            continue;
        }
        for (_, value) in m.provisioning_options() {
            // A Cisco profile rule's options before its URL ("[--uid u --pwd
            // p]http://..."): not servers.
            let value = match value.trim_start().strip_prefix('[') {
                Some(rest) => rest.split_once(']').map_or(rest, |(_, url)| url),
                None => value.as_str(),
            };
            // (Its user information goes first: a password may hold a comma.)
            let value = without_userinfo(value);
            for piece in value.split([',', ' ']).filter(|p| !p.is_empty()) {
                t.add(piece);
            }
        }
    }
    t
}

/// The servers the DHCP scope named, with those their redirects name.
pub(crate) fn named(ctx: &Ctx<'_>) -> Targets {
    let mut t = targets(ctx);
    follow_redirects(ctx, &mut t);
    t
}

/// A named server that redirects the phone (HTTP 3xx with a Location) names
/// the next one: a profile fetched there came from the scope's option too.
fn follow_redirects(ctx: &Ctx<'_>, t: &mut Targets) {
    for f in ctx.own() {
        let Body::Http(HttpMessage::Response {
            status: 300..=399,
            location: Some(location),
            ..
        }) = &f.body
        else {
            continue;
        };
        let from = f.src_ip();
        let named = t.ips.contains(&from) || ctx.names.any_name(&from, |n| t.hosts.contains(n));
        // A redirect to Webex's own activation or provisioning sends the
        // phone where it belongs: those stages judge what follows.
        let host = host_of(location).to_ascii_lowercase();
        let webex = is_activation_name(&host) || is_provisioning_name(&host);
        if named && !webex && ctx.is_phone(&f.dst_ip()) {
            t.add(location);
        }
    }
}

/// The TCP port of an http(s) URL: its own, or the scheme's.
fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let hostport = authority_host(rest.split(['/', '?', '#']).next().unwrap_or(""));
    let own = (hostport.rsplit_once(':'))
        .filter(|(h, _)| !h.contains(':') || h.ends_with(']'))
        .and_then(|(_, p)| p.parse().ok());
    match scheme.to_ascii_lowercase().as_str() {
        "http" => Some(own.unwrap_or(80)),
        "https" => Some(own.unwrap_or(443)),
        _ => None,
    }
}

/// `text` with every URL's user information left out (`http://u:p@h/` is
/// `http://h/`): whatever the password holds, the server stays readable.
pub(crate) fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail.find('/').unwrap_or(tail.len());
        let authority = tail.get(..authority_end).unwrap_or(tail);
        rest = match authority.rfind('@') {
            Some(userinfo_end) => tail.get(userinfo_end + 1..).unwrap_or(""),
            None => tail,
        };
    }
    out.push_str(rest);
    out
}

/// An authority without its user information (`user:password@`, RFC 3986
/// 3.2.1): `host[:port]`.
fn authority_host(authority: &str) -> &str {
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

/// Host part of a URL or `host[:port]`.
pub(super) fn host_of(s: &str) -> String {
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    let hostport = authority_host(rest.split(['/', '?', '#']).next().unwrap_or(""));
    let host = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => hostport,
    };
    host.trim_matches(['[', ']']).to_string()
}

/// The result of one profile fetch.
pub(super) enum Outcome {
    Fetched(String),
    NotFound(String),
    /// A 2xx whose body is an HTML page (a portal's or a default page).
    WebPage(String),
    NoAnswer(String),
    /// HTTPS whose handshake failed (or whose server gave no answer): why,
    /// and the TLS judgement's advice for the server.
    Refused(String, String),
    /// HTTPS completed: the answer is encrypted (why, in a few words).
    Hidden(String),
    /// The capture ends first: why, in a few words.
    Pending(String),
}

/// Stage `local-config`; `follow_ups` are the frames of HTTP requests the
/// activation and provisioning stages judge (`conn/follow.rs`).
pub fn local_config(ctx: &Ctx<'_>, follow_ups: &HashSet<u64>) -> StageResult {
    let targets = named(ctx);
    let mut attempts: Vec<(Outcome, String, Vec<Evidence>)> = Vec::new();
    super::tftp::attempts(ctx, &mut attempts);
    http_attempts(ctx, &targets, follow_ups, &mut attempts);
    https_attempts(ctx, &targets, &mut attempts);
    connect_attempts(ctx, &targets, &mut attempts);
    // In time order: the last attempt decides.
    attempts.sort_by_key(|a| a.2.first().map_or(0, |e| e.frame));
    if attempts.is_empty() {
        lookup_attempts(ctx, &targets, &mut attempts);
        super::local_arp::unreached(ctx, &targets.ips, &mut attempts);
    }
    let Some(mut last) = attempts.last() else {
        return StageResult::not_seen(Stage::LocalConfig, "no profile fetch from a local server");
    };
    // A profile taken stays taken: a later miss of another file (an optional
    // second profile, a firmware file) or a later fetch of the same one that
    // got nothing (a resync) does not undo it; the later fetch is said.
    let mut later = None;
    if !matches!(last.0, Outcome::Fetched(_)) {
        let taken = attempts
            .iter()
            .rev()
            .find(|a| matches!(a.0, Outcome::Fetched(_)) && !std::ptr::eq(*a, last));
        if let Some(taken) = taken {
            // (Said for the same file fetched again; another file missing
            // is an optional one.)
            let file = |what: &str| what.split(" from ").next().map(str::to_string);
            let again = file(&taken.1) == file(&last.1);
            if let Outcome::NoAnswer(r) | Outcome::NotFound(r) | Outcome::WebPage(r) = &last.0 {
                later = again.then(|| format!("; later, {}: {r}", last.1));
            }
            last = taken;
        }
    }
    let mut evidence: Vec<Evidence> = attempts.iter().flat_map(|a| a.2.clone()).collect();
    evidence.sort_by_key(|e| e.frame);
    let what = &last.1;
    let (status, summary, advice) = match &last.0 {
        Outcome::Fetched(r) => (
            Status::Fail,
            format!("{what}: {r}{}", later.unwrap_or_default()),
            "the phone took a local profile and will never reach Webex activation: remove the \
             DHCP provisioning option (or the profile), then factory-reset the phone"
                .to_string(),
        ),
        Outcome::NotFound(r) if denied(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the local server holds the file but refuses to read it out (its permissions: \
             tftpd serves only files its user may read): remove option 150/66/159/160 from the \
             scope so the phone goes to Webex, or make the file readable if a local profile is \
             meant"
                .to_string(),
        ),
        Outcome::NotFound(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the scope still points the phone at a local server that has no profile for it \
             (a leftover on-prem TFTP/HTTP): remove option 150/66/159/160 from the scope"
                .to_string(),
        ),
        Outcome::WebPage(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the provisioning URL from DHCP answers with a web page (a captive portal, a \
             login page or the web server's default page), not a profile: remove option \
             160/159/66/150 from the scope, or point it at a real profile"
                .to_string(),
        ),
        Outcome::NoAnswer(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the phone gets no profile from the provisioning server it was given (no answer, \
             or a transfer that never completes): remove the DHCP provisioning option so it \
             goes to Webex activation"
                .to_string(),
        ),
        Outcome::Refused(r, tls) => (
            Status::Fail,
            format!("{what}: {r}"),
            format!(
                "the phone got no profile over HTTPS from the server DHCP named: remove option \
                 159/160 from the scope so it goes to Webex activation (to keep the local \
                 profile, fix the server instead: {tls})"
            ),
        ),
        Outcome::Hidden(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the phone fetches its profile over HTTPS from the server DHCP named, and TLS hides \
             whether one came (the server's access log tells): remove option 159/160 from the \
             scope, then factory-reset the phone so it goes to Webex activation"
                .to_string(),
        ),
        Outcome::Pending(r) => {
            let s = format!("{what}: {r}");
            return StageResult::not_seen(Stage::LocalConfig, s).evidence(evidence);
        }
    };
    // The server came in the ACK's BOOTP fields, not in an option.
    let boot = super::dhcp::boot_server(ctx)
        .filter(|b| what.ends_with(&format!(" from {}", b.next_server)));
    let advice = match (boot, &last.0) {
        (Some(b), Outcome::Fetched(_)) => format!(
            "the phone took a local profile from the ACK's {} and will never reach Webex \
             activation: remove them from the scope ({}), then factory-reset the phone",
            b.text(),
            super::dhcp::BootServer::WHERE
        ),
        (Some(b), _) => format!(
            "the ACK's {} send the phone to a local server: remove them from the scope ({})",
            b.text(),
            super::dhcp::BootServer::WHERE
        ),
        // Not from the scope: the phone may follow a profile rule it kept.
        (None, outcome) => {
            use super::local_rule::Result;
            let result = match outcome {
                Outcome::Fetched(_) => Result::Taken,
                Outcome::NotFound(r) if denied(r) => Result::Refused,
                Outcome::NotFound(_) => Result::Missing,
                Outcome::WebPage(_) => Result::WebPage,
                Outcome::NoAnswer(_) | Outcome::Pending(_) => Result::Nothing,
                Outcome::Refused(..) => Result::HttpsFailed,
                Outcome::Hidden(_) => Result::Hidden,
            };
            let server = super::local_rule::server(ctx, &last.2);
            let origin = super::local_rule::origin(ctx);
            super::local_rule::advice(origin, result, server.as_deref(), advice)
        }
    };
    StageResult::new(Stage::LocalConfig, status, summary)
        .advice(advice)
        .evidence(evidence)
}

/// A TFTP ERROR that says access was refused: code 2, access violation
/// (RFC 1350), or a message naming permission (tftpd-hpa sends code 0
/// "Permission denied").
fn denied(reason: &str) -> bool {
    let lower = reason.to_ascii_lowercase();
    reason.starts_with("ERROR 2 ") || lower.contains("permission") || lower.contains("access")
}

/// (phone socket, server socket) of connections whose server bytes are
/// missing from the capture: a hole in the server's stream (`tail` false),
/// or the phone closing having acknowledged bytes past the last captured
/// (`tail` true: the tail the capture lacks reached it).
fn answers_unseen(own: &[&Fact], tail: bool) -> HashSet<(SocketAddr, SocketAddr)> {
    (own.iter())
        .filter_map(|c| match c.body {
            Body::Malformed {
                of: "http" | "http_acked" | "http_cut",
                ..
            } if !tail => Some((c.dst, c.src)),
            Body::Closed {
                peer_unseen: true, ..
            } => Some((c.src, c.dst)),
            _ => None,
        })
        .collect()
}

/// HTTP GETs of a profile and their status.
fn http_attempts(
    ctx: &Ctx<'_>,
    t: &Targets,
    follow_ups: &HashSet<u64>,
    out: &mut Vec<(Outcome, String, Vec<Evidence>)>,
) {
    let own: Vec<&Fact> = ctx.own().collect();
    let mut provisioning = super::conn::clear_http::requests(ctx, t);
    // Where activation or provisioning sent the phone on: theirs.
    provisioning.extend(follow_ups);
    let unseen = answers_unseen(&own, false);
    let tail_acked = answers_unseen(&own, true);
    // Positions of the responses of each (server, client) socket pair: the
    // first after a request is a lookup, not a scan of every later fact.
    let mut responses: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::new();
    for (i, r) in own.iter().enumerate() {
        // Interim 1xx answers (100 Continue, 103 Early Hints) are passed over.
        let kept = match &r.body {
            Body::Http(m @ HttpMessage::Response { .. }) => m.is_final_response(),
            Body::Http(HttpMessage::Unfinished { .. } | HttpMessage::HtmlBody) => true,
            // A hole in the server's stream: in the body it falls in.
            Body::Malformed {
                of: "http" | "http_cut",
                ..
            } => true,
            _ => false,
        };
        if kept {
            responses.entry((r.src, r.dst)).or_default().push(i);
        }
    }
    for (i, f) in own.iter().enumerate() {
        let Body::Http(HttpMessage::Request {
            method,
            target,
            host,
            ..
        }) = &f.body
        else {
            continue;
        };
        // A profile by its name, or anything asked of the server the scope
        // named (an option 160 URL such as http://host/profiles/$MA).
        let named = t.ips.contains(&f.dst_ip())
            || host
                .as_deref()
                .is_some_and(|h| t.hosts.contains(&host_of(h)))
            || ctx.names.any_name(&f.dst_ip(), |n| t.hosts.contains(n));
        // A URL naming the phone's own MAC ($MA) is its profile too.
        let own_mac = ctx.phone.mac.is_some_and(|m| {
            let hex: String = m.iter().map(|b| format!("{b:02x}")).collect();
            target.to_ascii_lowercase().contains(&hex)
        });
        // The Webex provisioning server in clear is the provisioning stage
        // (a profile rule of http://, and its redirects), unless the scope
        // named it.
        if provisioning.contains(&f.frame) {
            continue;
        }
        let profile = named || own_mac || crate::phone::is_profile_file(target);
        // A HEAD asks whether the profile changed and fetches nothing.
        if !ctx.is_phone(&f.src_ip()) || !profile || method == "HEAD" {
            continue;
        }
        // An absolute URL is asked of an HTTP proxy (RFC 9112 3.2.2), which
        // answers in the server's place.
        // (Not when the URL names the server it was sent to, which may take
        // the absolute form too: RFC 9112 3.2.2.)
        let absolute = ["http://", "https://"]
            .iter()
            .any(|s| (target.get(..s.len())).is_some_and(|p| p.eq_ignore_ascii_case(s)));
        let url_host = host_of(target);
        let to_origin = url_host.parse::<IpAddr>().ok() == Some(f.dst_ip())
            || ctx
                .names
                .any_name(&f.dst_ip(), |n| n.eq_ignore_ascii_case(&url_host));
        let proxied = absolute && !to_origin;
        let what = match proxied {
            true => format!("HTTP {method} {target} through the HTTP proxy {}", f.dst),
            false => {
                let server = host.clone().unwrap_or_else(|| f.dst.to_string());
                format!("HTTP {method} {target} from {server}")
            }
        };
        let mut evidence = vec![ev(f, what.clone())];
        let after: &[usize] = responses.get(&(f.dst, f.src)).map_or(&[], |at| {
            at.get(at.partition_point(|&j| j <= i)..)
                .unwrap_or_default()
        });
        // The response, then what its body was: an HTML page, and the close
        // that cut it short if one did (both before any next response).
        let body: Vec<&Fact> = after
            .get(1..)
            .unwrap_or_default()
            .iter()
            .filter_map(|&j| own.get(j).copied())
            .take_while(|c| !matches!(&c.body, Body::Http(m) if m.is_final_response()))
            .collect();
        let unfinished = body.iter().find_map(|c| match &c.body {
            Body::Http(HttpMessage::Unfinished { missing_bytes, by }) => {
                Some((*c, *missing_bytes, *by))
            }
            _ => None,
        });
        let html = body
            .iter()
            .find(|c| matches!(c.body, Body::Http(HttpMessage::HtmlBody)));
        // Bytes of this body the phone never acknowledged are missing.
        let lacks = body
            .iter()
            .any(|c| matches!(c.body, Body::Malformed { of: "http", .. }));
        // Or the snaplen cut it where its end cannot be counted (chunked).
        let cut = body
            .iter()
            .any(|c| matches!(c.body, Body::Malformed { of: "http_cut", .. }));
        let resp = after
            .first()
            .and_then(|&j| own.get(j))
            .and_then(|r| match &r.body {
                Body::Http(HttpMessage::Response {
                    status,
                    reason,
                    location,
                    content_length,
                    version,
                    ..
                }) => {
                    // HTTP/1.0 without a length: the body is read to the
                    // close (HTTP/1.1 ones are chunked, and end on their own).
                    let to_close = content_length.is_none() && version == "HTTP/1.0";
                    let empty = *content_length == Some(0);
                    Some((
                        *r,
                        *status,
                        reason.clone(),
                        location.clone(),
                        to_close,
                        empty,
                    ))
                }
                _ => None,
            });
        // A body without a length ends at the server's close: a reset
        // instead of a FIN leaves the phone without a whole profile.
        let reset = |r: &Fact| {
            own.get(after.first().map_or(own.len(), |&j| j + 1)..)
                .unwrap_or_default()
                .iter()
                .find(|c| {
                    c.src == r.src && c.dst == r.dst && matches!(c.body, Body::Closed { .. })
                })
                .filter(|c| matches!(c.body, Body::Closed { rst: true, .. }))
                .copied()
        };
        let outcome = match resp {
            Some((r, status, reason, location, to_close, empty)) => {
                let to = location
                    .as_ref()
                    .map_or(String::new(), |l| format!(" to {l}"));
                // A status line may lack its reason phrase (RFC 9112 4).
                let code = match reason.trim() {
                    "" => status.to_string(),
                    reason => format!("{status} {reason}"),
                };
                evidence.push(ev(r, format!("HTTP {code}{to}")));
                match (status, unfinished) {
                    // Content-Length: 0, or 204 No Content: an empty file
                    // is no profile.
                    (200..=299, _) if empty => Outcome::NotFound(format!(
                        "{code}, but the body is empty (Content-Length: 0): no profile"
                    )),
                    (204, _) => Outcome::NotFound(format!("{code}: no body, no profile")),
                    (200..=299, _) if html.is_some() => {
                        if let Some(h) = html {
                            evidence.push(ev(h, "the body begins an HTML page, not a profile"));
                        }
                        Outcome::WebPage(format!(
                            "{code}, but the body is an HTML page, not a profile"
                        ))
                    }
                    // The phone acknowledged the bytes the capture lacks:
                    // it has the whole body.
                    (200..=299, Some(_)) if tail_acked.contains(&(f.src, f.dst)) => {
                        Outcome::Fetched(format!(
                            "{code}: profile downloaded (the phone acknowledged the bytes the \
                             capture lacks)"
                        ))
                    }
                    (200..=299, Some((c, missing, by))) => {
                        let (text, outcome) = cut_profile(&code, missing, by);
                        // The phone's own close first: it gave up on a server
                        // still sending (too slow), the server did not break off.
                        // (After a wait: a quick close with bytes missing is
                        // more likely bytes the capture lost.)
                        let gave_up = own.iter().find(|x| {
                            x.frame > r.frame
                                && x.frame <= c.frame
                                && x.src == f.src
                                && matches!(x.body, Body::Closed { .. })
                                && f.ts.secs_until(&x.ts) >= GAVE_UP_SECS
                        });
                        match gave_up {
                            Some(g) => {
                                let secs = f.ts.secs_until(&g.ts);
                                let how = match g.body {
                                    Body::Closed { rst: true, .. } => "RST",
                                    _ => "FIN",
                                };
                                let text = format!(
                                    "the phone closed the connection ({how}) {secs:.1} s after \
                                     its GET, the server still sending"
                                );
                                evidence.push(ev(g, text.clone()));
                                Outcome::NoAnswer(format!(
                                    "{code}, but {text}: the server sends too slowly, no whole \
                                     profile"
                                ))
                            }
                            None => {
                                // Who closed first, and how.
                                let first = own.iter().find(|x| {
                                    x.frame > r.frame
                                        && (x.src == f.src || x.src == f.dst)
                                        && (x.dst == f.src || x.dst == f.dst)
                                        && matches!(x.body, Body::Closed { .. })
                                });
                                let (text, outcome) = match first.map(|x| &x.body) {
                                    Some(Body::Closed { rst, .. }) if by == Cut::Close => {
                                        let who = match first.is_some_and(|x| x.src == f.src) {
                                            true => "the phone",
                                            false => "the server",
                                        };
                                        let by = match rst {
                                            true => format!("{who} reset the connection (RST)"),
                                            false => format!("{who} closed the connection (FIN)"),
                                        };
                                        cut_profile_by(&code, missing, &by)
                                    }
                                    _ => (text, outcome),
                                };
                                evidence.push(ev(first.copied().unwrap_or(c), text));
                                outcome
                            }
                        }
                    }
                    (200..=299, None) => match to_close.then(|| reset(r)).flatten() {
                        Some(c) => {
                            let text = "the server reset the connection before the body's end \
                                        (no Content-Length: it ends at the close)";
                            evidence.push(ev(c, text));
                            Outcome::NoAnswer(format!("{code}, but {text}: no whole profile"))
                        }
                        // Bytes of the body missing from the capture that the
                        // phone never acknowledged: it may not have them.
                        None if cut && !lacks => Outcome::Pending(format!(
                            "{code}, but the capture's snaplen cut the body where its end \
                             cannot be counted: can't tell whether the profile came whole"
                        )),
                        None if lacks => Outcome::Pending(format!(
                            "{code}, but the capture lacks bytes of the body the phone \
                                 never acknowledged: can't tell whether the profile came whole"
                        )),
                        None => Outcome::Fetched(format!("{code}: profile downloaded")),
                    },
                    // The phone asked If-Modified-Since: it holds this
                    // profile already and keeps using it.
                    (304, _) => Outcome::Fetched(format!(
                        "{code}: the profile is unchanged and the phone keeps its cached copy"
                    )),
                    // A redirect says where it sends the phone; back to the
                    // URL asked, it is a loop.
                    (300..=399, _) => {
                        let to_itself = location.as_deref().is_some_and(|l| {
                            let path = match l.split_once("://") {
                                Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
                                None => l,
                            };
                            path == target.as_str()
                        });
                        let looped = match to_itself {
                            true => ": a redirect to the URL asked, a loop",
                            false => "",
                        };
                        Outcome::NotFound(format!("{code}{to}{looped}"))
                    }
                    _ => Outcome::NotFound(code),
                }
            }
            // The phone acknowledged server bytes the capture lacks: the
            // answer came, and the capture dropped it.
            None if unseen.contains(&(f.src, f.dst)) => Outcome::Pending(
                "the answer is not in the capture, which lacks bytes the phone acknowledged: \
                 can't tell"
                    .to_string(),
            ),
            None if ctx.secs_left(&f.ts) < 1.0 => {
                Outcome::Pending("the capture ends before the answer".to_string())
            }
            None => Outcome::NoAnswer("no HTTP response".to_string()),
        };
        out.push((outcome, what, evidence));
    }
}

/// Seconds after its GET from which the phone's own close of a profile
/// download still arriving is giving up on a slow server.
const GAVE_UP_SECS: f64 = 2.0;

/// A 2xx whose body a close cut, `by` saying who closed and how.
fn cut_profile_by(code: &str, missing: Option<u64>, by: &str) -> (String, Outcome) {
    let left = match missing {
        Some(n) => format!("{n} bytes of the profile"),
        None => "the chunked profile's last chunk".to_string(),
    };
    let text = format!("{by} with {left} unsent");
    let outcome = Outcome::NoAnswer(format!("{code}, but {text}: no whole profile"));
    (text, outcome)
}

/// A 2xx whose body never ended: the evidence's words and the outcome. Cut
/// by the close: no whole profile; by the capture's end: can't tell.
fn cut_profile(code: &str, missing: Option<u64>, by: Cut) -> (String, Outcome) {
    // No length: a chunked body (the close cuts only those), or at the
    // capture's end one read to the close.
    let left = match (missing, by) {
        (Some(n), _) => format!("{n} bytes of the profile"),
        (None, Cut::Close) => "the chunked profile's last chunk".to_string(),
        (None, Cut::CaptureEnd) => "the rest of the profile".to_string(),
    };
    match by {
        Cut::Close => {
            let text = format!("the connection closed with {left} unsent");
            let outcome = Outcome::NoAnswer(format!("{code}, but {text}: no whole profile"));
            (text, outcome)
        }
        Cut::CaptureEnd => {
            let text = format!("the capture ends with {left} still to come");
            let outcome = Outcome::Pending(format!("{code}, but {text}"));
            (text, outcome)
        }
    }
}

/// HTTPS (or any TLS) to a host the scope named in 159 / 160, judged as the
/// activation and provisioning downloads are (`conn::local_tls`).
fn https_attempts(ctx: &Ctx<'_>, t: &Targets, out: &mut Vec<(Outcome, String, Vec<Evidence>)>) {
    if t.hosts.is_empty() && t.ips.is_empty() {
        return;
    }
    let mut hellos = Vec::new();
    for f in ctx.own() {
        let Body::Tls {
            from_client: true,
            event: TlsEvent::ClientHello { sni, .. },
            ..
        } = &f.body
        else {
            continue;
        };
        let ip = f.dst_ip();
        let named = sni.as_deref().is_some_and(|s| t.hosts.contains(s))
            || t.ips.contains(&ip)
            || ctx.names.any_name(&ip, |n| t.hosts.contains(n));
        if !named || f.dst.port() == ctx.sbc_port {
            continue;
        }
        let host = sni.clone().unwrap_or_else(|| ip.to_string());
        hellos.push((f.frame, format!("HTTPS to {host} ({})", f.dst)));
    }
    let frames: Vec<u64> = hellos.iter().map(|(f, _)| *f).collect();
    for (frame, judged) in super::conn::judge_local_tls(ctx, &frames) {
        let Some((_, what)) = hellos.iter().find(|(f, _)| *f == frame) else {
            continue;
        };
        out.push((https_outcome(&judged), what.clone(), judged.evidence));
    }
}

/// What an HTTPS fetch's TLS judgement says of the profile: none when the
/// handshake failed or no answer came; hidden by TLS when it completed.
fn https_outcome(judged: &super::conn::LocalTls) -> Outcome {
    let summary = &judged.summary;
    match judged.status {
        Status::Fail => Outcome::Refused(
            format!("{summary}: no profile"),
            judged.advice.clone().unwrap_or_default(),
        ),
        Status::Pass | Status::Warn => Outcome::Hidden(format!(
            "{summary}; TLS hides the answer, so whether a profile came is not in the capture"
        )),
        Status::NotSeen => Outcome::Pending(summary.clone()),
    }
}

/// TCP connections to a DHCP-named server, on a port its http(s) URL names,
/// that failed (refused, ICMP, or SYNs re-sent unanswered): the phone tried
/// it and got nothing.
fn connect_attempts(ctx: &Ctx<'_>, t: &Targets, out: &mut Vec<(Outcome, String, Vec<Evidence>)>) {
    use crate::fact::TcpResult;
    if t.hosts.is_empty() && t.ips.is_empty() {
        return;
    }
    for f in ctx.own() {
        let Body::Tcp { attempt: a, .. } = &f.body else {
            continue;
        };
        let ip = f.dst_ip();
        let named = t.ips.contains(&ip) || ctx.names.any_name(&ip, |n| t.hosts.contains(n));
        // Only the ports the URLs name: the server may be the gateway too
        // (a proxy or a web page of its own on other ports).
        if !named || !ctx.is_phone(&f.src_ip()) || !t.ports.contains(&f.dst.port()) {
            continue;
        }
        let how = match a.result {
            TcpResult::Refused => "refused (RST)".to_string(),
            TcpResult::Unreachable => {
                format!("ICMP {}", a.unreach.map_or("unreachable", |k| k.words()))
            }
            TcpResult::NoAnswer if a.syns >= 2 => format!("{} SYNs, no answer", a.syns),
            _ => continue,
        };
        let what = format!("TCP to the DHCP-named server {}", f.dst);
        let evidence = vec![ev(f, format!("{what}: {how}"))];
        out.push((Outcome::NoAnswer(how), what, evidence));
    }
}

/// The phone asked DNS for the host a provisioning option names and never
/// got an address: it cannot reach that server (and waits on it).
fn lookup_attempts(ctx: &Ctx<'_>, t: &Targets, out: &mut Vec<(Outcome, String, Vec<Evidence>)>) {
    /// One host's lookups: queries, whether an address came, an error code.
    #[derive(Default)]
    struct Lookup {
        queries: usize,
        resolved: bool,
        error: Option<String>,
        evidence: Vec<Evidence>,
    }
    if t.hosts.is_empty() {
        return;
    }
    // One pass over the facts, whatever the number of hosts.
    let mut lookups: BTreeMap<&str, Lookup> = BTreeMap::new();
    for f in ctx.own() {
        let Body::Dns(m) = &f.body else { continue };
        for q in m.questions.iter().filter(|q| t.hosts.contains(&q.name)) {
            let l = lookups.entry(q.name.as_str()).or_default();
            if !m.response && ctx.is_phone(&f.src_ip()) {
                l.queries += 1;
                l.evidence
                    .push(ev(f, format!("query {} to {}", q.name, f.dst_ip())));
            } else if m.response && ctx.is_phone(&f.dst_ip()) {
                l.resolved |= m
                    .answers
                    .iter()
                    .any(|r| matches!(r.data, RData::A { .. } | RData::Aaaa { .. }));
                if m.rcode != 0 {
                    l.error = Some(rcode_name(m.rcode));
                }
                l.evidence
                    .push(ev(f, format!("answer for {} from {}", q.name, f.src_ip())));
            }
        }
    }
    for (host, l) in lookups {
        if l.queries == 0 || l.resolved {
            continue;
        }
        let why = match l.error {
            Some(rc) => format!("{host} does not resolve ({rc})"),
            None => format!(
                "{host} does not resolve (no answer to {})",
                crate::text::plural(l.queries, "query", "queries")
            ),
        };
        let what = format!("lookup of the provisioning server {host}");
        out.push((Outcome::NoAnswer(why), what, l.evidence));
    }
}

#[cfg(test)]
mod tests {
    use super::url_port;

    #[test]
    fn a_url_names_its_port_or_its_schemes() {
        assert_eq!(url_port("http://192.0.2.10/CP-8851-3PCC.xml"), Some(80));
        assert_eq!(url_port("HTTPS://prov.example.com/x.xml"), Some(443));
        assert_eq!(url_port("http://192.0.2.10:8080/x"), Some(8080));
        assert_eq!(url_port("https://[2001:db8::10]:8443/x"), Some(8443));
        assert_eq!(url_port("https://[2001:db8::10]/x"), Some(443));
        // A TFTP server or a bare host names no TCP port.
        assert_eq!(url_port("tftp://192.0.2.10/x"), None);
        assert_eq!(url_port("192.0.2.10"), None);
    }
}
