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

use chunked::{ChunkedBody, Progress};
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
    /// For a server's direction: whether each request still to be answered
    /// was a HEAD (its response has no body, whatever its Content-Length).
    heads_asked: std::collections::VecDeque<bool>,
}

impl HttpStream {
    /// Appends bytes; returns the message heads completed by them.
    pub fn push(&mut self, data: &[u8]) -> Vec<HttpMessage> {
        let mut heads = Vec::new();
        if self.stop == Some(TUNNEL) {
            self.keep_tunnel(data);
            return heads;
        }
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
                Some((message, mut framing)) => {
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
                        HttpMessage::Unfinished { .. } => false,
                    };
                    heads.push(message);
                    if opens {
                        self.stop_with(TUNNEL);
                        self.keep_tunnel(rest);
                        break;
                    }
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

    /// Bytes of this direction are missing from the capture.
    pub fn gap(&mut self) {
        self.gapped = true;
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
fn parse_head(head: &[u8]) -> Option<(HttpMessage, Framing)> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start_line = lines.next()?;
    let fields = header_fields(lines);
    if start_line.starts_with("HTTP/") {
        response(start_line, &fields)
    } else {
        request(start_line, &fields)
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
mod tests {
    use super::*;
    use crate::proto::dhcp::test_pcap::{corpus, tcp_payloads};

    const GET: &[u8] = b"GET /cfg/SEP00005E005301.cnf.xml HTTP/1.1\r\nhOsT: prov.example\r\n\
        USER-AGENT: Cisco-CP-8845-3PCC/12.0.2\r\nAccept: */*\r\n\r\n";

    fn get() -> HttpMessage {
        HttpMessage::Request {
            method: "GET".into(),
            target: "/cfg/SEP00005E005301.cnf.xml".into(),
            version: "HTTP/1.1".into(),
            host: Some("prov.example".into()),
            user_agent: Some("Cisco-CP-8845-3PCC/12.0.2".into()),
        }
    }

    fn response(status: u16, reason: &str, content_length: Option<u64>) -> HttpMessage {
        HttpMessage::Response {
            version: "HTTP/1.1".into(),
            status,
            reason: reason.into(),
            server: None,
            content_length,
            location: None,
        }
    }

    /// The status codes of the responses among `heads`.
    fn statuses(heads: &[HttpMessage]) -> Vec<u16> {
        let status = |h: &HttpMessage| match h {
            HttpMessage::Response { status, .. } => Some(*status),
            _ => None,
        };
        heads.iter().filter_map(status).collect()
    }

    fn push_all(pieces: &[&[u8]]) -> (Vec<HttpMessage>, HttpStream) {
        let mut stream = HttpStream::default();
        let heads = pieces.iter().flat_map(|p| stream.push(p)).collect();
        (heads, stream)
    }

    #[test]
    fn a_redirect_keeps_its_location() {
        let (heads, _) = push_all(&[
            b"HTTP/1.1 302 Found\r\nLocation: https://cfg.example.com/p.xml\r\n",
            b"Content-Length: 0\r\n\r\n",
        ]);
        match &heads[..] {
            [HttpMessage::Response {
                status: 302,
                location: Some(l),
                ..
            }] => assert_eq!(l, "https://cfg.example.com/p.xml"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn looks_like_http_start_lines() {
        for yes in [
            &b"GET / HTTP/1.1"[..],
            b"POST /x",
            b"HEAD ",
            b"PUT ",
            b"DELETE ",
            b"OPTIONS *",
        ] {
            assert!(looks_like_http(yes), "{yes:?}");
        }
        assert!(looks_like_http(b"PATCH /a") && looks_like_http(b"CONNECT h:443 HTTP/1.1"));
        assert!(looks_like_http(b"HTTP/1.0 404 Not Found"));
        for no in [
            &b""[..],
            b"GET",
            b"GETX /",
            b"get / HTTP/1.1",
            b"HTTP/2 200",
            b"\x16\x03\x01",
        ] {
            assert!(!looks_like_http(no), "{no:?}");
        }
    }

    #[test]
    fn request_head_with_case_insensitive_names() {
        let (heads, stream) = push_all(&[GET]);
        assert_eq!(heads, vec![get()]);
        assert_eq!(stream.stopped(), None);
    }

    #[test]
    fn response_body_skipped_then_next_response() {
        let data = b"HTTP/1.1 200 OK\r\nServer: lighttpd\r\nContent-Length: 5\r\n\r\n<xml>\
            HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let (heads, stream) = push_all(&[data]);
        let ok = HttpMessage::Response {
            version: "HTTP/1.1".into(),
            status: 200,
            reason: "OK".into(),
            server: Some("lighttpd".into()),
            content_length: Some(5),
            location: None,
        };
        assert_eq!(heads, vec![ok, response(404, "Not Found", Some(0))]);
        assert_eq!(stream.stopped(), None);
    }

    #[test]
    fn heads_split_at_every_byte() {
        let mut data = b"POST /log HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody".to_vec();
        data.extend_from_slice(GET);
        data.extend_from_slice(b"\r\n");
        data.extend_from_slice(GET);
        let (whole, _) = push_all(&[&data]);
        assert_eq!(whole.len(), 3);
        assert_eq!(&whole[1..], &[get(), get()]);
        for split in 0..=data.len() {
            let (heads, stream) = push_all(&[&data[..split], &data[split..]]);
            assert_eq!(heads, whole, "split at {split}");
            assert!(stream.buf.is_empty() && stream.stopped().is_none());
        }
        let bytes: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(push_all(&bytes).0, whole);
    }

    #[test]
    fn bare_lf_heads() {
        let data = b"GET /a HTTP/1.0\nHost: h\n\nHTTP/1.0 304 Not Modified\n\n";
        let (heads, _) = push_all(&[data]);
        let request = HttpMessage::Request {
            method: "GET".into(),
            target: "/a".into(),
            version: "HTTP/1.0".into(),
            host: Some("h".into()),
            user_agent: None,
        };
        let not_modified = HttpMessage::Response {
            version: "HTTP/1.0".into(),
            status: 304,
            reason: "Not Modified".into(),
            server: None,
            content_length: None,
            location: None,
        };
        assert_eq!(heads, vec![request, not_modified]);
    }

    #[test]
    fn a_chunked_body_is_passed_over_to_the_next_response() {
        let data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n\
            5\r\nhello\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let (heads, stream) = push_all(&[data]);
        let statuses = statuses(&heads);
        assert_eq!(statuses, vec![200, 404]);
        assert_eq!(stream.unfinished(Cut::Close), None);
    }

    #[test]
    fn a_chunked_body_cut_short_is_unfinished_with_no_known_length() {
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<xml>";
        let (_, stream) = push_all(&[head]);
        let cut = HttpMessage::Unfinished {
            missing_bytes: None,
            by: Cut::Close,
        };
        assert_eq!(stream.unfinished(Cut::Close), Some(cut));
        let (_, mut broken) = push_all(&[head, b"\r\nzz\r\n"]);
        assert_eq!(broken.stopped(), Some("bad_framing"));
        assert_eq!(broken.unfinished(Cut::Close), None);
        assert!(broken.push(b"HTTP/1.1 200 OK\r\n\r\n").is_empty());
    }

    #[test]
    fn response_without_length_reads_to_close() {
        let (heads, stream) = push_all(&[b"HTTP/1.0 200 OK\r\n\r\n<body>"]);
        assert_eq!(heads.len(), 1);
        assert_eq!(stream.stopped(), Some("body_until_close"));
        assert_eq!(stream.unfinished(Cut::Close), None, "the close ends it");
        let at_end = stream.unfinished(Cut::CaptureEnd);
        assert!(matches!(
            at_end,
            Some(HttpMessage::Unfinished {
                missing_bytes: None,
                ..
            })
        ));
    }

    #[test]
    fn interim_and_empty_responses_have_no_body() {
        let data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\
            HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        let (heads, stream) = push_all(&[data]);
        let statuses = statuses(&heads);
        assert_eq!(statuses, vec![100, 204, 200]);
        assert_eq!(stream.stopped(), None);
    }

    #[test]
    fn the_response_to_a_head_has_no_body_whatever_its_length() {
        let mut s = HttpStream::default();
        s.expect_response(true);
        s.expect_response(false);
        let data = b"HTTP/1.1 200 OK\r\nContent-Length: 95\r\n\r\n\
            HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        let heads = s.push(data);
        assert_eq!(
            heads.len(),
            2,
            "the GET's answer is not swallowed: {heads:?}"
        );
        assert_eq!(s.unfinished(Cut::Close), None);
    }

    #[test]
    fn a_body_shorter_than_its_content_length_is_left_over_unless_bytes_were_lost() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123";
        let (_, stream) = push_all(&[head]);
        let cut = |missing, by| {
            Some(HttpMessage::Unfinished {
                missing_bytes: missing,
                by,
            })
        };
        assert_eq!(stream.unfinished(Cut::Close), cut(Some(6), Cut::Close));
        let end = Cut::CaptureEnd;
        assert_eq!(stream.unfinished(end), cut(Some(6), end));
        let (_, stream) = push_all(&[head, b"456789"]);
        assert_eq!(stream.unfinished(Cut::Close), None);
        let (_, mut gapped) = push_all(&[head]);
        gapped.gap();
        assert_eq!(
            gapped.unfinished(Cut::Close),
            None,
            "after lost bytes: unknown"
        );
    }

    #[test]
    fn bad_framing_stops() {
        let conflicting = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
        let (heads, stream) = push_all(&[conflicting]);
        assert_eq!(heads.len(), 1);
        assert_eq!(stream.stopped(), Some("bad_framing"));
        let (_, stream) = push_all(&[b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"]);
        assert_eq!(stream.stopped(), Some("bad_framing"));
        let huge = b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert_eq!(push_all(&[huge]).1.stopped(), Some("bad_framing"));
        let same = b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nokHTTP/1.1 204 x\r\n\r\n";
        assert_eq!(push_all(&[same]).0.len(), 2);
    }

    #[test]
    fn large_body_is_skipped_without_buffering() {
        let mut stream = HttpStream::default();
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        assert_eq!(stream.push(head).len(), 1);
        let body = vec![b'\n'; 100_000];
        for _ in 0..10 {
            assert!(stream.push(&body).is_empty());
            assert!(stream.buf.is_empty());
        }
        assert_eq!(stream.push(b"HTTP/1.1 204 No Content\r\n\r\n").len(), 1);
    }

    #[test]
    fn head_longer_than_the_cap_is_dropped() {
        let mut stream = HttpStream::default();
        assert!(stream.push(b"GET / HTTP/1.1\r\n").is_empty());
        let filler = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        for _ in 0..(MAX_HEAD_LEN / filler.len() + 1) {
            assert!(stream.push(filler).is_empty());
            assert!(stream.buf.len() <= MAX_HEAD_LEN);
        }
        assert_eq!(stream.stopped(), Some("head_too_long"));
        assert_eq!(stream.buf.capacity(), 0);
        assert!(stream.push(b"\r\n").is_empty());
    }

    #[test]
    fn head_just_under_the_cap_is_decoded() {
        let mut data = b"GET / HTTP/1.1\r\nX: ".to_vec();
        data.resize(MAX_HEAD_LEN - 4, b'a');
        data.extend_from_slice(b"\r\n\r\n");
        assert_eq!(push_all(&[&data]).0.len(), 1);
    }

    #[test]
    fn not_http_stops() {
        let (heads, stream) = push_all(&[b"\x16\x03\x01\x02\x00\n\n"]);
        assert!(heads.is_empty());
        assert_eq!(stream.stopped(), Some("not_http"));
        let (_, stream) = push_all(&[b"HTTP/1.1 2000 OK\r\n\r\n"]);
        assert_eq!(stream.stopped(), Some("not_http"));
    }

    #[test]
    fn folded_header_joins_the_one_above() {
        let data = b"GET / HTTP/1.1\r\nUser-Agent: Cisco\r\n  CP-8845\r\n\r\n";
        let (heads, _) = push_all(&[data]);
        let HttpMessage::Request { user_agent, .. } = &heads[0] else {
            panic!("not a request");
        };
        assert_eq!(user_agent.as_deref(), Some("Cisco CP-8845"));
    }

    #[test]
    fn corpus_http_xml_response_200() {
        let payloads = tcp_payloads(&corpus("tcpdump__ipv4_tcp_http_xml.pcap"));
        let data = payloads[0].as_deref().unwrap();
        assert!(looks_like_http(data));
        let mut stream = HttpStream::default();
        let heads = stream.push(data);
        let expected = HttpMessage::Response {
            version: "HTTP/1.1".into(),
            status: 200,
            reason: "OK".into(),
            server: Some("Microsoft-IIS/6.0".into()),
            content_length: Some(351),
            location: None,
        };
        assert_eq!(heads, vec![expected]);
        assert_eq!((stream.body_left, stream.stopped()), (0, None));
    }

    #[test]
    fn corpus_sll2_get_testing() {
        let payloads = tcp_payloads(&corpus("suri__decode-sll2-01.pcap"));
        let mut stream = HttpStream::default();
        let heads: Vec<HttpMessage> = payloads
            .iter()
            .flatten()
            .flat_map(|p| stream.push(p))
            .collect();
        let expected = HttpMessage::Request {
            method: "GET".into(),
            target: "/testing".into(),
            version: "HTTP/1.1".into(),
            host: Some("192.168.1.21".into()),
            user_agent: Some("curl/8.5.0".into()),
        };
        assert_eq!(heads, vec![expected]);
    }

    proptest::proptest! {
        #[test]
        fn any_pieces_never_panic(
            pieces in proptest::collection::vec(proptest::collection::vec(0u8.., 0..300), 0..8),
        ) {
            let mut stream = HttpStream::default();
            for piece in &pieces {
                let _ = stream.push(piece);
                proptest::prop_assert!(stream.buf.len() <= MAX_HEAD_LEN);
            }
        }

        #[test]
        fn http_like_pieces_never_panic(
            pieces in proptest::collection::vec("[A-Z/ 0-9.:\r\n-]{0,40}", 0..12),
        ) {
            let mut stream = HttpStream::default();
            for piece in &pieces {
                let _ = stream.push(piece.as_bytes());
            }
        }
    }

    #[test]
    fn a_connect_answered_2xx_opens_a_tunnel_and_hands_over_its_bytes() {
        let (mut client, mut server) = (HttpStream::default(), HttpStream::default());
        let connect = b"CONNECT activate.cisco.com:443 HTTP/1.1\r\nHost: x\r\n\r\n\x16\x03\x01";
        let heads = client.push(connect);
        assert!(
            matches!(&heads[..], [HttpMessage::Request { method, .. }] if method == "CONNECT")
        );
        assert_eq!(client.stopped(), Some(TUNNEL));
        // Bytes after the CONNECT head, and later ones, wait for the tunnel.
        assert!(client.push(b"\x02\x00").is_empty());
        assert_eq!(client.take_tunnel(), b"\x16\x03\x01\x02\x00");
        // A refusal does not open it, and the stream reads on.
        server.expect_tunnel();
        let no = b"HTTP/1.1 403 Filtered\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(server.push(no).len(), 1);
        assert_eq!(server.stopped(), None);
        // A 2xx answers the next CONNECT: what follows its head is tunnel.
        server.expect_tunnel();
        let yes = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03";
        assert_eq!(server.push(yes).len(), 1);
        assert_eq!(server.stopped(), Some(TUNNEL));
        assert_eq!(server.take_tunnel(), b"\x16\x03\x03");
        assert!(server.take_tunnel().is_empty());
        // A refusal reopens the client's stream: what it held since its
        // CONNECT (a second CONNECT with credentials) is read as HTTP.
        let mut again = HttpStream::default();
        again.push(b"CONNECT a:443 HTTP/1.1\r\n\r\nCONNECT a:443 HTTP/1.1\r\nProxy-Auth");
        let retry = again.tunnel_refused();
        assert!(retry.is_empty(), "the second head is not complete yet");
        assert_eq!(again.stopped(), None);
        let heads = again.push(b"orization: Basic eA==\r\n\r\n");
        assert!(
            matches!(&heads[..], [HttpMessage::Request { method, .. }] if method == "CONNECT")
        );
        assert_eq!(again.stopped(), Some(TUNNEL));
        assert!(HttpStream::default().tunnel_refused().is_empty());
        // Without a CONNECT before it, a 200 is an ordinary response.
        let mut plain = HttpStream::default();
        plain.push(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(plain.stopped(), None);
    }
}
