//! How the stage words SIP responses: a status line with what its headers
//! add, ordinals of re-sends, and advice for a final response by class (RFC
//! 3261 section 21).

use crate::proto::sip::{SipMessage, StartLine};

pub(super) fn response_text(code: u16, m: &SipMessage) -> String {
    let reason = match &m.start {
        StartLine::Response { reason, .. } => reason.as_str(),
        _ => "",
    };
    let mut t = match reason.trim() {
        "" => code.to_string(),
        reason => format!("{code} {reason}"),
    };
    if let Some(a) = &m.www_authenticate {
        if let Some(realm) = a.get("realm") {
            t.push_str(&format!(" realm {realm}"));
        }
        if a.get("stale")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            t.push_str(" stale=true");
        }
    }
    t
}

/// 2nd, 3rd, 11th, 21st...
pub(super) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Advice for a 403 to a REGISTER that carried credentials, or to one that
/// carried none and was never challenged: then the registrar (or a proxy)
/// refused before any authentication, and the password is not the cause.
/// `who`: the registrar as the advice names it ("the registrar", or the one
/// a redirect pointed to with its address).
pub(super) fn forbidden(credentials: bool, who: &str) -> String {
    match credentials {
        true => format!(
            "{who} forbids the registration: check the user ID, Auth ID and password, and \
             that the device is assigned to the user in Control Hub"
        ),
        false => format!(
            "{who} refused the REGISTER before asking for credentials (it carried none): not \
             a password problem; the registrar or a proxy does not accept this device, \
             address or domain: check its access list for the phone's address, the line's \
             user ID and registrar domain, and that the device is assigned in Control Hub"
        ),
    }
}

/// What a refusal that names its reason asks to change: an extension the
/// registrar lacks (420: Unsupported, RFC 3261 21.4.15) or requires (421:
/// Require, 21.4.16), SIP outbound at a first hop without it (439, RFC 5626
/// 11.6), a forwarding loop (483, RFC 3261 16.3), a redirect (3xx: the
/// Contact, 8.1.3.4). `None` for other answers.
pub(super) fn reason_advice(code: u16, m: &SipMessage) -> Option<String> {
    let named = |header: &str| {
        let v = m.header(header).map(str::trim).filter(|v| !v.is_empty());
        v.map(|v| crate::text::printable(v).into_owned())
    };
    Some(match code {
        420 => {
            let tags = named("Unsupported").unwrap_or_else(|| "an option tag".to_string());
            format!(
                "the registrar does not support the SIP extension the phone requires ({tags}, \
                 in the REGISTER's Require or Proxy-Require): remove that requirement from the \
                 line's settings, or enable the extension on the registrar or SBC"
            )
        }
        421 => {
            let tags = named("Require").unwrap_or_else(|| "an extension".to_string());
            format!(
                "the registrar requires a SIP extension the phone did not offer ({tags}): \
                 enable it on the phone's line, or drop the requirement on the registrar"
            )
        }
        439 => "the first proxy does not support SIP outbound (RFC 5626) that the phone's \
                REGISTER asks for (reg-id, +sip.instance): turn SIP outbound off on the line, \
                or enable outbound and Path on the edge proxy"
            .to_string(),
        // A registrar at its binding limit for the address-of-record
        // (Kamailio: P-Registrar-Error "Too many registered contacts"):
        // another device holds the binding; waiting changes nothing.
        503 if named("P-Registrar-Error")
            .is_some_and(|e| e.to_ascii_lowercase().contains("contacts")) =>
        {
            let error = named("P-Registrar-Error").unwrap_or_default();
            let held = (m.contact.iter())
                .map(|c| crate::text::printable(crate::proto::sip::contact_uri(c)).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            let held = match held.is_empty() {
                true => String::new(),
                false => format!(", held by {held}"),
            };
            format!(
                "the registrar holds as many bindings for this line as it allows ({error}{held}): \
                 another device, or a stale registration, has the line; remove that binding or \
                 device, or raise the registrar's contact limit"
            )
        }
        483 => "the REGISTER used up its Max-Forwards (483 Too Many Hops): proxies forward it \
                in a loop or through too many hops; check the proxies' routing"
            .to_string(),
        300..=399 => {
            // The most preferred target: the highest q (RFC 3261 8.1.3.4;
            // no q counts as 1), its URI without the parameters.
            let q = |c: &str| {
                let q = crate::proto::sip::contact_param(c, "q");
                q.and_then(|v| v.parse::<f32>().ok()).unwrap_or(1.0)
            };
            let best = (m.contact.iter()).reduce(|a, b| if q(b) > q(a) { b } else { a });
            let to = best.map(|c| {
                let uri = crate::proto::sip::contact_uri(c);
                crate::text::printable(uri).into_owned()
            });
            let to = to.map_or(String::new(), |c| format!(" to {c}"));
            format!(
                "the registrar redirects the REGISTER{to} ({code}) and the phone did not \
                 follow: point the line's proxy or registrar at that address"
            )
        }
        _ => return None,
    })
}

/// Advice for a final response other than 200, 401/407 and 403, by class
/// (RFC 3261 section 21).
/// `min_expires`: a 423's Min-Expires; `asked`: the REGISTER's expiry.
pub(super) fn final_advice(
    code: u16,
    m: &SipMessage,
    min_expires: Option<u32>,
    asked: Option<u32>,
) -> String {
    if let Some(advice) = reason_advice(code, m) {
        return advice;
    }
    match code {
        423 => {
            let min = min_expires.map_or("a longer expiry".to_string(), |m| format!("{m} s"));
            let asked = asked.map_or(String::new(), |a| format!(", the phone asked for {a} s"));
            format!(
                "the registrar wants registrations of at least {min} (423 Interval Too \
                 Brief){asked}: raise the line's registration expiry to it, or lower the \
                 registrar's minimum"
            )
        }
        403 => forbidden(true, "the registrar"),
        404 => "the registrar does not know this line (404): check the user ID and the \
                registrar's domain in the line settings"
            .to_string(),
        // A REGISTER refused because the line is busy: registrars answer
        // so when they hold as many bindings for it as they allow.
        486 => "the registrar reports the line busy (486), most often because it holds as \
                many registrations for it as it allows: remove the other devices' or stale \
                bindings of the line, or raise the registrar's limit"
            .to_string(),
        408 | 480 | 500..=599 => {
            // (RFC 3261 20.33: when to ask again; 480 and 5xx may carry it.)
            let retry = m.header_secs("Retry-After");
            let wait = retry.map_or("wait".to_string(), |s| format!("wait the {s} s it asks"));
            let asks = retry.map_or(String::new(), |s| format!(" with Retry-After {s} s"));
            format!(
                "the registrar (or a proxy before it) answered {code}{asks}: it is overloaded, \
                 down or cannot reach its back end; try another SRV target or {wait}, and \
                 check the service status"
            )
        }
        _ => {
            format!("the registrar answered {code}: check the line's registrar and proxy settings")
        }
    }
}
