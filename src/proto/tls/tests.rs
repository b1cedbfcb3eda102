use super::hello::{is_grease, HELLO_RETRY_RANDOM};
use super::x509::{der_hex, escape_value, rfc3339};
use super::*;
use proptest::prelude::*;

fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 3, 3];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    let mut out = vec![msg_type, len[1], len[2], len[3]];
    out.extend_from_slice(body);
    out
}

fn ext(ext_type: u16, data: &[u8]) -> Vec<u8> {
    let mut out = ext_type.to_be_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// ClientHello body: TLS 1.2 legacy version, SNI, supported_versions with
/// a GREASE value first.
fn client_hello_body(sni: &str) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x11; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]);
    body.extend_from_slice(&[1, 0]); // null compression
    let mut names = vec![0];
    names.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    names.extend_from_slice(sni.as_bytes());
    let mut sni_ext = (names.len() as u16).to_be_bytes().to_vec();
    sni_ext.extend(names);
    let mut exts = ext(0, &sni_ext);
    exts.extend(ext(43, &[6, 0x3a, 0x3a, 3, 4, 3, 3]));
    exts.extend(ext(10, &[0, 2, 0, 29]));
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend(exts);
    body
}

/// ServerHello body (TLS 1.2 layout) with an optional supported_versions.
fn server_hello_body(selected: Option<u16>, random: [u8; 32]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&random);
    body.push(0);
    body.extend_from_slice(&[0xc0, 0x2f, 0]);
    if let Some(v) = selected {
        let exts = ext(43, &v.to_be_bytes());
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend(exts);
    }
    body
}

fn feed(stream: &mut TlsStream, bytes: &[u8]) -> Vec<TlsEvent> {
    stream.push(1, bytes).into_iter().map(|(_, e)| e).collect()
}

#[test]
fn alert_names() {
    let names = [
        (0, "close_notify"),
        (10, "unexpected_message"),
        (20, "bad_record_mac"),
        (40, "handshake_failure"),
        (42, "bad_certificate"),
        (45, "certificate_expired"),
        (48, "unknown_ca"),
        (70, "protocol_version"),
        (86, "inappropriate_fallback"),
        (112, "unrecognized_name"),
        (116, "certificate_required"),
        (120, "no_application_protocol"),
    ];
    for (code, name) in names {
        assert_eq!(alert_name(code), name);
    }
    assert_eq!(alert_name(200), "alert_200");
}

#[test]
fn looks_like_tls_cases() {
    assert!(looks_like_tls(&[22, 3, 1, 0, 5]));
    assert!(looks_like_tls(&[23, 3, 3]));
    assert!(!looks_like_tls(&[22, 3, 5, 0, 5]));
    assert!(!looks_like_tls(&[24, 3, 3, 0, 5]));
    assert!(!looks_like_tls(b"GET / HTTP/1.1"));
    assert!(!looks_like_tls(&[22, 3]));
    assert!(looks_like_tls(&[0x80, 0x2e, 1, 3, 1, 0, 0x15]));
    assert!(looks_like_tls(&[0x80, 0x2e, 1, 0, 2]));
    assert!(!looks_like_tls(&[0x80, 0x2e, 2, 3, 1]));
}

#[test]
fn client_hello_fields() {
    let bytes = record(22, &handshake(1, &client_hello_body("SBC1.example.com")));
    let events = feed(&mut TlsStream::default(), &bytes);
    assert_eq!(
        events,
        vec![TlsEvent::ClientHello {
            legacy_version: 0x0303,
            versions: vec![0x0304, 0x0303],
            sni: Some("SBC1.example.com".into()),
            sslv2_compat: false,
        }]
    );
}

/// The same flight gives the same events wherever the TCP segments and
/// the records are cut.
#[test]
fn any_segmentation_and_record_split() {
    let mut messages = handshake(2, &server_hello_body(None, [7; 32]));
    messages.extend(handshake(13, &[1, 1, 0, 0, 0, 0]));
    messages.extend(handshake(14, &[]));
    let expected = vec![
        TlsEvent::ServerHello {
            legacy_version: 0x0303,
            selected_version: 0x0303,
        },
        TlsEvent::Handshake { msg_type: 13 },
        TlsEvent::ServerHelloDone,
    ];
    for record_cut in 1..messages.len() {
        let mut bytes = record(22, &messages[..record_cut]);
        bytes.extend(record(22, &messages[record_cut..]));
        for seg_cut in 0..=bytes.len() {
            let mut s = TlsStream::default();
            let mut events = feed(&mut s, &bytes[..seg_cut]);
            events.extend(feed(&mut s, &bytes[seg_cut..]));
            assert_eq!(
                events, expected,
                "record cut {record_cut}, segment cut {seg_cut}"
            );
            assert!(s.buf.is_empty() && s.handshake.is_empty());
        }
    }
}

#[test]
fn event_frame_is_the_completing_one() {
    let bytes = record(22, &handshake(1, &client_hello_body("a.example")));
    let mut s = TlsStream::default();
    assert!(s.push(4, &bytes[..10]).is_empty());
    let events = s.push(5, &bytes[10..]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, 5);
}

