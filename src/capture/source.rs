//! Buffered byte source: one large buffer, refilled from any `Read`, that the
//! record readers borrow from without copying.
//!
//! The buffer starts at [`BUF_SIZE`] bytes and only grows when a single record
//! is larger than that, never past [`MAX_RECORD`]; once such a record has been
//! handed out the buffer shrinks back. Memory therefore depends on the largest
//! record, not on the length of the capture. No format knowledge lives here.

use std::io::{self, Read};

/// Normal buffer size: large enough that refills cost little per frame.
pub(super) const BUF_SIZE: usize = 1 << 20;

/// Largest record (pcap record or pcapng block) a reader will buffer.
pub(super) const MAX_RECORD: usize = 256 << 20;

/// A sequential byte stream with a window `[pos, end)` of buffered bytes.
pub(super) struct Source {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl Source {
    pub(super) fn new(reader: Box<dyn Read + Send>) -> Self {
        Source {
            reader,
            buf: vec![0; BUF_SIZE],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// Stream offset of the next unread byte.
    pub(super) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
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
            match self.reader.read(spare) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end = (self.end + got).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
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
        self.base = self.base.saturating_add(self.pos as u64);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn trickle(data: Vec<u8>, step: usize) -> Source {
        Source::new(Box::new(Trickle { data, at: 0, step }))
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

    #[test]
    fn take_beyond_buffer_is_empty() {
        let mut src = trickle(vec![1, 2, 3], 3);
        assert!(!src.fill(4).unwrap());
        assert!(src.take(4).is_empty());
        assert_eq!(src.take(3), &[1, 2, 3]);
    }
}
