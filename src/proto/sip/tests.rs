use super::*;

const REGISTER: &[u8] = b"REGISTER sip:sip.example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK1;rport\r\n\
From: <sip:5551001@sip.example.com>;tag=a1\r\n\
To: <sip:5551001@sip.example.com>\r\n\
Call-ID: reg-1@192.0.2.100\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:5551001@192.0.2.100:5060>;+sip.instance=\"<urn:uuid:1,2>\";expires=3600\r\n\
User-Agent: Cisco/CP-8845-3PCC-12.0.1\r\n\
Expires: 3600\r\n\
Content-Length: 0\r\n\
\r\n";

/// A 401 with compact names, odd case and a challenge folded over lines.
const CHALLENGE: &[u8] = b"SIP/2.0 401 Unauthorized\r\n\
v: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK1\r\n\
f: <sip:5551001@sip.example.com>;tag=a1\r\n\
t: <sip:5551001@sip.example.com>;tag=s1\r\n\
i: reg-1@192.0.2.100\r\n\
cseq: 1 REGISTER\r\n\
WWW-AUTHENTICATE: Digest realm=\"sip.example.com\",\r\n\
\x20  nonce=\"n1\",\r\n\
\tstale=TRUE, algorithm=MD5,\r\n\
\x20  qop=\"auth\"\r\n\
l: 0\r\n\
\r\n";

const INVITE_SDP: &[u8] = b"INVITE sip:100@192.0.2.1 SIP/2.0\r\n\
Call-ID: inv-1\r\n\
CSeq: 7 INVITE\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 44\r\n\
\r\n\
v=0\r\n\
SIP/2.0 200 OK\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n";

fn one(data: &[u8]) -> SipMessage {
    let mut all = parse_datagram(data);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0).expect("one message")
}

fn header<'a>(msg: &'a SipMessage, name: &str) -> Option<&'a str> {
    msg.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn looks_like_sip_accepts_start_lines() {
    for method in [
        "REGISTER",
        "INVITE",
        "OPTIONS",
        "ACK",
        "BYE",
        "CANCEL",
        "NOTIFY",
        "SUBSCRIBE",
        "PUBLISH",
        "MESSAGE",
        "INFO",
        "PRACK",
        "UPDATE",
        "REFER",
    ] {
        let line = format!("{method} sip:a@b SIP/2.0\r\nVia: x\r\n");
        assert!(looks_like_sip(line.as_bytes()), "{method}");
    }
    assert!(looks_like_sip(b"SIP/2.0 200 OK\r\n"));
    assert!(looks_like_sip(b"SIP/2.0 401\r\n"));
    assert!(looks_like_sip(b"SIP/2.0 100 Trying"));
    assert!(looks_like_sip(b"OPTIONS sip:a@b SIP/2.0\n"));
    assert!(looks_like_sip(b"OPTIONS sip:a@b SIP/2.0"));
}

/// SIP-Version is case-insensitive (RFC 3261 7.1; tester132's hand-edited
/// `sip/2.0 403 Forbidden` was read as no answer).
#[test]
fn the_version_is_read_in_any_case() {
    assert!(looks_like_sip(b"sip/2.0 403 Forbidden\r\n"));
    assert!(looks_like_sip(b"REGISTER sip:a@b sip/2.0\r\n"));
    assert!(looks_like_sip(b"Sip/2.0 200 OK\r\n"));
    let msg = one(b"sip/2.0 403 Forbidden\r\nCall-ID: c\r\nContent-Length: 0\r\n\r\n");
    assert!(
        matches!(msg.start, StartLine::Response { code: 403, .. }),
        "{:?}",
        msg.start
    );
    assert_eq!(
        sniff_sip(b"REGISTER sip:a@b sip/2"),
        None,
        "a lower-case version still arriving is waited for"
    );
}

