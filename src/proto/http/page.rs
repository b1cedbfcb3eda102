//! Whether a 2xx body is a web page: its first bytes begin an HTML document
//! (`<!DOCTYPE html`, `<html`, without case, after white space and a UTF-8
//! byte order mark). A captive portal or a web server's default page served
//! where a phone expects its profile (XML or plain text) reads this way.
//! Only the start is looked at, at most [`SNIFF_LEN`] bytes; a chunked
//! body's first chunk-size line (RFC 9112 section 7.1) is passed over.

/// Body bytes looked at, at most.
const SNIFF_LEN: usize = 64;

/// What begins an HTML document.
const MARKS: [&[u8]; 2] = [b"<!doctype html", b"<html"];

/// The start of one body, gathered until it tells.
#[derive(Debug)]
pub(super) struct BodySniff {
    bytes: Vec<u8>,
    chunked: bool,
}

impl BodySniff {
    pub(super) fn new(chunked: bool) -> Self {
        BodySniff {
            bytes: Vec::new(),
            chunked,
        }
    }

    /// Takes the body's next bytes: `Some(true)` once they begin an HTML
    /// document, `Some(false)` once they cannot, `None` while undecided.
    pub(super) fn push(&mut self, data: &[u8]) -> Option<bool> {
        let room = SNIFF_LEN.saturating_sub(self.bytes.len());
        let take = data.get(..room.min(data.len())).unwrap_or_default();
        self.bytes.extend_from_slice(take);
        let full = self.bytes.len() >= SNIFF_LEN;
        match begins_html(&self.bytes, self.chunked) {
            None if full => Some(false),
            told => told,
        }
    }
}

/// Whether `start` begins an HTML document; `None` while it might.
fn begins_html(start: &[u8], chunked: bool) -> Option<bool> {
    let mut body = start;
    if chunked {
        let eol = body.iter().position(|&b| b == b'\n')?;
        body = body.get(eol + 1..).unwrap_or_default();
    }
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let first = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = body.get(first..).unwrap_or_default();
    for mark in MARKS {
        let n = mark.len().min(text.len());
        let seen = text.get(..n).unwrap_or_default();
        if seen.eq_ignore_ascii_case(mark.get(..n).unwrap_or_default()) {
            // The whole mark, or a part of it that more bytes may complete.
            return (n == mark.len()).then_some(true);
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(pieces: &[&[u8]], chunked: bool) -> Option<bool> {
        let mut sniff = BodySniff::new(chunked);
        pieces.iter().map(|p| sniff.push(p)).last().flatten()
    }

    #[test]
    fn html_documents_are_told_in_any_case_and_after_white_space() {
        assert_eq!(told(&[b"<!DOCTYPE html>\n<html>"], false), Some(true));
        assert_eq!(told(&[b"\r\n  <HTML lang=en><head>"], false), Some(true));
        assert_eq!(told(&[b"\xef\xbb\xbf<!doctype HTML>"], false), Some(true));
    }

    #[test]
    fn profiles_are_not_pages() {
        assert_eq!(
            told(&[b"<?xml version=\"1.0\"?>\n<flat-profile>"], false),
            Some(false)
        );
        assert_eq!(told(&[b"<flat-profile>\n<Proxy_1_>"], false), Some(false));
        assert_eq!(
            told(&[b"# SPA profile\nProxy_1_ = sbc"], false),
            Some(false)
        );
        // An HTML comment first is not told (only the document's start is).
        assert_eq!(told(&[b"<!-- portal --><html>"], false), Some(false));
    }

    #[test]
    fn a_start_split_over_pieces_waits_for_the_rest() {
        let mut sniff = BodySniff::new(false);
        assert_eq!(sniff.push(b"  <!DOC"), None);
        assert_eq!(sniff.push(b"TYPE ht"), None);
        assert_eq!(sniff.push(b"ml>"), Some(true));
        assert_eq!(told(&[b"", b"\n", b"<h", b"tml>"], false), Some(true));
    }

    #[test]
    fn a_chunked_body_is_read_after_its_size_line() {
        assert_eq!(told(&[b"1a3;ext=1\r\n<!DOCTYPE html>"], true), Some(true));
        assert_eq!(told(&[b"1a3\r", b"\n<html>"], true), Some(true));
        assert_eq!(told(&[b"40\r\n<flat-profile>"], true), Some(false));
    }

    #[test]
    fn white_space_alone_is_decided_at_the_limit() {
        assert_eq!(told(&[b"    "], false), None);
        assert_eq!(told(&[&[b' '; SNIFF_LEN]], false), Some(false));
        assert_eq!(told(&[&[b'f'; SNIFF_LEN]], true), Some(false));
    }
}
