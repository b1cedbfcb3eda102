//! HTTP/1.x message heads (RFC 9112): request line, Host, User-Agent;
//! status line. Bodies are skipped by Content-Length or by their chunks
//! (`chunked.rs`), and a body the connection or the capture cut short is
//! told ([`HttpStream::unfinished`]).
//!
//! [`HttpStream`] takes one direction of a reassembled TCP stream in pieces
//! of any size. A head ends at the first empty line (CRLF CRLF; bare LF is
//! tolerated, RFC 9112 section 2.2); empty lines before a head are skipped.
//! Header names are matched without case; obs-fold continuation lines are
//! joined to the header above. Message framing follows RFC 9112 section 6.3:
//! 1xx, 204 and 304 responses and requests without Content-Length have no
//! body; a Content-Length or chunked body is skipped without being kept; a
//! response body that runs to the close, invalid framing or chunks, a head
//! longer than [`MAX_HEAD_LEN`] or a head that is not HTTP stop the stream
//! (see [`HttpStream::stopped`]). A CONNECT request (RFC 9110 section 9.3.6)
//! and, on a stream told to expect it, a 2xx answer to one turn the stream
//! into a tunnel: its later bytes are kept for whoever reads the tunnelled
//! protocol ([`HttpStream::take_tunnel`]). Not handled: responses to HEAD
//! that carry a Content-Length (their announced body would be skipped),
//! trailers, HTTP/2 and upgrades.

mod chunked;
mod page;

use chunked::{ChunkedBody, Progress};
use page::{BodySniff, Coding};
use serde::Serialize;

/// Longest head kept while waiting for its empty line; beyond it the buffer
/// is dropped and the stream stops. Also the most tunnel bytes held.
pub const MAX_HEAD_LEN: usize = 64 * 1024;

/// [`HttpStream::stopped`] once a CONNECT tunnel opened.
pub const TUNNEL: &str = "tunnel";

