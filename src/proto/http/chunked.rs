//! The chunked transfer coding (RFC 9112 section 7.1): a body sent as
//! chunks, each a hexadecimal size line (chunk extensions after `;` are
//! ignored), that many bytes and a line end; a chunk of size 0 ends the
//! body, followed by trailer fields up to an empty line. [`ChunkedBody`]
//! passes over a body given in pieces of any size without keeping it, so
//! the stream can go on with the next head and tell a body the connection
//! cut short. Bare LF line ends are tolerated, as in heads.

/// Longest size or trailer line kept; a longer one is bad framing.
const MAX_LINE: usize = 4096;

/// Where a piece of body bytes left the chunked body.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Every byte belonged to the body; it goes on.
    More,
    /// The body ended; these bytes come after it.
    Done(&'a [u8]),
    /// The bytes break the coding: a size that is no hexadecimal number or
    /// too large, data not followed by a line end, a line over the bound.
    Bad,
}

/// Position inside a chunked body.
#[derive(Debug, Default)]
pub struct ChunkedBody {
    state: State,
    /// The line read so far (size, line end after data, trailer).
    line: Vec<u8>,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    #[default]
    Size,
    /// Passing over this many chunk data bytes.
    Data(u64),
    /// Reading the line end after a chunk's data.
    DataEnd,
    /// Reading trailer lines after the last chunk, up to an empty one.
    Trailer,
}

impl ChunkedBody {
    /// Consumes body bytes.
    pub fn push<'a>(&mut self, mut data: &'a [u8]) -> Progress<'a> {
        loop {
            if let State::Data(left) = self.state {
                let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
                let skip = left.min(len);
                let at = usize::try_from(skip).unwrap_or(data.len());
                data = data.get(at..).unwrap_or_default();
                self.state = match left - skip {
                    0 => State::DataEnd,
                    more => State::Data(more),
                };
            }
            if data.is_empty() {
                return Progress::More;
            }
            let Some(lf) = data.iter().position(|&b| b == b'\n') else {
                self.line.extend_from_slice(data);
                return match self.line.len() > MAX_LINE {
                    true => Progress::Bad,
                    false => Progress::More,
                };
            };
            let (head, rest) = data.split_at(lf);
            self.line.extend_from_slice(head);
            data = rest.get(1..).unwrap_or_default();
            let line = std::mem::take(&mut self.line);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            if line.len() > MAX_LINE {
                return Progress::Bad;
            }
            match self.state {
                State::Size => match chunk_size(line) {
                    Some(0) => self.state = State::Trailer,
                    Some(size) => self.state = State::Data(size),
                    None => return Progress::Bad,
                },
                State::DataEnd if line.is_empty() => self.state = State::Size,
                State::DataEnd => return Progress::Bad,
                State::Trailer if line.is_empty() => {
                    *self = ChunkedBody::default();
                    return Progress::Done(data);
                }
                State::Trailer | State::Data(_) => {}
            }
        }
    }
}

/// The size of a chunk-size line: hexadecimal digits, then optional
/// whitespace and chunk extensions.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let (hex, ext) = line.split_at(digits);
    let ext_ok = ext.is_empty() || matches!(ext.trim_ascii_start().first(), Some(b';') | None);
    if hex.is_empty() || !ext_ok {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_all<'a>(body: &mut ChunkedBody, pieces: &[&'a [u8]]) -> Vec<Progress<'a>> {
        pieces.iter().map(|p| body.push(p)).collect()
    }

    #[test]
    fn a_whole_body_ends_with_the_bytes_after_it() {
        let mut body = ChunkedBody::default();
        let data = b"5;name=v\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nHTTP/1.1";
        assert_eq!(body.push(data), Progress::Done(b"HTTP/1.1"));
    }

    #[test]
    fn split_at_every_byte_it_ends_at_the_last_one() {
        let data = b"3\nabc\n0\n\n";
        let mut body = ChunkedBody::default();
        let pieces: Vec<&[u8]> = data.chunks(1).collect();
        let progress = push_all(&mut body, &pieces);
        let (last, before) = progress.split_last().unwrap();
        assert_eq!(last, &Progress::Done(b""));
        assert!(before.iter().all(|p| *p == Progress::More), "{before:?}");
    }

    #[test]
    fn a_body_cut_before_its_last_chunk_is_not_done() {
        let mut body = ChunkedBody::default();
        assert_eq!(body.push(b"400\r\n<profile>"), Progress::More);
        assert_eq!(body.push(b"more of it"), Progress::More);
        assert_eq!(body.state, State::Data(0x400 - 19));
    }

    #[test]
    fn broken_coding_is_bad() {
        for data in [
            &b"zz\r\n"[..],
            b"5 junk\r\n",
            b"3\r\nabcX\r\n",
            b"11111111111111111\r\n",
        ] {
            assert_eq!(ChunkedBody::default().push(data), Progress::Bad, "{data:?}");
        }
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(ChunkedBody::default().push(&long), Progress::Bad);
    }
}
