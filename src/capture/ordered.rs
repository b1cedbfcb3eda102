//! A capture read in time order, frames numbered as `reordercap` numbers them.
//!
//! A capture that steps back in time (two one-direction captures joined with
//! `mergecap -a`, or a host whose CPUs hand frames over out of order) puts
//! answers before their requests when read in file order. A capture that can
//! be read again (a regular file, plain or gzip) is walked once more to index
//! it: per frame its timestamp, where its captured bytes are, their lengths
//! and a context number (section, interface, link type, timestamp digits),
//! 24 bytes a frame. The index is sorted by time, equal timestamps keeping
//! file order (reordercap's sort is stable too), and [`Ordered`] hands the
//! frames out in that order, numbered 1, 2, ... as in reordercap's output.
//!
//! A plain file's frames are read back at their offsets through a few cached
//! blocks: a merged capture is a few runs in time order, each read forward.
//! A gzip stream has no offsets to read at (no seek points inside a member;
//! inflating it again for every run costs a pass per run), so its frames are
//! held inflated while it is indexed, up to [`MAX_HELD_BYTES`]. Past
//! [`MAX_FRAMES`] frames (or that many bytes of a gzip capture) the capture
//! is read in file order instead, and the caller is told why.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{CaptureError, CaptureReader, Frame};
use crate::time::Timestamp;

/// Most frames sorted: 24 bytes each, 24 MB of index at most (beside the
/// analysis, under 128 MiB on a 1 GB capture: issue 5).
pub const MAX_FRAMES: usize = 1_000_000;

/// Why a capture of more than [`MAX_FRAMES`] frames is read in file order.
pub const TOO_MANY_FRAMES: &str = "provscope puts at most 1000000 frames in time order and \
                                   this capture holds more, so it was read in file order";

/// Most bytes of a gzip capture's frames held in memory to sort them.
pub const MAX_HELD_BYTES: usize = 48 << 20;

/// An entry's `at`: the context number above these bits, the offset below.
const OFF_BITS: u32 = 48;
const OFF_MASK: u64 = (1 << OFF_BITS) - 1;
const MAX_CONTEXTS: usize = 1 << (64 - OFF_BITS);

/// Held gzip frames: chunk number above these bits of an offset, the
/// offset inside the chunk below (a chunk is at most a record long).
const CHUNK_BITS: u32 = 28;
const CHUNK: usize = 1 << 20;

/// Cached blocks of a plain file: enough for as many runs read in turn
/// (a merge of up to 64 captures), 16 MiB at most.
const BLOCK: usize = 256 << 10;
const BLOCKS: usize = 64;

/// Blocks read per frame served above which blocks are dropped before they
/// pay (frames of more runs than blocks, or no runs at all): each frame is
/// then read alone, at its own length, instead of a block per frame.
const MISSES_PER_FRAME: f64 = 0.125;
/// Frames served before that ratio is judged.
const JUDGED_AFTER: u64 = 4096;

/// Index entries gathered per part before they are joined (the joined index
/// is allocated once, at its final length).
const PART: usize = 1 << 16;

/// One frame in the index.
#[derive(Clone, Copy, Debug)]
struct Entry {
    ns: i64,
    /// Context number << OFF_BITS | offset of the captured bytes.
    at: u64,
    caplen: u32,
    orig_len: u32,
}

/// What a frame carries besides its bytes and time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Context {
    section: u32,
    interface: u32,
    linktype: u32,
    digits: u8,
}

/// Where a capture that stepped back in time can be read again.
#[derive(Clone, Debug)]
pub struct Reopen {
    pub(super) path: PathBuf,
    pub(super) ahead: bool,
}

/// A capture opened again: in time order, or in file order and why.
pub enum Reordered {
    TimeOrder(CaptureReader),
    FileOrder(CaptureReader, String),
}

