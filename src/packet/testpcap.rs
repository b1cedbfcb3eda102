//! Test helper: the records of a classic pcap file (24-byte file header,
//! 16-byte record headers; either byte order, micro- or nanosecond magic),
//! so layer tests can replay shared captures without the capture module.

use crate::capture::Frame;
use crate::time::Timestamp;

/// A capture read whole into memory.
pub(crate) struct TestPcap {
    pub linktype: u32,
    /// (timestamp ns, captured bytes, original length)
    pub records: Vec<(i64, Vec<u8>, u32)>,
}

impl TestPcap {
    /// Reads `path` relative to the crate root; panics on anything odd
    /// (this is test code).
    pub fn open(relative: &str) -> TestPcap {
        let path = format!("{}/{relative}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let magic: [u8; 4] = bytes[..4].try_into().unwrap();
        let (le, nanos) = match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
            [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
            [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
            _ => panic!("{path}: not a classic pcap"),
        };
        let u32_at = |at: usize| {
            let b: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
            if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        };
        let linktype = u32_at(20) & 0x0fff_ffff;
        let mut records = Vec::new();
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let (secs, frac) = (i64::from(u32_at(at)), i64::from(u32_at(at + 4)));
            let (caplen, orig_len) = (u32_at(at + 8) as usize, u32_at(at + 12));
            let ns = secs * 1_000_000_000 + if nanos { frac } else { frac * 1000 };
            records.push((ns, bytes[at + 16..at + 16 + caplen].to_vec(), orig_len));
            at += 16 + caplen;
        }
        TestPcap { linktype, records }
    }

    /// Frame `number` (1-based, as Wireshark counts).
    pub fn frame(&self, number: u64) -> Frame<'_> {
        let (ns, data, orig_len) = &self.records[number as usize - 1];
        Frame {
            number,
            ts: Timestamp::new(*ns, 6),
            linktype: self.linktype,
            interface: 0,
            data,
            orig_len: *orig_len,
        }
    }

    pub fn len(&self) -> u64 {
        self.records.len() as u64
    }
}
