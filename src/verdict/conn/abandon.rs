//! A handshake the phone abandoned: the server answered its ClientHello
//! (ServerHello, and in TLS 1.2 its certificate in clear) and the phone
//! closed the connection without sending anything more, not even an alert.
//! Some TLS stacks reject a server that way instead of with an alert; an
//! alert the server sends after the phone's close (OpenSSL answers the
//! FIN with decode_error) reacts to it and does not explain it.

use super::{Conn, Judged};
use crate::fact::Fact;
use crate::verdict::{cert, ev, Evidence, Status};

/// The phone's close (FIN or RST) that abandoned the handshake: the first
/// close of the connection, after the ServerHello, with no TLS record from
/// the phone between its ClientHello and it.
pub(super) fn phone_quit<'a>(c: &Conn<'a>) -> Option<&'a Fact> {
    let (close, true, _) = c.closed? else {
        return None;
    };
    let (server_hello, _) = c.server_hello?;
    c.hello?;
    let phone_went_on = c.phone_next.is_some_and(|p| p.frame <= close.frame);
    (close.frame > server_hello.frame && !phone_went_on).then_some(close)
}

/// What the connection says when the phone quit at `close`.
pub(super) struct Quit<'a> {
    pub close: &'a Fact,
    pub name: &'a str,
    pub port: u16,
    pub tls13: bool,
    pub ntp_ok: bool,
    pub snaplen_cut: bool,
}

pub(super) fn judge(c: &Conn<'_>, q: &Quit<'_>, evidence: &mut Vec<Evidence>) -> Judged {
    let (name, port) = (q.name, q.port);
    let after = c
        .server_hello
        .map_or(0.0, |(f, _)| f.ts.secs_until(&q.close.ts));
    let how = match q.close.body {
        crate::fact::Body::Closed { rst: true, .. } => "reset",
        _ => "closed",
    };
    evidence.push(ev(
        q.close,
        format!("the phone {how} the connection {after:.1} s after the ServerHello, no alert"),
    ));
    let seen = match (q.tls13, c.chain.is_some()) {
        (true, _) => "hello (TLS 1.3 encrypts its certificate)",
        (false, true) => "hello and certificate",
        (false, false) => "hello",
    };
    let summary = format!(
        "the phone {how} the connection after {name}'s {seen} without finishing the handshake \
         or saying why (no alert): it did not accept the server ({name}:{port})"
    );
    let hidden = match (q.tls13, q.snaplen_cut) {
        (true, _) => "TLS 1.3 encrypts it",
        (false, true) => "not in the capture, whose snaplen cuts frames",
        (false, false) => "not in the capture",
    };
    let chain = c.chain.map(|(_, chain)| chain);
    // A certificate from an issuer that is no public CA is what a phone
    // trusting only public CAs rejects (read as unknown_ca); else the
    // reason it did not say (certificate_unknown).
    let private = chain
        .filter(|ch| !ch.is_empty())
        .is_some_and(|ch| cert::classify_chain(ch) != cert::Issuer::Public);
    let desc = if private { 48 } else { 46 };
    let at = &q.close.ts;
    let wanted = cert::Wanted {
        sni: c.sni.as_deref(),
        resolved: &[],
    };
    let advice = cert::advice(desc, chain, hidden, at, q.ntp_ok, port, wanted);
    (Status::Fail, summary, Some(advice))
}
