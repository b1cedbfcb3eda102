//! A completed handshake with the activation or provisioning service, then
//! the download inside it: the records stay encrypted, but how the session
//! ended tells whether the answer was all sent.
//!
//! Who closed first is the first close from either side, a close_notify
//! (an alert record) as much as a FIN or RST: the other side's close after
//! it answers it (RFC 5246 7.2.1). A phone that closes an idle session
//! without a request is no fault of the server's.
//!
//! The server closing first: a reset without a close_notify, a close in the
//! middle of one of its records, or a FIN without a close_notify after a
//! pause of [`PAUSED_SECS`] or more since its last record (it stopped
//! sending, then closed: a truncated answer looks the same, RFC 5246 7.2.1,
//! RFC 8446 6.1) cut it short or may have. A FIN that goes out with the
//! server's last record is an application closing once its answer was
//! written (a server that dies in the middle of writing looks the same:
//! left out); a second of quiet before it is a keep-alive close. A server
//! that closes the session having sent nothing after the phone's request
//! (or right after the handshake, before it) gave no answer at all: the
//! service behind the TLS end is down or refuses the request.
//!
//! The phone closing first: in the middle of a server's record, or while
//! the server still sent data after its close, [`GAVE_UP_SECS`] or more
//! after the handshake, it gave up on a slow answer (see
//! `proto::tls::Tail`); [`GAVE_UP_SECS`] or more after its request with
//! nothing from the server after that request, it gave up on an answer
//! that never came. TLS 1.3 session tickets answer no request
//! (`proto::tls::tail`). A phone that closes sooner than [`GAVE_UP_SECS`]
//! (one seen giving up after 1.5 s) is not told from one that chose to
//! leave: left out.

use super::{Conn, Judged};
use crate::fact::{Body, Fact};
use crate::proto::tls::{is_tls13, Tail};
use crate::time::Timestamp;
use crate::verdict::{ev, Evidence, Status};

/// Seconds of the server's silence before its reset that make the reset
/// an idle connection's (a keep-alive timeout), not a cut answer.
const QUIET_SECS: f64 = 1.0;

/// Seconds between the server's last record and its FIN (no close_notify)
/// that make the FIN a stop in the middle of sending; sooner, the FIN went
/// out with the answer the server had written.
const PAUSED_SECS: f64 = 0.05;

/// Seconds after the handshake (after its request, with nothing answered)
/// before the phone's close is a wait it gave up: TLS clients wait that
/// long and more, as for a ServerHello (`stall`).
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
    let end = End {
        close,
        by_phone,
        rst,
        phone: asked,
        server: first,
    };
    let phone_first = end.phone_first();
    if !phone_first {
        if let Some(judged) = no_answer(c, &end, (name, port), evidence) {
            return Some(judged);
        }
    } else if let Some(judged) = gave_up_unanswered(c, &end, (name, port), evidence) {
        return Some(judged);
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
    // The server went on sending data after the phone's close: the phone
    // left in the middle of the answer.
    let went_on = by_phone && server.data_records > first.data_records;
    let (status, summary, advice, note) = match (phone_first, rst) {
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
            no_close_notify(name, &sent, "reset"),
            path,
            "reset without a close_notify",
        ),
        // A FIN with no close_notify before it, a pause after the server's
        // last record: it stopped sending, then closed; a truncated answer
        // looks the same (RFC 5246 7.2.1, RFC 8446 6.1). (Idle for a second
        // first: a keep-alive close. With its last record: see the doc.)
        (false, false)
            if !server.alert_last
                && (PAUSED_SECS..QUIET_SECS).contains(&quiet)
                && answered(first) =>
        {
            (
                Status::Warn,
                no_close_notify(name, &sent, "closed"),
                path,
                "closed (FIN) without a close_notify",
            )
        }
        // (A close within moments of the handshake is the phone's choice,
        // not a wait given up.)
        (true, _) if (server.cut || went_on) && !server.alert_last && secs >= GAVE_UP_SECS => (
            Status::Fail,
            format!(
                "handshake with {name} completed, then the phone gave up {secs:.0} s later {} \
                 ({sent} received): a slow or stalled download",
                match server.cut {
                    true => "in the middle of the server's record",
                    false => "while the server was still sending",
                }
            ),
            format!(
                "{at} sent its answer too slowly and the phone gave up: check the path's \
                 bandwidth and loss (a shaped or congested link, a proxy buffering the \
                 download) and the server's response time"
            ),
            match server.cut {
                true => "the phone closed in the middle of the server's record",
                false => "the phone closed while the server was still sending",
            },
        ),
        _ => return None,
    };
    evidence.push(ev(close, note));
    Some((status, summary, Some(advice)))
}

/// The server sent data after the phone's request (its tickets left out),
/// or, with no request seen, any.
fn answered(server: &Tail) -> bool {
    server
        .answer_records()
        .map_or(server.data_records > 0, |n| n > 0)
}

/// The first close that ended a session (FIN or RST), who sent it, and what
/// each side had sent inside the session by then.
struct End<'a> {
    close: &'a Fact,
    by_phone: bool,
    rst: bool,
    phone: &'a Tail,
    server: &'a Tail,
}

