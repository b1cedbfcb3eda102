//! JUnit carries what the other formats say (tester119): a skipped stage's
//! message is its summary, so "can't tell" reads apart from a stage never
//! seen; a capture cut short says so in its suites' system-out; a capture of
//! no frames was read (exit 0), a skipped test, not an error, as a file cut
//! short is no error either.

mod common;

use common::provscope_cli as provscope;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// The first `n` bytes of the golden healthy.pcap, in a file of a temp dir.
fn healthy_cut(dir: &std::path::Path, name: &str, n: usize) -> String {
    let bytes = std::fs::read(common::project("captures/healthy.pcap")).expect("golden");
    let path = dir.join(name);
    std::fs::write(&path, &bytes[..n]).expect("write");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn a_capture_cut_short_says_so_in_its_suites() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `head -c 3000`: the file ends inside frame 14.
    let cut = healthy_cut(dir.path(), "cut.pcap", 3000);
    let o = provscope(&[&cut, "-f", "junit"]);
    assert_eq!(o.status.code(), Some(0), "a partial report, no failure");
    let out = text(&o.stdout);
    let notes = "<system-out>cut short: partial report\nwarning: capture cut short after frame 13";
    assert!(out.contains(notes), "{out}");
    assert!(out.contains("errors=\"0\""), "{out}");
    // ndjson holds phones only: stderr says it is cut short, as a scan does.
    let o = provscope(&[&cut, "-f", "ndjson"]);
    assert!(
        text(&o.stderr).contains("cut.pcap: capture cut short after frame 13: "),
        "{}",
        text(&o.stderr)
    );
    // A whole capture has nothing to say there.
    let o = provscope(&["captures/healthy.pcap", "-f", "junit"]);
    assert!(!text(&o.stdout).contains("<system-out>"));
}

#[test]
fn a_capture_of_no_frames_is_skipped_not_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = healthy_cut(dir.path(), "header-only.pcap", 24);
    let o = provscope(&[&header, "-f", "junit"]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(out.contains("errors=\"0\""), "{out}");
    assert!(
        out.contains("<skipped message=\"the capture holds no frames\"/>"),
        "{out}"
    );
    // Beside a file not read: only that one is in error.
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, "hello world\n").expect("write");
    let o = provscope(&["scan", dir.path().to_str().expect("utf-8"), "-f", "junit"]);
    let out = text(&o.stdout);
    assert!(
        out.contains("tests=\"2\" failures=\"0\" errors=\"1\""),
        "{out}"
    );
    assert!(out.contains("<error message=\"not read: "), "{out}");
}

#[test]
fn a_skipped_stage_says_cant_tell_or_not_seen() {
    let cap = "captures/edge-dns-answers-on-another-path-snaplen300.pcapng";
    let o = provscope(&[cap, "-f", "junit"]);
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "<skipped message=\"every OFFER/ACK is cut short by the capture&apos;s snaplen: \
             can&apos;t tell\">#4 every OFFER/ACK"
        ),
        "{out}"
    );
    assert!(
        out.contains("<skipped message=\"no profile fetch from a local server\"/>"),
        "{out}"
    );
    assert!(!out.contains("\"not seen\""), "{out}");
    // The snaplen warning is the capture's, in the suite.
    assert!(
        out.contains("warning: 20 frames cut short by the snaplen"),
        "{out}"
    );
}

/// A capture's warnings are said once, in its first phone's suite: in
/// every suite they grew as phones times warnings (tester127: 10,000
/// phones and 39 warnings made 102 MB of JUnit).
#[test]
fn a_captures_warnings_are_said_once_whatever_its_phones() {
    let o = provscope(&[
        "captures/edge-addr-reused-pc-lease-between.pcap",
        "-f",
        "junit",
    ]);
    let out = text(&o.stdout);
    assert_eq!(out.matches("<testsuite ").count(), 3, "{out}");
    assert_eq!(out.matches("<system-out>warning: ").count(), 1, "{out}");
}
