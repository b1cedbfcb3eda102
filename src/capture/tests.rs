//! Byte-array tests of the capture readers: hand-built pcap and pcapng
//! files, gzip, truncation at every offset, hostile lengths.

use std::io::{Cursor, Read, Write};

use super::*;

/// Hands out at most `step` bytes per `read`, to exercise refills (also
/// used by the source's own tests).
pub(super) struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Trickle {
    pub(super) fn new(data: Vec<u8>, step: usize) -> Self {
        Trickle { data, at: 0, step }
    }
}

impl Read for Trickle {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(out.len()).min(self.data.len() - self.at);
        out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn open(bytes: &[u8]) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_reader(Box::new(Cursor::new(bytes.to_vec())))
}

fn open_trickle(bytes: &[u8], step: usize) -> Result<CaptureReader, CaptureError> {
    let data = bytes.to_vec();
    CaptureReader::from_reader(Box::new(Trickle { data, at: 0, step }))
}

/// (number, ns, digits, linktype, interface, data, orig_len) of every frame
/// up to the end or the first error.
pub(super) type Seen = (u64, i64, u8, u32, u32, Vec<u8>, u32);

pub(super) fn drain(r: &mut CaptureReader) -> (Vec<Seen>, Option<CaptureError>) {
    let mut seen = Vec::new();
    loop {
        match r.next_frame() {
            Ok(Some(f)) => seen.push((
                f.number,
                f.ts.ns,
                f.ts.digits,
                f.linktype,
                f.interface,
                f.data.to_vec(),
                f.orig_len,
            )),
            Ok(None) => return (seen, None),
            Err(e) => return (seen, Some(e)),
        }
    }
}

