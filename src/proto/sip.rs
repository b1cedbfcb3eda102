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
    /// The body was cut short (Content-Length beyond the data).
    pub truncated: bool,
    /// `www_authenticate` came from Proxy-Authenticate (a 407), not
    /// WWW-Authenticate.
    pub proxy_challenge: bool,
    /// `authorization` came from Proxy-Authorization.
    pub proxy_credentials: bool,
    /// Stable snake_case ids of what was wrong but survivable.
    pub anomalies: Vec<&'static str>,
}

impl SipMessage {
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
    probe_start_line(data, true) == Probe::Yes
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
        rest = body.get(body_len..).unwrap_or_default();
        out.push(Ok(msg));
    }
    out
}

/// One direction of a SIP-over-TCP connection, framed by Content-Length.
#[derive(Debug, Default)]
pub struct SipStream {
    buf: Vec<u8>,
    /// A message whose header block is parsed, waiting for its body.
    body: Option<PendingBody>,
    /// Where the search for the blank line resumes in `buf`.
    scan_from: usize,
    /// Bytes skipped while looking for a start line.
    skipped: u64,
    /// Partial messages dropped (gap, over-long header block, full buffer).
    dropped: u64,
}

#[derive(Debug)]
struct PendingBody {
    msg: SipMessage,
    remaining: usize,
}

impl SipStream {
    /// Appends in-order bytes from `frame`; returns the complete messages,
    /// each with the frame that completed it.
    pub fn push(&mut self, frame: u64, data: &[u8]) -> Vec<(u64, SipMessage)> {
        let mut out = Vec::new();
        let mut rest = data;
        while !rest.is_empty() {
            // Body bytes are counted, not kept: the message carries no body.
            if let Some(pending) = self.body.as_mut() {
                let take = pending.remaining.min(rest.len());
                pending.remaining = pending.remaining.saturating_sub(take);
                rest = rest.get(take..).unwrap_or_default();
                if pending.remaining == 0 {
                    if let Some(done) = self.body.take() {
                        out.push((frame, done.msg));
                    }
                }
                continue;
            }
            let room = MAX_STREAM_BUFFER.saturating_sub(self.buf.len());
            let take = room.min(rest.len());
            let (now, later) = rest.split_at_checked(take).unwrap_or((rest, &[]));
            self.buf.extend_from_slice(now);
            rest = later;
            self.drain(frame, &mut out);
            if self.buf.len() >= MAX_STREAM_BUFFER {
                log::debug!("sip: frame {frame}: stream buffer full, resync");
                self.drop_partial();
            }
        }
        out
    }

    /// Bytes are missing: drop the partial message and resynchronise.
    pub fn gap(&mut self) {
        if !self.buf.is_empty() || self.body.is_some() {
            self.drop_partial();
        }
    }

    /// Bytes skipped so far while looking for a start line.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    /// Partial messages dropped so far (gaps, limits).
    pub fn dropped_messages(&self) -> u64 {
        self.dropped
    }

    fn drop_partial(&mut self) {
        self.buf.clear();
        self.body = None;
        self.scan_from = 0;
        self.dropped = self.dropped.saturating_add(1);
    }

    /// Takes every complete message off the front of `buf`.
    fn drain(&mut self, frame: u64, out: &mut Vec<(u64, SipMessage)>) {
        let mut at = 0usize;
        loop {
            let view = self.buf.get(at..).unwrap_or_default();
            if view.is_empty() {
                break;
            }
            let (consumed, mut msg, length) = match read_front(view, self.scan_from) {
                Front::Wait { scan_from } => {
                    self.scan_from = scan_from;
                    break;
                }
                Front::Skip { len, what } => {
                    self.skip(frame, len, what);
                    at = at.saturating_add(len);
                    continue;
                }
                Front::Head {
                    consumed,
                    msg,
                    length,
                } => (consumed, *msg, length),
            };

            // The body: counted by Content-Length, 0 when it is missing.
            self.scan_from = 0;
            at = at.saturating_add(consumed);
            let body_len = match length {
                ContentLength::Value(n) if n > MAX_STREAM_BODY => {
                    msg.anomalies.push("content_length_too_large");
                    0
                }
                ContentLength::Value(n) => n,
                ContentLength::Missing => {
                    msg.anomalies.push("missing_content_length");
                    0
                }
                ContentLength::Invalid => 0,
            };
            let available = self.buf.len().saturating_sub(at);
            if body_len <= available {
                at = at.saturating_add(body_len);
                out.push((frame, msg));
            } else {
                let remaining = body_len.saturating_sub(available);
                self.body = Some(PendingBody { msg, remaining });
                at = self.buf.len();
                break;
            }
        }
        let at = at.min(self.buf.len());
        self.buf.drain(..at);
    }

    fn skip(&mut self, frame: u64, len: usize, what: Skipped) {
        self.scan_from = 0;
        match what {
            Skipped::KeepAlive => {}
            Skipped::Garbage => {
                log::debug!("sip: frame {frame}: skipped {len} bytes before a start line");
                self.skipped = self.skipped.saturating_add(len as u64);
            }
            Skipped::BadHead(why) => {
                log::debug!("sip: frame {frame}: {why}, skipping a line");
                self.skipped = self.skipped.saturating_add(len as u64);
                self.dropped = self.dropped.saturating_add(1);
            }
        }
    }
}

/// What the front of a stream buffer holds.
enum Front {
    /// Bytes to drop.
    Skip { len: usize, what: Skipped },
    /// Too few bytes to tell; the blank-line search may resume at `scan_from`.
    Wait { scan_from: usize },
    /// A parsed header block of `consumed` bytes, empty line included.
    Head {
        consumed: usize,
        msg: Box<SipMessage>,
        length: ContentLength,
    },
}