#[test]
fn looks_like_sip_rejects_others() {
    for data in [
        &b""[..],
        b"hello",
        b"\r\n\r\n",
        b"SIP/2.0 20 OK\r\n",
        b"SIP/2.0 2000 OK\r\n",
        b"SIP/3.0 200 OK\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"GET /cfg.xml HTTP/1.1\r\n",
        b"register sip:a@b SIP/2.0\r\n",
        b"REGISTER sip:a@b SIP/2.0 \r\n",
        b"REGISTER  sip:a@b SIP/2.0\r\n",
        b"REGISTER sip:a@b\r\nSIP/2.0\r\n",
        b"REGISTER sip:a@b SIP/2.0x\r\n",
    ] {
        assert!(!looks_like_sip(data), "{:?}", String::from_utf8_lossy(data));
    }
    let mut long = b"REGISTER sip:".to_vec();
    long.extend(std::iter::repeat_n(b'a', MAX_START_LINE));
    long.extend_from_slice(b" SIP/2.0\r\n");
    assert!(!looks_like_sip(&long));
}

#[test]
fn request_fields() {
    let msg = one(REGISTER);
    assert_eq!(
        msg.start,
        StartLine::Request {
            method: "REGISTER".into(),
            uri: "sip:sip.example.com".into()
        }
    );
    assert_eq!(msg.call_id.as_deref(), Some("reg-1@192.0.2.100"));
    assert_eq!(msg.cseq, Some((1, "REGISTER".into())));
    assert_eq!(
        msg.from.as_deref(),
        Some("<sip:5551001@sip.example.com>;tag=a1")
    );
    assert_eq!(msg.to.as_deref(), Some("<sip:5551001@sip.example.com>"));
    assert_eq!(msg.expires, Some(3600));
    assert_eq!(msg.contact_expires, Some(3600));
    assert_eq!(
        msg.contact.len(),
        1,
        "comma inside quotes: {:?}",
        msg.contact
    );
    assert_eq!(msg.user_agent.as_deref(), Some("Cisco/CP-8845-3PCC-12.0.1"));
    assert_eq!(msg.headers.len(), 9);
    assert!(!msg.truncated);
    assert!(msg.anomalies.is_empty(), "{:?}", msg.anomalies);
}

#[test]
fn compact_case_and_folded_headers() {
    let msg = one(CHALLENGE);
    assert_eq!(
        msg.start,
        StartLine::Response {
            code: 401,
            reason: "Unauthorized".into()
        }
    );
    assert_eq!(msg.call_id.as_deref(), Some("reg-1@192.0.2.100"));
    assert_eq!(msg.cseq, Some((1, "REGISTER".into())));
    assert_eq!(
        msg.to.as_deref(),
        Some("<sip:5551001@sip.example.com>;tag=s1")
    );
    let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Via",
            "From",
            "To",
            "Call-ID",
            "CSeq",
            "WWW-Authenticate",
            "Content-Length"
        ]
    );
    assert_eq!(
        header(&msg, "WWW-Authenticate"),
        Some(concat!(
            "Digest realm=\"sip.example.com\", nonce=\"n1\", stale=TRUE, ",
            "algorithm=MD5, qop=\"auth\""
        ))
    );
    let auth = msg.www_authenticate.as_ref().expect("challenge");
    assert_eq!(auth.scheme, "Digest");
    assert_eq!(auth.get("realm"), Some("sip.example.com"));
    assert_eq!(auth.get("nonce"), Some("n1"));
    assert_eq!(auth.get("algorithm"), Some("MD5"));
    assert_eq!(auth.get("qop"), Some("auth"));
    assert!(auth.stale());
    assert_eq!(auth.params.len(), 5);
    assert!(!msg.proxy_challenge);
}

#[test]
fn every_compact_form_maps_to_its_long_name() {
    let mut data = b"OPTIONS sip:a@b SIP/2.0\r\n".to_vec();
    for (c, _) in COMPACT_FORMS {
        data.extend_from_slice(&[c.to_ascii_uppercase(), b':', b' ', b'x', b'\r', b'\n']);
    }
    data.extend_from_slice(b"\r\n");
    let msg = one(&data);
    let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
    let want: Vec<&str> = COMPACT_FORMS.iter().map(|(_, long)| *long).collect();
    assert_eq!(names, want);
    // "l: x" is not a number: the rest of the datagram is the body.
    assert!(msg.anomalies.contains(&"malformed_content_length"));
}

