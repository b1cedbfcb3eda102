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

use serde::Serialize;

/// One certificate of a chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// RFC 4514 string, e.g. `CN=sbc1.example.com, O=Example`.
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

/// Names an alert description, e.g. 48 -> "unknown_ca".
pub fn alert_name(d: u8) -> String {
    let _ = d;
    todo!("tls: alert names (RFC 8446 section 6)")
}

/// Quick check: does this TCP payload start with a TLS record header (or an
/// SSLv2-compatible ClientHello)?
pub fn looks_like_tls(data: &[u8]) -> bool {
    let _ = data;
    todo!("tls: looks_like_tls")
}

/// One direction of a TLS connection.
#[derive(Debug, Default)]
pub struct TlsStream {
    buf: Vec<u8>,
}

impl TlsStream {
    /// Appends in-order bytes that arrived in `frame`; returns the events
    /// completed by them, each with the frame that completed it.
    pub fn push(&mut self, frame: u64, data: &[u8]) -> Vec<(u64, TlsEvent)> {
        let _ = (frame, data, &self.buf);
        todo!("tls: push")
    }

    /// Bytes are missing before what comes next (a TCP gap): resynchronise.
    pub fn gap(&mut self) {}

    /// True once nothing more of interest can come (both application data and
    /// the handshake are done for this direction); the driver may stop
    /// feeding it.
    pub fn done(&self) -> bool {
        false
    }
}
