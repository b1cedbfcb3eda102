//! The command line end to end: every output format against a golden
//! snapshot, exit codes, `--phone`, `--redact`, `--fail-on`, colour, stdin,
//! `scan` (good, corrupt and non-capture files; thread count) and `check`
//! (match, mismatch with its diff, error).
//!
//! Snapshots live in tests/golden/; `UPDATE_GOLDEN=1 cargo test --test cli`
//! rewrites them after an intended change (review the diff).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::provscope_cli as provscope;

fn root() -> PathBuf {
    common::project("")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", path.display()));
    if want != actual {
        let diff: Vec<String> = want
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  want {a}\n  got  {b}", i + 1))
            .collect();
        panic!("{name} differs from its snapshot:\n{}", diff.join("\n"));
    }
}

#[test]
fn every_format_matches_its_snapshot() {
    let cap = "captures/three-phones.pcapng";
    for (format, file) in [
        ("table", "three-phones.table.txt"),
        ("json", "three-phones.json"),
        ("ndjson", "three-phones.ndjson"),
        ("markdown", "three-phones.md"),
        ("junit", "three-phones.junit.xml"),
    ] {
        let o = provscope(&["analyze", cap, "--format", format, "--color", "never"]);
        assert_eq!(o.status.code(), Some(1), "{format}: a phone fails");
        golden(file, &stdout(&o));
    }
    let o = provscope(&["captures/healthy.pcap", "--format", "facts"]);
    assert_eq!(o.status.code(), Some(0));
    golden("healthy.facts.ndjson", &stdout(&o));
    for line in stdout(&o).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(
            v["frame"].as_u64().is_some() && v["proto"].is_string(),
            "{line}"
        );
    }
}

#[test]
fn json_has_the_contract_shape() {
    let o = provscope(&["captures/three-phones.pcapng", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["version"], 1);
    let c = &v["captures"][0];
    for k in [
        "path",
        "format",
        "compressed",
        "frames",
        "complete",
        "stats",
        "warnings",
    ] {
        assert!(c.get(k).is_some(), "captures[0].{k}");
    }
    for k in ["undecodable", "truncated_by_snaplen", "bounds_hit"] {
        assert!(c["stats"].get(k).is_some(), "stats.{k}");
    }
    let phones = v["phones"].as_array().unwrap();
    assert_eq!(phones.len(), 3);
    for p in phones {
        for k in [
            "id", "capture", "mac", "ips", "hostname", "model", "firmware", "verdict",
        ] {
            assert!(p.get(k).is_some(), "phone.{k}");
        }
        let stages: Vec<&str> = p["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            [
                "dhcp",
                "dhcp-options",
                "local-config",
                "dns-activation",
                "activation",
                "dns-provisioning",
                "provisioning",
                "dns-srv",
                "sbc-connect",
                "sbc-tls",
                "sip-register",
                "ntp"
            ]
        );
    }
    // Phones in order of their first frame.
    let ids: Vec<&str> = phones.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "00:00:5e:00:53:01",
            "00:00:5e:00:53:02",
            "00:00:5e:00:53:03"
        ]
    );
}

