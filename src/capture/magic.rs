//! What a stream is, from its first bytes: gzip, pcap (microsecond or
//! nanosecond magic, either byte order), Kuznetzov's modified pcap, pcapng
//! (Section Header Block), or one of the capture formats we recognise only
//! to name them in an error (Network Monitor, ERF, snoop, 5View, other
//! compressors). File names and extensions are never consulted.

use super::endian::Endian;

/// Bytes needed to tell every format here apart.
pub(super) const SNIFF_LEN: usize = 16;

/// The gzip member header (RFC 1952 section 2.3.1: ID1 ID2).
pub(super) const GZIP: [u8; 2] = [0x1f, 0x8b];

/// What the first bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Gzip,
    /// Legacy pcap; `big_endian` is the file's byte order.
    Pcap {
        big_endian: bool,
        nanos: bool,
    },
    /// Alexey Kuznetzov's modified pcap (magic 0xa1b2cd34, as libpcap and
    /// `editcap -F modpcap` write it): microseconds, 24-byte record headers
    /// (the standard 16, then ifindex, protocol, packet type and a pad).
    ModifiedPcap {
        big_endian: bool,
    },
    Pcapng,
    /// A format we know but do not read; the name goes into the error.
    Other(&'static str),
    /// Too few bytes to decide, but they start like a capture.
    Short,
    Unknown,
}

/// Classifies the start of a stream (`head` may be shorter than
/// [`SNIFF_LEN`] when the stream itself is that short).
pub(super) fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(&GZIP) {
        return Kind::Gzip;
    }
    if let Some(kind) = head.get(..4).and_then(by_magic) {
        return kind;
    }
    if head.starts_with(b"snoop\0\0\0") {
        return Kind::Other("snoop");
    }
    if looks_like_erf(head) {
        return Kind::Other("ERF (Endace extensible record format)");
    }
    if head.len() < 4 && is_magic_prefix(head) {
        return Kind::Short;
    }
    Kind::Unknown
}

/// Four-byte magics.
fn by_magic(m: &[u8]) -> Option<Kind> {
    let kind = match m {
        [0xd4, 0xc3, 0xb2, 0xa1] => Kind::Pcap {
            big_endian: false,
            nanos: false,
        },
        [0xa1, 0xb2, 0xc3, 0xd4] => Kind::Pcap {
            big_endian: true,
            nanos: false,
        },
        [0x4d, 0x3c, 0xb2, 0xa1] => Kind::Pcap {
            big_endian: false,
            nanos: true,
        },
        [0xa1, 0xb2, 0x3c, 0x4d] => Kind::Pcap {
            big_endian: true,
            nanos: true,
        },
        [0x0a, 0x0d, 0x0d, 0x0a] => Kind::Pcapng,
        [0x34, 0xcd, 0xb2, 0xa1] => Kind::ModifiedPcap { big_endian: false },
        [0xa1, 0xb2, 0xcd, 0x34] => Kind::ModifiedPcap { big_endian: true },
        b"GMBU" => Kind::Other("Microsoft Network Monitor 2.x"),
        b"RTSS" => Kind::Other("Microsoft Network Monitor 1.x"),
        [0xaa, 0xaa, 0xaa, 0xaa] => Kind::Other("5View (Accellent)"),
        [0x28, 0xb5, 0x2f, 0xfd] => Kind::Other("zstd-compressed file (only gzip is read)"),
        [0x04, 0x22, 0x4d, 0x18] => Kind::Other("lz4-compressed file (only gzip is read)"),
        [0xfd, b'7', b'z', b'X'] => Kind::Other("xz-compressed file (only gzip is read)"),
        [b'B', b'Z', b'h', _] => Kind::Other("bzip2-compressed file (only gzip is read)"),
        [b'P', b'K', 3, 4] => Kind::Other("zip archive"),
        _ => return None,
    };
    Some(kind)
}

/// True if `head` (fewer than 4 bytes) could still become a capture magic.
fn is_magic_prefix(head: &[u8]) -> bool {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    !head.is_empty() && MAGICS.iter().any(|m| m.starts_with(head))
}