#[test]
fn alerts_plaintext_only_before_ccs() {
    let mut s = TlsStream::default();
    let mut bytes = record(21, &[1, 112]);
    bytes.extend(record(21, &[2, 40, 0]));
    bytes.extend(record(21, &[3, 40]));
    bytes.extend(record(20, &[1]));
    bytes.extend(record(21, &[2, 48]));
    bytes.extend(record(21, &[0x5a; 26]));
    let events = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![
            TlsEvent::Alert {
                level: 1,
                description: 112
            },
            TlsEvent::EncryptedAlert,
            TlsEvent::EncryptedAlert,
            TlsEvent::ChangeCipherSpec,
            TlsEvent::EncryptedAlert,
            TlsEvent::EncryptedAlert,
        ]
    );
}

#[test]
fn handshake_after_ccs_is_encrypted_and_app_data_reported_once() {
    let mut s = TlsStream::default();
    feed(
        &mut s,
        &record(22, &handshake(1, &client_hello_body("x.example"))),
    );
    // The server chose TLS 1.2: the client's ChangeCipherSpec changes keys.
    s.peer_selected(0x0303);
    let mut bytes = record(20, &[1]);
    assert!(!s.done());
    // An "encrypted Finished" that would parse as a ClientHello header.
    bytes.extend(record(22, &handshake(1, &[0xaa; 40])));
    bytes.extend(record(23, &[1; 30]));
    bytes.extend(record(23, &[2; 30]));
    let events = feed(&mut s, &bytes);
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], TlsEvent::ChangeCipherSpec);
    assert_eq!(events[1], TlsEvent::ApplicationData);
    assert!(s.done());
}

/// RFC 8446 D.4: the ChangeCipherSpec records of a TLS 1.3 handshake are
/// for middleboxes; what follows them is still in the clear (a
/// HelloRetryRequest's second ClientHello, the real ServerHello, and a
/// phone's plaintext alert).
#[test]
fn tls13_compatibility_change_cipher_spec_changes_nothing() {
    let mut server = TlsStream::default();
    let mut bytes = record(
        22,
        &handshake(2, &server_hello_body(Some(0x0304), HELLO_RETRY_RANDOM)),
    );
    bytes.extend(record(20, &[1]));
    bytes.extend(record(
        22,
        &handshake(2, &server_hello_body(Some(0x0304), [1; 32])),
    ));
    let events = feed(&mut server, &bytes);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(
        events[1],
        TlsEvent::ServerHello {
            selected_version: 0x0304,
            ..
        }
    ));

    let mut client = TlsStream::default();
    feed(
        &mut client,
        &record(22, &handshake(1, &client_hello_body("x.example"))),
    );
    client.peer_selected(0x0304);
    let mut bytes = record(20, &[1]);
    bytes.extend(record(22, &handshake(1, &client_hello_body("x.example"))));
    bytes.extend(record(21, &[2, 48]));
    let events = feed(&mut client, &bytes);
    assert!(
        matches!(events[0], TlsEvent::ClientHello { .. }),
        "{events:?}"
    );
    assert_eq!(
        events[1],
        TlsEvent::Alert {
            level: 2,
            description: 48
        }
    );
    assert!(!events.contains(&TlsEvent::ChangeCipherSpec));

    // A client that offered TLS 1.3 sends the compatibility record before
    // any answer; offered 1.3 but given 1.2, its ChangeCipherSpec is real.
    let mut early = TlsStream::default();
    let mut bytes = record(22, &handshake(1, &client_hello_body("x.example")));
    bytes.extend(record(20, &[1]));
    bytes.extend(record(21, &[1, 0]));
    let events = feed(&mut early, &bytes);
    assert_eq!(
        events[1],
        TlsEvent::Alert {
            level: 1,
            description: 0
        },
        "{events:?}"
    );
    let mut older = TlsStream::default();
    feed(
        &mut older,
        &record(22, &handshake(1, &client_hello_body("x.example"))),
    );
    older.peer_selected(0x0303);
    let events = feed(
        &mut older,
        &[record(20, &[1]), record(21, &[1, 0])].concat(),
    );
    assert_eq!(
        events,
        vec![TlsEvent::ChangeCipherSpec, TlsEvent::EncryptedAlert]
    );
}

#[test]
fn tls13_server_stream_goes_opaque_after_server_hello() {
    let mut s = TlsStream::default();
    let mut msgs = handshake(2, &server_hello_body(Some(0x0304), [9; 32]));
    // Same record: bytes that must not be read as a handshake message.
    msgs.extend(handshake(11, &[0, 0, 0]));
    let mut bytes = record(22, &msgs);
    bytes.extend(record(22, &handshake(14, &[])));
    bytes.extend(record(21, &[0x17; 19]));
    let events = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![
            TlsEvent::ServerHello {
                legacy_version: 0x0303,
                selected_version: 0x0304
            },
            TlsEvent::EncryptedAlert
        ]
    );
}

#[test]
fn hello_retry_request_keeps_the_stream_plaintext() {
    let mut s = TlsStream::default();
    let mut bytes = record(
        22,
        &handshake(2, &server_hello_body(Some(0x0304), HELLO_RETRY_RANDOM)),
    );
    bytes.extend(record(
        22,
        &handshake(2, &server_hello_body(Some(0x0304), [1; 32])),
    ));
    let events = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![
            TlsEvent::HelloRetryRequest {
                selected_version: 0x0304
            },
            TlsEvent::ServerHello {
                legacy_version: 0x0303,
                selected_version: 0x0304
            }
        ]
    );
}

