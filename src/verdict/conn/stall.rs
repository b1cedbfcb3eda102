//! TLS connections that stall before the ServerHello, or get it too late:
//! who closed, after how long, and whether the phone's bytes were
//! acknowledged tell a server that hangs up, a path that loses the server's
//! answer (a path-MTU black hole), a filter dropping the ClientHello, a
//! server answering after the phone gave up, and a phone's own quick close
//! (a probe) apart; ICMP errors answering the ClientHello name who rejected
//! it. A TLS 1.2 server closing after the phone's Finished,
//! without its own, failed the handshake at its last step.

use std::net::IpAddr;

use super::tcp::{icmp_advice, Icmp};
use super::{Conn, Judged};
use crate::fact::{Body, Fact};
use crate::packet::UnreachKind;
use crate::proto::tls::is_tls13;
use crate::verdict::{ev, Evidence, Status};

/// TLS 1.2: the phone sent its ChangeCipherSpec and Finished, and the
/// server closed the connection without its own: the server (or what
/// terminates TLS in front of it) dropped the session at the last step.
pub(super) fn closed_after_phone_finished(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let (f, by_client, rst) = c.closed?;
    if by_client || !c.ccs[0] || c.ccs[1] || c.server_hello.is_none() {
        return None;
    }
    let how = if rst { "reset" } else { "closed" };
    evidence.push(ev(f, format!("server {how} the connection")));
    let summary = format!(
        "{name} {how} the connection after the phone's Finished, without its own \
         ChangeCipherSpec and Finished: the handshake failed at its last step"
    );
    let advice = format!(
        "{name}:{port} drops the session once the phone has sent its key exchange and \
         Finished: check the server's TLS log (a key exchange or client certificate it rejects) \
         and any load balancer or firewall terminating TLS in front of it"
    );
    Some((Status::Fail, summary, Some(advice)))
}

