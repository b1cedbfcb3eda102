//! SIP messages (RFC 3261), recognised by content on any port.
//!
//! Our own parser. It reads the start line (section 7.1/7.2), the header
//! fields with names compared case-insensitively and the compact forms of
//! section 7.3.3 and later RFCs mapped to their long names, folded lines
//! (7.3.1: CRLF plus white space becomes one SP), and bare LF line ends. A
//! datagram may hold several messages framed by Content-Length (18.3); on a
//! stream Content-Length is mandatory and CRLF keep-alives (RFC 5626 3.5.1)
//! between messages are skipped. A message cut short is reported as
//! truncated (datagram) or not at all (stream), never as complete.
//!
//! Decoded into fields: Call-ID, CSeq, From, To, Contact (all values),
//! Expires and the first Contact's `expires`, User-Agent, Server, Warning,
//! the first Digest challenge (WWW-/Proxy-Authenticate, RFC 3261 22 and RFC
//! 7616) and credentials (Authorization / Proxy-Authorization). Every header
//! is kept as (long name, value). Ignored: the body (SDP, XML), URI
//! structure beyond Contact parameters, multipart and compressed bodies.

mod addr;
mod fields;
mod stream;

pub use addr::{is_private, nat_evidence, Nat};
#[cfg(test)]
use fields::parse_auth;
use fields::read_fields;
pub(crate) use fields::{contact_param, contact_uri};
pub use stream::SipStream;
use stream::{find_head_end, probe_start_line, skip_line_ends, Probe};

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

/// A Digest challenge or credentials (RFC 3261 section 22, RFC 7616).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthParams {
    pub scheme: String,
    /// Parameter names lowercase, values unquoted, in order.
    pub params: Vec<(String, String)>,
}

