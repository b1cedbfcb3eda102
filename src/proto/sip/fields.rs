//! Header values into typed fields: Call-ID, CSeq, From, To, Contact (and
//! its `expires` parameter), Expires, User-Agent, Server, Warning,
//! Content-Length, and the Digest challenge and credentials (RFC 3261
//! sections 20 and 22, RFC 7616): comma lists split outside quotes and
//! angle brackets, quoted strings unescaped.

use super::*;

/// Fills the typed fields from the headers; returns the Content-Length.
pub(super) fn read_fields(msg: &mut SipMessage, headers: &[(String, String)]) -> ContentLength {
    let mut length = ContentLength::Missing;
    let mut proxy_challenge = None;
    let mut proxy_credentials = None;
    for (name, value) in headers {
        match name.as_str() {
            "Call-ID" => set_once(&mut msg.call_id, value),
            "From" => set_once(&mut msg.from, value),
            "To" => set_once(&mut msg.to, value),
            "User-Agent" => set_once(&mut msg.user_agent, value),
            "Server" => set_once(&mut msg.server, value),
            "Warning" => set_once(&mut msg.warning, value),
            "CSeq" if msg.cseq.is_none() => {
                msg.cseq = parse_cseq(value);
                if msg.cseq.is_none() {
                    msg.anomalies.push("malformed_cseq");
                }
            }
            "Expires" if msg.expires.is_none() => {
                msg.expires = parse_delta_seconds(value);
                if msg.expires.is_none() {
                    msg.anomalies.push("malformed_expires");
                }
            }
            "Contact" => {
                let room = MAX_CONTACTS.saturating_sub(msg.contact.len());
                msg.contact.extend(split_list(value).into_iter().take(room));
            }
            "Content-Length" => {
                let this = match parse_length(value) {
                    Some(n) => ContentLength::Value(n),
                    None => ContentLength::Invalid,
                };
                match length {
                    ContentLength::Missing => length = this,
                    seen if seen != this => msg.anomalies.push("conflicting_content_length"),
                    _ => {}
                }
            }
            "WWW-Authenticate" if msg.www_authenticate.is_none() => {
                msg.www_authenticate = parse_auth(value);
            }
            "Proxy-Authenticate" if proxy_challenge.is_none() => {
                proxy_challenge = parse_auth(value);
            }
            "Authorization" if msg.authorization.is_none() => {
                msg.authorization = parse_auth(value);
            }
            "Proxy-Authorization" if proxy_credentials.is_none() => {
                proxy_credentials = parse_auth(value);
            }
            _ => {}
        }
    }
    if msg.www_authenticate.is_none() && proxy_challenge.is_some() {
        msg.www_authenticate = proxy_challenge;
        msg.proxy_challenge = true;
    }
    if msg.authorization.is_none() && proxy_credentials.is_some() {
        msg.authorization = proxy_credentials;
        msg.proxy_credentials = true;
    }
    msg.contact_expires = msg
        .contact
        .first()
        .and_then(|c| contact_param(c, "expires"))
        .and_then(|v| parse_delta_seconds(v.trim_matches('"')));
    if length == ContentLength::Invalid {
        msg.anomalies.push("malformed_content_length");
    }
    length
}

fn set_once(field: &mut Option<String>, value: &str) {
    if field.is_none() {
        *field = Some(value.to_string());
    }
}

/// `CSeq: 1 REGISTER` (RFC 3261 20.16).
fn parse_cseq(value: &str) -> Option<(u32, String)> {
    let mut parts = value.split_ascii_whitespace();
    let number = parts.next()?;
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = number.parse::<u32>().ok()?;
    let method = parts.next()?;
    Some((number, method.to_string()))
}

/// delta-seconds (RFC 3261 25.1); values past 2^32-1 saturate (20.19).
fn parse_delta_seconds(value: &str) -> Option<u32> {
    let digits = value.trim_matches(is_wsp);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.bytes().fold(0u32, |n, b| {
        n.saturating_mul(10)
            .saturating_add(u32::from(b.saturating_sub(b'0')))
    }))
}

