//! Whether a 2xx body is a web page. Its first tag is compared with the
//! tags the WHATWG MIME Sniffing standard (section 7.1) takes as HTML
//! (`<!DOCTYPE HTML`, `<HTML`, `<HEAD`, `<BODY`, `<SCRIPT`, `<TITLE`,
//! `<DIV`...; without case, ended by white space, `>` or `/`), after white
//! space, a UTF-8 byte order mark, and (our own additions, for XHTML and
//! commented pages) an XML declaration and comments. A captive portal or a
//! web server's default page served where a phone expects its profile (XML
//! or plain text) reads this way. A chunked body is read through its chunk
//! framing (RFC 9112 section 7.1), a gzip or deflate one (Content-Encoding)
//! inflated first; one in another coding is not told. At most
//! [`SNIFF_LEN`] body bytes are looked at.

use std::io::Write;

/// Body bytes looked at, at most.
const SNIFF_LEN: usize = 512;

/// Raw bytes (chunk framing included) kept while looking, at most.
const RAW_LEN: usize = 4096;

/// Longest chunk-size line (with extensions) waited for.
const MAX_SIZE_LINE: usize = 64;

/// Tags that open an HTML document and no XML profile (WHATWG MIME
/// Sniffing 7.1, lowercase, without their `<`).
const HTML_TAGS: [&[u8]; 16] = [
    b"!doctype html",
    b"html",
    b"head",
    b"script",
    b"iframe",
    b"h1",
    b"div",
    b"font",
    b"table",
    b"a",
    b"style",
    b"title",
    b"b",
    b"body",
    b"br",
    b"p",
];

/// A body's content coding (RFC 9110 8.4), as far as the sniff goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coding {
    Identity,
    Gzip,
    Deflate,
    /// Another coding (br, compress, several): its bytes tell nothing.
    Unread,
}

impl Coding {
    /// From a Content-Encoding value (`None`: the header is absent).
    pub(super) fn of(value: Option<&str>) -> Self {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Coding::Identity;
        };
        match value.to_ascii_lowercase().as_str() {
            "identity" => Coding::Identity,
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            _ => Coding::Unread,
        }
    }
}

/// The start of one body, gathered until it tells.
#[derive(Debug)]
pub(super) struct BodySniff {
    raw: Vec<u8>,
    chunked: bool,
    coding: Coding,
}

impl BodySniff {
    pub(super) fn new(chunked: bool, coding: Coding) -> Self {
        BodySniff {
            raw: Vec::new(),
            chunked,
            coding,
        }
    }

    /// Takes the body's next bytes: `Some(true)` once they begin an HTML
    /// document, `Some(false)` once they cannot, `None` while undecided.
    pub(super) fn push(&mut self, data: &[u8]) -> Option<bool> {
        let room = RAW_LEN.saturating_sub(self.raw.len());
        let take = data.get(..room.min(data.len())).unwrap_or_default();
        self.raw.extend_from_slice(take);
        let (coded, more) = match self.chunked {
            true => dechunk(&self.raw),
            false => (self.raw.clone(), true),
        };
        let body = match self.coding {
            Coding::Identity => coded,
            Coding::Gzip | Coding::Deflate => inflate(&coded, self.coding),
            Coding::Unread => return Some(false),
        };
        let body = body.get(..SNIFF_LEN.min(body.len())).unwrap_or_default();
        let full = body.len() >= SNIFF_LEN || self.raw.len() >= RAW_LEN || !more;
        match begins_html(body) {
            None if full => Some(false),
            told => told,
        }
    }
}

