//! Every piece of evidence names a real frame and that frame's own time, on
//! every capture in `captures/` and every shared case (OUTPUT.md: evidence
//! has frame numbers and times; a time must belong to its frame).

mod common;

use std::collections::HashMap;

use common::*;
use provscope::capture::{CaptureReader, Reordered};
use provscope::fact::Body;

/// Each frame's time, numbered in time order as the analysis numbers them
/// when it steps back (else the file's numbers).
fn frame_times(path: &std::path::Path) -> HashMap<u64, String> {
    let r = CaptureReader::open(path).expect("readable");
    let reopen = r
        .reopen()
        .expect("a file")
        .in_time_order()
        .expect("readable");
    let mut r = match reopen {
        Reordered::TimeOrder(sorted) if sorted.stepped_back() > Some(0) => sorted,
        Reordered::TimeOrder(_) => r,
        Reordered::FileOrder(..) => r,
    };
    let mut out = HashMap::new();
    while let Ok(Some(f)) = r.next_frame() {
        out.insert(f.number, f.ts.rfc3339());
    }
    out
}

fn captures() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(project("captures"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    for e in std::fs::read_dir(shared("cases"))
        .unwrap()
        .filter_map(|e| e.ok())
    {
        for f in std::fs::read_dir(e.path())
            .into_iter()
            .flatten()
            .filter_map(|f| f.ok())
        {
            if f.file_name().to_string_lossy().starts_with("capture.") {
                v.push(f.path());
            }
        }
    }
    v.sort();
    v
}

#[test]
fn evidence_frames_and_times_belong_together() {
    let mut checked = 0;
    for path in captures() {
        let times = frame_times(&path);
        let r = run(path.clone());
        // A DNS query's frame proves a query, never an answer (tester44: an
        // NXDOMAIN cited on its query's frame).
        let queries: std::collections::HashSet<u64> = (r.facts.iter())
            .filter(|f| matches!(&f.body, Body::Dns(m) if !m.response))
            .map(|f| f.frame)
            .collect();
        for p in &r.phones {
            for s in &p.stages {
                for e in &s.evidence {
                    let about_query = ["query", "no answer", "not captured", "capture ends"]
                        .iter()
                        .any(|w| e.text.contains(w));
                    assert!(
                        !queries.contains(&e.frame) || about_query,
                        "{}: {} #{} is a DNS query, not \"{}\"",
                        path.display(),
                        s.stage.id(),
                        e.frame,
                        e.text
                    );
                    let want = times.get(&e.frame);
                    let name = path.display();
                    assert!(
                        want.is_some(),
                        "{name}: {} evidence frame {} absent",
                        s.stage.id(),
                        e.frame
                    );
                    assert_eq!(
                        Some(&e.time.rfc3339()),
                        want,
                        "{name}: {} #{} {}",
                        s.stage.id(),
                        e.frame,
                        e.text
                    );
                    checked += 1;
                }
            }
        }
        for f in &r.facts {
            assert_eq!(
                Some(&f.ts.rfc3339()),
                times.get(&f.frame),
                "{}: fact #{}",
                path.display(),
                f.frame
            );
        }
    }
    assert!(checked > 200, "only {checked} evidence lines");
}

/// A TLS 1.2 session resumed (abbreviated handshake) shows no certificate:
/// its ServerHello says so, and a full handshake's does not.
#[test]
fn a_resumed_tls12_session_is_named_on_its_server_hello() {
    let r = run(project("captures/edge-tls12-session-resumed.pcap"));
    let hellos: Vec<String> = (r.phones.iter().flat_map(|p| &p.stages))
        .filter(|s| s.stage.id() == "sbc-tls")
        .flat_map(|s| &s.evidence)
        .filter(|e| e.text.starts_with("ServerHello"))
        .map(|e| e.text.clone())
        .collect();
    assert_eq!(
        hellos,
        [
            "ServerHello TLS 1.2",
            "ServerHello TLS 1.2 (session resumed: no certificate sent)"
        ],
        "{hellos:?}"
    );
}
