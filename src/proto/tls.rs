//! TLS handshakes and alerts (RFC 5246, RFC 8446), decoded with tls-parser
//! and x509-parser.
//!
//! A [`TlsStream`] is one direction of a connection: it reassembles records
//! across TCP segments and handshake messages across records itself
//! (tls-parser wants whole records), reads ClientHello (SNI, offered versions
//! with supported_versions, the SSLv2-compatible hello), ServerHello (chosen
//! version), Certificate (chain via x509-parser), and Alerts. An alert is
//! only trusted when it is plaintext: a 2-byte body, level 1 or 2, before that
//! direction's ChangeCipherSpec; anything else of content type 21 is an
//! encrypted alert and reported as such.
//!
//! Records (RFC 5246 section 6.2.1) are cut from the byte stream by their
//! 5-octet header. A header that is not TLS (content type outside 20..=24,
//! major version not 3) or that declares more than [`MAX_RECORD_LEN`] octets
//! stops the decoding of that direction for good: nothing more is buffered.
//! Handshake messages (RFC 5246 section 7.4, RFC 8446 section 4) are
//! reassembled across records up to [`MAX_HANDSHAKE_LEN`] octets. After the
//! direction's ChangeCipherSpec, and in the server direction after a
//! ServerHello that selects TLS 1.3 (or a draft of it), handshake records are
//! encrypted and skipped; [`TlsStream::set_handshake_encrypted`] lets the
//! driver say so for the other direction. A HelloRetryRequest (RFC 8446
//! section 4.1.3) does not count as that ServerHello. In a TLS 1.3
//! handshake (a HelloRetryRequest or ServerHello chose it, or the client
//! offered it and no older version was chosen yet) a ChangeCipherSpec is the
//! middlebox-compatibility record of RFC 8446 appendix D.4: it changes
//! nothing and is not reported ([`TlsStream::peer_selected`] tells the
//! client's stream what the server chose).
//!
//! TLS 1.3 encrypts alerts as application_data records (RFC 8446 section
//! 5.2); one is still told by its length, [`ALERT_RECORD_LEN_13`]. A
//! direction whose first encrypted record has that length ended the
//! handshake with an alert (its Finished is longer); after
//! [`TlsStream::watch_next_record`] (the driver calls it on both streams
//! once the client's first encrypted record went by) the next record is
//! checked the same way: on the server's side an alert there may be a
//! refusal of the client, on the client's side its own close. Both are
//! reported as `EncryptedAlert`; a record that follows such a one is
//! reported as `RecordAfterAlert` (it was 2 octets of data, not an alert).
//!
//! Ignored: cipher suites, extensions other than server_name (0) and
//! supported_versions (43) (GREASE values, RFC 8701, are dropped from the
//! offered versions), key exchange contents, heartbeat records, TLS 1.3's
//! encrypted handshake, certificate validation (only fields are read) and
//! everything after the first application_data record but alerts; a
//! direction followed to its close (an HTTPS download, see [`Tail`]) has
//! its later record headers counted.

mod cut;
mod handshake;
mod hello;
mod memo;
mod names;
mod sniff;
mod tail;
mod x509;

use std::sync::Arc;

use serde::Serialize;

pub use cut::Cut;
pub use names::{alert_name, version_name};
use sniff::is_sslv2_client_hello;
pub use sniff::{looks_like_tls, sniff_tls};
pub use tail::Tail;

/// One certificate of a chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// RFC 4514 string, e.g. `CN=sbc1.example.com, O=Example`: last RDN
    /// first, RFC 4514 escaping, joined by `, ` as in that example.
    pub subject: String,
    pub subject_cn: Option<String>,
    pub issuer: String,
    pub issuer_cn: Option<String>,
    pub issuer_o: Option<String>,
    /// RFC 3339 UTC, e.g. `2024-03-01T00:00:00Z`.
    pub not_before: String,
    pub not_after: String,
    /// Seconds since the epoch, for comparing with capture times.
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// DNS names of the subjectAltName extension.
    pub san: Vec<String>,
    pub self_signed: bool,
    /// Bits of an RSA public key's modulus (other key types: `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_bits: Option<u32>,
    /// Its extended key usage (RFC 5280 4.2.1.12) leaves out TLS server
    /// authentication (serverAuth; OpenSSL does not take
    /// anyExtendedKeyUsage for it): a client refuses it in a server's chain,
    /// leaf or CA (OpenSSL: unsupported_certificate).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_for_servers: bool,
    /// The hash of its signature when current TLS stacks refuse it
    /// ("SHA-1", "MD5", "MD2").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak_signature: Option<&'static str>,
}

