//! The TLS handshake on one established connection: ClientHello,
//! ServerHello, the certificate chain, client certificates, plaintext and
//! TLS 1.3 encrypted alerts with their sender, and completion, judged as
//! one connection's outcome with its advice.

use super::connection::{server_name, Conn, Kind};
use super::Outcome;
use super::{abandon, cut, download, flight, lost, no_request, stall};
use crate::fact::{Body, Fact};
use crate::proto::tls::{alert_name, is_tls13, version_name, TlsEvent};
use crate::verdict::{cert, ev, refusal, Ctx, Evidence, Status};

/// The TLS handshake on an established connection.
/// One TLS connection's outcome; `port` is the one TLS runs to (a proxy
/// tunnel's target port, else the server's).
pub(super) fn tls_outcome(
    ctx: &Ctx<'_>,
    c: &Conn<'_>,
    kind: Kind,
    ntp_ok: bool,
    port: u16,
) -> Outcome {
    let snaplen_cut = ctx.snaplen_cut;
    let name = c.sni.clone().unwrap_or_else(|| server_name(ctx, c, kind));
    let mut evidence = handshake_evidence(c);
    let seen = evidence.len();
    // Without SNI the phone checks the certificate against the name it
    // connected to: one of those its server's address resolved from.
    let resolved: Vec<String> = match c.sni {
        Some(_) => Vec::new(),
        None => ctx
            .names
            .names(&c.server.ip())
            .map(str::to_string)
            .collect(),
    };
    // An alert with no ClientHello before it (the phone opened and closed
    // without a handshake) answers nothing the stage is about.
    let fatal = c
        .alerts
        .iter()
        .find(|a| a.2 == 2 && (a.1 || c.hello.is_some()));
    let warning = c.alerts.iter().find(|a| a.2 == 1 && a.3 != 0);
    let version = c.server_hello.map(|(_, v)| v);
    let tls13 = version.is_some_and(is_tls13);
    // TLS 1.3 carries the phone's Finished as application data: a flight
    // the server never acknowledged did not finish it.
    let lost13 = tls13 && stall::unacked_flight(c).is_some();
    // (A ClientHello the server closed on without a ServerHello finished
    // nothing: data the phone sent with it is TLS 1.3 early data, RFC 8446
    // 2.3. A server never seen at all, a one-way capture, tells nothing.)
    // (A server that sent anything of its own, its hello merely missing
    // from the capture, answered.)
    let server_silent = !(c.app_data[1] || c.ccs[1] || c.hidden_bytes || c.chain.is_some());
    let server_closed = matches!(c.closed, Some((_, false, _))) && server_silent;
    let unanswered = c.hello.is_some() && c.server_hello.is_none() && server_closed;
    // (No hello seen either way, the snaplen cutting the records, and only
    // the server's records read past the cuts: no handshake seen.)
    let phone_done = c.app_data[0] || c.ccs == [true, true];
    let cut_unseen = c.hello.is_none() && c.server_hello.is_none() && c.snaplen_cut && !phone_done;
    let unseen = c.hello.is_none() && (c.hidden_bytes || cut_unseen);
    // (What the snaplen's cuts left readable of them is said.)
    let cut_seen = c.cut_hid.iter().any(Option::is_some);
    let done = !lost13
        && !unanswered
        && !cut_unseen
        && (c.app_data[0] || (c.ccs[0] && c.ccs[1]) || (!tls13 && c.app_data[1]));
    // The phone quit after the server's hello: an alert the server sends
    // after that close answers it.
    let quit = abandon::phone_quit(c);
    let fatal = fatal.filter(|a| a.1 || quit.is_none_or(|q| a.0.frame < q.frame));
    // The server closed right after its hello: the phone's alert after that
    // close (OpenSSL answers the FIN with decode_error) reacts to it.
    let server_quit = flight::server_close(c);
    let fatal = fatal.filter(|a| !a.1 || server_quit.is_none_or(|q| a.0.frame < q.frame));
    // Nor when the server closed before any ServerHello (OpenSSL answers
    // that end of the stream with decode_error): the close is the outcome.
    let closed_first = match c.closed {
        Some((f, false, _)) if c.server_hello.is_none() && server_silent => Some(f.frame),
        _ => None,
    };
    let fatal = fatal.filter(|a| !a.1 || closed_first.is_none_or(|q| a.0.frame < q));
    let (status, summary, advice) = if let Some((f, by_phone, _, desc)) = fatal {
        let who = if *by_phone { "the phone" } else { "the server" };
        let summary = format!(
            "{who} ended the handshake with {} ({name}:{port})",
            alert_name(*desc)
        );
        let why = Alert {
            c,
            at: f,
            by_phone: *by_phone,
            desc: *desc,
            name: &name,
            resolved: &resolved,
            port,
            tls13,
            ntp_ok,
            snaplen_cut,
        };
        let advice = why.advice();
        (Status::Fail, summary, Some(advice))
    } else if let Some(close) = server_quit {
        flight::closed_by_server(c, close, &name, port, &mut evidence)
    } else if let Some(stalled) = quit
        .filter(|_| !snaplen_cut)
        .and_then(|close| flight::stalled(c, close, &name, port, &mut evidence))
    {
        stalled
    } else if let Some(close) = quit {
        let quit = abandon::Quit {
            close,
            name: &name,
            port,
            tls13,
            ntp_ok,
            snaplen_cut,
        };
        abandon::judge(c, &quit, &mut evidence)
    } else if let (Some((f, false, what)), None, Some(_)) = (c.not_tls, c.server_hello, c.hello) {
        // Only an answer to the phone's ClientHello: a capture that starts
        // inside a session sees a record's middle first.
        evidence.push(ev(f, format!("the server answers in clear: {what}")));
        let summary = format!("{name}:{port} does not answer in TLS: it sent {what}");
        // The SBC's address comes from the SRV answer, the web servers'
        // from their names' A/AAAA answers.
        let (from, who) = match kind {
            Kind::Sbc => (
                "the address and port the SRV answer gives for the SBC".to_string(),
                "another service, or a proxy answering in clear",
            ),
            _ => (
                format!("the DNS answer for {name} (a wrong record, or a local override)"),
                "another service, a captive portal, or a proxy answering in clear",
            ),
        };
        let advice = match (kind, port) {
            // TLS to HTTP's cleartext port: the URL named port 80.
            (Kind::Activation | Kind::Provisioning, 80) => format!(
                "the phone speaks TLS to port 80 of {name}, HTTP's cleartext port: the URL's \
                 :80 is the cause; drop it from the https:// URL in the profile rule or option \
                 160 (HTTPS runs on 443)"
            ),
            _ => format!(
                "what listens on {} is not a TLS server: check {from}, and what answers there \
                 ({who})",
                c.server
            ),
        };
        (Status::Fail, summary, Some(advice))
    } else if let Some((f, summary, advice)) = tls13
        .then(|| {
            let end = refusal::Ending13 {
                alerts: c.enc_alert,
                server_went_on: c.went_on[1],
                phone_more: c.phone_more,
                finished: c.app_data[0].then_some(c.finished).flatten(),
                closed: c.closed.map(|(f, _, _)| f),
            };
            refusal::encrypted_13(end, &name, port)
        })
        .flatten()
    {
        evidence.push(f);
        // (An alert nobody can read picks no cause, the clock neither.)
        let advice = advice.unwrap_or_else(|| cert::advice_unread(port, ntp_ok));
        (Status::Fail, summary, Some(advice))
    } else if done {
        let judged = completed(c, &name, (port, version, ntp_ok), warning, &mut evidence);
        let download = matches!(kind, Kind::Activation | Kind::Provisioning);
        // TLS 1.3's twin of an abort over the certificate: only an
        // encrypted alert from the phone after its Finished.
        let alert_only = (judged.0 == Status::Pass && download && !snaplen_cut)
            .then(|| no_request::alert_only(c, (&name, port), &mut evidence))
            .flatten();
        match (judged.0, download) {
            _ if alert_only.is_some() => alert_only.unwrap_or(judged),
            (Status::Pass, true) => {
                download::cut_short(c, (&name, port), &mut evidence).unwrap_or(judged)
            }
            _ => judged,
        }
    } else if c.hello.is_some() && c.server_hello.is_none() {
        let (status, summary, advice) = stall::no_server_hello(c, &name, port, &mut evidence);
        // TLS to SIP's cleartext port: a SIP server there waits for text.
        let advice = match port {
            5060 => advice.map(|a| {
                format!(
                    "the phone speaks TLS to port 5060, SIP's cleartext port: set its proxy \
                     port to the TLS one (5061, or the SBC's {} on Webex Calling) or its \
                     transport to UDP/TCP; else: {a}",
                    ctx.sbc_port
                )
            }),
            _ => advice,
        };
        (status, summary, advice)
    } else if c.hello.is_none() && !c.hidden_bytes && (c.server_hello.is_some() || cut_seen) {
        cut::no_client_hello(c, &name, port, &mut evidence)
    } else if unseen {
        let why = match snaplen_cut {
            true => "cut by the capture's snaplen",
            false => "lost by the capture",
        };
        (
            Status::NotSeen,
            format!(
                "TLS with {name}:{port} (#{}) can't tell: bytes both sides acknowledged are \
                 not in the capture ({why})",
                c.first.frame
            ),
            None,
        )
    } else if c.hello.is_none() && c.chain.is_some() {
        cut::no_client_hello(c, &name, port, &mut evidence)
    } else if c.hello.is_none() {
        (
            Status::NotSeen,
            format!("no TLS handshake seen with {name}"),
            None,
        )
    } else if let Some(closed) = (!tls13)
        .then(|| stall::closed_after_phone_finished(c, &name, port, &mut evidence))
        .flatten()
    {
        closed
    } else if let Some(late) = stall::answered_too_late(c, &name, port, &mut evidence) {
        late
    } else if let Some(lost) = stall::phone_flight_lost(c, &name, port, &mut evidence) {
        lost
    } else {
        (Status::NotSeen, unfinished(c, &name), None)
    };
    // A failure other than a plaintext alert, with bytes the capture lost
    // (or records its snaplen cut) before the close: can't tell. (A server
    // answering in clear was read whole: no cut record changes that.)
    let clear = matches!((c.not_tls, c.server_hello), (Some((_, false, _)), None));
    let lost = (status == Status::Fail && fatal.is_none())
        .then(|| lost::unjudged(c, &name, port, !clear))
        .flatten();
    let (status, summary, advice) = match lost {
        Some((summary, why)) => {
            evidence.truncate(seen);
            evidence.push(why);
            (Status::NotSeen, summary, None)
        }
        None => (status, summary, advice),
    };
    Outcome {
        hidden: status == Status::NotSeen
            && (unseen
                || c.hidden_bytes && c.lost.is_some()
                || c.cut_hid.iter().any(Option::is_some)),
        status,
        summary,
        advice,
        evidence,
        astray: false,
    }
}