#[derive(Clone, Copy, Debug)]
enum Skipped {
    /// CRLF keep-alives between messages.
    KeepAlive,
    /// Bytes before a plausible start line.
    Garbage,
    /// The first line of a header block we cannot use.
    BadHead(&'static str),
}

/// Looks at the front of a stream buffer (not empty).
fn read_front(view: &[u8], scan_from: usize) -> Front {
    let lead = view.len().saturating_sub(skip_line_ends(view).len());
    if lead > 0 {
        return Front::Skip {
            len: lead,
            what: Skipped::KeepAlive,
        };
    }
    match probe_start_line(view, false) {
        Probe::Yes => {}
        Probe::NeedMore => return Front::Wait { scan_from: 0 },
        Probe::No => {
            return Front::Skip {
                len: next_start(view).max(1),
                what: Skipped::Garbage,
            }
        }
    }
    let Some(end) = find_head_end(view, scan_from) else {
        if view.len() > MAX_HEADER_BLOCK {
            return Front::Skip {
                len: line_len(view),
                what: Skipped::BadHead("header block over 64 KiB"),
            };
        }
        return Front::Wait {
            scan_from: view.len().saturating_sub(2),
        };
    };
    match parse_head(view.get(..end.head_len).unwrap_or_default()) {
        Ok((msg, length)) => Front::Head {
            consumed: end.consumed,
            msg: Box::new(msg),
            length,
        },
        Err(_) => Front::Skip {
            len: line_len(view),
            what: Skipped::BadHead("unusable header block"),
        },
    }
}

/// Result of looking at the first line of some bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    Yes,
    No,
    /// The bytes end before we can tell.
    NeedMore,
}

/// Is `data` the beginning of a SIP start line? With `eof` the end of
/// `data` may end the line.
fn probe_start_line(data: &[u8], eof: bool) -> Probe {
    let window = data.get(..MAX_START_LINE).unwrap_or(data);
    let found = match (probe_status(window, eof), probe_request(window, eof)) {
        (Probe::Yes, _) | (_, Probe::Yes) => Probe::Yes,
        (Probe::NeedMore, _) | (_, Probe::NeedMore) => Probe::NeedMore,
        _ => Probe::No,
    };
    if found == Probe::NeedMore && (eof || window.len() >= MAX_START_LINE) {
        return Probe::No;
    }
    found
}

/// `SIP/2.0 SP 3DIGIT` then SP or the line end.
fn probe_status(d: &[u8], eof: bool) -> Probe {
    for (i, &want) in b"SIP/2.0 ".iter().enumerate() {
        match d.get(i) {
            None => return Probe::NeedMore,
            Some(&b) if b == want => {}
            Some(_) => return Probe::No,
        }
    }
    for i in 8..11 {
        match d.get(i) {
            None => return Probe::NeedMore,
            Some(b) if b.is_ascii_digit() => {}
            Some(_) => return Probe::No,
        }
    }
    match d.get(11) {
        None if eof => Probe::Yes,
        None => Probe::NeedMore,
        Some(b' ' | b'\r' | b'\n') => Probe::Yes,
        Some(_) => Probe::No,
    }
}

/// `METHOD SP Request-URI SP SIP/2.0` then the line end.
fn probe_request(d: &[u8], eof: bool) -> Probe {
    let method = d.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if method > MAX_METHOD {
        return Probe::No;
    }
    let mut i = method;
    match d.get(i) {
        None => return Probe::NeedMore,
        Some(b' ') if method > 0 => i += 1,
        Some(_) => return Probe::No,
    }
    let rest = d.get(i..).unwrap_or_default();
    let uri = rest.iter().take_while(|&&b| b > b' ' && b != 0x7f).count();
    i = i.saturating_add(uri);
    match d.get(i) {
        None => return Probe::NeedMore,
        Some(b' ') if uri > 0 => i += 1,
        Some(_) => return Probe::No,
    }
    for &want in b"SIP/2.0" {
        match d.get(i) {
            None => return Probe::NeedMore,
            Some(&b) if b == want => i += 1,
            Some(_) => return Probe::No,
        }
    }
    match (d.get(i), d.get(i.saturating_add(1))) {
        (None, _) if eof => Probe::Yes,
        (None, _) => Probe::NeedMore,
        (Some(b'\n'), _) | (Some(b'\r'), Some(b'\n')) => Probe::Yes,
        (Some(b'\r'), None) if eof => Probe::Yes,
        (Some(b'\r'), None) => Probe::NeedMore,
        _ => Probe::No,
    }
}

/// Offset of the next line start in `data` (after the first byte) that may
/// begin a message; `data.len()` when none can.
fn next_start(data: &[u8]) -> usize {
    let mut at = 0usize;
    while let Some(lf) = data
        .get(at..)
        .and_then(|d| d.iter().position(|&b| b == b'\n'))
    {
        at = at.saturating_add(lf).saturating_add(1);
        let line = skip_line_ends(data.get(at..).unwrap_or_default());
        if line.is_empty() || probe_start_line(line, false) != Probe::No {
            return at;
        }
    }
    data.len()
}

/// Length of the first line including its LF.
fn line_len(data: &[u8]) -> usize {
    data.iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |lf| lf.saturating_add(1))
}

fn skip_line_ends(data: &[u8]) -> &[u8] {
    let n = data
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    data.get(n..).unwrap_or_default()
}

/// Where a header block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HeadEnd {
    /// Start line and headers, up to and including the last header's LF.
    head_len: usize,
    /// `head_len` plus the empty line.
    consumed: usize,
}

