//! TFTP (RFC 1350; options RFC 2347): read/write requests, DATA, ACK, ERROR,
//! OACK.
//!
//! One UDP payload gives one packet. Strings are NUL-terminated and read as
//! lossy UTF-8. A request needs a terminated filename (it may be empty); a
//! missing mode or an unterminated last string is taken as it stands, and
//! empty option names (trailing NUL padding) are skipped. The payload of a
//! DATA packet is only counted. Ignored: transfer state (which block belongs
//! to which request is for the caller to track by ports), the meaning of the
//! options (blksize, tsize, timeout) and mode case.

use serde::Serialize;

const RRQ: u16 = 1;
const WRQ: u16 = 2;
const DATA: u16 = 3;
const ACK: u16 = 4;
const ERROR: u16 = 5;
const OACK: u16 = 6;

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

/// Name of an ERROR code (RFC 1350 appendix; 8 from RFC 2347).
pub fn error_code_name(code: u16) -> &'static str {
    match code {
        0 => "Not defined",
        1 => "File not found",
        2 => "Access violation",
        3 => "Disk full",
        4 => "Illegal operation",
        5 => "Unknown transfer ID",
        6 => "File already exists",
        7 => "No such user",
        8 => "Option negotiation refused",
        _ => "Unknown",
    }
}

/// Decodes one UDP payload.
pub fn parse(payload: &[u8]) -> Result<TftpPacket, TftpError> {
    let (opcode, body) = payload
        .split_first_chunk::<2>()
        .ok_or(TftpError::TooShort)?;
    match u16::from_be_bytes(*opcode) {
        RRQ => {
            let (filename, mode, options) = request(body)?;
            Ok(TftpPacket::Rrq {
                filename,
                mode,
                options,
            })
        }
        WRQ => {
            let (filename, mode, options) = request(body)?;
            Ok(TftpPacket::Wrq {
                filename,
                mode,
                options,
            })
        }
        DATA => {
            let (block, data) = number(body)?;
            Ok(TftpPacket::Data {
                block,
                len: data.len(),
            })
        }
        ACK => Ok(TftpPacket::Ack {
            block: number(body)?.0,
        }),
        ERROR => {
            let (code, rest) = number(body)?;
            let message = strings(rest).next().unwrap_or_default();
            Ok(TftpPacket::Error { code, message })
        }
        OACK => Ok(TftpPacket::Oack {
            options: option_pairs(strings(body)),
        }),
        other => Err(TftpError::UnknownOpcode(other)),
    }
}

type Request = (String, String, Vec<(String, String)>);

/// RRQ/WRQ body: filename NUL mode NUL [option NUL value NUL]...
fn request(body: &[u8]) -> Result<Request, TftpError> {
    if !body.contains(&0) {
        return Err(TftpError::Malformed(
            "request without a terminated filename",
        ));
    }
    let mut fields = strings(body);
    let filename = fields.next().unwrap_or_default();
    let mode = fields.next().unwrap_or_default();
    Ok((filename, mode, option_pairs(fields)))
}

/// The 16-bit block number or error code after the opcode, and what follows.
fn number(body: &[u8]) -> Result<(u16, &[u8]), TftpError> {
    let (value, rest) = body.split_first_chunk::<2>().ok_or(TftpError::TooShort)?;
    Ok((u16::from_be_bytes(*value), rest))
}

/// RFC 2347 name/value pairs; empty names (NUL padding) are skipped and a
/// name without a value gets an empty one.
fn option_pairs(mut fields: impl Iterator<Item = String>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    while let Some(name) = fields.next() {
        let value = fields.next().unwrap_or_default();
        if !name.is_empty() {
            pairs.push((name, value));
        }
    }
    pairs
}