#[test]
fn draft_server_hello_layout() {
    // Draft 16: version 0x7f10 in the body, no session id, no compression.
    let mut body = vec![0x7f, 0x10];
    body.extend_from_slice(&[5; 32]);
    body.extend_from_slice(&[0x13, 0x03, 0, 0]);
    let mut s = TlsStream::default();
    let mut bytes = record(22, &handshake(2, &body));
    bytes.extend(record(22, &handshake(8, &[0, 0])));
    let events = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![TlsEvent::ServerHello {
            legacy_version: 0x7f10,
            selected_version: 0x7f10
        }]
    );
    assert_eq!(version_name(0x7f10), "TLS 1.3 draft 16");
}

/// A client stream past its ClientHello, the server having chosen TLS 1.3.
fn tls13_client() -> TlsStream {
    let mut client = TlsStream::default();
    let hello = record(22, &handshake(1, &client_hello_body("sbc1.example.com")));
    feed(&mut client, &hello);
    client.peer_selected(0x0304);
    client
}

/// TLS 1.3 alerts are application_data records of 19 octets: told where
/// the handshake ends (the first encrypted record) and, once watched, in the
/// server's first record after the client's Finished; not elsewhere.
#[test]
fn tls13_encrypted_alerts_told_by_length_where_they_matter() {
    let alert = record(23, &[0xaa; ALERT_RECORD_LEN_13]);
    let finished = record(23, &[0xbb; 4 + 32 + 1 + 16]);
    // The client refuses the server: its first encrypted record is an alert.
    let mut client = tls13_client();
    client.set_handshake_encrypted();
    assert_eq!(feed(&mut client, &alert), vec![TlsEvent::EncryptedAlert]);
    assert!(client.done());
    // A Finished first is application data; a later 19-octet record is not
    // looked at (the direction is done).
    let mut client = tls13_client();
    assert_eq!(
        feed(&mut client, &finished),
        vec![TlsEvent::ApplicationData]
    );
    assert!(client.done());
    assert!(feed(&mut client, &alert).is_empty());
    // The server: its encrypted flight, then (watched) an alert.
    let server_flight = || {
        let mut s = TlsStream::default();
        let hello = handshake(2, &server_hello_body(Some(0x0304), [9; 32]));
        feed(&mut s, &record(22, &hello));
        assert_eq!(
            feed(&mut s, &record(23, &[0xcc; 23])),
            vec![TlsEvent::ApplicationData]
        );
        assert!(s.done());
        s
    };
    let mut server = server_flight();
    server.watch_next_record(0);
    assert!(!server.done());
    assert_eq!(feed(&mut server, &alert), vec![TlsEvent::EncryptedAlert]);
    // Still fed: a record after it would make it data.
    assert!(!server.done());
    // Bytes lost (a gap, a snaplen cut): the next whole record is not the
    // next record, so nothing is told by length any more.
    let mut server = server_flight();
    server.watch_next_record(0);
    server.gap();
    assert!(server.done());
    assert!(feed(&mut server, &alert).is_empty());
    // A session ticket first: a later record, and watching ends.
    let mut server = server_flight();
    server.watch_next_record(0);
    let ticket = record(23, &[0xdd; 250]);
    assert_eq!(feed(&mut server, &ticket), vec![TlsEvent::LaterRecord]);
    assert!(server.done());
    assert!(feed(&mut server, &alert).is_empty());
    // A 2-octet reply looks like an alert until a record follows it.
    let mut server = server_flight();
    server.watch_next_record(0);
    assert_eq!(feed(&mut server, &alert), vec![TlsEvent::EncryptedAlert]);
    assert!(!server.done());
    assert_eq!(feed(&mut server, &ticket), vec![TlsEvent::RecordAfterAlert]);
    assert!(server.done());
    // The rest of the watched flight (same frame) is skipped: the client's
    // Finished after its Certificate is not "more data".
    let mut client = tls13_client();
    assert_eq!(
        client.push(5, &finished),
        vec![(5, TlsEvent::ApplicationData)]
    );
    client.watch_next_record(5);
    assert!(client.push(5, &finished).is_empty());
    assert_eq!(client.push(6, &ticket), vec![(6, TlsEvent::LaterRecord)]);
    // TLS 1.2: a 19-octet application_data record is data, and nothing is
    // watched.
    let mut old = TlsStream::default();
    feed(
        &mut old,
        &record(22, &handshake(2, &server_hello_body(None, [9; 32]))),
    );
    old.watch_next_record(0);
    feed(&mut old, &record(20, &[1]));
    assert!(old.done());
    assert_eq!(feed(&mut old, &alert), vec![TlsEvent::ApplicationData]);
}