/// ERF has no magic number. Its first record header is accepted when the
/// timestamp's seconds (little-endian, bytes 4..8) fall between 1990 and
/// 2100, the record type (byte 8, low 7 bits) is a defined one, the reserved
/// flag bits are clear, and the record length (big-endian, bytes 10..12)
/// covers at least the 16-byte header and the wire length is non-zero.
/// ERF has no magic: the first record header must be plausible (a
/// timestamp 1990-2100, a known type, no reserved flag, a length of at
/// least the header in 8-byte steps, no loss counted), which random bytes
/// almost never are.
fn looks_like_erf(head: &[u8]) -> bool {
    let (Some(secs), Some(&rtype), Some(&flags), Some(rlen), Some(lctr), Some(wlen)) = (
        Endian::Little.u32(head, 4),
        head.get(8),
        head.get(9),
        Endian::Big.u16(head, 10),
        Endian::Big.u16(head, 12),
        Endian::Big.u16(head, 14),
    ) else {
        return false;
    };
    (631_152_000..4_102_444_800).contains(&secs)
        && (1..=48).contains(&(rtype & 0x7f))
        && flags & 0x20 == 0
        && rlen >= 16
        && rlen % 8 == 0
        && lctr == 0
        && wlen > 0
}

/// The first bytes as hex for an error message, e.g. `47 4d 42 55`.
pub(super) fn hex(head: &[u8]) -> String {
    let mut out = String::with_capacity(head.len() * 3);
    for (i, b) in head.iter().take(8).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_magics_in_both_byte_orders() {
        let le_us = sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
        assert_eq!(
            le_us,
            Kind::Pcap {
                big_endian: false,
                nanos: false
            }
        );
        let be_ns = sniff(&[0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4]);
        assert_eq!(
            be_ns,
            Kind::Pcap {
                big_endian: true,
                nanos: true
            }
        );
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a, 0x1c]), Kind::Pcapng);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Kind::Gzip);
    }

    #[test]
    fn names_formats_we_do_not_read() {
        let Kind::Other(what) = sniff(b"GMBU\x00\x02\x01\x00") else {
            panic!("NetMon not recognised");
        };
        assert!(what.contains("Network Monitor"));
        assert_eq!(
            sniff(&[0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0]),
            Kind::ModifiedPcap { big_endian: false }
        );
        assert_eq!(sniff(b"snoop\0\0\0\0\0\0\x02"), Kind::Other("snoop"));
        assert!(matches!(sniff(b"RTSS"), Kind::Other(w) if w.contains("1.x")));
        assert!(matches!(sniff(&[0xaa; 8]), Kind::Other(w) if w.starts_with("5View")));
    }

    #[test]
    fn erf_heuristic() {
        // 2015-ish seconds, type 2 (Ethernet), rlen 88, lctr 0, wlen 64.
        let mut erf = vec![0, 0, 0, 0];
        erf.extend_from_slice(&1_430_000_000u32.to_le_bytes());
        erf.extend_from_slice(&[2, 0x04, 0, 88, 0, 0, 0, 64]);
        assert!(matches!(sniff(&erf), Kind::Other(w) if w.starts_with("ERF")));
        assert_eq!(sniff(b"hello world, not a capture"), Kind::Unknown);
        // Random bytes are almost never taken for it (a fixed generator).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut erfs = 0;
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..SNIFF_LEN)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            erfs += usize::from(matches!(sniff(&bytes), Kind::Other(_)));
        }
        assert!(erfs <= 2, "{erfs} of 20000 random files named a format");
    }

    #[test]
    fn short_prefixes() {
        assert_eq!(sniff(&[0xd4, 0xc3]), Kind::Short);
        assert_eq!(sniff(&[0x0a]), Kind::Short);
        assert_eq!(sniff(b"hi"), Kind::Unknown);
        assert_eq!(hex(&[0x47, 0x4d, 0x42, 0x55]), "47 4d 42 55");
    }
}
