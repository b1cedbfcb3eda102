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
//! section 4.1.3) does not count as that ServerHello.
//!
//! Ignored: cipher suites, extensions other than server_name (0) and
//! supported_versions (43) (GREASE values, RFC 8701, are dropped from the
//! offered versions), key exchange contents, heartbeat records, TLS 1.3's
//! encrypted handshake, certificate validation (only fields are read) and
//! everything after the first application_data record but alerts.

use serde::Serialize;
use tls_parser::TlsMessageHandshake;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

/// One certificate of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
        chain: Vec<CertInfo>,
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
    /// A content-type-21 record that is not a plaintext alert (encrypted).
    EncryptedAlert,
    /// The first application_data record of the direction.
    ApplicationData,
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

/// ServerHello.random of a HelloRetryRequest (RFC 8446 section 4.1.3).
const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

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
    /// Octets still to skip of a handshake message over the size limit.
    skip: usize,
    /// Its type, reported once it is skipped.
    skipped_type: u8,
    hello_seen: bool,
    application_data_seen: bool,
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
                self.stop(format!(
                    "not a TLS record (type {content_type}, version {major}.x)"
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
        self.stopped.is_some() || (self.hello_seen && (self.ccs_seen || self.application_data_seen))
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
            APPLICATION_DATA if !self.application_data_seen => {
                self.application_data_seen = true;
                events.push((frame, TlsEvent::ApplicationData));
            }
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
            TlsEvent::ClientHello { .. } => self.hello_seen = true,
            TlsEvent::ServerHello {
                selected_version, ..
            } => {
                self.hello_seen = true;
                if is_tls13(*selected_version) {
                    self.handshake_encrypted = true;
                }
            }
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
    let chain = contents
        .cert_chain
        .iter()
        .filter_map(|raw| match X509Certificate::from_der(raw.data) {
            Ok((_, cert)) => Some(cert_info(&cert)),
            Err(e) => {
                log::debug!("tls: certificate of {} octets skipped: {e}", raw.data.len());
                None
            }
        })
        .collect();
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
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![content_type, 3, 3];
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let len = (body.len() as u32).to_be_bytes();
        let mut out = vec![msg_type, len[1], len[2], len[3]];
        out.extend_from_slice(body);
        out
    }

    fn ext(ext_type: u16, data: &[u8]) -> Vec<u8> {
        let mut out = ext_type.to_be_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
        out
    }

    /// ClientHello body: TLS 1.2 legacy version, SNI, supported_versions with
    /// a GREASE value first.
    fn client_hello_body(sni: &str) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0x11; 32]);
        body.push(0); // session id
        body.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]);
        body.extend_from_slice(&[1, 0]); // null compression
        let mut names = vec![0];
        names.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        names.extend_from_slice(sni.as_bytes());
        let mut sni_ext = (names.len() as u16).to_be_bytes().to_vec();
        sni_ext.extend(names);
        let mut exts = ext(0, &sni_ext);
        exts.extend(ext(43, &[6, 0x3a, 0x3a, 3, 4, 3, 3]));
        exts.extend(ext(10, &[0, 2, 0, 29]));
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend(exts);
        body
    }

    /// ServerHello body (TLS 1.2 layout) with an optional supported_versions.
    fn server_hello_body(selected: Option<u16>, random: [u8; 32]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&random);
        body.push(0);
        body.extend_from_slice(&[0xc0, 0x2f, 0]);
        if let Some(v) = selected {
            let exts = ext(43, &v.to_be_bytes());
            body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
            body.extend(exts);
        }
        body
    }

    fn feed(stream: &mut TlsStream, bytes: &[u8]) -> Vec<TlsEvent> {
        stream.push(1, bytes).into_iter().map(|(_, e)| e).collect()
    }

    #[test]
    fn alert_names() {
        let names = [
            (0, "close_notify"),
            (10, "unexpected_message"),
            (20, "bad_record_mac"),
            (40, "handshake_failure"),
            (42, "bad_certificate"),
            (45, "certificate_expired"),
            (48, "unknown_ca"),
            (70, "protocol_version"),
            (86, "inappropriate_fallback"),
            (112, "unrecognized_name"),
            (116, "certificate_required"),
            (120, "no_application_protocol"),
        ];
        for (code, name) in names {
            assert_eq!(alert_name(code), name);
        }
        assert_eq!(alert_name(200), "alert_200");
    }

    #[test]
    fn looks_like_tls_cases() {
        assert!(looks_like_tls(&[22, 3, 1, 0, 5]));
        assert!(looks_like_tls(&[23, 3, 3]));
        assert!(!looks_like_tls(&[22, 3, 5, 0, 5]));
        assert!(!looks_like_tls(&[24, 3, 3, 0, 5]));
        assert!(!looks_like_tls(b"GET / HTTP/1.1"));
        assert!(!looks_like_tls(&[22, 3]));
        assert!(looks_like_tls(&[0x80, 0x2e, 1, 3, 1, 0, 0x15]));
        assert!(looks_like_tls(&[0x80, 0x2e, 1, 0, 2]));
        assert!(!looks_like_tls(&[0x80, 0x2e, 2, 3, 1]));
    }

    #[test]
    fn client_hello_fields() {
        let bytes = record(22, &handshake(1, &client_hello_body("SBC1.example.com")));
        let events = feed(&mut TlsStream::default(), &bytes);
        assert_eq!(
            events,
            vec![TlsEvent::ClientHello {
                legacy_version: 0x0303,
                versions: vec![0x0304, 0x0303],
                sni: Some("SBC1.example.com".into()),
                sslv2_compat: false,
            }]
        );
    }

    /// The same flight gives the same events wherever the TCP segments and
    /// the records are cut.
    #[test]
    fn any_segmentation_and_record_split() {
        let mut messages = handshake(2, &server_hello_body(None, [7; 32]));
        messages.extend(handshake(13, &[1, 1, 0, 0, 0, 0]));
        messages.extend(handshake(14, &[]));
        let expected = vec![
            TlsEvent::ServerHello {
                legacy_version: 0x0303,
                selected_version: 0x0303,
            },
            TlsEvent::Handshake { msg_type: 13 },
            TlsEvent::ServerHelloDone,
        ];
        for record_cut in 1..messages.len() {
            let mut bytes = record(22, &messages[..record_cut]);
            bytes.extend(record(22, &messages[record_cut..]));
            for seg_cut in 0..=bytes.len() {
                let mut s = TlsStream::default();
                let mut events = feed(&mut s, &bytes[..seg_cut]);
                events.extend(feed(&mut s, &bytes[seg_cut..]));
                assert_eq!(
                    events, expected,
                    "record cut {record_cut}, segment cut {seg_cut}"
                );
                assert!(s.buf.is_empty() && s.handshake.is_empty());
            }
        }
    }

    #[test]
    fn event_frame_is_the_completing_one() {
        let bytes = record(22, &handshake(1, &client_hello_body("a.example")));
        let mut s = TlsStream::default();
        assert!(s.push(4, &bytes[..10]).is_empty());
        let events = s.push(5, &bytes[10..]);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, 5);
    }

    #[test]
    fn alerts_plaintext_only_before_ccs() {
        let mut s = TlsStream::default();
        let mut bytes = record(21, &[1, 112]);
        bytes.extend(record(21, &[2, 40, 0]));
        bytes.extend(record(21, &[3, 40]));
        bytes.extend(record(20, &[1]));
        bytes.extend(record(21, &[2, 48]));
        bytes.extend(record(21, &[0x5a; 26]));
        let events = feed(&mut s, &bytes);
        assert_eq!(
            events,
            vec![
                TlsEvent::Alert {
                    level: 1,
                    description: 112
                },
                TlsEvent::EncryptedAlert,
                TlsEvent::EncryptedAlert,
                TlsEvent::ChangeCipherSpec,
                TlsEvent::EncryptedAlert,
                TlsEvent::EncryptedAlert,
            ]
        );
    }

    #[test]
    fn handshake_after_ccs_is_encrypted_and_app_data_reported_once() {
        let mut s = TlsStream::default();
        let mut bytes = record(22, &handshake(1, &client_hello_body("x.example")));
        bytes.extend(record(20, &[1]));
        assert!(!s.done());
        // An "encrypted Finished" that would parse as a ClientHello header.
        bytes.extend(record(22, &handshake(1, &[0xaa; 40])));
        bytes.extend(record(23, &[1; 30]));
        bytes.extend(record(23, &[2; 30]));
        let events = feed(&mut s, &bytes);
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(events[1], TlsEvent::ChangeCipherSpec);
        assert_eq!(events[2], TlsEvent::ApplicationData);
        assert!(s.done());
    }

    #[test]
    fn tls13_server_stream_goes_opaque_after_server_hello() {
        let mut s = TlsStream::default();
        let mut msgs = handshake(2, &server_hello_body(Some(0x0304), [9; 32]));
        // Same record: bytes that must not be read as a handshake message.
        msgs.extend(handshake(11, &[0, 0, 0]));
        let mut bytes = record(22, &msgs);
        bytes.extend(record(22, &handshake(14, &[])));
        bytes.extend(record(21, &[0x17; 19]));
        let events = feed(&mut s, &bytes);
        assert_eq!(
            events,
            vec![
                TlsEvent::ServerHello {
                    legacy_version: 0x0303,
                    selected_version: 0x0304
                },
                TlsEvent::EncryptedAlert
            ]
        );
    }

    #[test]
    fn hello_retry_request_keeps_the_stream_plaintext() {
        let mut s = TlsStream::default();
        let mut bytes = record(
            22,
            &handshake(2, &server_hello_body(Some(0x0304), HELLO_RETRY_RANDOM)),
        );
        bytes.extend(record(
            22,
            &handshake(2, &server_hello_body(Some(0x0304), [1; 32])),
        ));
        let events = feed(&mut s, &bytes);
        assert_eq!(
            events,
            vec![
                TlsEvent::HelloRetryRequest {
                    selected_version: 0x0304
                },
                TlsEvent::ServerHello {
                    legacy_version: 0x0303,
                    selected_version: 0x0304
                }
            ]
        );
    }

    #[test]
    fn draft_server_hello_layout() {
        // Draft 16: version 0x7f10 in the body, no session id, no compression.
        let mut body = vec![0x7f, 0x10];
        body.extend_from_slice(&[5; 32]);
        body.extend_from_slice(&[0x13, 0x03, 0, 0]);
        let mut s = TlsStream::default();
        let mut bytes = record(22, &handshake(2, &body));
        bytes.extend(record(22, &handshake(8, &[0, 0])));
        let events = feed(&mut s, &bytes);
        assert_eq!(
            events,
            vec![TlsEvent::ServerHello {
                legacy_version: 0x7f10,
                selected_version: 0x7f10
            }]
        );
        assert_eq!(version_name(0x7f10), "TLS 1.3 draft 16");
    }

    #[test]
    fn client_stream_told_to_go_opaque() {
        let mut s = TlsStream::default();
        s.set_handshake_encrypted();
        let bytes = record(22, &handshake(20, &[0; 32]));
        assert!(feed(&mut s, &bytes).is_empty());
        // A plaintext alert is still an alert there.
        let alert = feed(&mut s, &record(21, &[2, 48]));
        assert_eq!(
            alert,
            vec![TlsEvent::Alert {
                level: 2,
                description: 48
            }]
        );
    }

    #[test]
    fn sslv2_compatible_client_hello() {
        // SSLv2 CLIENT-HELLO for TLS 1.0: 3 cipher specs, no session id,
        // 16-octet challenge; then a TLS alert record.
        let mut body = vec![1, 3, 1, 0, 9, 0, 0, 0, 16];
        body.extend_from_slice(&[0, 0, 0x2f, 0, 0, 0x35, 0, 0, 0x0a]);
        body.extend_from_slice(&[0x42; 16]);
        let mut bytes = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
        bytes.extend(body);
        bytes.extend(record(21, &[1, 0]));
        for cut in 0..bytes.len() {
            let mut s = TlsStream::default();
            let mut events = feed(&mut s, &bytes[..cut]);
            events.extend(feed(&mut s, &bytes[cut..]));
            assert_eq!(
                events,
                vec![
                    TlsEvent::ClientHello {
                        legacy_version: 0x0301,
                        versions: vec![0x0301],
                        sni: None,
                        sslv2_compat: true
                    },
                    TlsEvent::Alert {
                        level: 1,
                        description: 0
                    }
                ],
                "cut {cut}"
            );
        }
    }

    #[test]
    fn oversized_record_stops_without_buffering() {
        let mut s = TlsStream::default();
        let header = [22, 3, 3, 0xff, 0xff];
        assert!(feed(&mut s, &header).is_empty());
        assert!(s.stopped().is_some());
        assert!(s.done());
        assert!(feed(&mut s, &vec![0u8; 100_000]).is_empty());
        assert!(s.buf.capacity() == 0);

        // A handshake message declaring 2^24-1 octets is skipped without
        // being kept, then decoding goes on.
        let mut s = TlsStream::default();
        let bytes = record(22, &[11, 0xff, 0xff, 0xff, 0, 0]);
        assert!(feed(&mut s, &bytes).is_empty());
        assert_eq!(feed(&mut s, &record(21, &[2, 80])).len(), 1);
        let chunk = record(22, &[0; 16_000]);
        let mut left = 0xff_ffff - 2;
        while left > 16_000 {
            assert!(feed(&mut s, &chunk).is_empty());
            assert!(s.handshake.is_empty());
            left -= 16_000;
        }
        let mut last = vec![0; left];
        last.extend(handshake(14, &[]));
        assert_eq!(
            feed(&mut s, &record(22, &last)),
            vec![
                TlsEvent::Handshake { msg_type: 11 },
                TlsEvent::ServerHelloDone
            ]
        );
    }

    #[test]
    fn not_tls_stops() {
        let mut s = TlsStream::default();
        assert!(feed(&mut s, b"GET / HTTP/1.1\r\n\r\n").is_empty());
        assert!(s.stopped().unwrap().starts_with("not a TLS record"));
        assert!(s.done());
    }

    #[test]
    fn gap_resynchronises_on_next_record() {
        let mut s = TlsStream::default();
        let hello = record(22, &handshake(1, &client_hello_body("a.example")));
        feed(&mut s, &hello[..20]);
        s.gap();
        // The rest of a lost record, then an alert: only the alert counts.
        let mut bytes = vec![0x55; 7];
        bytes.extend(record(21, &[2, 42]));
        let events = feed(&mut s, &bytes);
        assert_eq!(
            events,
            vec![TlsEvent::Alert {
                level: 2,
                description: 42
            }]
        );
    }

    #[test]
    fn gap_inside_a_handshake_message() {
        let mut msgs = handshake(11, &[0x30; 3000]);
        msgs.extend(handshake(14, &[]));
        let mut bytes = record(22, &msgs[..1000]);
        bytes.extend(record(22, &msgs[1000..2000]));
        bytes.extend(record(22, &msgs[2000..]));
        let mut s = TlsStream::default();
        assert!(feed(&mut s, &bytes[..500]).is_empty());
        s.gap();
        // Resumes at the second record, which continues the lost message.
        let events = feed(&mut s, &bytes[1005..]);
        assert!(events.is_empty(), "{events:?}");
        let next = record(22, &handshake(14, &[]));
        assert_eq!(feed(&mut s, &next), vec![TlsEvent::ServerHelloDone]);
    }

    #[test]
    fn every_truncation_and_garbage() {
        let mut bytes = record(22, &handshake(1, &client_hello_body("a.example")));
        bytes.extend(record(21, &[2, 48]));
        let full = feed(&mut TlsStream::default(), &bytes);
        assert_eq!(full.len(), 2);
        for len in 0..bytes.len() {
            let part = feed(&mut TlsStream::default(), &bytes[..len]);
            assert!(full.starts_with(&part), "length {len}");
        }
        // A body that is cut inside: parsers must fail softly.
        let body = client_hello_body("a.example");
        for len in 0..body.len() {
            let events = feed(
                &mut TlsStream::default(),
                &record(22, &handshake(1, &body[..len])),
            );
            assert_eq!(events.len(), 1);
        }
    }

    #[test]
    fn dates_and_names() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_200), "2024-03-01T00:00:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(escape_value(" a,b+c "), "\\ a\\,b\\+c\\ ");
        assert_eq!(escape_value("#x"), "\\#x");
        assert_eq!(der_hex(4, &[1, 2]), "04020102");
        assert!(is_grease(0x3a3a) && is_grease(0xfafa) && !is_grease(0x0304));
    }

    proptest! {
        #[test]
        fn garbage_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..2000),
            cut in any::<usize>()
        ) {
            let mut s = TlsStream::default();
            let cut = cut % (bytes.len() + 1);
            s.push(1, &bytes[..cut]);
            s.push(2, &bytes[cut..]);
            // Behind a valid header too.
            let mut s = TlsStream::default();
            s.push(1, &record(22, &bytes[..bytes.len().min(MAX_RECORD_LEN)]));
        }

        #[test]
        fn mutated_handshakes_never_panic(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)
        ) {
            let mut bytes = record(22, &handshake(1, &client_hello_body("m.example")));
            bytes.extend(record(22, &handshake(2, &server_hello_body(Some(0x0304), [3; 32]))));
            for (at, b) in edits {
                let len = bytes.len();
                bytes[at % len] = b;
            }
            let mut s = TlsStream::default();
            s.push(1, &bytes);
        }
    }

    // ---- captures ----

    use crate::proto::dns::test_frames::{case, corpus, tcp_conns};

    /// Events of every TCP connection of a capture: (frame, sent by the
    /// client, event), both directions fed in capture order, each from its
    /// first payload that looks like TLS (as after a STARTTLS).
    fn capture_events(path: &str) -> Vec<Vec<(u64, bool, TlsEvent)>> {
        tcp_conns(path)
            .into_iter()
            .map(|conn| {
                let mut streams = [TlsStream::default(), TlsStream::default()];
                let mut started = [false, false];
                let mut out = Vec::new();
                for (frame, from_client, bytes) in conn.chunks {
                    let side = usize::from(from_client);
                    started[side] = started[side] || looks_like_tls(&bytes);
                    if !started[side] {
                        continue;
                    }
                    for (f, e) in streams[side].push(frame, &bytes) {
                        out.push((f, from_client, e));
                    }
                }
                out
            })
            .filter(|events| !events.is_empty())
            .collect()
    }

    fn alerts(events: &[(u64, bool, TlsEvent)]) -> Vec<(u64, bool, u8, u8)> {
        events
            .iter()
            .filter_map(|(f, c, e)| match e {
                TlsEvent::Alert { level, description } => Some((*f, *c, *level, *description)),
                _ => None,
            })
            .collect()
    }

    fn chain_of(events: &[(u64, bool, TlsEvent)]) -> Vec<CertInfo> {
        events
            .iter()
            .find_map(|(_, _, e)| match e {
                TlsEvent::Certificate { chain } => Some(chain.clone()),
                _ => None,
            })
            .expect("a Certificate")
    }

    #[test]
    fn case_21_records_span_segments() {
        let conns = capture_events(&case("21-tls-records-span"));
        assert_eq!(conns.len(), 1);
        let events = &conns[0];
        let kinds: Vec<(u64, bool, &TlsEvent)> =
            events.iter().map(|(f, c, e)| (*f, *c, e)).collect();
        assert_eq!(
            kinds[0],
            (
                5,
                true,
                &TlsEvent::ClientHello {
                    legacy_version: 0x0303,
                    versions: vec![0x0303],
                    sni: Some("sbc1.example.com".into()),
                    sslv2_compat: false
                }
            )
        );
        assert_eq!(
            kinds[1],
            (
                8,
                false,
                &TlsEvent::ServerHello {
                    legacy_version: 0x0303,
                    selected_version: 0x0303
                }
            )
        );
        assert!(matches!(kinds[2], (9, false, TlsEvent::Certificate { .. })));
        assert_eq!(kinds[3], (9, false, &TlsEvent::ServerHelloDone));
        assert!(alerts(events).iter().all(|a| a.3 == 0), "only close_notify");

        let chain = chain_of(events);
        assert_eq!(chain.len(), 2);
        let leaf = &chain[0];
        assert_eq!(leaf.subject_cn.as_deref(), Some("sbc1.example.com"));
        assert_eq!(leaf.san, ["sbc1.example.com", "sbc.example.com"]);
        assert_eq!(leaf.issuer_cn.as_deref(), Some("Example Issuing CA 2"));
        assert_eq!(leaf.not_before, "2024-03-01T00:00:00Z");
        assert_eq!(leaf.not_after, "2025-03-01T00:00:00Z");
        assert_eq!(leaf.not_before_unix, 1_709_251_200);
        assert!(!leaf.self_signed);
        assert!(
            leaf.subject.starts_with("CN=sbc1.example.com"),
            "{}",
            leaf.subject
        );
        let ca = &chain[1];
        assert_eq!(ca.subject_cn.as_deref(), Some("Example Issuing CA 2"));
        assert_eq!(ca.issuer_cn.as_deref(), Some("Example Public Root CA"));
        assert_eq!(ca.not_before, "2022-01-01T00:00:00Z");
        assert_eq!(ca.not_after, "2032-01-01T00:00:00Z");
        assert_eq!(ca.issuer_o.as_deref(), Some("Example Trust Services"));
    }

    #[test]
    fn case_06_unknown_ca_from_the_client() {
        let conns = capture_events(&case("06-tls-unknown-ca-inspection"));
        let events = &conns[0];
        assert!(events.iter().any(|(_, c, e)| *c
            && matches!(e, TlsEvent::ClientHello { sni: Some(s), .. } if s == "sbc1.example.com")));
        assert_eq!(alerts(events), [(6, true, 2, 48)]);
        assert_eq!(alert_name(48), "unknown_ca");
        let chain = chain_of(events);
        assert_eq!(chain.len(), 2);
        assert_eq!(chain[0].subject_cn.as_deref(), Some("sbc1.example.com"));
        assert_eq!(
            chain[0].issuer_cn.as_deref(),
            Some("Example Corp SSL Inspection CA")
        );
        assert_eq!(chain[0].issuer_o.as_deref(), Some("Example Corp"));
        assert!(chain.iter().any(|c| c.self_signed));
    }

    #[test]
    fn handshake_failure_from_the_server() {
        let conns = capture_events(&corpus("zeek__tls-1.2-handshake-failure.pcap"));
        assert_eq!(alerts(&conns[0]), [(6, false, 2, 40)]);
    }

    #[test]
    fn early_warning_alert_then_handshake_completes() {
        let conns = capture_events(&corpus("zeek__tls-early-alert.pcap"));
        let events = &conns[0];
        assert_eq!(alerts(events), [(6, false, 1, 112)]);
        let server: Vec<&TlsEvent> = events
            .iter()
            .filter(|(_, c, _)| !c)
            .map(|(_, _, e)| e)
            .collect();
        assert!(matches!(server[0], TlsEvent::Alert { .. }));
        assert!(matches!(server[1], TlsEvent::ServerHello { .. }));
        assert!(matches!(server[2], TlsEvent::Certificate { .. }));
        assert!(server.contains(&&TlsEvent::ServerHelloDone));
        assert!(server.contains(&&TlsEvent::ChangeCipherSpec));
        assert!(server.contains(&&TlsEvent::ApplicationData));
        let chain = chain_of(events);
        assert!(chain[0].san.contains(&"jeffbryner.com".to_string()));
    }

    #[test]
    fn tls13_wolfssl_no_bogus_alerts() {
        let conns = capture_events(&corpus("zeek__tls13_wolfssl.pcap"));
        let events = &conns[0];
        assert!(events.iter().any(|(f, c, e)| *f == 4
            && *c
            && matches!(e, TlsEvent::ClientHello { versions, .. }
                if versions == &[0x0304, 0x0303, 0x0302])));
        assert!(events.iter().any(|(f, c, e)| *f == 6
            && !c
            && *e
                == TlsEvent::ServerHello {
                    legacy_version: 0x0303,
                    selected_version: 0x0304
                }));
        assert!(alerts(events).is_empty());
        assert!(!events
            .iter()
            .any(|(_, _, e)| matches!(e, TlsEvent::Certificate { .. })));
    }

    #[test]
    fn tls13_draft16_client_unknown_ca() {
        let conns = capture_events(&corpus("zeek__tls13draft16-ff52.a01.pcap"));
        let first = &conns[0];
        assert!(first.iter().any(|(f, _, e)| *f == 6
            && *e
                == TlsEvent::ServerHello {
                    legacy_version: 0x7f10,
                    selected_version: 0x7f10
                }));
        assert_eq!(alerts(first), [(8, true, 2, 48)]);
        // The second connection completes: no alert in clear anywhere.
        assert!(alerts(&conns[1]).is_empty());
        assert!(conns
            .iter()
            .flatten()
            .all(|(_, _, e)| !matches!(e, TlsEvent::Certificate { .. })));
    }

    #[test]
    fn cert_name_mismatch_and_encrypted_close() {
        let conns = capture_events(&corpus("ndpi__ssl-cert-name-mismatch.pcap"));
        let events = &conns[0];
        assert!(events.iter().any(|(_, _, e)| matches!(e,
            TlsEvent::ClientHello { sni: Some(s), .. } if s == "wrong.host.badssl.com")));
        let chain = chain_of(events);
        assert_eq!(chain[0].subject_cn.as_deref(), Some("*.badssl.com"));
        assert_eq!(chain[0].san, ["*.badssl.com", "badssl.com"]);
        assert_eq!(
            chain[0].issuer_cn.as_deref(),
            Some("DigiCert SHA2 Secure Server CA")
        );
        assert!(alerts(events).is_empty());
        // Frame 17: the client's close_notify after its CCS is encrypted.
        assert!(events.contains(&(17, true, TlsEvent::EncryptedAlert)));
    }

    #[test]
    fn certificate_fragmented_over_many_records() {
        let conns = capture_events(&corpus("zeek__tls-fragmented-handshake.pcap.gz"));
        let events = &conns[0];
        let server: Vec<(u64, &TlsEvent)> = events
            .iter()
            .filter(|(_, c, _)| !c)
            .map(|(f, _, e)| (*f, e))
            .collect();
        assert!(matches!(server[0].1, TlsEvent::ServerHello { .. }));
        // The Certificate message is about 340 kB: over the limit, skipped.
        assert!(server[1].0 < 411);
        assert_eq!(server[1].1, &TlsEvent::Handshake { msg_type: 11 });
        assert_eq!(server[2], (411, &TlsEvent::Handshake { msg_type: 12 }));
        assert_eq!(server[3], (411, &TlsEvent::ServerHelloDone));
    }

    /// Every TLS connection of the corpus: ClientHello SNI, ServerHello
    /// versions and alerts agree with tshark's table, and nothing panics.
    #[test]
    fn corpus_alerts_and_sni_agree_with_tshark() {
        let files = [
            "zeek__certificate-request-failed.pcap",
            "zeek__tls-1.2-handshake-failure.pcap",
            "zeek__tls-early-alert.pcap",
            "zeek__tls13_wolfssl.pcap",
            "zeek__tls13draft16-ff52.a01.pcap",
            "ndpi__ssl-cert-name-mismatch.pcap",
            "ndpi__webex.pcap",
            "zeek__openjdk-25.0.2-zeek.org.pcap",
            "zeek__tls-fragmented-handshake.pcap.gz",
            "ppp__pcapng-example.pcapng",
            "heplify__sip_ipv4_tcp_retrans.pcap",
            "suri__linktype-228_flow-test-01.pcap",
        ];
        let mut compared = 0;
        for file in files {
            let path = format!(
                "{}/../shared/corpus/truth/{file}.txt",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(path).unwrap();
            let mut want_alerts = Vec::new();
            let mut want_sni = Vec::new();
            let mut want_selected = Vec::new();
            let mut inside = false;
            for line in text.lines() {
                if line.starts_with("## ") {
                    inside = line.starts_with("## TLS fields");
                    continue;
                }
                let cols: Vec<&str> = line.split('|').collect();
                if !inside || cols.len() < 15 {
                    continue;
                }
                let frame: u64 = cols[0].parse().unwrap();
                if !cols[13].is_empty() {
                    want_alerts.push((frame, cols[13].to_string(), cols[14].to_string()));
                }
                if !cols[11].is_empty() {
                    want_sni.push((frame, cols[11].to_string()));
                }
                if cols[8].split(',').any(|t| t == "2") {
                    let selected = if cols[10].is_empty() {
                        cols[9]
                    } else {
                        cols[10]
                    };
                    want_selected.push((frame, selected.to_string()));
                }
            }
            let events: Vec<(u64, bool, TlsEvent)> = capture_events(&corpus(file))
                .into_iter()
                .flatten()
                .collect();
            let mut got_alerts: Vec<(u64, String, String)> = alerts(&events)
                .iter()
                .map(|a| (a.0, a.2.to_string(), a.3.to_string()))
                .collect();
            got_alerts.sort();
            assert_eq!(got_alerts, want_alerts, "{file}");
            let mut got_sni: Vec<(u64, String)> = events
                .iter()
                .filter_map(|(f, _, e)| match e {
                    TlsEvent::ClientHello { sni: Some(s), .. } => Some((*f, s.clone())),
                    _ => None,
                })
                .collect();
            got_sni.sort();
            assert_eq!(got_sni, want_sni, "{file}");
            let mut got_selected: Vec<(u64, String)> = events
                .iter()
                .filter_map(|(f, _, e)| match e {
                    TlsEvent::ServerHello {
                        selected_version, ..
                    } => Some((*f, format!("0x{selected_version:04x}"))),
                    _ => None,
                })
                .collect();
            got_selected.sort();
            assert_eq!(got_selected, want_selected, "{file}");
            compared += want_sni.len() + want_alerts.len() + want_selected.len();
        }
        assert!(compared >= 40, "{compared}");
    }
}