/// What a direction of a TLS connection showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "msg", rename_all = "snake_case")]
pub enum TlsEvent {
    ClientHello {
        /// Legacy record/hello version, e.g. 0x0303.
        legacy_version: u16,
        /// supported_versions when present, else the legacy version.
        versions: Vec<u16>,
        sni: Option<String>,
        /// The hello came in SSLv2-compatible form.
        sslv2_compat: bool,
    },
    ServerHello {
        legacy_version: u16,
        /// supported_versions when present, else the legacy version.
        selected_version: u16,
    },
    Certificate {
        /// Shared: a chain served many times is decoded once ([`memo`]).
        chain: Arc<[CertInfo]>,
    },
    /// A ServerHello that is a TLS 1.3 HelloRetryRequest (RFC 8446 4.1.3):
    /// the client must send a new ClientHello; nothing is encrypted yet.
    HelloRetryRequest {
        selected_version: u16,
    },
    ServerHelloDone,
    /// Another handshake message in clear (type number).
    Handshake {
        msg_type: u8,
    },
    /// A handshake message that was not read: over [`MAX_HANDSHAKE_LEN`]
    /// octets, or a ClientHello, ServerHello or certificate that does not
    /// parse (the octets it declared); counted as undecodable.
    Unread {
        msg_type: u8,
        octets: usize,
    },
    ChangeCipherSpec,
    /// A plaintext alert.
    Alert {
        level: u8,
        description: u8,
    },
    /// A content-type-21 record that is not a plaintext alert (encrypted),
    /// or a TLS 1.3 record of an alert's length where one tells (see the
    /// module doc).
    EncryptedAlert,
    /// The first application_data record of the direction.
    ApplicationData,
    /// TLS 1.3: the first encrypted record of a later segment than the
    /// flight watched from (see the module doc), not of an alert's length:
    /// the client sent more after its Finished; the server answered.
    LaterRecord,
    /// A TLS 1.3 record right after one of an alert's length: that one
    /// carried 2 octets of data (a CRLF keep-alive answer, "OK"), not an
    /// alert.
    RecordAfterAlert,
}

/// Largest record body: 2^14 octets plus the 2048 a ciphertext may add
/// (RFC 5246 section 6.2.3).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// Buffer capacity a followed stream keeps when it holds nothing.
const KEPT_CAPACITY: usize = 64;

/// Largest handshake message reassembled; a longer one is skipped (its
/// octets are not kept) and reported as `Unread { msg_type, .. }`. Real
/// certificate chains stay far below.
pub const MAX_HANDSHAKE_LEN: usize = 256 * 1024;

/// Record content types (RFC 5246 section 6.2.1, RFC 6520).
const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
const HEARTBEAT: u8 = 24;

/// Length of a TLS 1.3 record holding an encrypted alert: the 2-octet
/// alert, the inner content type and a 16-octet AEAD tag (RFC 8446 section
/// 5.2; every TLS 1.3 cipher suite but CCM_8 has that tag). A Finished is
/// at least 4 + 32 + 1 + 16 octets, so nothing else of the handshake has it.
pub const ALERT_RECORD_LEN_13: usize = 2 + 1 + 16;

/// What a TLS 1.3 direction checks of its next encrypted record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Watch {
    #[default]
    Off,
    /// Is it an alert (19 octets)?
    Next,
    /// One looked like an alert: does anything follow it (then it was a
    /// 2-octet message, not an alert)?
    AfterAlert,
}

