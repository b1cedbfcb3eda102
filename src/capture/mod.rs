//! Capture files in, frames out.
//!
//! Reads pcap (microsecond and nanosecond magic, either byte order; the
//! Nokia and Red Hat 6.1 variants, Kuznetzov's modified pcap and SuSE 6.3's,
//! whose record headers are longer, `pcap.rs`) and pcapng
//! (several sections, each with its own byte order and interface table;
//! Enhanced, Simple and obsolete Packet blocks; `if_tsresol` power of 10 or
//! of 2; signed `if_tsoffset`), either of them gzip-compressed, from a path or
//! from stdin (`-`). The format is decided by magic bytes, never by the file
//! name. Reading is one sequential pass through a large buffer, filled on
//! the walk's own thread for a plain file and ahead on a helper thread for
//! gzip (inflation is the heavy part): memory does not grow with the
//! capture. A regular file whose frames step back in time can be read again,
//! in time order (`ordered.rs`, [`CaptureReader::reopen`]): an index of 24
//! bytes a frame, at most [`MAX_FRAMES`] frames. Format quirks live here and
//! nowhere else.
//!
//! Besides frames, a reader lists the sections and interfaces it has read
//! ([`CaptureReader::sections`], [`CaptureReader::interfaces`]; the section
//! of the last frame is [`CaptureReader::section`]) and sums up what it
//! tolerated in [`CaptureReader::warnings`]. Timestamps that do not fit an
//! i64 of nanoseconds (before 1677 or after 2262) are clamped and counted.
//! Formats recognised only to be refused: Network Monitor, ERF, snoop,
//! 5View, and captures compressed with anything but gzip (`gzip.rs` reads
//! gzip members one after the other and counts bytes after the last).

mod endian;
mod gzip;
mod magic;
mod ordered;
mod pcap;
mod pcapng;
mod source;
#[cfg(test)]
mod tests;

use std::io::{self, Cursor, Read};
use std::path::Path;

use crate::time::Timestamp;
use magic::Kind;
pub use ordered::{Reopen, Reordered, MAX_FRAMES, MAX_HELD_BYTES, TOO_MANY_FRAMES};
use source::Source;

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
    /// Bytes found after the last gzip member (set when the stream ends).
    gzip_trailing: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Length of the file on disk (a regular file, not compressed).
    file_len: Option<u64>,
    /// How to read it again (a regular file, plain or gzip).
    reopen: Option<Reopen>,
}

enum Inner {
    Pcap(pcap::PcapReader),
    Pcapng(pcapng::PcapngReader),
    /// In time order (`ordered.rs`).
    Ordered(Box<ordered::Ordered>),
}