fn parse_length(value: &str) -> Option<usize> {
    parse_delta_seconds(value).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Splits a header value at commas outside `<...>` and quoted strings.
fn split_list(value: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut start = 0usize;
    let mut in_angle = false;
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if in_quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quote = true,
            '<' => in_angle = true,
            '>' => in_angle = false,
            ',' if !in_angle => {
                parts.push(value.get(start..i).unwrap_or_default());
                start = i.saturating_add(1);
            }
            _ => {}
        }
    }
    parts.push(value.get(start..).unwrap_or_default());
    parts
        .into_iter()
        .map(|p| p.trim_matches(is_wsp))
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A header parameter of one Contact value: after `<addr>` when present,
/// else after the first `;` of the addr-spec (RFC 3261 20.10).
pub(crate) fn contact_param<'a>(contact: &'a str, name: &str) -> Option<&'a str> {
    let params = after_addr(contact);
    let mut in_quote = false;
    let mut escaped = false;
    let mut start = 0usize;
    let mut found = None;
    let mut check = |piece: &'a str| {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        if found.is_none() && key.trim_matches(is_wsp).eq_ignore_ascii_case(name) {
            found = Some(value.trim_matches(is_wsp));
        }
    };
    for (i, c) in params.char_indices() {
        match c {
            _ if in_quote && escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            ';' if !in_quote => {
                check(params.get(start..i).unwrap_or_default());
                start = i.saturating_add(1);
            }
            _ => {}
        }
    }
    check(params.get(start..).unwrap_or_default());
    found
}

/// The addr-spec of one Contact value: inside `<...>` when present, else up
/// to the first `;` (RFC 3261 20.10), without surrounding whitespace.
pub(crate) fn contact_uri(contact: &str) -> &str {
    let params = after_addr(contact);
    let head = contact
        .get(..contact.len().saturating_sub(params.len()))
        .unwrap_or(contact);
    let inner = match (head.find('<'), head.rfind('>')) {
        (Some(open), Some(close)) if open < close => head.get(open + 1..close),
        _ => Some(head),
    };
    inner.unwrap_or_default().trim_matches(is_wsp)
}

/// The parameter part of a name-addr / addr-spec, starting at its first `;`.
fn after_addr(contact: &str) -> &str {
    let mut in_quote = false;
    let mut escaped = false;
    let mut angle_open = None;
    for (i, c) in contact.char_indices() {
        match c {
            _ if in_quote && escaped => escaped = false,
            '\\' if in_quote => escaped = true,
            '"' => in_quote = !in_quote,
            '<' if !in_quote && angle_open.is_none() => angle_open = Some(i),
            '>' if !in_quote && angle_open.is_some() => {
                return contact.get(i.saturating_add(1)..).unwrap_or_default();
            }
            ';' if !in_quote && angle_open.is_none() => {
                return contact.get(i..).unwrap_or_default();
            }
            _ => {}
        }
    }
    ""
}

/// `Digest realm="x", nonce="y", stale=true` (RFC 3261 25.1 challenge and
/// credentials; quoted-string with `\` escapes).
pub(super) fn parse_auth(value: &str) -> Option<AuthParams> {
    let value = value.trim_start_matches(is_wsp);
    let scheme_len = value
        .find(|c: char| is_wsp(c) || c == ',')
        .unwrap_or(value.len());
    let scheme = value.get(..scheme_len).filter(|s| !s.is_empty())?;
    let rest = value.get(scheme_len..).unwrap_or_default().as_bytes();
    let mut params = Vec::new();
    let mut i = 0usize;
    while i < rest.len() && params.len() < MAX_AUTH_PARAMS {
        let before = i;
        i = skip_while(rest, i, |b| b == b' ' || b == b'\t' || b == b',');
        let name_start = i;
        i = skip_while(rest, i, |b| !matches!(b, b'=' | b',' | b' ' | b'\t'));
        let name = rest.get(name_start..i).unwrap_or_default();
        i = skip_while(rest, i, |b| b == b' ' || b == b'\t');
        let mut param_value = Vec::new();
        if rest.get(i) == Some(&b'=') {
            i = skip_while(rest, i.saturating_add(1), |b| b == b' ' || b == b'\t');
            if rest.get(i) == Some(&b'"') {
                i = read_quoted(rest, i.saturating_add(1), &mut param_value);
            } else {
                let start = i;
                i = skip_while(rest, i, |b| !matches!(b, b',' | b' ' | b'\t'));
                param_value.extend_from_slice(rest.get(start..i).unwrap_or_default());
            }
        }
        if !name.is_empty() {
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            let param_value = String::from_utf8_lossy(&param_value).into_owned();
            params.push((name, param_value));
        }
        if i == before {
            i = i.saturating_add(1);
        }
    }
    Some(AuthParams {
        scheme: scheme.to_string(),
        params,
    })
}

fn skip_while(data: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    let n = data
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| keep(b))
        .count();
    from.saturating_add(n)
}

/// Reads a quoted-string body from `from` (after the opening quote) into
/// `out`; returns the offset after the closing quote, or the end of `data`.
fn read_quoted(data: &[u8], from: usize, out: &mut Vec<u8>) -> usize {
    let mut i = from;
    while let Some(&b) = data.get(i) {
        i = i.saturating_add(1);
        match b {
            b'"' => return i,
            b'\\' => {
                if let Some(&escaped) = data.get(i) {
                    out.push(escaped);
                    i = i.saturating_add(1);
                }
            }
            _ => out.push(b),
        }
    }
    i
}
