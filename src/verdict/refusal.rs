//! Advice for a server that ends the phone's TLS handshake with an alert:
//! a mutual-TLS refusal when it asked for the phone's certificate first, else
//! a version or cipher mismatch (handshake_failure, protocol_version,
//! insufficient_security). Certificates the phone rejects are `cert`'s.

use crate::fact::Fact;
use crate::proto::tls::{alert_name, version_name};

/// A server that asked for the phone's certificate (`cert_request`) and then
/// ended the handshake: what the phone sent is the likely reason (a version
/// or cipher mismatch is ruled out, the ServerHello agreed on both).
pub fn mutual_tls(
    cert_request: Option<&Fact>,
    client_cert: Option<(&Fact, usize)>,
    by_phone: bool,
    desc: u8,
    name: &str,
) -> Option<String> {
    let asked = cert_request?;
    if by_phone || !matches!(desc, 40 | 42..=46 | 48 | 49 | 116) {
        return None;
    }
    let frame = asked.frame;
    Some(match client_cert {
        Some((f, 0)) => format!(
            "{name} asks for a client certificate (#{frame}) and the phone sent none (#{}): the \
             server requires mutual TLS; install the phone's device certificate or relax the \
             server's client-certificate policy",
            f.frame
        ),
        Some((f, _)) => format!(
            "{name} rejected the phone's client certificate (#{}, {}): make the server trust the \
             phone's certificate issuer, or check that certificate",
            f.frame,
            alert_name(desc)
        ),
        None => format!(
            "{name} asks for a client certificate (#{frame}) and ended the handshake with {}: \
             check the server's mutual-TLS policy against the phone's device certificate",
            alert_name(desc)
        ),
    })
}

/// A server refusing the phone's offer (handshake_failure,
/// protocol_version, insufficient_security).
pub fn version(name: &str, desc: u8, offered: &[u16]) -> String {
    let offered: Vec<String> = offered.iter().map(|v| version_name(*v)).collect();
    let offered = offered.join(", ");
    match desc {
        70 => format!(
            "{name} accepts none of the TLS versions the phone offered ({offered}): align the \
             server's versions with the phone's (Webex needs TLS 1.2 or later) or update the \
             phone firmware"
        ),
        71 => format!(
            "{name} finds the phone's offer too weak ({offered}): update the phone firmware so it \
             offers the ciphers the server requires"
        ),
        _ => format!(
            "{name} found no cipher suite or extension in common with the phone's offer \
             ({offered}): check the server's TLS policy and anything rewriting TLS on the path"
        ),
    }
}