#[test]
fn client_stream_told_to_go_opaque() {
    let mut s = TlsStream::default();
    s.set_handshake_encrypted();
    let bytes = record(22, &handshake(20, &[0; 32]));
    assert!(feed(&mut s, &bytes).is_empty());
    // A plaintext alert is still an alert there.
    let alert = feed(&mut s, &record(21, &[2, 48]));
    assert_eq!(
        alert,
        vec![TlsEvent::Alert {
            level: 2,
            description: 48
        }]
    );
}

#[test]
fn sslv2_compatible_client_hello() {
    // SSLv2 CLIENT-HELLO for TLS 1.0: 3 cipher specs, no session id,
    // 16-octet challenge; then a TLS alert record.
    let mut body = vec![1, 3, 1, 0, 9, 0, 0, 0, 16];
    body.extend_from_slice(&[0, 0, 0x2f, 0, 0, 0x35, 0, 0, 0x0a]);
    body.extend_from_slice(&[0x42; 16]);
    let mut bytes = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    bytes.extend(body);
    bytes.extend(record(21, &[1, 0]));
    for cut in 0..bytes.len() {
        let mut s = TlsStream::default();
        let mut events = feed(&mut s, &bytes[..cut]);
        events.extend(feed(&mut s, &bytes[cut..]));
        assert_eq!(
            events,
            vec![
                TlsEvent::ClientHello {
                    legacy_version: 0x0301,
                    versions: vec![0x0301],
                    sni: None,
                    sslv2_compat: true
                },
                TlsEvent::Alert {
                    level: 1,
                    description: 0
                }
            ],
            "cut {cut}"
        );
    }
}

#[test]
fn oversized_record_stops_without_buffering() {
    let mut s = TlsStream::default();
    let header = [22, 3, 3, 0xff, 0xff];
    assert!(feed(&mut s, &header).is_empty());
    assert!(s.stopped().is_some());
    assert!(s.done());
    assert!(feed(&mut s, &vec![0u8; 100_000]).is_empty());
    assert!(s.buf.capacity() == 0);

    // A handshake message declaring 2^24-1 octets is skipped without
    // being kept, then decoding goes on.
    let mut s = TlsStream::default();
    let bytes = record(22, &[11, 0xff, 0xff, 0xff, 0, 0]);
    assert!(feed(&mut s, &bytes).is_empty());
    assert_eq!(feed(&mut s, &record(21, &[2, 80])).len(), 1);
    let chunk = record(22, &[0; 16_000]);
    let mut left = 0xff_ffff - 2;
    while left > 16_000 {
        assert!(feed(&mut s, &chunk).is_empty());
        assert!(s.handshake.is_empty());
        left -= 16_000;
    }
    let mut last = vec![0; left];
    last.extend(handshake(14, &[]));
    assert_eq!(
        feed(&mut s, &record(22, &last)),
        vec![
            TlsEvent::Unread {
                msg_type: 11,
                octets: 0xff_ffff
            },
            TlsEvent::ServerHelloDone
        ]
    );
}

#[test]
fn not_tls_stops() {
    let mut s = TlsStream::default();
    assert!(feed(&mut s, b"GET / HTTP/1.1\r\n\r\n").is_empty());
    assert!(s.stopped().unwrap().starts_with("not a TLS record"));
    assert!(s.done());
}

#[test]
fn gap_resynchronises_on_next_record() {
    let mut s = TlsStream::default();
    let hello = record(22, &handshake(1, &client_hello_body("a.example")));
    feed(&mut s, &hello[..20]);
    s.gap();
    // The rest of a lost record, then an alert: only the alert counts.
    let mut bytes = vec![0x55; 7];
    bytes.extend(record(21, &[2, 42]));
    let events = feed(&mut s, &bytes);
    assert_eq!(
        events,
        vec![TlsEvent::Alert {
            level: 2,
            description: 42
        }]
    );
}

#[test]
fn gap_inside_a_handshake_message() {
    let mut msgs = handshake(11, &[0x30; 3000]);
    msgs.extend(handshake(14, &[]));
    let mut bytes = record(22, &msgs[..1000]);
    bytes.extend(record(22, &msgs[1000..2000]));
    bytes.extend(record(22, &msgs[2000..]));
    let mut s = TlsStream::default();
    assert!(feed(&mut s, &bytes[..500]).is_empty());
    s.gap();
    // Resumes at the second record, which continues the lost message.
    let events = feed(&mut s, &bytes[1005..]);
    assert!(events.is_empty(), "{events:?}");
    let next = record(22, &handshake(14, &[]));
    assert_eq!(feed(&mut s, &next), vec![TlsEvent::ServerHelloDone]);
}

#[test]
fn every_truncation_and_garbage() {
    let mut bytes = record(22, &handshake(1, &client_hello_body("a.example")));
    bytes.extend(record(21, &[2, 48]));
    let full = feed(&mut TlsStream::default(), &bytes);
    assert_eq!(full.len(), 2);
    for len in 0..bytes.len() {
        let part = feed(&mut TlsStream::default(), &bytes[..len]);
        assert!(full.starts_with(&part), "length {len}");
    }
    // A body that is cut inside: parsers must fail softly.
    let body = client_hello_body("a.example");
    for len in 0..body.len() {
        let events = feed(
            &mut TlsStream::default(),
            &record(22, &handshake(1, &body[..len])),
        );
        assert_eq!(events.len(), 1);
    }
}