/// NUL-terminated strings in order; an unterminated tail counts as one more.
fn strings(data: &[u8]) -> impl Iterator<Item = String> + '_ {
    let data = data.strip_suffix(&[0]).unwrap_or(data);
    let empty = data.is_empty();
    data.split(|&b| b == 0)
        .filter(move |_| !empty)
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dhcp::test_pcap::{case, corpus, udp_payloads};

    fn rrq(filename: &str, mode: &str, options: &[(&str, &str)]) -> TftpPacket {
        TftpPacket::Rrq {
            filename: filename.into(),
            mode: mode.into(),
            options: options
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn read_request_with_options() {
        let raw = b"\x00\x01SEP00005E005301.cnf.xml\0octet\0blksize\x001428\0tsize\x000\0";
        let expected = rrq(
            "SEP00005E005301.cnf.xml",
            "octet",
            &[("blksize", "1428"), ("tsize", "0")],
        );
        assert_eq!(parse(raw), Ok(expected));
    }

    #[test]
    fn write_request() {
        let raw = b"\x00\x02log.txt\0netascii\0";
        let expected = TftpPacket::Wrq {
            filename: "log.txt".into(),
            mode: "netascii".into(),
            options: vec![],
        };
        assert_eq!(parse(raw), Ok(expected));
    }

    #[test]
    fn data_ack_error_oack() {
        let mut data = vec![0, 3, 0x01, 0x02];
        data.extend_from_slice(&[b'x'; 512]);
        let data_packet = TftpPacket::Data {
            block: 0x0102,
            len: 512,
        };
        assert_eq!(parse(&data), Ok(data_packet));
        assert_eq!(parse(&[0, 4, 0, 7]), Ok(TftpPacket::Ack { block: 7 }));
        let error = TftpPacket::Error {
            code: 1,
            message: "File not found".into(),
        };
        assert_eq!(parse(b"\x00\x05\x00\x01File not found\0"), Ok(error));
        let oack = TftpPacket::Oack {
            options: vec![("blksize".into(), "1428".into())],
        };
        assert_eq!(parse(b"\x00\x06blksize\x001428\0"), Ok(oack));
        assert_eq!(error_code_name(1), "File not found");
    }

    #[test]
    fn empty_data_packet_is_the_last_block() {
        let last = TftpPacket::Data { block: 3, len: 0 };
        assert_eq!(parse(&[0, 3, 0, 3]), Ok(last));
    }

    #[test]
    fn malformed_requests() {
        // Empty filename and options: kept, with an empty filename.
        assert_eq!(parse(b"\x00\x01\0\0"), Ok(rrq("", "", &[])));
        assert_eq!(parse(b"\x00\x01\0octet\0"), Ok(rrq("", "octet", &[])));
        // No terminator at all: not a request we can trust.
        assert!(matches!(
            parse(b"\x00\x01file"),
            Err(TftpError::Malformed(_))
        ));
        assert!(matches!(parse(b"\x00\x01"), Err(TftpError::Malformed(_))));
        // Unterminated mode and a name without a value.
        assert_eq!(parse(b"\x00\x01f\0oct"), Ok(rrq("f", "oct", &[])));
        assert_eq!(
            parse(b"\x00\x01f\0octet\0tsize"),
            Ok(rrq("f", "octet", &[("tsize", "")]))
        );
    }

    #[test]
    fn short_and_unknown() {
        assert_eq!(parse(&[]), Err(TftpError::TooShort));
        assert_eq!(parse(&[0]), Err(TftpError::TooShort));
        assert_eq!(parse(&[0, 4, 1]), Err(TftpError::TooShort));
        assert_eq!(parse(&[0, 3]), Err(TftpError::TooShort));
        assert_eq!(parse(&[0, 9, 0, 0]), Err(TftpError::UnknownOpcode(9)));
        let no_message = TftpPacket::Error {
            code: 2,
            message: String::new(),
        };
        assert_eq!(parse(&[0, 5, 0, 2]), Ok(no_message));
    }

    #[test]
    fn corpus_tcpdump_tftp() {
        // truth: RRQ file1 octet, DATA 1..3 (512, 512, 105 bytes), ACK 1..3.
        let payloads: Vec<Vec<u8>> = udp_payloads(&corpus("tcpdump__tftp.pcap"))
            .into_iter()
            .map(|p| p.unwrap())
            .collect();
        let packets: Vec<TftpPacket> = payloads.iter().map(|p| parse(p).unwrap()).collect();
        assert_eq!(packets[0], rrq("file1", "octet", &[]));
        let blocks: Vec<(u16, usize)> = packets
            .iter()
            .filter_map(|p| match p {
                TftpPacket::Data { block, len } => Some((*block, *len)),
                _ => None,
            })
            .collect();
        assert_eq!(blocks, vec![(1, 512), (2, 512), (3, 105)]);
        assert_eq!(packets[6], TftpPacket::Ack { block: 3 });
        // The RRQ read with the frame's Ethernet padding still behind it.
        let mut padded = payloads[0].clone();
        padded.extend_from_slice(&[0; 6]);
        assert_eq!(parse(&padded), Ok(rrq("file1", "octet", &[])));
    }

    #[test]
    fn case_02_rrq_file_not_found() {
        let payloads = udp_payloads(&case("02-dhcp-opt150-stale-tftp", "capture.pcap"));
        let packets: Vec<TftpPacket> = payloads[4..]
            .iter()
            .map(|p| parse(p.as_deref().unwrap()).unwrap())
            .collect();
        let not_found = TftpPacket::Error {
            code: 1,
            message: "File not found".into(),
        };
        assert_eq!(packets.len(), 6);
        for pair in packets.chunks(2) {
            let TftpPacket::Rrq { filename, .. } = &pair[0] else {
                panic!("not an RRQ: {:?}", pair[0]);
            };
            assert_eq!(filename, "8845.xml");
            assert_eq!(pair[1], not_found);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(raw in proptest::collection::vec(0u8.., 0..200)) {
            let _ = parse(&raw);
        }
    }
}
