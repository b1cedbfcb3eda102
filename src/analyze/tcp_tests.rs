//! The start-of-stream decision: bytes written a few at a time, keep-alive
//! CRLFs, and a start that matches nothing.

use super::*;

const CLIENT: &str = "192.0.2.101:40000";

fn info(server: &str) -> ConnInfo {
    ConnInfo {
        client: CLIENT.parse().unwrap(),
        server: server.parse().unwrap(),
        client_mac: None,
        server_mac: None,
        vlan: None,
        saw_syn: true,
        first_frame: 1,
        first_ts: Timestamp::new(0, 6),
    }
}

/// Feeds `chunks` (from the client when true) with frames 1, 2, ... and
/// returns the facts made and the side's counters.
fn feed(server: &str, chunks: &[(bool, &[u8])]) -> (Vec<Fact>, TcpSide) {
    let mut side = TcpSide::new(8934);
    let (mut st, mut facts) = (ConnState::default(), Vec::new());
    let info = info(server);
    for (i, (from_client, data)) in chunks.iter().enumerate() {
        let ev = TcpEvent::Data {
            from_client: *from_client,
            frame: i as u64 + 1,
            ts: Timestamp::new(i as i64, 6),
            data,
        };
        side.event(&info, &mut st, ev, &mut facts);
    }
    (facts, side)
}

fn sip_frames(facts: &[Fact]) -> Vec<(u64, String)> {
    facts
        .iter()
        .filter_map(|f| match &f.body {
            Body::Sip(m) => Some((f.frame, m.method().unwrap_or_default().to_string())),
            _ => None,
        })
        .collect()
}

const REGISTER: &[u8] = b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.101\r\n\
Call-ID: a@b\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

#[test]
fn a_register_written_a_few_bytes_at_a_time_keeps_its_method() {
    let chunks: Vec<(bool, &[u8])> = REGISTER.chunks(4).map(|c| (true, c)).collect();
    let (facts, side) = feed("198.51.100.20:5060", &chunks);
    // Dated by the frame that completes it, as Wireshark does.
    let last = chunks.len() as u64;
    assert_eq!(sip_frames(&facts), [(last, "REGISTER".to_string())]);
    assert_eq!(side.unrecognised, 0);
}

#[test]
fn keep_alive_crlfs_before_the_first_request_decide_nothing() {
    // A capture that starts on an open connection: pings, pongs, then SIP.
    let mut chunks: Vec<(bool, &[u8])> = Vec::new();
    for _ in 0..5 {
        chunks.push((true, b"\r\n\r\n"));
        chunks.push((false, b"\r\n"));
    }
    chunks.push((true, REGISTER));
    let (facts, _) = feed("198.51.100.20:5062", &chunks);
    assert_eq!(sip_frames(&facts), [(11, "REGISTER".to_string())]);
    // Hours of pings (more than the bytes held while undecided) change nothing.
    let mut chunks: Vec<(bool, &[u8])> = vec![(true, &b"\r\n\r\n"[..]); 2 * MAX_PENDING];
    chunks.push((true, REGISTER));
    let (facts, _) = feed("198.51.100.20:5062", &chunks);
    assert_eq!(sip_frames(&facts).len(), 1);
}

#[test]
fn a_client_hello_sent_one_byte_at_a_time_is_read() {
    // A TLS 1.2 ClientHello record with the SNI extension.
    let name = b"sbc1.example.com";
    let mut sni = vec![0, 0];
    sni.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    sni.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni.extend_from_slice(name);
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[0; 32]);
    hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    hello.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    hello.extend_from_slice(&sni);
    let mut msg = vec![1, 0, (hello.len() >> 8) as u8, hello.len() as u8];
    msg.extend_from_slice(&hello);
    let mut record = vec![22, 3, 1, (msg.len() >> 8) as u8, msg.len() as u8];
    record.extend_from_slice(&msg);
    let chunks: Vec<(bool, &[u8])> = record.chunks(1).map(|c| (true, c)).collect();
    let (facts, _) = feed("198.51.100.20:8934", &chunks);
    let snis: Vec<(u64, Option<String>)> = facts
        .iter()
        .filter_map(|f| match &f.body {
            Body::Tls {
                event: tls::TlsEvent::ClientHello { sni, .. },
                ..
            } => Some((f.frame, sni.clone())),
            _ => None,
        })
        .collect();
    let last = record.len() as u64;
    assert_eq!(snis, [(last, Some("sbc1.example.com".to_string()))]);
}

#[test]
fn a_start_that_matches_nothing_is_counted_once_given_up() {
    let chunks: Vec<(bool, &[u8])> = (0..8).map(|_| (true, &b"\x00\x01binary"[..])).collect();
    let (facts, side) = feed("198.51.100.20:8934", &chunks);
    assert!(facts.is_empty());
    assert_eq!(side.unrecognised, 1);
    // A greeting first, TLS records after it: still read.
    let chunks: Vec<(bool, &[u8])> =
        vec![(false, b"220 ready\r\n"), (true, b"\x17\x03\x03\x00\x01x")];
    let (facts, side) = feed("198.51.100.20:8934", &chunks);
    assert_eq!(facts.len(), 1, "application data fact");
    assert_eq!(side.unrecognised, 0);
}
