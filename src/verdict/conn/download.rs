//! A completed handshake with the activation or provisioning service, then
//! the download inside it: the records stay encrypted, but how the session
//! ended tells whether the answer was all sent. A server that resets the
//! connection without a close_notify, or a close in the middle of one of
//! the server's records, cut it short; the phone closing in the middle of a
//! record gave up on it (see `proto::tls::Tail`). A server that closes
//! the session having sent nothing after the phone's request (or right
//! after the handshake, before it) gave no answer at all: the service
//! behind the TLS end is down or refuses the request.

use super::Conn;
use crate::fact::{Body, Fact};
use crate::proto::tls::{is_tls13, Tail};
use crate::verdict::{ev, Evidence, Status};

/// Status, summary and advice of a connection's TLS stage.
type Judged = (Status, String, Option<String>);

/// Seconds of the server's silence before its reset that make the reset
/// an idle connection's (a keep-alive timeout), not a cut answer.
const QUIET_SECS: f64 = 1.0;

/// Seconds after the handshake before the phone's close in the middle of
/// a record is a wait it gave up.
const GAVE_UP_SECS: f64 = 2.0;

/// The download's end when it cut the answer short; None when the session
/// ended as a finished one does (or the capture cannot tell).
pub(super) fn cut_short(
    c: &Conn<'_>,
    (name, port): (&str, u16),
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let (close, by_phone, rst) = c.closed?;
    // What the session held at its first close (when the server's last
    // record came), and at its last (a re-send may fill a hole after the
    // first: the records then read whole).
    let Body::Closed {
        tls: Some(tails), ..
    } = &close.body
    else {
        return None;
    };
    let [asked, first] = &**tails;
    let [phone, server] = &c.last_tail?;
    let quiet = first.last_at.map_or(0.0, |t| t.secs_until(&close.ts));
    // Bytes the capture lacks make both the counts and a cut its own. (The
    // snaplen's cuts inside records keep the record layer in step: the
    // counts stay whole, and a whole RST or FIN after them still tells;
    // a cut the records lost step at marks its side gapped.)
    if phone.gapped || server.gapped || c.hidden_bytes {
        return None;
    }
    if !by_phone {
        let end = End {
            close,
            rst,
            phone: asked,
            server: first,
        };
        if let Some(judged) = no_answer(c, end, (name, port), evidence) {
            return Some(judged);
        }
    }
    if phone.octets == 0 {
        return None;
    }
    let sent = amount(server);
    let at = format!("{name}:{port}");
    let secs = c.finished.map_or(0.0, |f| f.ts.secs_until(&close.ts));
    let path = format!(
        "the download from {at} was cut while the server was sending: a firewall, IPS or \
         proxy on the way that resets long HTTPS sessions, or the server failing; check their \
         session logs, and capture at the server's side to see which one reset it"
    );
    let (status, summary, advice, note) = match (by_phone, rst) {
        // A close_notify first, or a reset of a connection idle since the
        // server's last record (a keep-alive timeout): a finished answer.
        (false, true) if server.alert_last || quiet >= QUIET_SECS => return None,
        // A close of the server's side in the middle of its record.
        (false, rst) if server.cut => {
            let how = if rst { "reset" } else { "closed" };
            (
                Status::Fail,
                format!(
                    "handshake with {name} completed, then the server's side {how} the \
                     connection in the middle of a record, {sent} into the session"
                ),
                path,
                if rst {
                    "reset in the middle of the server's record"
                } else {
                    "closed in the middle of the server's record"
                },
            )
        }
        (false, true) => (
            Status::Warn,
            format!(
                "handshake with {name} completed, then the server's side reset the connection \
                 {sent} into the session without closing TLS (no close_notify): the answer \
                 may be cut"
            ),
            path,
            "reset without a close_notify",
        ),
        // (A close within moments of the handshake is the phone's choice,
        // not a wait given up.)
        (true, _) if server.cut && !server.alert_last && secs >= GAVE_UP_SECS => (
            Status::Fail,
            format!(
                "handshake with {name} completed, then the phone gave up {secs:.0} s later in \
                 the middle of the server's record ({sent} received): a slow or stalled \
                 download"
            ),
            format!(
                "{at} sent its answer too slowly and the phone gave up: check the path's \
                 bandwidth and loss (a shaped or congested link, a proxy buffering the \
                 download) and the server's response time"
            ),
            "the phone closed in the middle of the server's record",
        ),
        _ => return None,
    };
    evidence.push(ev(close, note));
    Some((status, summary, Some(advice)))
}

/// The server's close that ended a session, and what each side had sent
/// inside it by then.
struct End<'a> {
    close: &'a Fact,
    rst: bool,
    phone: &'a Tail,
    server: &'a Tail,
}

/// TLS 1.2: the server closed the session having sent no application_data
/// record at all, after the phone's request (the record types prove it).
/// With no request yet, a close within moments of the handshake is the
/// server's (a phone left idle for long may be closed on). None when the
/// server sent anything that may be an answer, or the capture cannot tell:
/// TLS 1.3 carries session tickets as application data, sent before or
/// after the request, so no answer is not told from a short one.
fn no_answer(
    c: &Conn<'_>,
    end: End<'_>,
    (name, port): (&str, u16),
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    if c.server_hello.is_none_or(|(_, v)| is_tls13(v)) || end.server.octets > 0 {
        return None;
    }
    let request = c.phone_data.filter(|r| r.frame < end.close.frame);
    let since = match request {
        // No application data from the server, a close_notify or not.
        Some(r) if end.phone.octets > 0 => {
            evidence.push(ev(r, "the phone's request (application data)"));
            format!(
                "{} after the phone's request (#{})",
                span(r, end.close),
                r.frame
            )
        }
        // The phone's side empty proves no request went.
        None if end.phone.octets == 0 => {
            let done = c.finished?;
            if done.ts.secs_until(&end.close.ts) >= QUIET_SECS {
                return None;
            }
            format!(
                "{} after the handshake, before the phone's request",
                span(done, end.close)
            )
        }
        _ => return None,
    };
    let how = if end.rst { "reset" } else { "closed" };
    let frame = end.close.frame;
    evidence.push(ev(
        end.close,
        format!("the server {how} the session: no answer"),
    ));
    let summary = format!(
        "the handshake with {name} completed, then the server {how} (#{frame}) the session \
         {since}, without sending any application data: no answer"
    );
    let advice = format!(
        "{name}:{port}, or the TLS terminator / load balancer in front of it, accepts the \
         session and drops the request (its backend down, a WAF or a `return 444` rule): check \
         its log for the phone's connection"
    );
    Some((Status::Fail, summary, Some(advice)))
}

/// Time from one fact to another, for a person: ms under a second.
fn span(from: &Fact, to: &Fact) -> String {
    let secs = from.ts.secs_until(&to.ts);
    match secs {
        s if s < 0.01 => format!("{:.1} ms", s * 1e3),
        s if s < 1.0 => format!("{:.0} ms", s * 1e3),
        s => format!("{s:.1} s"),
    }
}

/// What the server sent inside the session, for a person.
fn amount(server: &Tail) -> String {
    match server.octets {
        0 => "nothing sent".to_string(),
        n if n < 1000 => format!("{n} bytes"),
        n if n < 1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        n => format!("{:.1} MB", n as f64 / 1e6),
    }
}