/// As much of a gzip or deflate (zlib, RFC 9110 8.4.1.2) body as `coded`
/// inflates to (a broken stream: what came before the break).
fn inflate(coded: &[u8], coding: Coding) -> Vec<u8> {
    fn run<W: Write>(mut w: W, coded: &[u8], done: impl FnOnce(W) -> Vec<u8>) -> Vec<u8> {
        // (An error leaves what was inflated before it in the writer.)
        let _ = w.write_all(coded).and_then(|()| w.flush());
        done(w)
    }
    match coding {
        Coding::Gzip => run(flate2::write::GzDecoder::new(Vec::new()), coded, |w| {
            w.get_ref().clone()
        }),
        _ => run(flate2::write::ZlibDecoder::new(Vec::new()), coded, |w| {
            w.get_ref().clone()
        }),
    }
}

/// The data of the chunks in `raw` so far, and whether more may come (no
/// last chunk yet, no broken framing).
fn dechunk(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut rest = raw;
    while out.len() < SNIFF_LEN {
        // (A size line longer than any real one is broken framing.)
        let Some(eol) = rest.iter().position(|&b| b == b'\n') else {
            return (out, rest.len() <= MAX_SIZE_LINE);
        };
        let line = String::from_utf8_lossy(rest.get(..eol).unwrap_or_default());
        let size = line.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size, 16) else {
            return (out, false);
        };
        if size == 0 {
            return (out, false);
        }
        let data = rest.get(eol + 1..).unwrap_or_default();
        let here = data.get(..size.min(data.len())).unwrap_or_default();
        out.extend_from_slice(here);
        if here.len() < size {
            return (out, true);
        }
        // The chunk's data ends with CRLF before the next size line.
        let after = data.get(size..).unwrap_or_default();
        rest = match after {
            [b'\r', b'\n', tail @ ..] | [b'\n', tail @ ..] => tail,
            [] | [b'\r'] => return (out, true),
            _ => return (out, false),
        };
    }
    (out, true)
}

/// Whether `body` begins an HTML document; `None` while more bytes may
/// tell.
fn begins_html(body: &[u8]) -> Option<bool> {
    let mut text = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    loop {
        let first = text.iter().position(|b| !b.is_ascii_whitespace())?;
        text = text.get(first..).unwrap_or_default();
        // An XML declaration or a comment before the first tag.
        let skip = if starts_without_case(text, b"<?xml") {
            find(text, b"?>").map(|at| at + 2)
        } else if text.starts_with(b"<!--") {
            find(text, b"-->").map(|at| at + 3)
        } else {
            break;
        };
        text = text.get(skip?..).unwrap_or_default();
    }
    if text.first() != Some(&b'<') {
        return Some(false);
    }
    let tag = text.get(1..).unwrap_or_default();
    let mut undecided = false;
    for name in HTML_TAGS {
        let n = name.len().min(tag.len());
        if !tag
            .get(..n)
            .unwrap_or_default()
            .eq_ignore_ascii_case(&name[..n])
        {
            continue;
        }
        match tag.get(name.len()) {
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') => return Some(true),
            Some(_) => {}
            None => undecided = true,
        }
    }
    (!undecided).then_some(false)
}

fn starts_without_case(text: &[u8], prefix: &[u8]) -> bool {
    text.get(..prefix.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(prefix))
}