/// Finds the empty line ending the header block, looking at line ends from
/// offset `from` on.
fn find_head_end(data: &[u8], from: usize) -> Option<HeadEnd> {
    let mut at = from;
    loop {
        let lf = at.saturating_add(data.get(at..)?.iter().position(|&b| b == b'\n')?);
        let next = lf.saturating_add(1);
        let blank = match (data.get(next), data.get(next.saturating_add(1))) {
            (Some(b'\n'), _) => Some(1),
            (Some(b'\r'), Some(b'\n')) => Some(2),
            _ => None,
        };
        if let Some(blank) = blank {
            return Some(HeadEnd {
                head_len: next,
                consumed: next.saturating_add(blank),
            });
        }
        at = next;
    }
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
    if let Some(rest) = text.strip_prefix("SIP/2.0 ") {
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

/// Fills the typed fields from the headers; returns the Content-Length.
fn read_fields(msg: &mut SipMessage, headers: &[(String, String)]) -> ContentLength {
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
fn contact_param<'a>(contact: &'a str, name: &str) -> Option<&'a str> {
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
fn parse_auth(value: &str) -> Option<AuthParams> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &[u8] = b"REGISTER sip:sip.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK1;rport\r\n\
From: <sip:5551001@sip.example.com>;tag=a1\r\n\
To: <sip:5551001@sip.example.com>\r\n\
Call-ID: reg-1@192.0.2.100\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:5551001@192.0.2.100:5060>;+sip.instance=\"<urn:uuid:1,2>\";expires=3600\r\n\
User-Agent: Cisco/CP-8845-3PCC-12.0.1\r\n\
Expires: 3600\r\n\
Content-Length: 0\r\n\
\r\n";

    /// A 401 with compact names, odd case and a challenge folded over lines.
    const CHALLENGE: &[u8] = b"SIP/2.0 401 Unauthorized\r\n\
v: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK1\r\n\
f: <sip:5551001@sip.example.com>;tag=a1\r\n\
t: <sip:5551001@sip.example.com>;tag=s1\r\n\
i: reg-1@192.0.2.100\r\n\
cseq: 1 REGISTER\r\n\
WWW-AUTHENTICATE: Digest realm=\"sip.example.com\",\r\n\
\x20  nonce=\"n1\",\r\n\
\tstale=TRUE, algorithm=MD5,\r\n\
\x20  qop=\"auth\"\r\n\
l: 0\r\n\
\r\n";

    const INVITE_SDP: &[u8] = b"INVITE sip:100@192.0.2.1 SIP/2.0\r\n\
Call-ID: inv-1\r\n\
CSeq: 7 INVITE\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 44\r\n\
\r\n\
v=0\r\n\
SIP/2.0 200 OK\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n";

    fn one(data: &[u8]) -> SipMessage {
        let mut all = parse_datagram(data);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0).expect("one message")
    }

    fn header<'a>(msg: &'a SipMessage, name: &str) -> Option<&'a str> {
        msg.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn looks_like_sip_accepts_start_lines() {
        for method in [
            "REGISTER",
            "INVITE",
            "OPTIONS",
            "ACK",
            "BYE",
            "CANCEL",
            "NOTIFY",
            "SUBSCRIBE",
            "PUBLISH",
            "MESSAGE",
            "INFO",
            "PRACK",
            "UPDATE",
            "REFER",
        ] {
            let line = format!("{method} sip:a@b SIP/2.0\r\nVia: x\r\n");
            assert!(looks_like_sip(line.as_bytes()), "{method}");
        }
        assert!(looks_like_sip(b"SIP/2.0 200 OK\r\n"));
        assert!(looks_like_sip(b"SIP/2.0 401\r\n"));
        assert!(looks_like_sip(b"SIP/2.0 100 Trying"));
        assert!(looks_like_sip(b"OPTIONS sip:a@b SIP/2.0\n"));
        assert!(looks_like_sip(b"OPTIONS sip:a@b SIP/2.0"));
    }

    #[test]
    fn looks_like_sip_rejects_others() {
        for data in [
            &b""[..],
            b"hello",
            b"\r\n\r\n",
            b"sip/2.0 200 OK\r\n",
            b"SIP/2.0 20 OK\r\n",
            b"SIP/2.0 2000 OK\r\n",
            b"SIP/3.0 200 OK\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"GET /cfg.xml HTTP/1.1\r\n",
            b"register sip:a@b SIP/2.0\r\n",
            b"REGISTER sip:a@b SIP/2.0 \r\n",
            b"REGISTER sip:a@b sip/2.0\r\n",
            b"REGISTER  sip:a@b SIP/2.0\r\n",
            b"REGISTER sip:a@b\r\nSIP/2.0\r\n",
            b"REGISTER sip:a@b SIP/2.0x\r\n",
        ] {
            assert!(!looks_like_sip(data), "{:?}", String::from_utf8_lossy(data));
        }
        let mut long = b"REGISTER sip:".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_START_LINE));
        long.extend_from_slice(b" SIP/2.0\r\n");
        assert!(!looks_like_sip(&long));
    }

    #[test]
    fn request_fields() {
        let msg = one(REGISTER);
        assert_eq!(
            msg.start,
            StartLine::Request {
                method: "REGISTER".into(),
                uri: "sip:sip.example.com".into()
            }
        );
        assert_eq!(msg.call_id.as_deref(), Some("reg-1@192.0.2.100"));
        assert_eq!(msg.cseq, Some((1, "REGISTER".into())));
        assert_eq!(
            msg.from.as_deref(),
            Some("<sip:5551001@sip.example.com>;tag=a1")
        );
        assert_eq!(msg.to.as_deref(), Some("<sip:5551001@sip.example.com>"));
        assert_eq!(msg.expires, Some(3600));
        assert_eq!(msg.contact_expires, Some(3600));
        assert_eq!(
            msg.contact.len(),
            1,
            "comma inside quotes: {:?}",
            msg.contact
        );
        assert_eq!(msg.user_agent.as_deref(), Some("Cisco/CP-8845-3PCC-12.0.1"));
        assert_eq!(msg.headers.len(), 9);
        assert!(!msg.truncated);
        assert!(msg.anomalies.is_empty(), "{:?}", msg.anomalies);
    }

    #[test]
    fn compact_case_and_folded_headers() {
        let msg = one(CHALLENGE);
        assert_eq!(
            msg.start,
            StartLine::Response {
                code: 401,
                reason: "Unauthorized".into()
            }
        );
        assert_eq!(msg.call_id.as_deref(), Some("reg-1@192.0.2.100"));
        assert_eq!(msg.cseq, Some((1, "REGISTER".into())));
        assert_eq!(
            msg.to.as_deref(),
            Some("<sip:5551001@sip.example.com>;tag=s1")
        );
        let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Via",
                "From",
                "To",
                "Call-ID",
                "CSeq",
                "WWW-Authenticate",
                "Content-Length"
            ]
        );
        assert_eq!(
            header(&msg, "WWW-Authenticate"),
            Some(concat!(
                "Digest realm=\"sip.example.com\", nonce=\"n1\", stale=TRUE, ",
                "algorithm=MD5, qop=\"auth\""
            ))
        );
        let auth = msg.www_authenticate.as_ref().expect("challenge");
        assert_eq!(auth.scheme, "Digest");
        assert_eq!(auth.get("realm"), Some("sip.example.com"));
        assert_eq!(auth.get("nonce"), Some("n1"));
        assert_eq!(auth.get("algorithm"), Some("MD5"));
        assert_eq!(auth.get("qop"), Some("auth"));
        assert!(auth.stale());
        assert_eq!(auth.params.len(), 5);
        assert!(!msg.proxy_challenge);
    }

    #[test]
    fn every_compact_form_maps_to_its_long_name() {
        let mut data = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
        for (c, _) in COMPACT_FORMS {
            data.extend_from_slice(&[c.to_ascii_uppercase(), b':', b' ', b'x', b'\r', b'\n']);
        }
        data.extend_from_slice(b"\r\n");
        let msg = one(&data);
        let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
        let want: Vec<&str> = COMPACT_FORMS.iter().map(|(_, long)| *long).collect();
        assert_eq!(names, want);
        // "l: x" is not a number: the rest of the datagram is the body.
        assert!(msg.anomalies.contains(&"malformed_content_length"));
    }

    #[test]
    fn long_names_are_canonical_and_unknown_names_kept() {
        let msg = one(
            b"SIP/2.0 200 OK\r\ncall-id: a\r\nCSEQ: 2 REGISTER\r\nX-Cisco-Foo : bar\r\n\
www-authenticate: Digest realm=r\r\nCONTENT-LENGTH: 0\r\n\r\n",
        );
        let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Call-ID",
                "CSeq",
                "X-Cisco-Foo",
                "WWW-Authenticate",
                "Content-Length"
            ]
        );
        assert_eq!(header(&msg, "X-Cisco-Foo"), Some("bar"));
        assert_eq!(msg.cseq, Some((2, "REGISTER".into())));
    }

    #[test]
    fn bare_lf_line_ends() {
        let text = String::from_utf8_lossy(CHALLENGE).replace("\r\n", "\n");
        let msg = one(text.as_bytes());
        assert_eq!(msg.call_id.as_deref(), Some("reg-1@192.0.2.100"));
        assert_eq!(
            msg.www_authenticate.as_ref().and_then(|a| a.get("qop")),
            Some("auth")
        );
        assert!(msg.anomalies.contains(&"bare_lf"));
    }

    #[test]
    fn continuation_lines_never_become_names() {
        let msg = one(b"SIP/2.0 200 OK\r\n  nonce=\"x\"\r\nnot a header\r\n\
\x20 more: y\r\nCall-ID:\r\n  folded-id\r\nl: 0\r\n\r\n");
        let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Call-ID", "Content-Length"]);
        assert_eq!(msg.call_id.as_deref(), Some("folded-id"));
        assert!(msg.anomalies.contains(&"continuation_without_header"));
        assert!(msg.anomalies.contains(&"malformed_header_line"));
    }

    #[test]
    fn contacts_split_outside_brackets_and_quotes() {
        let msg = one(b"SIP/2.0 200 OK\r\n\
Contact: \"Smith, J\" <sip:a@h;x=1,2>;expires=60, <sip:b@h>;expires=30\r\n\
m: sip:c@h;expires=10\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(
            msg.contact,
            [
                "\"Smith, J\" <sip:a@h;x=1,2>;expires=60",
                "<sip:b@h>;expires=30",
                "sip:c@h;expires=10"
            ]
        );
        assert_eq!(msg.contact_expires, Some(60));
        assert_eq!(contact_param("sip:c@h;EXPIRES=10", "expires"), Some("10"));
        assert_eq!(contact_param("<sip:c@h;expires=5>", "expires"), None);
        assert_eq!(contact_param("\"a;expires=5\" <sip:c@h>", "expires"), None);
        assert_eq!(contact_param("*", "expires"), None);
    }

    #[test]
    fn auth_quoted_values_and_proxy_headers() {
        let auth = parse_auth(
            r#"Digest  username="a\"b",realm="r, s" ,nonce="",uri="sip:x",nc=00000001,qop=auth"#,
        )
        .expect("credentials");
        assert_eq!(auth.scheme, "Digest");
        assert_eq!(auth.get("username"), Some("a\"b"));
        assert_eq!(auth.get("realm"), Some("r, s"));
        assert_eq!(auth.get("nonce"), Some(""));
        assert_eq!(auth.get("nc"), Some("00000001"));
        assert_eq!(auth.get("qop"), Some("auth"));
        assert!(!auth.stale());
        assert_eq!(parse_auth("  "), None);
        assert_eq!(
            parse_auth("Digest realm=\"open").and_then(|a| a.get("realm").map(String::from)),
            Some("open".into())
        );

        let msg = one(b"SIP/2.0 407 Proxy Authentication Required\r\n\
Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n");
        assert!(msg.proxy_challenge);
        assert_eq!(
            msg.www_authenticate.as_ref().and_then(|a| a.get("realm")),
            Some("p")
        );
        let msg = one(b"INVITE sip:a@b SIP/2.0\r\n\
Proxy-Authorization: Digest username=\"u\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n");
        assert!(msg.proxy_credentials);
        assert_eq!(
            msg.authorization.as_ref().and_then(|a| a.get("username")),
            Some("u")
        );
    }

    #[test]
    fn expires_and_cseq_edge_values() {
        let msg = one(
            b"SIP/2.0 200 OK\r\nExpires: 99999999999\r\nCSeq: x REGISTER\r\n\
Warning: 399 host \"Bad\"\r\nServer: S/1\r\nContent-Length: 0\r\n\r\n",
        );
        assert_eq!(msg.expires, Some(u32::MAX));
        assert_eq!(msg.cseq, None);
        assert!(msg.anomalies.contains(&"malformed_cseq"));
        assert_eq!(msg.warning.as_deref(), Some("399 host \"Bad\""));
        assert_eq!(msg.server.as_deref(), Some("S/1"));
    }

    #[test]
    fn datagram_framing() {
        // Two messages, framed by Content-Length; the SDP body holds a line
        // that looks like a status line.
        let mut two = INVITE_SDP.to_vec();
        two.extend_from_slice(CHALLENGE);
        let all = parse_datagram(&two);
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0].as_ref().map(|m| m.call_id.clone()),
            Ok(Some("inv-1".into()))
        );
        assert_eq!(
            all[1].as_ref().map(|m| m.cseq.clone()),
            Ok(Some((1, "REGISTER".into())))
        );

        // Missing Content-Length: the rest of the datagram is the body.
        let no_length = b"SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\nSIP/2.0 180 Ringing\r\n\r\n";
        let msg = one(no_length);
        assert!(!msg.truncated);

        // Body shorter than Content-Length.
        let short = INVITE_SDP.get(..INVITE_SDP.len() - 5).unwrap();
        assert!(one(short).truncated);

        // Headers cut before the blank line.
        let cut = REGISTER.get(..REGISTER.len() - 2).unwrap();
        assert_eq!(parse_datagram(cut), [Err(SipError::Truncated)]);
        assert_eq!(parse_datagram(b"hello"), [Err(SipError::NotSip)]);
        assert!(parse_datagram(b"\r\n\r\n").is_empty());
        assert!(parse_datagram(b"").is_empty());

        // Keep-alives and padding after a message are not errors.
        let mut padded = REGISTER.to_vec();
        padded.extend_from_slice(b"\r\n\0\0\0");
        assert_eq!(parse_datagram(&padded).len(), 1);
        padded.extend_from_slice(b"junk");
        let msg = one(&padded);
        assert_eq!(msg.anomalies, ["trailing_bytes"]);
        assert_eq!(msg.method(), Some("REGISTER"));
        assert_eq!(msg.status(), None);
    }

    /// Builds a stream of messages with keep-alives between; returns the bytes
    /// and the offset where each message ends.
    fn stream_of(messages: &[&[u8]], keepalives: usize) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            for _ in 0..(i + keepalives) % 3 {
                bytes.extend_from_slice(b"\r\n\r\n");
            }
            bytes.extend_from_slice(m);
            ends.push(bytes.len());
        }
        (bytes, ends)
    }

    fn push_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<(u64, SipMessage)> {
        let mut stream = SipStream::default();
        let mut out = Vec::new();
        let mut from = 0;
        for (frame, &to) in cuts.iter().chain([bytes.len()].iter()).enumerate() {
            let to = to.clamp(from, bytes.len());
            out.extend(stream.push(frame as u64, &bytes[from..to]));
            from = to;
        }
        out
    }

    /// The frame holding byte `end - 1` when `bytes` is cut at `cuts`.
    fn frame_of(end: usize, cuts: &[usize]) -> u64 {
        cuts.iter().filter(|&&c| c < end).count() as u64
    }

    const SAMPLE: [&[u8]; 4] = [REGISTER, CHALLENGE, INVITE_SDP, REGISTER];

    #[test]
    fn stream_several_messages_in_one_push() {
        let (bytes, _) = stream_of(&SAMPLE, 1);
        let got = SipStream::default().push(9, &bytes);
        assert_eq!(got.len(), 4);
        assert!(got.iter().all(|(f, m)| *f == 9 && !m.truncated));
        assert_eq!(got[2].1.call_id.as_deref(), Some("inv-1"));
    }

    #[test]
    fn stream_split_at_every_byte() {
        let (bytes, ends) = stream_of(&SAMPLE, 0);
        let whole: Vec<SipMessage> = SipStream::default()
            .push(0, &bytes)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        for cut in 0..=bytes.len() {
            let got = push_pieces(&bytes, &[cut]);
            let frames: Vec<u64> = got.iter().map(|(f, _)| *f).collect();
            let want: Vec<u64> = ends.iter().map(|&e| frame_of(e, &[cut])).collect();
            assert_eq!(frames, want, "cut at {cut}");
            let msgs: Vec<SipMessage> = got.into_iter().map(|(_, m)| m).collect();
            assert_eq!(msgs, whole, "cut at {cut}");
        }
        // One byte per push.
        let cuts: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(push_pieces(&bytes, &cuts).len(), 4);
    }

    #[test]
    fn stream_skips_garbage_before_a_message() {
        let mut bytes = b"\x16\x03\x01garbage\r\nmore junk SIP/2.0 200 OK\r\n".to_vec();
        bytes.extend_from_slice(CHALLENGE);
        let mut stream = SipStream::default();
        let got = stream.push(1, &bytes);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.call_id.as_deref(), Some("reg-1@192.0.2.100"));
        assert!(stream.skipped_bytes() > 0);
    }

    #[test]
    fn stream_missing_content_length_is_zero() {
        let mut bytes = b"SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n".to_vec();
        bytes.extend_from_slice(REGISTER);
        let got = SipStream::default().push(1, &bytes);
        assert_eq!(got.len(), 2);
        assert!(got[0].1.anomalies.contains(&"missing_content_length"));
    }

    #[test]
    fn stream_body_is_counted_not_buffered() {
        let head = b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: big\r\nContent-Length: 1000000\r\n\r\n";
        let mut stream = SipStream::default();
        assert!(stream.push(1, head).is_empty());
        let chunk = vec![b'x'; 100_000];
        for frame in 2..11 {
            assert!(stream.push(frame, &chunk).is_empty());
        }
        assert!(stream.buf.is_empty());
        let mut last = chunk.clone();
        last.extend_from_slice(REGISTER);
        let got = stream.push(11, &last);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].1.call_id.as_deref()), (11, Some("big")));
    }

    #[test]
    fn stream_absurd_content_length_resyncs() {
        let head = b"SIP/2.0 200 OK\r\nCall-ID: huge\r\nContent-Length: 4000000000\r\n\r\n";
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(b"body bytes\r\n");
        bytes.extend_from_slice(REGISTER);
        let got = SipStream::default().push(3, &bytes);
        assert_eq!(got.len(), 2);
        assert!(got[0].1.anomalies.contains(&"content_length_too_large"));
        assert_eq!(got[1].1.call_id.as_deref(), Some("reg-1@192.0.2.100"));
    }

    #[test]
    fn stream_gap_drops_the_partial_message() {
        let mut stream = SipStream::default();
        assert!(stream.push(1, &REGISTER[..50]).is_empty());
        stream.gap();
        assert_eq!(stream.dropped_messages(), 1);
        // The rest of the lost message is skipped; the next one is found.
        let mut rest = REGISTER[80..].to_vec();
        rest.extend_from_slice(CHALLENGE);
        let got = stream.push(2, &rest);
        assert_eq!(got.len(), 1);
        assert!(matches!(
            got[0].1.start,
            StartLine::Response { code: 401, .. }
        ));
    }

    #[test]
    fn stream_buffer_is_bounded() {
        // A start line and then endless header lines: never a blank line.
        let mut stream = SipStream::default();
        assert!(stream.push(1, b"SIP/2.0 200 OK\r\n").is_empty());
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(2000);
        for frame in 2..20 {
            assert!(stream.push(frame, &line).is_empty());
            assert!(stream.buf.len() <= MAX_STREAM_BUFFER);
        }
        assert!(stream.dropped_messages() > 0);
        // One line without an end at all.
        let mut stream = SipStream::default();
        stream.push(1, &vec![b'A'; MAX_STREAM_BUFFER * 2]);
        assert!(stream.buf.len() <= MAX_START_LINE);
        let got = stream.push(2, &[b"\r\n", REGISTER].concat());
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn every_truncation_of_a_message_is_safe() {
        for message in SAMPLE {
            for len in 0..message.len() {
                let cut = &message[..len];
                // Only a cut inside the body parses, and says so.
                for msg in parse_datagram(cut).into_iter().flatten() {
                    assert!(msg.truncated && message == INVITE_SDP, "len {len}");
                }
                let mut stream = SipStream::default();
                assert!(stream.push(1, cut).is_empty(), "len {len}");
                stream.gap();
            }
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn stream_splits_do_not_change_messages(
                mut cuts in proptest::collection::vec(0usize..1500, 0..16),
                keepalives in 0usize..3,
                garbage in any::<bool>(),
            ) {
                let (mut bytes, mut ends) = stream_of(&SAMPLE, keepalives);
                if garbage {
                    let junk = b"\x16\x03\x01 junk\r\nSIP/2.0 2\r\nREGISTER x\r\n";
                    bytes.splice(0..0, junk.iter().copied());
                    ends.iter_mut().for_each(|e| *e += junk.len());
                }
                cuts.sort_unstable();
                let got = push_pieces(&bytes, &cuts);
                let whole = SipStream::default().push(0, &stream_of(&SAMPLE, keepalives).0);
                prop_assert_eq!(got.len(), SAMPLE.len());
                prop_assert_eq!(whole.len(), SAMPLE.len());
                for ((frame, msg), (end, (_, want))) in got.iter().zip(ends.iter().zip(&whole)) {
                    prop_assert_eq!(*frame, frame_of(*end, &cuts));
                    prop_assert_eq!(msg, want);
                }
                // Each message is the one its bytes give alone, as a datagram.
                for ((_, msg), sample) in got.iter().zip(SAMPLE) {
                    let alone = parse_datagram(sample);
                    prop_assert_eq!(alone.len(), 1);
                    prop_assert_eq!(Some(msg), alone[0].as_ref().ok());
                }
            }

            #[test]
            fn arbitrary_bytes_never_panic(
                data in proptest::collection::vec(any::<u8>(), 0..600),
                cut in 0usize..600,
            ) {
                let _ = looks_like_sip(&data);
                let _ = parse_datagram(&data);
                let mut stream = SipStream::default();
                let cut = cut.min(data.len());
                let _ = stream.push(1, &data[..cut]);
                let _ = stream.push(2, &data[cut..]);
            }

            #[test]
            fn mutated_messages_never_panic(
                index in 0usize..SAMPLE.len(),
                edits in proptest::collection::vec((0usize..400, any::<u8>()), 1..8),
            ) {
                let mut data = SAMPLE[index].to_vec();
                for (at, byte) in edits {
                    if let Some(b) = data.get_mut(at) {
                        *b = byte;
                    }
                }
                let _ = parse_datagram(&data);
                let _ = SipStream::default().push(1, &data);
            }
        }
    }
}

