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
//! everything after the first application_data record but alerts.

use std::sync::Arc;

use serde::Serialize;
use tls_parser::TlsMessageHandshake;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

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

/// Names a TLS version, e.g. 0x0303 -> "TLS 1.2", 0x7f10 -> "TLS 1.3 draft 16".
pub fn version_name(v: u16) -> String {
    match v {
        0x0002 => "SSL 2.0".into(),
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        v if v >> 8 == 0x7f => format!("TLS 1.3 draft {}", v & 0xff),
        v => format!("0x{v:04x}"),
    }
}

/// Names an alert description, e.g. 48 -> "unknown_ca" (RFC 8446 section
/// 6, RFC 5246 section 7.2, RFC 6066 section 9, RFC 7507).
pub fn alert_name(d: u8) -> String {
    let name = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => return format!("alert_{d}"),
    };
    name.to_string()
}

/// Quick check: does this TCP payload start with a TLS record header (or an
/// SSLv2-compatible ClientHello)?
/// Like [`looks_like_tls`] on the start of a stream that may still grow:
/// None while the bytes so far could still begin a record or an SSLv2
/// hello.
pub fn sniff_tls(data: &[u8]) -> Option<bool> {
    if looks_like_tls(data) {
        return Some(true);
    }
    match data {
        [] => None,
        [b0, ..] if b0 & 0x80 != 0 && data.len() < 5 => None,
        [content_type] | [content_type, 3] if (20..=23).contains(content_type) => None,
        _ => Some(false),
    }
}

pub fn looks_like_tls(data: &[u8]) -> bool {
    match data {
        [content_type, 3, minor, ..] => (20..=23).contains(content_type) && *minor <= 4,
        _ => is_sslv2_client_hello(data),
    }
}

/// The 2-octet-header SSLv2 record carrying a CLIENT-HELLO (RFC 6101
/// appendix E.1; RFC 5246 appendix E.2), version SSL 2.0 or 3.x.
fn is_sslv2_client_hello(data: &[u8]) -> bool {
    match data {
        [b0, _, 1, major, minor, ..] => {
            b0 & 0x80 != 0 && ((*major, *minor) == (0, 2) || (*major == 3 && *minor <= 4))
        }
        _ => false,
    }
}

/// Largest record body: 2^14 octets plus the 2048 a ciphertext may add
/// (RFC 5246 section 6.2.3).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// Largest handshake message reassembled; a longer one is skipped (its
/// octets are not kept) and reported as `Handshake { msg_type }`. Real
/// certificate chains stay far below.
pub const MAX_HANDSHAKE_LEN: usize = 256 * 1024;

/// Record content types (RFC 5246 section 6.2.1, RFC 6520).
const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
const HEARTBEAT: u8 = 24;

/// Length of a TLS 1.3 record holding an encrypted alert: the 2-octet
/// alert, the inner content type and a 16-octet AEAD tag (RFC 8446 section
/// 5.2; every TLS 1.3 cipher suite but CCM_8 has that tag). A Finished is
/// at least 4 + 32 + 1 + 16 octets, so nothing else of the handshake has it.
pub const ALERT_RECORD_LEN_13: usize = 2 + 1 + 16;

/// ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3).
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
    0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
    0x33, 0x9c,
];

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
    /// Octets still to skip of a handshake message over the size limit.
    skip: usize,
    /// Its type, reported once it is skipped.
    skipped_type: u8,
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
}

