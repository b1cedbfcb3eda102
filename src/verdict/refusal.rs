//! Advice for a server that ends the phone's TLS handshake with an alert:
//! a mutual-TLS refusal when it asked for the phone's certificate first, else
//! a version or cipher mismatch (handshake_failure, protocol_version,
//! insufficient_security). Certificates the phone rejects are `cert`'s.
//! TLS 1.3 refusals whose alert is encrypted are told by where the alert
//! falls ([`encrypted_13`]).

use super::{ev, Evidence};
use crate::fact::Fact;
use crate::proto::tls::{alert_name, version_name, CertInfo};
use crate::time::Timestamp;

/// The server's encrypted alert ends a session at most this long after the
/// phone's Finished to count as refusing the phone (later it is a close).
const REFUSAL_WITHIN_SECS: f64 = 5.0;

/// The connection's first close (the server's, or the phone's reacting to
/// it) this soon after the server's alert-sized record went with it (a TLS
/// stack refusing a peer sends both at once; an application that answers
/// and then hangs up takes longer, as a real server answering "OK" 0.2 s
/// before its FIN did).
const CLOSE_AT_ONCE_SECS: f64 = 0.02;

/// How a TLS 1.3 connection ended, for [`encrypted_13`].
pub struct Ending13<'a> {
    /// Each side's first encrypted alert: the phone's, then the server's.
    pub alerts: [Option<&'a Fact>; 2],
    /// The server sent a record after its alert-sized one: that was data.
    pub server_went_on: bool,
    /// The phone's first record in a segment after its Finished's (data).
    pub phone_more: Option<&'a Fact>,
    /// The phone's first encrypted record (its Finished), if it was not an
    /// alert.
    pub finished: Option<&'a Fact>,
    /// The first FIN or RST of the connection.
    pub closed: Option<&'a Fact>,
}

/// A TLS 1.3 handshake ended by an encrypted alert: the phone's in place of
/// its Finished (it refused the server, most often its certificate; the
/// advice is then `cert`'s, so `None` here), or the server's as its first
/// record after the phone's Finished, the connection closing after it (it
/// refused the phone: mutual TLS is the usual reason). Returns the evidence,
/// the summary and the advice.
pub fn encrypted_13(
    end: Ending13<'_>,
    name: &str,
    port: u16,
) -> Option<(Evidence, String, Option<String>)> {
    if let (Some(alert), None) = (end.alerts[0], end.finished) {
        let text = "encrypted alert from the phone in place of its Finished (TLS 1.3 hides which)";
        let summary = format!(
            "the phone ended the TLS 1.3 handshake with an encrypted alert ({name}:{port})"
        );
        return Some((ev(alert, text), summary, None));
    }
    let (alert, finished) = (end.alerts[1]?, end.finished?);
    let closes = end.closed.is_some_and(|f| f.frame >= alert.frame);
    let soon = finished.ts.secs_until(&alert.ts);
    // The phone closed, or sent data, first: the server's 19-octet record
    // answers it (its close, or a 2-octet reply such as "OK"). Data sent
    // first does not count when the server closes at once with the record:
    // a phone sends its first SIP or HTTP bytes right after its Finished,
    // before the server has read its certificate and refused it.
    // ... and the phone's data went with its Finished (its first bytes, not
    // a request made later on an accepted session).
    // (The first close may be the phone's, reacting to the alert: the
    // alert still came with the end, not as a reply.)
    let at_once = end.closed.is_some_and(|f| {
        let soon = alert.ts.secs_until(&f.ts) < CLOSE_AT_ONCE_SECS;
        f.frame >= alert.frame && soon
    }) && (end.phone_more)
        .is_some_and(|p| finished.ts.secs_until(&p.ts) < CLOSE_AT_ONCE_SECS);
    let phone_first = end.alerts[0].is_some_and(|p| p.frame <= alert.frame)
        || end
            .phone_more
            .is_some_and(|p| p.frame <= alert.frame && !at_once);
    if alert.frame < finished.frame
        || !closes
        || soon > REFUSAL_WITHIN_SECS
        || phone_first
        || end.server_went_on
    {
        return None;
    }
    let text = "encrypted alert from the server, its first record after the phone's Finished \
                (TLS 1.3 hides which)";
    let summary = format!(
        "{name} refused the phone right after the TLS 1.3 handshake: an encrypted alert, then \
         the connection closed ({name}:{port})"
    );
    let advice = format!(
        "TLS 1.3 hides {name}'s reason; a server that hangs up on the phone's Finished most often \
         rejects the phone's certificate (mutual TLS): check the server's client-certificate \
         policy and log against the phone's device certificate"
    );
    Some((ev(alert, text), summary, Some(advice)))
}

