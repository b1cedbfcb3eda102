//! Every facts line of every golden capture is one JSON object with each
//! key once: a protocol's field must not repeat a fact's own (tester133: a
//! SIP message cut by the snaplen wrote `"truncated":true` for its frame
//! and then `"truncated":false` for the message; JSON keeps only one).

mod common;

use common::provscope_cli as provscope;

#[test]
fn no_facts_line_of_a_golden_repeats_a_key() {
    let o = provscope(&["scan", "-f", "facts", "captures"]);
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = 0;
    for line in out.lines() {
        lines += 1;
        if let Some(key) = provscope::check::repeated_key(line) {
            panic!("key {key} twice in {line}");
        }
    }
    assert!(lines > 10_000, "{lines} facts lines");
}

#[test]
fn a_sip_message_cut_by_the_snaplen_says_so() {
    let path = "captures/edge-sip-tcp-403-cut-by-snaplen.pcap";
    let o = provscope(&["analyze", "-f", "facts", path]);
    let out = String::from_utf8_lossy(&o.stdout);
    let cut: Vec<_> = (out.lines())
        .filter(|l| l.contains("\"proto\":\"sip\"") && l.contains("cut_by_snaplen"))
        .collect();
    assert!(!cut.is_empty(), "{out}");
    for line in cut {
        assert!(line.contains("\"sip_truncated\":true"), "{line}");
    }
}
