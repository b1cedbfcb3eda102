//! Stage `local-config`: the phone fetching a profile from a local server
//! (TFTP RRQ, HTTP GET, or HTTPS to a host named by option 159/160), and
//! what came of it. Any such fetch is a problem for a Webex phone: a profile
//! taken (Webex will never be reached), not found, or no answer (stuck).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};

use super::dhcp::trim;
use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::{Body, Fact};
use crate::proto::dns::{rcode_name, RData};
use crate::proto::http::HttpMessage;
use crate::proto::tftp::TftpPacket;
use crate::proto::tls::TlsEvent;

/// Provisioning servers the DHCP scope named, as addresses and host names.
#[derive(Default)]
pub struct Targets {
    pub ips: BTreeSet<IpAddr>,
    pub hosts: BTreeSet<String>,
}

impl Targets {
    /// The server of a URL or `host[:port]`, as an address or a host name.
    fn add(&mut self, url: &str) {
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
            for piece in value.split([',', ' ']).filter(|p| !p.is_empty()) {
                t.add(piece);
            }
        }
    }
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
        if named && ctx.is_phone(&f.dst_ip()) {
            t.add(location);
        }
    }
}

/// Host part of a URL or `host[:port]`.
fn host_of(s: &str) -> String {
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    let hostport = rest.split('/').next().unwrap_or("");
    let host = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => hostport,
    };
    host.trim_matches(['[', ']']).to_string()
}

/// The result of one profile fetch.
enum Outcome {
    Fetched(String),
    NotFound(String),
    NoAnswer(String),
    Pending,
}

/// Stage `local-config`.
pub fn local_config(ctx: &Ctx<'_>) -> StageResult {
    let mut targets = targets(ctx);
    follow_redirects(ctx, &mut targets);
    let mut attempts: Vec<(Outcome, String, Vec<Evidence>)> = Vec::new();
    tftp_attempts(ctx, &mut attempts);
    http_attempts(ctx, &mut attempts);
    https_attempts(ctx, &targets, &mut attempts);
    if attempts.is_empty() {
        lookup_attempts(ctx, &targets, &mut attempts);
    }
    let Some(last) = attempts.last() else {
        return StageResult::not_seen(Stage::LocalConfig, "no profile fetch from a local server");
    };
    let mut evidence: Vec<Evidence> = attempts.iter().flat_map(|a| a.2.clone()).collect();
    evidence.sort_by_key(|e| e.frame);
    trim(&mut evidence);
    let what = &last.1;
    let (status, summary, advice) = match &last.0 {
        Outcome::Fetched(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the phone took a local profile and will never reach Webex activation: remove the \
             DHCP provisioning option (or the profile), then factory-reset the phone"
                .to_string(),
        ),
        Outcome::NotFound(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the scope still points the phone at a local server that has no profile for it \
             (a leftover on-prem TFTP/HTTP): remove option 150/66/159/160 from the scope"
                .to_string(),
        ),
        Outcome::NoAnswer(r) => (
            Status::Fail,
            format!("{what}: {r}"),
            "the phone waits on a provisioning server that does not answer: remove the DHCP \
             provisioning option so it goes to Webex activation"
                .to_string(),
        ),
        Outcome::Pending => {
            let s = format!("{what}: the capture ends before the answer");
            return StageResult::not_seen(Stage::LocalConfig, s).evidence(evidence);
        }
    };
    StageResult::new(Stage::LocalConfig, status, summary)
        .advice(advice)
        .evidence(evidence)
}