#[test]
fn long_names_are_canonical_and_unknown_names_kept() {
    let msg = one(
        b"SIP/2.0 200 OK\r\ncall-id: a\r\nCSEQ: 2 REGISTER\r\nX-Cisco-Foo : bar\r\n\
www-authenticate: Digest realm=r\r\nCONTENT-LENGTH: 0\r\n\r\n",
    );
    let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Call-ID",
            "CSeq",
            "X-Cisco-Foo",
            "WWW-Authenticate",
            "Content-Length"
        ]
    );
    assert_eq!(header(&msg, "X-Cisco-Foo"), Some("bar"));
    assert_eq!(msg.cseq, Some((2, "REGISTER".into())));
}

#[test]
fn bare_lf_line_ends() {
    let text = String::from_utf8_lossy(CHALLENGE).replace("\r\n", "\n");
    let msg = one(text.as_bytes());
    assert_eq!(msg.call_id.as_deref(), Some("reg-1@192.0.2.100"));
    assert_eq!(
        msg.www_authenticate.as_ref().and_then(|a| a.get("qop")),
        Some("auth")
    );
    assert!(msg.anomalies.contains(&"bare_lf"));
}

#[test]
fn continuation_lines_never_become_names() {
    let msg = one(b"SIP/2.0 200 OK\r\n  nonce=\"x\"\r\nnot a header\r\n\
\x20 more: y\r\nCall-ID:\r\n  folded-id\r\nl: 0\r\n\r\n");
    let names: Vec<&str> = msg.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Call-ID", "Content-Length"]);
    assert_eq!(msg.call_id.as_deref(), Some("folded-id"));
    assert!(msg.anomalies.contains(&"continuation_without_header"));
    assert!(msg.anomalies.contains(&"malformed_header_line"));
}

#[test]
fn contacts_split_outside_brackets_and_quotes() {
    let msg = one(b"SIP/2.0 200 OK\r\n\
Contact: \"Smith, J\" <sip:a@h;x=1,2>;expires=60, <sip:b@h>;expires=30\r\n\
m: sip:c@h;expires=10\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        msg.contact,
        [
            "\"Smith, J\" <sip:a@h;x=1,2>;expires=60",
            "<sip:b@h>;expires=30",
            "sip:c@h;expires=10"
        ]
    );
    assert_eq!(msg.contact_expires, Some(60));
    assert_eq!(contact_param("sip:c@h;EXPIRES=10", "expires"), Some("10"));
    assert_eq!(contact_param("<sip:c@h;expires=5>", "expires"), None);
    assert_eq!(contact_param("\"a;expires=5\" <sip:c@h>", "expires"), None);
    assert_eq!(contact_param("*", "expires"), None);
}

#[test]
fn auth_quoted_values_and_proxy_headers() {
    let auth = parse_auth(
        r#"Digest  username="a\"b",realm="r, s" ,nonce="",uri="sip:x",nc=00000001,qop=auth"#,
    )
    .expect("credentials");
    assert_eq!(auth.scheme, "Digest");
    assert_eq!(auth.get("username"), Some("a\"b"));
    assert_eq!(auth.get("realm"), Some("r, s"));
    assert_eq!(auth.get("nonce"), Some(""));
    assert_eq!(auth.get("nc"), Some("00000001"));
    assert_eq!(auth.get("qop"), Some("auth"));
    assert!(!auth.stale());
    assert_eq!(parse_auth("  "), None);
    assert_eq!(
        parse_auth("Digest realm=\"open").and_then(|a| a.get("realm").map(String::from)),
        Some("open".into())
    );

    let msg = one(b"SIP/2.0 407 Proxy Authentication Required\r\n\
Proxy-Authenticate: Digest realm=\"p\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n");
    assert!(msg.proxy_challenge);
    assert_eq!(
        msg.www_authenticate.as_ref().and_then(|a| a.get("realm")),
        Some("p")
    );
    let msg = one(b"INVITE sip:a@b SIP/2.0\r\n\
Proxy-Authorization: Digest username=\"u\", nonce=\"n\"\r\nContent-Length: 0\r\n\r\n");
    assert!(msg.proxy_credentials);
    assert_eq!(
        msg.authorization.as_ref().and_then(|a| a.get("username")),
        Some("u")
    );
}

