//! SIP messages (RFC 3261), recognised by content on any port.
//!
//! Our own parser: start line, header names case-insensitive with compact
//! forms (section 7.3.3: i m e l c f s k t v o u ...), folded lines (7.3.1),
//! Content-Length framing on streams, several messages and CRLF keep-alives
//! per segment. A message cut short is reported as truncated, never as
//! complete.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

/// A Digest challenge or credentials (RFC 3261 section 22, RFC 7616).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuthParams {
    pub scheme: String,
    /// Parameter names lowercase, values unquoted, in order.
    pub params: Vec<(String, String)>,
}

impl AuthParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SipMessage {
    pub start: StartLine,
    pub call_id: Option<String>,
    /// CSeq number and method.
    pub cseq: Option<(u32, String)>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Contact header values, each as written.
    pub contact: Vec<String>,
    /// Expires header.
    pub expires: Option<u32>,
    /// The `expires` parameter of the first Contact.
    pub contact_expires: Option<u32>,
    pub user_agent: Option<String>,
    pub server: Option<String>,
    pub warning: Option<String>,
    pub www_authenticate: Option<AuthParams>,
    pub authorization: Option<AuthParams>,
    /// Every header as (canonical long name, value), in order.
    pub headers: Vec<(String, String)>,
    /// The body was cut short (Content-Length beyond the data).
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SipError {
    #[error("sip: not a SIP start line")]
    NotSip,
    #[error("sip: headers end before the blank line")]
    Truncated,
    #[error("sip: malformed {0}")]
    Malformed(&'static str),
}

/// Quick check on the first bytes of a payload.
pub fn looks_like_sip(data: &[u8]) -> bool {
    let _ = data;
    todo!("sip: looks_like_sip")
}

/// Decodes the messages of one UDP datagram.
pub fn parse_datagram(payload: &[u8]) -> Vec<Result<SipMessage, SipError>> {
    let _ = payload;
    todo!("sip: parse_datagram")
}

/// One direction of a SIP-over-TCP connection, framed by Content-Length.
#[derive(Debug, Default)]
pub struct SipStream {
    buf: Vec<u8>,
}

impl SipStream {
    /// Appends in-order bytes from `frame`; returns the complete messages,
    /// each with the frame that completed it.
    pub fn push(&mut self, frame: u64, data: &[u8]) -> Vec<(u64, SipMessage)> {
        let _ = (frame, data, &self.buf);
        todo!("sip: stream push")
    }

    /// Bytes are missing: drop the partial message and resynchronise.
    pub fn gap(&mut self) {}
}