fn put_u16(out: &mut Vec<u8>, be: bool, v: u16) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn put_u32(out: &mut Vec<u8>, be: bool, v: u32) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A pcap file: records are (ts_sec, ts_frac, data, orig_len).
pub(super) fn pcap(
    be: bool,
    nanos: bool,
    linktype: u32,
    recs: &[(u32, u32, &[u8], u32)],
) -> Vec<u8> {
    let mut out = Vec::new();
    put_u32(&mut out, be, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    put_u16(&mut out, be, 2);
    put_u16(&mut out, be, 4);
    put_u32(&mut out, be, 0);
    put_u32(&mut out, be, 0);
    put_u32(&mut out, be, 65535);
    put_u32(&mut out, be, linktype);
    for (sec, frac, data, orig) in recs {
        put_u32(&mut out, be, *sec);
        put_u32(&mut out, be, *frac);
        put_u32(&mut out, be, data.len() as u32);
        put_u32(&mut out, be, *orig);
        out.extend_from_slice(data);
    }
    out
}

/// pcapng writer; each block in the byte order of the last `shb`.
pub(super) struct Ng {
    pub(super) be: bool,
    pub(super) out: Vec<u8>,
}

impl Ng {
    pub(super) fn new() -> Self {
        Ng {
            be: false,
            out: Vec::new(),
        }
    }

    fn options(&self, opts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        if opts.is_empty() {
            return out;
        }
        for (code, value) in opts {
            put_u16(&mut out, self.be, *code);
            put_u16(&mut out, self.be, value.len() as u16);
            out.extend_from_slice(value);
            out.resize(out.len().next_multiple_of(4), 0);
        }
        out.extend_from_slice(&[0; 4]);
        out
    }

    fn block(&mut self, btype: u32, body: &[u8]) -> &mut Self {
        let mut body = body.to_vec();
        body.resize(body.len().next_multiple_of(4), 0);
        let len = 12 + body.len() as u32;
        let be = self.be;
        put_u32(&mut self.out, be, btype);
        put_u32(&mut self.out, be, len);
        self.out.extend_from_slice(&body);
        put_u32(&mut self.out, be, len);
        self
    }

    pub(super) fn shb(&mut self, be: bool, opts: &[(u16, &[u8])]) -> &mut Self {
        self.be = be;
        let mut body = Vec::new();
        put_u32(&mut body, be, 0x1a2b_3c4d);
        put_u16(&mut body, be, 1);
        put_u16(&mut body, be, 0);
        body.extend_from_slice(&[0xff; 8]);
        body.extend(self.options(opts));
        self.block(0x0a0d_0d0a, &body)
    }

    pub(super) fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> &mut Self {
        let mut body = Vec::new();
        put_u16(&mut body, self.be, linktype);
        put_u16(&mut body, self.be, 0);
        put_u32(&mut body, self.be, snaplen);
        body.extend(self.options(opts));
        self.block(1, &body)
    }

    pub(super) fn epb(&mut self, iface: u32, ticks: u64, data: &[u8], orig: u32) -> &mut Self {
        let mut body = Vec::new();
        put_u32(&mut body, self.be, iface);
        put_u32(&mut body, self.be, (ticks >> 32) as u32);
        put_u32(&mut body, self.be, ticks as u32);
        put_u32(&mut body, self.be, data.len() as u32);
        put_u32(&mut body, self.be, orig);
        body.extend_from_slice(data);
        body.resize(body.len().next_multiple_of(4), 0);
        body.extend(self.options(&[(1, b"a packet comment")]));
        self.block(6, &body)
    }

    fn spb(&mut self, orig: u32, data: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        put_u32(&mut body, self.be, orig);
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    fn pb(&mut self, iface: u16, ticks: u64, data: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        put_u16(&mut body, self.be, iface);
        put_u16(&mut body, self.be, 0);
        put_u32(&mut body, self.be, (ticks >> 32) as u32);
        put_u32(&mut body, self.be, ticks as u32);
        put_u32(&mut body, self.be, data.len() as u32);
        put_u32(&mut body, self.be, data.len() as u32);
        body.extend_from_slice(data);
        self.block(2, &body)
    }
}

pub(super) const T0: u32 = 1_714_554_000; // 2024-05-01T09:00:00Z

#[test]
fn two_pcaps_joined_with_cat_read_as_one_and_said() {
    let a = pcap(false, false, 1, &[(T0, 0, b"one", 3)]);
    let b = pcap(false, false, 1, &[(T0 + 1, 0, b"two", 3)]);
    let joined = [a.clone(), b].concat();
    let mut r = open(&joined).unwrap();
    let (seen, err) = drain(&mut r);
    assert!(err.is_none(), "{err:?}");
    let data: Vec<&[u8]> = seen.iter().map(|s| s.5.as_slice()).collect();
    assert_eq!(data, [b"one", b"two"]);
    let w = r.warnings().join(" ");
    assert!(w.contains(&format!("byte offset {}", a.len())), "{w}");
    // Another byte order and precision are taken up: read on.
    let nano_be = pcap(true, true, 1, &[(T0 + 2, 5, b"three", 5)]);
    let (seen, err) = drain(&mut open(&[a.clone(), nano_be].concat()).unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[1].1, seen[1].2),
        (i64::from(T0 + 2) * 1_000_000_000 + 5, 9)
    );
    // Another link type cannot be read on: the reading stops there.
    let other = pcap(false, false, 113, &[(T0 + 1, 0, b"two", 3)]);
    let mut r = open(&[a.clone(), other].concat()).unwrap();
    let (seen, err) = drain(&mut r);
    assert_eq!(seen.len(), 1);
    assert!(
        matches!(err, Some(CaptureError::Malformed { offset, .. }) if offset == a.len() as u64)
    );
}

#[test]
fn a_pcap_and_a_pcapng_joined_with_cat_are_said_to_be() {
    // tester102: these read as a huge frame or a block of type 0xa1b2c3d4.
    let a = pcap(false, false, 1, &[(T0, 0, b"one", 3)]);
    let (ng, _) = two_sections();
    for (first, second) in [(&a, &ng), (&ng, &a)] {
        let mut r = open(&[first.clone(), second.clone()].concat()).unwrap();
        let (seen, err) = drain(&mut r);
        assert!(!seen.is_empty());
        let Some(CaptureError::Malformed { offset, what }) = err else {
            panic!("{err:?}");
        };
        assert_eq!(offset, first.len() as u64);
        assert!(what.contains("joined with cat"), "{what}");
    }
}

#[test]
fn big_endian_microsecond_pcap() {
    let bytes = pcap(
        true,
        false,
        113,
        &[(T0, 250_000, b"abc", 60), (T0 + 1, 7, b"", 0)],
    );
    let mut r = open(&bytes).unwrap();
    assert_eq!(r.format(), Format::Pcap);
    assert!(!r.compressed());
    assert!(r.sections()[0].big_endian);
    let (seen, err) = drain(&mut r);
    assert!(err.is_none());
    let base = i64::from(T0) * 1_000_000_000;
    assert_eq!(
        seen[0],
        (1, base + 250_000_000, 6, 113, 0, b"abc".to_vec(), 60)
    );
    assert_eq!(seen[1], (2, base + 1_000_007_000, 6, 113, 0, vec![], 0));
    assert_eq!(seen.len(), 2);
    assert_eq!(r.offset(), bytes.len() as u64);
    assert!(r.next_frame().unwrap().is_none());
}

#[test]
fn a_microsecond_field_past_a_second_carries_and_is_said() {
    let bytes = pcap(false, false, 1, &[(T0, 1_500_000, b"x", 1)]);
    let mut r = open(&bytes).unwrap();
    let (seen, _) = drain(&mut r);
    assert_eq!(seen[0].1, (i64::from(T0) + 1) * 1_000_000_000 + 500_000_000);
    let w = r.warnings().join(" ");
    assert!(w.contains("1 record has a microsecond field"), "{w}");
}

#[test]
fn nanosecond_pcap_keeps_nine_digits() {
    let bytes = pcap(false, true, 1, &[(T0, 123_456_789, b"xy", 2)]);
    let mut r = open(&bytes).unwrap();
    let f = r.next_frame().unwrap().unwrap();
    assert_eq!(f.ts.digits, 9);
    assert_eq!(f.ts.rfc3339(), "2024-05-01T09:00:00.123456789Z");
    let be = pcap(true, true, 1, &[(T0, 999_999_999, b"", 0)]);
    let f = open(&be).unwrap().next_frame().unwrap().unwrap().ts;
    assert_eq!(f.ns, i64::from(T0) * 1_000_000_000 + 999_999_999);
}

#[test]
fn pcap_notes_caplen_beyond_orig_len_and_masks_fcs_bits() {
    let bytes = pcap(false, false, 0x1000_0001, &[(T0, 0, b"abcd", 2)]);
    let mut r = open(&bytes).unwrap();
    assert_eq!(r.next_frame().unwrap().unwrap().linktype, 1);
    assert!(r.next_frame().unwrap().is_none());
    assert!(r.warnings().iter().any(|w| w
        == "1 record captures more bytes than its original length (the first: frame 1, \
                record at byte offset 24)"));
}

#[test]
fn empty_and_short_inputs() {
    assert!(matches!(open(&[]), Err(CaptureError::Empty)));
    assert!(matches!(
        open(&[0xd4, 0xc3]),
        Err(CaptureError::Truncated { offset: 0, .. })
    ));
    let err = open(b"snoop\0\0\0\0\0\0\x02\0\0\0\x04").err().unwrap();
    assert!(matches!(err, CaptureError::UnsupportedFormat { ref what, .. } if what == "snoop"));
    let err = open(b"<html>not a capture</html>").err().unwrap();
    let CaptureError::UnsupportedFormat { what, magic } = err else {
        panic!("wrong error");
    };
    assert_eq!(what, "unknown");
    assert_eq!(magic, "3c 68 74 6d 6c 3e 6e 6f");
}

#[test]
fn pcap_caplen_of_4_gib_is_malformed_not_allocated() {
    let mut bytes = pcap(false, false, 1, &[(T0, 0, b"ok", 2)]);
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    let mut r = open(&bytes).unwrap();
    let (seen, err) = drain(&mut r);
    assert_eq!(seen.len(), 1);
    let Some(CaptureError::Malformed { offset, .. }) = err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert_eq!(offset, 24 + 16 + 2);
    assert!(r.next_frame().unwrap().is_none());
}

#[test]
fn record_larger_than_the_buffer() {
    let big: Vec<u8> = (0..(3 << 20)).map(|i| (i % 253) as u8).collect();
    let recs: &[(u32, u32, &[u8], u32)] =
        &[(T0, 0, b"a", 1), (T0, 1, &big, 3 << 20), (T0, 2, b"z", 1)];
    let mut bytes = pcap(false, false, 1, recs);
    // A snaplen that allows it (as a capture of big offloaded frames says).
    bytes[16..20].copy_from_slice(&(4u32 << 20).to_le_bytes());
    let mut r = open_trickle(&bytes, 100_000).unwrap();
    let (seen, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].5, big);
    assert_eq!(seen[2].5, b"z");
    // The same record under the usual 65535 snaplen is not a record.
    let bytes = pcap(false, false, 1, recs);
    let (seen, err) = drain(&mut open(&bytes).unwrap());
    assert_eq!(seen.len(), 1);
    let Some(CaptureError::Malformed { what, .. }) = err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert!(
        what.contains(
            "more than the file's snaplen (65535) and than libpcap ever writes (262144)"
        ),
        "{what}"
    );
}

