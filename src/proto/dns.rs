//! DNS messages (RFC 1035; SRV RFC 2782; AAAA RFC 3596), decoded with
//! simple-dns after our own bounded check of every compression pointer
//! (RFC 9267): a message whose names loop or point past its end is kept as
//! `malformed` with its header, never half-trusted.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsQuestion {
    /// Lowercase, no trailing dot.
    pub name: String,
    pub qtype: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum RData {
    A {
        addr: Ipv4Addr,
    },
    Aaaa {
        addr: Ipv6Addr,
    },
    Cname {
        target: String,
    },
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Other {
        rtype: u16,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// Lowercase, no trailing dot.
    pub name: String,
    pub ttl: u32,
    pub data: RData,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DnsMessage {
    pub id: u16,
    pub response: bool,
    pub opcode: u8,
    /// Response code (header rcode; EDNS extended bits when present).
    pub rcode: u16,
    pub questions: Vec<DnsQuestion>,
    pub answers: Vec<DnsRecord>,
    /// Additional-section records (SRV targets' addresses ride here).
    pub additionals: Vec<DnsRecord>,
    /// Why the body could not be trusted (pointer loop, ...); answers empty then.
    pub malformed: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DnsError {
    #[error("dns: {len} bytes, shorter than the 12-byte header")]
    TooShort { len: usize },
}

/// Name of a record type, e.g. `"SRV"`; `"TYPE65"` style for the rest.
pub fn qtype_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        5 => "CNAME".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        _ => format!("TYPE{t}"),
    }
}

/// Name of a response code, e.g. `"NXDOMAIN"`.
pub fn rcode_name(r: u16) -> String {
    match r {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        _ => format!("RCODE{r}"),
    }
}

/// Decodes one DNS message (a UDP payload, or one message of a TCP stream
/// without its length prefix). Err only when even the header is missing.
pub fn parse(msg: &[u8]) -> Result<DnsMessage, DnsError> {
    let _ = msg;
    todo!("dns: parse")
}

/// Splits a DNS-over-TCP byte stream (RFC 1035 4.2.2, 2-byte length prefix)
/// into messages.
#[derive(Debug, Default)]
pub struct DnsTcpStream {
    buf: Vec<u8>,
}

impl DnsTcpStream {
    /// Appends bytes; returns the complete messages now available.
    pub fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        let _ = (data, &self.buf);
        todo!("dns: tcp framing")
    }
}
