//! Telling TLS from other bytes at the start of a TCP payload: a record
//! header (content type 20..=23, major version 3) or an SSLv2-compatible
//! ClientHello.

/// Quick check: does this TCP payload start with a TLS record header (or an
/// SSLv2-compatible ClientHello)?
/// Like [`looks_like_tls`] on the start of a stream that may still grow:
/// None while the bytes so far could still begin a record or an SSLv2
/// hello.
pub fn sniff_tls(data: &[u8]) -> Option<bool> {
    if looks_like_tls(data) {
        return Some(true);
    }
    match data {
        [] => None,
        [b0, ..] if b0 & 0x80 != 0 && data.len() < 5 => None,
        [content_type] | [content_type, 3] if (20..=23).contains(content_type) => None,
        _ => Some(false),
    }
}

pub fn looks_like_tls(data: &[u8]) -> bool {
    match data {
        [content_type, 3, minor, ..] => (20..=23).contains(content_type) && *minor <= 4,
        _ => is_sslv2_client_hello(data),
    }
}

/// The 2-octet-header SSLv2 record carrying a CLIENT-HELLO (RFC 6101
/// appendix E.1; RFC 5246 appendix E.2), version SSL 2.0 or 3.x.
pub(super) fn is_sslv2_client_hello(data: &[u8]) -> bool {
    match data {
        [b0, _, 1, major, minor, ..] => {
            b0 & 0x80 != 0 && ((*major, *minor) == (0, 2) || (*major == 3 && *minor <= 4))
        }
        _ => false,
    }
}
