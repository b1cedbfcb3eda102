//! A pass's headline names every stage seen begun and not decided (tester119,
//! shared case 21): a TLS handshake the phone closed before it finished is
//! `not_seen` with evidence, no pass, and "nothing seen after sbc-connect"
//! read as if the phone never tried TLS.

mod common;

use common::provscope_cli as provscope;

#[test]
fn a_pass_headline_names_a_stage_not_seen_to_its_end() {
    let case = common::shared("cases/21-tls-records-span/capture.pcap");
    let case = case.to_str().expect("utf-8");
    let o = provscope(&[case]);
    let out = String::from_utf8_lossy(&o.stdout);
    let head = common::pass_headline(&out);
    assert_eq!(
        head,
        "PASS: every stage seen passed; not seen to its end: sbc-tls (#5-10)"
    );
    // The phone ended the handshake itself (its close_notify after the
    // server's Certificate): said, not "not finished in the capture".
    assert!(
        out.contains(
            "not finished: the phone ended it with close_notify (#10) before its Finished"
        ),
        "{out}"
    );
    let o = provscope(&[case, "-f", "markdown"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("**Not seen to its end:** `sbc-tls` (#5-10)\n"),
        "{out}"
    );
    // A stage before the last one seen keeps "nothing seen after" its end.
    let o = provscope(&["captures/cut-after-sbc-syn.pcap"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("; not seen to its end: sbc-connect (#")
            && out.contains("); nothing seen after sbc-connect\n"),
        "{out}"
    );
}
