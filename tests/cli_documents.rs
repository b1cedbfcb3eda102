//! The command line's documents when little or nothing could be read
//! (tester109): every format still prints a whole document, a capture of no
//! frames says so, what a scan skipped or counted twice is said in every
//! format, and the error lines read alike.

mod common;

use std::path::PathBuf;

use common::provscope_cli as provscope;

fn root() -> PathBuf {
    common::project("")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// healthy.pcap's header and first `n` records.
fn healthy_head(n: usize) -> Vec<u8> {
    let bytes = std::fs::read(root().join("captures/healthy.pcap")).expect("golden");
    let (mut off, mut out) = (24, bytes[..24].to_vec());
    for _ in 0..n {
        let len = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().expect("4")) as usize;
        out.extend_from_slice(&bytes[off..off + 16 + len]);
        off += 16 + len;
    }
    out
}

#[test]
fn nothing_readable_still_prints_a_whole_document_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text_file = dir.path().join("notes.pcap");
    std::fs::write(&text_file, "hello world\n").expect("write");
    let (d, t) = (
        dir.path().to_str().expect("utf-8"),
        text_file.to_str().expect("utf-8"),
    );
    for args in [vec!["scan", d, "-f", "json"], vec![t, "-f", "json"]] {
        let o = provscope(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON document");
        assert_eq!(doc["phones"], serde_json::json!([]), "{args:?}");
        assert!(doc["captures"][0]["format"].is_null(), "{args:?}: {doc}");
    }
    // A directory holding no capture at all is a document too.
    let empty = tempfile::tempdir().expect("tempdir");
    let o = provscope(&["scan", empty.path().to_str().expect("utf-8"), "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON document");
    assert_eq!(doc["captures"], serde_json::json!([]));
    for args in [vec!["scan", d, "-f", "junit"], vec![t, "-f", "junit"]] {
        let o = provscope(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let out = text(&o.stdout);
        assert!(
            out.contains("<testsuites") && out.contains("</testsuites>"),
            "{out}"
        );
        assert!(out.contains("<error message=\"not read: "), "{out}");
    }
    // Markdown names each file not read and why, as no partial report.
    let o = provscope(&["scan", d, "-f", "markdown"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("not read: not a pcap or pcapng capture"),
        "{out}"
    );
    assert!(!out.contains("partial report"), "{out}");
}

#[test]
fn a_capture_of_no_frames_is_said_in_every_format_without_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("header-only.pcap");
    std::fs::write(&empty, healthy_head(0)).expect("write");
    let p = empty.to_str().expect("utf-8");
    let o = provscope(&[p, "-f", "json"]);
    // A file cut short is no error (OUTPUT.md), before its first frame too.
    assert_eq!(o.status.code(), Some(0), "no phone failed");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(doc["captures"][0]["format"], "pcap");
    assert_eq!(
        doc["captures"][0]["warnings"][0],
        "the capture holds no frames"
    );
    for format in ["table", "markdown", "ndjson", "junit", "facts"] {
        let o = provscope(&[p, "-f", format]);
        assert_eq!(o.status.code(), Some(0), "{format}");
        let said = text(&o.stdout) + &text(&o.stderr);
        assert!(
            said.contains("the capture holds no frames"),
            "{format}: {said}"
        );
    }
    // Beside a capture with frames, the exit code follows that one's phones.
    let o = provscope(&[p, "captures/healthy.pcap"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // `check` matches no phones, and says the capture holds no frames.
    let none = dir.path().join("none.json");
    std::fs::write(&none, r#"{"version":1,"phones":[]}"#).expect("write");
    let o = provscope(&["check", p, "--expect", none.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("holds no frames"),
        "{}",
        text(&o.stderr)
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_skipped_as_no_capture_not_an_unreadable_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::copy(root().join("captures/healthy.pcap"), d.join("h.pcap")).expect("copy");
    std::fs::create_dir(d.join("sub")).expect("mkdir");
    std::os::unix::fs::symlink(d, d.join("sub/loop")).expect("symlink");
    let o = provscope(&["scan", d.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(!err.contains("error"), "{err}");
    assert!(
        out.contains("1 capture analysed, 0 unreadable (skipped), 1 symlink loop not followed"),
        "{out}"
    );
    let o = provscope(&["scan", d.to_str().expect("utf-8"), "-f", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(doc["captures"].as_array().map(Vec::len), Some(1), "{doc}");
    assert!(text(&o.stderr).contains("note: 1 symlink loop not followed"));
}

#[test]
fn a_rotating_capture_is_noted_in_every_format_of_scan() {
    let bytes = std::fs::read(root().join("captures/healthy.pcap")).expect("golden");
    let head = healthy_head(30);
    let mut tail = bytes[..24].to_vec();
    tail.extend_from_slice(&bytes[head.len()..]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("part1.pcap"), head).expect("write");
    std::fs::write(dir.path().join("part2.pcap"), tail).expect("write");
    let d = dir.path().to_str().expect("utf-8");
    for format in ["json", "ndjson", "markdown", "junit"] {
        let o = provscope(&["scan", d, "-f", format]);
        let err = text(&o.stderr);
        assert!(
            err.contains("provscope: note: 2 captures from")
                && err.contains("counted more than once"),
            "{format}: {err}"
        );
    }
    // Redacted, the note names the phone as the report does.
    let o = provscope(&["scan", d, "-f", "json", "--redact"]);
    assert!(
        !text(&o.stderr).contains("00:00:5e:00:53:01"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_missing_path_reads_as_an_error_line() {
    let o = provscope(&["captures/healthy.pcap", "no-such-file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("provscope: error: 1 named path not found: exit 2"),
        "{}",
        text(&o.stderr)
    );
}