/// Cuts `bytes` at every offset past the file header: the frames that fit
/// whole come out, then exactly one Truncated naming where the cut record
/// starts, then `Ok(None)`; never a panic.
fn check_every_cut(bytes: &[u8], header_len: usize, boundaries: &[usize]) {
    let (full, err) = drain(&mut open(bytes).unwrap());
    assert!(err.is_none());
    assert_eq!(full.len() + 1, boundaries.len());
    for cut in 0..bytes.len() {
        let part = &bytes[..cut];
        for reader in [open(part), open_trickle(part, 3)] {
            let mut r = match reader {
                Ok(r) => r,
                Err(CaptureError::Empty) => {
                    assert_eq!(cut, 0);
                    continue;
                }
                Err(CaptureError::Truncated { offset, .. }) => {
                    assert!(cut < header_len, "cut {cut}: header truncation");
                    assert_eq!(offset, 0);
                    continue;
                }
                Err(e) => panic!("cut {cut}: {e}"),
            };
            let (seen, err) = drain(&mut r);
            let whole = boundaries.iter().filter(|&&b| b <= cut).count() - 1;
            assert_eq!(seen, full[..whole], "cut {cut}");
            if boundaries.contains(&cut) {
                assert!(err.is_none(), "cut {cut} at a record boundary: {err:?}");
            } else {
                let Some(CaptureError::Truncated { offset, .. }) = err else {
                    panic!("cut {cut}: expected Truncated, got {err:?}");
                };
                let start = boundaries.iter().rev().find(|&&b| b <= cut).unwrap();
                assert_eq!(offset, *start as u64, "cut {cut}");
            }
            assert!(
                r.next_frame().unwrap().is_none(),
                "cut {cut}: reader not finished"
            );
        }
    }
}