/// TFTP read requests, grouped by server and file, with the server's answer.
fn tftp_attempts(ctx: &Ctx<'_>, out: &mut Vec<(Outcome, String, Vec<Evidence>)>) {
    let own: Vec<&Fact> = ctx.own().collect();
    let mut groups: Vec<(IpAddr, String, Vec<&Fact>)> = Vec::new();
    let mut group_of: HashMap<(IpAddr, &str), usize> = HashMap::new();
    for f in &own {
        let Body::Tftp(TftpPacket::Rrq { filename, .. }) = &f.body else {
            continue;
        };
        if !ctx.is_phone(&f.src_ip()) {
            continue;
        }
        match group_of.get(&(f.dst_ip(), filename.as_str())) {
            Some(&at) => groups.get_mut(at).into_iter().for_each(|g| g.2.push(f)),
            None => {
                group_of.insert((f.dst_ip(), filename.as_str()), groups.len());
                groups.push((f.dst_ip(), filename.clone(), vec![f]));
            }
        }
    }
    let replies = TftpReplies::index(&own);
    for (server, file, rrqs) in groups {
        let mut ports: Vec<SocketAddr> = rrqs.iter().map(|f| f.src).collect();
        ports.sort_unstable();
        ports.dedup();
        let first = rrqs.first().map_or(0, |f| f.frame);
        let mut evidence: Vec<Evidence> = rrqs
            .iter()
            .map(|f| ev(f, format!("TFTP RRQ {file} to {server}")))
            .collect();
        // The last DATA, ERROR and ICMP unreachable after the first request.
        let mut data_bytes = 0usize;
        let (mut last_data, mut error, mut icmp) = (None, None, None);
        // The phone's own ACKs: blocks it received, even where the DATA is
        // missing from the capture (one direction only, asymmetric routes).
        let mut acked: Option<(u16, usize)> = None;
        for port in &ports {
            let key = (server, *port);
            if let Some(&(block, at)) = replies.acks.get(&key) {
                let after = own.get(at).is_some_and(|f| f.frame > first);
                acked = acked.max(Some((block, at)).filter(|_| after));
            }
            if let Some(data) = replies.data.get(&key) {
                let (bytes, last) = data.after(first);
                data_bytes = data_bytes.saturating_add(bytes);
                last_data = last_data.max(last);
            }
            error = error.max(replies.errors.get(&key).and_then(|e| e.after(first).1));
            icmp = icmp.max(
                replies
                    .unreachables
                    .get(&key)
                    .and_then(|u| u.after(first).1),
            );
        }
        let at = |pos: Option<usize>| pos.and_then(|i| own.get(i).copied());
        let last_data = at(last_data);
        let error = at(error).and_then(|f| match &f.body {
            Body::Tftp(TftpPacket::Error { code, message }) => Some((f, *code, message.clone())),
            _ => None,
        });
        let icmp = at(icmp).and_then(|f| match &f.body {
            Body::Icmp(u) => Some((f, u.kind)),
            _ => None,
        });
        let n = rrqs.len();
        let what = format!(
            "TFTP {file} from {server}{}",
            if n > 1 {
                format!(" ({n} requests)")
            } else {
                String::new()
            }
        );
        let outcome = if let Some(f) = last_data {
            evidence.push(ev(
                f,
                format!("TFTP DATA from {server}, {data_bytes} bytes"),
            ));
            Outcome::Fetched(format!("profile downloaded ({data_bytes} bytes)"))
        } else if let Some((f, code, msg)) = error {
            evidence.push(ev(f, format!("TFTP ERROR {code} '{msg}'")));
            Outcome::NotFound(format!("ERROR {code} '{msg}'"))
        } else if let Some((f, kind)) = icmp {
            evidence.push(ev(f, format!("ICMP {} from {}", kind.words(), f.src_ip())));
            Outcome::NoAnswer(format!("ICMP {}: no TFTP server there", kind.words()))
        } else if let Some((f, block)) = acked.and_then(|(b, at)| Some((*own.get(at)?, b))) {
            let blocks = crate::text::plural(usize::from(block), "block", "blocks");
            evidence.push(ev(f, format!("TFTP ACK of block {block} to {server}")));
            Outcome::Fetched(format!(
                "profile downloaded (the phone acknowledged {blocks}; the server's DATA is not \
                 in the capture)"
            ))
        } else if n == 1 && rrqs.last().is_some_and(|f| ctx.secs_left(&f.ts) < 1.0) {
            Outcome::Pending
        } else {
            Outcome::NoAnswer("no answer".to_string())
        };
        out.push((outcome, what, evidence));
    }
}

/// A server's TFTP replies to one client port, in frame order, with the
/// bytes carried from each position on.
#[derive(Default)]
struct ReplyList {
    /// (frame, position in the phone's facts, DATA length).
    replies: Vec<(u64, usize, usize)>,
    /// `bytes_from[k]`: DATA bytes of `replies[k..]`.
    bytes_from: Vec<usize>,
}

impl ReplyList {
    /// DATA bytes after `frame`, and the position of the last reply.
    fn after(&self, frame: u64) -> (usize, Option<usize>) {
        let k = self.replies.partition_point(|r| r.0 <= frame);
        let bytes = self.bytes_from.get(k).copied().unwrap_or(0);
        let last = self.replies.last().filter(|r| r.0 > frame).map(|r| r.1);
        (bytes, last)
    }
}

/// TFTP DATA, ERROR and ICMP unreachables of a phone's facts, keyed by
/// (server address, client socket): each RRQ group then costs a lookup per
/// client port instead of a scan of every later fact (quadratic on a
/// capture of endless requests).
#[derive(Default)]
struct TftpReplies {
    data: HashMap<(IpAddr, SocketAddr), ReplyList>,
    errors: HashMap<(IpAddr, SocketAddr), ReplyList>,
    unreachables: HashMap<(IpAddr, SocketAddr), ReplyList>,
    /// The phone's ACKs to (server address, its own socket): the highest
    /// block and the position of that ACK.
    acks: HashMap<(IpAddr, SocketAddr), (u16, usize)>,
}

