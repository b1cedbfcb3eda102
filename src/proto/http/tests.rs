use super::*;
use crate::proto::dhcp::test_pcap::{corpus, tcp_payloads};

const GET: &[u8] = b"GET /cfg/SEP00005E005301.cnf.xml HTTP/1.1\r\nhOsT: prov.example\r\n\
    USER-AGENT: Cisco-CP-8845-3PCC/12.0.2\r\nAccept: */*\r\n\r\n";

fn get() -> HttpMessage {
    HttpMessage::Request {
        method: "GET".into(),
        target: "/cfg/SEP00005E005301.cnf.xml".into(),
        version: "HTTP/1.1".into(),
        host: Some("prov.example".into()),
        user_agent: Some("Cisco-CP-8845-3PCC/12.0.2".into()),
    }
}

fn response(status: u16, reason: &str, content_length: Option<u64>) -> HttpMessage {
    HttpMessage::Response {
        version: "HTTP/1.1".into(),
        status,
        reason: reason.into(),
        server: None,
        content_length,
        location: None,
    }
}

/// The status codes of the responses among `heads`.
fn statuses(heads: &[HttpMessage]) -> Vec<u16> {
    let status = |h: &HttpMessage| match h {
        HttpMessage::Response { status, .. } => Some(*status),
        _ => None,
    };
    heads.iter().filter_map(status).collect()
}

fn push_all(pieces: &[&[u8]]) -> (Vec<HttpMessage>, HttpStream) {
    let mut stream = HttpStream::default();
    let heads = pieces.iter().flat_map(|p| stream.push(p)).collect();
    (heads, stream)
}