#[test]
fn pcap_truncated_at_every_offset() {
    let bytes = pcap(
        true,
        false,
        1,
        &[(T0, 1, b"hello", 5), (T0, 2, b"", 9), (T0, 3, b"w", 1)],
    );
    check_every_cut(&bytes, 24, &[24, 45, 61, 78]);
}

/// A two-section pcapng: LE section with an IDB, a custom block and one
/// EPB; BE section with an IDB and an EPB.
fn two_sections() -> (Vec<u8>, Vec<usize>) {
    let mut ng = Ng::new();
    let mut marks = Vec::new();
    ng.shb(false, &[(4, b"le-app")]);
    ng.idb(1, 0, &[(2, b"eth0")]);
    ng.block(0x0bad, b"\0\0\x7f\x00custom");
    marks.push(ng.out.len());
    ng.epb(0, 1_714_554_000_000_000, b"first", 5);
    marks.push(ng.out.len());
    ng.shb(true, &[(4, b"be-app")]);
    ng.idb(101, 0, &[(9, &[9])]);
    marks.push(ng.out.len());
    ng.epb(0, 1_714_554_001_000_000_001, b"second", 6);
    marks.push(ng.out.len());
    (ng.out, marks)
}

#[test]
fn pcapng_sections_switch_byte_order_and_restart_interfaces() {
    let (bytes, _) = two_sections();
    let mut r = open_trickle(&bytes, 7).unwrap();
    assert_eq!(r.format(), Format::Pcapng);
    let f = r.next_frame().unwrap().unwrap();
    // Frame 1 is the custom block, as Wireshark numbers it.
    assert_eq!(
        (f.number, f.interface, f.linktype, f.data),
        (2, 0, 1, &b"first"[..])
    );
    assert_eq!(f.ts.rfc3339(), "2024-05-01T09:00:00.000000Z");
    assert_eq!(r.section(), 0);
    let f = r.next_frame().unwrap().unwrap();
    assert_eq!(
        (f.number, f.interface, f.linktype, f.data),
        (3, 0, 101, &b"second"[..])
    );
    assert_eq!(f.ts.rfc3339(), "2024-05-01T09:00:01.000000001Z");
    assert_eq!(r.section(), 1);
    assert!(r.next_frame().unwrap().is_none());
    let secs = r.sections();
    assert_eq!(secs.len(), 2);
    assert_eq!(
        (secs[0].big_endian, secs[0].userappl.as_deref()),
        (false, Some("le-app"))
    );
    assert_eq!(
        (secs[1].big_endian, secs[1].userappl.as_deref()),
        (true, Some("be-app"))
    );
    let ifs = r.interfaces();
    assert_eq!(
        (ifs[1].section, ifs[1].id, ifs[1].linktype, ifs[1].digits),
        (1, 0, 101, 9)
    );
    assert_eq!(ifs[0].name.as_deref(), Some("eth0"));
    let warnings = r.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .starts_with("skipped 1 custom block (it keeps its frame number, as in Wireshark)"),
        "{warnings:?}"
    );
}

#[test]
fn pcapng_truncated_at_every_offset() {
    let (bytes, marks) = two_sections();
    // The first SHB is the file header; a cut anywhere after it stops
    // cleanly at a block boundary or names the start of the cut block.
    let shb_len = 16 + 16 + 12;
    let (full, _) = drain(&mut open(&bytes).unwrap());
    assert_eq!(full.len(), 2);
    for cut in 0..bytes.len() {
        let mut r = match open_trickle(&bytes[..cut], 5) {
            Ok(r) => r,
            Err(CaptureError::Empty) => continue,
            Err(CaptureError::Truncated { offset: 0, .. }) => {
                assert!(cut < shb_len, "cut {cut}");
                continue;
            }
            Err(e) => panic!("cut {cut}: {e}"),
        };
        let (seen, err) = drain(&mut r);
        let whole = [marks[1], marks[3]].iter().filter(|&&m| m <= cut).count();
        assert_eq!(seen, full[..whole], "cut {cut}");
        match err {
            None => assert!(block_starts(&bytes).contains(&cut), "cut {cut}"),
            Some(CaptureError::Truncated { offset, .. }) => {
                let start = block_starts(&bytes)
                    .into_iter()
                    .rev()
                    .find(|&b| b < cut)
                    .unwrap();
                assert_eq!(offset, start as u64, "cut {cut}");
            }
            Some(e) => panic!("cut {cut}: {e}"),
        }
        assert!(r.next_frame().unwrap().is_none());
    }
}

/// Offsets where blocks start (and the end of the file).
fn block_starts(bytes: &[u8]) -> Vec<usize> {
    let mut out = vec![0];
    let mut at = 0;
    let mut be = false;
    while at + 12 <= bytes.len() {
        if bytes[at..at + 4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            be = bytes[at + 8] == 0x1a;
        }
        let raw: [u8; 4] = bytes[at + 4..at + 8].try_into().unwrap();
        let len = if be {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        };
        at += len as usize;
        out.push(at);
    }
    out
}

