//! A TLS 1.3-offering client whose server chose TLS 1.2 in a flight the
//! capture lost: the client's ChangeCipherSpec reads as the middlebox record
//! of RFC 8446 D.4, and its encrypted Finished after it must be skipped as
//! encrypted, not counted as a malformed handshake message (tester135).

mod common;

use common::provscope_cli as provscope;

#[test]
fn the_finished_after_a_lost_server_flight_is_encrypted_not_malformed() {
    // tester102's real-peer capture with sbc2's ServerHello flight removed.
    let file = "captures/edge-sbc2-server-flight-lost.pcap";
    let o = provscope(&[file, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let capture = &doc["captures"][0];
    assert_eq!(capture["stats"]["undecodable"], 0, "{capture}");
    let warnings = capture["warnings"].as_array().expect("warnings");
    assert!(
        !warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("could not be decoded"))),
        "{capture}"
    );
}