/// A server that asked for the phone's certificate (`cert_request`) and then
/// ended the handshake: what the phone sent is the likely reason (a version
/// or cipher mismatch is ruled out, the ServerHello agreed on both).
pub fn mutual_tls(
    cert_request: Option<&Fact>,
    client_cert: Option<(&Fact, &[CertInfo])>,
    by_phone: bool,
    (desc, at): (u8, &Timestamp),
    name: &str,
) -> Option<String> {
    let asked = cert_request?;
    // After an empty client certificate any fatal alert is the refusal:
    // GnuTLS, for one, answers it with decode_error.
    let empty = client_cert.is_some_and(|(_, chain)| chain.is_empty()) && !matches!(desc, 0 | 90);
    if by_phone || !(empty || matches!(desc, 40 | 42..=46 | 48 | 49 | 116)) {
        return None;
    }
    let frame = asked.frame;
    Some(match client_cert {
        Some((f, [])) => format!(
            "{name} asks for a client certificate (#{frame}) and the phone sent none (#{}): the \
             server requires mutual TLS; install the phone's device certificate or relax the \
             server's client-certificate policy",
            f.frame
        ),
        // The phone's own certificate out of its dates: its issuer is not
        // the matter (certificate_expired, or any refusal of such a one).
        // (unknown_ca is about the issuer, whatever the dates.)
        Some((f, [leaf, ..])) if desc != 48 && !crate::verdict::cert::valid_at(leaf, at) => {
            let cn = leaf.subject_cn.as_deref().unwrap_or(&leaf.subject);
            format!(
                "{name} rejected the phone's client certificate (#{}, {}): the phone's own \
                 certificate '{cn}' is outside its validity ({} to {}) at capture time: renew \
                 the phone's device certificate (its issuer is not the problem), or check the \
                 server's clock if the dates are right",
                f.frame,
                alert_name(desc),
                leaf.not_before,
                leaf.not_after
            )
        }
        Some((f, chain)) => {
            let dates = match chain.first() {
                Some(leaf) if !crate::verdict::cert::valid_at(leaf, at) => format!(
                    "; it is also outside its validity ({} to {}) at capture time",
                    leaf.not_before, leaf.not_after
                ),
                _ => String::new(),
            };
            format!(
                "{name} rejected the phone's client certificate (#{}, {}): make the server trust \
                 the phone's certificate issuer, or check that certificate{dates}",
                f.frame,
                alert_name(desc)
            )
        }
        None => format!(
            "{name} asks for a client certificate (#{frame}) and ended the handshake with {}: \
             check the server's mutual-TLS policy against the phone's device certificate",
            alert_name(desc)
        ),
    })
}

/// The phone offers nothing newer than TLS 1.1 (every version it lists is
/// below 1.2): a server that wants 1.2 refuses it with whatever alert its
/// library picks (OpenSSL 3 sends internal_error).
pub fn offers_only_old(offered: &[u16]) -> bool {
    !offered.is_empty() && offered.iter().all(|v| *v < 0x0303 || *v >> 8 == 0x7f)
}

