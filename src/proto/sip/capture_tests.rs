use std::collections::HashMap;

use super::*;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

struct Packet {
    frame: u64,
    /// Source address and port, destination address and port.
    flow: (Vec<u8>, u16, Vec<u8>, u16),
    /// TCP sequence number and SYN flag; `None` for UDP.
    tcp: Option<(u32, bool)>,
    payload: Vec<u8>,
}

fn u16_be(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn u32_le(d: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
}

/// Link-layer frames with their link type, numbered from 1.
fn frames(path: &str) -> Vec<(u32, Vec<u8>)> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = Vec::new();
    if u32_le(&file, 0) == 0x0a0d_0d0a {
        assert_eq!(u32_le(&file, 8), 0x1a2b_3c4d, "little-endian pcapng only");
        let mut links = Vec::new();
        let mut at = 0;
        while at + 12 <= file.len() {
            let kind = u32_le(&file, at);
            let len = u32_le(&file, at + 4) as usize;
            let block = &file[at..at + len];
            match kind {
                1 => links.push(u32::from(u16::from_le_bytes([block[8], block[9]]))),
                6 => {
                    let link = links[u32_le(block, 8) as usize];
                    let caplen = u32_le(block, 20) as usize;
                    out.push((link, block[28..28 + caplen].to_vec()));
                }
                _ => {}
            }
            at += len;
        }
    } else {
        let magic = u32_le(&file, 0);
        assert!(
            magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d,
            "little-endian pcap"
        );
        let link = u32_le(&file, 20);
        let mut at = 24;
        while at + 16 <= file.len() {
            let caplen = u32_le(&file, at + 8) as usize;
            out.push((link, file[at + 16..at + 16 + caplen].to_vec()));
            at += 16 + caplen;
        }
    }
    out
}

fn packets(path: &str) -> Vec<Packet> {
    let mut out = Vec::new();
    for (i, (link, data)) in frames(path).into_iter().enumerate() {
        let ip = match link {
            1 => {
                let mut at = 12;
                while u16_be(&data, at) == 0x8100 {
                    at += 4;
                }
                &data[at + 2..]
            }
            113 => &data[16..],
            12 | 101 | 228 => &data[..],
            other => panic!("link type {other}"),
        };
        let (src, dst, proto, l4) = match ip.first().map(|b| b >> 4) {
            Some(4) => {
                let ihl = usize::from(ip[0] & 0x0f) * 4;
                let total = usize::from(u16_be(ip, 2)).min(ip.len());
                if u16_be(ip, 6) & 0x1fff != 0 {
                    continue;
                }
                (
                    ip[12..16].to_vec(),
                    ip[16..20].to_vec(),
                    ip[9],
                    &ip[ihl..total],
                )
            }
            Some(6) => (ip[8..24].to_vec(), ip[24..40].to_vec(), ip[6], &ip[40..]),
            _ => continue,
        };
        let (tcp, header) = match proto {
            17 => (None, 8),
            6 => {
                let seq = u32::from_be_bytes(l4[4..8].try_into().unwrap());
                (
                    Some((seq, l4[13] & 0x02 != 0)),
                    usize::from(l4[12] >> 4) * 4,
                )
            }
            _ => continue,
        };
        out.push(Packet {
            frame: i as u64 + 1,
            flow: (src, u16_be(l4, 0), dst, u16_be(l4, 2)),
            tcp,
            payload: l4[header..].to_vec(),
        });
    }
    out
}

/// SIP messages of a capture: UDP datagrams that look like SIP, TCP
/// payloads in capture order through one `SipStream` per direction.
fn sip_messages(path: &str) -> Vec<(u64, SipMessage)> {
    let mut out = Vec::new();
    let mut streams: HashMap<_, SipStream> = HashMap::new();
    for p in packets(path) {
        if p.tcp.is_some() {
            let stream = streams.entry(p.flow.clone()).or_default();
            out.extend(stream.push(p.frame, &p.payload));
        } else if looks_like_sip(&p.payload) {
            for result in parse_datagram(&p.payload) {
                let msg = result.unwrap_or_else(|e| panic!("frame {}: {e}", p.frame));
                out.push((p.frame, msg));
            }
        }
    }
    out
}

