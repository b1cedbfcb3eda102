//! Small helpers for the sentences provscope writes.

/// "1 request", "3 requests".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A count and the words that agree with it: `agree(1, "record is", "records are")`.
pub fn agree<'a>(n: u64, one: &'a str, many: &'a str) -> (u64, &'a str) {
    (n, if n == 1 { one } else { many })
}

/// The possessive that agrees with a count: "its" for one, "their" for more.
pub fn its(n: u64) -> &'static str {
    if n == 1 {
        "its "
    } else {
        "their "
    }
}

/// Text from a capture or a file name made safe for a terminal and for one
/// line of a report: control characters (an ESC that would start a terminal
/// escape sequence, a line break) and the invisible bidirectional overrides
/// are written as escapes (`\x1b`, `\n`, `\u{202e}`). Unchanged (and not
/// copied) when there is nothing to escape, the usual case.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| c.is_control() || is_bidi_control(c);
    if !text.chars().any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if needs(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The Unicode characters that reorder or break how a line displays:
/// the bidi embeddings, overrides and isolates (U+202A-U+202E,
/// U+2066-U+2069), the marks (U+200E, U+200F, U+061C) and the line and
/// paragraph separators (U+2028, U+2029).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// A file path as provscope names it in reports and messages: its bytes as
/// UTF-8, with each byte that is not UTF-8 written `\xNN`, a backslash as
/// `\\` (two files whose names differ only there keep different names) and
/// control characters escaped as [`printable`] does.
pub fn path_text(path: &std::path::Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            // A backslash is doubled, so that no name reads as another's
            // escape (`a\x01` written out is not the byte 0x01).
            out.push_str(&printable(&chunk.valid().replace('\\', "\\\\")));
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        printable(&path.to_string_lossy()).into_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_and_bidi_overrides_are_escaped() {
        use super::printable;
        assert!(matches!(
            printable("SEP0001 ok"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("SEP\x1b]0;pwn\x07\nYYY"),
            "SEP\\x1b]0;pwn\\x07\\nYYY"
        );
        assert_eq!(printable("a\u{202e}b\tc\u{85}"), "a\\u{202e}b\\tc\\u{85}");
    }

    #[cfg(unix)]
    #[test]
    fn paths_keep_bytes_that_are_not_utf8_apart() {
        use std::os::unix::ffi::OsStrExt;
        let name =
            |b: &[u8]| super::path_text(std::path::Path::new(std::ffi::OsStr::from_bytes(b)));
        assert_eq!(name(b"bad\xffname.pcap"), "bad\\xffname.pcap");
        assert_ne!(name(b"bad\xffname.pcap"), name(b"bad\xfename.pcap"));
        assert_eq!(name(b"new\nline.pcap"), "new\\nline.pcap");
        assert_ne!(name(b"a\\x01.pcap"), name(b"a\x01.pcap"));
        assert_eq!(name("caf\u{e9}.pcap".as_bytes()), "caf\u{e9}.pcap");
    }

    #[test]
    fn one_and_many() {
        assert_eq!(super::plural(1, "phone", "phones"), "1 phone");
        assert_eq!(super::plural(0, "phone", "phones"), "0 phones");
    }

    #[test]
    fn verbs_and_possessives_agree() {
        assert_eq!(
            super::agree(1, "record is", "records are"),
            (1, "record is")
        );
        assert_eq!(
            super::agree(2, "record is", "records are"),
            (2, "records are")
        );
        assert_eq!(super::its(1), "its ");
        assert_eq!(super::its(3), "their ");
    }
}