#[test]
fn pcapng_block_length_of_4_gib_is_malformed() {
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]);
    let at = ng.out.len() as u64;
    ng.out.extend_from_slice(&6u32.to_le_bytes());
    ng.out.extend_from_slice(&0xffff_fffcu32.to_le_bytes());
    ng.out.extend_from_slice(&[0; 64]);
    let mut r = open(&ng.out).unwrap();
    let err = r.next_frame().err().unwrap();
    assert!(
        matches!(err, CaptureError::Malformed { offset, .. } if offset == at),
        "{err}"
    );
    assert!(r.next_frame().unwrap().is_none());
    // The same length in the first SHB fails at open.
    let mut shb = ng.out[..8].to_vec();
    shb[4..8].copy_from_slice(&0xffff_fffcu32.to_le_bytes());
    shb.extend_from_slice(&[0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0]);
    assert!(matches!(
        open(&shb),
        Err(CaptureError::Malformed { offset: 0, .. })
    ));
}

#[test]
fn pcapng_bad_lengths_are_malformed() {
    for (len, trailer) in [(13u32, 13u32), (8, 8), (32, 28)] {
        let mut ng = Ng::new();
        ng.shb(false, &[]).idb(1, 0, &[]);
        let at = ng.out.len() as u64;
        ng.out.extend_from_slice(&0x99u32.to_le_bytes());
        ng.out.extend_from_slice(&len.to_le_bytes());
        ng.out
            .resize(ng.out.len() + (len as usize).saturating_sub(12), 0);
        ng.out.extend_from_slice(&trailer.to_le_bytes());
        let err = open(&ng.out).unwrap().next_frame().err();
        assert!(
            matches!(err, Some(CaptureError::Malformed { offset, .. }) if offset == at),
            "length {len}/{trailer}: {err:?}"
        );
    }
}

#[test]
fn pcapng_blocks_too_short_for_their_fields_are_malformed() {
    // An IDB of 16 bytes and an EPB of 28 bytes: their length fields are
    // valid, but the fixed fields would run into the trailing length.
    let mut ng = Ng::new();
    ng.shb(false, &[]).block(1, &[1, 0, 0, 0]);
    assert!(matches!(
        open(&ng.out).unwrap().next_frame(),
        Err(CaptureError::Malformed { .. })
    ));
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]).block(6, &[0; 16]);
    let err = open(&ng.out).unwrap().next_frame().err();
    assert!(
        matches!(err, Some(CaptureError::Malformed { ref what, .. }) if what.contains("short"))
    );
}

#[test]
fn pcapng_undefined_interface_is_malformed() {
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]).epb(0, 0, b"ok", 2);
    let at = ng.out.len() as u64;
    ng.epb(1, 0, b"bad", 3);
    let mut r = open(&ng.out).unwrap();
    assert!(r.next_frame().unwrap().is_some());
    let err = r.next_frame().err().unwrap();
    assert!(
        matches!(err, CaptureError::Malformed { offset, .. } if offset == at),
        "{err}"
    );
    // Interfaces of an earlier section do not count.
    let mut ng = Ng::new();
    ng.shb(false, &[])
        .idb(1, 0, &[])
        .shb(true, &[])
        .spb(4, b"abcd");
    assert!(matches!(
        open(&ng.out).unwrap().next_frame(),
        Err(CaptureError::Malformed { .. })
    ));
}

#[test]
fn pcapng_simple_and_obsolete_packet_blocks() {
    let mut ng = Ng::new();
    ng.shb(true, &[]).idb(1, 4, &[]).idb(105, 0, &[(9, &[3])]);
    ng.pb(1, 1_714_554_000_250, b"old");
    ng.spb(1500, b"abcdefgh");
    ng.block(0x1234_5678, b"??")
        .block(0x4000_0bad, b"\0\0\0\x01");
    ng.spb(2, b"xy");
    let mut r = open(&ng.out).unwrap();
    let (seen, err) = drain(&mut r);
    assert!(err.is_none(), "{err:?}");
    let pb_ns = 1_714_554_000_250_000_000;
    assert_eq!(seen[0], (1, pb_ns, 3, 105, 1, b"old".to_vec(), 3));
    // SPB: interface 0, caplen bounded by the snaplen (4), no timestamp of
    // its own (it keeps the previous one).
    assert_eq!(seen[1], (2, pb_ns, 3, 1, 0, b"abcd".to_vec(), 1500));
    // The custom block before it took frame number 3, as in Wireshark.
    assert_eq!(seen[2], (4, pb_ns, 3, 1, 0, b"xy".to_vec(), 2));
    let warnings = r.warnings().join(" ");
    assert!(
        warnings.contains("skipped 1 block of unknown type"),
        "{warnings}"
    );
    assert!(
        warnings.contains("skipped 1 custom block (it keeps its frame number, as in Wireshark)"),
        "{warnings}"
    );
    assert!(warnings.contains("2 Simple Packet Blocks"), "{warnings}");
}