/// Request methods [`looks_like_http`] recognises at the start of a stream.
const METHODS: [&[u8]; 8] = [
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum HttpMessage {
    Request {
        method: String,
        target: String,
        version: String,
        host: Option<String>,
        user_agent: Option<String>,
    },
    Response {
        version: String,
        status: u16,
        reason: String,
        server: Option<String>,
        content_length: Option<u64>,
        /// Where a redirect (3xx) sends the client.
        #[serde(skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// The last body never ended: the connection closed, or the capture
    /// ended, with this many bytes of its Content-Length not sent (`None`:
    /// a chunked body or one read to the close, whose length is unknown).
    Unfinished { missing_bytes: Option<u64>, by: Cut },
    /// The body of the 2xx response before it begins like an HTML document
    /// (`<!DOCTYPE html`, `<html`): a web page, not a data file. Told on
    /// the frame of the body's first bytes.
    #[serde(rename = "html_body")]
    HtmlBody,
}

impl HttpMessage {
    /// A response that ends its request's exchange: any but an interim
    /// 1xx (RFC 9110 15.2; 101 Switching Protocols ends the HTTP exchange).
    pub fn is_final_response(&self) -> bool {
        match self {
            HttpMessage::Response { status, .. } => !(100..200).contains(status) || *status == 101,
            _ => false,
        }
    }
}

/// What cut a body short.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// The connection closed (a FIN or RST).
    Close,
    /// The capture ends with the connection still open.
    CaptureEnd,
}

/// Quick check on the first bytes of a TCP payload.
/// Like [`looks_like_http`] on the start of a stream that may still grow:
/// None while the bytes so far begin a method or `HTTP/1.`.
pub fn sniff_http(data: &[u8]) -> Option<bool> {
    if looks_like_http(data) {
        return Some(true);
    }
    let begins = |word: &[u8]| word.starts_with(data);
    match begins(b"HTTP/1.") || METHODS.iter().any(|m| begins(m)) {
        true => None,
        false => Some(false),
    }
}

pub fn looks_like_http(data: &[u8]) -> bool {
    data.starts_with(b"HTTP/1.") || METHODS.iter().any(|m| data.starts_with(m))
}

/// One direction of an HTTP connection.
#[derive(Debug, Default)]
pub struct HttpStream {
    buf: Vec<u8>,
    /// Body bytes still to pass over before the next head.
    body_left: u64,
    /// Inside a chunked body.
    chunked: Option<ChunkedBody>,
    /// Why decoding stopped, once it has.
    stop: Option<&'static str>,
    /// A CONNECT went the other way: a 2xx answer opens the tunnel.
    awaiting_tunnel: bool,
    /// Bytes after the head that opened a tunnel, not taken yet.
    tunnel: Vec<u8>,
    /// Bytes of this direction were lost: what is left of a body is unknown.
    gapped: bool,
    /// Lost outside a body of known length: the next head is looked for at
    /// the start of a later push (the message the gap fell in is dropped,
    /// not joined to the bytes after it).
    resync: bool,
    /// For a server's direction: whether each request still to be answered
    /// was a HEAD (its response has no body, whatever its Content-Length).
    heads_asked: std::collections::VecDeque<bool>,
    /// The first bytes of a 2xx response's body, gathered until they tell
    /// whether it is an HTML page (`None`: not looking).
    sniff: Option<BodySniff>,
}

impl HttpStream {
    /// Appends bytes; returns the message heads completed by them.
    pub fn push(&mut self, data: &[u8]) -> Vec<HttpMessage> {
        let mut heads = Vec::new();
        if self.stop == Some(TUNNEL) {
            self.keep_tunnel(data);
            return heads;
        }
        if self.resync {
            if !looks_like_http(data) {
                return heads;
            }
            self.resync = false;
        }
        self.sniff_body(data, &mut heads);
        let mut rest = self.pass_body(data);
        while self.stop.is_none() && !rest.is_empty() {
            if self.buf.is_empty() {
                rest = skip_empty_lines(rest);
                if rest.is_empty() {
                    break;
                }
            }
            let searched = self.buf.len();
            let room = MAX_HEAD_LEN.saturating_sub(searched);
            let (taken, after) = rest.split_at_checked(room).unwrap_or((rest, &[]));
            self.buf.extend_from_slice(taken);
            let Some(end) = head_end(&self.buf, searched) else {
                rest = after;
                if self.buf.len() >= MAX_HEAD_LEN {
                    self.stop_with("head_too_long");
                }
                continue;
            };

            // Bytes of `taken` past the head belong to the body or next head.
            let unused = self.buf.len().saturating_sub(end);
            rest = rest
                .get(taken.len().saturating_sub(unused)..)
                .unwrap_or_default();
            self.buf.truncate(end);
            let head = parse_head(&self.buf);
            self.buf.clear();
            match head {
                Some((message, mut framing, coding)) => {
                    // A final response answers the oldest request; a HEAD's
                    // has no body (RFC 9110 9.3.2).
                    if let HttpMessage::Response { status: 200.., .. } = &message {
                        if self.heads_asked.pop_front() == Some(true) {
                            framing = Framing::NoBody;
                        }
                    }
                    let opens = match &message {
                        HttpMessage::Request { method, .. } => method == "CONNECT",
                        HttpMessage::Response { status, .. } => {
                            let answered = std::mem::take(&mut self.awaiting_tunnel);
                            answered && (200..300).contains(status)
                        }
                        HttpMessage::Unfinished { .. } | HttpMessage::HtmlBody => false,
                    };
                    let sniff = matches!(
                        message,
                        HttpMessage::Response {
                            status: 200..=299,
                            ..
                        }
                    ) && !opens
                        && framing != Framing::NoBody;
                    heads.push(message);
                    if opens {
                        self.stop_with(TUNNEL);
                        self.keep_tunnel(rest);
                        break;
                    }
                    let chunked = framing == Framing::Chunked;
                    self.sniff = sniff.then(|| BodySniff::new(chunked, coding));
                    self.sniff_body(rest, &mut heads);
                    self.frame(framing);
                }
                None => self.stop_with("not_http"),
            }
            rest = self.pass_body(rest);
        }
        heads
    }

    /// The other direction sent a CONNECT: a 2xx response opens a tunnel.
    pub fn expect_tunnel(&mut self) {
        self.awaiting_tunnel = true;
    }

    /// The tunnel's bytes so far, once this direction is one (then
    /// [`HttpStream::stopped`] says `"tunnel"`); later ones come from the
    /// next calls.
    pub fn take_tunnel(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.tunnel)
    }

    /// The proxy refused this direction's CONNECT (a 407 asking for
    /// credentials, a 403): the stream is HTTP again, and the bytes held
    /// since (a CONNECT with credentials) are read as such.
    pub fn tunnel_refused(&mut self) -> Vec<HttpMessage> {
        if self.stop != Some(TUNNEL) {
            return Vec::new();
        }
        self.stop = None;
        let held = std::mem::take(&mut self.tunnel);
        self.push(&held)
    }

    /// Looks at the start of a 2xx body: once enough of it is seen, an
    /// HTML document adds [`HttpMessage::HtmlBody`] to `heads`.
    fn sniff_body(&mut self, data: &[u8], heads: &mut Vec<HttpMessage>) {
        let Some(sniff) = &mut self.sniff else {
            return;
        };
        if let Some(html) = sniff.push(data) {
            self.sniff = None;
            if html {
                heads.push(HttpMessage::HtmlBody);
            }
        }
    }

    fn keep_tunnel(&mut self, data: &[u8]) {
        let room = MAX_HEAD_LEN.saturating_sub(self.tunnel.len());
        self.tunnel
            .extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
    }

    /// Why the stream is no longer decoded, or `None` while it still is:
    /// `"tunnel"` (a CONNECT tunnel opened), `"body_until_close"`,
    /// `"bad_framing"` (invalid or conflicting Content-Length, a request
    /// with a non-chunked Transfer-Encoding, broken chunks),
    /// `"head_too_long"`, `"not_http"`.
    pub fn stopped(&self) -> Option<&'static str> {
        self.stop
    }

    /// At the close (`by`) or the capture's end: the body still being
    /// received, if one is, as an [`HttpMessage::Unfinished`]. None once
    /// lost bytes make it unknown, or when decoding stopped (a body read to
    /// the close is complete at the close, unfinished at the capture's end).
    pub fn unfinished(&self, by: Cut) -> Option<HttpMessage> {
        if self.gapped {
            return None;
        }
        let missing_bytes = match (self.stop, &self.chunked) {
            (None, Some(_)) => None,
            (None, None) if self.body_left > 0 => Some(self.body_left),
            (Some("body_until_close"), _) if by == Cut::CaptureEnd => None,
            _ => return None,
        };
        Some(HttpMessage::Unfinished { missing_bytes, by })
    }

    /// The other direction sent a request (`head`: a HEAD) that this
    /// direction's next final response answers (at most 64 kept).
    pub fn expect_response(&mut self, head: bool) {
        if self.heads_asked.len() < 64 {
            self.heads_asked.push_back(head);
        }
    }

    /// `len` bytes of this direction are missing from the capture (0: not
    /// known). Inside a body of known length they are counted off it (true),
    /// and the stream goes on; elsewhere what follows cannot be placed.
    pub fn gap(&mut self, len: u64) -> bool {
        let in_body = self.stop.is_none() && self.chunked.is_none() && self.buf.is_empty();
        if in_body && len > 0 && len <= self.body_left {
            self.body_left -= len;
            self.sniff = None;
            true
        } else {
            self.gapped = true;
            if self.stop.is_none() {
                self.buf.clear();
                self.body_left = 0;
                self.chunked = None;
                self.sniff = None;
                self.resync = true;
            }
            false
        }
    }

    fn frame(&mut self, framing: Framing) {
        match framing {
            Framing::NoBody => {}
            Framing::Length(len) => self.body_left = len,
            Framing::Chunked => self.chunked = Some(ChunkedBody::default()),
            Framing::UntilClose => self.stop_with("body_until_close"),
            Framing::Invalid => self.stop_with("bad_framing"),
        }
    }

    /// Consumes what is left of the current body; returns the bytes after it.
    fn pass_body<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        if let Some(body) = &mut self.chunked {
            match body.push(data) {
                Progress::More => return &[],
                Progress::Done(rest) => {
                    self.chunked = None;
                    return rest;
                }
                Progress::Bad => {
                    self.stop_with("bad_framing");
                    return &[];
                }
            }
        }
        let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
        let skip = self.body_left.min(len);
        self.body_left -= skip;
        let skip = usize::try_from(skip).unwrap_or(data.len());
        data.get(skip..).unwrap_or_default()
    }

    fn stop_with(&mut self, reason: &'static str) {
        self.stop = Some(reason);
        self.buf = Vec::new();
        self.chunked = None;
    }
}