#[test]
fn expires_and_cseq_edge_values() {
    let msg = one(
        b"SIP/2.0 200 OK\r\nExpires: 99999999999\r\nCSeq: x REGISTER\r\n\
Warning: 399 host \"Bad\"\r\nServer: S/1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(msg.expires, Some(u32::MAX));
    assert_eq!(msg.cseq, None);
    assert!(msg.anomalies.contains(&"malformed_cseq"));
    assert_eq!(msg.warning.as_deref(), Some("399 host \"Bad\""));
    assert_eq!(msg.server.as_deref(), Some("S/1"));
}

#[test]
fn datagram_framing() {
    // Two messages, framed by Content-Length; the SDP body holds a line
    // that looks like a status line.
    let mut two = INVITE_SDP.to_vec();
    two.extend_from_slice(CHALLENGE);
    let all = parse_datagram(&two);
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].as_ref().map(|m| m.call_id.clone()),
        Ok(Some("inv-1".into()))
    );
    assert_eq!(
        all[1].as_ref().map(|m| m.cseq.clone()),
        Ok(Some((1, "REGISTER".into())))
    );

    // Missing Content-Length: the rest of the datagram is the body.
    let no_length = b"SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\nSIP/2.0 180 Ringing\r\n\r\n";
    let msg = one(no_length);
    assert!(!msg.truncated);

    // Body shorter than Content-Length.
    let short = INVITE_SDP.get(..INVITE_SDP.len() - 5).unwrap();
    assert!(one(short).truncated);

    // Headers cut before the blank line.
    let cut = REGISTER.get(..REGISTER.len() - 2).unwrap();
    assert_eq!(parse_datagram(cut), [Err(SipError::Truncated)]);
    assert_eq!(parse_datagram(b"hello"), [Err(SipError::NotSip)]);
    assert!(parse_datagram(b"\r\n\r\n").is_empty());
    assert!(parse_datagram(b"").is_empty());

    // Keep-alives and padding after a message are not errors.
    let mut padded = REGISTER.to_vec();
    padded.extend_from_slice(b"\r\n\0\0\0");
    assert_eq!(parse_datagram(&padded).len(), 1);
    padded.extend_from_slice(b"junk");
    let msg = one(&padded);
    assert_eq!(msg.anomalies, ["trailing_bytes"]);
    assert_eq!(msg.method(), Some("REGISTER"));
    assert_eq!(msg.status(), None);
}

/// Builds a stream of messages with keep-alives between; returns the bytes
/// and the offset where each message ends.
fn stream_of(messages: &[&[u8]], keepalives: usize) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        for _ in 0..(i + keepalives) % 3 {
            bytes.extend_from_slice(b"\r\n\r\n");
        }
        bytes.extend_from_slice(m);
        ends.push(bytes.len());
    }
    (bytes, ends)
}

fn push_pieces(bytes: &[u8], cuts: &[usize]) -> Vec<(u64, SipMessage)> {
    let mut stream = SipStream::default();
    let mut out = Vec::new();
    let mut from = 0;
    for (frame, &to) in cuts.iter().chain([bytes.len()].iter()).enumerate() {
        let to = to.clamp(from, bytes.len());
        out.extend(stream.push(frame as u64, &bytes[from..to]));
        from = to;
    }
    out
}

/// The frame holding byte `end - 1` when `bytes` is cut at `cuts`.
fn frame_of(end: usize, cuts: &[usize]) -> u64 {
    cuts.iter().filter(|&&c| c < end).count() as u64
}

const SAMPLE: [&[u8]; 4] = [REGISTER, CHALLENGE, INVITE_SDP, REGISTER];

#[test]
fn stream_several_messages_in_one_push() {
    let (bytes, _) = stream_of(&SAMPLE, 1);
    let got = SipStream::default().push(9, &bytes);
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|(f, m)| *f == 9 && !m.truncated));
    assert_eq!(got[2].1.call_id.as_deref(), Some("inv-1"));
}

