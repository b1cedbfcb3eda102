//! What one direction sent inside the session after its handshake, for a
//! connection followed to its close ([`super::TlsStream::follow_to_close`]):
//! the octets of its encrypted records, whether its last record was an
//! alert (the close_notify of a graceful close), and whether it stopped in
//! the middle of a record. Only the record headers are read; nothing is
//! decrypted.
//!
//! Which records answer the client's request: those the server sent after
//! it ([`Tail::answer_records`]). TLS 1.3 servers send their session
//! tickets (NewSessionTicket, RFC 8446 4.6.1) as application_data records
//! once the client's Finished came, before or after its request reaches
//! the capture: two or more records of one length, up to
//! [`MAX_TICKET_LEN`] octets, opening what the server sent after that
//! Finished are taken for tickets. (A single ticket that crosses the
//! request counts as an answer: left out.)

use serde::Serialize;

use super::{ALERT, ALERT_RECORD_LEN_13, APPLICATION_DATA};
use crate::time::Timestamp;

/// One direction's encrypted records up to the connection's close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tail {
    /// Octets of record bodies sent after the handshake: application_data
    /// records (TLS 1.3: every encrypted record, its handshake's too).
    pub octets: u64,
    /// The last whole record was an alert: TLS 1.2's content type 21 after
    /// the ChangeCipherSpec, TLS 1.3's record of an alert's length.
    pub alert_last: bool,
    /// A record had begun and its last octets never came.
    pub cut: bool,
    /// Bytes of the direction were lost by the capture: octets count low,
    /// and a cut record may be the capture's.
    pub gapped: bool,
    /// When the last whole record came (the driver tells, see
    /// [`super::TlsStream::note_time`]).
    #[serde(skip)]
    pub last_at: Option<Timestamp>,
    /// Whole records so far.
    #[serde(skip)]
    pub records: u64,
    /// Whole application_data records longer than an alert (TLS 1.3: a
    /// handshake message or data; TLS 1.2: data of any length).
    #[serde(skip)]
    pub data_records: u64,
    /// This direction's handshake is behind it: TLS 1.2 from its
    /// ChangeCipherSpec, TLS 1.3 once the segment of its first encrypted
    /// record (a client's Finished flight) went by.
    #[serde(skip)]
    pub flight_done: bool,
    /// Whole data records after that (a client's: its requests), and when
    /// the first of them came.
    #[serde(skip)]
    pub requests: u64,
    #[serde(skip)]
    pub request_at: Option<Timestamp>,
    /// `data_records` when the peer's Finished came (TLS 1.3) and when its
    /// first request came ([`super::TlsStream::peer_finished`]).
    #[serde(skip)]
    pub at_peer_finished: Option<u64>,
    #[serde(skip)]
    pub at_peer_request: Option<u64>,
    /// TLS 1.3: the run of records of one length that opened what this
    /// direction sent after the peer's Finished (session tickets): their
    /// length, how many, and whether the run still goes on.
    #[serde(skip)]
    pub run: (usize, u64, bool),
}

/// Longest record taken for a TLS 1.3 session ticket (OpenSSL's with a
/// client certificate inside stay well below).
pub const MAX_TICKET_LEN: usize = 2048;

impl Tail {
    /// One whole record of `len` octets of body, sent encrypted (after the
    /// direction's ChangeCipherSpec, or in TLS 1.3).
    pub(super) fn record(&mut self, content_type: u8, len: usize, tls13: bool) {
        self.records = self.records.saturating_add(1);
        match content_type {
            ALERT => self.alert_last = true,
            APPLICATION_DATA => {
                self.octets = self.octets.saturating_add(len as u64);
                self.alert_last = tls13 && len == ALERT_RECORD_LEN_13;
                if !self.alert_last {
                    self.data_records = self.data_records.saturating_add(1);
                    if self.flight_done || !tls13 {
                        self.requests = self.requests.saturating_add(1);
                    }
                }
                if self.at_peer_finished.is_some() {
                    self.run = match self.run {
                        _ if self.alert_last => (self.run.0, self.run.1, false),
                        (0, 0, _) => (len, 1, true),
                        (l, n, true) if l == len => (l, n.saturating_add(1), true),
                        (l, n, _) => (l, n, false),
                    };
                }
            }
            _ => {}
        }
    }

    /// Data records this direction sent after the peer's first request,
    /// session tickets left out (see the module doc); None when no request
    /// was seen.
    pub fn answer_records(&self) -> Option<u64> {
        let asked = self.at_peer_request?;
        let (len, n, _) = self.run;
        let tickets = match self.at_peer_finished {
            Some(f) if n >= 2 && len <= MAX_TICKET_LEN => f.saturating_add(n),
            Some(f) => f,
            None => 0,
        };
        Some(self.data_records.saturating_sub(asked.max(tickets)))
    }
}