#[test]
fn a_redirect_keeps_its_location() {
    let (heads, _) = push_all(&[
        b"HTTP/1.1 302 Found\r\nLocation: https://cfg.example.com/p.xml\r\n",
        b"Content-Length: 0\r\n\r\n",
    ]);
    match &heads[..] {
        [HttpMessage::Response {
            status: 302,
            location: Some(l),
            ..
        }] => assert_eq!(l, "https://cfg.example.com/p.xml"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn looks_like_http_start_lines() {
    for yes in [
        &b"GET / HTTP/1.1"[..],
        b"POST /x",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS *",
    ] {
        assert!(looks_like_http(yes), "{yes:?}");
    }
    assert!(looks_like_http(b"PATCH /a") && looks_like_http(b"CONNECT h:443 HTTP/1.1"));
    assert!(looks_like_http(b"HTTP/1.0 404 Not Found"));
    for no in [
        &b""[..],
        b"GET",
        b"GETX /",
        b"get / HTTP/1.1",
        b"HTTP/2 200",
        b"\x16\x03\x01",
    ] {
        assert!(!looks_like_http(no), "{no:?}");
    }
}

#[test]
fn request_head_with_case_insensitive_names() {
    let (heads, stream) = push_all(&[GET]);
    assert_eq!(heads, vec![get()]);
    assert_eq!(stream.stopped(), None);
}

#[test]
fn response_body_skipped_then_next_response() {
    let data = b"HTTP/1.1 200 OK\r\nServer: lighttpd\r\nContent-Length: 5\r\n\r\n<xml>\
        HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let (heads, stream) = push_all(&[data]);
    let ok = HttpMessage::Response {
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        server: Some("lighttpd".into()),
        content_length: Some(5),
        location: None,
    };
    assert_eq!(heads, vec![ok, response(404, "Not Found", Some(0))]);
    assert_eq!(stream.stopped(), None);
}

#[test]
fn heads_split_at_every_byte() {
    let mut data = b"POST /log HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody".to_vec();
    data.extend_from_slice(GET);
    data.extend_from_slice(b"\r\n");
    data.extend_from_slice(GET);
    let (whole, _) = push_all(&[&data]);
    assert_eq!(whole.len(), 3);
    assert_eq!(&whole[1..], &[get(), get()]);
    for split in 0..=data.len() {
        let (heads, stream) = push_all(&[&data[..split], &data[split..]]);
        assert_eq!(heads, whole, "split at {split}");
        assert!(stream.buf.is_empty() && stream.stopped().is_none());
    }
    let bytes: Vec<&[u8]> = data.chunks(1).collect();
    assert_eq!(push_all(&bytes).0, whole);
}

#[test]
fn bare_lf_heads() {
    let data = b"GET /a HTTP/1.0\nHost: h\n\nHTTP/1.0 304 Not Modified\n\n";
    let (heads, _) = push_all(&[data]);
    let request = HttpMessage::Request {
        method: "GET".into(),
        target: "/a".into(),
        version: "HTTP/1.0".into(),
        host: Some("h".into()),
        user_agent: None,
    };
    let not_modified = HttpMessage::Response {
        version: "HTTP/1.0".into(),
        status: 304,
        reason: "Not Modified".into(),
        server: None,
        content_length: None,
        location: None,
    };
    assert_eq!(heads, vec![request, not_modified]);
}

#[test]
fn a_chunked_body_is_passed_over_to_the_next_response() {
    let data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n\
        5\r\nhello\r\n0\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let (heads, stream) = push_all(&[data]);
    let statuses = statuses(&heads);
    assert_eq!(statuses, vec![200, 404]);
    assert_eq!(stream.unfinished(Cut::Close), None);
}

#[test]
fn a_chunked_body_cut_short_is_unfinished_with_no_known_length() {
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<xml>";
    let (_, stream) = push_all(&[head]);
    let cut = HttpMessage::Unfinished {
        missing_bytes: None,
        by: Cut::Close,
    };
    assert_eq!(stream.unfinished(Cut::Close), Some(cut));
    let (_, mut broken) = push_all(&[head, b"\r\nzz\r\n"]);
    assert_eq!(broken.stopped(), Some("bad_framing"));
    assert_eq!(broken.unfinished(Cut::Close), None);
    assert!(broken.push(b"HTTP/1.1 200 OK\r\n\r\n").is_empty());
}

#[test]
fn response_without_length_reads_to_close() {
    let (heads, stream) = push_all(&[b"HTTP/1.0 200 OK\r\n\r\n<profile>"]);
    assert_eq!(heads.len(), 1);
    assert_eq!(stream.stopped(), Some("body_until_close"));
    assert_eq!(stream.unfinished(Cut::Close), None, "the close ends it");
    let at_end = stream.unfinished(Cut::CaptureEnd);
    assert!(matches!(
        at_end,
        Some(HttpMessage::Unfinished {
            missing_bytes: None,
            ..
        })
    ));
}

#[test]
fn interim_and_empty_responses_have_no_body() {
    let data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\
        HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let (heads, stream) = push_all(&[data]);
    let statuses = statuses(&heads);
    assert_eq!(statuses, vec![100, 204, 200]);
    assert_eq!(stream.stopped(), None);
}

#[test]
fn the_response_to_a_head_has_no_body_whatever_its_length() {
    let mut s = HttpStream::default();
    s.expect_response(true);
    s.expect_response(false);
    let data = b"HTTP/1.1 200 OK\r\nContent-Length: 95\r\n\r\n\
        HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let heads = s.push(data);
    assert_eq!(
        heads.len(),
        2,
        "the GET's answer is not swallowed: {heads:?}"
    );
    assert_eq!(s.unfinished(Cut::Close), None);
}

#[test]
fn a_body_shorter_than_its_content_length_is_left_over_unless_bytes_were_lost() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123";
    let (_, stream) = push_all(&[head]);
    let cut = |missing, by| {
        Some(HttpMessage::Unfinished {
            missing_bytes: missing,
            by,
        })
    };
    assert_eq!(stream.unfinished(Cut::Close), cut(Some(6), Cut::Close));
    let end = Cut::CaptureEnd;
    assert_eq!(stream.unfinished(end), cut(Some(6), end));
    let (_, stream) = push_all(&[head, b"456789"]);
    assert_eq!(stream.unfinished(Cut::Close), None);
    let (_, mut gapped) = push_all(&[head]);
    gapped.gap(0);
    assert_eq!(
        gapped.unfinished(Cut::Close),
        None,
        "after lost bytes of unknown length: unknown"
    );
    // Two bytes lost inside the body are counted off it: four still missing.
    let (_, mut counted) = push_all(&[head]);
    counted.gap(2);
    assert_eq!(counted.unfinished(Cut::CaptureEnd), cut(Some(4), end));
    // A hole reaching past the body's end cannot be placed.
    let (_, mut past) = push_all(&[head]);
    past.gap(6);
    assert_eq!(past.unfinished(Cut::Close), None);
}

#[test]
fn bad_framing_stops() {
    let conflicting = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
    let (heads, stream) = push_all(&[conflicting]);
    assert_eq!(heads.len(), 1);
    assert_eq!(stream.stopped(), Some("bad_framing"));
    let (_, stream) = push_all(&[b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"]);
    assert_eq!(stream.stopped(), Some("bad_framing"));
    let huge = b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    assert_eq!(push_all(&[huge]).1.stopped(), Some("bad_framing"));
    let same = b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nokHTTP/1.1 204 x\r\n\r\n";
    assert_eq!(push_all(&[same]).0.len(), 2);
}

#[test]
fn large_body_is_skipped_without_buffering() {
    let mut stream = HttpStream::default();
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
    assert_eq!(stream.push(head).len(), 1);
    let body = vec![b'\n'; 100_000];
    for _ in 0..10 {
        assert!(stream.push(&body).is_empty());
        assert!(stream.buf.is_empty());
    }
    assert_eq!(stream.push(b"HTTP/1.1 204 No Content\r\n\r\n").len(), 1);
}

#[test]
fn head_longer_than_the_cap_is_dropped() {
    let mut stream = HttpStream::default();
    assert!(stream.push(b"GET / HTTP/1.1\r\n").is_empty());
    let filler = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    for _ in 0..(MAX_HEAD_LEN / filler.len() + 1) {
        assert!(stream.push(filler).is_empty());
        assert!(stream.buf.len() <= MAX_HEAD_LEN);
    }
    assert_eq!(stream.stopped(), Some("head_too_long"));
    assert_eq!(stream.buf.capacity(), 0);
    assert!(stream.push(b"\r\n").is_empty());
}

#[test]
fn head_just_under_the_cap_is_decoded() {
    let mut data = b"GET / HTTP/1.1\r\nX: ".to_vec();
    data.resize(MAX_HEAD_LEN - 4, b'a');
    data.extend_from_slice(b"\r\n\r\n");
    assert_eq!(push_all(&[&data]).0.len(), 1);
}

#[test]
fn not_http_stops() {
    let (heads, stream) = push_all(&[b"\x16\x03\x01\x02\x00\n\n"]);
    assert!(heads.is_empty());
    assert_eq!(stream.stopped(), Some("not_http"));
    let (_, stream) = push_all(&[b"HTTP/1.1 2000 OK\r\n\r\n"]);
    assert_eq!(stream.stopped(), Some("not_http"));
}

#[test]
fn folded_header_joins_the_one_above() {
    let data = b"GET / HTTP/1.1\r\nUser-Agent: Cisco\r\n  CP-8845\r\n\r\n";
    let (heads, _) = push_all(&[data]);
    let HttpMessage::Request { user_agent, .. } = &heads[0] else {
        panic!("not a request");
    };
    assert_eq!(user_agent.as_deref(), Some("Cisco CP-8845"));
}

#[test]
fn corpus_http_xml_response_200() {
    let payloads = tcp_payloads(&corpus("tcpdump__ipv4_tcp_http_xml.pcap"));
    let data = payloads[0].as_deref().unwrap();
    assert!(looks_like_http(data));
    let mut stream = HttpStream::default();
    let heads = stream.push(data);
    let expected = HttpMessage::Response {
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        server: Some("Microsoft-IIS/6.0".into()),
        content_length: Some(351),
        location: None,
    };
    assert_eq!(heads, vec![expected]);
    assert_eq!((stream.body_left, stream.stopped()), (0, None));
}

#[test]
fn corpus_sll2_get_testing() {
    let payloads = tcp_payloads(&corpus("suri__decode-sll2-01.pcap"));
    let mut stream = HttpStream::default();
    let heads: Vec<HttpMessage> = payloads
        .iter()
        .flatten()
        .flat_map(|p| stream.push(p))
        .collect();
    let expected = HttpMessage::Request {
        method: "GET".into(),
        target: "/testing".into(),
        version: "HTTP/1.1".into(),
        host: Some("192.168.1.21".into()),
        user_agent: Some("curl/8.5.0".into()),
    };
    assert_eq!(heads, vec![expected]);
}

proptest::proptest! {
    #[test]
    fn any_pieces_never_panic(
        pieces in proptest::collection::vec(proptest::collection::vec(0u8.., 0..300), 0..8),
    ) {
        let mut stream = HttpStream::default();
        for piece in &pieces {
            let _ = stream.push(piece);
            proptest::prop_assert!(stream.buf.len() <= MAX_HEAD_LEN);
        }
    }

    #[test]
    fn http_like_pieces_never_panic(
        pieces in proptest::collection::vec("[A-Z/ 0-9.:\r\n-]{0,40}", 0..12),
    ) {
        let mut stream = HttpStream::default();
        for piece in &pieces {
            let _ = stream.push(piece.as_bytes());
        }
    }
}

#[test]
fn a_connect_answered_2xx_opens_a_tunnel_and_hands_over_its_bytes() {
    let (mut client, mut server) = (HttpStream::default(), HttpStream::default());
    let connect = b"CONNECT activate.cisco.com:443 HTTP/1.1\r\nHost: x\r\n\r\n\x16\x03\x01";
    let heads = client.push(connect);
    assert!(matches!(&heads[..], [HttpMessage::Request { method, .. }] if method == "CONNECT"));
    assert_eq!(client.stopped(), Some(TUNNEL));
    // Bytes after the CONNECT head, and later ones, wait for the tunnel.
    assert!(client.push(b"\x02\x00").is_empty());
    assert_eq!(client.take_tunnel(), b"\x16\x03\x01\x02\x00");
    // A refusal does not open it, and the stream reads on.
    server.expect_tunnel();
    let no = b"HTTP/1.1 403 Filtered\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(server.push(no).len(), 1);
    assert_eq!(server.stopped(), None);
    // A 2xx answers the next CONNECT: what follows its head is tunnel.
    server.expect_tunnel();
    let yes = b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03";
    assert_eq!(server.push(yes).len(), 1);
    assert_eq!(server.stopped(), Some(TUNNEL));
    assert_eq!(server.take_tunnel(), b"\x16\x03\x03");
    assert!(server.take_tunnel().is_empty());
    // A refusal reopens the client's stream: what it held since its
    // CONNECT (a second CONNECT with credentials) is read as HTTP.
    let mut again = HttpStream::default();
    again.push(b"CONNECT a:443 HTTP/1.1\r\n\r\nCONNECT a:443 HTTP/1.1\r\nProxy-Auth");
    let retry = again.tunnel_refused();
    assert!(retry.is_empty(), "the second head is not complete yet");
    assert_eq!(again.stopped(), None);
    let heads = again.push(b"orization: Basic eA==\r\n\r\n");
    assert!(matches!(&heads[..], [HttpMessage::Request { method, .. }] if method == "CONNECT"));
    assert_eq!(again.stopped(), Some(TUNNEL));
    assert!(HttpStream::default().tunnel_refused().is_empty());
    // Without a CONNECT before it, a 200 is an ordinary response.
    let mut plain = HttpStream::default();
    plain.push(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(plain.stopped(), None);
}

#[test]
fn an_html_body_of_a_2xx_is_told_after_its_response_whatever_the_pieces() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 30\r\n\r\n";
    let body = b"<!DOCTYPE html><html></html>\r\n";
    let whole = [&head[..], &body[..]].concat();
    let (heads, _) = push_all(&[&whole]);
    assert_eq!(
        heads,
        vec![response(200, "OK", Some(30)), HttpMessage::HtmlBody]
    );
    // The head in one segment, the body in the next (nginx's sendfile).
    let (heads, _) = push_all(&[head, &body[..9], &body[9..]]);
    assert_eq!(
        heads,
        vec![response(200, "OK", Some(30)), HttpMessage::HtmlBody]
    );
    // A profile, an HTML error page and a HEAD's answer are no web page.
    let xml = b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n<flat-profile></flat-profile>\r\n";
    assert_eq!(push_all(&[xml]).0, vec![response(200, "OK", Some(30))]);
    let missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\n<html></html>";
    assert_eq!(
        push_all(&[missing]).0,
        vec![response(404, "Not Found", Some(13))]
    );
}

#[test]
fn an_html_body_read_to_the_close_or_in_chunks_is_told() {
    let to_close = b"HTTP/1.0 200 OK\r\n\r\n<html><body>Sign in</body></html>";
    let (heads, stream) = push_all(&[to_close]);
    assert_eq!(heads.last(), Some(&HttpMessage::HtmlBody));
    assert_eq!(stream.stopped(), Some("body_until_close"));
    let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    let (heads, _) = push_all(&[chunked, b"d\r\n<html></html>\r\n0\r\n\r\n"]);
    assert_eq!(heads.last(), Some(&HttpMessage::HtmlBody));
    // Then the next response on the connection is read as before.
    let next = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let (heads, _) = push_all(&[chunked, b"d\r\n<html></html>\r\n0\r\n\r\n", next]);
    assert_eq!(statuses(&heads), vec![200, 404]);
}

#[test]
fn interim_responses_are_not_final() {
    assert!(!response(100, "Continue", None).is_final_response());
    assert!(!response(103, "Early Hints", None).is_final_response());
    assert!(response(101, "Switching Protocols", None).is_final_response());
    assert!(response(200, "OK", Some(0)).is_final_response());
    assert!(response(404, "Not Found", Some(0)).is_final_response());
    assert!(!get().is_final_response());
}

#[test]
fn a_compressed_body_is_inflated_before_it_is_told() {
    use std::io::Write;
    let gz = |text: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    };
    for (body, page) in [
        (&b"<html><body>Sign in</body></html>"[..], true),
        (b"<flat-profile/>", false),
    ] {
        let coded = gz(body);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\
             Content-Length: {}\r\n\r\n",
            coded.len()
        );
        let (heads, _) = push_all(&[head.as_bytes(), &coded]);
        assert_eq!(
            heads.last() == Some(&HttpMessage::HtmlBody),
            page,
            "{body:?}"
        );
    }
}

/// A response head cut by the snaplen on a keep-alive connection: the rest
/// of it is dropped, and the next response is read on its own, not joined
/// to it (tester102: a 404 read as the cut 200's body).
#[test]
fn a_gap_in_a_head_drops_it_and_waits_for_the_next_message() {
    let mut s = HttpStream::default();
    assert!(s
        .push(b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Le")
        .is_empty());
    assert!(!s.gap(90));
    assert!(s.push(b"<?xml version=\"1.0\"?><flat-profile/>").is_empty());
    let heads = s.push(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(statuses(&heads), [404]);
}

/// Bytes cut by the snaplen inside a body of known length are counted off
/// it, up to its very end.
#[test]
fn a_gap_up_to_a_bodys_end_is_counted_off_it() {
    let mut s = HttpStream::default();
    let heads = s.push(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd");
    assert_eq!(statuses(&heads), [200]);
    assert!(s.gap(6));
    let heads = s.push(b"HTTP/1.1 304 Not Modified\r\n\r\n");
    assert_eq!(statuses(&heads), [304]);
    assert!(s.unfinished(Cut::Close).is_none());
}