fn case(name: &str) -> Vec<(u64, SipMessage)> {
    sip_messages(&format!("{SHARED}/cases/{name}/capture.pcap"))
}

fn code(msg: &SipMessage) -> Option<u16> {
    msg.status()
}

fn method(msg: &SipMessage) -> Option<&str> {
    msg.method()
}

#[test]
fn case_27_header_forms() {
    let msgs = case("27-sip-header-forms");
    assert_eq!(msgs.len(), 4);
    let m: Vec<&SipMessage> = msgs.iter().map(|(_, m)| m).collect();
    for (msg, cseq) in m.iter().zip([1, 1, 2, 2]) {
        assert_eq!(msg.call_id.as_deref(), Some("c27-forms@192.0.2.100"));
        assert_eq!(msg.cseq, Some((cseq, "REGISTER".to_string())));
    }
    assert_eq!(method(m[0]), Some("REGISTER"));
    assert_eq!(code(m[1]), Some(401));
    let challenge = m[1].www_authenticate.as_ref().expect("401 challenge");
    assert_eq!(challenge.scheme, "Digest");
    for (k, v) in [
        ("realm", "sip.example.com"),
        ("nonce", "dd01ee02"),
        ("opaque", "op27"),
        ("algorithm", "MD5"),
        ("qop", "auth"),
    ] {
        assert_eq!(challenge.get(k), Some(v), "{k}");
    }
    // Compact forms arrive under their long names; no header is named
    // after a continuation line.
    for long in ["Via", "From", "To", "Call-ID", "Content-Length"] {
        assert!(m[1].headers.iter().any(|(n, _)| n == long), "{long}");
    }
    assert!(m
        .iter()
        .flat_map(|msg| &msg.headers)
        .all(|(n, _)| !n.contains("nonce") && !n.starts_with(' ')));
    assert_eq!(method(m[2]), Some("REGISTER"));
    let credentials = m[2].authorization.as_ref().expect("credentials");
    assert_eq!(credentials.get("nonce"), Some("dd01ee02"));
    assert_eq!(credentials.get("username"), Some("5551001"));
    assert_eq!(
        m[2].contact,
        ["<sip:5551001@192.0.2.100:5060;transport=udp>;expires=3600"]
    );
    assert_eq!(code(m[3]), Some(200));
    assert_eq!(m[3].contact_expires, Some(600));
    assert!(m.iter().all(|msg| !msg.truncated));
}

#[test]
fn case_10_stale_and_loop() {
    let msgs = case("10-sip-401-loop");
    let seen: Vec<(u64, Option<&str>, Option<u16>, u32)> = msgs
        .iter()
        .map(|(f, m)| (*f, method(m), code(m), m.cseq.as_ref().map_or(0, |c| c.0)))
        .collect();
    let mut want = Vec::new();
    for n in 1..=4 {
        want.push((2 * n as u64 - 1, Some("REGISTER"), None, n));
        want.push((2 * n as u64, None, Some(401), n));
    }
    for n in 1..=3 {
        want.push((7 + 2 * n as u64, Some("REGISTER"), None, n));
        let answer = if n == 3 { 200 } else { 401 };
        want.push((8 + 2 * n as u64, None, Some(answer), n));
    }
    assert_eq!(seen, want);
    let stale: Vec<u64> = msgs
        .iter()
        .filter(|(_, m)| m.www_authenticate.as_ref().is_some_and(AuthParams::stale))
        .map(|(f, _)| *f)
        .collect();
    assert_eq!(stale, [12]);
    let (_, ok) = &msgs[13];
    assert_eq!(ok.call_id.as_deref(), Some("c10-stale@192.0.2.101"));
    assert_eq!(ok.contact_expires, Some(3600));
    assert_eq!(msgs[12].1.expires, Some(3600));
    assert_eq!(
        msgs[7]
            .1
            .www_authenticate
            .as_ref()
            .and_then(|a| a.get("nonce")),
        Some("4e6f6e6365443034")
    );
}