/// One direction of a TLS connection.
#[derive(Debug, Default)]
pub struct TlsStream {
    /// Bytes of the record (or SSLv2 hello) not complete yet.
    buf: Vec<u8>,
    /// Handshake octets waiting for the rest of their message.
    handshake: Vec<u8>,
    /// Some bytes were read: an SSLv2 hello can only open the stream.
    started: bool,
    /// Why decoding of this direction stopped for good.
    stopped: Option<String>,
    /// After a gap: look for a record header before decoding again.
    resync: bool,
    /// After a gap: handshake records are dropped until one opens with a
    /// known handshake message type (the lost one may continue in it).
    handshake_resync: bool,
    ccs_seen: bool,
    /// Handshake records are encrypted from now on (TLS 1.3).
    handshake_encrypted: bool,
    /// This is a TLS 1.3 handshake (a HelloRetryRequest or a ServerHello
    /// chose it): a ChangeCipherSpec is only there for middleboxes.
    tls13: bool,
    /// This direction's ClientHello offered TLS 1.3 ...
    offered_tls13: bool,
    /// ... and the server chose an older version.
    peer_chose_older: bool,
    /// A ChangeCipherSpec went by as TLS 1.3's middlebox record while the
    /// server's choice was not seen (its flight missing from the capture).
    compat_ccs_unchosen: bool,
    /// Octets still to skip of a handshake message over the size limit.
    skip: usize,
    /// Its type and length, reported once it is skipped.
    skipped_type: u8,
    skipped_len: usize,
    hello_seen: bool,
    application_data_seen: bool,
    /// TLS 1.3: which coming encrypted record is checked (see [`Watch`]).
    watch: Watch,
    /// Records of this frame (the flight being watched from) are skipped.
    watch_from: u64,
    /// Bytes were lost (a TCP gap, a snaplen cut): which record comes
    /// "first" or "next" is unknown, so no alert is told by its length.
    gapped: bool,
    /// Not done before this direction's first application_data record.
    to_application_data: bool,
    /// Followed to the close: its encrypted records so far.
    tail: Option<Tail>,
    /// Followed past its handshake: the record whose body is being skipped
    /// (its content type and length) and the octets of it still to come.
    /// Only headers are read there; no body is buffered.
    skipping: Option<(u8, usize)>,
    body_left: usize,
}

impl TlsStream {
    /// Appends in-order bytes that arrived in `frame`; returns the events
    /// completed by them, each with the frame that completed it.
    pub fn push(&mut self, frame: u64, data: &[u8]) -> Vec<(u64, TlsEvent)> {
        let mut events = Vec::new();
        if self.stopped.is_some() {
            return events;
        }
        // TLS 1.3: the segment of the first encrypted record (a client's
        // Finished flight) went by; what comes now is data.
        if let (true, Some(tail)) = (self.application_data_seen, self.tail.as_mut()) {
            tail.flight_done = true;
        }
        let data = if self.resync {
            match resync_offset(data) {
                Some(at) => {
                    self.resync = false;
                    data.get(at..).unwrap_or_default()
                }
                None => return events,
            }
        } else {
            data
        };
        // A body being skipped (a followed direction past its handshake).
        let data = match self.skipping {
            Some((content_type, len)) => {
                let n = self.body_left.min(data.len());
                self.body_left -= n;
                if self.body_left == 0 {
                    self.skipping = None;
                    let tls13 = self.tls13;
                    if let Some(tail) = self.tail.as_mut() {
                        tail.record(content_type, len, tls13);
                    }
                }
                data.get(n..).unwrap_or_default()
            }
            None => data,
        };
        self.buf.extend_from_slice(data);

        let buf = std::mem::take(&mut self.buf);
        let mut at = 0usize;
        if !self.started && !buf.is_empty() {
            match self.sslv2_hello(&buf) {
                Sslv2::Absent => self.started = true,
                Sslv2::NeedMore => {
                    self.buf = buf;
                    return events;
                }
                Sslv2::Hello(len, event) => {
                    self.started = true;
                    self.hello_seen = true;
                    events.push((frame, event));
                    at = len;
                }
            }
        }
        while self.stopped.is_none() {
            let Some(header) = buf.get(at..at.saturating_add(5)) else {
                break;
            };
            let content_type = header.first().copied().unwrap_or_default();
            let major = header.get(1).copied().unwrap_or_default();
            let len = usize::from(u16::from_be_bytes([
                header.get(3).copied().unwrap_or_default(),
                header.get(4).copied().unwrap_or_default(),
            ]));
            if !(CHANGE_CIPHER_SPEC..=HEARTBEAT).contains(&content_type) || major != 3 {
                // Say what came instead when it reads as text (a banner, HTTP).
                let head = buf.get(at..).unwrap_or_default();
                let text: String = head
                    .iter()
                    .take(24)
                    .take_while(|b| b.is_ascii_graphic() || **b == b' ')
                    .map(|&b| char::from(b))
                    .collect();
                let starts = match text.len() {
                    0..=3 => String::new(),
                    _ => format!(", starts \"{text}\""),
                };
                self.stop(format!(
                    "not a TLS record (type {content_type}, version {major}.x{starts})"
                ));
                break;
            }
            if len > MAX_RECORD_LEN {
                self.stop(format!("record of {len} octets, over {MAX_RECORD_LEN}"));
                break;
            }
            let body_start = at.saturating_add(5);
            let Some(body) = buf.get(body_start..body_start.saturating_add(len)) else {
                // Past the handshake of a followed direction: the rest of
                // this body is skipped, not buffered.
                if self.tail.is_some() && self.only_followed() {
                    let have = buf.len().saturating_sub(body_start);
                    self.skipping = Some((content_type, len));
                    self.body_left = len - have;
                    at = buf.len();
                }
                break;
            };
            self.record(frame, content_type, body, &mut events);
            let encrypted = self.ccs_seen || self.handshake_encrypted || self.tls13;
            if let (Some(tail), true) = (self.tail.as_mut(), encrypted) {
                tail.record(content_type, len, self.tls13);
            }
            at = body_start.saturating_add(len);
        }
        if self.stopped.is_none() {
            self.buf = buf;
            self.buf.drain(..at.min(self.buf.len()));
            // (A followed direction past its handshake keeps no buffer.)
            if self.tail.is_some() && self.only_followed() {
                if self.buf.is_empty() && self.buf.capacity() > KEPT_CAPACITY {
                    self.buf = Vec::new();
                }
                if self.handshake.capacity() > 0 {
                    self.handshake = Vec::new();
                }
            }
        }
        events
    }