#[test]
fn stream_split_at_every_byte() {
    let (bytes, ends) = stream_of(&SAMPLE, 0);
    let whole: Vec<SipMessage> = SipStream::default()
        .push(0, &bytes)
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    for cut in 0..=bytes.len() {
        let got = push_pieces(&bytes, &[cut]);
        let frames: Vec<u64> = got.iter().map(|(f, _)| *f).collect();
        let want: Vec<u64> = ends.iter().map(|&e| frame_of(e, &[cut])).collect();
        assert_eq!(frames, want, "cut at {cut}");
        let msgs: Vec<SipMessage> = got.into_iter().map(|(_, m)| m).collect();
        assert_eq!(msgs, whole, "cut at {cut}");
    }
    // One byte per push.
    let cuts: Vec<usize> = (1..bytes.len()).collect();
    assert_eq!(push_pieces(&bytes, &cuts).len(), 4);
}

#[test]
fn stream_skips_garbage_before_a_message() {
    let mut bytes = b"\x16\x03\x01garbage\r\nmore junk SIP/2.0 200 OK\r\n".to_vec();
    bytes.extend_from_slice(CHALLENGE);
    let mut stream = SipStream::default();
    let got = stream.push(1, &bytes);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.call_id.as_deref(), Some("reg-1@192.0.2.100"));
    assert!(stream.skipped_bytes() > 0);
    assert!(stream.skips() >= 1, "a skipped run is counted");
    // Keep-alive CRLFs are no skipped message.
    let mut alive = SipStream::default();
    alive.push(2, b"\r\n\r\n\r\n");
    assert_eq!(alive.skips(), 0);
}

#[test]
fn stream_missing_content_length_is_zero() {
    let mut bytes = b"SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n".to_vec();
    bytes.extend_from_slice(REGISTER);
    let got = SipStream::default().push(1, &bytes);
    assert_eq!(got.len(), 2);
    assert!(got[0].1.anomalies.contains(&"missing_content_length"));
}

#[test]
fn stream_body_is_counted_not_buffered() {
    let head = b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: big\r\nContent-Length: 1000000\r\n\r\n";
    let mut stream = SipStream::default();
    assert!(stream.push(1, head).is_empty());
    let chunk = vec![b'x'; 100_000];
    for frame in 2..11 {
        assert!(stream.push(frame, &chunk).is_empty());
    }
    assert!(stream.buf.is_empty());
    let mut last = chunk.clone();
    last.extend_from_slice(REGISTER);
    let got = stream.push(11, &last);
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[0].1.call_id.as_deref()), (11, Some("big")));
}

#[test]
fn stream_absurd_content_length_resyncs() {
    let head = b"SIP/2.0 200 OK\r\nCall-ID: huge\r\nContent-Length: 4000000000\r\n\r\n";
    let mut bytes = head.to_vec();
    bytes.extend_from_slice(b"body bytes\r\n");
    bytes.extend_from_slice(REGISTER);
    let got = SipStream::default().push(3, &bytes);
    assert_eq!(got.len(), 2);
    assert!(got[0].1.anomalies.contains(&"content_length_too_large"));
    assert_eq!(got[1].1.call_id.as_deref(), Some("reg-1@192.0.2.100"));
}

#[test]
fn stream_gap_drops_the_partial_message() {
    let mut stream = SipStream::default();
    assert!(stream.push(1, &REGISTER[..50]).is_empty());
    stream.gap();
    assert_eq!(stream.dropped_messages(), 1);
    // The rest of the lost message is skipped; the next one is found.
    let mut rest = REGISTER[80..].to_vec();
    rest.extend_from_slice(CHALLENGE);
    let got = stream.push(2, &rest);
    assert_eq!(got.len(), 1);
    assert!(matches!(
        got[0].1.start,
        StartLine::Response { code: 401, .. }
    ));
}

#[test]
fn stream_buffer_is_bounded() {
    // A start line and then endless header lines: never a blank line.
    let mut stream = SipStream::default();
    assert!(stream.push(1, b"SIP/2.0 200 OK\r\n").is_empty());
    let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(2000);
    for frame in 2..20 {
        assert!(stream.push(frame, &line).is_empty());
        assert!(stream.buf.len() <= MAX_STREAM_BUFFER);
    }
    assert!(stream.dropped_messages() > 0);
    // One line without an end at all.
    let mut stream = SipStream::default();
    stream.push(1, &vec![b'A'; MAX_STREAM_BUFFER * 2]);
    assert!(stream.buf.len() <= MAX_START_LINE);
    let got = stream.push(2, &[b"\r\n", REGISTER].concat());
    assert_eq!(got.len(), 1);
}