impl TlsStream {
    /// Appends in-order bytes that arrived in `frame`; returns the events
    /// completed by them, each with the frame that completed it.
    pub fn push(&mut self, frame: u64, data: &[u8]) -> Vec<(u64, TlsEvent)> {
        let mut events = Vec::new();
        if self.stopped.is_some() {
            return events;
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
                break;
            };
            self.record(frame, content_type, body, &mut events);
            at = body_start.saturating_add(len);
        }
        if self.stopped.is_none() {
            self.buf = buf;
            self.buf.drain(..at.min(self.buf.len()));
        }
        events
    }

    /// Bytes are missing before what comes next (a TCP gap): resynchronise.
    /// The partial record and handshake message are dropped, and decoding
    /// resumes at the first plausible record header of a later push.
    pub fn gap(&mut self) {
        self.buf.clear();
        self.handshake.clear();
        self.skip = 0;
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

    /// Takes every whole message out of the handshake buffer. A message
    /// longer than [`MAX_HANDSHAKE_LEN`] is skipped as its octets arrive and
    /// reported as `Handshake { msg_type }` once it has gone by.
    fn handshake_messages(&mut self, frame: u64, events: &mut Vec<(u64, TlsEvent)>) {
        let buf = std::mem::take(&mut self.handshake);
        let mut at = 0usize;
        loop {
            if self.skip > 0 {
                let n = self.skip.min(buf.len().saturating_sub(at));
                at = at.saturating_add(n);
                self.skip -= n;
                if self.skip > 0 {
                    break;
                }
                events.push((
                    frame,
                    TlsEvent::Handshake {
                        msg_type: self.skipped_type,
                    },
                ));
            }
            let Some(header) = buf.get(at..at.saturating_add(4)) else {
                break;
            };
            let msg_type = header.first().copied().unwrap_or_default();
            let len = header
                .get(1..4)
                .map(|b| b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
                .unwrap_or_default();
            let body_start = at.saturating_add(4);
            if len > MAX_HANDSHAKE_LEN {
                log::debug!("tls: handshake message type {msg_type} of {len} octets, skipped");
                self.skip = len;
                self.skipped_type = msg_type;
                at = body_start;
                continue;
            }
            let Some(body) = buf.get(body_start..body_start.saturating_add(len)) else {
                break;
            };
            if let Some(event) = self.handshake_message(msg_type, body) {
                events.push((frame, event));
            }
            at = body_start.saturating_add(len);
            if self.handshake_encrypted {
                // What follows a TLS 1.3 ServerHello is not plaintext.
                return;
            }
        }
        self.handshake = buf;
        self.handshake.drain(..at.min(self.handshake.len()));
    }

    fn handshake_message(&mut self, msg_type: u8, body: &[u8]) -> Option<TlsEvent> {
        let event = match msg_type {
            1 => client_hello(body),
            2 => server_hello(body),
            11 => certificate(body),
            14 => Some(TlsEvent::ServerHelloDone),
            _ => None,
        };
        let event = event.unwrap_or(TlsEvent::Handshake { msg_type });
        match &event {
            TlsEvent::ClientHello { versions, .. } => {
                self.hello_seen = true;
                self.offered_tls13 = versions.iter().any(|v| is_tls13(*v));
            }
            TlsEvent::ServerHello {
                selected_version, ..
            } => {
                self.hello_seen = true;
                if is_tls13(*selected_version) {
                    self.tls13 = true;
                    self.handshake_encrypted = true;
                }
            }
            TlsEvent::HelloRetryRequest { .. } => self.tls13 = true,
            _ => {}
        }
        Some(event)
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

fn is_tls13(version: u16) -> bool {
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

/// Walks an extensions block: (type, data) pairs, stopping at the first
/// malformed one.
fn extensions(mut block: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while let [t0, t1, l0, l1, rest @ ..] = block {
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let Some(data) = rest.get(..len) else { break };
        out.push((u16::from_be_bytes([*t0, *t1]), data));
        block = rest.get(len..).unwrap_or_default();
    }
    out
}

/// Big-endian 16-bit values of `bytes` (an odd last octet is ignored).
fn be16_values(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .filter_map(|c| <[u8; 2]>::try_from(c).ok())
        .map(u16::from_be_bytes)
}

/// A GREASE version value (RFC 8701): 0x0a0a, 0x1a1a, ..., 0xfafa.
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 12 == (v >> 4) & 0x0f
}

fn client_hello(body: &[u8]) -> Option<TlsEvent> {
    let (_, hello) = tls_parser::parse_tls_handshake_client_hello(body).ok()?;
    let legacy_version = hello.version.0;
    let mut versions = Vec::new();
    let mut sni = None;
    for (ext_type, data) in extensions(hello.ext.unwrap_or_default()) {
        match ext_type {
            0 => sni = sni.or_else(|| server_name(data)),
            43 => {
                // supported_versions: a 1-octet length, then 2-octet versions.
                let list = data.get(1..).unwrap_or_default();
                let list = list.get(..usize::from(*data.first()?)).unwrap_or(list);
                versions = be16_values(list).filter(|v| !is_grease(*v)).collect();
            }
            _ => {}
        }
    }
    if versions.is_empty() {
        versions.push(legacy_version);
    }
    Some(TlsEvent::ClientHello {
        legacy_version,
        versions,
        sni,
        sslv2_compat: false,
    })
}

/// The first host_name of a server_name extension (RFC 6066 section 3).
fn server_name(data: &[u8]) -> Option<String> {
    let mut list = data.get(2..)?;
    while let [name_type, l0, l1, rest @ ..] = list {
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let name = rest.get(..len)?;
        if *name_type == 0 {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        list = rest.get(len..)?;
    }
    None
}

/// ServerHello (RFC 5246 7.4.1.3, RFC 8446 4.1.3); the drafts of TLS 1.3
/// before 22 (version 0x7fxx in the body) had no session id and no
/// compression method.
fn server_hello(body: &[u8]) -> Option<TlsEvent> {
    let legacy_version = u16::from_be_bytes([*body.first()?, *body.get(1)?]);
    let random = body.get(2..34)?;
    let after_random = body.get(34..)?;
    let ext_block = if legacy_version >> 8 == 0x7f {
        after_random.get(2..)
    } else {
        let sid_len = usize::from(*after_random.first()?);
        after_random.get(1usize.saturating_add(sid_len).saturating_add(3)..)
    };
    let ext_block = ext_block.unwrap_or_default();
    let ext_data = match ext_block {
        [l0, l1, rest @ ..] => rest.get(..usize::from(u16::from_be_bytes([*l0, *l1])))?,
        _ => &[],
    };
    let mut selected_version = legacy_version;
    for (ext_type, data) in extensions(ext_data) {
        if let (43, [v0, v1]) = (ext_type, data) {
            selected_version = u16::from_be_bytes([*v0, *v1]);
        }
    }
    if random == HELLO_RETRY_RANDOM {
        return Some(TlsEvent::HelloRetryRequest { selected_version });
    }
    Some(TlsEvent::ServerHello {
        legacy_version,
        selected_version,
    })
}

/// Certificate (RFC 5246 7.4.2): each DER certificate read by x509-parser;
/// one that does not parse is left out of the chain.
fn certificate(body: &[u8]) -> Option<TlsEvent> {
    let (_, msg) = tls_parser::parse_tls_handshake_msg_certificate(body).ok()?;
    let TlsMessageHandshake::Certificate(contents) = msg else {
        return None;
    };
    let chain = memo::chain(body, || {
        contents
            .cert_chain
            .iter()
            .filter_map(|raw| match X509Certificate::from_der(raw.data) {
                Ok((_, cert)) => Some(cert_info(&cert)),
                Err(e) => {
                    log::debug!("tls: certificate of {} octets skipped: {e}", raw.data.len());
                    None
                }
            })
            .collect()
    });
    Some(TlsEvent::Certificate { chain })
}

fn cert_info(cert: &X509Certificate) -> CertInfo {
    let validity = cert.validity();
    let not_before_unix = validity.not_before.timestamp();
    let not_after_unix = validity.not_after.timestamp();
    let san = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(dns.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    CertInfo {
        subject: rfc4514(cert.subject()),
        subject_cn: first_value(cert.subject(), OID_CN),
        issuer: rfc4514(cert.issuer()),
        issuer_cn: first_value(cert.issuer(), OID_CN),
        issuer_o: first_value(cert.issuer(), OID_O),
        not_before: rfc3339(not_before_unix),
        not_after: rfc3339(not_after_unix),
        not_before_unix,
        not_after_unix,
        san,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        rsa_bits: rsa_bits(cert),
    }
}

/// The size of an RSA key's modulus in bits, leading zero bits left out.
fn rsa_bits(cert: &X509Certificate) -> Option<u32> {
    let Ok(x509_parser::public_key::PublicKey::RSA(key)) = cert.public_key().parsed() else {
        return None;
    };
    let modulus = key.modulus;
    let start = modulus.iter().position(|b| *b != 0)?;
    let first = modulus.get(start)?;
    let bytes = u32::try_from(modulus.len() - start).ok()?;
    Some(bytes * 8 - first.leading_zeros())
}

const OID_CN: &str = "2.5.4.3";
const OID_O: &str = "2.5.4.10";

/// Short names of attribute types: RFC 4514 section 3, then the usual ones
/// from RFC 4519 and PKCS #9.
fn attribute_short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.6" => "C",
        "2.5.4.9" => "STREET",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "2.5.4.5" => "serialNumber",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

fn first_value(name: &X509Name, oid: &str) -> Option<String> {
    name.iter_attributes()
        .find(|a| a.attr_type().to_id_string() == oid)
        .and_then(|a| attribute_text(a.attr_value().tag().0, a.attr_value().as_bytes()))
}

/// The text of a directory string (RFC 5280 4.1.2.4): UTF8, Printable, IA5,
/// Numeric, Visible; Teletex read as Latin-1; BMP as UTF-16; Universal as
/// UTF-32. None for other types.
fn attribute_text(tag: u32, bytes: &[u8]) -> Option<String> {
    match tag {
        12 | 18 | 19 | 22 | 26 => Some(String::from_utf8_lossy(bytes).into_owned()),
        20 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        30 => {
            let units: Vec<u16> = be16_values(bytes).collect();
            Some(String::from_utf16_lossy(&units))
        }
        28 => Some(
            bytes
                .chunks_exact(4)
                .filter_map(|c| <[u8; 4]>::try_from(c).ok())
                .map(|c| char::from_u32(u32::from_be_bytes(c)))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        ),
        _ => None,
    }
}

/// A distinguished name as RFC 4514 writes it: the last RDN first, `+`
/// between the values of a multi-valued RDN, special characters escaped,
/// values without a string form (or of an unnamed type) as `#` and the hex
/// of their DER encoding. RDNs are joined by `, `.
fn rfc4514(name: &X509Name) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            let parts: Vec<String> = rdn
                .iter()
                .map(|attr| {
                    let oid = attr.attr_type().to_id_string();
                    let value = attr.attr_value();
                    let short = attribute_short_name(&oid);
                    let text = attribute_text(value.tag().0, value.as_bytes());
                    match (short, text) {
                        (Some(short), Some(text)) => format!("{short}={}", escape_value(&text)),
                        (short, _) => format!(
                            "{}=#{}",
                            short.map(str::to_string).unwrap_or(oid),
                            der_hex(value.tag().0, value.as_bytes())
                        ),
                    }
                })
                .collect();
            parts.join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// RFC 4514 section 2.4 escaping of an attribute value.
fn escape_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// Hex of a DER value rebuilt from its (low-number) tag and contents.
fn der_hex(tag: u32, contents: &[u8]) -> String {
    let mut der = vec![u8::try_from(tag).unwrap_or(0x04).min(30)];
    let len = contents.len();
    if len < 0x80 {
        der.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        der.push(0x80 | significant.len() as u8);
        der.extend_from_slice(significant);
    }
    der.extend_from_slice(contents);
    der.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since the epoch as RFC 3339 UTC, e.g. `2024-03-01T00:00:00Z`.
fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Proleptic Gregorian date of a day count from 1970-01-01, computed over
/// 400-year eras of 146,097 days starting on March 1st.
fn civil_date(days: i64) -> (i64, i64, i64) {
    let shifted = days.saturating_add(719_468); // 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = era
        .saturating_mul(400)
        .saturating_add(year_of_era)
        .saturating_add(i64::from(month <= 2));
    (year, month, day)
}

mod memo;
#[cfg(test)]
mod tests;