/// A ClientHello with no ServerHello.
pub(super) fn no_server_hello(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Judged {
    if let Some(judged) = super::pmtu::server_flight_unreceived(c, name, port, evidence) {
        return judged;
    }
    let server_closed = matches!(c.closed, Some((_, false, _)));
    if let Some(icmp @ (f, kind, sender, count)) = c.icmp.filter(|_| !server_closed) {
        let said = icmp_said(kind, sender, count);
        evidence.push(ev(f, said.clone()));
        let how = match rejects(kind) {
            true => "rejected on the way",
            false => "undeliverable",
        };
        let summary = format!("the ClientHello to {name} was answered by {said}: {how}");
        return (
            Status::Fail,
            summary,
            Some(rejected_hello(c, name, port, icmp)),
        );
    }
    match c.closed {
        Some((f, by_client, rst)) if !by_client => {
            let how = if rst { "reset" } else { "closed" };
            evidence.push(ev(f, format!("server {how} the connection")));
            let summary = format!("{name} {how} the connection after the ClientHello");
            let advice = format!(
                "something between the phone and {name} cuts TLS after the ClientHello \
                 (SNI filtering, an IPS, a proxy): allow {name}:{port}"
            );
            (Status::Fail, summary, Some(advice))
        }
        // The phone gave up on a server that sent nothing (bytes the
        // capture missed would show in the phone's acknowledgments).
        Some((f, true, rst)) if silent_close(f) && waited(c, f) >= MIN_GIVE_UP_SECS => {
            let hello = c.hello.unwrap_or(c.first);
            let (summary, advice) = unanswered_hello(f, hello, name, port);
            let how = if rst { "reset" } else { "closed" };
            let after = wait(waited(c, f));
            let text = format!("the phone {how} the connection {after} after its ClientHello");
            evidence.push(ev(f, text));
            (Status::Fail, summary, Some(advice))
        }
        // Sent again and again, never acknowledged: dropped on the
        // way, as unanswered SYNs are (the capture ends first).
        None if c.unacked.is_some_and(|(last, n)| {
            n >= MIN_RESENT_HELLO && waited(c, last) >= MIN_GIVE_UP_SECS
        }) =>
        {
            let hello = c.hello.unwrap_or(c.first);
            let (last, resent) = c.unacked.unwrap_or((hello, 0));
            let over = wait(waited(c, last));
            let text = format!("the ClientHello sent again {resent} times, never acknowledged");
            evidence.push(ev(last, text));
            let mut summary = format!(
                "the ClientHello to {name} was never acknowledged: sent {} times over \
                 {over}, no answer",
                resent.saturating_add(1)
            );
            // The server re-sending its SYN-ACK never got the phone's ACK
            // either: all the phone sends after its SYN is lost, not the
            // ClientHello for its name.
            let synack_again = matches!(
                last.body,
                Body::Unacked {
                    synack_again: true,
                    ..
                }
            );
            let advice = match synack_again {
                true => format!(
                    "{name} keeps re-sending its SYN-ACK: neither the phone's ACK nor its \
                     ClientHello reaches it, only its SYN did. A firewall passes the SYN and \
                     drops the rest (asymmetric routing past a stateful firewall that sees one \
                     direction, or a state table that loses the connection): check the path \
                     from the phone to {name}:{port} and where its return traffic goes"
                ),
                false => hello_dropped(name, port),
            };
            if synack_again {
                summary.push_str(&format!("; {name} kept re-sending its SYN-ACK"));
            }
            (Status::Fail, summary, Some(advice))
        }
        // Closed sooner than any TLS client gives up: the phone's own
        // doing (a probe, an abort), not the server's silence.
        Some((f, true, _)) if silent_close(f) => {
            let after = wait(waited(c, f));
            let summary = format!(
                "the phone closed the connection to {name} {after} after its ClientHello, \
                 before any answer could be expected"
            );
            evidence.push(ev(f, "the phone closes the connection"));
            (Status::NotSeen, summary, None)
        }
        _ => (
            Status::NotSeen,
            format!("ClientHello to {name}, no ServerHello seen"),
            None,
        ),
    }
}

/// A ServerHello that came after the phone, having waited, closed.
pub(super) fn answered_too_late(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let (f, late) = gave_up_before_answer(c)?;
    // The answer came after the phone had closed: too late.
    let after = wait(waited(c, f));
    evidence.push(ev(
        f,
        format!("the phone closes the connection {after} after its hello"),
    ));
    let summary = format!(
        "{name} answered the ClientHello (#{}) only after the phone had given up ({after})",
        late.frame
    );
    let advice = format!(
        "{name} answers too slowly for the phone (or the path delays its answer): check the \
         server's load and the path to {name}:{port}"
    );
    Some((Status::Fail, summary, Some(advice)))
}

/// The phone gave up on a ClientHello that got no answer (`close`: its FIN
/// or RST). Whether the server's TCP acknowledged the hello tells where the
/// bytes were lost: the answer on its way back (a path-MTU black hole drops
/// the server's full-size segments), or the hello itself (a filter).
fn unanswered_hello(close: &Fact, hello: &Fact, name: &str, port: u16) -> (String, String) {
    let after = wait(hello.ts.secs_until(&close.ts));
    let acked = matches!(
        close.body,
        Body::Closed {
            peer_acked: true,
            ..
        }
    );
    if acked {
        let summary = format!(
            "{name} acknowledged the ClientHello but no TLS answer reached the phone; it gave \
             up after {after}"
        );
        let advice = format!(
            "{name}'s answer is lost on the way back: most often a path-MTU black hole (its \
             full-size segments with the certificate are dropped on a tunnel or VPN link and no \
             ICMP 'fragmentation needed' comes back: lower the MTU or clamp the TCP MSS there), \
             else a service on port {port} that takes the connection but never answers TLS; \
             a capture beside {name} tells which"
        );
        (summary, advice)
    } else {
        let summary = format!(
            "the ClientHello to {name} was never acknowledged and got no answer; the phone \
             gave up after {after}"
        );
        (summary, hello_dropped(name, port))
    }
}

/// Advice for a ClientHello an ICMP error answered: a filter that passes
/// the TCP handshake and rejects the ClientHello (by its SNI or as an
/// application), or the routing kinds `icmp_advice` tells apart.
fn rejected_hello(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    (f, kind, sender, _): (&Fact, UnreachKind, IpAddr, u32),
) -> String {
    let icmp = Icmp {
        kind,
        sender: Some(sender),
        frame: f.frame,
        elsewhere: None,
    };
    match rejects(kind) {
        true => format!(
            "{sender} lets the TCP handshake with {name} through and rejects the ClientHello \
             (ICMP {}, #{}): a firewall that filters TLS by its SNI or application; allow \
             {name}:{port} there",
            kind.words(),
            f.frame
        ),
        false => icmp_advice(&icmp, c.server, c.first.src_ip(), "TLS"),
    }
}

/// "ICMP port unreachable from 192.0.2.1, 3 times".
fn icmp_said(kind: UnreachKind, sender: IpAddr, count: u32) -> String {
    let times = match count {
        1 => String::new(),
        n => format!(", {n} times"),
    };
    format!("ICMP {} from {sender}{times}", kind.words())
}

/// ICMP kinds that refuse the packet (a filter or the host), as opposed to
/// ones that could not deliver it (routing).
fn rejects(kind: UnreachKind) -> bool {
    matches!(
        kind,
        UnreachKind::AdminProhibited
            | UnreachKind::Port
            | UnreachKind::Protocol
            | UnreachKind::RejectRoute
    )
}

/// Advice for a ClientHello that never reached the server.
fn hello_dropped(name: &str, port: u16) -> String {
    format!(
        "the TCP handshake with {name} works but the ClientHello is dropped on the way: a \
         firewall or IPS that filters TLS by its SNI; allow {name}:{port}"
    )
}

/// After the ServerHello, the phone's next flight (its certificate, key
/// exchange and Finished) never acknowledged by the server, which sent
/// nothing after it: answered by ICMP errors, or sent again until the phone
/// gave up or the capture ended. The flight, and the phone's close (with
/// whether it reset) when it gave up.
pub(super) fn unacked_flight<'a>(c: &Conn<'a>) -> Option<(&'a Fact, Option<(&'a Fact, bool)>)> {
    let (server_hello, _) = c.server_hello?;
    let flight = c.phone_next.filter(|f| f.frame > server_hello.frame)?;
    if c.server_last.is_some_and(|s| s.frame > flight.frame) {
        return None;
    }
    let unacked_close = match c.closed {
        Some((f, true, rst)) => match f.body {
            Body::Closed {
                peer_acked: false, ..
            } => Some((f, rst)),
            _ => None,
        },
        _ => None,
    };
    let gave_up = unacked_close.filter(|(f, _)| flight.ts.secs_until(&f.ts) >= MIN_GIVE_UP_SECS);
    let resent = c.unacked.filter(|(_, n)| *n >= MIN_RESENT_HELLO);
    (gave_up.is_some() || resent.is_some() || c.icmp.is_some()).then_some((flight, gave_up))
}