/// Client bytes of a TCP direction by sequence number, first write wins,
/// SYN data at ISN + 1.
fn reassemble(packets: &[Packet], sport: u16) -> Vec<u8> {
    let mine: Vec<&Packet> = packets.iter().filter(|p| p.flow.1 == sport).collect();
    let isn = mine.iter().find_map(|p| p.tcp.filter(|t| t.1)).unwrap().0;
    let mut bytes: Vec<Option<u8>> = Vec::new();
    for p in mine {
        let (seq, syn) = p.tcp.unwrap();
        let at = seq
            .wrapping_sub(isn)
            .wrapping_add(u32::from(syn))
            .wrapping_sub(1);
        for (i, &b) in p.payload.iter().enumerate() {
            let i = at as usize + i;
            if bytes.len() <= i {
                bytes.resize(i + 1, None);
            }
            bytes[i].get_or_insert(b);
        }
    }
    bytes.into_iter().map(|b| b.expect("no hole")).collect()
}

#[test]
fn case_20_reassembled_register() {
    let path = format!("{SHARED}/cases/20-tcp-ooo-overlap-syndata/capture.pcap");
    let packets = packets(&path);
    let client = reassemble(&packets, 53100);
    assert_eq!(client.len(), 391);
    for cuts in [vec![], vec![120, 240], vec![1, 60, 180, 390]] {
        let mut stream = SipStream::default();
        let mut got = Vec::new();
        let mut from = 0;
        for (frame, &to) in cuts.iter().chain([client.len()].iter()).enumerate() {
            got.extend(stream.push(frame as u64, &client[from..to]));
            from = to;
        }
        assert_eq!(got.len(), 1, "one REGISTER, cuts {cuts:?}");
        let (frame, msg) = &got[0];
        assert_eq!(*frame, cuts.len() as u64);
        assert_eq!(method(msg), Some("REGISTER"));
        assert_eq!(msg.call_id.as_deref(), Some("c20-ooo@192.0.2.100"));
        let text = format!("{:?}", msg.headers);
        assert!(!text.contains("XXXX") && !text.contains("YYYY"));
    }
    // The OPTIONS whose request line rides in the SYN.
    let options = reassemble(&packets, 53101);
    let got = SipStream::default().push(13, &options);
    assert_eq!(got.len(), 1);
    assert_eq!(method(&got[0].1), Some("OPTIONS"));
    assert_eq!(got[0].1.call_id.as_deref(), Some("c20-syn@192.0.2.100"));
    let server = packets.iter().filter(|p| p.flow.1 == 5060);
    let answers: Vec<Option<u16>> = server
        .flat_map(|p| SipStream::default().push(p.frame, &p.payload))
        .map(|(_, m)| code(&m))
        .collect();
    assert_eq!(answers, [Some(401), Some(200)]);
}