impl CaptureReader {
    /// Opens a path (`-` is stdin) and reads the file header. A plain
    /// capture is read on the caller's thread: the kernel's copy lands in a
    /// buffer the walk then reads from its own core's cache, which measured
    /// faster than a read-ahead thread whose buffers the walk's core must
    /// fetch from the other core (0.58-0.64 s against 0.83-1.06 s on the
    /// 1 GB pcap, two cores). A gzip file is inflated ahead on a thread of
    /// its own while its frames are walked.
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Self::open_with(path, false)
    }

    /// [`CaptureReader::open`]; `plain_ahead` true reads a plain capture
    /// ahead on a thread of its own too (a gzip file is inflated ahead
    /// either way).
    pub fn open_with(path: &Path, plain_ahead: bool) -> Result<Self, CaptureError> {
        if path.as_os_str() == "-" {
            return Self::open_stream(Box::new(io::stdin()), plain_ahead, true);
        }
        let file = std::fs::File::open(path)?;
        let len = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let mut reader = Self::open_stream(Box::new(file), plain_ahead, true)?;
        reader.file_len = len.filter(|_| !reader.compressed);
        reader.reopen = len.map(|_| Reopen {
            path: path.to_path_buf(),
            ahead: plain_ahead,
        });
        Ok(reader)
    }

    /// A reader of the frames `ordered` sorted; format, warnings and tables
    /// are those of the walk that indexed them.
    fn ordered(ordered: ordered::Ordered) -> Self {
        let (compressed, file_len) = (ordered.walked.compressed, ordered.walked.file_len);
        CaptureReader {
            inner: Inner::Ordered(Box::new(ordered)),
            compressed,
            gzip_trailing: None,
            file_len,
            reopen: None,
        }
    }

    /// How to read the capture again, in time order (a regular file read in
    /// file order only; not stdin, a pipe or a stream).
    pub fn reopen(&self) -> Option<Reopen> {
        self.reopen.clone()
    }

    /// In time order: how many frames were earlier than the frame before
    /// them in the file.
    pub fn stepped_back(&self) -> Option<u64> {
        match &self.inner {
            Inner::Ordered(o) => Some(o.stepped_back()),
            _ => None,
        }
    }

    /// Stream offset of the captured bytes of the frame last returned (file
    /// order).
    fn data_offset(&self) -> u64 {
        match &self.inner {
            Inner::Pcap(r) => r.data_at(),
            Inner::Pcapng(r) => r.data_at(),
            Inner::Ordered(_) => 0,
        }
    }

    /// Bytes of the file after `offset` (a plain file on disk only): what a
    /// stop at invalid bytes left unread.
    pub fn unread_after(&self, offset: u64) -> Option<u64> {
        self.file_len.map(|len| len.saturating_sub(offset))
    }

    /// Reads the header from any byte stream (gzip is detected and undone),
    /// all on the caller's thread.
    pub fn from_reader(reader: Box<dyn Read + Send>) -> Result<Self, CaptureError> {
        Self::open_stream(reader, false, false)
    }

    /// `plain_ahead`, `gzip_ahead`: the bytes of a plain capture are read,
    /// a gzip stream inflated, on a helper thread while the frames are
    /// walked. For a plain capture that thread only copies out of the page
    /// cache: 10% off the wall time of a 1 GB capture on this session's
    /// machine, measured interleaved (README "Performance").
    fn open_stream(
        reader: Box<dyn Read + Send>,
        plain_ahead: bool,
        gzip_ahead: bool,
    ) -> Result<Self, CaptureError> {
        let (head, reader) = sniff_head(reader)?;
        if head.starts_with(&magic::GZIP) {
            let (gz, trailing) = gzip::Members::new(reader);
            let (head, inner) = sniff_head(Box::new(gz)).map_err(gzip_error)?;
            if head.starts_with(&magic::GZIP) {
                return Err(unsupported("gzip inside gzip", &head));
            }
            let mut reader = Self::detect(&head, inner, true, gzip_ahead)?;
            reader.gzip_trailing = Some(trailing);
            return Ok(reader);
        }
        Self::detect(&head, reader, false, plain_ahead)
    }

    /// Builds the reader for the format `head` announces; `ahead`: on a
    /// read-ahead source.
    fn detect(
        head: &[u8],
        reader: Box<dyn Read + Send>,
        compressed: bool,
        ahead: bool,
    ) -> Result<Self, CaptureError> {
        let source = |reader| match ahead {
            true => Source::read_ahead(reader),
            false => Ok(Source::new(reader)),
        };
        let inner = match magic::sniff(head) {
            Kind::Pcap { big_endian, nanos } => Inner::Pcap(pcap::PcapReader::open(
                source(reader)?,
                big_endian,
                nanos,
                None,
            )?),
            Kind::ModifiedPcap { big_endian } => Inner::Pcap(pcap::PcapReader::open(
                source(reader)?,
                big_endian,
                false,
                Some(pcap::MODIFIED_PAD),
            )?),
            Kind::Pcapng => Inner::Pcapng(pcapng::PcapngReader::open(source(reader)?)?),
            _ if head.is_empty() && compressed => {
                return Err(CaptureError::Malformed {
                    offset: 0,
                    what: "the gzip stream decompresses to nothing (no capture inside)".into(),
                })
            }
            _ if head.is_empty() => return Err(CaptureError::Empty),
            Kind::Short => {
                return Err(CaptureError::Truncated {
                    offset: 0,
                    what: format!("the file header ({} bytes in all)", head.len()),
                })
            }
            // (Inside a gzip file the first bytes are the inflated ones.)
            Kind::Other(what) if compressed => {
                return Err(unsupported(&format!("{what}, inside the gzip"), head))
            }
            Kind::Gzip | Kind::Unknown if compressed => {
                return Err(unsupported("unknown, inside the gzip", head))
            }
            Kind::Other(what) => return Err(unsupported(what, head)),
            Kind::Gzip | Kind::Unknown => return Err(unsupported("unknown", head)),
        };
        Ok(CaptureReader {
            inner,
            compressed,
            gzip_trailing: None,
            file_len: None,
            reopen: None,
        })
    }

    pub fn format(&self) -> Format {
        match &self.inner {
            Inner::Pcap(_) => Format::Pcap,
            Inner::Pcapng(_) => Format::Pcapng,
            Inner::Ordered(o) => o.walked.format(),
        }
    }

    pub fn compressed(&self) -> bool {
        self.compressed
    }

    /// The frames will be handed out in time order (`ordered.rs`): the
    /// warnings number pcapng custom blocks first, as reordercap does.
    fn numbered_in_time_order(&mut self) {
        if let Inner::Pcapng(r) = &mut self.inner {
            r.numbered_in_time_order();
        }
    }

    /// Packets read so far that carry no timestamp (pcapng Simple Packet
    /// Blocks, given the time of the packet before them).
    pub fn untimed_packets(&self) -> u64 {
        match &self.inner {
            Inner::Pcapng(r) => r.untimed_packets(),
            Inner::Pcap(_) | Inner::Ordered(_) => 0,
        }
    }

    /// Frame numbers given so far, as Wireshark numbers them: pcapng custom
    /// and journal blocks after the last packet count too.
    pub fn numbered(&self) -> u64 {
        match &self.inner {
            Inner::Pcap(r) => r.frames(),
            Inner::Pcapng(r) => r.frames(),
            Inner::Ordered(o) => o.frames(),
        }
    }

    /// The next frame, `Ok(None)` at a clean end of file. After an error the
    /// reader is finished: further calls return `Ok(None)`.
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        match &mut self.inner {
            Inner::Pcap(r) => r.next(),
            Inner::Pcapng(r) => r.next(),
            Inner::Ordered(o) => o.next(),
        }
    }

    /// Bytes of the (decompressed) stream consumed so far.
    pub fn offset(&self) -> u64 {
        match &self.inner {
            Inner::Pcap(r) => r.offset(),
            Inner::Pcapng(r) => r.offset(),
            Inner::Ordered(o) => o.walked.offset(),
        }
    }

    /// Non-fatal notes about the file, one sentence each (unknown blocks
    /// skipped, packets on an interface that was never described, ...).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = match &self.inner {
            Inner::Pcap(r) => r.warnings(),
            Inner::Pcapng(r) => r.warnings(),
            Inner::Ordered(o) => return o.walked.warnings(),
        };
        let trailing =
            (self.gzip_trailing.as_ref()).map(|n| n.load(std::sync::atomic::Ordering::Relaxed));
        out.extend(trailing.and_then(gzip::trailing_warning));
        out
    }

    /// Section of the frame last returned: 0-based index of its pcapng
    /// Section Header Block (always 0 for pcap). `Frame::interface` is an
    /// index into this section's interfaces.
    pub fn section(&self) -> u32 {
        match &self.inner {
            Inner::Pcap(_) => 0,
            Inner::Pcapng(r) => r.section(),
            Inner::Ordered(o) => o.section(),
        }
    }

    /// Interfaces described so far, in file order, each tagged with its
    /// section (pcap: the one implied by the file header). At most 4096 are
    /// kept; `warnings` says when more were seen.
    pub fn interfaces(&self) -> &[InterfaceInfo] {
        match &self.inner {
            Inner::Pcap(r) => r.interfaces(),
            Inner::Pcapng(r) => r.interfaces(),
            Inner::Ordered(o) => o.walked.interfaces(),
        }
    }

    /// Sections read so far (pcap: one).
    pub fn sections(&self) -> &[SectionInfo] {
        match &self.inner {
            Inner::Pcap(r) => r.sections(),
            Inner::Pcapng(r) => r.sections(),
            Inner::Ordered(o) => o.walked.sections(),
        }
    }
}