/// The phone's flight after the ServerHello lost ([`unacked_flight`]):
/// a path-MTU black hole when it is large (a client certificate) or ICMP
/// asked for smaller packets, else a filter dropping the session there.
pub(super) fn phone_flight_lost(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let (flight, gave_up) = unacked_flight(c)?;
    evidence.push(ev(
        flight,
        "the phone's next flight, never acknowledged".to_string(),
    ));
    let mut summary = format!(
        "the phone's handshake flight after the ServerHello (#{}) was never acknowledged \
         by {name}",
        flight.frame
    );
    if let Some((f, kind, sender, count)) = c.icmp {
        let said = icmp_said(kind, sender, count);
        evidence.push(ev(f, said.clone()));
        summary.push_str(&format!(": answered by {said}"));
    }
    if let Some((f, rst)) = gave_up {
        let how = if rst { "reset" } else { "closed" };
        let after = wait(flight.ts.secs_until(&f.ts));
        evidence.push(ev(f, format!("the phone {how} the connection")));
        summary.push_str(&format!("; the phone {how} the connection {after} later"));
    } else if let Some((last, n)) = c.unacked {
        evidence.push(ev(
            last,
            format!("sent again {n} times, never acknowledged"),
        ));
        summary.push_str(&format!("; sent again {n} times"));
    }
    // TLS 1.2 shows whether the phone sent a certificate (a large flight);
    // TLS 1.3 hides it, but the server's request for one is a hint.
    let large = c.client_cert.is_some() || c.cert_request.is_some();
    let tls13 = c.server_hello.is_some_and(|(_, v)| is_tls13(v));
    let advice = match c.icmp {
        Some((f, kind, sender, _)) => {
            let icmp = Icmp {
                kind,
                sender: Some(sender),
                frame: f.frame,
                elsewhere: None,
            };
            icmp_advice(&icmp, c.server, c.first.src_ip(), "TLS")
        }
        None if large || tls13 => format!(
            "the TCP handshake and the ClientHello with {name} pass but the phone's next \
             flight is lost on the way{}: a path-MTU black hole (a tunnel or VPN lowering the \
             MTU while ICMP packet-too-big / fragmentation-needed is filtered), or a firewall \
             or IPS cutting the session there; lower the MTU or clamp the TCP MSS towards \
             {name}:{port} and let those ICMP messages through, else check that firewall",
            if large {
                " (it carries a client certificate: large packets)"
            } else {
                ""
            }
        ),
        None => format!(
            "the TCP handshake and the ClientHello with {name} pass but the phone's key \
             exchange and Finished (small, no client certificate) are dropped on the way: a \
             firewall or IPS cutting TLS after the server's certificate; check it for \
             {name}:{port}"
        ),
    };
    Some((Status::Fail, summary, Some(advice)))
}

/// The phone's close (after waiting long enough) that came before the
/// server's ServerHello, and that ServerHello.
fn gave_up_before_answer<'a>(c: &Conn<'a>) -> Option<(&'a Fact, &'a Fact)> {
    let (close, true, _) = c.closed? else {
        return None;
    };
    let (hello, _) = c.server_hello?;
    let long = waited(c, close) >= MIN_GIVE_UP_SECS;
    (close.frame < hello.frame && long && c.hello.is_some()).then_some((close, hello))
}

/// Seconds a phone waits for a ServerHello before its close says it gave
/// up (TLS clients wait for seconds; sooner is a probe or an abort).
const MIN_GIVE_UP_SECS: f64 = 2.0;

/// Seconds from the phone's ClientHello (else the connection's start) to `f`.
fn waited(c: &Conn<'_>, f: &Fact) -> f64 {
    c.hello.unwrap_or(c.first).ts.secs_until(&f.ts)
}

/// A close while the other side had sent nothing (none captured, none
/// acknowledged: bytes the capture missed show in the acknowledgments).
fn silent_close(f: &Fact) -> bool {
    matches!(
        f.body,
        Body::Closed {
            peer_silent: true,
            ..
        }
    )
}

/// Re-sends of an unacknowledged ClientHello that show a path dropping it
/// (TCP's first retransmission alone may be a slow server).
const MIN_RESENT_HELLO: u32 = 2;

/// "0.4 s", "40 s".
fn wait(secs: f64) -> String {
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{secs:.0} s")
    }
}