/// Wireshark numbers systemd Journal Export and custom blocks as frames
/// (checked with tshark 4.0), not Name Resolution, Statistics or Decryption
/// Secrets blocks: evidence frame numbers must be the ones it shows.
#[test]
fn pcapng_frame_numbers_count_the_blocks_wireshark_lists() {
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]);
    ng.epb(0, 1, b"one", 3);
    ng.block(9, b"MESSAGE=hello\n");
    ng.epb(0, 2, b"two", 3);
    ng.block(10, b"TLSK\0\0\0\0")
        .block(4, b"\0\0\0\0")
        .block(5, b"\0\0\0\0\0\0\0\0\0\0\0\0");
    ng.epb(0, 3, b"three", 5);
    ng.block(0x0000_0bad, b"\0\0\0\x01");
    ng.epb(0, 4, b"four", 4);
    let (seen, err) = drain(&mut open(&ng.out).unwrap());
    assert!(err.is_none(), "{err:?}");
    let numbers: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(numbers, [1, 3, 4, 6]);
}

#[test]
fn pcapng_tsresol_power_of_two_and_negative_tsoffset_big_endian() {
    let mut ng = Ng::new();
    ng.shb(true, &[]);
    let offset = (-3_600i64).to_be_bytes();
    ng.idb(1, 0, &[(9, &[0x88]), (14, &offset)]);
    ng.idb(1, 0, &[(9, &[0x94]), (14, &1_000i64.to_be_bytes())]);
    ng.epb(0, (u64::from(T0) << 8) + 64, b"", 0);
    ng.epb(1, (5 << 20) + (1 << 19), b"", 0);
    let (seen, err) = drain(&mut open(&ng.out).unwrap());
    assert!(err.is_none());
    let t0 = i64::from(T0) * 1_000_000_000;
    assert_eq!(
        (seen[0].1, seen[0].2),
        (t0 - 3_600_000_000_000 + 250_000_000, 2)
    );
    assert_eq!((seen[1].1, seen[1].2), (1_005_500_000_000, 6));
}

#[test]
fn pcapng_huge_timestamps_are_clamped_not_overflowed() {
    let mut ng = Ng::new();
    ng.shb(false, &[]);
    ng.idb(1, 0, &[(14, &i64::MAX.to_le_bytes())]);
    ng.idb(1, 0, &[(9, &[0x7f]), (14, &i64::MIN.to_le_bytes())]);
    ng.epb(0, u64::MAX, b"", 0).epb(1, u64::MAX, b"", 0);
    let mut r = open(&ng.out).unwrap();
    let (seen, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!((seen[0].1, seen[1].1), (i64::MAX, i64::MIN));
    assert!(r.warnings().iter().any(|w| w.starts_with("2 timestamps")));
}

#[test]
fn pcapng_garbage_after_header_is_malformed() {
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]);
    let at = ng.out.len() as u64;
    ng.out.extend_from_slice(b"GARBAGE GARBAGE GARBAGE!");
    let err = open(&ng.out).unwrap().next_frame().err().unwrap();
    assert!(
        matches!(err, CaptureError::Malformed { offset, .. } if offset == at),
        "{err}"
    );
    // A second SHB with a bad byte-order magic.
    let mut ng = Ng::new();
    ng.shb(false, &[]);
    let at = ng.out.len() as u64;
    ng.shb(false, &[]);
    let magic = at as usize + 8;
    ng.out[magic..magic + 4].copy_from_slice(b"XXXX");
    let err = open(&ng.out).unwrap().next_frame().err().unwrap();
    assert!(
        matches!(err, CaptureError::Malformed { offset, .. } if offset == at),
        "{err}"
    );
}

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