/// The handshake's messages, as evidence.
fn handshake_evidence(c: &Conn<'_>) -> Vec<Evidence> {
    let mut evidence = Vec::new();
    if let Some(h) = c.hello {
        let offered: Vec<String> = c.offered.iter().map(|v| version_name(*v)).collect();
        let sni = match &c.sni {
            Some(sni) => format!("SNI {sni}"),
            None => "without SNI".to_string(),
        };
        let text = format!("ClientHello {sni} to {} ({})", c.server, offered.join(", "));
        evidence.push(ev(h, text));
    }
    // TLS 1.3: the server asked for another key share (RFC 8446 4.1.4).
    if let Some((hrr, second)) = c.retry {
        let text = "HelloRetryRequest: the server asks for another key share";
        evidence.push(ev(hrr, text));
        if let Some(h) = second {
            evidence.push(ev(h, "second ClientHello, after the HelloRetryRequest"));
        }
    }
    if let Some((f, v)) = c.server_hello {
        // TLS 1.2 and older: keys changed on both sides with no certificate
        // in clear is an abbreviated handshake (RFC 5246 7.3).
        let tls13 = is_tls13(v);
        let resumed = !tls13 && c.chain.is_none() && c.ccs == [true, true];
        let note = if resumed {
            " (session resumed: no certificate sent)"
        } else {
            ""
        };
        evidence.push(ev(f, format!("ServerHello {}{note}", version_name(v))));
    }
    if let Some((f, chain)) = c.chain {
        if let Some(leaf) = chain.first() {
            let cn = leaf.subject_cn.as_deref().unwrap_or(&leaf.subject);
            let issuer = leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer);
            // The names a client checks are the SAN's when it has any (RFC
            // 6125 6.4.4): said when they are not the CN.
            let san = match leaf.san.iter().any(|n| n.eq_ignore_ascii_case(cn)) {
                true => String::new(),
                false if leaf.san.is_empty() => String::new(),
                false => format!(
                    " (names {})",
                    leaf.san
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            evidence.push(ev(f, format!("Certificate {cn}{san} issued by {issuer}")));
        }
    }
    if let Some(f) = c.cert_request {
        evidence.push(ev(
            f,
            "CertificateRequest: the server asks for the phone's certificate",
        ));
    }
    if let Some((f, chain)) = c.client_cert {
        let text = match chain.len() {
            0 => "empty Certificate from the phone (it has none to give)".to_string(),
            n => format!("Certificate from the phone ({n} certificates)"),
        };
        evidence.push(ev(f, text));
    }
    for (f, by_phone, level, desc) in &c.alerts {
        let who = if *by_phone { "phone" } else { "server" };
        let lvl = if *level == 2 { "fatal" } else { "warning" };
        evidence.push(ev(
            f,
            format!("alert {} ({lvl}) from {who}", alert_name(*desc)),
        ));
    }
    evidence
}

/// The names the certificate should hold: the SNI, else `resolved`.
fn wanted<'a>(c: &'a Conn<'_>, resolved: &'a [String]) -> cert::Wanted<'a> {
    cert::Wanted {
        sni: c.sni.as_deref(),
        resolved,
    }
}

