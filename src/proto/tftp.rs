//! TFTP (RFC 1350; options RFC 2347): read/write requests, DATA, ACK, ERROR,
//! OACK.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "opcode", rename_all = "UPPERCASE")]
pub enum TftpPacket {
    Rrq {
        filename: String,
        mode: String,
        options: Vec<(String, String)>,
    },
    Wrq {
        filename: String,
        mode: String,
        options: Vec<(String, String)>,
    },
    Data {
        block: u16,
        len: usize,
    },
    Ack {
        block: u16,
    },
    Error {
        code: u16,
        message: String,
    },
    Oack {
        options: Vec<(String, String)>,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TftpError {
    #[error("tftp: too short")]
    TooShort,
    #[error("tftp: unknown opcode {0}")]
    UnknownOpcode(u16),
    #[error("tftp: malformed {0}")]
    Malformed(&'static str),
}

/// Decodes one UDP payload.
pub fn parse(payload: &[u8]) -> Result<TftpPacket, TftpError> {
    let _ = payload;
    todo!("tftp: parse")
}