#[test]
fn gzip_is_detected_by_magic_and_streamed() {
    let (ng, _) = two_sections();
    let mut r = open(&gzip(&ng)).unwrap();
    assert!(r.compressed());
    assert_eq!(r.format(), Format::Pcapng);
    let (seen, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(seen.len(), 2);
    assert_eq!(r.offset(), ng.len() as u64);
    // Two gzip members make one stream.
    let bytes = pcap(false, false, 1, &[(T0, 1, b"a", 1), (T0, 2, b"b", 1)]);
    let mut two = gzip(&bytes[..40]);
    two.extend(gzip(&bytes[40..]));
    let (seen, err) = drain(&mut open_trickle(&two, 11).unwrap());
    assert!(err.is_none());
    assert_eq!(seen.len(), 2);
    // Compressed NetMon is still named.
    let err = open(&gzip(b"GMBU\0\x02\x01\0 and more")).err().unwrap();
    assert!(
        matches!(err, CaptureError::UnsupportedFormat { what, .. } if what.contains("Monitor"))
    );
    // An empty gzip stream is not an empty file: its bytes are there.
    assert!(matches!(
        open(&gzip(b"")),
        Err(CaptureError::Malformed { what, .. }) if what.contains("decompresses to nothing")
    ));
}

#[test]
fn truncated_gzip_delivers_frames_then_one_error() {
    let recs: Vec<(u32, u32, Vec<u8>, u32)> =
        (0..200).map(|i| (T0, i, vec![i as u8; 300], 300)).collect();
    let refs: Vec<(u32, u32, &[u8], u32)> = recs
        .iter()
        .map(|(s, f, d, o)| (*s, *f, d.as_slice(), *o))
        .collect();
    let gz = gzip(&pcap(false, false, 1, &refs));
    let cut = &gz[..gz.len() * 2 / 3];
    let mut r = open(cut).unwrap();
    let (seen, err) = drain(&mut r);
    assert!(!seen.is_empty() && seen.len() < 200);
    assert!(
        matches!(err, Some(CaptureError::Truncated { .. })),
        "{err:?}"
    );
    assert!(r.next_frame().unwrap().is_none());
}

/// A gzip capture cut anywhere before its end is never read as complete,
/// in memory or from a file (read ahead): even where the inflated bytes end
/// at the file header or a record's end, the stream's failure is said, not
/// taken for the end when the reader looked ahead past it.
#[test]
fn gzip_cut_at_any_offset_is_never_complete() {
    let recs: Vec<(u32, u32, Vec<u8>, u32)> =
        (0..3).map(|i| (T0, i, vec![i as u8 + 1; 60], 60)).collect();
    let refs: Vec<(u32, u32, &[u8], u32)> = recs
        .iter()
        .map(|(s, f, d, o)| (*s, *f, d.as_slice(), *o))
        .collect();
    let gz = gzip(&pcap(false, false, 1, &refs));
    for len in 20..gz.len() {
        let cut = gz.get(..len).unwrap_or_default();
        for from_file in [false, true] {
            let opened = match from_file {
                true => open_file("cut-any.pcap.gz", cut),
                false => open(cut),
            };
            let Ok(mut r) = opened else {
                continue;
            };
            let (_, err) = drain(&mut r);
            assert!(
                err.is_some(),
                "cut at {len} of {} read as complete",
                gz.len()
            );
        }
    }
}

/// Writes `bytes` to a fresh temporary file and opens it by path.
fn open_file(name: &str, bytes: &[u8]) -> Result<CaptureReader, CaptureError> {
    let path = std::env::temp_dir().join(format!("provscope-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let r = CaptureReader::open(&path);
    std::fs::remove_file(&path).unwrap();
    r
}

#[test]
fn gzip_file_inflated_ahead_gives_the_same_frames_and_errors() {
    // Enough records for several read-ahead chunks, some of them big.
    let recs: Vec<(u32, u32, Vec<u8>, u32)> = (0..3000u32)
        .map(|i| {
            let len = if i % 97 == 0 {
                70_000
            } else {
                60 + (i as usize * 37) % 1500
            };
            (T0 + i, i, vec![(i % 251) as u8; len], len as u32)
        })
        .collect();
    let refs: Vec<(u32, u32, &[u8], u32)> = recs
        .iter()
        .map(|(s, f, d, o)| (*s, *f, d.as_slice(), *o))
        .collect();
    let plain = pcap(false, false, 1, &refs);
    let gz = gzip(&plain);
    let (want, err) = drain(&mut open(&plain).unwrap());
    assert!(err.is_none());
    let mut r = open_file("ahead.pcap.gz", &gz).unwrap();
    assert!(r.compressed());
    let (seen, err) = drain(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seen, want);
    assert_eq!(r.offset(), plain.len() as u64);
    // Cut short: the same frames as the inline reader, then one error.
    let cut = &gz[..gz.len() / 2];
    let (inline, inline_err) = drain(&mut open(cut).unwrap());
    let mut r = open_file("cut.pcap.gz", cut).unwrap();
    let (seen, err) = drain(&mut r);
    assert_eq!(seen, inline);
    assert_eq!(format!("{err:?}"), format!("{inline_err:?}"));
    assert!(r.next_frame().unwrap().is_none());
}

#[test]
fn missing_file_is_an_io_error() {
    match CaptureReader::open(std::path::Path::new("/definitely/not/here.pcap")) {
        Err(CaptureError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
        _ => panic!("a missing file must be an Io error"),
    }
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    /// Reads everything; every frame must lie inside the input, and the
    /// walk must end (each frame consumes at least 12 bytes).
    fn walk(bytes: &[u8]) {
        let Ok(mut r) = open(bytes) else {
            return;
        };
        let mut frames = 0usize;
        loop {
            match r.next_frame() {
                Ok(Some(f)) => {
                    frames += 1;
                    assert!(f.data.len() <= bytes.len());
                    assert!(frames <= bytes.len() / 12);
                }
                Ok(None) => break,
                Err(_) => {
                    assert!(r.next_frame().unwrap().is_none());
                    break;
                }
            }
        }
        assert!(r.offset() <= bytes.len() as u64);
        let _ = r.warnings();
    }

    fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..max)
    }

    proptest! {
        #[test]
        fn random_pcapng_blocks_never_panic(tail in bytes(600)) {
            let mut ng = Ng::new();
            ng.shb(false, &[]).idb(1, 0, &[]);
            ng.out.extend_from_slice(&tail);
            walk(&ng.out);
        }

        #[test]
        fn random_pcap_records_never_panic(tail in bytes(600)) {
            let mut bytes = pcap(true, true, 1, &[]);
            bytes.extend_from_slice(&tail);
            walk(&bytes);
        }

        #[test]
        fn mutated_two_sections_never_panic(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)
        ) {
            let (mut bytes, _) = two_sections();
            for (at, value) in flips {
                let len = bytes.len();
                bytes[at % len] = value;
            }
            walk(&bytes);
        }
    }
}

#[test]
fn pcapng_statistics_drops_are_said_once_per_interface_latest_counter() {
    for be in [false, true] {
        let mut ng = Ng::new();
        ng.shb(be, &[]).idb(1, 0, &[]).idb(1, 0, &[]);
        let isb = |ng: &mut Ng, iface: u32, ifdrop: u64, osdrop: u64| {
            let mut body = Vec::new();
            put_u32(&mut body, be, iface);
            body.extend_from_slice(&[0; 8]);
            let (i, o) = match be {
                true => (ifdrop.to_be_bytes(), osdrop.to_be_bytes()),
                false => (ifdrop.to_le_bytes(), osdrop.to_le_bytes()),
            };
            body.extend(ng.options(&[(5, &i), (7, &o)]));
            ng.block(5, &body);
        };
        isb(&mut ng, 0, 100, 20);
        ng.epb(0, 1, b"x", 1);
        // Cumulative: the later block of interface 0 replaces the earlier.
        isb(&mut ng, 0, 1200, 300);
        isb(&mut ng, 1, 7, 0);
        let mut r = open(&ng.out).unwrap();
        let (seen, err) = drain(&mut r);
        assert!(err.is_none());
        assert_eq!(seen.len(), 1, "statistics blocks are no frames");
        let w = r.warnings().join(" ");
        assert!(
            w.contains("1507 packets were lost while capturing (1207 by the interface, 300 by"),
            "{w}"
        );
    }
}

#[test]
fn pcapng_epb_option_overrun_and_time_options_of_wrong_length_are_said() {
    let mut ng = Ng::new();
    ng.shb(false, &[]);
    ng.idb(1, 0, &[(9, &[6, 0])]);
    let epb_at = ng.out.len();
    ng.epb(0, 1_000_000, b"", 0);
    // The packet comment's length (after the block header and 20 fixed
    // bytes) now runs past the block.
    ng.out[epb_at + 8 + 20 + 2..epb_at + 8 + 20 + 4].copy_from_slice(&200u16.to_le_bytes());
    ng.epb(0, 2_000_000, b"", 0);
    let mut r = open(&ng.out).unwrap();
    let (seen, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(seen.len(), 2);
    // The if_tsresol of two bytes is ignored: microseconds.
    assert_eq!(seen[1].1, 2_000_000_000);
    let warnings = r.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("1 block has options that overrun")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("1 interface has an if_tsresol or if_tsoffset option")),
        "{warnings:?}"
    );
}

