//! The server's first flight cut short after its ServerHello, no alert
//! sent: the server (or a device on the path) closed or reset the
//! connection at once, or nothing more came (TLS 1.2: no certificate; TLS
//! 1.3: no encrypted flight) and the phone gave up after waiting. Neither is
//! the phone rejecting a certificate: it never had the certificate to judge.

use super::{Conn, Judged};
use crate::fact::{Body, Fact};
use crate::proto::tls::is_tls13;
use crate::verdict::{ev, Evidence, Status};

/// Seconds after the server's last handshake record within which its close
/// ends the handshake itself (later, it gave up on a silent phone).
const CLOSED_AT_ONCE_SECS: f64 = 2.0;

/// Seconds the phone waited after the ServerHello before its close says the
/// rest of the server's flight never came (a rejection is at once).
const STALLED_SECS: f64 = 5.0;

/// The server's close of the connection right after its ServerHello (or
/// the part of its flight seen), the phone's ClientHello seen and nothing
/// of the phone's after it before the close, no key change (but a TLS 1.3
/// server's compatibility ChangeCipherSpec) or data either way: a TLS 1.3
/// server that sent its encrypted flight is past its hello.
pub(super) fn server_close<'a>(c: &Conn<'a>) -> Option<&'a Fact> {
    let (close, false, _) = c.closed? else {
        return None;
    };
    let (hello, version) = c.server_hello?;
    // TLS 1.3: the server's ChangeCipherSpec (middlebox compatibility)
    // comes with its hello; its encrypted flight would be data records.
    let tls13 = is_tls13(version);
    let quiet = !(c.ccs[0] || c.app_data[0] || c.app_data[1] || (c.ccs[1] && !tls13));
    if c.hello.is_none() || !quiet {
        return None;
    }
    let last = match c.chain {
        Some((f, _)) if f.frame > hello.frame => f,
        _ => hello,
    };
    let phone_went_on = c.phone_next.is_some_and(|p| p.frame <= close.frame);
    let soon = last.ts.secs_until(&close.ts) <= CLOSED_AT_ONCE_SECS;
    (close.frame > hello.frame && soon && !phone_went_on).then_some(close)
}

/// The server closed (`close`) right after its hello.
pub(super) fn closed_by_server(
    c: &Conn<'_>,
    close: &Fact,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Judged {
    let how = match close.body {
        Body::Closed { rst: true, .. } => "reset",
        _ => "closed",
    };
    let seen = match c.chain {
        Some(_) => "hello and certificate",
        None => "ServerHello",
    };
    evidence.push(ev(close, format!("{name} {how} the connection, no alert")));
    let summary = format!(
        "{name} {how} the connection right after its {seen}, without an alert: the \
         handshake never finished ({name}:{port})"
    );
    let advice = format!(
        "{name}:{port}, or a device on the path (a firewall, an IPS, a TLS-inspecting proxy), \
         ends the session in the middle of its own handshake: check what sits between the \
         phone and {name}:{port} and the server's TLS log; the phone is not at fault"
    );
    (Status::Fail, summary, Some(advice))
}

/// The server sent its ServerHello and then nothing (TLS 1.2: no
/// certificate, no ChangeCipherSpec; TLS 1.3: no encrypted flight), and the
/// phone closed (`close`) after waiting [`STALLED_SECS`] or more, having
/// acknowledged no server bytes the capture lacks (a capture that lost the
/// certificate is no stall).
pub(super) fn stalled(
    c: &Conn<'_>,
    close: &Fact,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let (hello, version) = c.server_hello?;
    let tls13 = is_tls13(version);
    let waited = hello.ts.secs_until(&close.ts);
    let unseen = matches!(
        close.body,
        Body::Closed {
            peer_unseen: true,
            ..
        }
    );
    let more = match tls13 {
        true => c.app_data[1] || c.enc_alert[1].is_some(),
        false => c.chain.is_some() || c.ccs[1] || c.cert_request.is_some(),
    };
    if more || unseen || waited < STALLED_SECS {
        return None;
    }
    let text = format!("the phone closed the connection {waited:.0} s after the ServerHello");
    evidence.push(ev(close, text));
    let missing = match tls13 {
        true => "none of its encrypted handshake",
        false => "no certificate, no ServerHelloDone",
    };
    let summary = format!(
        "{name} sent its ServerHello and then nothing for {waited:.0} s ({missing}): the phone \
         waited and gave up ({name}:{port})"
    );
    let advice = format!(
        "the rest of {name}'s first flight (its certificate, in full-size segments) never \
         reaches the phone: most often a path-MTU black hole (a tunnel or VPN link drops large \
         packets and no ICMP 'fragmentation needed' comes back: lower the MTU or clamp the TCP \
         MSS there), else a device on the path holding the session; a capture beside {name} \
         tells which"
    );
    Some((Status::Fail, summary, Some(advice)))
}
