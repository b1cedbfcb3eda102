//! Capture files in, frames out.
//!
//! Reads pcap (microsecond and nanosecond magic, either byte order) and pcapng
//! (several sections, each with its own byte order and interface table;
//! Enhanced, Simple and obsolete Packet blocks; `if_tsresol` power of 10 or
//! of 2; signed `if_tsoffset`), either of them gzip-compressed, from a path or
//! from stdin (`-`). The format is decided by magic bytes, never by the file
//! name. Reading is one sequential pass through a large buffer: memory does
//! not grow with the capture. Format quirks live here and nowhere else.

mod pcap;
mod pcapng;
mod source;

use std::io::Read;
use std::path::Path;

use crate::time::Timestamp;

/// Container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pcap,
    Pcapng,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
        }
    }
}

/// One captured frame, borrowed from the reader's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// 1-based, as Wireshark numbers frames.
    pub number: u64,
    pub ts: Timestamp,
    /// LINKTYPE_* value of the interface the frame was captured on.
    pub linktype: u32,
    /// pcapng interface index inside its section (0 for pcap).
    pub interface: u32,
    /// The captured bytes (may be shorter than `orig_len`: snaplen).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
}

/// What went wrong reading a capture. Every variant names where.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("empty file (0 bytes)")]
    Empty,
    #[error("not a pcap or pcapng capture: {what} (first bytes {magic})")]
    UnsupportedFormat { what: String, magic: String },
    #[error("byte offset {offset}: {what}")]
    Malformed { offset: u64, what: String },
    #[error("byte offset {offset}: file ends inside {what}")]
    Truncated { offset: u64, what: String },
}

/// A streaming reader over one capture.
pub struct CaptureReader {
    inner: Inner,
    compressed: bool,
}

enum Inner {
    Pcap(pcap::PcapReader),
    Pcapng(pcapng::PcapngReader),
}

impl CaptureReader {
    /// Opens a path (`-` is stdin) and reads the file header.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        let _ = path;
        todo!("capture: open path or stdin, then from_reader")
    }

    /// Reads the header from any byte stream (gzip is detected and undone).
    pub fn from_reader(reader: Box<dyn Read + Send>) -> Result<Self, CaptureError> {
        let _ = reader;
        todo!("capture: detect gzip, magic, build Inner")
    }

    pub fn format(&self) -> Format {
        match self.inner {
            Inner::Pcap(_) => Format::Pcap,
            Inner::Pcapng(_) => Format::Pcapng,
        }
    }

    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// The next frame, `Ok(None)` at a clean end of file. After an error the
    /// reader is finished: further calls return `Ok(None)`.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        todo!("capture: next frame")
    }

    /// Bytes of the (decompressed) stream consumed so far.
    pub fn offset(&self) -> u64 {
        todo!("capture: offset")
    }

    /// Non-fatal notes about the file, one sentence each (unknown blocks
    /// skipped, packets on an interface that was never described, ...).
    pub fn warnings(&self) -> Vec<String> {
        todo!("capture: warnings")
    }
}