/// The note of packets capturing more than their original length names
/// the first of them, as the pcap reader's does (tester109).
#[test]
fn pcapng_names_the_first_packet_beyond_its_original_length() {
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]);
    ng.epb(0, 1, b"one", 3)
        .epb(0, 2, b"abcdef", 2)
        .epb(0, 3, b"xyz", 1);
    let mut r = open(&ng.out).unwrap();
    let (_, err) = drain(&mut r);
    assert!(err.is_none(), "{err:?}");
    let at = block_starts(&ng.out)[3];
    let want = format!(
        "2 packets capture more bytes than their original length (the first: frame 2, block \
         at byte offset {at})"
    );
    assert!(r.warnings().contains(&want), "{:?}", r.warnings());
}

/// The modified magic whose first records fit neither of its layouts
/// (Kuznetzov's 8 octets of padding, SuSE 6.3's 12; here 3) is refused at
/// the first record, not read as garbage frames (tester118).
#[test]
fn a_modified_magic_fitting_neither_layout_is_refused() {
    let mut bytes = 0xa1b2_cd34u32.to_le_bytes().to_vec();
    bytes.extend([2, 0, 4, 0]);
    for v in [0u32, 0, 65_535, 1] {
        bytes.extend(v.to_le_bytes());
    }
    for i in 0..4u32 {
        for v in [T0 + i, 0, 60, 60] {
            bytes.extend(v.to_le_bytes());
        }
        bytes.extend([0u8; 3]);
        bytes.extend([0x41u8; 60]);
    }
    match open(&bytes) {
        Err(CaptureError::Malformed { offset: 24, what }) => {
            assert!(what.contains("neither"), "{what}")
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("read as a capture"),
    }
}