#[test]
fn exit_codes_follow_the_verdicts() {
    assert_eq!(provscope(&["captures/healthy.pcap"]).status.code(), Some(0));
    assert_eq!(
        provscope(&["captures/sbc-drop.pcap"]).status.code(),
        Some(1)
    );
    // A recovered phone warns: 0, or 1 with --fail-on warn.
    assert_eq!(
        provscope(&["captures/srv-first-dropped.pcap"])
            .status
            .code(),
        Some(0)
    );
    let o = provscope(&["captures/srv-first-dropped.pcap", "--fail-on", "warn"]);
    assert_eq!(o.status.code(), Some(1));
    let o = provscope(&["captures/no-such-file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-file.pcap"), "{}", stderr(&o));
    // A good capture beside a missing one: reported, and still exit 2.
    let o = provscope(&["captures/healthy.pcap", "captures/no-such-file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("SEP00005E005301"), "{}", stdout(&o));
    assert_eq!(
        provscope(&["analyze", "--bogus-flag", "x"]).status.code(),
        Some(2)
    );
    let o = provscope(&["README.md"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(
        err.contains("README.md") && err.contains("not a pcap"),
        "{err}"
    );
}

#[test]
fn a_capture_with_no_frame_on_a_link_type_it_reads_exits_2() {
    // PPP (link type 9): read, counted, nothing analysable.
    let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    pcap.extend_from_slice(&[0xff, 0xff, 0, 0, 9, 0, 0, 0]);
    for _ in 0..3 {
        pcap.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0]);
        pcap.extend_from_slice(&[0xff, 0x03, 0x00, 0x21]);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ppp.pcap");
    std::fs::write(&file, pcap).expect("write");
    let o = provscope(&[file.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("none of its 3 frames") && err.contains("first: 9"),
        "{err}"
    );
    // Beside a good capture: the good one is reported, the other listed as
    // not read, and the exit follows the phones analysed (OUTPUT.md: 2 only
    // when nothing could be analysed); beside a failing one, 1.
    let o = provscope(&[file.to_str().expect("utf-8 path"), "captures/healthy.pcap"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("PASS"), "{}", stdout(&o));
    assert!(stderr(&o).contains("could not be read"), "{}", stderr(&o));
    let o = provscope(&[
        file.to_str().expect("utf-8 path"),
        "captures/sbc-drop.pcap",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let formats: Vec<&serde_json::Value> = (doc["captures"].as_array().expect("captures"))
        .iter()
        .map(|c| &c["format"])
        .collect();
    assert_eq!(
        formats,
        [&serde_json::json!("pcap"), &serde_json::Value::Null]
    );
    // A path that does not exist is a usage error, whatever else was read.
    let o = provscope(&["captures/healthy.pcap", "captures/no-such-file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not found: exit 2"), "{}", stderr(&o));
    // `check` compares no verdicts of a capture nothing was analysed in,
    // not even against an expectation of no phones.
    let none = dir.path().join("none.json");
    std::fs::write(&none, r#"{"version":1,"phones":[]}"#).expect("write");
    let o = provscope(&[
        "check",
        file.to_str().expect("utf-8 path"),
        "--expect",
        none.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("none of its 3 frames"),
        "{}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains("matches"), "{}", stdout(&o));
}

#[test]
fn phone_filter_redaction_colour_and_stdin() {
    let o = provscope(&[
        "captures/three-phones.pcapng",
        "--phone",
        "00-00-5E-00-53-02",
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["phones"].as_array().unwrap().len(), 1);
    assert_eq!(v["phones"][0]["id"], "00:00:5e:00:53:02");
    let o = provscope(&[
        "captures/three-phones.pcapng",
        "--phone",
        "192.0.2.103",
        "-f",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["phones"][0]["ips"][0], "192.0.2.103");
    // The facts output follows --phone too.
    let facts = |args: &[&str]| stdout(&provscope(args)).lines().count();
    let all = facts(&["captures/three-phones.pcapng", "-f", "facts"]);
    let one = facts(&[
        "captures/three-phones.pcapng",
        "-f",
        "facts",
        "--phone",
        "192.0.2.103",
    ]);
    assert!(one > 0 && one < all, "{one} of {all}");
    // Warnings naming only phones not shown are left out, and counted.
    let cap = "captures/edge-sip-alg-both-sides-two-phones.pcapng";
    let one = stdout(&provscope(&[cap, "--phone", "00:00:5e:00:53:02"]));
    let all = stdout(&provscope(&[cap]));
    assert!(
        all.contains("00:00:5e:00:53:01 and 203.0.113.201 send"),
        "{all}"
    );
    assert!(
        !one.contains("00:00:5e:00:53:01 and 203.0.113.201 send")
            && one.contains("00:00:5e:00:53:02 and 203.0.113.201 send")
            && one.contains("1 warning about phones not shown left out"),
        "{one}"
    );
    // A phone known only inside another's traffic (a Via behind NAT) is
    // pointed to.
    let nat = stdout(&provscope(&[
        "captures/edge-nat-wan-six-phones.pcap",
        "--phone",
        "192.0.2.104",
    ]));
    assert!(
        nat.contains("192.0.2.104 is named inside 100.64.0.1's traffic")
            && nat.contains("try --phone 100.64.0.1"),
        "{nat}"
    );
    // No match: the filter is blamed, not the capture, and its phones
    // named; nothing was analysed for it (a mistyped phone must not pass).
    let o = provscope(&["captures/healthy.pcap", "--phone", "00:11:22:33:44:55"]);
    assert_eq!(o.status.code(), Some(2));
    let none = stdout(&o);
    assert!(
        none.contains("no phone shown: --phone matches none")
            && none.contains("which holds 1 phone: 00:00:5e:00:53:01")
            && !none.contains("no phone found"),
        "{none}"
    );

    let plain = stdout(&provscope(&["captures/healthy.pcap"]));
    let red = stdout(&provscope(&["captures/healthy.pcap", "--redact"]));
    assert!(plain.contains("00:00:5e:00:53:01") && plain.contains("SEP00005E005301"));
    assert!(
        !red.contains("00:00:5e:00:53:01") && !red.contains("SEP00005E005301"),
        "{red}"
    );
    assert!(
        !red.contains("198.51.100.20"),
        "public SBC address redacted: {red}"
    );
    assert!(
        red.contains("02:00:00:00:00:"),
        "consistent stand-in MAC: {red}"
    );
    assert_eq!(
        red,
        stdout(&provscope(&["captures/healthy.pcap", "--redact"])),
        "stable"
    );
    // Addresses that only live in the words (a DNS answer, an AAAA, the DHCP
    // server behind a relay) and the scan summary are redacted too.
    for (args, leak) in [
        (
            &["captures/healthy.pcap", "--redact", "-f", "json"][..],
            "2001:db8:100::10",
        ),
        (
            &["captures/dhcp-relay.pcap", "--redact"][..],
            "203.0.113.66",
        ),
        (
            &["scan", "captures/healthy.pcap", "--redact"][..],
            "SEP00005E005301",
        ),
    ] {
        let red = stdout(&provscope(args));
        assert!(!red.contains(leak) && !red.is_empty(), "{args:?}: {red}");
    }

    assert!(
        !plain.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let coloured = stdout(&provscope(&["captures/sbc-drop.pcap", "--color", "always"]));
    assert!(coloured.contains('\u{1b}'), "--color always colours");

    let file = std::fs::File::open(root().join("captures/healthy.pcap")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_provscope"))
        .args(["-", "--format", "json"])
        .stdin(Stdio::from(file))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["phones"][0]["verdict"], "pass");
}

fn scan_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("site-a")).unwrap();
    for (src, dst) in [
        ("captures/healthy.pcap", "site-a/healthy.pcap"),
        ("captures/sbc-drop.pcap", "sbc-drop.pcap"),
        ("captures/three-phones.pcapng", "site-a/three.bin"),
    ] {
        std::fs::copy(root().join(src), d.join(dst)).unwrap();
    }
    // A pcap header that promises a record and then stops mid-header.
    let mut corrupt = std::fs::read(root().join("captures/healthy.pcap")).unwrap();
    corrupt.truncate(20);
    std::fs::write(d.join("corrupt.pcap"), corrupt).unwrap();
    std::fs::write(d.join("notes.txt"), "not a capture\n").unwrap();
    // A golden capture's expectations beside it: about a capture, not one.
    std::fs::write(d.join("sbc-drop.pcap.expected.json"), "{}\n").unwrap();
    // xz magic: named like a capture, compressed the way provscope does not read.
    std::fs::write(d.join("old.pcap.xz"), b"\xfd7zXZ\x00\x00\x04junk").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d, d.join("site-a/loop")).unwrap();
    // A link to a capture found under its own name too: analysed once.
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("sbc-drop.pcap"), d.join("site-a/drop.pcap")).unwrap();
    // A FIFO named like a capture: named as unreadable, never opened.
    let fifo = std::process::Command::new("mkfifo")
        .arg(d.join("pipe.pcap"))
        .status();
    assert!(fifo.is_ok_and(|s| s.success()), "mkfifo");
    dir
}

#[test]
fn scan_reports_corrupt_files_and_is_the_same_on_any_thread_count() {
    let dir = scan_dir();
    let p = dir.path().to_str().unwrap();
    let one = provscope(&["scan", p, "--jobs", "1", "--format", "json"]);
    let two = provscope(&["scan", p, "--jobs", "2", "--format", "json"]);
    assert_eq!(one.status.code(), Some(1), "phones fail: {}", stderr(&one));
    assert_eq!(
        stdout(&one),
        stdout(&two),
        "same bytes whatever the thread count"
    );
    let v: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    let captures = v["captures"].as_array().unwrap();
    let read = captures.iter().filter(|c| !c["format"].is_null()).count();
    assert_eq!(read, 3, "found by magic, not by name");
    // The files it could not read are in the document too, each with why.
    let not_read: Vec<String> = (captures.iter())
        .filter(|c| c["format"].is_null() && c["complete"] == false && c["frames"] == 0)
        .map(|c| format!("{} {}", c["path"], c["warnings"][0]))
        .collect();
    assert_eq!(not_read.len(), 3, "{not_read:?}");
    for name in ["corrupt.pcap", "old.pcap.xz", "pipe.pcap"] {
        assert!(
            not_read
                .iter()
                .any(|n| n.contains(name) && n.contains("not read: ")),
            "{name}: {not_read:?}"
        );
    }
    assert_eq!(v["phones"].as_array().unwrap().len(), 5);
    let err = stderr(&one);
    assert!(
        err.contains("corrupt.pcap"),
        "the corrupt file is reported: {err}"
    );
    assert!(
        err.contains("old.pcap.xz") && err.contains("xz-compressed"),
        "a capture compressed with xz is named with analyze's reason: {err}"
    );
    assert!(
        !err.contains("notes.txt") && !err.contains("expected.json"),
        "a file not named like a capture is only counted: {err}"
    );
    #[cfg(unix)]
    assert!(
        err.contains("note: 2 other files skipped, 1 symlink loop not followed")
            && !err.contains("symlink loop back"),
        "the loop is counted as skipped, not walked, no unreadable capture: {err}"
    );
    assert!(
        err.contains("pipe.pcap") && err.contains("not a regular file"),
        "a FIFO is named, not read or forgotten: {err}"
    );
    #[cfg(unix)]
    assert!(
        err.contains(
            "note: 2 other files skipped, 1 symlink loop not followed, 1 link to a capture \
             analysed under another name"
        ),
        "what the JSON has no place for is said on stderr: {err}"
    );
    // The capture is analysed under its own name, not the link's.
    assert!(
        captures
            .iter()
            .any(|c| c["path"].as_str().unwrap().ends_with("/sbc-drop.pcap")),
        "{captures:?}"
    );
    let table = provscope(&["scan", p]);
    let out = stdout(&table);
    #[cfg(unix)]
    assert!(
        out.contains(
            "3 captures analysed, 3 unreadable (skipped), 2 other files skipped, 1 symlink loop \
             not followed, 1 link to a capture analysed under another name; 5 phones"
        ),
        "{out}"
    );
    // Overlapping roots: every file counts once.
    let nested = dir.path().join("site-a");
    let twice = provscope(&["scan", p, nested.to_str().unwrap(), p]);
    let summary = |o: &Output| {
        stdout(o)
            .lines()
            .find(|l| l.contains("analysed"))
            .map(String::from)
    };
    assert_eq!(summary(&twice), summary(&table));
    // A file named on the command line that is not a capture: said why,
    // and not counted again with the directory that holds it.
    let notes = dir.path().join("notes.txt");
    let both = provscope(&["scan", p, notes.to_str().unwrap()]);
    #[cfg(unix)]
    assert!(
        stdout(&both).contains("4 unreadable (skipped), 1 other file skipped, 1 symlink loop"),
        "{}",
        stdout(&both)
    );
    let o = provscope(&["scan", notes.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("notes.txt: not a pcap or pcapng capture"),
        "{}",
        stderr(&o)
    );
    assert!(
        out.contains("sbc-connect") && out.contains("dhcp-options"),
        "totals per root cause"
    );
}

#[test]
fn check_matches_mismatches_and_errors() {
    let ok = provscope(&[
        "check",
        "captures/sbc-drop.pcap",
        "--expect",
        "captures/sbc-drop.pcap.expected.json",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("matches"));

    // analyze --format json output is itself a valid expectation.
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.json");
    std::fs::write(
        &full,
        provscope(&["captures/three-phones.pcapng", "-f", "json"]).stdout,
    )
    .unwrap();
    let o = provscope(&[
        "check",
        "captures/three-phones.pcapng",
        "--expect",
        full.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    let text =
        std::fs::read_to_string(root().join("captures/sbc-drop.pcap.expected.json")).unwrap();
    let changed = text.replacen("\"fail\"", "\"pass\"", 1);
    let bad = dir.path().join("changed.json");
    std::fs::write(&bad, changed).unwrap();
    let o = provscope(&[
        "check",
        "captures/sbc-drop.pcap",
        "--expect",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("expected \"pass\", got \"fail\""), "{out}");

    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{not json").unwrap();
    let o = provscope(&[
        "check",
        "captures/sbc-drop.pcap",
        "--expect",
        garbage.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // A key given twice (JSON would keep the second, "pass") is the file's fault.
    let twice = dir.path().join("twice.json");
    let doubled = text.replacen(
        "\"status\": \"fail\"",
        "\"status\": \"fail\", \"status\": \"pass\"",
        1,
    );
    assert_ne!(doubled, text);
    std::fs::write(&twice, doubled).unwrap();
    let o = provscope(&[
        "check",
        "captures/sbc-drop.pcap",
        "--expect",
        twice.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("bad expectation: key phones[0]."),
        "{}",
        stderr(&o)
    );
    // An ndjson output (tester102): said to be phone lines, not the document.
    for (name, phones) in [("one.ndjson", 1), ("two.ndjson", 2)] {
        let nd = stdout(&provscope(&[
            "captures/two-phones-one-wrong-password.pcap",
            "-f",
            "ndjson",
        ]));
        let lines: Vec<&str> = nd.lines().take(phones).collect();
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n")).unwrap();
        let o = provscope(&[
            "check",
            "captures/sbc-drop.pcap",
            "--expect",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        assert!(stderr(&o).contains("--format ndjson"), "{}", stderr(&o));
    }
    // A byte-order mark is skipped; `-` reads the expectation from stdin.
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    let o = provscope(&[
        "check",
        "captures/sbc-drop.pcap",
        "--expect",
        bom.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_provscope"))
        .args(["check", "captures/sbc-drop.pcap", "--expect", "-"])
        .current_dir(root())
        .stdin(Stdio::from(std::fs::File::open(&bad).unwrap()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let missing = Path::new("captures/none.json");
    let o = provscope(&[
        "check",
        "captures/sbc-drop.pcap",
        "--expect",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_output_format_given_as_a_capture_gets_a_hint() {
    let o = provscope(&["facts", "captures/healthy.pcap"]);
    let err = stderr(&o);
    assert!(
        err.contains("facts: cannot read") && err.contains("say --format facts"),
        "{err}"
    );
    // The real capture beside it is still analysed.
    assert!(stdout(&o).contains("healthy.pcap"));
}

#[test]
fn scan_jobs_are_capped_by_the_captures_there_are() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("captures/healthy.pcap"),
        dir.path().join("a.pcap"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let o = provscope(&["scan", dir.path().to_str().unwrap(), "--jobs", "100000"]);
    // A hang guard, not a benchmark: 100000 threads took minutes.
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 capture analysed, 0 unreadable"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn redact_is_refused_for_the_raw_facts() {
    let o = provscope(&["captures/healthy.pcap", "--redact", "-f", "facts"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty(), "nothing unredacted is printed");
    assert!(stderr(&o).contains("--redact does not apply to --format facts"));
}

#[test]
fn flags_before_the_subcommand_and_the_analyse_spelling() {
    let o = provscope(&["--debug", "analyze", "captures/healthy.pcap"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("analyze: cannot read"),
        "{}",
        stderr(&o)
    );
    let o = provscope(&["analyse", "captures/healthy.pcap"]);
    assert!(stdout(&o).contains("healthy.pcap"), "{}", stderr(&o));
    let o = provscope(&["captures"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`provscope scan` reads every capture"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_scan_with_nothing_readable_still_lists_the_files_in_its_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.pcap"), b"").unwrap();
    let o = provscope(&["scan", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "nothing analysed");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &v["captures"][0];
    assert!(c["path"].as_str().unwrap().ends_with("empty.pcap"));
    assert!(c["format"].is_null() && c["complete"] == false, "{c}");
    assert!(c["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("not read: empty file"));
}

#[test]
fn text_from_packets_and_file_names_cannot_drive_the_terminal() {
    // healthy.pcap with its DHCP host name (option 12, 15 bytes) replaced,
    // same length, by an escape sequence that sets the terminal's title,
    // a bell and a line break: anyone on the network can send that.
    let pcap = std::fs::read(root().join("captures/healthy.pcap")).unwrap();
    let (from, to): (&[u8], &[u8]) = (
        b"\x0c\x0fSEP00005E005301",
        b"\x0c\x0fS\x1b]0;pwn\x07\nYYYYY",
    );
    let mut bytes = Vec::new();
    let mut rest = pcap.as_slice();
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        bytes.extend_from_slice(&rest[..at]);
        bytes.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    bytes.extend_from_slice(rest);
    assert_ne!(bytes, pcap, "the host name was found");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inject.pcap");
    std::fs::write(&file, &bytes).unwrap();
    for format in ["table", "markdown"] {
        let o = provscope(&[file.to_str().unwrap(), "-f", format]);
        let out = stdout(&o);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{format}: {out}"
        );
        assert!(out.contains("S\\x1b]0;pwn\\x07\\nYYYYY"), "{format}: {out}");
    }
    // File names: bytes that are not UTF-8 keep two captures apart, and an
    // ESC in a name is written as an escape.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let scan = dir.path().join("scan");
        std::fs::create_dir(&scan).unwrap();
        for (name, src) in [
            (&b"bad\xffname.pcap"[..], "captures/sip-403-udp.pcap"),
            (b"bad\xfename.pcap", "captures/healthy.pcap"),
            (b"esc\x1b[31mred.pcap", "captures/healthy.pcap"),
        ] {
            let to = scan.join(std::ffi::OsStr::from_bytes(name));
            std::fs::copy(root().join(src), to).unwrap();
        }
        let o = provscope(&["scan", scan.to_str().unwrap()]);
        let out = stdout(&o);
        assert!(!out.contains('\u{1b}'), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let at = |name: &str| lines.iter().position(|l| l.contains(name)).expect(name);
        let (ff, fe) = (at("bad\\xffname.pcap"), at("bad\\xfename.pcap"));
        assert!(
            lines[ff + 1].contains("fail") && lines[fe + 1].contains("pass"),
            "{out}"
        );
        assert!(out.contains("esc\\x1b[31mred.pcap"), "{out}");
        // One capture's heading names it whole, escapes and all.
        let one = scan.join(std::ffi::OsStr::from_bytes(b"bad\xffname.pcap"));
        let o = Command::new(env!("CARGO_BIN_EXE_provscope"))
            .arg(&one)
            .output()
            .unwrap();
        assert!(
            stdout(&o).starts_with("bad\\xffname.pcap  pcap"),
            "{}",
            stdout(&o)
        );
        let o = provscope(&["scan", scan.to_str().unwrap(), "-f", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let phones = v["phones"].as_array().unwrap();
        let mut captures: Vec<&str> = phones
            .iter()
            .filter_map(|p| p["capture"].as_str())
            .collect();
        captures.sort();
        captures.dedup();
        assert_eq!(
            captures.len(),
            3,
            "each phone names its own capture: {captures:?}"
        );
    }
}

#[test]
fn a_scans_stderr_is_the_same_whatever_the_thread_count() {
    // Captures cut short: each says where, after the scan, in path order.
    let dir = tempfile::tempdir().unwrap();
    let pcap = std::fs::read(root().join("captures/healthy.pcap")).unwrap();
    for (i, cut) in [9000usize, 5000, 12000, 7000].iter().enumerate() {
        std::fs::write(dir.path().join(format!("cut-{i}.pcap")), &pcap[..*cut]).unwrap();
    }
    let p = dir.path().to_str().unwrap();
    let one = provscope(&["scan", p, "--jobs", "1"]);
    let err = stderr(&one);
    let cut: Vec<&str> = err.lines().filter(|l| l.contains("cut short")).collect();
    assert_eq!(cut.len(), 4, "{err}");
    let mut sorted = cut.clone();
    sorted.sort();
    assert_eq!(cut, sorted, "in path order");
    for _ in 0..3 {
        let two = provscope(&["scan", p, "--jobs", "2"]);
        assert_eq!(stderr(&two), err);
    }
}

/// Splits a classic little-endian pcap into two files at record `at`.
fn split_pcap(bytes: &[u8], at: usize) -> (Vec<u8>, Vec<u8>) {
    let (mut first, mut second) = (bytes[..24].to_vec(), bytes[..24].to_vec());
    let (mut off, mut n) = (24, 0);
    while off + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        let record = &bytes[off..off + 16 + len];
        if n < at { &mut first } else { &mut second }.extend_from_slice(record);
        off += 16 + len;
        n += 1;
    }
    (first, second)
}

#[test]
fn a_rotating_capture_is_noted_only_within_one_directory() {
    let (head, tail) = split_pcap(
        &std::fs::read(root().join("captures/healthy.pcap")).unwrap(),
        30,
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["one", "a", "b"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    std::fs::write(d.join("one/part1.pcap"), &head).unwrap();
    std::fs::write(d.join("one/part2.pcap"), &tail).unwrap();
    let o = provscope(&["scan", d.join("one").to_str().unwrap()]);
    assert!(stdout(&o).contains("rotating capture"), "{}", stdout(&o));
    // The same two files in two directories: unrelated captures.
    std::fs::write(d.join("a/part1.pcap"), &head).unwrap();
    std::fs::write(d.join("b/part2.pcap"), &tail).unwrap();
    let o = provscope(&[
        "scan",
        d.join("a").to_str().unwrap(),
        d.join("b").to_str().unwrap(),
    ]);
    assert!(!stdout(&o).contains("rotating capture"), "{}", stdout(&o));
    assert!(stdout(&o).contains("2 captures analysed"), "{}", stdout(&o));
}

/// `bytes` (a classic little-endian Ethernet pcap) with TCP port `from`
/// made `to` in every IPv4 frame, both ways (checksums are not read).
fn move_tcp_port(bytes: &[u8], from: u16, to: u16) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut off = 24;
    while off + 16 <= out.len() {
        let len = u32::from_le_bytes(out[off + 8..off + 12].try_into().unwrap()) as usize;
        let frame = off + 16;
        let ipv4_tcp = out[frame + 12..frame + 14] == [0x08, 0x00] && out[frame + 23] == 6;
        if ipv4_tcp {
            let tcp = frame + 14 + usize::from(out[frame + 14] & 0x0f) * 4;
            for at in [tcp, tcp + 2] {
                if out[at..at + 2] == from.to_be_bytes() {
                    out[at..at + 2].copy_from_slice(&to.to_be_bytes());
                }
            }
        }
        off = frame + len;
    }
    out
}

#[test]
fn the_sbc_port_flag_moves_the_sbc_stages() {
    // sbc-drop.pcap with the SBC on 5061: the SRV still says 8934, so the
    // port must be given; the dropped SYNs then fail sbc-connect once, and
    // sip-register is not reached (no stage claims them twice).
    let moved = move_tcp_port(
        &std::fs::read(root().join("captures/sbc-drop.pcap")).unwrap(),
        8934,
        5061,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sbc-5061.pcap");
    std::fs::write(&file, moved).unwrap();
    let o = provscope(&[
        file.to_str().unwrap(),
        "--sbc-port",
        "5061",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let phone = &doc["phones"][0];
    assert_eq!(phone["root_cause"], "sbc-connect", "{phone}");
    let status = |id: &str| {
        let stages = phone["stages"].as_array().unwrap();
        let s = stages.iter().find(|s| s["stage"] == id).unwrap();
        (
            s["status"].clone(),
            s["summary"].as_str().unwrap_or_default().to_string(),
        )
    };
    let (connect, summary) = status("sbc-connect");
    assert_eq!(connect, "fail");
    assert!(summary.contains(":5061"), "{summary}");
    assert_eq!(status("sip-register").0, "not_seen");
}

#[test]
fn missing_paths_are_usage_errors_and_unreadable_files_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, "not a capture\n").unwrap();
    let junk = junk.to_str().unwrap();
    // Only an unreadable capture: exit 2, and the JSON still lists it.
    let o = provscope(&[junk, "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(doc["captures"][0]["format"], serde_json::Value::Null);
    // scan: a path that does not exist is a usage error after the report.
    let d = dir.path().to_str().unwrap();
    let missing = dir.path().join("no-such-dir");
    std::fs::copy(
        root().join("captures/healthy.pcap"),
        dir.path().join("h.pcap"),
    )
    .unwrap();
    let o = provscope(&["scan", d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = provscope(&["scan", d, missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("PASS") || stdout(&o).contains("pass"),
        "{}",
        stdout(&o)
    );
}

#[cfg(unix)]
#[test]
fn scan_counts_a_hard_link_once_and_names_a_capture_by_its_own_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("site")).unwrap();
    let real = d.join("site/healthy.pcap");
    std::fs::copy(root().join("captures/healthy.pcap"), &real).unwrap();
    std::fs::hard_link(&real, d.join("site/again.pcap")).unwrap();
    // "alias" sorts before "site": the walk meets the capture there first.
    std::os::unix::fs::symlink(d.join("site"), d.join("alias")).unwrap();
    let out = provscope(&["scan", d.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = (v["captures"].as_array().unwrap().iter())
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(paths.len(), 1, "one file, three names: {paths:?}");
    assert!(!paths[0].contains("/alias/"), "{paths:?}");
    assert_eq!(v["phones"].as_array().unwrap().len(), 1);
    let err = stderr(&out);
    assert!(
        err.contains("3 links to a capture analysed under another name"),
        "{err}"
    );
}

#[test]
fn a_pass_headline_names_the_stages_it_cannot_tell() {
    // The SRV answer's fragments are cut by the snaplen: a pass with dns-srv
    // undecided, not "nothing seen after dns-activation".
    let o = provscope(&["captures/edge-dns-srv-fragments-cut-by-snaplen.pcapng"]);
    let out = stdout(&o);
    let head = common::pass_headline(&out);
    assert_eq!(
        head,
        "PASS: every stage seen passed; can't tell at dns-srv (#3-6); nothing seen after dns-srv"
    );
    let o = provscope(&[
        "captures/edge-dns-srv-fragments-cut-by-snaplen.pcapng",
        "-f",
        "markdown",
    ]);
    assert!(
        stdout(&o).contains("**Can't tell:** `dns-srv` (#3-6)\n"),
        "{}",
        stdout(&o)
    );
    // Nothing undecided: the plain headline.
    let o = provscope(&["captures/healthy.pcap"]);
    let out = stdout(&o);
    assert!(out.contains("PASS: every stage seen passed\n"), "{out}");
    let o = provscope(&["captures/healthy.pcap", "-f", "markdown"]);
    assert!(!stdout(&o).contains("Can't tell"), "{}", stdout(&o));
}

#[test]
fn redact_covers_macs_quoted_from_user_agents() {
    // Real peers (tester54, tester58): the NAT warnings quote the MACs the
    // phones put in their User-Agents; one capture alone must hide them.
    for cap in [
        "captures/edge-sip-alg-two-phones-ua-macs.pcap",
        "captures/edge-nat-one-phone-new-address.pcap",
    ] {
        for format in ["table", "json", "markdown"] {
            let o = provscope(&[cap, "--redact", "-f", format]);
            let out = stdout(&o).to_ascii_lowercase();
            assert!(out.contains("user-agents"), "{cap}: {out}");
            for mac in ["00:00:5e:00:53:0", "00:1e:7a:58:00:09"] {
                assert!(!out.contains(mac), "{cap} {format}: {mac} in {out}");
            }
        }
    }
}

#[test]
fn redact_hides_every_user_of_a_list() {
    // Real peers (tester105): the second and later users of a list ("several
    // SIP users (a, b, c)", "other lines: a, b") were left in clear.
    for format in ["table", "json", "markdown", "junit"] {
        let cap = "captures/edge-sip-three-lines-403-and-404.pcap";
        let out = stdout(&provscope(&[cap, "--redact", "-f", format]));
        assert!(out.contains("user3"), "{format}: {out}");
        for user in ["5301", "5302", "5399"] {
            assert!(!out.contains(user), "{format}: {user} in {out}");
        }
    }
}

#[test]
fn scan_counts_a_gzip_file_that_holds_no_capture_as_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join("captures/healthy.pcap"), d.join("h.pcap")).unwrap();
    std::fs::copy(root().join("captures/fmt-gzip.pcapng.gz"), d.join("g.gz")).unwrap();
    // A rotated log: gzip, but no capture inside.
    let log = std::process::Command::new("gzip")
        .arg("-c")
        .arg(root().join("README.md"))
        .output()
        .expect("gzip");
    std::fs::write(d.join("syslog.1.gz"), log.stdout).unwrap();
    let o = provscope(&["scan", d.to_str().unwrap()]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(
        out.contains("2 captures analysed") && out.contains("1 other file skipped"),
        "{out}"
    );
    assert!(!err.contains("syslog"), "{err}");
    // Named on the command line, it is said why, with the inflated bytes.
    let o = provscope(&[d.join("syslog.1.gz").to_str().unwrap()]);
    assert!(stderr(&o).contains("inside the gzip"), "{}", stderr(&o));
}

#[test]
fn scan_colours_its_verdicts_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join("captures/healthy.pcap"), d.join("h.pcap")).unwrap();
    std::fs::copy(root().join("captures/sbc-drop.pcap"), d.join("s.pcap")).unwrap();
    let o = provscope(&["scan", "--color", "always", d.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        out.contains("\x1b[32mpass\x1b[0m") && out.contains("\x1b[31mfail\x1b[0m"),
        "{out}"
    );
    let o = provscope(&["scan", "--color", "never", d.to_str().unwrap()]);
    assert!(!stdout(&o).contains('\x1b'), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn analyze_takes_one_file_under_several_names_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    let real = d.join("sub/a.pcap");
    std::fs::copy(root().join("captures/healthy.pcap"), &real).unwrap();
    std::fs::hard_link(&real, d.join("hard.pcap")).unwrap();
    std::os::unix::fs::symlink("sub/a.pcap", d.join("sym.pcap")).unwrap();
    let names = ["sym.pcap", "hard.pcap", "sub/a.pcap"].map(|n| d.join(n));
    let args: Vec<&str> = names.iter().map(|p| p.to_str().unwrap()).collect();
    let o = provscope(&[&args[..], &["-f", "json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["captures"].as_array().unwrap().len(), 1);
    assert_eq!(v["phones"].as_array().unwrap().len(), 1);
    let err = stderr(&o);
    assert_eq!(err.matches("the same file as").count(), 2, "{err}");
    assert!(
        err.contains("sym.pcap, analysed once, under that name"),
        "{err}"
    );
}

#[test]
fn a_closed_stderr_is_no_panic() {
    // tester102: `scan DIR 2>&1 | head -5` exited 101 when head had gone.
    let dir = tempfile::tempdir().unwrap();
    let healthy = std::fs::read(root().join("captures/healthy.pcap")).unwrap();
    for n in 0..4 {
        let cut = &healthy[..healthy.len() - 100 - n * 7];
        std::fs::write(dir.path().join(format!("cut{n}.pcap")), cut).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let one = format!("{d}/cut0.pcap");
    for args in [&["scan", d][..], &[one.as_str()][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_provscope"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("provscope runs");
        drop(child.stderr.take());
        let code = child.wait().expect("exits").code();
        assert!(matches!(code, Some(0..=2)), "{args:?}: exit {code:?}");
    }
}

#[test]
fn phone_is_found_by_its_sep_name_and_any_ipv6_notation() {
    // tester105: a phone known by its MAC but with no DHCP host name, and
    // IPv6 written as IOS prints it (upper case) or uncompressed.
    let cap = "captures/edge-sip-three-lines-403-and-404.pcap";
    let o = provscope(&[cap, "--phone", "SEP00005E005301"]);
    assert!(stdout(&o).contains("1 phone"), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
    for ip in ["2001:DB8:1::101", "2001:0db8:0001:0000:0000:0000:0000:0101"] {
        let o = provscope(&["captures/dns-ipv6.pcap", "--phone", ip]);
        assert!(stdout(&o).contains("1 phone"), "{ip}: {}", stderr(&o));
    }
    let o = provscope(&[cap, "--phone", "SEP00005E005302"]);
    assert_eq!(o.status.code(), Some(2));
}