fn find(text: &[u8], what: &[u8]) -> Option<usize> {
    text.windows(what.len()).position(|w| w == what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn told(pieces: &[&[u8]], chunked: bool) -> Option<bool> {
        let mut sniff = BodySniff::new(chunked, Coding::Identity);
        pieces.iter().map(|p| sniff.push(p)).last().flatten()
    }

    #[test]
    fn html_documents_are_told_in_any_case_and_after_white_space() {
        assert_eq!(told(&[b"<!DOCTYPE html>\n<html>"], false), Some(true));
        assert_eq!(told(&[b"\r\n  <HTML lang=en><head>"], false), Some(true));
        assert_eq!(told(&[b"\xef\xbb\xbf<!doctype HTML>"], false), Some(true));
        // More white space than the old 64-byte window, a comment, XHTML.
        let indented = [&[b' '; 200][..], b"<html>"].concat();
        assert_eq!(told(&[&indented], false), Some(true));
        assert_eq!(
            told(&[b"<!-- portal -->\n<!DOCTYPE html>"], false),
            Some(true)
        );
        let xhtml = b"<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML\">";
        assert_eq!(told(&[xhtml], false), Some(true));
        assert_eq!(
            told(&[b"<head><meta http-equiv=refresh>"], false),
            Some(true)
        );
    }

    #[test]
    fn profiles_are_not_pages() {
        let xml = b"<?xml version=\"1.0\"?>\n<flat-profile>";
        assert_eq!(told(&[xml], false), Some(false));
        assert_eq!(told(&[b"<flat-profile>\n<Proxy_1_>"], false), Some(false));
        assert_eq!(
            told(&[b"# SPA profile\nProxy_1_ = sbc"], false),
            Some(false)
        );
        assert_eq!(told(&[b"<!-- <html> -->\n<device>"], false), Some(false));
        // A tag that only begins like an HTML one.
        assert_eq!(told(&[b"<pre-profile>"], false), Some(false));
        assert_eq!(told(&[b"<bodyguard>"], false), Some(false));
    }

    #[test]
    fn a_start_split_over_pieces_waits_for_the_rest() {
        let mut sniff = BodySniff::new(false, Coding::Identity);
        assert_eq!(sniff.push(b"  <!DOC"), None);
        assert_eq!(sniff.push(b"TYPE ht"), None);
        assert_eq!(sniff.push(b"ml>"), Some(true));
        assert_eq!(told(&[b"", b"\n", b"<h", b"tml>"], false), Some(true));
    }

    #[test]
    fn a_chunked_body_is_read_through_its_framing() {
        assert_eq!(told(&[b"1a3;ext=1\r\n<!DOCTYPE html>"], true), Some(true));
        assert_eq!(told(&[b"1a3\r", b"\n<html>"], true), Some(true));
        assert_eq!(told(&[b"40\r\n<flat-profile>"], true), Some(false));
        // Tiny chunks, and a first chunk of only a newline.
        let tiny = b"2\r\n<h\r\n1\r\nt\r\n3\r\nml>\r\n";
        assert_eq!(told(&[tiny], true), Some(true));
        assert_eq!(told(&[b"1\r\n\n\r\n6\r\n<html>\r\n"], true), Some(true));
        // The last chunk before anything tells: no page.
        assert_eq!(told(&[b"0\r\n\r\n"], true), Some(false));
    }

    #[test]
    fn white_space_alone_is_decided_at_the_limit() {
        assert_eq!(told(&[b"    "], false), None);
        assert_eq!(told(&[&[b' '; SNIFF_LEN]], false), Some(false));
        assert_eq!(told(&[&[b'f'; 80]], true), Some(false));
    }

    #[test]
    fn a_compressed_body_is_inflated_first() {
        let gz = |text: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let page = gz(b"<!DOCTYPE html><html><body>Sign in</body></html>");
        let mut sniff = BodySniff::new(false, Coding::Gzip);
        assert_eq!(sniff.push(&page), Some(true));
        // A profile served compressed as text/html (PHP's default type).
        let profile = gz(b"<flat-profile><Proxy_1_>sbc</Proxy_1_></flat-profile>");
        let mut sniff = BodySniff::new(false, Coding::Gzip);
        assert_eq!(sniff.push(&profile), Some(false));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(b"<html>").unwrap();
        let mut sniff = BodySniff::new(false, Coding::Deflate);
        assert_eq!(sniff.push(&z.finish().unwrap()), Some(true));
        assert_eq!(Coding::of(Some("br")), Coding::Unread);
        assert_eq!(
            BodySniff::new(false, Coding::Unread).push(b"<html>"),
            Some(false)
        );
        assert_eq!(Coding::of(Some(" X-GZIP ")), Coding::Gzip);
        assert_eq!(Coding::of(None), Coding::Identity);
    }
}