/// Rows of the "SIP fields" section of a corpus truth file.
fn truth_rows(file: &str) -> Vec<Vec<String>> {
    let path = format!("{SHARED}/corpus/truth/{file}.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("## SIP fields"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

fn unquote(s: &str) -> &str {
    s.trim_matches('"')
}

/// Compares our reading of a corpus file with tshark's, field by field.
fn compare_with_truth(file: &str) -> Vec<(u64, SipMessage)> {
    let msgs = sip_messages(&format!("{SHARED}/corpus/files/{file}"));
    let rows = truth_rows(file);
    let frames: Vec<u64> = msgs.iter().map(|(f, _)| *f).collect();
    let want: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(frames, want, "{file}: frames");
    for ((frame, msg), row) in msgs.iter().zip(&rows) {
        let at = format!("{file} frame {frame}");
        let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
        assert_eq!(
            method(msg).map(str::to_string),
            opt(&row[12]),
            "{at}: method"
        );
        assert_eq!(
            code(msg).map(|c| c.to_string()),
            opt(&row[13]),
            "{at}: status"
        );
        if let StartLine::Request { uri, .. } = &msg.start {
            assert_eq!(uri, &row[14], "{at}: uri");
        }
        assert_eq!(msg.call_id, opt(&row[15]), "{at}: Call-ID");
        let cseq = msg.cseq.as_ref().map(|(n, m)| format!("{n} {m}"));
        assert_eq!(cseq, opt(&row[16]), "{at}: CSeq");
        assert_eq!(msg.user_agent, opt(&row[19]), "{at}: User-Agent");
        assert_eq!(msg.server, opt(&row[20]), "{at}: Server");
        assert_eq!(
            msg.expires.map(|e| e.to_string()),
            opt(&row[21]),
            "{at}: Expires"
        );
        let auth = msg.www_authenticate.as_ref().or(msg.authorization.as_ref());
        let realm = auth.and_then(|a| a.get("realm")).unwrap_or_default();
        assert_eq!(realm, unquote(&row[22]), "{at}: realm");
        let nonce = auth.and_then(|a| a.get("nonce")).unwrap_or_default();
        assert_eq!(nonce, unquote(&row[23]), "{at}: nonce");
        let contact_uri = row[24].split(',').next().unwrap_or_default();
        match msg.contact.first() {
            Some(c) => assert!(c.contains(contact_uri), "{at}: {c} vs {contact_uri}"),
            None => assert_eq!(contact_uri, "", "{at}: contact"),
        }
        assert!(!msg.truncated, "{at}");
    }
    msgs
}

#[test]
fn corpus_sip_tcp_method_register_over_two_segments() {
    let msgs = compare_with_truth("suri__sip-tcp-method.pcap");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].1.contact_expires, None);
    assert_eq!(msgs[0].1.expires, Some(600));
}

#[test]
fn corpus_sip_hello_huawei_challenge() {
    let msgs = compare_with_truth("ndpi__sip_hello.pcapng");
    let challenge = msgs[1].1.www_authenticate.as_ref().unwrap();
    assert_eq!(challenge.get("realm"), Some("Huawei"));
    assert_eq!(code(&msgs[3].1), Some(200));
    assert_eq!(msgs[3].1.contact_expires, Some(600));
}

#[test]
fn corpus_responses_over_udp_and_tcp() {
    let msgs = compare_with_truth("ppp__sip_resp.pcap");
    assert!(msgs.iter().all(|(_, m)| code(m).is_some()));
    assert_eq!(
        msgs[4].1.www_authenticate.as_ref().unwrap().get("opaque"),
        Some("4b41a11c5e861779")
    );
}

#[test]
fn corpus_raw_ip_403() {
    let msgs = compare_with_truth("heplify__ipip0.pcap");
    assert_eq!(code(&msgs[1].1), Some(403));
}

#[test]
fn corpus_sip_method_many_transactions() {
    let msgs = compare_with_truth("suri__sip-method_sip.pcap");
    let challenges = msgs.iter().filter(|(_, m)| m.proxy_challenge).count();
    assert_eq!(challenges, 3, "407s carry Proxy-Authenticate");
}

#[test]
fn every_truncation_of_real_messages_is_safe() {
    let msgs = case("27-sip-header-forms");
    assert_eq!(msgs.len(), 4);
    let path = format!("{SHARED}/cases/27-sip-header-forms/capture.pcap");
    for p in packets(&path) {
        for len in 0..p.payload.len() {
            let cut = &p.payload[..len];
            assert!(parse_datagram(cut).iter().all(Result::is_err), "len {len}");
            assert!(SipStream::default().push(1, cut).is_empty(), "len {len}");
        }
    }
}