/// A fatal alert that ended a handshake, and what it is judged with.
struct Alert<'x> {
    c: &'x Conn<'x>,
    at: &'x Fact,
    by_phone: bool,
    desc: u8,
    name: &'x str,
    /// Without SNI, the names the server's address resolved from.
    resolved: &'x [String],
    port: u16,
    tls13: bool,
    ntp_ok: bool,
    snaplen_cut: bool,
}

impl Alert<'_> {
    /// One line of advice: the certificate the phone refused, the phone's
    /// own certificate, a version or cipher refused either way, a name the
    /// server does not serve, or the alert itself.
    fn advice(&self) -> String {
        let Alert {
            c,
            at: f,
            by_phone,
            desc,
            name,
            resolved,
            port,
            tls13,
            ntp_ok,
            snaplen_cut,
        } = *self;
        // The server's certificates were there, but not readable: the phone
        // could not read them either.
        let readable = c.chain.is_some_and(|(_, ch)| !ch.is_empty());
        if let (true, true, Some(unread), false) = (
            by_phone,
            cert::is_certificate_alert(desc),
            c.cert_unread,
            readable,
        ) {
            return format!(
                "the server's Certificate message (#{}) holds certificates that do not decode \
                 (not DER, or cut): the phone cannot read them either; check the certificate \
                 file {name}:{port} serves",
                unread.frame
            );
        }
        if by_phone && cert::is_certificate_alert(desc) {
            let hidden = if tls13 {
                "TLS 1.3 encrypts it"
            } else if snaplen_cut {
                "not in the capture, whose snaplen cuts frames"
            } else {
                "not in the capture"
            };
            let chain = c.chain.map(|(_, ch)| ch);
            cert::advice(
                desc,
                chain,
                hidden,
                &f.ts,
                ntp_ok,
                port,
                wanted(c, resolved),
            )
        } else if let Some(advice) =
            refusal::mutual_tls(c.cert_request, c.client_cert, by_phone, (desc, &f.ts), name)
        {
            advice
        } else if !by_phone
            && (matches!(desc, 40 | 70 | 71)
                || (c.server_hello.is_none() && refusal::offers_only_old(&c.offered)))
        {
            refusal::version(name, desc, &c.offered)
        } else if let (true, 40 | 70 | 71 | 80, Some((_, chosen @ ..0x0303))) =
            (by_phone, desc, c.server_hello)
        {
            // The phone refuses the version (or ciphers) the server chose.
            format!(
                "{name} chose {} in its ServerHello and the phone refuses it ({}): enable TLS 1.2 \
                 or 1.3 with current cipher suites on the server (and on anything terminating \
                 TLS in front of it)",
                version_name(chosen),
                alert_name(desc)
            )
        } else if let (true, 40, Some(_)) = (by_phone, desc, c.server_hello) {
            // The phone ends the handshake on what the server chose.
            format!(
                "the phone refuses what {name} chose for the handshake (handshake_failure after \
                 its ServerHello): most often a key exchange below today's minimum (DH \
                 parameters under 2048 bits) or an old cipher suite; offer ECDHE with AES-GCM \
                 on TLS 1.2 or 1.3"
            )
        } else if let (false, 112, None, Some(hello)) = (by_phone, desc, &c.sni, c.hello) {
            // unrecognized_name with no name asked: the server wants one.
            // (A phone names the host of its URL; an address gives none.)
            format!(
                "the phone sent no server name (no SNI in its ClientHello #{}) and the server \
                 at {} refuses handshakes without one: use the host name, not an IP address, in \
                 the profile rule or option 160 (or let the server take handshakes without a \
                 name)",
                hello.frame, c.server
            )
        } else if !by_phone && desc == 112 {
            // unrecognized_name (RFC 6066 3): no such name served there.
            let sni = c.sni.as_deref().unwrap_or("the name asked");
            format!(
                "the server at {} does not serve {sni} (the name the phone asked for, SNI): DNS, \
                 an SRV record or a proxy sends the phone to the wrong server, or the server \
                 lacks that name's certificate",
                c.server
            )
        } else {
            format!(
                "TLS to {name} fails with {}: check the server and the path",
                alert_name(desc)
            )
        }
    }
}

