//! `--redact` and the capture's path: a SIP user name inside a file or
//! directory name is replaced wherever a non-alphanumeric character bounds
//! it (`.`, `_`, `-`, a space, `/`), with the stand-in the report's words
//! use for the same user (tester123: `alice.pcap` kept its name).

mod common;

use common::provscope_cli as provscope;

#[test]
fn user_names_in_capture_paths_are_redacted_like_the_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::create_dir(d.join("bob")).expect("dir");
    let src = common::project("captures/edge-sip-three-named-lines-one-403.pcap");
    for name in [
        "alice.pcap",
        "carol_trace.pcap",
        "call alice.pcap",
        "bob/alice-carol-bobby.pcap",
    ] {
        let path = d.join(name);
        std::fs::copy(&src, &path).expect("copy");
        let path = path.to_string_lossy().to_string();
        for format in ["table", "json"] {
            let o = provscope(&[&path, "--redact", "-f", format]);
            let out = String::from_utf8_lossy(&o.stdout);
            for user in ["alice", "carol", "/bob/"] {
                assert!(!out.contains(user), "{name} {format}: {user} in {out}");
            }
            // Not a user: a longer word holding one stays.
            if name.contains("bobby") {
                assert!(out.contains("-bobby.pcap"), "{name} {format}: {out}");
            }
        }
        // The path's stand-in is the words' stand-in for that user.
        let o = provscope(&[&path, "--redact"]);
        let out = String::from_utf8_lossy(&o.stdout);
        let line = out
            .lines()
            .find(|l| l.contains("at sip-register"))
            .unwrap_or("");
        let bob = line
            .split("line ")
            .nth(1)
            .and_then(|s| s.split(':').next())
            .unwrap_or("");
        assert!(bob.starts_with("user"), "{line}");
        if name.starts_with("bob/") {
            let o = provscope(&[&path, "--redact", "-f", "json"]);
            let json = String::from_utf8_lossy(&o.stdout);
            assert!(json.contains(&format!("/{bob}/")), "{bob}: {json}");
        }
    }
}