/// Tests on real captures: a small reader for pcap/pcapng with Ethernet,
/// Linux SLL or raw IP, then IPv4/IPv6 and UDP/TCP at fixed offsets.
#[cfg(test)]
mod capture_tests {
    use std::collections::HashMap;

    use super::*;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

    struct Packet {
        frame: u64,
        /// Source address and port, destination address and port.
        flow: (Vec<u8>, u16, Vec<u8>, u16),
        /// TCP sequence number and SYN flag; `None` for UDP.
        tcp: Option<(u32, bool)>,
        payload: Vec<u8>,
    }

    fn u16_be(d: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([d[at], d[at + 1]])
    }

    fn u32_le(d: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
    }

    /// Link-layer frames with their link type, numbered from 1.
    fn frames(path: &str) -> Vec<(u32, Vec<u8>)> {
        let file = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut out = Vec::new();
        if u32_le(&file, 0) == 0x0a0d_0d0a {
            assert_eq!(u32_le(&file, 8), 0x1a2b_3c4d, "little-endian pcapng only");
            let mut links = Vec::new();
            let mut at = 0;
            while at + 12 <= file.len() {
                let kind = u32_le(&file, at);
                let len = u32_le(&file, at + 4) as usize;
                let block = &file[at..at + len];
                match kind {
                    1 => links.push(u32::from(u16::from_le_bytes([block[8], block[9]]))),
                    6 => {
                        let link = links[u32_le(block, 8) as usize];
                        let caplen = u32_le(block, 20) as usize;
                        out.push((link, block[28..28 + caplen].to_vec()));
                    }
                    _ => {}
                }
                at += len;
            }
        } else {
            let magic = u32_le(&file, 0);
            assert!(
                magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d,
                "little-endian pcap"
            );
            let link = u32_le(&file, 20);
            let mut at = 24;
            while at + 16 <= file.len() {
                let caplen = u32_le(&file, at + 8) as usize;
                out.push((link, file[at + 16..at + 16 + caplen].to_vec()));
                at += 16 + caplen;
            }
        }
        out
    }

