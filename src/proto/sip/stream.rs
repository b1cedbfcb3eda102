//! SIP over a byte stream (RFC 3261 section 18.3): one direction of a TCP
//! connection cut into messages by Content-Length, with CRLF keep-alives
//! (RFC 5626 3.5.1) and bytes before a start line skipped and counted; and
//! the probes that find where a header block starts and ends, shared with
//! the datagram parser.

use super::*;
use crate::time::Timestamp;

/// One direction of a SIP-over-TCP connection, framed by Content-Length.
#[derive(Debug, Default)]
pub struct SipStream {
    pub(super) buf: Vec<u8>,
    /// A message whose header block is parsed, waiting for its body.
    body: Option<PendingBody>,
    /// Where the search for the blank line resumes in `buf`.
    scan_from: usize,
    /// Bytes skipped while looking for a start line.
    skipped: u64,
    /// Partial messages dropped (gap, over-long header block, full buffer).
    dropped: u64,
    /// Runs of bytes skipped (before a start line, a bad header block).
    skips: u64,
    /// The frame whose bytes begin `buf` (the partial message's first),
    /// and its time once the caller told it.
    buf_frame: u64,
    buf_ts: Timestamp,
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
            let held = self.buf.len();
            self.buf.extend_from_slice(now);
            rest = later;
            // (What is left after the drain began in this frame when the
            // drain took all that was held before.)
            if self.drain(frame, &mut out) >= held {
                self.buf_frame = frame;
            }
            if self.buf.len() >= MAX_STREAM_BUFFER {
                log::debug!("sip: frame {frame}: stream buffer full, resync");
                self.drop_partial();
            }
        }
        out
    }

    /// Bytes are missing after a partial message whose start line arrived
    /// (the snaplen cut its segment): that message as far as it came, with
    /// the frame it began in. `gap` drops it afterwards.
    pub fn cut_message(&self) -> Option<(u64, Timestamp, SipMessage)> {
        if self.body.is_some() || self.buf.is_empty() {
            return None;
        }
        Some((self.buf_frame, self.buf_ts, parse_cut(&self.buf)?))
    }

    /// The time of `frame`, the one just pushed: kept when the partial
    /// message begins in it.
    pub fn note_time(&mut self, frame: u64, ts: Timestamp) {
        if self.buf_frame == frame {
            self.buf_ts = ts;
        }
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

    /// Runs of bytes skipped so far that were no SIP message where one was
    /// due (garbage before a start line, a header block that would not
    /// parse: a wrong Content-Length before them shows that way).
    pub fn skips(&self) -> u64 {
        self.skips
    }

    fn drop_partial(&mut self) {
        self.buf.clear();
        self.body = None;
        self.scan_from = 0;
        self.dropped = self.dropped.saturating_add(1);
    }

    /// Takes every complete message off the front of `buf`; the bytes taken.
    fn drain(&mut self, frame: u64, out: &mut Vec<(u64, SipMessage)>) -> usize {
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
            msg.octets = consumed.saturating_add(body_len);
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
        at
    }

    fn skip(&mut self, frame: u64, len: usize, what: Skipped) {
        self.scan_from = 0;
        match what {
            Skipped::KeepAlive => {}
            Skipped::Garbage => {
                log::debug!("sip: frame {frame}: skipped {len} bytes before a start line");
                self.skipped = self.skipped.saturating_add(len as u64);
                self.skips = self.skips.saturating_add(1);
            }
            Skipped::BadHead(why) => {
                log::debug!("sip: frame {frame}: {why}, skipping a line");
                self.skipped = self.skipped.saturating_add(len as u64);
                self.dropped = self.dropped.saturating_add(1);
                self.skips = self.skips.saturating_add(1);
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
pub(super) enum Probe {
    Yes,
    No,
    /// The bytes end before we can tell.
    NeedMore,
}

/// Is `data` the beginning of a SIP start line? With `eof` the end of
/// `data` may end the line.
pub(super) fn probe_start_line(data: &[u8], eof: bool) -> Probe {
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

/// `SIP/2.0 SP 3DIGIT` then SP or the line end (the version in any case:
/// RFC 3261 7.1).
fn probe_status(d: &[u8], eof: bool) -> Probe {
    for (i, &want) in b"SIP/2.0 ".iter().enumerate() {
        match d.get(i) {
            None => return Probe::NeedMore,
            Some(b) if b.eq_ignore_ascii_case(&want) => {}
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

/// `METHOD SP Request-URI SP SIP/2.0` then the line end (the version in
/// any case: RFC 3261 7.1).
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
            Some(b) if b.eq_ignore_ascii_case(&want) => i += 1,
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

pub(super) fn skip_line_ends(data: &[u8]) -> &[u8] {
    let n = data
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    data.get(n..).unwrap_or_default()
}

/// Where a header block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct HeadEnd {
    /// Start line and headers, up to and including the last header's LF.
    pub(super) head_len: usize,
    /// `head_len` plus the empty line.
    pub(super) consumed: usize,
}

/// Finds the empty line ending the header block, looking at line ends from
/// offset `from` on.
pub(super) fn find_head_end(data: &[u8], from: usize) -> Option<HeadEnd> {
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