#[test]
fn dates_and_names() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(rfc3339(1_709_251_200), "2024-03-01T00:00:00Z");
    assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    assert_eq!(escape_value(" a,b+c "), "\\ a\\,b\\+c\\ ");
    assert_eq!(escape_value("#x"), "\\#x");
    assert_eq!(der_hex(4, &[1, 2]), "04020102");
    assert!(is_grease(0x3a3a) && is_grease(0xfafa) && !is_grease(0x0304));
}

proptest! {
    #[test]
    fn garbage_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        cut in any::<usize>()
    ) {
        let mut s = TlsStream::default();
        let cut = cut % (bytes.len() + 1);
        s.push(1, &bytes[..cut]);
        s.push(2, &bytes[cut..]);
        // Behind a valid header too.
        let mut s = TlsStream::default();
        s.push(1, &record(22, &bytes[..bytes.len().min(MAX_RECORD_LEN)]));
    }

    #[test]
    fn mutated_handshakes_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)
    ) {
        let mut bytes = record(22, &handshake(1, &client_hello_body("m.example")));
        bytes.extend(record(22, &handshake(2, &server_hello_body(Some(0x0304), [3; 32]))));
        for (at, b) in edits {
            let len = bytes.len();
            bytes[at % len] = b;
        }
        let mut s = TlsStream::default();
        s.push(1, &bytes);
    }
}

// ---- captures ----

use crate::proto::dns::test_frames::{case, corpus, tcp_conns};

/// Events of every TCP connection of a capture: (frame, sent by the
/// client, event), both directions fed in capture order, each from its
/// first payload that looks like TLS (as after a STARTTLS).
fn capture_events(path: &str) -> Vec<Vec<(u64, bool, TlsEvent)>> {
    tcp_conns(path)
        .into_iter()
        .map(|conn| {
            let mut streams = [TlsStream::default(), TlsStream::default()];
            let mut started = [false, false];
            let mut out = Vec::new();
            for (frame, from_client, bytes) in conn.chunks {
                let side = usize::from(from_client);
                started[side] = started[side] || looks_like_tls(&bytes);
                if !started[side] {
                    continue;
                }
                for (f, e) in streams[side].push(frame, &bytes) {
                    out.push((f, from_client, e));
                }
            }
            out
        })
        .filter(|events| !events.is_empty())
        .collect()
}

fn alerts(events: &[(u64, bool, TlsEvent)]) -> Vec<(u64, bool, u8, u8)> {
    events
        .iter()
        .filter_map(|(f, c, e)| match e {
            TlsEvent::Alert { level, description } => Some((*f, *c, *level, *description)),
            _ => None,
        })
        .collect()
}

fn chain_of(events: &[(u64, bool, TlsEvent)]) -> Vec<CertInfo> {
    events
        .iter()
        .find_map(|(_, _, e)| match e {
            TlsEvent::Certificate { chain } => Some(chain.to_vec()),
            _ => None,
        })
        .expect("a Certificate")
}

#[test]
fn case_21_records_span_segments() {
    let conns = capture_events(&case("21-tls-records-span"));
    assert_eq!(conns.len(), 1);
    let events = &conns[0];
    let kinds: Vec<(u64, bool, &TlsEvent)> = events.iter().map(|(f, c, e)| (*f, *c, e)).collect();
    assert_eq!(
        kinds[0],
        (
            5,
            true,
            &TlsEvent::ClientHello {
                legacy_version: 0x0303,
                versions: vec![0x0303],
                sni: Some("sbc1.example.com".into()),
                sslv2_compat: false
            }
        )
    );
    assert_eq!(
        kinds[1],
        (
            8,
            false,
            &TlsEvent::ServerHello {
                legacy_version: 0x0303,
                selected_version: 0x0303
            }
        )
    );
    assert!(matches!(kinds[2], (9, false, TlsEvent::Certificate { .. })));
    assert_eq!(kinds[3], (9, false, &TlsEvent::ServerHelloDone));
    assert!(alerts(events).iter().all(|a| a.3 == 0), "only close_notify");

    let chain = chain_of(events);
    assert_eq!(chain.len(), 2);
    let leaf = &chain[0];
    assert_eq!(leaf.subject_cn.as_deref(), Some("sbc1.example.com"));
    assert_eq!(leaf.san, ["sbc1.example.com", "sbc.example.com"]);
    assert_eq!(leaf.issuer_cn.as_deref(), Some("Example Issuing CA 2"));
    assert_eq!(leaf.not_before, "2024-03-01T00:00:00Z");
    assert_eq!(leaf.not_after, "2025-03-01T00:00:00Z");
    assert_eq!(leaf.not_before_unix, 1_709_251_200);
    assert!(!leaf.self_signed);
    assert!(
        leaf.subject.starts_with("CN=sbc1.example.com"),
        "{}",
        leaf.subject
    );
    let ca = &chain[1];
    assert_eq!(ca.subject_cn.as_deref(), Some("Example Issuing CA 2"));
    assert_eq!(ca.issuer_cn.as_deref(), Some("Example Public Root CA"));
    assert_eq!(ca.not_before, "2022-01-01T00:00:00Z");
    assert_eq!(ca.not_after, "2032-01-01T00:00:00Z");
    assert_eq!(ca.issuer_o.as_deref(), Some("Example Trust Services"));
}