    fn packets(path: &str) -> Vec<Packet> {
        let mut out = Vec::new();
        for (i, (link, data)) in frames(path).into_iter().enumerate() {
            let ip = match link {
                1 => {
                    let mut at = 12;
                    while u16_be(&data, at) == 0x8100 {
                        at += 4;
                    }
                    &data[at + 2..]
                }
                113 => &data[16..],
                12 | 101 | 228 => &data[..],
                other => panic!("link type {other}"),
            };
            let (src, dst, proto, l4) = match ip.first().map(|b| b >> 4) {
                Some(4) => {
                    let ihl = usize::from(ip[0] & 0x0f) * 4;
                    let total = usize::from(u16_be(ip, 2)).min(ip.len());
                    if u16_be(ip, 6) & 0x1fff != 0 {
                        continue;
                    }
                    (
                        ip[12..16].to_vec(),
                        ip[16..20].to_vec(),
                        ip[9],
                        &ip[ihl..total],
                    )
                }
                Some(6) => (ip[8..24].to_vec(), ip[24..40].to_vec(), ip[6], &ip[40..]),
                _ => continue,
            };
            let (tcp, header) = match proto {
                17 => (None, 8),
                6 => {
                    let seq = u32::from_be_bytes(l4[4..8].try_into().unwrap());
                    (
                        Some((seq, l4[13] & 0x02 != 0)),
                        usize::from(l4[12] >> 4) * 4,
                    )
                }
                _ => continue,
            };
            out.push(Packet {
                frame: i as u64 + 1,
                flow: (src, u16_be(l4, 0), dst, u16_be(l4, 2)),
                tcp,
                payload: l4[header..].to_vec(),
            });
        }
        out
    }