impl AuthParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `stale=true` (RFC 7616 3.3): the nonce expired, the credentials were
    /// right.
    pub fn stale(&self) -> bool {
        self.get("stale")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SipMessage {
    pub start: StartLine,
    pub call_id: Option<String>,
    /// CSeq number and method.
    pub cseq: Option<(u32, String)>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Contact header values, each as written.
    pub contact: Vec<String>,
    /// Expires header.
    pub expires: Option<u32>,
    /// The `expires` parameter of the first Contact.
    pub contact_expires: Option<u32>,
    pub user_agent: Option<String>,
    pub server: Option<String>,
    pub warning: Option<String>,
    pub www_authenticate: Option<AuthParams>,
    pub authorization: Option<AuthParams>,
    /// Every header as (canonical long name, value), in order.
    pub headers: Vec<(String, String)>,
    /// The message was cut short: its body (Content-Length beyond the
    /// data), or its head by the capture's snaplen (`parse_cut`). Output
    /// as `sip_truncated`: a fact's `truncated` is its frame's.
    #[serde(rename = "sip_truncated")]
    pub truncated: bool,
    /// `www_authenticate` came from Proxy-Authenticate (a 407), not
    /// WWW-Authenticate.
    pub proxy_challenge: bool,
    /// `authorization` came from Proxy-Authorization.
    pub proxy_credentials: bool,
    /// Stable snake_case ids of what was wrong but survivable.
    pub anomalies: Vec<&'static str>,
    /// Octets of the whole message (head, empty line and the body its
    /// Content-Length gives, or the rest of its datagram without one).
    #[serde(skip)]
    pub octets: usize,
}

impl SipMessage {
    /// The expiry this message (a 2xx to a REGISTER) gives the binding
    /// `own` (the REGISTER's Contact): that Contact's `expires`, else the
    /// Expires header. A registrar lists every binding of the address of
    /// record (RFC 3261 10.3 step 8), other devices' too; without `own` or
    /// a Contact matching it, the first Contact's.
    pub fn binding_expires(&self, own: Option<&str>) -> Option<u32> {
        let own = own.map(fields::contact_uri);
        let mine = own.and_then(|uri| {
            let same = |c: &&String| fields::contact_uri(c).eq_ignore_ascii_case(uri);
            self.contact.iter().find(same)
        });
        match mine {
            Some(c) => fields::contact_param(c, "expires")
                .and_then(|v| v.parse().ok())
                .or(self.expires),
            None => self.contact_expires.or(self.expires),
        }
    }

    /// The first value of a header, by its canonical long name (case
    /// ignored).
    pub fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    /// The Contact this REGISTER registers and its expiry: each Contact has
    /// its own (its `expires` parameter, else the Expires header; RFC 3261
    /// 10.2.1.1), and a REGISTER removing a stale binding (expires=0)
    /// beside its own registers the one with the longest expiry.
    pub fn registered_contact(&self) -> (Option<&str>, Option<u32>) {
        let expiry = |c: &str| {
            (fields::contact_param(c, "expires").and_then(|v| v.parse::<u32>().ok()))
                .or(self.expires)
        };
        let best = (self.contact.iter()).max_by_key(|c| expiry(c).map_or(0, u64::from));
        match best {
            Some(c) => (Some(c.as_str()), expiry(c).or(self.contact_expires)),
            None => (None, self.contact_expires.or(self.expires)),
        }
    }

    /// The credentials of every Authorization header (`proxy`: every
    /// Proxy-Authorization header): one per realm challenged (RFC 3261
    /// 22.3).
    pub fn credentials(&self, proxy: bool) -> Vec<AuthParams> {
        let name = if proxy {
            "Proxy-Authorization"
        } else {
            "Authorization"
        };
        (self.headers.iter())
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .filter_map(|(_, v)| fields::parse_auth(v))
            .collect()
    }

    /// Seconds of a header whose value starts with a number (Retry-After,
    /// Min-Expires; comments and parameters after it are ignored).
    pub fn header_secs(&self, name: &str) -> Option<u32> {
        let v = self.header(name)?.trim_start();
        let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
        v.get(..digits)?.parse().ok()
    }

    /// The request method, `None` for a response.
    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SipError {
    #[error("sip: not a SIP start line")]
    NotSip,
    #[error("sip: headers end before the blank line")]
    Truncated,
    #[error("sip: malformed {0}")]
    Malformed(&'static str),
}

/// Longest start line we look at; a longer one is not taken for SIP.
pub const MAX_START_LINE: usize = 2048;
/// Longest header block (start line to blank line) we accept.
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Header fields kept per message; the rest are dropped (`too_many_headers`).
pub const MAX_HEADERS: usize = 256;
/// Bytes a [`SipStream`] holds while waiting for a header block to end.
pub const MAX_STREAM_BUFFER: usize = 256 * 1024;
/// Largest Content-Length followed on a stream; a larger one is taken as
/// garbage (`content_length_too_large`) and the stream resynchronises.
pub const MAX_STREAM_BODY: usize = 16 * 1024 * 1024;
/// Messages decoded from one datagram.
pub const MAX_MESSAGES_PER_DATAGRAM: usize = 32;
/// Longest method token in a request line.
const MAX_METHOD: usize = 32;
/// Contact values kept per message.
const MAX_CONTACTS: usize = 64;
/// Parameters kept per challenge or credentials.
const MAX_AUTH_PARAMS: usize = 64;

/// Compact forms: RFC 3261 7.3.3, then RFC 3265 (o, u), RFC 3515 (r),
/// RFC 3892 (b), RFC 4028 (x), RFC 4474 (y, n), RFC 3841 (a, j, d).
const COMPACT_FORMS: [(u8, &str); 20] = [
    (b'i', "Call-ID"),
    (b'm', "Contact"),
    (b'e', "Content-Encoding"),
    (b'l', "Content-Length"),
    (b'c', "Content-Type"),
    (b'f', "From"),
    (b's', "Subject"),
    (b'k', "Supported"),
    (b't', "To"),
    (b'v', "Via"),
    (b'o', "Event"),
    (b'u', "Allow-Events"),
    (b'r', "Refer-To"),
    (b'b', "Referred-By"),
    (b'x', "Session-Expires"),
    (b'y', "Identity"),
    (b'a', "Accept-Contact"),
    (b'j', "Reject-Contact"),
    (b'd', "Request-Disposition"),
    (b'n', "Identity-Info"),
];

/// Long names written the way the RFCs spell them; other names are kept as
/// they appear on the wire.
const LONG_NAMES: [&str; 60] = [
    "Accept",
    "Accept-Contact",
    "Accept-Encoding",
    "Accept-Language",
    "Alert-Info",
    "Allow",
    "Allow-Events",
    "Authentication-Info",
    "Authorization",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Error-Info",
    "Event",
    "Expires",
    "From",
    "Identity",
    "Identity-Info",
    "In-Reply-To",
    "Max-Forwards",
    "MIME-Version",
    "Min-Expires",
    "Min-SE",
    "Organization",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Path",
    "Priority",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "Reason",
    "Record-Route",
    "Refer-To",
    "Referred-By",
    "Reject-Contact",
    "Reply-To",
    "Request-Disposition",
    "Require",
    "Retry-After",
    "Route",
    "Server",
    "Service-Route",
    "Session-Expires",
    "Subject",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
];

/// Quick check on the first bytes of a payload.
pub fn looks_like_sip(data: &[u8]) -> bool {
    probe_start_line(skip_line_ends(data), true) == Probe::Yes
}

/// Like [`looks_like_sip`] on the start of a stream that may still grow:
/// None while the start line is incomplete. Empty lines before it are
/// skipped (RFC 3261 section 7.5: keep-alive CRLFs).
pub fn sniff_sip(data: &[u8]) -> Option<bool> {
    match probe_start_line(skip_line_ends(data), false) {
        Probe::Yes => Some(true),
        Probe::No => Some(false),
        Probe::NeedMore => None,
    }
}

/// The message a datagram cut by the capture's snaplen begins with: its
/// start line and the header lines that arrived whole (the cut one and any
/// body are dropped; the anomaly `cut_by_snaplen` says so). `None` when not
/// even the start line is whole.
pub fn parse_cut(payload: &[u8]) -> Option<SipMessage> {
    let rest = skip_line_ends(payload);
    let last_line_end = rest.iter().rposition(|&b| b == b'\n')?;
    let head = rest.get(..last_line_end)?;
    let head = head.strip_suffix(b"\r").unwrap_or(head);
    let (mut msg, _) = parse_head(head).ok()?;
    msg.anomalies.push("cut_by_snaplen");
    msg.truncated = true;
    Some(msg)
}

/// Decodes the messages of one UDP datagram.
pub fn parse_datagram(payload: &[u8]) -> Vec<Result<SipMessage, SipError>> {
    let mut out: Vec<Result<SipMessage, SipError>> = Vec::new();
    let mut rest = payload;
    while out.len() < MAX_MESSAGES_PER_DATAGRAM {
        rest = skip_line_ends(rest);
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        if probe_start_line(rest, true) != Probe::Yes {
            // Bytes after a message are noted on it, not a new error.
            match out.last_mut() {
                None => out.push(Err(SipError::NotSip)),
                Some(Ok(last)) => last.anomalies.push("trailing_bytes"),
                Some(Err(_)) => {}
            }
            break;
        }
        let Some(end) = find_head_end(rest, 0) else {
            let err = if rest.len() > MAX_HEADER_BLOCK {
                SipError::Malformed("header block over 64 KiB")
            } else {
                SipError::Truncated
            };
            out.push(Err(err));
            break;
        };
        let head = rest.get(..end.head_len).unwrap_or_default();
        let body = rest.get(end.consumed..).unwrap_or_default();
        let (mut msg, length) = match parse_head(head) {
            Ok(parsed) => parsed,
            Err(e) => {
                out.push(Err(e));
                break;
            }
        };
        // Without a usable Content-Length the rest of the datagram is the body.
        let body_len = match length {
            ContentLength::Value(n) => n,
            ContentLength::Missing | ContentLength::Invalid => body.len(),
        };
        if body_len > body.len() {
            msg.truncated = true;
        }
        msg.octets = end.consumed.saturating_add(body_len);
        rest = body.get(body_len..).unwrap_or_default();
        out.push(Ok(msg));
    }
    out
}

/// What the Content-Length header said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContentLength {
    Missing,
    Invalid,
    Value(usize),
}

/// Decodes a header block (start line and headers, without the empty line).
fn parse_head(head: &[u8]) -> Result<(SipMessage, ContentLength), SipError> {
    if head.len() > MAX_HEADER_BLOCK {
        return Err(SipError::Malformed("header block over 64 KiB"));
    }
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let start = parse_start_line(lines.next().unwrap_or_default())?;
    let mut anomalies = Vec::new();
    if head
        .windows(2)
        .any(|w| matches!(w, [before, b'\n'] if *before != b'\r'))
    {
        anomalies.push("bare_lf");
    }
    let headers = unfold_headers(lines, &mut anomalies);
    let mut msg = SipMessage {
        start,
        call_id: None,
        cseq: None,
        from: None,
        to: None,
        contact: Vec::new(),
        expires: None,
        contact_expires: None,
        user_agent: None,
        server: None,
        warning: None,
        www_authenticate: None,
        authorization: None,
        headers: Vec::new(),
        truncated: false,
        proxy_challenge: false,
        proxy_credentials: false,
        anomalies,
        octets: 0,
    };
    let length = read_fields(&mut msg, &headers);
    msg.headers = headers;
    Ok((msg, length))
}

fn parse_start_line(line: &[u8]) -> Result<StartLine, SipError> {
    if probe_start_line(line, true) != Probe::Yes {
        return Err(SipError::NotSip);
    }
    let text = String::from_utf8_lossy(line);
    // (SIP-Version is case-insensitive: RFC 3261 7.1.)
    let version = text.get(..8).filter(|v| v.eq_ignore_ascii_case("SIP/2.0 "));
    if let Some(rest) = version.and_then(|v| text.get(v.len()..)) {
        let code = rest
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or(SipError::Malformed("status code"))?;
        let reason = rest.get(3..).unwrap_or_default().trim_matches(is_wsp);
        return Ok(StartLine::Response {
            code,
            reason: reason.to_string(),
        });
    }
    let mut parts = text.split(' ');
    match (parts.next(), parts.next()) {
        (Some(method), Some(uri)) => Ok(StartLine::Request {
            method: method.to_string(),
            uri: uri.to_string(),
        }),
        _ => Err(SipError::Malformed("request line")),
    }
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 3261 25.1 token characters, for header names.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

/// Joins folded lines and splits `name: value`; names become long names.
fn unfold_headers<'a>(
    lines: impl Iterator<Item = &'a [u8]>,
    anomalies: &mut Vec<&'static str>,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    // Whether a continuation line belongs to the last header kept.
    let mut can_fold = false;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            match headers.last_mut() {
                Some((_, value)) if can_fold => {
                    let more = String::from_utf8_lossy(line);
                    let more = more.trim_matches(is_wsp);
                    let kept = value.trim_end_matches(is_wsp).len();
                    value.truncate(kept);
                    if !value.is_empty() && !more.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(more);
                }
                _ => anomalies.push("continuation_without_header"),
            }
            continue;
        }
        let colon = line.iter().position(|&b| b == b':');
        let name = colon.and_then(|c| line.get(..c)).map(trim_wsp_end);
        let Some(name) = name.filter(|n| !n.is_empty() && n.iter().all(|&b| is_token_byte(b)))
        else {
            anomalies.push("malformed_header_line");
            can_fold = false;
            continue;
        };
        if headers.len() >= MAX_HEADERS {
            anomalies.push("too_many_headers");
            break;
        }
        let value = colon
            .and_then(|c| line.get(c.saturating_add(1)..))
            .unwrap_or_default();
        let value = String::from_utf8_lossy(value)
            .trim_matches(is_wsp)
            .to_string();
        headers.push((long_name(name), value));
        can_fold = true;
    }
    headers
}

fn trim_wsp_end(b: &[u8]) -> &[u8] {
    let wsp = b.iter().rev().take_while(|&&c| c == b' ' || c == b'\t');
    let n = b.len().saturating_sub(wsp.count());
    b.get(..n).unwrap_or_default()
}

/// The canonical long name of a header name (a token, so ASCII).
fn long_name(name: &[u8]) -> String {
    if let [one] = name {
        let one = one.to_ascii_lowercase();
        if let Some((_, long)) = COMPACT_FORMS.iter().find(|(c, _)| *c == one) {
            return (*long).to_string();
        }
    }
    let text = String::from_utf8_lossy(name);
    LONG_NAMES
        .iter()
        .find(|long| long.eq_ignore_ascii_case(&text))
        .map_or_else(|| text.to_string(), |long| (*long).to_string())
}

#[cfg(test)]
mod tests;

/// Tests on real captures: a small reader for pcap/pcapng with Ethernet,
/// Linux SLL or raw IP, then IPv4/IPv6 and UDP/TCP at fixed offsets.
#[cfg(test)]
mod capture_tests;