#[test]
fn case_06_unknown_ca_from_the_client() {
    let conns = capture_events(&case("06-tls-unknown-ca-inspection"));
    let events = &conns[0];
    assert!(events.iter().any(|(_, c, e)| *c
        && matches!(e, TlsEvent::ClientHello { sni: Some(s), .. } if s == "sbc1.example.com")));
    assert_eq!(alerts(events), [(6, true, 2, 48)]);
    assert_eq!(alert_name(48), "unknown_ca");
    let chain = chain_of(events);
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0].subject_cn.as_deref(), Some("sbc1.example.com"));
    assert_eq!(
        chain[0].issuer_cn.as_deref(),
        Some("Example Corp SSL Inspection CA")
    );
    assert_eq!(chain[0].issuer_o.as_deref(), Some("Example Corp"));
    assert!(chain.iter().any(|c| c.self_signed));
}

#[test]
fn handshake_failure_from_the_server() {
    let conns = capture_events(&corpus("zeek__tls-1.2-handshake-failure.pcap"));
    assert_eq!(alerts(&conns[0]), [(6, false, 2, 40)]);
}

#[test]
fn early_warning_alert_then_handshake_completes() {
    let conns = capture_events(&corpus("zeek__tls-early-alert.pcap"));
    let events = &conns[0];
    assert_eq!(alerts(events), [(6, false, 1, 112)]);
    let server: Vec<&TlsEvent> = events
        .iter()
        .filter(|(_, c, _)| !c)
        .map(|(_, _, e)| e)
        .collect();
    assert!(matches!(server[0], TlsEvent::Alert { .. }));
    assert!(matches!(server[1], TlsEvent::ServerHello { .. }));
    assert!(matches!(server[2], TlsEvent::Certificate { .. }));
    assert!(server.contains(&&TlsEvent::ServerHelloDone));
    assert!(server.contains(&&TlsEvent::ChangeCipherSpec));
    assert!(server.contains(&&TlsEvent::ApplicationData));
    let chain = chain_of(events);
    assert!(chain[0].san.contains(&"jeffbryner.com".to_string()));
}

#[test]
fn tls13_wolfssl_no_bogus_alerts() {
    let conns = capture_events(&corpus("zeek__tls13_wolfssl.pcap"));
    let events = &conns[0];
    assert!(events.iter().any(|(f, c, e)| *f == 4
        && *c
        && matches!(e, TlsEvent::ClientHello { versions, .. }
                if versions == &[0x0304, 0x0303, 0x0302])));
    assert!(events.iter().any(|(f, c, e)| *f == 6
        && !c
        && *e
            == TlsEvent::ServerHello {
                legacy_version: 0x0303,
                selected_version: 0x0304
            }));
    assert!(alerts(events).is_empty());
    assert!(!events
        .iter()
        .any(|(_, _, e)| matches!(e, TlsEvent::Certificate { .. })));
}

#[test]
fn tls13_draft16_client_unknown_ca() {
    let conns = capture_events(&corpus("zeek__tls13draft16-ff52.a01.pcap"));
    let first = &conns[0];
    assert!(first.iter().any(|(f, _, e)| *f == 6
        && *e
            == TlsEvent::ServerHello {
                legacy_version: 0x7f10,
                selected_version: 0x7f10
            }));
    assert_eq!(alerts(first), [(8, true, 2, 48)]);
    // The second connection completes: no alert in clear anywhere.
    assert!(alerts(&conns[1]).is_empty());
    assert!(conns
        .iter()
        .flatten()
        .all(|(_, _, e)| !matches!(e, TlsEvent::Certificate { .. })));
}

#[test]
fn cert_name_mismatch_and_encrypted_close() {
    let conns = capture_events(&corpus("ndpi__ssl-cert-name-mismatch.pcap"));
    let events = &conns[0];
    assert!(events.iter().any(|(_, _, e)| matches!(e,
            TlsEvent::ClientHello { sni: Some(s), .. } if s == "wrong.host.badssl.com")));
    let chain = chain_of(events);
    assert_eq!(chain[0].subject_cn.as_deref(), Some("*.badssl.com"));
    assert_eq!(chain[0].san, ["*.badssl.com", "badssl.com"]);
    assert_eq!(
        chain[0].issuer_cn.as_deref(),
        Some("DigiCert SHA2 Secure Server CA")
    );
    assert!(alerts(events).is_empty());
    // Frame 17: the client's close_notify after its CCS is encrypted.
    assert!(events.contains(&(17, true, TlsEvent::EncryptedAlert)));
}

#[test]
fn certificate_fragmented_over_many_records() {
    let conns = capture_events(&corpus("zeek__tls-fragmented-handshake.pcap.gz"));
    let events = &conns[0];
    let server: Vec<(u64, &TlsEvent)> = events
        .iter()
        .filter(|(_, c, _)| !c)
        .map(|(f, _, e)| (*f, e))
        .collect();
    assert!(matches!(server[0].1, TlsEvent::ServerHello { .. }));
    // The Certificate message is about 340 kB: over the limit, skipped.
    assert!(server[1].0 < 411);
    assert!(matches!(server[1].1, TlsEvent::Unread { msg_type: 11, .. }));
    assert_eq!(server[2], (411, &TlsEvent::Handshake { msg_type: 12 }));
    assert_eq!(server[3], (411, &TlsEvent::ServerHelloDone));
}

