//! `scan` of the files of one rotating capture (tester119: `tcpdump -G 3`
//! of one boot failing at sbc-connect): a file holding only the phone's
//! unanswered SYNs passes with no stage seen to its end, which the totals
//! must not count as a pass; and a pause at a file boundary (2.05 s, at the
//! files' regular period of 3 s) does not split the run.

mod common;

use common::provscope_cli as provscope;

/// sbc-drop.pcap (microsecond pcap, little-endian): its header and records.
fn records() -> (Vec<u8>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(common::project("captures/sbc-drop.pcap")).expect("golden");
    let (mut off, mut out) = (24, Vec::new());
    while off + 16 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().expect("4")) as usize;
        out.push(bytes[off..off + 16 + len].to_vec());
        off += 16 + len;
    }
    (bytes[..24].to_vec(), out)
}

/// A capture of the given frames (numbered from 1), each at its time (s).
fn capture(head: &[u8], recs: &[Vec<u8>], frames: &[(usize, f64)]) -> Vec<u8> {
    let mut out = head.to_vec();
    for &(n, at) in frames {
        let mut r = recs[n - 1].clone();
        let us = (at * 1e6).round() as u64 + 1_796_000_000_000_000;
        r[..4].copy_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        r[4..8].copy_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&r);
    }
    out
}

#[test]
fn a_rotation_counts_files_of_bare_syns_apart_and_stays_one_run() {
    let (head, recs) = records();
    let dir = tempfile::tempdir().expect("tempdir");
    // The boot up to the first SYN to the SBC, spread over the first second.
    let boot: Vec<(usize, f64)> = (1..=55).map(|n| (n, n as f64 / 55.0)).collect();
    let files: [(&str, Vec<(usize, f64)>); 4] = [
        ("cap-1.pcap", boot),
        // SYN retries only, a file every 3 s.
        ("cap-2.pcap", vec![(56, 3.0), (57, 4.0)]),
        ("cap-3.pcap", vec![(58, 6.0), (61, 7.0)]),
        // 2.05 s after the last one's end: a pause at the boundary.
        ("cap-4.pcap", vec![(62, 9.05), (63, 9.5)]),
    ];
    for (name, frames) in &files {
        std::fs::write(dir.path().join(name), capture(&head, &recs, frames)).expect("write");
    }
    let o = provscope(&["scan", dir.path().to_str().expect("utf-8")]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("4 phones: 0 fail, 0 warn, 1 pass, 3 can't tell (no stage seen to its end)"),
        "{out}"
    );
    assert!(
        out.contains("      3  (no stage seen to its end)\n"),
        "{out}"
    );
    assert!(out.contains("note: 4 captures from "), "{out}");
}

/// Files of a folder by name, each with its frames and their times.
type Files = Vec<(&'static str, Vec<(usize, f64)>)>;

/// tester131: forty copies of one capture in a folder, one of them stopped
/// after its first frame, were named "2 captures ... follow one another":
/// a file starting at the instant the one before it started is no next
/// file of a rotation. A rotation's files beside a merged copy of them stay
/// one (the phone is still counted in each).
#[test]
fn a_copy_cut_after_its_first_frame_is_no_rotation() {
    let (head, recs) = records();
    let boot: Vec<(usize, f64)> = (1..=55).map(|n| (n, n as f64 / 55.0)).collect();
    let sets: [(Files, bool); 2] = [
        (
            vec![
                ("a-whole.pcap", boot.clone()),
                ("b-cut.pcap", vec![boot[0]]),
                ("c-whole.pcap", boot.clone()),
            ],
            false,
        ),
        (
            vec![
                ("a-merged.pcap", boot.clone()),
                ("b-first.pcap", boot[..27].to_vec()),
                ("c-second.pcap", boot[27..].to_vec()),
            ],
            true,
        ),
    ];
    for (files, rotation) in &sets {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, frames) in files {
            std::fs::write(dir.path().join(name), capture(&head, &recs, frames)).expect("write");
        }
        let o = provscope(&["scan", dir.path().to_str().expect("utf-8")]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("3 captures analysed"), "{out}");
        assert_eq!(out.contains("note: 2 captures from "), *rotation, "{out}");
        assert_eq!(out.contains("b-first.pcap to "), *rotation, "{out}");
    }
}