    /// SIP messages of a capture: UDP datagrams that look like SIP, TCP
    /// payloads in capture order through one `SipStream` per direction.
    fn sip_messages(path: &str) -> Vec<(u64, SipMessage)> {
        let mut out = Vec::new();
        let mut streams: HashMap<_, SipStream> = HashMap::new();
        for p in packets(path) {
            if p.tcp.is_some() {
                let stream = streams.entry(p.flow.clone()).or_default();
                out.extend(stream.push(p.frame, &p.payload));
            } else if looks_like_sip(&p.payload) {
                for result in parse_datagram(&p.payload) {
                    let msg = result.unwrap_or_else(|e| panic!("frame {}: {e}", p.frame));
                    out.push((p.frame, msg));
                }
            }
        }
        out
    }

    fn case(name: &str) -> Vec<(u64, SipMessage)> {
        sip_messages(&format!("{SHARED}/cases/{name}/capture.pcap"))
    }

    fn code(msg: &SipMessage) -> Option<u16> {
        msg.status()
    }

    fn method(msg: &SipMessage) -> Option<&str> {
        msg.method()
    }

    #[test]
    fn case_27_header_forms() {
        let msgs = case("27-sip-header-forms");
        assert_eq!(msgs.len(), 4);
        let m: Vec<&SipMessage> = msgs.iter().map(|(_, m)| m).collect();
        for (msg, cseq) in m.iter().zip([1, 1, 2, 2]) {
            assert_eq!(msg.call_id.as_deref(), Some("c27-forms@192.0.2.100"));
            assert_eq!(msg.cseq, Some((cseq, "REGISTER".to_string())));
        }
        assert_eq!(method(m[0]), Some("REGISTER"));
        assert_eq!(code(m[1]), Some(401));
        let challenge = m[1].www_authenticate.as_ref().expect("401 challenge");
        assert_eq!(challenge.scheme, "Digest");
        for (k, v) in [
            ("realm", "sip.example.com"),
            ("nonce", "dd01ee02"),
            ("opaque", "op27"),
            ("algorithm", "MD5"),
            ("qop", "auth"),
        ] {
            assert_eq!(challenge.get(k), Some(v), "{k}");
        }
        // Compact forms arrive under their long names; no header is named
        // after a continuation line.
        for long in ["Via", "From", "To", "Call-ID", "Content-Length"] {
            assert!(m[1].headers.iter().any(|(n, _)| n == long), "{long}");
        }
        assert!(m
            .iter()
            .flat_map(|msg| &msg.headers)
            .all(|(n, _)| !n.contains("nonce") && !n.starts_with(' ')));
        assert_eq!(method(m[2]), Some("REGISTER"));
        let credentials = m[2].authorization.as_ref().expect("credentials");
        assert_eq!(credentials.get("nonce"), Some("dd01ee02"));
        assert_eq!(credentials.get("username"), Some("5551001"));
        assert_eq!(
            m[2].contact,
            ["<sip:5551001@192.0.2.100:5060;transport=udp>;expires=3600"]
        );
        assert_eq!(code(m[3]), Some(200));
        assert_eq!(m[3].contact_expires, Some(600));
        assert!(m.iter().all(|msg| !msg.truncated));
    }