impl Reopen {
    /// Indexes the capture and opens it in time order (or, past the bounds,
    /// in file order with the reason).
    pub fn in_time_order(&self) -> Result<Reordered, CaptureError> {
        let reader = CaptureReader::open_with(&self.path, self.ahead)?;
        let indexed = match reader.compressed() {
            true => index(reader, Bytes::Held(Held::default())),
            false => {
                let file = File::open(&self.path)?;
                index(reader, Bytes::File(Blocks::new(file)))
            }
        };
        match indexed {
            Ok(ordered) => Ok(Reordered::TimeOrder(CaptureReader::ordered(ordered))),
            Err(why) => {
                let again = CaptureReader::open_with(&self.path, self.ahead)?;
                Ok(Reordered::FileOrder(again, why))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The frames of a capture, in time order.
pub(super) struct Ordered {
    entries: Vec<Entry>,
    contexts: Vec<Context>,
    bytes: Bytes,
    /// Frames handed out.
    next: usize,
    /// Numbered blocks without a time (pcapng custom blocks), numbered first.
    untimed: u64,
    /// The file changed under the reader: no frame after the one it lost.
    stopped: bool,
    section: u32,
    /// Frames earlier than the frame before them in the file.
    stepped_back: u64,
    /// The reader of the index walk, at its end: format, warnings, tables.
    pub(super) walked: Box<CaptureReader>,
}

/// Walks `reader` to its end and sorts what it read; Err says why the
/// capture is not sorted.
fn index(mut reader: CaptureReader, mut bytes: Bytes) -> Result<Ordered, String> {
    let mut parts: Vec<Vec<Entry>> = Vec::new();
    let mut contexts: Vec<Context> = Vec::new();
    let mut known = std::collections::HashMap::new();
    let (mut count, mut stepped_back, mut last_ns) = (0usize, 0u64, i64::MIN);
    let end = loop {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break None,
            Err(e) => break Some(e),
        };
        count += 1;
        if count > MAX_FRAMES {
            return Err(TOO_MANY_FRAMES.to_string());
        }
        stepped_back += u64::from(frame.ts.ns < last_ns);
        last_ns = frame.ts.ns;
        let (ns, caplen, orig_len) = (frame.ts.ns, frame.data.len(), frame.orig_len);
        let (interface, linktype, digits) = (frame.interface, frame.linktype, frame.ts.digits);
        let offset = match &mut bytes {
            Bytes::Held(held) => held.keep(frame.data)?,
            Bytes::File(_) => reader.data_offset(),
        };
        let ctx = Context {
            section: reader.section(),
            interface,
            linktype,
            digits,
        };
        let number = match known.get(&ctx) {
            Some(&n) => n,
            None if contexts.len() < MAX_CONTEXTS => {
                contexts.push(ctx);
                known.insert(ctx, contexts.len() - 1);
                contexts.len() - 1
            }
            None => return Err("it has too many interfaces to be put in time order".into()),
        };
        if parts.last().is_none_or(|p| p.len() == PART) {
            parts.push(Vec::with_capacity(PART));
        }
        if let Some(part) = parts.last_mut() {
            part.push(Entry {
                ns,
                at: (number as u64) << OFF_BITS | (offset & OFF_MASK),
                caplen: caplen as u32,
                orig_len,
            });
        }
    };
    // Cut or broken: the frames after that point of the file may belong
    // anywhere in time, so sorted ones would hide where the gap is.
    if let Some(e) = &end {
        return Err(format!(
            "it is cut short or broken ({e}), and the frames it lacks from there on may \
             belong anywhere in time"
        ));
    }
    // Simple Packet Blocks have no time of their own to sort them by
    // (reordercap puts them first, with none): left in file order.
    let untimed_packets = reader.untimed_packets();
    if untimed_packets > 0 {
        return Err(format!(
            "it holds {}, which carry no timestamp to sort them by",
            crate::text::plural(
                untimed_packets as usize,
                "Simple Packet Block",
                "Simple Packet Blocks"
            )
        ));
    }
    // Numbered blocks that are no frames (pcapng custom blocks) have no
    // time: reordercap puts them first, so they take the first numbers.
    let untimed = reader.numbered().saturating_sub(count as u64);
    reader.numbered_in_time_order();
    let mut entries = Vec::with_capacity(count);
    for part in parts {
        entries.extend_from_slice(&part);
    }
    // Offsets grow in file order: with the time they make a stable order.
    entries.sort_unstable_by_key(|e| (e.ns, e.at & OFF_MASK));
    Ok(Ordered {
        entries,
        contexts,
        bytes,
        next: 0,
        untimed,
        stopped: false,
        section: 0,
        stepped_back,
        walked: Box::new(reader),
    })
}

impl Ordered {
    /// The next frame in time order; after the last, the error that ended
    /// the index walk, if one did.
    pub(super) fn next(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let Some(e) = self
            .entries
            .get(self.next)
            .copied()
            .filter(|_| !self.stopped)
        else {
            return Ok(None);
        };
        self.next += 1;
        let ctx = (self.contexts.get((e.at >> OFF_BITS) as usize))
            .copied()
            .unwrap_or_default();
        self.section = ctx.section;
        let at = e.at & OFF_MASK;
        let data = match &mut self.bytes {
            Bytes::File(blocks) => blocks.get(at, e.caplen as usize),
            Bytes::Held(held) => held.get(at, e.caplen as usize),
        };
        let data = match data {
            Ok(d) => d,
            Err(err) => {
                // (The frames handed out are what was read: the count says so.)
                self.next -= 1;
                self.stopped = true;
                return Err(CaptureError::Truncated {
                    offset: at,
                    what: format!(
                        "frame {} read again in time order: the file changed since it was \
                         indexed ({err}: it no longer holds this frame)",
                        self.untimed + self.next as u64 + 1
                    ),
                });
            }
        };
        Ok(Some(Frame {
            number: self.untimed + self.next as u64,
            ts: Timestamp::new(e.ns, ctx.digits),
            linktype: ctx.linktype,
            interface: ctx.interface,
            data,
            orig_len: e.orig_len,
        }))
    }

    /// Frames handed out so far, after the blocks numbered first.
    pub(super) fn frames(&self) -> u64 {
        self.untimed + self.next as u64
    }

    pub(super) fn section(&self) -> u32 {
        self.section
    }

    pub(super) fn stepped_back(&self) -> u64 {
        self.stepped_back
    }
}

/// Where the frames' bytes are read back from.
enum Bytes {
    File(Blocks),
    Held(Held),
}

/// A plain file read at offsets through a few cached blocks, the least
/// recently used replaced.
struct Blocks {
    file: File,
    blocks: Vec<Block>,
    tick: u64,
    /// Blocks read: past [`MISSES_PER_FRAME`], frames are read alone.
    misses: u64,
    alone: bool,
    /// A frame larger than a block, or read alone.
    big: Vec<u8>,
}

struct Block {
    start: u64,
    len: usize,
    data: Vec<u8>,
    used: u64,
}

impl Blocks {
    fn new(file: File) -> Self {
        Blocks {
            file,
            blocks: Vec::new(),
            tick: 0,
            misses: 0,
            alone: false,
            big: Vec::new(),
        }
    }

    /// The `len` bytes at `at`.
    fn get(&mut self, at: u64, len: usize) -> io::Result<&[u8]> {
        self.tick += 1;
        let end = at.saturating_add(len as u64);
        let cached =
            (self.blocks.iter()).position(|b| b.start <= at && end <= b.start + b.len as u64);
        if cached.is_none() {
            self.misses += 1;
            self.alone = self.alone
                || (self.tick >= JUDGED_AFTER
                    && self.misses as f64 > self.tick as f64 * MISSES_PER_FRAME);
        }
        let i = match cached {
            Some(i) => i,
            None if len > BLOCK || self.alone => {
                self.big.resize(len, 0);
                let got = read_at(&mut self.file, &mut self.big, at)?;
                return self.big.get(..len).filter(|_| got == len).ok_or_else(short);
            }
            None if self.blocks.len() < BLOCKS => {
                self.blocks.push(Block {
                    start: 0,
                    len: 0,
                    data: vec![0; BLOCK],
                    used: 0,
                });
                self.blocks.len() - 1
            }
            None => (0..self.blocks.len())
                .min_by_key(|&i| self.blocks.get(i).map_or(0, |b| b.used))
                .unwrap_or(0),
        };
        let tick = self.tick;
        let file = &mut self.file;
        let block = self.blocks.get_mut(i).ok_or_else(short)?;
        if cached.is_none() {
            block.len = 0;
            block.len = read_at(file, &mut block.data, at)?;
            block.start = at;
        }
        block.used = tick;
        let from = (at - block.start) as usize;
        let bytes = block.data.get(from..from + len).unwrap_or(&[]);
        match from + len <= block.len {
            true => Ok(bytes),
            false => Err(short()),
        }
    }
}

fn short() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "it is shorter now")
}

/// Fills `buf` from `at` on, or as much as the file holds; returns how much.
fn read_at(file: &mut File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    file.seek(SeekFrom::Start(at))?;
    let mut got = 0;
    while let Some(room) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match file.read(room) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The frames of a gzip capture, inflated, in chunks of about [`CHUNK`]
/// bytes (a larger frame has a chunk of its own).
#[derive(Default)]
struct Held {
    chunks: Vec<Vec<u8>>,
    bytes: usize,
}

impl Held {
    /// Keeps a frame's bytes; returns its offset (chunk, place in it), or
    /// why the capture is not sorted.
    fn keep(&mut self, data: &[u8]) -> Result<u64, String> {
        // An empty frame takes a byte, so that offsets grow strictly.
        let len = data.len().max(1);
        self.bytes += len;
        if self.bytes > MAX_HELD_BYTES {
            return Err(format!(
                "provscope holds at most {} MiB of a gzip capture's frames to put them in time \
                 order and this one holds more, so it was read in file order (gunzip it: a \
                 plain file is sorted up to {MAX_FRAMES} frames)",
                MAX_HELD_BYTES >> 20
            ));
        }
        let fits = (self.chunks.last()).is_some_and(|c| c.len() + len <= c.capacity());
        if !fits {
            self.chunks.push(Vec::with_capacity(len.max(CHUNK)));
        }
        let n = self.chunks.len() - 1;
        let chunk = self.chunks.last_mut().ok_or("no chunk")?;
        let at = (n as u64) << CHUNK_BITS | chunk.len() as u64;
        chunk.extend_from_slice(data);
        if data.is_empty() {
            chunk.push(0);
        }
        Ok(at)
    }

    fn get(&self, at: u64, len: usize) -> io::Result<&[u8]> {
        let chunk = self.chunks.get((at >> CHUNK_BITS) as usize);
        let from = (at & ((1 << CHUNK_BITS) - 1)) as usize;
        chunk
            .and_then(|c| c.get(from..from + len))
            .ok_or_else(short)
    }
}

#[cfg(test)]
#[path = "ordered_tests.rs"]
mod tests;