/// How the body after a head is delimited (RFC 9112 section 6.3).
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    NoBody,
    Length(u64),
    Chunked,
    UntilClose,
    Invalid,
}

fn skip_empty_lines(data: &[u8]) -> &[u8] {
    let start = data
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(data.len());
    data.get(start..).unwrap_or_default()
}

/// The index just past the empty line that ends a head, looking only at
/// line feeds from `from` on (earlier ones were searched before).
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let at_byte = |i: Option<usize>| i.and_then(|i| buf.get(i)).copied();
    let tail = buf.get(from..)?;
    tail.iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| from + i)
        .find(|&lf| match at_byte(lf.checked_sub(1)) {
            Some(b'\n') => true,
            Some(b'\r') => at_byte(lf.checked_sub(2)) == Some(b'\n'),
            _ => false,
        })
        .map(|lf| lf + 1)
}

/// Decodes a complete head; `None` when its first line is not HTTP.
/// A head's message, its body's framing, and its body's content coding.
fn parse_head(head: &[u8]) -> Option<(HttpMessage, Framing, Coding)> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start_line = lines.next()?;
    let fields = header_fields(lines);
    if start_line.starts_with("HTTP/") {
        let coding = Coding::of(field(&fields, "content-encoding").as_deref());
        let (message, framing) = response(start_line, &fields)?;
        Some((message, framing, coding))
    } else {
        let (message, framing) = request(start_line, &fields)?;
        Some((message, framing, Coding::Identity))
    }
}

