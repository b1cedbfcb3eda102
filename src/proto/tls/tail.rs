//! What one direction sent inside the session after its handshake, for a
//! connection followed to its close ([`super::TlsStream::follow_to_close`]):
//! the octets of its encrypted records, whether its last record was an
//! alert (the close_notify of a graceful close), and whether it stopped in
//! the middle of a record. Only the record headers are read; nothing is
//! decrypted.

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
}

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
                }
            }
            _ => {}
        }
    }
}
