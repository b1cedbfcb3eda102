//! A gzip file (RFC 1952) as one byte stream: its members one after the
//! other, as `gzip -d` reads them, and whatever follows the last member
//! counted, not taken for a broken member. Bytes after a complete gzip
//! stream (a transfer that padded the file, a log line appended to it) are
//! ignored by gzip with a note; a capture inside is then complete.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::GzDecoder;

use super::magic::GZIP;

/// Inflates member after member; at the end of one, anything but another
/// gzip header (or the end of the file) ends the stream, its length kept in
/// the shared counter for the reader's warnings.
pub(super) struct Members<R: Read> {
    decoder: Option<GzDecoder<Input<R>>>,
    trailing: Arc<AtomicU64>,
}

/// The compressed bytes, buffered, with a look at the next two of them
/// (a member's magic) whatever the buffer's boundary.
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
}

impl<R: Read> Input<R> {
    /// The next `n` (at most the buffer's size) unread bytes, fewer only at
    /// the end of the input.
    fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.end - self.pos < n {
            self.buf.copy_within(self.pos..self.end, 0);
            (self.end, self.pos) = (self.end - self.pos, 0);
            while self.end < n {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => break,
                    Ok(k) => self.end += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.pos..self.end.min(self.pos + n)])
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let have = self.fill_buf()?;
            let n = have.len().min(out.len());
            out[..n].copy_from_slice(&have[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            (self.pos, self.end) = (0, 0);
            loop {
                match self.inner.read(&mut self.buf) {
                    Ok(k) => {
                        self.end = k;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }
}

impl<R: Read> Members<R> {
    /// The stream of `reader` (which starts with a gzip header) and the
    /// counter of the bytes found after its last member.
    pub(super) fn new(reader: R) -> (Self, Arc<AtomicU64>) {
        let trailing = Arc::new(AtomicU64::new(0));
        let input = Input {
            inner: reader,
            buf: vec![0; 1 << 16],
            pos: 0,
            end: 0,
        };
        let decoder = GzDecoder::new(input);
        let members = Members {
            decoder: Some(decoder),
            trailing: Arc::clone(&trailing),
        };
        (members, trailing)
    }
}

impl<R: Read> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member ended: another one, the end, or bytes that are not
            // gzip (counted to the end of the file, not inflated).
            let Some(decoder) = self.decoder.take() else {
                return Ok(0);
            };
            let mut input = decoder.into_inner();
            let next = input.peek(GZIP.len())?;
            if next.is_empty() {
                return Ok(0);
            }
            if next.starts_with(&GZIP) {
                self.decoder = Some(GzDecoder::new(input));
                continue;
            }
            let left = io::copy(&mut input, &mut io::sink())?;
            self.trailing.store(left, Ordering::Relaxed);
            return Ok(0);
        }
    }
}

/// The warning for `n` bytes after the gzip stream (none for 0).
pub(super) fn trailing_warning(n: u64) -> Option<String> {
    (n > 0).then(|| {
        let (n, what) = crate::text::agree(n, "byte follows", "bytes follow");
        format!(
            "{n} {what} the end of the gzip stream: not gzip data, ignored (as `gzip -d` does); \
             the capture inside is complete"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    fn inflate(bytes: Vec<u8>) -> (io::Result<Vec<u8>>, u64) {
        let (mut m, trailing) = Members::new(io::Cursor::new(bytes));
        let mut out = Vec::new();
        let r = m.read_to_end(&mut out).map(|_| out);
        (r, trailing.load(Ordering::Relaxed))
    }

    #[test]
    fn members_are_joined_and_trailing_bytes_counted() {
        let mut two = gzip(b"first ");
        two.extend(gzip(b"second"));
        assert_eq!(inflate(two.clone()).0.unwrap(), b"first second");
        assert_eq!(inflate(two.clone()).1, 0);
        let mut tail = two.clone();
        tail.extend_from_slice(b"garbage!");
        let (out, trailing) = inflate(tail);
        assert_eq!((out.unwrap(), trailing), (b"first second".to_vec(), 8));
        // A member cut short is still an error, not trailing bytes.
        let cut = two[..two.len() - 5].to_vec();
        assert!(inflate(cut).0.is_err());
        // Read a byte at a time: a member's magic split over two reads.
        struct Trickle(io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let (mut m, trailing) = Members::new(Trickle(io::Cursor::new(two)));
        let mut out = Vec::new();
        m.read_to_end(&mut out).unwrap();
        assert_eq!(
            (out, trailing.load(Ordering::Relaxed)),
            (b"first second".to_vec(), 0)
        );
        assert!(trailing_warning(0).is_none());
        assert!(trailing_warning(8).is_some_and(|w| w.starts_with("8 bytes follow")));
    }
}