/// A handshake that completed: a pass, or a warning (TLS older than 1.2, a
/// warning alert), or a failure when the phone aborted it at once over a
/// certificate for another name.
fn completed(
    c: &Conn<'_>,
    name: &str,
    (port, version, ntp_ok): (u16, Option<u16>, bool),
    warning: Option<&(&Fact, bool, u8, u8)>,
    evidence: &mut Vec<Evidence>,
) -> (Status, String, Option<String>) {
    let tls13 = version.is_some_and(is_tls13);
    if let Some(f) = c.finished {
        let by_ccs = matches!(
            f.body,
            Body::Tls {
                event: TlsEvent::ChangeCipherSpec,
                ..
            }
        );
        let who = match (by_ccs, tls13) {
            (true, _) => "both sides changed keys",
            // TLS 1.3: the phone's first encrypted record is its Finished.
            (false, true) => "encrypted records from the phone (its Finished first)",
            (false, false) => "application data from the phone",
        };
        evidence.push(ev(f, who.to_string()));
    }
    let v = version.map_or("TLS".to_string(), version_name);
    let old = version.is_some_and(|v| v < 0x0303 && v >> 8 != 0x7f);
    // The phone aborted (RST) right after the handshake, having sent
    // nothing, and the certificate names another host than it asked for:
    // it checked the name after the handshake (as curl does) and gave
    // up. (A quiet close after a handshake proves nothing.)
    let leaf = c.chain.and_then(|(_, chain)| chain.first());
    let wrong_name = match (leaf, c.sni.as_deref()) {
        (Some(leaf), Some(sni)) => !cert::names_host(leaf, sni),
        _ => false,
    };
    let aborted = c.phone_reset.filter(|_| !c.app_data[0]);
    if let (true, Some(f)) = (wrong_name, aborted) {
        // An encrypted alert (curl's close_notify or bad_certificate) may
        // come before the reset: no request, but not nothing.
        let alerted = c.enc_alert[0].is_some_and(|a| a.frame < f.frame);
        // (A session not followed past its keys shows no later record: an
        // alert may have gone unread.)
        let sent = match (alerted, c.last_tail.is_some()) {
            (true, _) => "after an encrypted alert, no request",
            (false, true) => "having sent nothing",
            (false, false) => "having sent no request",
        };
        evidence.push(ev(f, format!("the phone reset the connection, {sent}")));
        let advice = leaf.map(|_| {
            let (desc, chain) = (42, c.chain.map(|(_, ch)| ch));
            let at = c.finished.map_or(c.first.ts, |f| f.ts);
            cert::advice(desc, chain, "", &at, ntp_ok, port, wanted(c, &[]))
        });
        let summary =
            format!(
            "{v} handshake with {name} completed, then the phone aborted it without sending a \
             request{}: the certificate does not name {name}",
            if alerted { " (only an encrypted alert)" } else { "" }
        );
        (Status::Fail, summary, advice)
    } else if old {
        // The phone offered 1.2 or later and the server chose less: the
        // server (or a box terminating TLS on the way) is behind.
        let offered_new = c.offered.iter().any(|o| *o >= 0x0303 && *o >> 8 == 0x03);
        let advice = match offered_new {
            true => format!(
                "Webex needs TLS 1.2 or later: the phone offered it, and {name} chose {v}; \
                 Cisco's services take 1.2, so what answered is a server or a box terminating \
                 TLS on the way (an inspecting proxy or firewall) that must be updated or \
                 bypassed"
            ),
            false => "Webex needs TLS 1.2 or later: update the phone firmware and server".into(),
        };
        (
            Status::Warn,
            format!("{v} handshake with {name} completed"),
            Some(advice),
        )
    } else if let Some((_, by_phone, _, d)) = warning {
        let advice = match (*by_phone, *d) {
            (false, 112) => format!(
                "{name} does not know the name the phone asked for (SNI {}): add it to the \
                 server's certificate and virtual hosts",
                c.sni.as_deref().unwrap_or("none")
            ),
            (by_phone, d) => format!(
                "the {} sent a warning alert {} (the handshake went on): check its TLS \
                 configuration",
                if by_phone { "phone" } else { "server" },
                alert_name(d)
            ),
        };
        (
            Status::Warn,
            format!(
                "{v} handshake with {name} completed after a warning \
            alert {}",
                alert_name(*d)
            ),
            Some(advice),
        )
    } else {
        (
            Status::Pass,
            format!("{v} handshake with {name} completed"),
            None,
        )
    }
}

/// A handshake neither finished nor refused: who ended it, when the phone
/// did (a warning-level alert such as close_notify, or its FIN or RST),
/// else the capture ended first.
fn unfinished(c: &Conn<'_>, name: &str) -> String {
    let alert = (c.alerts.iter()).find(|a| a.1 && a.2 != 2);
    let closed = c.closed.filter(|(_, by_phone, _)| *by_phone);
    match (alert, closed) {
        (Some(&(f, _, _, d)), _) => format!(
            "TLS handshake with {name} not finished: the phone ended it with {} (#{}) before \
             its Finished",
            alert_name(d),
            f.frame
        ),
        (None, Some((f, _, rst))) => format!(
            "TLS handshake with {name} not finished: the phone {} the connection (#{}) before \
             its Finished",
            if rst { "reset" } else { "closed" },
            f.frame
        ),
        (None, None) => format!("TLS handshake with {name} not finished in the capture"),
    }
}
