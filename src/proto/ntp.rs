//! NTP (RFC 5905) packet header: enough to tell a client request from a
//! server response.
//!
//! Reads the first byte (leap indicator, version, mode), the stratum, the
//! reference ID and the transmit timestamp of the 48-byte header (RFC 5905
//! section 7.3). Versions 1-4 are accepted (RFC 1059, 1119, 1305, 5905 share
//! this layout). Ignored: poll, precision, root delay and dispersion, the
//! other timestamps, extension fields and MACs. A header the snaplen cut
//! keeps what arrived ([`parse_cut`]).

use serde::Serialize;

/// Length of the fixed header (RFC 5905 figure 8).
const HEADER_LEN: usize = 48;
const REFERENCE_ID_AT: usize = 12;
const TRANSMIT_AT: usize = 40;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NtpPacket {
    /// Leap indicator (3 = clock not synchronised).
    pub leap: u8,
    pub version: u8,
    /// 3 client, 4 server, 5 broadcast, ...
    pub mode: u8,
    /// 0 unspecified (a Kiss-o'-Death when mode is 4), 1 primary, 2-15 secondary.
    pub stratum: u8,
    /// Reference ID: a Kiss code such as `DENY` or `RATE` at stratum 0.
    pub reference_id: [u8; 4],
    /// Transmit timestamp as sent (NTP era seconds << 32 | fraction).
    pub transmit: u64,
    /// The header is cut short by the capture's snaplen ([`parse_cut`]):
    /// the fields past the cut (the transmit time at least) are unknown, 0.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NtpError {
    #[error("ntp: {0} bytes, shorter than the 48-byte header")]
    TooShort(usize),
    #[error("ntp: version {0} is not 1-4")]
    BadVersion(u8),
}

pub fn parse(payload: &[u8]) -> Result<NtpPacket, NtpError> {
    let header = payload
        .first_chunk::<HEADER_LEN>()
        .ok_or(NtpError::TooShort(payload.len()))?;
    read(header)
}

/// A header the snaplen cut short: mode and stratum need its first two
/// bytes; what the cut took reads 0, and `cut` says so.
pub fn parse_cut(payload: &[u8]) -> Option<NtpPacket> {
    if payload.len() < 2 || payload.len() >= HEADER_LEN {
        return None;
    }
    let mut header = [0u8; HEADER_LEN];
    header[..payload.len()].copy_from_slice(payload);
    let mut p = read(&header).ok()?;
    p.cut = true;
    // A reference id (a kiss code) cut in part is none.
    if payload.len() < REFERENCE_ID_AT + 4 {
        p.reference_id = [0; 4];
    }
    Some(p)
}

fn read(header: &[u8; HEADER_LEN]) -> Result<NtpPacket, NtpError> {
    let [first, stratum, ..] = *header;
    let version = (first >> 3) & 0x07;
    if !(1..=4).contains(&version) {
        return Err(NtpError::BadVersion(version));
    }
    let reference_id = header
        .get(REFERENCE_ID_AT..)
        .and_then(|s| s.first_chunk::<4>())
        .copied()
        .unwrap_or_default();
    let transmit = header
        .get(TRANSMIT_AT..)
        .and_then(|s| s.first_chunk::<8>())
        .map(|b| u64::from_be_bytes(*b))
        .unwrap_or_default();
    Ok(NtpPacket {
        leap: first >> 6,
        version,
        mode: first & 0x07,
        stratum,
        reference_id,
        transmit,
        cut: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 48-byte header with the given first byte and stratum.
    fn header(first: u8, stratum: u8) -> Vec<u8> {
        let mut h = vec![0u8; HEADER_LEN];
        h[0] = first;
        h[1] = stratum;
        h
    }

    #[test]
    fn client_request_v4() {
        // LI 3 (unsynchronised), VN 4, mode 3: the usual client first byte 0xe3.
        let p = parse(&header(0xe3, 0)).unwrap();
        assert_eq!((p.leap, p.version, p.mode, p.stratum), (3, 4, 3, 0));
    }

    #[test]
    fn server_response_fields() {
        let mut h = header(0x24, 2);
        h[12..16].copy_from_slice(b"GPS\0");
        h[40..48].copy_from_slice(&[0xe9, 0, 0, 1, 0x80, 0, 0, 0]);
        let p = parse(&h).unwrap();
        assert_eq!((p.leap, p.version, p.mode, p.stratum), (0, 4, 4, 2));
        assert_eq!(&p.reference_id, b"GPS\0");
        assert_eq!(p.transmit, 0xe900_0001_8000_0000);
    }

    #[test]
    fn kiss_of_death_code() {
        let mut h = header(0x24, 0);
        h[12..16].copy_from_slice(b"RATE");
        let p = parse(&h).unwrap();
        assert_eq!((p.mode, p.stratum, &p.reference_id), (4, 0, b"RATE"));
    }

    #[test]
    fn older_versions_and_extra_bytes() {
        let p = parse(&header(0x0b, 0)).unwrap();
        assert_eq!((p.version, p.mode), (1, 3));
        let mut long = header(0x1c, 1);
        long.extend_from_slice(&[0; 20]); // MAC after the header
        assert_eq!(parse(&long).unwrap().version, 3);
    }

    #[test]
    fn a_header_cut_short_keeps_mode_and_stratum() {
        let p = parse_cut(&header(0x24, 8)[..46]).unwrap();
        assert_eq!((p.mode, p.stratum, p.transmit, p.cut), (4, 8, 0, true));
        assert_eq!(parse_cut(&[0x24]), None);
        let mut kiss = header(0x24, 0);
        kiss[12..16].copy_from_slice(b"RATE");
        assert_eq!(parse_cut(&kiss[..16]).unwrap().reference_id, *b"RATE");
        assert_eq!(parse_cut(&kiss[..15]).unwrap().reference_id, [0; 4]);
        assert_eq!(parse_cut(&header(0x24, 8)), None, "whole: parse reads it");
        assert_eq!(parse_cut(&header(0x03, 0)[..20]), None);
    }

    #[test]
    fn short_or_bad_version() {
        for len in 0..HEADER_LEN {
            assert_eq!(parse(&header(0xe3, 0)[..len]), Err(NtpError::TooShort(len)));
        }
        assert_eq!(parse(&header(0x03, 0)), Err(NtpError::BadVersion(0)));
        assert_eq!(parse(&header(0x2b, 0)), Err(NtpError::BadVersion(5)));
        assert_eq!(parse(&header(0x3b, 0)), Err(NtpError::BadVersion(7)));
    }
}