impl End<'_> {
    /// The phone closed first: its close_notify (an alert, its last record)
    /// or its FIN came before the server's. An alert is a close as much as
    /// a FIN is: the server's close after the phone's close_notify answers
    /// it (RFC 5246 7.2.1).
    fn phone_first(&self) -> bool {
        let alert_at = |t: &Tail| t.last_at.filter(|_| t.alert_last);
        let tcp = |ours: bool| (ours == self.by_phone).then_some(self.close.ts);
        let phone = alert_at(self.phone).or(tcp(true));
        let server = alert_at(self.server).or(tcp(false));
        match (phone, server) {
            (Some(p), Some(s)) => p < s || (p == s && self.by_phone),
            (p, _) => p.is_some(),
        }
    }

    /// When the phone closed: its close_notify, else its FIN or RST.
    fn phone_at(&self) -> Timestamp {
        let alert = self.phone.last_at.filter(|_| self.phone.alert_last);
        alert.unwrap_or(self.close.ts)
    }
}

/// The server closed the session having sent no application_data record
/// after the phone's request (the record types prove it in TLS 1.2; TLS
/// 1.3 sends its session tickets as application data, see `Tail`: they
/// answer nothing). With no request yet (TLS 1.2, where the phone's empty
/// side proves it), a close within moments of the handshake is the
/// server's (a phone left idle for long may be closed on). None when the
/// server sent anything that may be an answer, or the capture cannot tell.
fn no_answer(
    c: &Conn<'_>,
    end: &End<'_>,
    (name, port): (&str, u16),
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let tls13 = is_tls13(c.server_hello?.1);
    let request = request(c).filter(|r| r.frame < end.close.frame);
    let since = match (request, end.server.answer_records()) {
        // No application data from the server, a close_notify or not.
        (Some(r), Some(0)) => {
            evidence.push(ev(r, "the phone's request (application data)"));
            format!(
                "{} after the phone's request (#{})",
                span(r, end.close),
                r.frame
            )
        }
        // The phone's side empty proves no request went.
        (None, None) if !tls13 && end.phone.octets == 0 && end.server.octets == 0 => {
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
    let data = match tls13 {
        true => "any application data but its session tickets",
        false => "any application data",
    };
    let summary = format!(
        "the handshake with {name} completed, then the server {how} (#{frame}) the session \
         {since}, without sending {data}: no answer"
    );
    let advice = format!(
        "{name}:{port}, or the TLS terminator / load balancer in front of it, accepts the \
         session and drops the request (its backend down, a WAF or a `return 444` rule): check \
         its log for the phone's connection"
    );
    Some((Status::Fail, summary, Some(advice)))
}

/// The phone's request: TLS 1.2 its first application data, TLS 1.3 its
/// first record after its Finished's segment.
fn request<'a>(c: &Conn<'a>) -> Option<&'a Fact> {
    match c.server_hello.is_some_and(|(_, v)| is_tls13(v)) {
        true => c.phone_more,
        false => c.phone_data,
    }
}

/// The phone closed first (its close_notify or FIN), [`GAVE_UP_SECS`] or
/// more after its request, and the server had sent nothing after that
/// request (its TLS 1.3 session tickets left out): the server accepted the
/// session and never answered. (A phone closing sooner: see the module
/// doc.)
fn gave_up_unanswered(
    c: &Conn<'_>,
    end: &End<'_>,
    (name, port): (&str, u16),
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let r = request(c).filter(|r| r.frame < end.close.frame)?;
    let asked = end.phone.request_at?;
    let closed = end.phone_at();
    let secs = asked.secs_until(&closed);
    if end.server.answer_records() != Some(0) || secs < GAVE_UP_SECS {
        return None;
    }
    evidence.push(ev(r, "the phone's request (application data)"));
    let how = match end.phone.alert_last {
        true => "closed the session (its close_notify)",
        false if end.rst => "reset the connection",
        false => "closed the connection",
    };
    evidence.push(ev(
        end.close,
        format!("the phone gave up {secs:.1} s after its request: no answer"),
    ));
    let tickets = match c.server_hello.is_some_and(|(_, v)| is_tls13(v)) {
        true => " but its session tickets",
        false => "",
    };
    let summary = format!(
        "the handshake with {name} completed, then the phone's request (#{}) got no answer: \
         the phone {how} {secs:.1} s later, the server having sent no application data after \
         the request{tickets}",
        r.frame
    );
    let advice = format!(
        "{name}:{port}, or the TLS terminator / load balancer in front of it, accepts the \
         session and leaves the request unanswered (its backend hung or overloaded, a WAF \
         holding the request): check its log for the phone's connection and its response time"
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

/// The server's side ended the connection (`how`: reset, closed) `sent`
/// into the session without a close_notify.
fn no_close_notify(name: &str, sent: &str, how: &str) -> String {
    format!(
        "handshake with {name} completed, then the server's side {how} the connection {sent} \
         into the session without closing TLS (no close_notify): the answer may be cut"
    )
}
