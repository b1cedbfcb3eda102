//! TLS 1.3, a download: the phone finished the handshake, then its only
//! record was one of an alert's length (RFC 8446 5.2: 2 octets of alert,
//! the content type and the AEAD tag) and it reset the connection: it made
//! no request. TLS 1.3 encrypts both the certificate and the alert, so the
//! reason stays hidden; a client that checks the server's name only after
//! the handshake (curl does) ends this way on a certificate for another
//! host. The TLS 1.2 twin, whose certificate is in clear, is `handshake`'s.

use super::{Conn, Judged};
use crate::proto::tls::is_tls13;
use crate::verdict::{ev, Evidence, Status};

/// The phone's Finished, then its encrypted alert and nothing else before
/// its reset: a failure naming the alert and the reset. None when the
/// phone sent any other record after its Finished (a request, or records of
/// a client certificate that hide where its Finished is), when the capture
/// lacks bytes of the session, or when the session is not TLS 1.3.
pub(super) fn alert_only(
    c: &Conn<'_>,
    (name, port): (&str, u16),
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let (_, version) = c.server_hello?;
    let (finished, alert) = (c.phone_data?, c.enc_alert[0]?);
    // An abort, as in TLS 1.2: a quiet close (FIN) after a bare handshake
    // is a probe's, and proves nothing.
    let reset = c.phone_reset?;
    let [phone, _] = c.last_tail?;
    // (One record longer than an alert: the Finished alone.)
    let only_alert = phone.data_records == 1 && phone.alert_last && !c.went_on[0];
    let in_order = finished.frame < alert.frame && alert.frame < reset.frame;
    let more = c.phone_more.is_some();
    if !is_tls13(version) || !only_alert || !in_order || more || phone.gapped || c.hidden_bytes {
        return None;
    }
    evidence.push(ev(
        alert,
        "encrypted alert from the phone after its Finished, no request (TLS 1.3 hides which)",
    ));
    evidence.push(ev(reset, "the phone reset the connection after its alert"));
    let summary = format!(
        "TLS 1.3 handshake with {name} completed, then the phone aborted it without sending a \
         request (only an encrypted alert, #{}): TLS 1.3 hides why",
        alert.frame
    );
    let advice = format!(
        "the phone dropped {name}:{port} right after the handshake, before any request; TLS \
         1.3 hides why, most often a certificate that does not name {name} (a name checked \
         after the handshake): check the names and issuer of the certificate served on port \
         {port}"
    );
    Some((Status::Fail, summary, Some(advice)))
}