    /// Nothing but the tail is wanted of this direction any more: it would
    /// be done but for [`TlsStream::follow_to_close`].
    fn only_followed(&self) -> bool {
        self.hello_seen
            && (self.ccs_seen || self.application_data_seen)
            && (self.application_data_seen || !self.to_application_data)
            && self.watch == Watch::Off
    }

    /// Bytes are missing before what comes next (a TCP gap): resynchronise.
    /// The partial record and handshake message are dropped, and decoding
    /// resumes at the first plausible record header of a later push.
    pub fn gap(&mut self) {
        self.buf.clear();
        self.handshake.clear();
        self.skip = 0;
        self.skipping = None;
        self.body_left = 0;
        self.gapped = true;
        self.watch = Watch::Off;
        if self.stopped.is_none() {
            self.resync = true;
            self.handshake_resync = true;
            self.started = true;
        }
    }

    /// True once nothing more of interest can come (both application data and
    /// the handshake are done for this direction); the driver may stop
    /// feeding it.
    ///
    /// That is: decoding stopped, or a hello was seen and then this
    /// direction's ChangeCipherSpec or application data (after which its
    /// handshake and alerts are encrypted).
    pub fn done(&self) -> bool {
        self.stopped.is_some()
            || (self.hello_seen
                && self.tail.is_none()
                && (self.ccs_seen || self.application_data_seen)
                && (self.application_data_seen || !self.to_application_data)
                && self.watch == Watch::Off)
    }

    /// Follows this direction up to its first application_data record
    /// (TLS 1.2: past the ChangeCipherSpec), so that whether each side sent
    /// data inside the session is known (SIP to the SBC runs there).
    pub fn follow_to_application_data(&mut self) {
        self.to_application_data = true;
    }

    /// Follows this direction to the connection's close, counting its
    /// encrypted records (see [`Tail`]): what a download inside the session
    /// came to. Never done before the close.
    pub fn follow_to_close(&mut self) {
        self.tail.get_or_insert_with(Tail::default);
    }

    /// The time of the bytes just pushed: a followed direction keeps it as
    /// its last record's when they completed one (`records` before them).
    pub fn note_time(&mut self, records_before: u64, ts: crate::time::Timestamp) {
        if let Some(tail) = self.tail.as_mut().filter(|t| t.records > records_before) {
            tail.last_at = Some(ts);
            if tail.requests > 0 {
                tail.request_at.get_or_insert(ts);
            }
        }
    }

    /// A followed direction sent a data record after its handshake (a
    /// client's request).
    pub fn requested(&self) -> bool {
        self.tail.is_some_and(|t| t.requests > 0)
    }

