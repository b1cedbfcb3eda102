//! Buffered byte source: one large buffer, refilled from any `Read`, that the
//! record readers borrow from without copying.
//!
//! The buffer starts at [`BUF_SIZE`] bytes and only grows when a single record
//! is larger than that, never past [`MAX_RECORD`]; once such a record has been
//! handed out the buffer shrinks back. Memory therefore depends on the largest
//! record, not on the length of the capture. No format knowledge lives here.
//!
//! With [`Source::read_ahead`], a helper thread does the reading (the kernel's
//! copy out of the page cache, or gzip inflation) into spare buffers while
//! the frames of the current one are walked: a refill then only swaps
//! buffers, carrying over the few unread bytes of a record cut by the
//! buffer's end into room kept free before the new data. At most
//! [`AHEAD_CHUNKS`] buffers wait filled, so memory stays bounded too.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// Normal buffer size: large enough that refills cost little per frame.
pub(super) const BUF_SIZE: usize = 1 << 20;

/// Largest record (pcap record or pcapng block) a reader will buffer.
pub(super) const MAX_RECORD: usize = 256 << 20;

/// Read-ahead: bytes read per chunk, and the room before them for the unread
/// end of the previous chunk (a record cut in two; larger ones are copied).
const CHUNK: usize = 1 << 20;
const CARRY: usize = 256 << 10;
const CHUNK_LEN: usize = CARRY + CHUNK;
/// Filled chunks waiting for the walk, at most.
const AHEAD_CHUNKS: usize = 2;

