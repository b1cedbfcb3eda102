use super::nat::{model_number, via_branch, via_count};

#[test]
fn models_are_told_apart_by_their_number() {
    assert_eq!(model_number("CP-8851-3PCC"), "8851");
    assert_eq!(model_number("CP8851"), "8851");
    assert_ne!(model_number("CP-7841-3PCC"), model_number("CP-8851-3PCC"));
    assert_eq!(model_number("Polycom VVX"), "polycom vvx");
}

#[test]
fn the_top_via_branch_is_read() {
    let text = "REGISTER sip:example.com SIP/2.0\r\n\
                Via: SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK-1-0,SIP/2.0/UDP x;branch=b\r\n\
                Via: SIP/2.0/UDP 192.0.2.100;branch=z9hG4bK-old\r\n\
                Call-ID: c1\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n";
    let parsed = crate::proto::sip::parse_datagram(text.as_bytes());
    let Some(Ok(m)) = parsed.into_iter().next() else {
        panic!("a SIP message");
    };
    assert_eq!(via_branch(&m).as_deref(), Some("z9hG4bK-1-0"));
    assert_eq!(via_count(&m), 3);
}