    /// The peer finished its TLS 1.3 handshake (the client's Finished):
    /// this direction's records from now on may be session tickets.
    pub fn peer_finished(&mut self) {
        if let (true, Some(tail)) = (self.tls13, self.tail.as_mut()) {
            tail.at_peer_finished.get_or_insert(tail.data_records);
        }
    }

    /// The peer's first request came: what this direction sent before it
    /// answers nothing of it.
    pub fn peer_requested(&mut self) {
        if let Some(tail) = self.tail.as_mut() {
            tail.at_peer_request.get_or_insert(tail.data_records);
        }
    }

    /// Whole encrypted records of a followed direction so far.
    pub fn records(&self) -> u64 {
        self.tail.map_or(0, |t| t.records)
    }

    /// What a direction followed to its close sent inside the session.
    pub fn tail(&self) -> Option<Tail> {
        let mut tail = self.tail?;
        tail.cut = !self.buf.is_empty() || self.skip > 0 || self.skipping.is_some();
        tail.gapped = self.gapped;
        Some(tail)
    }

    /// TLS 1.3: checks this direction's next encrypted record for an alert
    /// (the server's first word after the client's Finished). Feed the
    /// stream until [`TlsStream::done`] again.
    pub fn watch_next_record(&mut self, frame: u64) {
        if self.tls13 && self.stopped.is_none() && !self.gapped {
            self.watch = Watch::Next;
            self.watch_from = frame;
        }
    }

    /// The version the server chose (ServerHello or HelloRetryRequest), for
    /// the client's stream: it tells whether the client's ChangeCipherSpec
    /// changes keys (TLS 1.2) or is the TLS 1.3 compatibility record.
    pub fn peer_selected(&mut self, version: u16) {
        if is_tls13(version) {
            self.tls13 = true;
        } else {
            self.peer_chose_older = true;
        }
    }

    /// From now on this direction's handshake records are encrypted: the
    /// driver calls it on the client stream once the server's ServerHello
    /// selected TLS 1.3. The server stream finds that out by itself.
    pub fn set_handshake_encrypted(&mut self) {
        self.handshake_encrypted = true;
        self.handshake.clear();
    }

    /// At the connection's end: a handshake message over the size limit
    /// that was still being skipped, as an `Unread` event (once).
    pub fn take_unfinished_skip(&mut self) -> Option<TlsEvent> {
        if self.skip == 0 {
            return None;
        }
        self.skip = 0;
        Some(TlsEvent::Unread {
            msg_type: self.skipped_type,
            octets: self.skipped_len,
        })
    }