    #[test]
    fn case_10_stale_and_loop() {
        let msgs = case("10-sip-401-loop");
        let seen: Vec<(u64, Option<&str>, Option<u16>, u32)> = msgs
            .iter()
            .map(|(f, m)| (*f, method(m), code(m), m.cseq.as_ref().map_or(0, |c| c.0)))
            .collect();
        let mut want = Vec::new();
        for n in 1..=4 {
            want.push((2 * n as u64 - 1, Some("REGISTER"), None, n));
            want.push((2 * n as u64, None, Some(401), n));
        }
        for n in 1..=3 {
            want.push((7 + 2 * n as u64, Some("REGISTER"), None, n));
            let answer = if n == 3 { 200 } else { 401 };
            want.push((8 + 2 * n as u64, None, Some(answer), n));
        }
        assert_eq!(seen, want);
        let stale: Vec<u64> = msgs
            .iter()
            .filter(|(_, m)| m.www_authenticate.as_ref().is_some_and(AuthParams::stale))
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(stale, [12]);
        let (_, ok) = &msgs[13];
        assert_eq!(ok.call_id.as_deref(), Some("c10-stale@192.0.2.101"));
        assert_eq!(ok.contact_expires, Some(3600));
        assert_eq!(msgs[12].1.expires, Some(3600));
        assert_eq!(
            msgs[7]
                .1
                .www_authenticate
                .as_ref()
                .and_then(|a| a.get("nonce")),
            Some("4e6f6e6365443034")
        );
    }

    /// Client bytes of a TCP direction by sequence number, first write wins,
    /// SYN data at ISN + 1.
    fn reassemble(packets: &[Packet], sport: u16) -> Vec<u8> {
        let mine: Vec<&Packet> = packets.iter().filter(|p| p.flow.1 == sport).collect();
        let isn = mine.iter().find_map(|p| p.tcp.filter(|t| t.1)).unwrap().0;
        let mut bytes: Vec<Option<u8>> = Vec::new();
        for p in mine {
            let (seq, syn) = p.tcp.unwrap();
            let at = seq
                .wrapping_sub(isn)
                .wrapping_add(u32::from(syn))
                .wrapping_sub(1);
            for (i, &b) in p.payload.iter().enumerate() {
                let i = at as usize + i;
                if bytes.len() <= i {
                    bytes.resize(i + 1, None);
                }
                bytes[i].get_or_insert(b);
            }
        }
        bytes.into_iter().map(|b| b.expect("no hole")).collect()
    }