impl TftpReplies {
    fn index(own: &[&Fact]) -> Self {
        let mut r = TftpReplies::default();
        for (i, f) in own.iter().enumerate() {
            let (map, key, len) = match &f.body {
                Body::Tftp(TftpPacket::Data { len, .. }) => {
                    (&mut r.data, (f.src_ip(), f.dst), *len)
                }
                Body::Tftp(TftpPacket::Error { .. }) => (&mut r.errors, (f.src_ip(), f.dst), 0),
                Body::Icmp(u) => (&mut r.unreachables, (u.orig_dst.ip(), u.orig_src), 0),
                Body::Tftp(TftpPacket::Ack { block }) if *block > 0 => {
                    let best = r.acks.entry((f.dst_ip(), f.src)).or_insert((*block, i));
                    if *block >= best.0 {
                        *best = (*block, i);
                    }
                    continue;
                }
                _ => continue,
            };
            map.entry(key).or_default().replies.push((f.frame, i, len));
        }
        for list in [&mut r.data, &mut r.errors, &mut r.unreachables] {
            for l in list.values_mut() {
                let mut sum = 0usize;
                l.bytes_from = vec![0; l.replies.len() + 1];
                for (k, reply) in l.replies.iter().enumerate().rev() {
                    sum = sum.saturating_add(reply.2);
                    if let Some(slot) = l.bytes_from.get_mut(k) {
                        *slot = sum;
                    }
                }
            }
        }
        r
    }
}

/// HTTP GETs of a profile and their status.
fn http_attempts(ctx: &Ctx<'_>, out: &mut Vec<(Outcome, String, Vec<Evidence>)>) {
    let own: Vec<&Fact> = ctx.own().collect();
    // Positions of the responses of each (server, client) socket pair: the
    // first after a request is a lookup, not a scan of every later fact.
    let mut responses: HashMap<(SocketAddr, SocketAddr), Vec<usize>> = HashMap::new();
    for (i, r) in own.iter().enumerate() {
        if let Body::Http(HttpMessage::Response { .. }) = &r.body {
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
        if !ctx.is_phone(&f.src_ip()) || !crate::phone::is_profile_file(target) {
            continue;
        }
        let server = host.clone().unwrap_or_else(|| f.dst.to_string());
        let what = format!("HTTP {method} {target} from {server}");
        let mut evidence = vec![ev(f, what.clone())];
        let resp = responses
            .get(&(f.dst, f.src))
            .and_then(|at| at.get(at.partition_point(|&j| j <= i)))
            .and_then(|&j| own.get(j))
            .and_then(|r| match &r.body {
                Body::Http(HttpMessage::Response {
                    status,
                    reason,
                    location,
                    ..
                }) => Some((*r, *status, reason.clone(), location.clone())),
                _ => None,
            });
        let outcome = match resp {
            Some((r, status, reason, location)) => {
                let to = location.map_or(String::new(), |l| format!(" to {l}"));
                // A status line may lack its reason phrase (RFC 9112 4).
                let code = match reason.trim() {
                    "" => status.to_string(),
                    reason => format!("{status} {reason}"),
                };
                evidence.push(ev(r, format!("HTTP {code}{to}")));
                match status {
                    200..=299 => Outcome::Fetched(format!("{code}: profile downloaded")),
                    // The phone asked If-Modified-Since: it holds this
                    // profile already and keeps using it.
                    304 => Outcome::Fetched(format!(
                        "{code}: the profile is unchanged and the phone keeps its cached copy"
                    )),
                    _ => Outcome::NotFound(code),
                }
            }
            None if ctx.secs_left(&f.ts) < 1.0 => Outcome::Pending,
            None => Outcome::NoAnswer("no HTTP response".to_string()),
        };
        out.push((outcome, what, evidence));
    }
}

/// HTTPS (or any TLS) to a host the scope named in 159 / 160.
fn https_attempts(ctx: &Ctx<'_>, t: &Targets, out: &mut Vec<(Outcome, String, Vec<Evidence>)>) {
    if t.hosts.is_empty() && t.ips.is_empty() {
        return;
    }
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
        let what = format!("HTTPS to {host} ({})", f.dst);
        let evidence = vec![ev(f, format!("ClientHello SNI {host} to {}", f.dst))];
        out.push((
            Outcome::Fetched("TLS to the DHCP-named server".into()),
            what,
            evidence,
        ));
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
    use super::*;

    #[test]
    fn reply_list_counts_only_what_follows_the_request() {
        let l = ReplyList {
            replies: vec![(3, 0, 512), (5, 1, 512), (9, 4, 100)],
            bytes_from: vec![1124, 612, 100, 0],
        };
        assert_eq!(l.after(0), (1124, Some(4)));
        assert_eq!(l.after(3), (612, Some(4)));
        assert_eq!(l.after(8), (100, Some(4)));
        assert_eq!(l.after(9), (0, None));
        assert_eq!(ReplyList::default().after(0), (0, None));
    }
}
