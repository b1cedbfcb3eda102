//! Every capture of the shared corpus against capinfos' reading of it
//! (`../shared/corpus/truth/<file>.txt`): packet count, first and last
//! packet time at the precision capinfos prints.

use std::path::{Path, PathBuf};

use provscope::capture::{CaptureError, CaptureReader};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// What capinfos said about one file.
struct Truth {
    packets: u64,
    first: String,
    last: String,
}

fn truth(name: &str) -> Truth {
    let path = Path::new(CORPUS).join("truth").join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&path).unwrap();
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("{name}: no {key}"))
    };
    Truth {
        packets: field("Number of packets:").parse().unwrap(),
        first: field("First packet time:"),
        last: field("Last packet time:"),
    }
}

/// capinfos prints UTC as `YYYY-MM-DD hh:mm:ss.frac`.
fn capinfos_time(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").trim_end_matches('Z').to_string()
}

fn files() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(Path::new(CORPUS).join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    assert!(out.len() >= 40, "corpus has {} files", out.len());
    out
}

#[test]
fn corpus_counts_and_times_match_capinfos() {
    let mut checked = 0;
    for path in files() {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let want = truth(&name);
        let mut reader = match CaptureReader::open(&path) {
            Ok(r) => r,
            Err(CaptureError::UnsupportedFormat { what, .. }) => {
                let expected = match name.as_str() {
                    "sipnab__c07-sip-r2.cap" => "Network Monitor",
                    _ => panic!("{name}: unsupported: {what}"),
                };
                assert!(what.contains(expected), "{name}: {what}");
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        assert_eq!(reader.compressed(), name.ends_with(".gz"), "{name}");
        let mut count = 0u64;
        let mut min = None;
        let mut max = None;
        while let Some(frame) = reader
            .next_frame()
            .unwrap_or_else(|e| panic!("{name}: {e}"))
        {
            count += 1;
            assert_eq!(frame.number, count);
            assert!(frame.data.len() <= 256 << 20);
            let ts = frame.ts;
            if min.is_none_or(|m: provscope::time::Timestamp| ts.ns < m.ns) {
                min = Some(ts);
            }
            if max.is_none_or(|m: provscope::time::Timestamp| ts.ns > m.ns) {
                max = Some(ts);
            }
        }
        assert_eq!(count, want.packets, "{name}: packet count");
        if name == "ppp__pcapng-example.pcapng" {
            // capinfos puts this file's packets in the year 586524 (raw ticks
            // near 2^64 microseconds); an i64 nanosecond clock stops at 2262.
            assert!(
                reader.warnings().iter().any(|w| w.contains("clamped")),
                "{name}"
            );
            checked += 1;
            continue;
        }
        let first = capinfos_time(&min.unwrap().rfc3339());
        let last = capinfos_time(&max.unwrap().rfc3339());
        assert_eq!(first, want.first, "{name}: first packet time");
        assert_eq!(last, want.last, "{name}: last packet time");
        checked += 1;
    }
    assert!(checked >= 40, "checked {checked}");
}

/// `-` reads standard input. The test re-runs itself as a child whose
/// stdin is a gzip-compressed corpus file; the child prints what it read.
#[test]
fn dash_reads_stdin() {
    if std::env::var_os("PROVSCOPE_STDIN_CHILD").is_some() {
        let mut reader = CaptureReader::open(Path::new("-")).unwrap();
        let mut count = 0;
        while reader.next_frame().unwrap().is_some() {
            count += 1;
        }
        println!("STDIN-FRAMES {count} {}", reader.compressed());
        return;
    }
    let name = "zeek__tls-fragmented-handshake.pcap.gz";
    let file = std::fs::File::open(Path::new(CORPUS).join("files").join(name)).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "dash_reads_stdin",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PROVSCOPE_STDIN_CHILD", "1")
        .stdin(file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = format!("STDIN-FRAMES {} true", truth(name).packets);
    assert!(stdout.contains(&want), "child said: {stdout}");
}