#[test]
fn every_truncation_of_a_message_is_safe() {
    for message in SAMPLE {
        for len in 0..message.len() {
            let cut = &message[..len];
            // Only a cut inside the body parses, and says so.
            for msg in parse_datagram(cut).into_iter().flatten() {
                assert!(msg.truncated && message == INVITE_SDP, "len {len}");
            }
            let mut stream = SipStream::default();
            assert!(stream.push(1, cut).is_empty(), "len {len}");
            stream.gap();
        }
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn stream_splits_do_not_change_messages(
            mut cuts in proptest::collection::vec(0usize..1500, 0..16),
            keepalives in 0usize..3,
            garbage in any::<bool>(),
        ) {
            let (mut bytes, mut ends) = stream_of(&SAMPLE, keepalives);
            if garbage {
                let junk = b"\x16\x03\x01 junk\r\nSIP/2.0 2\r\nREGISTER x\r\n";
                bytes.splice(0..0, junk.iter().copied());
                ends.iter_mut().for_each(|e| *e += junk.len());
            }
            cuts.sort_unstable();
            let got = push_pieces(&bytes, &cuts);
            let whole = SipStream::default().push(0, &stream_of(&SAMPLE, keepalives).0);
            prop_assert_eq!(got.len(), SAMPLE.len());
            prop_assert_eq!(whole.len(), SAMPLE.len());
            for ((frame, msg), (end, (_, want))) in got.iter().zip(ends.iter().zip(&whole)) {
                prop_assert_eq!(*frame, frame_of(*end, &cuts));
                prop_assert_eq!(msg, want);
            }
            // Each message is the one its bytes give alone, as a datagram.
            for ((_, msg), sample) in got.iter().zip(SAMPLE) {
                let alone = parse_datagram(sample);
                prop_assert_eq!(alone.len(), 1);
                prop_assert_eq!(Some(msg), alone[0].as_ref().ok());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            cut in 0usize..600,
        ) {
            let _ = looks_like_sip(&data);
            let _ = parse_datagram(&data);
            let mut stream = SipStream::default();
            let cut = cut.min(data.len());
            let _ = stream.push(1, &data[..cut]);
            let _ = stream.push(2, &data[cut..]);
        }

        #[test]
        fn mutated_messages_never_panic(
            index in 0usize..SAMPLE.len(),
            edits in proptest::collection::vec((0usize..400, any::<u8>()), 1..8),
        ) {
            let mut data = SAMPLE[index].to_vec();
            for (at, byte) in edits {
                if let Some(b) = data.get_mut(at) {
                    *b = byte;
                }
            }
            let _ = parse_datagram(&data);
            let _ = SipStream::default().push(1, &data);
        }
    }
}

#[test]
fn a_two_hundred_listing_several_bindings_gives_the_phones_own_expiry() {
    let ok = b"SIP/2.0 200 OK\r\n\
Call-ID: reg-1@192.0.2.100\r\n\
CSeq: 2 REGISTER\r\n\
Contact: \"other\" <sip:5551001@192.0.2.100:5070>;expires=59\r\n\
m: <SIP:5551001@192.0.2.100:5060>;+sip.instance=\"<urn:uuid:1;2>\";expires=120\r\n\
Expires: 300\r\n\
Content-Length: 0\r\n\
\r\n";
    let ok = parse_datagram(ok).remove(0).unwrap();
    let own = "<sip:5551001@192.0.2.100:5060>;+sip.instance=\"<urn:uuid:1,2>\";expires=3600";
    assert_eq!(ok.binding_expires(Some(own)), Some(120));
    // No Contact of its own listed: the first Contact's, as before.
    assert_eq!(ok.binding_expires(Some("<sip:9@192.0.2.9>")), Some(59));
    assert_eq!(ok.binding_expires(None), Some(59));
    // A bare addr-spec matches too; no expires parameter falls back to Expires.
    let bare = b"SIP/2.0 200 OK\r\nContact: sip:5551001@192.0.2.100:5060\r\nExpires: 90\r\n\r\n";
    let bare = parse_datagram(bare).remove(0).unwrap();
    assert_eq!(
        bare.binding_expires(Some("sip:5551001@192.0.2.100:5060;transport=udp")),
        Some(90)
    );
}
