//! Captures whose header names the wrong link type (tester131): raw IPv4
//! frames labelled BSD loopback (0), OpenBSD loopback (108) or IPv6-only
//! (229), Ethernet frames labelled raw IP (101, `editcap -T rawip` on an
//! Ethernet capture) or Linux SLL (113). They were "analysed, 0 phones"
//! with exit 0 (the loopback ones with no count and no warning at all):
//! now one error line names the link type, what the frames start with and
//! the `editcap -T` that rewrites the file, and nothing else analysed is 2.
//! A few bad loopback frames among good ones are counted and named.

mod common;

use common::provscope_cli as provscope;

/// healthy.pcap (microsecond pcap, little-endian, Ethernet): its header
/// and its IPv4 frames' records.
fn ipv4_records() -> (Vec<u8>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(common::project("captures/healthy.pcap")).expect("golden");
    let (mut off, mut out) = (24, Vec::new());
    while off + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().expect("4")) as usize;
        let rec = &bytes[off..off + 16 + len];
        if rec[16 + 12..16 + 14] == [0x08, 0x00] {
            out.push(rec.to_vec());
        }
        off += 16 + len;
    }
    (bytes[..24].to_vec(), out)
}

/// A capture on `linktype` of the records, each frame's Ethernet header
/// replaced by `link` (`None`: kept).
fn relinked(linktype: u32, recs: &[Vec<u8>], link: impl Fn(usize) -> Option<Vec<u8>>) -> Vec<u8> {
    let (head, _) = ipv4_records();
    let mut out = head;
    out[20..24].copy_from_slice(&linktype.to_le_bytes());
    for (i, r) in recs.iter().enumerate() {
        let frame = match link(i) {
            Some(l) => [&l[..], &r[16 + 14..]].concat(),
            None => r[16..].to_vec(),
        };
        let orig = u32::from_le_bytes(r[12..16].try_into().expect("4")) as usize;
        let orig = orig - (r.len() - 16) + frame.len();
        out.extend_from_slice(&r[..8]);
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(orig as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: Vec<u8>) -> String {
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).expect("write");
    file.to_str().expect("utf-8 path").to_string()
}

#[test]
fn raw_ipv4_under_another_link_type_is_named_and_not_analysed() {
    let (_, recs) = ipv4_records();
    let n = recs.len();
    let dir = tempfile::tempdir().expect("temp dir");
    for (linktype, name) in [
        (0, "BSD loopback (link type 0)"),
        (108, "OpenBSD loopback (link type 108)"),
        (229, "raw IPv6 (link type 229)"),
        (1, "Ethernet (link type 1)"),
    ] {
        let file = write(
            &dir,
            "raw.pcap",
            relinked(linktype, &recs, |_| Some(Vec::new())),
        );
        let o = provscope(&[&file]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{linktype}: {err}");
        let line = format!("none of its {n} frames could be read as {name}");
        assert!(err.contains(&line), "{err}");
        assert!(
            err.contains("the frames start with an IPv4 header (frame 1: 45 "),
            "{err}"
        );
        assert!(err.contains("`editcap -T rawip IN OUT`"), "{err}");
    }
}

#[test]
fn ethernet_under_raw_ip_or_sll_is_named_and_not_analysed() {
    let (_, recs) = ipv4_records();
    let dir = tempfile::tempdir().expect("temp dir");
    for (linktype, name) in [
        (101, "raw IP (link type 101)"),
        (113, "Linux SLL (link type 113)"),
    ] {
        let file = write(&dir, "eth.pcap", relinked(linktype, &recs, |_| None));
        let o = provscope(&[&file, "--format", "json"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{linktype}: {err}");
        assert!(err.contains(name), "{err}");
        assert!(err.contains("start with an Ethernet header"), "{err}");
        assert!(err.contains("`editcap -T ether IN OUT`"), "{err}");
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(doc["captures"][0]["format"], serde_json::Value::Null);
    }
}

#[test]
fn scan_lists_a_mislabelled_file_as_not_read() {
    let (_, recs) = ipv4_records();
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        &dir,
        "raw-lt0.pcap",
        relinked(0, &recs, |_| Some(Vec::new())),
    );
    let healthy = std::fs::read(common::project("captures/healthy.pcap")).expect("golden");
    write(&dir, "healthy.pcap", healthy);
    let o = provscope(&["scan", dir.path().to_str().expect("utf-8")]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("raw-lt0.pcap  skipped: none of its "), "{out}");
    assert!(
        out.contains("1 capture analysed, 1 unreadable (skipped)"),
        "{out}"
    );
}

#[test]
fn a_few_frames_with_no_loopback_family_are_counted_and_named() {
    let (_, recs) = ipv4_records();
    let dir = tempfile::tempdir().expect("temp dir");
    // AF_INET in the writer's (little-endian) order; frame 3 has none.
    let family = |i: usize| Some(if i == 2 { vec![] } else { vec![2, 0, 0, 0] });
    let file = write(&dir, "null.pcap", relinked(0, &recs, family));
    let o = provscope(&[&file, "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let capture = &doc["captures"][0];
    assert_eq!(capture["stats"]["undecodable"], 1);
    let warning = capture["warnings"][0].as_str().expect("a warning");
    assert!(
        warning.contains(
            "(1 at the link layer: frame 3, on BSD loopback (link type 0), starts 45 00 "
        ) && warning.contains("which looks like an IPv4 header)"),
        "{warning}"
    );
    assert_eq!(doc["phones"].as_array().map(Vec::len), Some(1));
}

/// A zero-length record (tester134: a DHCP DORA followed by 300 of them).
fn empty_record() -> Vec<u8> {
    [[0u8; 8], [0; 8]].concat()
}

#[test]
fn empty_records_are_no_evidence_of_a_wrong_link_type() {
    let (head, recs) = ipv4_records();
    let dir = tempfile::tempdir().expect("temp dir");
    // Four good frames and 300 empty records: the good ones decode, the
    // link type is right; the empty ones are named empty, not "starts ,".
    let mut bytes = head.clone();
    recs.iter().take(4).for_each(|r| bytes.extend_from_slice(r));
    (0..300).for_each(|_| bytes.extend(empty_record()));
    let file = write(&dir, "tail.pcap", bytes);
    let o = provscope(&[&file]);
    let err = String::from_utf8_lossy(&o.stderr);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("wrong link type"), "{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("on Ethernet (link type 1), is empty (0 bytes captured)"),
        "{all}"
    );
    assert!(!all.contains("starts )"), "{all}");
    // Nothing but empty records: said so, not "the header names the wrong
    // link type".
    let mut bytes = head;
    (0..300).for_each(|_| bytes.extend(empty_record()));
    let file = write(&dir, "empty.pcap", bytes);
    let o = provscope(&[&file]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("its 300 records are all empty (0 bytes captured)"),
        "{err}"
    );
    assert!(!err.contains("wrong link type"), "{err}");
}
