use super::*;
use proptest::prelude::*;

/// Header with the given id, flags and counts.
fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m
}

fn labels(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// Type, class IN, TTL 60 and rdata.
fn rr_tail(rtype: u16, rdata: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&60u32.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

/// Response: question `activate.cisco.com` A at offset 12, CNAME to
/// x.<question> whose rdata name is then the target of two A records,
/// the second through a pointer to a pointer (like case 23's 0x2302).
fn cname_chain() -> Vec<u8> {
    let mut m = header(0x2302, 0x8180, [1, 3, 0, 0]);
    m.extend(labels("Activate.Cisco.com"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    let cname_at = m.len();
    m.extend_from_slice(&[0xc0, 12]);
    let rdata_at = m.len() + 10;
    m.extend(rr_tail(5, &[1, b'x', 0xc0, 12]));
    let a1_at = m.len();
    m.extend_from_slice(&[0xc0, rdata_at as u8]);
    m.extend(rr_tail(1, &[198, 51, 100, 40]));
    m.extend_from_slice(&[0xc0, a1_at as u8]);
    m.extend(rr_tail(1, &[198, 51, 100, 41]));
    assert_eq!(cname_at, 36);
    m
}

fn addrs(records: &[DnsRecord]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            RData::A { addr } => Some(addr.to_string()),
            RData::Aaaa { addr } => Some(addr.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn query_header_and_lowercase_question() {
    let mut m = header(0xbeef, 0x0100, [1, 0, 0, 0]);
    m.extend(labels("WWW.Example.COM"));
    m.extend_from_slice(&[0, 28, 0, 1]);
    let msg = parse(&m).unwrap();
    assert_eq!(msg.id, 0xbeef);
    assert!(!msg.response);
    assert_eq!(msg.opcode, 0);
    assert_eq!(msg.rcode, 0);
    assert_eq!(
        msg.questions,
        vec![DnsQuestion {
            name: "www.example.com".into(),
            qtype: 28
        }]
    );
    assert_eq!(msg.malformed, None);
}

#[test]
fn header_bits() {
    // QR, opcode 5 (UPDATE), rcode 3.
    let m = header(1, 0x8000 | (5 << 11) | 3, [0, 0, 0, 0]);
    let msg = parse(&m).unwrap();
    assert!(msg.response);
    assert_eq!(msg.opcode, 5);
    assert_eq!(msg.rcode, 3);
    assert_eq!(parse(&m[..11]), Err(DnsError::TooShort { len: 11 }));
}

#[test]
fn cname_and_pointer_to_pointer() {
    let msg = parse(&cname_chain()).unwrap();
    assert_eq!(msg.malformed, None);
    assert_eq!(msg.questions[0].name, "activate.cisco.com");
    assert_eq!(msg.answers.len(), 3);
    assert_eq!(msg.answers[0].name, "activate.cisco.com");
    assert_eq!(
        msg.answers[0].data,
        RData::Cname {
            target: "x.activate.cisco.com".into()
        }
    );
    assert_eq!(msg.answers[1].name, "x.activate.cisco.com");
    assert_eq!(msg.answers[2].name, "x.activate.cisco.com");
    assert_eq!(addrs(&msg.answers), ["198.51.100.40", "198.51.100.41"]);
    assert_eq!(msg.answers[2].ttl, 60);
}

#[test]
fn pointer_to_itself_is_a_loop() {
    let mut m = header(7, 0x8180, [1, 1, 0, 0]);
    m.extend(labels("a.example"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    let at = m.len() as u8;
    m.extend_from_slice(&[0xc0, at]);
    m.extend(rr_tail(1, &[192, 0, 2, 1]));
    let msg = parse(&m).unwrap();
    let why = msg.malformed.unwrap();
    assert!(why.starts_with("compression pointer loop"), "{why}");
    assert!(why.contains("answer 1 name"), "{why}");
    assert!(msg.answers.is_empty());
    assert_eq!(msg.questions[0].name, "a.example");
}

#[test]
fn pointer_into_own_labels_is_a_loop() {
    // "a" then a pointer back to the "a" label of the same name.
    let mut m = header(7, 0x8180, [1, 0, 0, 0]);
    m.extend_from_slice(&[1, b'a', 0xc0, 12, 0, 1, 0, 1]);
    let why = parse(&m).unwrap().malformed.unwrap();
    assert!(why.starts_with("compression pointer loop"), "{why}");
}

#[test]
fn forward_pointer_loop_between_question_and_answer() {
    // Question "loop" -> forward to the answer's name "x" -> back to 12.
    let mut m = header(0x2303, 0x8180, [1, 1, 0, 0]);
    m.extend_from_slice(&[4, b'l', b'o', b'o', b'p', 0xc0, 23, 0, 1, 0, 1]);
    assert_eq!(m.len(), 23);
    m.extend_from_slice(&[1, b'x', 0xc0, 12]);
    m.extend(rr_tail(1, &[198, 51, 100, 42]));
    let msg = parse(&m).unwrap();
    let why = msg.malformed.unwrap();
    assert!(why.starts_with("compression pointer loop"), "{why}");
    assert!(msg.questions.is_empty());
    assert!(msg.answers.is_empty());
}

#[test]
fn forward_pointer_without_loop_is_still_refused() {
    let mut m = header(9, 0x8180, [1, 1, 0, 0]);
    m.extend_from_slice(&[4, b'f', b'w', b'r', b'd', 0xc0, 23, 0, 1, 0, 1]);
    m.extend(labels("example"));
    m.extend(rr_tail(1, &[192, 0, 2, 9]));
    let why = parse(&m).unwrap().malformed.unwrap();
    assert!(why.starts_with("forward compression pointer"), "{why}");
}

#[test]
fn pointer_beyond_end() {
    let mut m = header(0x2304, 0x8180, [1, 1, 0, 0]);
    m.extend(labels("activate.cisco.com"));
    m.extend_from_slice(&[0, 1, 0, 1, 0xc3, 0xff]);
    m.extend(rr_tail(1, &[198, 51, 100, 43]));
    let msg = parse(&m).unwrap();
    assert_eq!(
        msg.malformed.as_deref(),
        Some("compression pointer 0x3ff beyond end of message (answer 1 name)")
    );
    assert_eq!(msg.questions.len(), 1);
    assert!(msg.answers.is_empty());
}

/// `n` A records, each owner name a pointer to the previous record's
/// name: record k's name takes k hops.
fn pointer_chain(n: usize) -> Vec<u8> {
    let mut m = header(11, 0x8180, [1, n as u16, 0, 0]);
    m.extend(labels("chain.example"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    let mut prev = 12usize;
    for i in 0..n {
        let here = m.len();
        m.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
        m.extend(rr_tail(1, &[10, 0, (i >> 8) as u8, i as u8]));
        prev = here;
    }
    m
}

#[test]
fn long_pointer_chains_are_bounded() {
    let msg = parse(&pointer_chain(MAX_POINTER_HOPS)).unwrap();
    assert_eq!(msg.malformed, None);
    assert_eq!(msg.answers.len(), MAX_POINTER_HOPS);
    assert!(msg.answers.iter().all(|r| r.name == "chain.example"));

    let msg = parse(&pointer_chain(MAX_POINTER_HOPS + 1)).unwrap();
    let why = msg.malformed.unwrap();
    assert_eq!(why, "too many compression pointers (answer 65 name)");
}

#[test]
fn name_longer_than_255_octets() {
    let mut m = header(3, 0x0100, [1, 0, 0, 0]);
    for _ in 0..5 {
        m.push(63);
        m.extend_from_slice(&[b'a'; 63]);
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    let why = parse(&m).unwrap().malformed.unwrap();
    assert!(why.starts_with("name longer than 255"), "{why}");

    // Through pointers: each name adds labels to an earlier one.
    let mut m = header(3, 0x0100, [5, 0, 0, 0]);
    let mut prev: Option<usize> = None;
    for _ in 0..5 {
        let here = m.len();
        m.push(60);
        m.extend_from_slice(&[b'b'; 60]);
        match prev {
            Some(p) => m.extend_from_slice(&[0xc0 | (p >> 8) as u8, p as u8]),
            None => m.push(0),
        }
        m.extend_from_slice(&[0, 1, 0, 1]);
        prev = Some(here);
    }
    let msg = parse(&m).unwrap();
    assert_eq!(msg.questions.len(), 4);
    assert!(msg.malformed.unwrap().contains("question 5 name"));
}

#[test]
fn reserved_label_type() {
    let mut m = header(3, 0x0100, [1, 0, 0, 0]);
    m.extend_from_slice(&[0x41, 0, 0, 1, 0, 1]);
    let why = parse(&m).unwrap().malformed.unwrap();
    assert!(why.starts_with("reserved label type 0x40"), "{why}");
}

#[test]
fn every_truncation_is_malformed_not_a_panic() {
    let full = cname_chain();
    for len in 0..full.len() {
        match parse(&full[..len]) {
            Err(DnsError::TooShort { .. }) => assert!(len < 12),
            Ok(msg) => {
                assert!(msg.malformed.is_some(), "length {len}");
                assert!(msg.answers.is_empty());
            }
        }
    }
    assert_eq!(parse(&full).unwrap().malformed, None);
}

/// tester124's `tcpdump -s 96`: an SRV answer, the target's A record in
/// the additional section, then the EDNS OPT record the snaplen cut.
#[test]
fn a_snaplen_cut_after_the_answers_keeps_them() {
    let mut m = header(7, 0x8180, [1, 1, 0, 2]);
    m.extend(labels("_sips._tcp.sbc.example.com"));
    m.extend_from_slice(&[0, 33, 0, 1]);
    m.extend_from_slice(&[0xc0, 12]);
    let mut srv = vec![0, 10, 0, 60, 0x22, 0xe6];
    srv.extend(labels("sbc1.example.com"));
    m.extend(rr_tail(33, &srv));
    let answers_end = m.len();
    m.extend(labels("sbc1.example.com"));
    m.extend(rr_tail(1, &[198, 51, 100, 20]));
    let a_end = m.len();
    m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    for len in answers_end..m.len() {
        let cut = parse_cut(&m[..len]).unwrap();
        let (place, kept) = match len < a_end {
            true => ("additional 1", 0),
            false => ("additional 2", 1),
        };
        assert_eq!(cut.malformed, None, "length {len}");
        assert_eq!(cut.cut.as_deref(), Some(place));
        assert_eq!(cut.answers.len(), 1);
        assert_eq!(cut.additionals.len(), kept);
        // Not cut by the capture: a message that ends early is malformed.
        let whole = parse(&m[..len]).unwrap();
        assert!(whole.malformed.is_some() && whole.cut.is_none());
        assert!(whole.additionals.is_empty());
    }
    assert_eq!(
        addrs(&parse_cut(&m[..a_end]).unwrap().additionals),
        ["198.51.100.20"]
    );
    assert_eq!(parse_cut(&m).unwrap(), parse(&m).unwrap());
    // A cut inside the question or the answers hides what the answer holds.
    for len in 12..answers_end {
        let cut = parse_cut(&m[..len]).unwrap();
        assert!(cut.malformed.is_some() && cut.cut.is_none(), "length {len}");
        assert!(cut.answers.is_empty());
    }
}

#[test]
fn bad_rdata_sizes() {
    let mut m = header(5, 0x8180, [0, 1, 0, 0]);
    m.extend(labels("a.example"));
    m.extend(rr_tail(1, &[1, 2, 3, 4, 5]));
    let why = parse(&m).unwrap().malformed.unwrap();
    assert_eq!(why, "A rdata of 5 octets (answer 1 rdata)");

    // CNAME whose name runs past its rdlength.
    let mut m = header(5, 0x8180, [0, 1, 0, 0]);
    m.extend(labels("a.example"));
    m.extend(rr_tail(5, &[3, b'b', b'c']));
    m.extend_from_slice(&[b'd', 0]);
    let why = parse(&m).unwrap().malformed.unwrap();
    assert!(
        why.contains("rdlength") || why.contains("truncated"),
        "{why}"
    );
}

/// A response simple-dns refuses (unknown qtype, Z bit) still gives its
/// records; unknown rtypes become Other.
#[test]
fn records_of_a_message_simple_dns_refuses() {
    let mut m = header(0x4444, 0x8180 | 0x0040, [1, 4, 0, 1]);
    m.extend(labels("_sip._udp.Example.com"));
    m.extend_from_slice(&[0xff, 0x00, 0, 1]);
    // NAPTR (35), HTTPS (65) with junk rdata, SRV, A.
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(rr_tail(35, &[0, 10, 0, 20, 1, b's', 0, 0]));
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(rr_tail(65, &[0xde, 0xad]));
    m.extend_from_slice(&[0xc0, 12]);
    let mut srv = vec![0, 10, 0, 1, 0x13, 0xc4];
    srv.extend(labels("sip.example.com"));
    m.extend(rr_tail(33, &srv));
    // Owner with a non-ASCII label (UTF-8 "é").
    m.extend_from_slice(&[2, 0xc3, 0xa9, 0xc0, 12 + 10]);
    m.extend(rr_tail(1, &[192, 0, 2, 7]));
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(rr_tail(
        28,
        &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ));
    assert!(simple_dns::Packet::parse(&m).is_err());
    let msg = parse(&m).unwrap();
    assert_eq!(msg.malformed, None);
    assert_eq!(msg.questions[0].qtype, 0xff00);
    let rtypes: Vec<_> = msg.answers.iter().map(|r| r.data.clone()).collect();
    assert_eq!(rtypes[0], RData::Other { rtype: 35 });
    assert_eq!(rtypes[1], RData::Other { rtype: 65 });
    assert_eq!(
        rtypes[2],
        RData::Srv {
            priority: 10,
            weight: 1,
            port: 5060,
            target: "sip.example.com".into()
        }
    );
    assert_eq!(msg.answers[3].name, "\\195\\169.example.com");
    assert_eq!(addrs(&msg.answers), ["192.0.2.7"]);
    assert_eq!(addrs(&msg.additionals), ["2001:db8::1"]);
}

#[test]
fn unknown_types_do_not_fail_simple_dns() {
    let mut m = header(0x4545, 0x8180, [1, 2, 0, 0]);
    m.extend(labels("example.com"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(rr_tail(0xfe01, &[1, 2, 3]));
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(rr_tail(1, &[192, 0, 2, 8]));
    assert!(decode_simple_dns(&m).is_some());
    let msg = parse(&m).unwrap();
    assert_eq!(msg.answers[0].data, RData::Other { rtype: 0xfe01 });
    assert_eq!(addrs(&msg.answers), ["192.0.2.8"]);
}

#[test]
fn edns_extended_rcode() {
    let mut m = header(6, 0x8180, [0, 0, 0, 1]);
    // OPT: root owner, type 41, payload size 1232, ttl ext-rcode 1.
    m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0]);
    let msg = parse(&m).unwrap();
    assert_eq!(msg.rcode, 16);
    assert_eq!(rcode_name(msg.rcode), "BADVERS");
    assert!(msg.additionals.is_empty());
}

#[test]
fn tcp_framing() {
    let one = cname_chain();
    let mut two = header(0x55, 0x0100, [1, 0, 0, 0]);
    two.extend(labels("b.example"));
    two.extend_from_slice(&[0, 1, 0, 1]);
    let mut stream_bytes = Vec::new();
    for m in [&one, &two, &one] {
        stream_bytes.extend_from_slice(&(m.len() as u16).to_be_bytes());
        stream_bytes.extend_from_slice(m);
    }
    stream_bytes.extend_from_slice(&[0, 0]);

    // All at once: three messages, the empty one skipped.
    let mut s = DnsTcpStream::default();
    let got = s.push(&stream_bytes);
    assert_eq!(got, vec![one.clone(), two.clone(), one.clone()]);

    // One byte per push: each message comes out once, when complete.
    let mut s = DnsTcpStream::default();
    let mut got = Vec::new();
    for (i, b) in stream_bytes.iter().enumerate() {
        for m in s.push(&[*b]) {
            got.push((i, m));
        }
    }
    let ends: Vec<usize> = got.iter().map(|(i, _)| *i).collect();
    let first_end = 2 + one.len() - 1;
    assert_eq!(ends[0], first_end);
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].1, two);
    assert!(s.buf.is_empty());

    // A split inside the length prefix, then a gap.
    let mut s = DnsTcpStream::default();
    assert!(s.push(&stream_bytes[..1]).is_empty());
    assert!(s.push(&stream_bytes[1..20]).is_empty());
    s.gap();
    assert!(s.buf.is_empty());
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&bytes);
        let mut s = DnsTcpStream::default();
        for chunk in bytes.chunks(7) {
            for m in s.push(chunk) {
                let _ = parse(&m);
            }
        }
    }

    #[test]
    fn mutated_messages_never_panic(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)
    ) {
        let mut m = cname_chain();
        for (at, b) in edits {
            let len = m.len();
            m[at % len] = b;
        }
        let msg = parse(&m).unwrap();
        // A malformed message keeps answers only from a whole answer
        // section: every record its header counts.
        if msg.malformed.is_some() && !msg.answers.is_empty() {
            let ancount = u16::from_be_bytes([m[6], m[7]]);
            prop_assert_eq!(msg.answers.len(), usize::from(ancount));
        }
    }
}

// ---- captures ----

use super::test_frames::{case, corpus, segments, tcp_conns};

/// Every DNS message of a capture with the frame that completed it: UDP
/// payloads on port 53/5353, TCP port 53 streams through DnsTcpStream.
fn capture_messages(path: &str) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    for seg in segments(path) {
        let dns_port = [53, 5353, 5355].contains(&seg.sport) || [53, 5353].contains(&seg.dport);
        if seg.tcp.is_none() && dns_port {
            out.push((seg.number, seg.payload));
        }
    }
    for conn in tcp_conns(path) {
        if conn.server.1 != 53 && conn.client.1 != 53 {
            continue;
        }
        let mut streams = [DnsTcpStream::default(), DnsTcpStream::default()];
        for (frame, from_client, bytes) in conn.chunks {
            for m in streams[usize::from(from_client)].push(&bytes) {
                out.push((frame, m));
            }
        }
    }
    out.sort_by_key(|(frame, _)| *frame);
    out
}

/// Rows of a truth file's DNS table, by frame number.
fn truth_rows(file: &str) -> std::collections::HashMap<u64, Vec<String>> {
    let path = format!(
        "{}/../shared/corpus/truth/{file}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = std::collections::HashMap::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line.starts_with("## DNS fields");
            continue;
        }
        if inside && !line.is_empty() {
            let cols: Vec<String> = line.split('|').map(str::to_string).collect();
            rows.insert(cols[0].parse().unwrap(), cols);
        }
    }
    rows
}

fn joined<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Compares each decoded message with tshark's row for its frame; returns
/// how many rows matched.
fn compare_with_truth(file: &str) -> usize {
    let rows = truth_rows(file);
    let mut compared = 0;
    for (frame, bytes) in capture_messages(&corpus(file)) {
        let Some(row) = rows.get(&frame) else {
            continue;
        };
        let msg = parse(&bytes).unwrap();
        let ctx = format!("{file} frame {frame}");
        assert_eq!(msg.malformed, None, "{ctx}");
        assert_eq!(format!("0x{:04x}", msg.id), row[7], "{ctx}");
        assert_eq!(u8::from(msg.response).to_string(), row[8], "{ctx}");
        assert_eq!(msg.opcode.to_string(), row[9], "{ctx}");
        if msg.response {
            assert_eq!(msg.rcode.to_string(), row[10], "{ctx}");
        }
        let qname = joined(msg.questions.iter().map(|q| q.name.clone()));
        assert_eq!(
            qname.replace("\\", ""),
            row[11].replace("<Root>", ""),
            "{ctx}"
        );
        assert_eq!(
            joined(msg.questions.iter().map(|q| q.qtype)),
            row[12],
            "{ctx}"
        );
        assert_eq!(msg.answers.len().to_string(), row[13], "{ctx}");
        let records: Vec<&DnsRecord> = msg.answers.iter().chain(&msg.additionals).collect();
        let a = records.iter().filter_map(|r| match &r.data {
            RData::A { addr } => Some(addr.to_string()),
            _ => None,
        });
        assert_eq!(joined(a), row[16], "{ctx}");
        let aaaa = records.iter().filter_map(|r| match &r.data {
            RData::Aaaa { addr } => Some(addr.to_string()),
            _ => None,
        });
        assert_eq!(joined(aaaa), row[17], "{ctx}");
        let cname = records.iter().filter_map(|r| match &r.data {
            RData::Cname { target } => Some(target.clone()),
            _ => None,
        });
        assert_eq!(joined(cname), row[18], "{ctx}");
        let srv: Vec<_> = records
            .iter()
            .filter_map(|r| match &r.data {
                RData::Srv {
                    priority,
                    weight,
                    port,
                    target,
                } => Some((target.clone(), *port, *priority, *weight)),
                _ => None,
            })
            .collect();
        assert_eq!(joined(srv.iter().map(|s| s.0.clone())), row[19], "{ctx}");
        assert_eq!(joined(srv.iter().map(|s| s.1)), row[20], "{ctx}");
        assert_eq!(joined(srv.iter().map(|s| s.2)), row[21], "{ctx}");
        assert_eq!(joined(srv.iter().map(|s| s.3)), row[22], "{ctx}");
        // The answers' types open tshark's list of all record types.
        let types: Vec<String> = row[23].split(',').map(str::to_string).collect();
        for (i, r) in msg.answers.iter().enumerate() {
            let t = match &r.data {
                RData::A { .. } => 1,
                RData::Aaaa { .. } => 28,
                RData::Cname { .. } => 5,
                RData::Srv { .. } => 33,
                RData::Other { rtype } => *rtype,
            };
            assert_eq!(t.to_string(), types[i], "{ctx} answer {i}");
        }
        compared += 1;
    }
    compared
}

#[test]
fn corpus_files_agree_with_tshark() {
    let files = [
        ("suri__dns-udp-eve-log-srv.pcap", 2),
        ("sanders__dns_query_nonexistent.pcapng", 2),
        ("sanders__stranded_clientside.pcapng", 2),
        ("tcpdump__dns_tcp.pcap", 2),
        ("ndpi__dns.pcap", 5),
        ("zeek__pcapng-multi-interface.pcapng", 6),
        ("tcpdump__LINKTYPE_RAW_ipv6.pcap", 1),
        ("suri__sip-method_sip.pcap", 357),
        ("ppp__dns_over_tcp.pcapng", 3),
        // 43 rows; the 7 in fragmented IP packets need reassembly.
        ("ndpi__dns_fragmented.pcap", 36),
    ];
    for (file, rows) in files {
        assert_eq!(compare_with_truth(file), rows, "{file}");
    }
}

/// The simple-dns decoding and our own walk agree on real messages.
#[test]
fn both_decoders_agree_on_corpus_messages() {
    let files = [
        "suri__dns-udp-eve-log-srv.pcap",
        "tcpdump__dns_tcp.pcap",
        "ndpi__dns.pcap",
        "zeek__pcapng-multi-interface.pcapng",
        "suri__sip-method_sip.pcap",
    ];
    let mut checked = 0;
    for file in files {
        for (_, bytes) in capture_messages(&corpus(file)) {
            let header = Header::read(&bytes).unwrap();
            let walked = walk(&bytes, &header);
            assert_eq!(walked.error, None);
            let Some(decoded) = decode_simple_dns(&bytes) else {
                continue;
            };
            assert_eq!(decoded.questions, walked.questions, "{file}");
            assert_eq!(decoded.answers, walked.answers, "{file}");
            assert_eq!(decoded.additionals, walked.additionals, "{file}");
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn srv_answers_over_raw_ip() {
    let msgs = capture_messages(&corpus("suri__dns-udp-eve-log-srv.pcap"));
    let msg = parse(&msgs[1].1).unwrap();
    assert!(msg.response);
    assert_eq!(msg.questions[0].name, "_sip._udp.sip.voice.google.com");
    assert_eq!(msg.questions[0].qtype, 33);
    let srv: Vec<_> = msg.answers.iter().map(|r| r.data.clone()).collect();
    assert_eq!(
        srv,
        vec![
            RData::Srv {
                priority: 20,
                weight: 1,
                port: 5060,
                target: "sip-anycast-2.voice.google.com".into()
            },
            RData::Srv {
                priority: 10,
                weight: 1,
                port: 5060,
                target: "sip-anycast-1.voice.google.com".into()
            },
        ]
    );
}

#[test]
fn nxdomain_and_servfail() {
    let msgs = capture_messages(&corpus("sanders__dns_query_nonexistent.pcapng"));
    let msg = parse(&msgs[1].1).unwrap();
    assert_eq!(rcode_name(msg.rcode), "NXDOMAIN");
    assert_eq!(msg.questions[0].name, "12498283719301382971974.net");
    assert!(msg.answers.is_empty());

    let msgs = capture_messages(&corpus("sanders__stranded_clientside.pcapng"));
    let msg = parse(&msgs[1].1).unwrap();
    assert_eq!(rcode_name(msg.rcode), "SERVFAIL");
    assert_eq!(msg.questions[0].name, "appserver");
}

#[test]
fn dns_over_tcp_with_length_prefix() {
    let msgs = capture_messages(&corpus("tcpdump__dns_tcp.pcap"));
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].0, 6);
    let msg = parse(&msgs[1].1).unwrap();
    assert_eq!(msg.id, 0x4319);
    assert_eq!(addrs(&msg.answers), ["192.139.46.66", "198.199.88.104"]);
    assert_eq!(
        addrs(&msg.additionals),
        [
            "209.87.249.18",
            "2607:f0b0:f::babe:f00d",
            "97.107.133.15",
            "2600:3c03::f03c:91ff:fe96:e8ef"
        ]
    );
}

#[test]
fn qinq_pppoe_pcapng() {
    let msgs = capture_messages(&corpus("ndpi__dns.pcap"));
    assert_eq!(msgs.len(), 5);
    let msg = parse(&msgs[4].1).unwrap();
    assert_eq!(msg.questions[0].name, "e7.whatsapp.net");
    assert_eq!(addrs(&msg.answers).len(), 8);
}

#[test]
fn cname_chain_from_multi_interface_pcapng() {
    let msgs = capture_messages(&corpus("zeek__pcapng-multi-interface.pcapng"));
    let msg = parse(&msgs[1].1).unwrap();
    let chain: Vec<(String, RData)> = msg
        .answers
        .iter()
        .map(|r| (r.name.clone(), r.data.clone()))
        .collect();
    let cname = |t: &str| RData::Cname { target: t.into() };
    assert_eq!(
        chain[0],
        ("www.apple.com".into(), cname("www-apple-com.v.aaplimg.com"))
    );
    assert_eq!(
        chain[1],
        (
            "www-apple-com.v.aaplimg.com".into(),
            cname("www.apple.com.edgekey.net")
        )
    );
    assert_eq!(
        chain[2],
        (
            "www.apple.com.edgekey.net".into(),
            cname("e6858.dsce9.akamaiedge.net")
        )
    );
    assert_eq!(chain[3].0, "e6858.dsce9.akamaiedge.net");
    assert_eq!(addrs(&msg.answers), ["23.194.101.24"]);
}

/// Every prefix of real messages (a 9-record response over TCP, an
/// 8-address answer, case 23's loops) decodes without a panic, and every
/// prefix of a sound message is malformed.
#[test]
fn every_truncation_of_real_messages() {
    let mut messages = capture_messages(&corpus("tcpdump__dns_tcp.pcap"));
    messages.extend(capture_messages(&corpus("ndpi__dns.pcap")));
    messages.extend(capture_messages(&case("23-dns-compression-loop")));
    assert!(messages.len() > 10);
    for (_, full) in &messages {
        let sound = parse(full).unwrap().malformed.is_none();
        for len in 12..full.len() {
            let msg = parse(&full[..len]).unwrap();
            if sound {
                assert!(msg.malformed.is_some(), "prefix {len} of {}", full.len());
            }
            // Cut inside the answer section: none kept; after it, all.
            let whole = parse(full).unwrap().answers.len();
            assert!(
                msg.malformed.is_none() || msg.answers.is_empty() || msg.answers.len() == whole
            );
        }
    }
}

/// Case 23: the four responses as expected.json describes them.
#[test]
fn case_23_compression_loops() {
    let responses: Vec<DnsMessage> = capture_messages(&case("23-dns-compression-loop"))
        .iter()
        .map(|(_, b)| parse(b).unwrap())
        .filter(|m| m.response)
        .collect();
    assert_eq!(responses.len(), 4);

    let r = &responses[0];
    assert_eq!(r.id, 0x2301);
    let why = r.malformed.as_deref().unwrap();
    assert!(why.starts_with("compression pointer loop"), "{why}");
    assert!(why.contains("answer 1 name"), "{why}");
    assert!(addrs(&r.answers).is_empty());

    let r = &responses[1];
    assert_eq!(r.id, 0x2302);
    assert_eq!(r.malformed, None);
    let answers: Vec<(String, RData)> = r
        .answers
        .iter()
        .map(|a| (a.name.clone(), a.data.clone()))
        .collect();
    let a = |s: &str| RData::A {
        addr: s.parse().unwrap(),
    };
    assert_eq!(
        answers,
        vec![
            (
                "activate.cisco.com".into(),
                RData::Cname {
                    target: "x.activate.cisco.com".into()
                }
            ),
            ("x.activate.cisco.com".into(), a("198.51.100.40")),
            ("x.activate.cisco.com".into(), a("198.51.100.41")),
        ]
    );

    let r = &responses[2];
    assert_eq!(r.id, 0x2303);
    let why = r.malformed.as_deref().unwrap();
    assert!(why.starts_with("compression pointer loop"), "{why}");
    assert!(why.contains("question 1 name"), "{why}");
    assert!(addrs(&r.answers).is_empty());

    let r = &responses[3];
    assert_eq!(r.id, 0x2304);
    let why = r.malformed.as_deref().unwrap();
    assert!(
        why.starts_with("compression pointer 0x3ff beyond end of message"),
        "{why}"
    );
    assert!(addrs(&r.answers).is_empty());
    assert_eq!(r.questions[0].name, "activate.cisco.com");
}

/// The sections as simple-dns reads them: the oracle the walk is checked
/// against.
struct Decoded {
    questions: Vec<DnsQuestion>,
    answers: Vec<DnsRecord>,
    additionals: Vec<DnsRecord>,
}

/// Decodes with simple-dns; None when it refuses the message.
fn decode_simple_dns(msg: &[u8]) -> Option<Decoded> {
    let packet = simple_dns::Packet::parse(msg).ok()?;
    let questions = packet
        .questions
        .iter()
        .map(|q| DnsQuestion {
            name: name_string(&q.qname),
            qtype: u16::from(q.qtype),
        })
        .collect();
    let convert = |records: &[simple_dns::ResourceRecord]| -> Vec<DnsRecord> {
        records.iter().map(record_from_simple_dns).collect()
    };
    Some(Decoded {
        questions,
        answers: convert(&packet.answers),
        additionals: convert(&packet.additional_records),
    })
}

fn record_from_simple_dns(rr: &simple_dns::ResourceRecord) -> DnsRecord {
    use simple_dns::rdata::RData as Sd;
    let data = match &rr.rdata {
        Sd::A(a) => RData::A {
            addr: Ipv4Addr::from(a.address),
        },
        Sd::AAAA(a) => RData::Aaaa {
            addr: Ipv6Addr::from(a.address),
        },
        Sd::CNAME(c) => RData::Cname {
            target: name_string(&c.0),
        },
        Sd::SRV(s) => RData::Srv {
            priority: s.priority,
            weight: s.weight,
            port: s.port,
            target: name_string(&s.target),
        },
        other => RData::Other {
            rtype: u16::from(other.type_code()),
        },
    };
    DnsRecord {
        name: name_string(&rr.name),
        ttl: rr.ttl,
        data,
    }
}

fn name_string(name: &simple_dns::Name) -> String {
    let mut out = String::new();
    for label in name.get_labels() {
        push_label(&mut out, label.as_ref());
    }
    out
}

#[test]
fn records_of_another_class_than_in_are_no_addresses() {
    // activate.cisco.com A, answered by a CHAOS-class A then an IN-class A.
    let mut m = header(0x2401, 0x8180, [1, 2, 0, 0]);
    m.extend(labels("activate.cisco.com"));
    m.extend_from_slice(&[0, 1, 0, 1]);
    let mut chaos = rr_tail(1, &[6, 6, 6, 6]);
    chaos[2..4].copy_from_slice(&3u16.to_be_bytes());
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(chaos);
    m.extend_from_slice(&[0xc0, 12]);
    m.extend(rr_tail(1, &[198, 51, 100, 10]));
    let msg = parse(&m).unwrap();
    assert!(msg.malformed.is_none());
    let addrs: Vec<&RData> = msg
        .answers
        .iter()
        .map(|a| &a.data)
        .filter(|d| matches!(d, RData::A { .. }))
        .collect();
    assert_eq!(addrs.len(), 1, "{:?}", msg.answers);
    assert!(matches!(addrs[0], RData::A { addr } if addr.octets() == [198, 51, 100, 10]));
}