/// Every TLS connection of the corpus: ClientHello SNI, ServerHello
/// versions and alerts agree with tshark's table, and nothing panics.
#[test]
fn corpus_alerts_and_sni_agree_with_tshark() {
    let files = [
        "zeek__certificate-request-failed.pcap",
        "zeek__tls-1.2-handshake-failure.pcap",
        "zeek__tls-early-alert.pcap",
        "zeek__tls13_wolfssl.pcap",
        "zeek__tls13draft16-ff52.a01.pcap",
        "ndpi__ssl-cert-name-mismatch.pcap",
        "ndpi__webex.pcap",
        "zeek__openjdk-25.0.2-zeek.org.pcap",
        "zeek__tls-fragmented-handshake.pcap.gz",
        "ppp__pcapng-example.pcapng",
        "heplify__sip_ipv4_tcp_retrans.pcap",
        "suri__linktype-228_flow-test-01.pcap",
    ];
    let mut compared = 0;
    for file in files {
        let path = format!(
            "{}/../shared/corpus/truth/{file}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut want_alerts = Vec::new();
        let mut want_sni = Vec::new();
        let mut want_selected = Vec::new();
        let mut inside = false;
        for line in text.lines() {
            if line.starts_with("## ") {
                inside = line.starts_with("## TLS fields");
                continue;
            }
            let cols: Vec<&str> = line.split('|').collect();
            if !inside || cols.len() < 15 {
                continue;
            }
            let frame: u64 = cols[0].parse().unwrap();
            if !cols[13].is_empty() {
                want_alerts.push((frame, cols[13].to_string(), cols[14].to_string()));
            }
            if !cols[11].is_empty() {
                want_sni.push((frame, cols[11].to_string()));
            }
            if cols[8].split(',').any(|t| t == "2") {
                let selected = if cols[10].is_empty() {
                    cols[9]
                } else {
                    cols[10]
                };
                want_selected.push((frame, selected.to_string()));
            }
        }
        let events: Vec<(u64, bool, TlsEvent)> = capture_events(&corpus(file))
            .into_iter()
            .flatten()
            .collect();
        let mut got_alerts: Vec<(u64, String, String)> = alerts(&events)
            .iter()
            .map(|a| (a.0, a.2.to_string(), a.3.to_string()))
            .collect();
        got_alerts.sort();
        assert_eq!(got_alerts, want_alerts, "{file}");
        let mut got_sni: Vec<(u64, String)> = events
            .iter()
            .filter_map(|(f, _, e)| match e {
                TlsEvent::ClientHello { sni: Some(s), .. } => Some((*f, s.clone())),
                _ => None,
            })
            .collect();
        got_sni.sort();
        assert_eq!(got_sni, want_sni, "{file}");
        let mut got_selected: Vec<(u64, String)> = events
            .iter()
            .filter_map(|(f, _, e)| match e {
                TlsEvent::ServerHello {
                    selected_version, ..
                } => Some((*f, format!("0x{selected_version:04x}"))),
                _ => None,
            })
            .collect();
        got_selected.sort();
        assert_eq!(got_selected, want_selected, "{file}");
        compared += want_sni.len() + want_alerts.len() + want_selected.len();
    }
    assert!(compared >= 40, "{compared}");
}

/// A TLS 1.2 server direction followed to its close: its application data
/// octets are counted, a close_notify (content type 21 after its
/// ChangeCipherSpec) is the last record, and a record begun but not
/// finished is a cut.
#[test]
fn followed_direction_counts_records_to_its_close() {
    let server = || {
        let mut s = TlsStream::default();
        s.follow_to_close();
        let hello = handshake(2, &server_hello_body(None, [7; 32]));
        feed(&mut s, &record(22, &hello));
        feed(&mut s, &record(20, &[1]));
        feed(&mut s, &record(22, &[0xdd; 40])); // its encrypted Finished
        s
    };
    // Not followed: done at its ChangeCipherSpec, no tail.
    let mut plain = TlsStream::default();
    feed(
        &mut plain,
        &record(22, &handshake(2, &server_hello_body(None, [7; 32]))),
    );
    feed(&mut plain, &record(20, &[1]));
    assert!(plain.done() && plain.tail().is_none());
    // Two records and a close_notify: a graceful end.
    let mut s = server();
    feed(&mut s, &record(23, &[0xee; 1000]));
    feed(&mut s, &record(23, &[0xee; 500]));
    assert!(!s.done());
    let tail = s.tail().expect("followed");
    assert_eq!(
        (tail.octets, tail.alert_last, tail.cut),
        (1500, false, false)
    );
    feed(&mut s, &record(21, &[0xaa; 26]));
    let tail = s.tail().expect("followed");
    assert_eq!(
        (tail.octets, tail.alert_last, tail.cut),
        (1500, true, false)
    );
    // A record whose last octets never come: cut, its octets not counted.
    let mut s = server();
    let whole = record(23, &[0xee; 1000]);
    feed(&mut s, whole.get(..600).unwrap_or_default());
    let tail = s.tail().expect("followed");
    assert_eq!((tail.octets, tail.cut), (0, true));
    feed(&mut s, whole.get(600..).unwrap_or_default());
    assert_eq!(s.tail().map(|t| (t.octets, t.cut)), Some((1000, false)));
    // A gap: the counts are the capture's, said so.
    s.gap();
    assert!(s.tail().is_some_and(|t| t.gapped));
}

/// A record the snaplen cut inside: the rest of it is skipped by its
/// length and the next record is read in step (tester102: a server flight
/// cut at 1400 bytes hid the server's next record).
#[test]
fn a_snaplen_cut_inside_a_record_keeps_the_records_after_it() {
    let mut s = TlsStream::default();
    let first = record(23, &[7; 40]);
    let second = record(21, &[1, 2]);
    assert_eq!(s.push(1, &first[..20]), vec![]);
    let (cut, events) = s.cut(1, 25);
    assert!(cut.kept && !cut.hides);
    assert_eq!(events, vec![(1, TlsEvent::ApplicationData)]);
    let events = s.push(2, &second);
    assert_eq!(
        events,
        vec![(
            2,
            TlsEvent::Alert {
                level: 1,
                description: 2
            }
        )]
    );
    // A cut past the record's end cannot be placed: resynchronise.
    assert_eq!(s.push(3, &first[..10]), vec![]);
    assert!(!s.cut(3, 100).0.kept);
}

/// TLS 1.3, a server direction followed to its close: its session tickets
/// (records of one length opening what it sent after the client's
/// Finished) answer no request, before or after the request came
/// (tester122: stunnel's two tickets, then a reset, read "the answer may be
/// cut"; a python server's tickets after the request hid its silence).
#[test]
fn tls13_session_tickets_are_no_answer() {
    let server = || {
        let mut s = TlsStream::default();
        s.follow_to_close();
        feed(
            &mut s,
            &record(22, &handshake(2, &server_hello_body(Some(0x0304), [9; 32]))),
        );
        // Its encrypted flight: EncryptedExtensions .. Finished.
        feed(&mut s, &record(23, &[0xee; 500]));
        feed(&mut s, &record(23, &[0xee; 69]));
        s
    };
    let answer = |s: &TlsStream| s.tail().and_then(|t| t.answer_records());
    // Tickets before the request, then nothing: no answer.
    let mut s = server();
    s.peer_finished();
    feed(&mut s, &record(23, &[0xee; 250]));
    feed(&mut s, &record(23, &[0xee; 250]));
    assert_eq!(answer(&s), None);
    s.peer_requested();
    assert_eq!(answer(&s), Some(0));
    // Tickets after the request: still none; then the answer counts.
    let mut s = server();
    s.peer_finished();
    s.peer_requested();
    feed(&mut s, &record(23, &[0xee; 250]));
    feed(&mut s, &record(23, &[0xee; 250]));
    assert_eq!(answer(&s), Some(0));
    feed(&mut s, &record(23, &[0xee; 84]));
    assert_eq!(answer(&s), Some(1));
    // Its close_notify (an alert's length) is no answer either.
    let mut s = server();
    s.peer_finished();
    s.peer_requested();
    feed(&mut s, &record(23, &[0xee; ALERT_RECORD_LEN_13]));
    assert_eq!(answer(&s), Some(0));
    // One record of its kind is not told from an answer: it counts.
    let mut s = server();
    s.peer_finished();
    s.peer_requested();
    feed(&mut s, &record(23, &[0xee; 250]));
    assert_eq!(answer(&s), Some(1));
}

/// A snaplen cut says what the cut record was as far as its header came:
/// an alert cut in its body or in its header is still an alert, and hides
/// what the side said; an application_data body hides nothing (tester131:
/// the phone's 7-byte unknown_ca alert cut to 3 bytes read as no alert).
#[test]
fn a_snaplen_cut_tells_the_cut_record_as_far_as_its_header_came() {
    let alert = record(21, &[2, 48]);
    // Header whole, body cut.
    let mut s = TlsStream::default();
    assert_eq!(s.push(1, &alert[..5]), vec![]);
    let (cut, _) = s.cut(1, 2);
    assert!(cut.kept && cut.hides);
    assert_eq!(cut.content_type, Some(21));
    // Header cut after its first 3 octets: no length, the type still read.
    let mut s = TlsStream::default();
    assert_eq!(s.push(1, &alert[..3]), vec![]);
    let (cut, _) = s.cut(1, 4);
    assert!(!cut.kept && cut.hides);
    assert_eq!(cut.content_type, Some(21));
    // Encrypted data cut in its body: opaque anyway.
    let mut s = TlsStream::default();
    let data = record(23, &[7; 40]);
    s.push(1, &data[..20]);
    let (cut, _) = s.cut(1, 25);
    assert!(cut.kept && !cut.hides);
    // A cut at a record's boundary: its type is not known.
    let mut s = TlsStream::default();
    s.push(1, &alert);
    let (cut, _) = s.cut(1, 7);
    assert!(!cut.kept && cut.hides && cut.content_type.is_none());
}