/// A sequential byte stream with a window `[pos, end)` of buffered bytes.
pub(super) struct Source {
    input: Input,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`, modulo 2^64: after a buffer swap it may
    /// stand "before" the stream start; `offset` adds `pos` back (wrapping).
    base: u64,
    eof: bool,
    /// The stream failed (corrupt or cut compressed data): every later fill
    /// says so again, so that a reader looking ahead cannot take the
    /// failure for the end.
    failed: Option<(io::ErrorKind, String)>,
}

enum Input {
    /// Read on the caller's thread.
    Direct(Box<dyn Read + Send>),
    /// Read by a helper thread.
    Ahead(Ahead),
}

/// The walk's end of a read-ahead thread.
struct Ahead {
    filled: Receiver<Filled>,
    /// Buffers handed back for the thread to fill again.
    spare: SyncSender<Vec<u8>>,
}

/// What the read-ahead thread sends: a chunk, the end, or an error (after
/// which it stops).
enum Filled {
    /// `buf[CARRY..end]` holds the next bytes of the stream.
    Chunk {
        buf: Vec<u8>,
        end: usize,
    },
    End,
    Failed(io::Error),
}

impl Source {
    /// A source that reads on the caller's thread.
    pub(super) fn new(reader: Box<dyn Read + Send>) -> Self {
        Source {
            input: Input::Direct(reader),
            buf: vec![0; BUF_SIZE],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            failed: None,
        }
    }

    /// A source whose reading runs ahead on its own thread. The thread ends
    /// with the stream, or when the source is dropped.
    pub(super) fn read_ahead(reader: Box<dyn Read + Send>) -> io::Result<Self> {
        let (filled_tx, filled) = mpsc::sync_channel(AHEAD_CHUNKS);
        let (spare, spare_rx) = mpsc::sync_channel(AHEAD_CHUNKS + 2);
        std::thread::Builder::new()
            .name("provscope-read".into())
            .spawn(move || read_chunks(reader, &filled_tx, &spare_rx))?;
        Ok(Source {
            input: Input::Ahead(Ahead { filled, spare }),
            buf: Vec::new(),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            failed: None,
        })
    }

    /// Stream offset of the next unread byte.
    pub(super) fn offset(&self) -> u64 {
        self.base.wrapping_add(self.pos as u64)
    }

    /// The buffered, unread bytes (possibly fewer than a record).
    #[inline]
    pub(super) fn window(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Makes at least `n` unread bytes available. `Ok(false)` means the
    /// stream ended first (the bytes that were there stay buffered).
    /// `n` must be at most [`MAX_RECORD`] plus a small header; callers check.
    #[inline]
    pub(super) fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.pos >= n {
            return Ok(true);
        }
        self.fill_slow(n)
    }

    #[cold]
    fn fill_slow(&mut self, n: usize) -> io::Result<bool> {
        if let Some((kind, what)) = &self.failed {
            return Err(io::Error::new(*kind, what.clone()));
        }
        let filled = match self.input {
            Input::Ahead(_) => self.fill_ahead(n),
            Input::Direct(_) => self.fill_direct(n),
        };
        if let Err(e) = &filled {
            self.failed = Some((e.kind(), e.to_string()));
        }
        filled
    }

    fn fill_direct(&mut self, n: usize) -> io::Result<bool> {
        self.make_room(n);
        while self.end - self.pos < n {
            if self.eof {
                return Ok(false);
            }
            if self.end == self.buf.len() {
                // Grow only as data arrives, so a record that claims to be
                // huge in a short stream costs no more than the stream.
                let len = self.buf.len().saturating_mul(2).min(self.pos + n);
                self.buf.resize(len, 0);
            }
            let Some(spare) = self.buf.get_mut(self.end..) else {
                return Ok(false);
            };
            let Input::Direct(reader) = &mut self.input else {
                return Ok(false);
            };
            match reader.read(spare) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end = (self.end + got).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// `fill` from the read-ahead thread: each chunk takes over (the unread
    /// bytes copied into its carry room), or, while a record larger than the
    /// carry room is being gathered, is appended to the buffer.
    fn fill_ahead(&mut self, n: usize) -> io::Result<bool> {
        while self.end - self.pos < n {
            if self.eof {
                return Ok(false);
            }
            let (chunk, chunk_end) = match self.next_chunk() {
                Filled::Chunk { buf, end } => (buf, end),
                Filled::End => {
                    self.eof = true;
                    continue;
                }
                Filled::Failed(e) => {
                    self.eof = true;
                    return Err(e);
                }
            };
            let unread = self.end - self.pos;
            if unread <= CARRY {
                let mut chunk = chunk;
                let start = CARRY - unread;
                if let (Some(dst), Some(src)) = (
                    chunk.get_mut(start..CARRY),
                    self.buf.get(self.pos..self.end),
                ) {
                    dst.copy_from_slice(src);
                }
                // chunk[start] is the next unread byte.
                self.base = self.offset().wrapping_sub(start as u64);
                self.pos = start;
                self.end = chunk_end;
                let old = std::mem::replace(&mut self.buf, chunk);
                self.recycle(old);
            } else {
                let data = chunk.get(CARRY..chunk_end).unwrap_or_default();
                self.make_room(unread + data.len());
                let grown = self.end + data.len();
                if self.buf.len() < grown {
                    self.buf.resize(grown, 0);
                }
                if let Some(dst) = self.buf.get_mut(self.end..grown) {
                    dst.copy_from_slice(data);
                }
                self.end = grown;
                self.recycle(chunk);
            }
        }
        Ok(true)
    }

    /// The next message of the read-ahead thread (its end if it is gone).
    fn next_chunk(&self) -> Filled {
        match &self.input {
            Input::Ahead(ahead) => ahead.filled.recv().unwrap_or(Filled::End),
            Input::Direct(_) => Filled::End,
        }
    }

    /// Hands a chunk-sized buffer back to the read-ahead thread.
    fn recycle(&self, buf: Vec<u8>) {
        if let (Input::Ahead(ahead), CHUNK_LEN) = (&self.input, buf.len()) {
            let _ = ahead.spare.try_send(buf);
        }
    }

    /// Moves the unread bytes to the front when `n` bytes would not fit
    /// after them, and gives back the memory of an oversized record once a
    /// normal one is wanted.
    fn make_room(&mut self, n: usize) {
        let unread = self.end - self.pos;
        if self.buf.len() > BUF_SIZE && n <= BUF_SIZE {
            // `unread < n`, so the unread bytes fit in a normal buffer.
            let mut fresh = vec![0; BUF_SIZE];
            if let (Some(dst), Some(src)) =
                (fresh.get_mut(..unread), self.buf.get(self.pos..self.end))
            {
                dst.copy_from_slice(src);
            }
            self.buf = fresh;
        } else if self.pos + n > self.buf.len() {
            self.buf.copy_within(self.pos..self.end, 0);
        } else {
            return;
        }
        self.base = self.offset();
        self.pos = 0;
        self.end = unread;
    }

    /// Hands out the next `n` buffered bytes and moves past them. Returns an
    /// empty slice if fewer than `n` are buffered (callers `fill` first).
    #[inline]
    pub(super) fn take(&mut self, n: usize) -> &[u8] {
        let start = self.pos;
        match self.buf.get(start..start.saturating_add(n)) {
            Some(s) if start + n <= self.end => {
                self.pos = start + n;
                s
            }
            _ => &[],
        }
    }

    /// Skips `n` buffered bytes (at most what is buffered).
    #[inline]
    pub(super) fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.end);
    }
}

/// The read-ahead thread: fills chunks until the stream ends, fails, or
/// nobody listens any more.
fn read_chunks(
    mut reader: Box<dyn Read + Send>,
    filled: &SyncSender<Filled>,
    spare: &Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = spare.try_recv().unwrap_or_else(|_| vec![0; CHUNK_LEN]);
        let mut end = CARRY;
        let mut failed = None;
        while end < buf.len() {
            let Some(room) = buf.get_mut(end..) else {
                break;
            };
            match reader.read(room) {
                Ok(0) => break,
                Ok(got) => end = (end + got).min(CHUNK_LEN),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        let full = end == buf.len();
        if end > CARRY && filled.send(Filled::Chunk { buf, end }).is_err() {
            return;
        }
        if let Some(e) = failed {
            let _ = filled.send(Filled::Failed(e));
            return;
        }
        if !full {
            let _ = filled.send(Filled::End);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::tests::Trickle;

    fn trickle(data: Vec<u8>, step: usize) -> Source {
        Source::new(Box::new(Trickle::new(data, step)))
    }

    #[test]
    fn fills_across_short_reads_and_tracks_offset() {
        let mut src = trickle((0..=255u8).collect(), 7);
        assert!(src.fill(100).unwrap());
        assert_eq!(src.take(3), &[0, 1, 2]);
        assert_eq!(src.offset(), 3);
        assert!(src.fill(253).unwrap());
        assert!(!src.fill(254).unwrap());
        src.consume(250);
        assert_eq!(src.window(), &[253, 254, 255]);
        assert_eq!(src.offset(), 253);
    }

    #[test]
    fn grows_for_a_big_record_then_shrinks_back() {
        let len = BUF_SIZE * 3 + 5;
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut src = trickle(data.clone(), 1 << 16);
        src.consume(0);
        assert!(src.fill(10).unwrap());
        src.consume(5);
        assert!(src.fill(BUF_SIZE * 2).unwrap());
        assert!(src.buf.len() >= BUF_SIZE * 2);
        let big = src.take(BUF_SIZE * 2).to_vec();
        assert_eq!(big, data[5..5 + BUF_SIZE * 2]);
        assert!(src.fill(16).unwrap());
        assert_eq!(src.buf.len(), BUF_SIZE);
        assert_eq!(src.offset(), (5 + BUF_SIZE * 2) as u64);
        assert_eq!(src.take(2), &data[5 + BUF_SIZE * 2..7 + BUF_SIZE * 2]);
    }

    #[test]
    fn a_huge_claim_in_a_short_stream_allocates_little() {
        let mut src = trickle(vec![7; 3 * BUF_SIZE], 1 << 20);
        assert!(!src.fill(MAX_RECORD).unwrap());
        assert!(src.buf.len() <= 4 * BUF_SIZE, "grew to {}", src.buf.len());
        assert_eq!(src.window().len(), 3 * BUF_SIZE);
    }

    /// Walks `data` as records of the given lengths (cycled) through a
    /// read-ahead source, checking every byte and offset.
    fn walk_ahead(data: &[u8], step: usize, lens: &[usize]) {
        let reader = Trickle::new(data.to_vec(), step);
        let mut src = Source::read_ahead(Box::new(reader)).unwrap();
        let mut at = 0usize;
        for &len in lens.iter().cycle() {
            if at == data.len() {
                break;
            }
            let want = len.min(data.len() - at);
            assert!(src.fill(want).unwrap(), "fill {want} at {at}");
            assert_eq!(src.offset(), at as u64);
            assert_eq!(src.take(want), &data[at..at + want], "record at {at}");
            at += want;
        }
        assert!(!src.fill(1).unwrap());
        assert_eq!(src.offset(), data.len() as u64);
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i >> 12) as u8)
            .collect()
    }

    #[test]
    fn read_ahead_carries_records_across_chunks() {
        let data = pattern(3 * CHUNK + 12_345);
        walk_ahead(&data, 1 << 16, &[16, 1514, 70, 9000, 3]);
        walk_ahead(&data, 4099, &[CARRY - 1, CARRY, CARRY + 1, 1]);
    }

    #[test]
    fn read_ahead_gathers_records_larger_than_a_chunk() {
        let data = pattern(5 * CHUNK + 7);
        walk_ahead(&data, 1 << 20, &[10, 2 * CHUNK + 3, 100, CHUNK + CARRY + 1]);
        walk_ahead(&data, 1 << 20, &[CHUNK_LEN * 3]);
    }

    #[test]
    fn read_ahead_short_and_empty_streams() {
        walk_ahead(&pattern(10), 3, &[4]);
        walk_ahead(&[], 3, &[4]);
        let mut src = Source::read_ahead(Box::new(io::empty())).unwrap();
        assert!(!src.fill(1).unwrap());
        assert!(src.window().is_empty());
    }

    /// Yields `data`, then fails.
    struct Failing {
        data: Vec<u8>,
        at: usize,
    }

    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "corrupt"));
            }
            let n = out.len().min(self.data.len() - self.at).min(1000);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn read_ahead_error_comes_after_the_bytes_before_it() {
        let data = pattern(CHUNK + 500);
        let mut src = Source::read_ahead(Box::new(Failing {
            data: data.clone(),
            at: 0,
        }))
        .unwrap();
        assert!(src.fill(CHUNK).unwrap());
        assert_eq!(src.take(CHUNK), &data[..CHUNK]);
        let err = src.fill(501).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(src.window(), &data[CHUNK..]);
        // Said again, never taken for the end by a later look.
        let again = src.fill(501).unwrap_err();
        assert_eq!(again.kind(), io::ErrorKind::InvalidData);
        assert!(src.fill(500).unwrap());
    }

    #[test]
    fn take_beyond_buffer_is_empty() {
        let mut src = trickle(vec![1, 2, 3], 3);
        assert!(!src.fill(4).unwrap());
        assert!(src.take(4).is_empty());
        assert_eq!(src.take(3), &[1, 2, 3]);
    }
}
