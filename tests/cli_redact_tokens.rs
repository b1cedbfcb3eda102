//! `--redact` replaces a SIP user name wherever it stands as a token, in
//! every output format: inside a Call-ID, a reason phrase, a host name
//! (tester133: `Call-ID 5301-febcaee0@...` and "403 Forbidden | see ...
//! 4155550199" kept users that the rest of the report replaced) (the numbers
//! of their own it keeps: `report/redact.rs`'s tests).

mod common;

use common::provscope_cli as provscope;

#[test]
fn user_names_inside_call_ids_and_reason_phrases_are_replaced() {
    let cases = [
        ("captures/t96-sip-tcp-pipeline.pcap", &["5301", "5302"][..]),
        ("captures/sip-reregister-403.pcap", &["5301"][..]),
        (
            "captures/edge-sip-403-reason-names-user.pcap",
            &["4155550199"][..],
        ),
        (
            "captures/edge-sip-401-loop-callid-names-user.pcap",
            &["4155550199"][..],
        ),
    ];
    for (path, users) in cases {
        for format in ["table", "json", "ndjson", "markdown", "junit"] {
            let o = provscope(&[path, "--redact", "-f", format]);
            let out = String::from_utf8_lossy(&o.stdout);
            for user in users {
                assert!(!out.contains(user), "{path} {format}: {user} in {out}");
            }
            if format == "json" {
                assert!(out.contains("user1"), "{path}: {out}");
                let parsed = serde_json::from_str::<serde_json::Value>(&out);
                assert!(parsed.is_ok(), "{path}: {out}");
            }
        }
    }
}
