//! HTTP/1.x message heads (RFC 9112): request line, Host, User-Agent;
//! status line. Bodies are skipped by Content-Length; chunked bodies end the
//! stream's decoding (only the first head of such a stream is reported).

use serde::Serialize;

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
    },
}

/// Quick check on the first bytes of a TCP payload.
pub fn looks_like_http(data: &[u8]) -> bool {
    let _ = data;
    todo!("http: looks_like_http")
}

/// One direction of an HTTP connection.
#[derive(Debug, Default)]
pub struct HttpStream {
    buf: Vec<u8>,
}

impl HttpStream {
    /// Appends bytes; returns the message heads completed by them.
    pub fn push(&mut self, data: &[u8]) -> Vec<HttpMessage> {
        let _ = (data, &self.buf);
        todo!("http: push")
    }
}
