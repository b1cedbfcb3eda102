//! TLS records of a connection that the capture's snaplen cut: sent whole
//! (the segment's IP length counts them, the peer acknowledges them), read
//! only as far as their header came. A cut alert is still an alert, a cut
//! handshake record still a handshake message; what they said is not in
//! the capture, so a handshake whose outcome rests on them is can't tell,
//! never the other side's fault.

use super::connection::Conn;
use crate::fact::{Body, Fact};
use crate::proto::tls::{version_name, ALERT};
use crate::verdict::{ev, Evidence, Status};

/// The cut record of `f` (a `Body::Lost` cut by the snaplen): what it
/// was, what of it is lost, and its sender.
fn what(f: &Fact, name: &str) -> (&'static str, &'static str, String) {
    let (from_client, content_type) = match f.body {
        Body::Lost {
            from_client,
            content_type,
            ..
        } => (from_client, content_type),
        _ => (false, None),
    };
    let who = match from_client {
        true => "the phone".to_string(),
        false => name.to_string(),
    };
    let (what, lost) = match content_type {
        Some(ALERT) => ("an alert", "its description is lost"),
        Some(HANDSHAKE) => ("a handshake record", "its message is lost"),
        _ => ("TLS records", "what they held is lost"),
    };
    (what, lost, who)
}

/// Content type of a handshake record (RFC 5246 section 6.2.1).
const HANDSHAKE: u8 = 22;

/// The evidence line of a cut record.
fn evidence(f: &Fact, name: &str) -> Evidence {
    let (what, lost, who) = what(f, name);
    ev(f, format!("{what} from {who}, cut by the snaplen: {lost}"))
}

/// The first cut that hid what a side said before `end` (the connection's
/// first close): a cut alert first, as the handshake's outcome most likely
/// rests on it.
pub(super) fn before<'a>(c: &Conn<'a>, end: u64) -> Option<&'a Fact> {
    let early = |f: &&Fact| f.frame < end;
    let alert = c
        .cut_alert
        .iter()
        .flatten()
        .copied()
        .filter(early)
        .min_by_key(|f| f.frame);
    let hid = c
        .cut_hid
        .iter()
        .flatten()
        .copied()
        .filter(early)
        .min_by_key(|f| f.frame);
    alert.or(hid)
}

/// The can't-tell summary and evidence of a handshake judged by what the
/// cut record `f` hid.
pub(super) fn unjudged(c: &Conn<'_>, f: &Fact, name: &str, port: u16) -> (String, Evidence) {
    let (what, lost, who) = what(f, name);
    let summary = format!(
        "TLS with {name}:{port} (#{}) can't tell: {who} sent {what} in #{} that the \
         capture's snaplen cut ({lost}), and the handshake's outcome rests on it",
        c.first.frame, f.frame
    );
    (summary, evidence(f, name))
}

/// No ClientHello seen, and nothing the capture lost: the snaplen cut the
/// records (or the capture lacks the phone's side). What is readable is
/// said: the server's hello and certificate when they came, and each
/// side's first record the cut hid, and its cut alert. The evidence keeps
/// the server's messages; the summary names them too.
pub(super) fn no_client_hello(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> (Status, String, Option<String>) {
    let mut seen = Vec::new();
    if let Some((_, v)) = c.server_hello {
        seen.push(format!("its ServerHello ({})", version_name(v)));
    }
    if let Some((_, chain)) = c.chain {
        let issuer = chain
            .first()
            .map(|l| l.issuer_cn.as_deref().unwrap_or(&l.issuer));
        match issuer {
            Some(issuer) => seen.push(format!("a certificate issued by {issuer}")),
            None => seen.push("an empty certificate chain".to_string()),
        }
    }
    let at = c.server_hello.map(|(f, _)| f).or(c.chain.map(|(f, _)| f));
    let server = match at {
        Some(f) => format!("{name} sent {} in #{}, and ", seen.join(" and "), f.frame),
        None => String::new(),
    };
    // The server's own cut records count when its hello is not read.
    let server_cut = c.cut_hid[1].filter(|_| at.is_none());
    let mut cuts: Vec<&Fact> = [c.cut_hid[0], server_cut, c.cut_alert[0], c.cut_alert[1]]
        .into_iter()
        .flatten()
        .collect();
    cuts.sort_by_key(|f| f.frame);
    cuts.dedup_by_key(|f| f.frame);
    let cut = match cuts.as_slice() {
        [] => "the phone's ClientHello is not in the capture".to_string(),
        _ => {
            let parts: Vec<String> = cuts
                .iter()
                .map(|f| {
                    let (what, lost, who) = what(f, name);
                    format!("{what} from {who} (#{}, {lost})", f.frame)
                })
                .collect();
            let list = match parts.split_last() {
                Some((last, [])) => last.clone(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            };
            format!("the capture's snaplen cut {list}")
        }
    };
    for f in &cuts {
        evidence.push(self::evidence(f, name));
    }
    let summary = format!(
        "TLS with {name}:{port} (#{}) can't tell: {server}{cut}",
        c.first.frame
    );
    (Status::NotSeen, summary, None)
}