fn request(start_line: &str, fields: &Fields) -> Option<(HttpMessage, Framing)> {
    let mut parts = start_line.splitn(3, ' ');
    let method = parts.next().filter(|m| is_token(m))?;
    let target = parts.next().filter(|t| !t.is_empty())?;
    let version = parts.next().filter(|v| v.starts_with("HTTP/"))?;
    let framing = match body_framing(fields) {
        None => Framing::NoBody,
        Some(Framing::UntilClose) => Framing::Invalid,
        Some(other) => other,
    };
    let message = HttpMessage::Request {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        host: field(fields, "host"),
        user_agent: field(fields, "user-agent"),
    };
    Some((message, framing))
}

fn response(start_line: &str, fields: &Fields) -> Option<(HttpMessage, Framing)> {
    let mut parts = start_line.splitn(3, ' ');
    let version = parts.next()?;
    let code = parts.next().filter(|c| c.len() == 3)?;
    let status: u16 = code.parse().ok().filter(|s| (100..=999).contains(s))?;
    let reason = parts.next().unwrap_or_default();
    let framing = match status {
        100..=199 | 204 | 304 => Framing::NoBody,
        _ => body_framing(fields).unwrap_or(Framing::UntilClose),
    };
    let content_length = match framing {
        Framing::Length(len) => Some(len),
        _ => None,
    };
    let message = HttpMessage::Response {
        version: version.to_string(),
        status,
        reason: reason.to_string(),
        server: field(fields, "server"),
        content_length,
        location: field(fields, "location"),
    };
    Some((message, framing))
}

/// Header fields as (lowercase name, value), in order.
type Fields = Vec<(String, String)>;

fn header_fields<'a>(lines: impl Iterator<Item = &'a str>) -> Fields {
    let mut fields: Fields = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    fields
}

/// The first value of a header (`name` in lowercase).
fn field(fields: &Fields, name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// Framing from Transfer-Encoding and Content-Length (RFC 9112 section 6.3,
/// rules 4 to 6); `None` when the head has neither. A coding other than
/// chunked last reads to the close, which only a response may do.
fn body_framing(fields: &Fields) -> Option<Framing> {
    let codings: Vec<&str> = fields
        .iter()
        .filter(|(n, _)| n == "transfer-encoding")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(last) = codings.last() {
        let chunked = last.eq_ignore_ascii_case("chunked");
        return Some(if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        });
    }
    let lengths: Vec<&str> = fields
        .iter()
        .filter(|(n, _)| n == "content-length")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    let first = lengths.first()?;
    let digits = !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit());
    let framing = match (digits, lengths.iter().all(|l| l == first)) {
        (true, true) => first.parse().map_or(Framing::Invalid, Framing::Length),
        _ => Framing::Invalid,
    };
    Some(framing)
}

/// RFC 9110 section 5.6.2 token characters.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests;