    /// Why decoding of this direction stopped (not TLS, an oversized record),
    /// if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    fn stop(&mut self, why: String) {
        log::debug!("tls: stream stopped: {why}");
        self.stopped = Some(why);
        self.buf = Vec::new();
        self.handshake = Vec::new();
    }

    /// Handles one whole record.
    fn record(
        &mut self,
        frame: u64,
        content_type: u8,
        body: &[u8],
        events: &mut Vec<(u64, TlsEvent)>,
    ) {
        match content_type {
            // RFC 8446 D.4: in TLS 1.3 a ChangeCipherSpec changes nothing
            // (middlebox compatibility): what follows stays in the clear
            // until the keys change with the ServerHello.
            CHANGE_CIPHER_SPEC if self.tls13 || (self.offered_tls13 && !self.peer_chose_older) => {
                log::debug!("tls: frame {frame}: TLS 1.3 compatibility ChangeCipherSpec");
                self.compat_ccs_unchosen = !self.tls13;
            }
            CHANGE_CIPHER_SPEC => {
                self.ccs_seen = true;
                self.handshake.clear();
                events.push((frame, TlsEvent::ChangeCipherSpec));
            }
            ALERT => {
                let event = match body {
                    [level @ (1 | 2), description] if !self.ccs_seen => TlsEvent::Alert {
                        level: *level,
                        description: *description,
                    },
                    _ => TlsEvent::EncryptedAlert,
                };
                events.push((frame, event));
            }
            HANDSHAKE => {
                if self.ccs_seen || self.handshake_encrypted {
                    return;
                }
                // After a TLS 1.3 client's middlebox ChangeCipherSpec only a
                // second ClientHello (after a HelloRetryRequest) is in the
                // clear; anything else is a TLS 1.2 Finished, encrypted: the
                // server chose 1.2 in a flight the capture lacks.
                if self.compat_ccs_unchosen && !self.tls13 && body.first() != Some(&1) {
                    log::debug!(
                        "tls: frame {frame}: encrypted handshake after the ChangeCipherSpec"
                    );
                    self.handshake_encrypted = true;
                    return;
                }
                if self.handshake_resync {
                    let known = [1, 2, 4, 8, 11, 12, 13, 14, 15, 16, 20, 22];
                    if !body.first().is_some_and(|t| known.contains(t)) {
                        return;
                    }
                    self.handshake_resync = false;
                }
                self.handshake.extend_from_slice(body);
                self.handshake_messages(frame, events);
            }
            _ if self.watch == Watch::AfterAlert => {
                events.push((frame, TlsEvent::RecordAfterAlert));
                self.watch = Watch::Off;
            }
            // The rest of the watched flight (a Finished after a client
            // Certificate) is not the next word.
            APPLICATION_DATA if self.watch == Watch::Next && frame == self.watch_from => {}
            APPLICATION_DATA
                if self.tls13 && !self.gapped && body.len() == ALERT_RECORD_LEN_13 =>
            {
                // The first record in place of a Finished: an alert, the end.
                let first = !self.application_data_seen;
                if first || self.watch == Watch::Next {
                    events.push((frame, TlsEvent::EncryptedAlert));
                }
                self.watch = match self.watch {
                    Watch::Next => Watch::AfterAlert,
                    _ => Watch::Off,
                };
                self.application_data_seen = true;
            }
            APPLICATION_DATA if !self.application_data_seen => {
                self.application_data_seen = true;
                events.push((frame, TlsEvent::ApplicationData));
            }
            APPLICATION_DATA if self.watch == Watch::Next => {
                events.push((frame, TlsEvent::LaterRecord));
                self.watch = Watch::Off;
            }
            APPLICATION_DATA => {}
            _ => {}
        }
    }

    /// Reads an SSLv2-compatible ClientHello at the start of the stream.
    fn sslv2_hello(&self, buf: &[u8]) -> Sslv2 {
        if buf.len() < 5 {
            let first = buf.first().copied().unwrap_or_default();
            return if first & 0x80 != 0 {
                Sslv2::NeedMore
            } else {
                Sslv2::Absent
            };
        }
        if !is_sslv2_client_hello(buf) {
            return Sslv2::Absent;
        }
        let len = usize::from(u16::from_be_bytes([
            buf.first().copied().unwrap_or_default() & 0x7f,
            buf.get(1).copied().unwrap_or_default(),
        ]));
        let total = len.saturating_add(2);
        if buf.len() < total {
            return Sslv2::NeedMore;
        }
        let version = u16::from_be_bytes([
            buf.get(3).copied().unwrap_or_default(),
            buf.get(4).copied().unwrap_or_default(),
        ]);
        let event = TlsEvent::ClientHello {
            legacy_version: version,
            versions: vec![version],
            sni: None,
            sslv2_compat: true,
        };
        Sslv2::Hello(total, event)
    }
}

enum Sslv2 {
    Absent,
    NeedMore,
    /// Octets taken, and the event.
    Hello(usize, TlsEvent),
}

/// TLS 1.3, or one of its drafts (0x7fxx).
pub fn is_tls13(version: u16) -> bool {
    version == 0x0304 || version >> 8 == 0x7f
}

/// After a gap: the offset of the first record header in `data` that looks
/// real (plausible type, version and length, and its record either runs to
/// or past the end of `data` or is followed by another plausible header).
fn resync_offset(data: &[u8]) -> Option<usize> {
    let plausible = |at: usize| -> Option<usize> {
        let h = data.get(at..at.checked_add(5)?)?;
        let len = usize::from(u16::from_be_bytes([*h.get(3)?, *h.get(4)?]));
        let ok = (CHANGE_CIPHER_SPEC..=APPLICATION_DATA).contains(h.first()?)
            && *h.get(1)? == 3
            && *h.get(2)? <= 4
            && (1..=MAX_RECORD_LEN).contains(&len);
        ok.then_some(len)
    };
    (0..data.len()).find(|&at| match plausible(at) {
        Some(len) => {
            let next = at.saturating_add(5).saturating_add(len);
            next >= data.len() || plausible(next).is_some()
        }
        None => false,
    })
}

#[cfg(test)]
mod tests;
