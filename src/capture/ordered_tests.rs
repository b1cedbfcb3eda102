//! Captures read in time order: sorted stably, numbered anew, context and
//! bytes travelling with each frame, from plain and gzip files alike.

use std::io::Write;

use super::super::tests::{drain, gzip, pcap, Ng, Seen, T0};
use super::super::Format;
use super::*;

/// Writes `bytes` to a temporary file.
fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f.flush().unwrap();
    f
}

/// Opens `bytes` as a file that stepped back, in time order.
fn sorted(bytes: &[u8]) -> (CaptureReader, tempfile::NamedTempFile) {
    let f = file(bytes);
    let reopen = CaptureReader::open(f.path()).unwrap().reopen().unwrap();
    match reopen.in_time_order().unwrap() {
        Reordered::TimeOrder(r) => (r, f),
        Reordered::FileOrder(_, why) => panic!("not sorted: {why}"),
    }
}

/// (number, microseconds after T0, data) of each frame.
fn short(seen: &[Seen]) -> Vec<(u64, i64, Vec<u8>)> {
    let t0 = i64::from(T0) * 1_000_000_000;
    (seen.iter())
        .map(|s| (s.0, (s.1 - t0) / 1000, s.5.clone()))
        .collect()
}

fn five() -> Vec<u8> {
    let recs: [(u32, u32, &[u8], u32); 5] = [
        (T0, 5, b"a", 1),
        (T0, 3, b"b", 1),
        (T0, 5, b"c", 1),
        (T0, 1, b"", 60),
        (T0, 3, b"e", 1),
    ];
    pcap(false, false, 1, &recs)
}

#[test]
fn sorted_stably_and_numbered_as_reordercap_numbers_them() {
    let want = vec![
        (1, 1, b"".to_vec()),
        (2, 3, b"b".to_vec()),
        (3, 3, b"e".to_vec()),
        (4, 5, b"a".to_vec()),
        (5, 5, b"c".to_vec()),
    ];
    for bytes in [five(), gzip(&five())] {
        let (mut r, _f) = sorted(&bytes);
        assert_eq!(r.stepped_back(), Some(2));
        let (seen, err) = drain(&mut r);
        assert!(err.is_none());
        assert_eq!(short(&seen), want);
        assert_eq!(seen[0].6, 60, "orig_len travels with its frame");
        assert_eq!(r.numbered(), 5);
        assert!(r.reopen().is_none(), "sorted once");
    }
}

#[test]
fn a_stream_cannot_be_read_again() {
    let r = CaptureReader::from_reader(Box::new(std::io::Cursor::new(five()))).unwrap();
    assert!(r.reopen().is_none());
    assert!(r.stepped_back().is_none());
}

#[test]
fn interface_link_type_and_digits_travel_with_each_frame() {
    let mut ng = Ng::new();
    ng.shb(false, &[])
        .idb(1, 0, &[])
        .idb(113, 0, &[(9, &[9])])
        .epb(0, 2_000, b"eth late", 8)
        .epb(1, 1_000_000, b"sll early", 9)
        .epb(0, 500, b"eth first", 9);
    for bytes in [ng.out.clone(), gzip(&ng.out)] {
        let (mut r, _f) = sorted(&bytes);
        assert_eq!(r.format(), Format::Pcapng);
        let (seen, err) = drain(&mut r);
        assert!(err.is_none());
        let got: Vec<_> = seen
            .iter()
            .map(|s| (s.0, s.2, s.3, s.4, s.5.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 6, 1, 0, b"eth first".to_vec()),
                (2, 9, 113, 1, b"sll early".to_vec()),
                (3, 6, 1, 0, b"eth late".to_vec()),
            ]
        );
    }
}

#[test]
fn a_cut_capture_is_read_in_file_order_and_says_why() {
    // Frames missing after a cut may belong anywhere in time: sorting the
    // rest would hide where the gap is.
    let mut bytes = five();
    bytes.truncate(bytes.len() - 3);
    let f = file(&bytes);
    let reopen = CaptureReader::open(f.path()).unwrap().reopen().unwrap();
    let Reordered::FileOrder(mut r, why) = reopen.in_time_order().unwrap() else {
        panic!("a cut capture sorted");
    };
    assert!(why.contains("cut short or broken"), "{why}");
    let (seen, err) = drain(&mut r);
    assert_eq!(seen.len(), 4);
    assert!(
        matches!(err, Some(CaptureError::Truncated { .. })),
        "{err:?}"
    );
}

#[test]
fn interleaved_runs_and_frames_larger_than_a_block_read_back_whole() {
    // Two runs in time order, interleaved in time, with a few frames larger
    // than a cached block: every byte comes back.
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]);
    let mut want = vec![Vec::new(); 6000];
    for run in 0..2usize {
        for i in 0..3000usize {
            let mut data = vec![(i % 251) as u8; 200 + i % 700];
            if i % 1000 == 999 {
                data = vec![7; BLOCK * 2 + 3];
            }
            data[0] = run as u8;
            ng.epb(0, (i * 10 + run) as u64, &data, data.len() as u32);
            want[i * 2 + run] = data;
        }
    }
    let (mut r, _f) = sorted(&ng.out);
    let (seen, err) = drain(&mut r);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seen.len(), 6000);
    for (k, s) in seen.iter().enumerate() {
        assert_eq!(s.0, k as u64 + 1);
        assert!(s.5 == want[k], "frame {k}");
    }
}

#[test]
fn many_interleaved_runs_read_each_frame_once_not_a_block_each() {
    // 70 runs interleaved in time (a merge of 70 captures), each longer
    // than a block: more runs than cached blocks. Every frame comes back,
    // and the file is not read a block per frame (that took seconds for 9
    // runs of 1M frames when 8 blocks were cached).
    let mut ng = Ng::new();
    ng.shb(false, &[]).idb(1, 0, &[]);
    let (runs, each) = (70usize, 400usize);
    let mut want = vec![Vec::new(); runs * each];
    for run in 0..runs {
        for i in 0..each {
            let mut data = vec![(i % 251) as u8; 1000];
            data[0] = run as u8;
            ng.epb(0, (i * runs + run) as u64, &data, data.len() as u32);
            want[i * runs + run] = data;
        }
    }
    let (mut r, _f) = sorted(&ng.out);
    let (seen, err) = drain(&mut r);
    assert!(err.is_none(), "{err:?}");
    let got: Vec<Vec<u8>> = seen.iter().map(|s| s.5.clone()).collect();
    assert_eq!(got, want);
    let super::super::Inner::Ordered(o) = &r.inner else {
        panic!("not in time order");
    };
    let Bytes::File(blocks) = &o.bytes else {
        panic!("a plain file");
    };
    assert!(blocks.alone, "frames read alone once blocks stopped paying");
}

#[test]
fn a_file_cut_after_it_was_indexed_stops_at_the_first_frame_it_lost() {
    // Truncated while read back (tester118): the frames handed out are
    // counted, not the index's, and the error names the frame lost.
    let (mut r, f) = sorted(&five());
    let len = std::fs::metadata(f.path()).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(f.path())
        .unwrap()
        .set_len(len - 30)
        .unwrap();
    let (seen, err) = drain(&mut r);
    assert!(seen.len() < 5, "{} frames", seen.len());
    assert_eq!(r.numbered(), seen.len() as u64);
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("no longer holds this frame"), "{text}");
    assert!(r.next_frame().unwrap().is_none());
}
