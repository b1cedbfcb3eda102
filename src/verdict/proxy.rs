//! HTTP proxies: a phone configured with one reaches activate.cisco.com and
//! cisco.sipflash.com through `CONNECT host:443` (RFC 9110 section 9.3.6).
//! A 2xx answer opens a tunnel whose TLS is judged like a direct
//! connection (the analyzer reads it as one); any other answer, or none,
//! is the proxy refusing the phone that stage (a 500/502/503/504: the proxy
//! itself could not reach the target).

use std::collections::HashMap;
use std::net::SocketAddr;

use super::{ev, Ctx, Evidence, Status};
use crate::fact::{Body, Fact};
use crate::proto::http::HttpMessage;

/// One CONNECT of the phone and the proxy's answer.
pub struct Connect<'a> {
    pub request: &'a Fact,
    /// `host:port` as asked.
    pub target: String,
    /// The host alone, lowercase.
    pub host: String,
    pub answer: Option<(&'a Fact, u16, String)>,
}

impl Connect<'_> {
    /// The phone's side of the tunnel and the proxy's address.
    pub fn sockets(&self) -> (SocketAddr, SocketAddr) {
        (self.request.src, self.request.dst)
    }

    /// The port asked for (`host:443` gives 443).
    pub fn port(&self) -> Option<u16> {
        self.target.rsplit_once(':')?.1.parse().ok()
    }

    /// The request and its answer, as evidence.
    pub fn evidence(&self) -> Vec<Evidence> {
        let proxy = self.request.dst;
        let ask = format!("CONNECT {} through the HTTP proxy {proxy}", self.target);
        let mut out = vec![ev(self.request, ask)];
        if let Some((f, status, reason)) = &self.answer {
            out.push(ev(
                f,
                format!("proxy answers {}", status_text(*status, reason)),
            ));
        }
        out
    }

    /// The proxy's refusal (any answer but 2xx, or none while the capture
    /// went on): status, summary, advice.
    pub fn refusal(&self, ctx: &Ctx<'_>) -> Option<(Status, String, String)> {
        let proxy = self.request.dst;
        let allow = format!(
            "let the phones through the proxy {proxy} to {} (or give them no proxy)",
            self.target
        );
        match &self.answer {
            Some((_, status, _)) if (200..300).contains(status) => None,
            // RFC 9110 wants 407 from a proxy; some (tinyproxy) send 401.
            Some((_, 401 | 407, _)) => {
                Some((
                    Status::Fail,
                    format!(
                    "the HTTP proxy {proxy} does not take the phone's credentials for CONNECT {} \
                     ({}): none sent, or wrong ones",
                    self.target,
                    self.answer.as_ref().map_or(String::new(), |(_, s, r)| status_text(*s, r))
                ),
                    format!(
                    "set the proxy's user and password in the phone's HTTP proxy settings, or \
                     {allow}"
                ),
                ))
            }
            // The proxy could not reach the target itself (RFC 9110 15.6:
            // 502/503/504 from a gateway, 500 from tinyproxy); a 501 is a
            // server that does not do CONNECT at all.
            Some((_, status @ (500 | 502..=504), reason)) => Some((
                Status::Fail,
                format!(
                    "the HTTP proxy {proxy} could not open CONNECT {}: {}",
                    self.target,
                    status_text(*status, reason)
                ),
                format!(
                    "the proxy {proxy} itself cannot reach {}: check its own DNS and outbound \
                     access (its firewall, its upstream proxy), or give the phones no proxy",
                    self.target
                ),
            )),
            Some((_, status, reason)) => Some((
                Status::Fail,
                format!(
                    "the HTTP proxy {proxy} refuses CONNECT {}: {}",
                    self.target,
                    status_text(*status, reason)
                ),
                allow,
            )),
            None if ctx.secs_left(&self.request.ts) < 1.0 => None,
            None => Some((
                Status::Fail,
                format!(
                    "the HTTP proxy {proxy} does not answer CONNECT {}",
                    self.target
                ),
                format!("the phone's HTTP proxy {proxy} does not answer: check it, or {allow}"),
            )),
        }
    }
}

/// A 407 (proxy authentication) answered by a later CONNECT to the same
/// target that got through is the login, not a refusal (RFC 9110 15.5.8).
pub fn got_through_later(connects: &[Connect<'_>], i: usize) -> bool {
    let Some(k) = connects.get(i) else {
        return false;
    };
    let challenged = matches!(k.answer, Some((_, 401 | 407, _)));
    challenged
        && connects.iter().skip(i + 1).any(|later| {
            later.target.eq_ignore_ascii_case(&k.target)
                && later.request.src.ip() == k.request.src.ip()
                && matches!(later.answer, Some((_, s, _)) if (200..300).contains(&s))
        })
}

/// "403 Filtered", or "403" without a reason phrase.
fn status_text(status: u16, reason: &str) -> String {
    match reason.trim() {
        "" => status.to_string(),
        reason => format!("{status} {reason}"),
    }
}

/// The phone's CONNECT requests, each with the first response after it on
/// the same connection.
pub fn connects<'a>(ctx: &'a Ctx<'a>) -> Vec<Connect<'a>> {
    let own: Vec<&Fact> = ctx.own().collect();
    // Positions of the responses on each (server, client) pair: a lookup
    // per CONNECT, not a scan of the later facts.
    let mut responses: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::new();
    for (i, r) in own.iter().enumerate() {
        if matches!(&r.body, Body::Http(m) if m.is_final_response()) {
            responses.entry((r.src, r.dst)).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (i, f) in own.iter().enumerate() {
        let Body::Http(HttpMessage::Request { method, target, .. }) = &f.body else {
            continue;
        };
        if method != "CONNECT" || !ctx.is_phone(&f.src_ip()) {
            continue;
        }
        let answer = responses
            .get(&(f.dst, f.src))
            .and_then(|at| at.get(at.partition_point(|&j| j <= i)))
            .and_then(|&j| own.get(j))
            .and_then(|r| match &r.body {
                Body::Http(HttpMessage::Response { status, reason, .. }) => {
                    Some((*r, *status, reason.clone()))
                }
                _ => None,
            });
        let host = match target.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok() => host,
            _ => target.as_str(),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        out.push(Connect {
            request: f,
            target: target.clone(),
            host: host.to_ascii_lowercase(),
            answer,
        });
    }
    out
}