    #[test]
    fn case_20_reassembled_register() {
        let path = format!("{SHARED}/cases/20-tcp-ooo-overlap-syndata/capture.pcap");
        let packets = packets(&path);
        let client = reassemble(&packets, 53100);
        assert_eq!(client.len(), 391);
        for cuts in [vec![], vec![120, 240], vec![1, 60, 180, 390]] {
            let mut stream = SipStream::default();
            let mut got = Vec::new();
            let mut from = 0;
            for (frame, &to) in cuts.iter().chain([client.len()].iter()).enumerate() {
                got.extend(stream.push(frame as u64, &client[from..to]));
                from = to;
            }
            assert_eq!(got.len(), 1, "one REGISTER, cuts {cuts:?}");
            let (frame, msg) = &got[0];
            assert_eq!(*frame, cuts.len() as u64);
            assert_eq!(method(msg), Some("REGISTER"));
            assert_eq!(msg.call_id.as_deref(), Some("c20-ooo@192.0.2.100"));
            let text = format!("{:?}", msg.headers);
            assert!(!text.contains("XXXX") && !text.contains("YYYY"));
        }
        // The OPTIONS whose request line rides in the SYN.
        let options = reassemble(&packets, 53101);
        let got = SipStream::default().push(13, &options);
        assert_eq!(got.len(), 1);
        assert_eq!(method(&got[0].1), Some("OPTIONS"));
        assert_eq!(got[0].1.call_id.as_deref(), Some("c20-syn@192.0.2.100"));
        let server = packets.iter().filter(|p| p.flow.1 == 5060);
        let answers: Vec<Option<u16>> = server
            .flat_map(|p| SipStream::default().push(p.frame, &p.payload))
            .map(|(_, m)| code(&m))
            .collect();
        assert_eq!(answers, [Some(401), Some(200)]);
    }

    /// Rows of the "SIP fields" section of a corpus truth file.
    fn truth_rows(file: &str) -> Vec<Vec<String>> {
        let path = format!("{SHARED}/corpus/truth/{file}.txt");
        let text = std::fs::read_to_string(&path).unwrap();
        text.lines()
            .skip_while(|l| !l.starts_with("## SIP fields"))
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .map(|l| l.split('|').map(str::to_string).collect())
            .collect()
    }

    fn unquote(s: &str) -> &str {
        s.trim_matches('"')
    }

    /// Compares our reading of a corpus file with tshark's, field by field.
    fn compare_with_truth(file: &str) -> Vec<(u64, SipMessage)> {
        let msgs = sip_messages(&format!("{SHARED}/corpus/files/{file}"));
        let rows = truth_rows(file);
        let frames: Vec<u64> = msgs.iter().map(|(f, _)| *f).collect();
        let want: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
        assert_eq!(frames, want, "{file}: frames");
        for ((frame, msg), row) in msgs.iter().zip(&rows) {
            let at = format!("{file} frame {frame}");
            let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
            assert_eq!(
                method(msg).map(str::to_string),
                opt(&row[12]),
                "{at}: method"
            );
            assert_eq!(
                code(msg).map(|c| c.to_string()),
                opt(&row[13]),
                "{at}: status"
            );
            if let StartLine::Request { uri, .. } = &msg.start {
                assert_eq!(uri, &row[14], "{at}: uri");
            }
            assert_eq!(msg.call_id, opt(&row[15]), "{at}: Call-ID");
            let cseq = msg.cseq.as_ref().map(|(n, m)| format!("{n} {m}"));
            assert_eq!(cseq, opt(&row[16]), "{at}: CSeq");
            assert_eq!(msg.user_agent, opt(&row[19]), "{at}: User-Agent");
            assert_eq!(msg.server, opt(&row[20]), "{at}: Server");
            assert_eq!(
                msg.expires.map(|e| e.to_string()),
                opt(&row[21]),
                "{at}: Expires"
            );
            let auth = msg.www_authenticate.as_ref().or(msg.authorization.as_ref());
            let realm = auth.and_then(|a| a.get("realm")).unwrap_or_default();
            assert_eq!(realm, unquote(&row[22]), "{at}: realm");
            let nonce = auth.and_then(|a| a.get("nonce")).unwrap_or_default();
            assert_eq!(nonce, unquote(&row[23]), "{at}: nonce");
            let contact_uri = row[24].split(',').next().unwrap_or_default();
            match msg.contact.first() {
                Some(c) => assert!(c.contains(contact_uri), "{at}: {c} vs {contact_uri}"),
                None => assert_eq!(contact_uri, "", "{at}: contact"),
            }
            assert!(!msg.truncated, "{at}");
        }
        msgs
    }

    #[test]
    fn corpus_sip_tcp_method_register_over_two_segments() {
        let msgs = compare_with_truth("suri__sip-tcp-method.pcap");
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].1.contact_expires, None);
        assert_eq!(msgs[0].1.expires, Some(600));
    }

    #[test]
    fn corpus_sip_hello_huawei_challenge() {
        let msgs = compare_with_truth("ndpi__sip_hello.pcapng");
        let challenge = msgs[1].1.www_authenticate.as_ref().unwrap();
        assert_eq!(challenge.get("realm"), Some("Huawei"));
        assert_eq!(code(&msgs[3].1), Some(200));
        assert_eq!(msgs[3].1.contact_expires, Some(600));
    }

    #[test]
    fn corpus_responses_over_udp_and_tcp() {
        let msgs = compare_with_truth("ppp__sip_resp.pcap");
        assert!(msgs.iter().all(|(_, m)| code(m).is_some()));
        assert_eq!(
            msgs[4].1.www_authenticate.as_ref().unwrap().get("opaque"),
            Some("4b41a11c5e861779")
        );
    }

    #[test]
    fn corpus_raw_ip_403() {
        let msgs = compare_with_truth("heplify__ipip0.pcap");
        assert_eq!(code(&msgs[1].1), Some(403));
    }

    #[test]
    fn corpus_sip_method_many_transactions() {
        let msgs = compare_with_truth("suri__sip-method_sip.pcap");
        let challenges = msgs.iter().filter(|(_, m)| m.proxy_challenge).count();
        assert_eq!(challenges, 3, "407s carry Proxy-Authenticate");
    }

    #[test]
    fn every_truncation_of_real_messages_is_safe() {
        let msgs = case("27-sip-header-forms");
        assert_eq!(msgs.len(), 4);
        let path = format!("{SHARED}/cases/27-sip-header-forms/capture.pcap");
        for p in packets(&path) {
            for len in 0..p.payload.len() {
                let cut = &p.payload[..len];
                assert!(parse_datagram(cut).iter().all(Result::is_err), "len {len}");
                assert!(SipStream::default().push(1, cut).is_empty(), "len {len}");
            }
        }
    }
}