/// A server refusing the phone's offer (handshake_failure,
/// protocol_version, insufficient_security, or any alert to an offer of
/// TLS 1.1 or older).
pub fn version(name: &str, desc: u8, offered: &[u16]) -> String {
    if offers_only_old(offered) {
        let newest = offered
            .iter()
            .max()
            .map_or("TLS".to_string(), |v| version_name(*v));
        return format!(
            "the phone offered at most {newest} and {name} ended the handshake ({}): Webex \
             needs TLS 1.2 or later; update the phone firmware or raise its minimum TLS \
             version",
            alert_name(desc)
        );
    }
    let only_newest = !offered.is_empty() && offered.iter().all(|v| *v == 0x0304);
    let offers_13 = offered.is_empty() || offered.contains(&0x0304);
    let offered: Vec<String> = offered.iter().map(|v| version_name(*v)).collect();
    let offered = offered.join(", ");
    match desc {
        70 if only_newest => format!(
            "{name} does not accept TLS 1.3, the only version the phone offered: enable TLS 1.3 \
             on the server, or let the phone also offer TLS 1.2"
        ),
        70 => format!(
            "{name} accepts none of the TLS versions the phone offered ({offered}): align the \
             server's versions with the phone's (Webex needs TLS 1.2 or later) or update the \
             phone firmware"
        ),
        71 => format!(
            "{name} finds the phone's offer too weak ({offered}): update the phone firmware so it \
             offers the ciphers the server requires"
        ),
        // Some servers (GnuTLS) refuse a version with handshake_failure.
        _ if !offers_13 => format!(
            "{name} found no TLS version, cipher suite or extension in common with the phone's \
             offer ({offered}): check the versions the server accepts (a server that wants TLS \
             1.3 refuses a phone offering at most TLS 1.2), its TLS policy, and anything \
             rewriting TLS on the path"
        ),
        _ => format!(
            "{name} found no cipher suite or extension in common with the phone's offer \
             ({offered}): check the server's TLS policy and anything rewriting TLS on the path"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fact::Body;
    use crate::proto::tls::TlsEvent;
    use crate::verdict::test_support::fact;

    fn tls(frame: u64, secs: i64, from_client: bool, event: TlsEvent) -> Fact {
        let (phone, sbc) = ("192.0.2.101:40000", "198.51.100.20:8934");
        let (src, dst) = if from_client {
            (phone, sbc)
        } else {
            (sbc, phone)
        };
        let body = Body::Tls {
            conn: 1,
            from_client,
            event,
        };
        fact(frame, secs, src, dst, body)
    }

    fn closed(frame: u64, secs: i64) -> Fact {
        let body = Body::Closed {
            conn: 1,
            from_client: false,
            rst: false,
            peer_acked: true,
            peer_silent: false,
            peer_unseen: false,
            own_unseen: false,
            tls: None,
        };
        fact(frame, secs, "198.51.100.20:8934", "192.0.2.101:40000", body)
    }

    #[test]
    fn a_phone_offering_only_tls13_is_not_told_to_update() {
        let a = version("sbc1.example.com", 70, &[0x0304]);
        assert!(
            a.contains("does not accept TLS 1.3") && !a.contains("firmware"),
            "{a}"
        );
        let a = version("sbc1.example.com", 70, &[0x0302, 0x0301]);
        assert!(a.contains("update the phone firmware"), "{a}");
    }

    #[test]
    fn tls13_refusals_by_where_the_encrypted_alert_falls() {
        let fin = tls(10, 100, true, TlsEvent::ApplicationData);
        let alert = tls(11, 100, false, TlsEvent::EncryptedAlert);
        let phone_alert = tls(10, 100, true, TlsEvent::EncryptedAlert);
        let late_alert = tls(40, 130, false, TlsEvent::EncryptedAlert);
        let (close, late_close) = (closed(12, 100), closed(41, 130));
        let judge = |alerts, finished, closed| {
            let end = Ending13 {
                alerts,
                server_went_on: false,
                phone_more: None,
                finished,
                closed,
            };
            encrypted_13(end, "sbc1.example.com", 8934)
        };
        // The phone's alert in place of its Finished: cert advice (None).
        let (e, summary, advice) = judge([Some(&phone_alert), None], None, None).unwrap();
        assert_eq!((e.frame, advice), (10, None));
        assert!(
            summary.starts_with("the phone ended the TLS 1.3 handshake"),
            "{summary}"
        );
        // The server's alert right after the Finished, then a close.
        let (e, summary, advice) = judge([None, Some(&alert)], Some(&fin), Some(&close)).unwrap();
        assert_eq!(e.frame, 11);
        assert!(
            summary.starts_with("sbc1.example.com refused the phone"),
            "{summary}"
        );
        assert!(advice.unwrap().contains("mutual TLS"));
        // No close after it, or a close of a session 30 s old: no refusal.
        assert!(judge([None, Some(&alert)], Some(&fin), None).is_none());
        assert!(judge([None, Some(&late_alert)], Some(&fin), Some(&late_close)).is_none());
    }
}
