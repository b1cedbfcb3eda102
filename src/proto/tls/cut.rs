//! A snaplen cut in one direction's records: the capture kept the first
//! octets of a segment and not the rest, which the sender did send (the
//! segment's IP length, and the receiver's acknowledgment, count them).
//!
//! When the cut ends inside the record being read, the rest of its body is
//! skipped by its length and the records after it stay in step; else the
//! stream resynchronises ([`TlsStream::gap`]). Either way, what the cut
//! record was is told as far as its header came: its content type is its
//! first octet. Only the body of an application_data record (encrypted,
//! opaque anyway) hides nothing a verdict reads; a cut alert, handshake
//! message, or record of unknown type hides what the sender said.

use super::{TlsEvent, TlsStream, ALERT_RECORD_LEN_13, APPLICATION_DATA, HANDSHAKE};
use super::{CHANGE_CIPHER_SPEC, HEARTBEAT, MAX_RECORD_LEN};

/// What a snaplen cut hid of one direction's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    /// The records after the cut stay in step: only the rest of the cut
    /// record is missing.
    pub kept: bool,
    /// The cut record's content type, when the first octet of its header
    /// came (RFC 5246 section 6.2.1: 21 alert, 22 handshake, ...).
    pub content_type: Option<u8>,
    /// The cut hid what its sender said: anything but the body of an
    /// application_data record (a TLS 1.3 one of an alert's length may
    /// be an alert, so it hides too).
    pub hides: bool,
}

impl TlsStream {
    /// The capture's snaplen cut `len` bytes right after what was pushed
    /// (from `frame`). Returns what the cut record was and the events it
    /// still gives (a cut application_data record is still one); when
    /// `kept` is false, [`TlsStream::gap`] must resynchronise.
    pub fn cut(&mut self, frame: u64, len: u64) -> (Cut, Vec<(u64, TlsEvent)>) {
        let mut events = Vec::new();
        let (kept, content_type, record_len) = self.cut_in_step(frame, len, &mut events);
        let content_type = content_type.or_else(|| self.cut_header_type());
        let data = content_type == Some(APPLICATION_DATA) && record_len != ALERT_RECORD_LEN_13;
        let cut = Cut {
            kept,
            content_type,
            hides: !(kept && data),
        };
        (cut, events)
    }

    /// The cut inside the record being read: skips the rest of its body.
    /// Returns whether it did, the record's content type and length.
    fn cut_in_step(
        &mut self,
        frame: u64,
        len: u64,
        events: &mut Vec<(u64, TlsEvent)>,
    ) -> (bool, Option<u8>, usize) {
        if self.stopped.is_some() || self.resync {
            return (false, None, 0);
        }
        // The record the cut falls in: being skipped, or buffered in part.
        let (content_type, record_len, left) = match (self.skipping, self.buf.get(..5)) {
            (Some((t, n)), _) => (t, n, self.body_left),
            (None, Some(&[t, _, _, hi, lo])) => {
                let record_len = usize::from(u16::from_be_bytes([hi, lo]));
                let have = self.buf.len() - 5;
                (t, record_len, record_len.saturating_sub(have))
            }
            _ => return (false, None, 0),
        };
        let fits = usize::try_from(len).is_ok_and(|n| n > 0 && n <= left);
        if !fits || record_len > MAX_RECORD_LEN {
            return (false, Some(content_type), record_len);
        }
        if self.skipping.is_none() {
            if content_type == HANDSHAKE {
                self.handshake.clear();
                self.handshake_resync = true;
            } else if content_type == APPLICATION_DATA && record_len != ALERT_RECORD_LEN_13 {
                let buf = std::mem::take(&mut self.buf);
                let body = buf.get(5..).unwrap_or_default();
                self.record(frame, content_type, body, events);
            }
            self.buf.clear();
            self.skipping = Some((content_type, record_len));
        }
        self.body_left = left - usize::try_from(len).unwrap_or(left);
        if self.body_left == 0 {
            self.skipping = None;
            let encrypted = self.ccs_seen || self.handshake_encrypted || self.tls13;
            if let (Some(tail), true) = (self.tail.as_mut(), encrypted) {
                tail.record(content_type, record_len, self.tls13);
            }
        }
        (true, Some(content_type), record_len)
    }

    /// The content type of a record whose header the cut broke (fewer than
    /// its 5 octets came): its first octet, when the stream is in step and
    /// that octet is a content type.
    fn cut_header_type(&self) -> Option<u8> {
        if self.stopped.is_some() || self.resync {
            return None;
        }
        let first = self.buf.first().copied()?;
        (CHANGE_CIPHER_SPEC..=HEARTBEAT)
            .contains(&first)
            .then_some(first)
    }
}