/// One capture interface: a pcapng Interface Description Block, or the
/// pcap file header.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InterfaceInfo {
    /// Section the interface belongs to (0-based).
    pub section: u32,
    /// Index inside its section, as packets refer to it.
    pub id: u32,
    /// LINKTYPE_* value.
    pub linktype: u32,
    /// Maximum captured length; 0 means no limit.
    pub snaplen: u32,
    /// `if_name`.
    pub name: Option<String>,
    /// `if_description`.
    pub description: Option<String>,
    /// Fractional digits its timestamps carry (from `if_tsresol`).
    pub digits: u8,
    /// `if_tsoffset` in seconds (0 when absent).
    pub tsoffset: i64,
}

/// One pcapng section (its Section Header Block), or the pcap file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SectionInfo {
    pub big_endian: bool,
    /// `shb_hardware`.
    pub hardware: Option<String>,
    /// `shb_os`.
    pub os: Option<String>,
    /// `shb_userappl`.
    pub userappl: Option<String>,
}

/// Reads the first bytes of a stream without losing them: returns them and
/// a reader that yields the whole stream again.
fn sniff_head(mut reader: Box<dyn Read + Send>) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = vec![0u8; magic::SNIFF_LEN];
    let mut got = 0;
    while got < head.len() {
        let Some(spare) = head.get_mut(got..) else {
            break;
        };
        match reader.read(spare) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let replay = Cursor::new(head.clone()).chain(reader);
    Ok((head, Box::new(replay)))
}

fn unsupported(what: &str, head: &[u8]) -> CaptureError {
    CaptureError::UnsupportedFormat {
        what: what.to_string(),
        magic: magic::hex(head),
    }
}

/// A gzip stream that cannot even yield its first bytes.
fn gzip_error(e: io::Error) -> CaptureError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => CaptureError::Truncated {
            offset: 0,
            what: "the gzip stream".into(),
        },
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => CaptureError::Malformed {
            offset: 0,
            what: format!("gzip stream: {e}"),
        },
        _ => CaptureError::Io(e),
    }
}

/// Makes `n` bytes available at the cursor of `src`. `Ok(false)`: the
/// stream ended first. A decompressor that hits the end of its input early
/// reports a truncation at `start`, corrupt compressed data a malformation.
fn fill(src: &mut Source, n: usize, start: u64) -> Result<bool, CaptureError> {
    src.fill(n).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => CaptureError::Truncated {
            offset: start,
            what: "the gzip stream (its compressed data stops early)".into(),
        },
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => CaptureError::Malformed {
            offset: start,
            what: format!("compressed stream: {e}"),
        },
        _ => CaptureError::Io(e),
    })
}
