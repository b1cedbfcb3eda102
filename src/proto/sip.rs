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
mod tests;

/// Tests on real captures: a small reader for pcap/pcapng with Ethernet,
/// Linux SLL or raw IP, then IPv4/IPv6 and UDP/TCP at fixed offsets.
#[cfg(test)]
mod capture_tests;
