use super::test_pcap::{case, corpus, udp_payloads};
use super::*;
use proptest::strategy::Strategy;

const MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x01];

/// A BOOTREPLY header (xid 0x01020304, chaddr MAC) followed by `options`.
fn message(options: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; HEADER_LEN];
    m[0] = 2;
    m[1] = 1;
    m[2] = 6;
    m[4..8].copy_from_slice(&[1, 2, 3, 4]);
    m[16..20].copy_from_slice(&[192, 0, 2, 100]);
    m[CHADDR_AT..CHADDR_AT + 6].copy_from_slice(&MAC);
    m[COOKIE_AT..HEADER_LEN].copy_from_slice(&MAGIC_COOKIE);
    m.extend_from_slice(options);
    m
}

fn put(m: &mut [u8], at: usize, bytes: &[u8]) {
    m[at..at + bytes.len()].copy_from_slice(bytes);
}

fn codes(m: &DhcpMessage) -> Vec<u8> {
    m.options.iter().map(|o| o.code).collect()
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

#[test]
fn header_fields() {
    let mut raw = message(&[53, 1, 5, 255]);
    put(&mut raw, 12, &[10, 0, 0, 1]);
    put(&mut raw, 20, &[10, 0, 0, 2]);
    put(&mut raw, 24, &[10, 0, 0, 3]);
    let m = parse(&raw).unwrap();
    assert_eq!((m.op, m.htype, m.hlen, m.xid), (2, 1, 6, 0x0102_0304));
    assert_eq!(m.chaddr, MAC);
    assert_eq!(m.ciaddr, ip(10, 0, 0, 1));
    assert_eq!(m.yiaddr, ip(192, 0, 2, 100));
    assert_eq!(m.siaddr, ip(10, 0, 0, 2));
    assert_eq!(m.giaddr, ip(10, 0, 0, 3));
    assert_eq!(m.message_type, Some(5));
    assert_eq!((m.sname.as_deref(), m.file.as_deref()), (None, None));
    assert!(m.anomalies.is_empty(), "{:?}", m.anomalies);
}

#[test]
fn short_or_cookieless_payloads_are_errors() {
    let raw = message(&[255]);
    for len in 0..HEADER_LEN {
        assert_eq!(parse(&raw[..len]), Err(DhcpError::TooShort { len }));
    }
    let mut bad = raw.clone();
    bad[COOKIE_AT] = 0;
    assert_eq!(parse(&bad), Err(DhcpError::NoCookie));
}

#[test]
fn pad_skipped_end_stops() {
    let m = parse(&message(&[0, 0, 53, 1, 1, 0, 255, 66, 2, b'x', b'y'])).unwrap();
    assert_eq!(codes(&m), vec![53]);
    assert!(m.anomalies.is_empty());
}

#[test]
fn sname_and_file_are_nul_terminated_strings() {
    let mut raw = message(&[255]);
    put(&mut raw, SNAME_AT, b"tftp.example\0junk");
    put(&mut raw, FILE_AT, b"SEP00005E005301.cnf.xml");
    let m = parse(&raw).unwrap();
    assert_eq!(m.sname.as_deref(), Some("tftp.example"));
    assert_eq!(m.file.as_deref(), Some("SEP00005E005301.cnf.xml"));
}

#[test]
fn repeated_options_join_at_first_place() {
    let raw = message(&[
        53, 1, 5, 66, 5, b'p', b'r', b'o', b'v', b'.', 3, 4, 192, 0, 2, 1, 66, 11, b'e', b'x',
        b'a', b'm', b'p', b'l', b'e', b'.', b'c', b'o', b'm', 255,
    ]);
    let m = parse(&raw).unwrap();
    assert_eq!(codes(&m), vec![53, 66, 3]);
    assert_eq!(m.tftp_server_name().as_deref(), Some("prov.example.com"));
    assert_eq!(m.routers(), vec![ip(192, 0, 2, 1)]);
}

#[test]
fn option_150_split_in_two_keeps_both_addresses() {
    // The form that a decoder dropping everything after a 2-address 150 trips on.
    let raw = message(&[
        150, 4, 192, 0, 2, 10, 53, 1, 5, 150, 4, 192, 0, 2, 11, 6, 4, 9, 9, 9, 9, 255,
    ]);
    let m = parse(&raw).unwrap();
    assert_eq!(codes(&m), vec![150, 53, 6]);
    assert_eq!(m.tftp_servers(), vec![ip(192, 0, 2, 10), ip(192, 0, 2, 11)]);
    assert_eq!(m.dns_servers(), vec![ip(9, 9, 9, 9)]);
    let prov = m.provisioning_options();
    assert_eq!(prov, vec![(150, "192.0.2.10, 192.0.2.11".to_string())]);
}

#[test]
fn overload_both_walks_file_then_sname() {
    let mut raw = message(&[53, 1, 5, 52, 1, 3, 255]);
    put(&mut raw, SNAME_AT, &[42, 4, 192, 0, 2, 123, 255]);
    put(&mut raw, FILE_AT, &[66, 3, b'a', b'b', b'c', 255]);
    let m = parse(&raw).unwrap();
    assert_eq!(codes(&m), vec![53, 52, 66, 42]);
    assert_eq!((m.sname.as_deref(), m.file.as_deref()), (None, None));
    assert_eq!(m.ntp_servers(), vec![ip(192, 0, 2, 123)]);
}

#[test]
fn overload_file_only_keeps_sname_string() {
    let mut raw = message(&[52, 1, 1, 255]);
    put(&mut raw, SNAME_AT, b"server.example");
    put(
        &mut raw,
        FILE_AT,
        &[67, 8, b'8', b'8', b'4', b'5', b'.', b'x', b'm', b'l', 255],
    );
    let m = parse(&raw).unwrap();
    assert_eq!(m.sname.as_deref(), Some("server.example"));
    assert_eq!(m.file, None);
    assert_eq!(
        m.option_text(code::BOOTFILE_NAME).as_deref(),
        Some("8845.xml")
    );
}

#[test]
fn overload_sname_only_keeps_file_string() {
    let mut raw = message(&[52, 1, 2, 255]);
    put(&mut raw, SNAME_AT, &[15, 4, b'c', b'o', b'r', b'p', 255]);
    put(&mut raw, FILE_AT, b"boot.bin");
    let m = parse(&raw).unwrap();
    assert_eq!(m.sname, None);
    assert_eq!(m.file.as_deref(), Some("boot.bin"));
    assert_eq!(m.domain_name().as_deref(), Some("corp"));
}

#[test]
fn option_continues_across_areas() {
    // RFC 3396: one long option split between the options field and file.
    let mut raw = message(&[
        52, 1, 1, 160, 8, b'h', b't', b't', b'p', b's', b':', b'/', b'/', 255,
    ]);
    put(&mut raw, FILE_AT, &[160, 4, b'p', b'r', b'o', b'v', 255]);
    let m = parse(&raw).unwrap();
    let url = m.option_text(code::PROVISIONING_URL);
    assert_eq!(url.as_deref(), Some("https://prov"));
    assert_eq!(
        m.provisioning_options(),
        vec![(160, "https://prov".to_string())]
    );
}

#[test]
fn invalid_overload_is_an_anomaly_and_fields_stay_strings() {
    let mut raw = message(&[52, 1, 7, 255]);
    put(&mut raw, SNAME_AT, b"host");
    let m = parse(&raw).unwrap();
    assert_eq!(m.sname.as_deref(), Some("host"));
    assert_eq!(m.anomalies, vec!["overload_invalid"]);
}

#[test]
fn hlen_other_than_6_still_takes_six_bytes() {
    let mut raw = message(&[255]);
    raw[2] = 16;
    let m = parse(&raw).unwrap();
    assert_eq!(m.chaddr, MAC);
    assert_eq!(m.anomalies, vec!["hlen_not_6"]);
}

#[test]
fn missing_end_is_an_anomaly() {
    let m = parse(&message(&[53, 1, 3])).unwrap();
    assert_eq!(m.message_type, Some(3));
    assert_eq!(m.anomalies, vec!["options_no_end"]);
}

#[test]
fn truncation_at_every_length_never_panics_and_keeps_what_was_read() {
    let mut raw = message(&[
        53, 1, 5, 52, 1, 3, 66, 16, b'p', b'r', b'o', b'v', b'.', b'e', b'x', b'a', b'm', b'p',
        b'l', b'e', b'.', b'c', b'o', b'm', 150, 8, 192, 0, 2, 10, 192, 0, 2, 11, 255,
    ]);
    put(&mut raw, FILE_AT, &[67, 3, b'a', b'b', b'c', 255]);
    put(&mut raw, SNAME_AT, &[255]);
    let full = raw.len();
    let at_66_data = HEADER_LEN + 8;
    for len in 0..=full {
        let result = parse(&raw[..len]);
        if len < HEADER_LEN {
            assert!(result.is_err());
            continue;
        }
        let m = result.unwrap();
        // The options in the file field are complete at every cut.
        if len > HEADER_LEN + 5 {
            assert_eq!(m.option_text(67).as_deref(), Some("abc"), "len {len}");
        }
        if len < full {
            assert!(!m.anomalies.is_empty(), "len {len}");
        }
        if (at_66_data..at_66_data + 16).contains(&len) {
            let kept = m.option(66).unwrap();
            assert_eq!(kept, &raw[at_66_data..len], "len {len}");
            assert!(m.anomalies.contains(&"option_truncated"));
        }
    }
    assert!(parse(&raw).unwrap().anomalies.is_empty());
}

#[test]
fn vendor_specific_sub_options_or_raw() {
    let m = parse(&message(&[43, 7, 1, 2, b'h', b'i', 2, 1, 9, 255])).unwrap();
    let expected = vec![(1, b"hi".to_vec()), (2, vec![9])];
    assert_eq!(
        m.vendor_specific(),
        Some(VendorSpecific::SubOptions(expected))
    );
    let aruba = b"172.18.6.37";
    let mut opts = vec![43, aruba.len() as u8];
    opts.extend_from_slice(aruba);
    opts.push(255);
    let m = parse(&message(&opts)).unwrap();
    assert_eq!(
        m.vendor_specific(),
        Some(VendorSpecific::Raw(aruba.to_vec()))
    );
    // A bare address is not taken for a phone provisioning server.
    assert!(m.provisioning_options().is_empty());
}

#[test]
fn vendor_specific_url_is_provisioning() {
    let url = b"http://192.0.2.10/cfg.xml";
    let mut opts = vec![43, url.len() as u8 + 2, 1, url.len() as u8];
    opts.extend_from_slice(url);
    opts.push(255);
    let m = parse(&message(&opts)).unwrap();
    let text = String::from_utf8(url.to_vec()).unwrap();
    assert_eq!(m.provisioning_options(), vec![(43, text.clone())]);
    // The same URL as plain text in 43.
    let mut opts = vec![43, url.len() as u8];
    opts.extend_from_slice(url);
    let m = parse(&message(&opts)).unwrap();
    assert_eq!(m.provisioning_options(), vec![(43, text)]);
}

#[test]
fn vivso_blocks_and_truncation() {
    let mut opts = vec![125, 23];
    opts.extend_from_slice(&[0, 0, 0, 9, 10, 1, 8]);
    opts.extend_from_slice(b"tftp://x");
    opts.extend_from_slice(&[0, 0, 0x0d, 0xe9, 4, 4, 3, 5]);
    opts.push(255);
    let m = parse(&message(&opts)).unwrap();
    let blocks = m.vivso();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0], (9, vec![(1, b"tftp://x".to_vec())]));
    // The second block says 4 bytes but 3 are left, its sub-option 3 but
    // 1 is left: keep what is there.
    assert_eq!(blocks[1], (3561, vec![(4, vec![5])]));
    assert_eq!(
        m.provisioning_options(),
        vec![(125, "tftp://x".to_string())]
    );
}

#[test]
fn text_accessors_trim_nuls() {
    let raw = message(&[
        66, 5, b'h', b'o', b's', b't', 0, 12, 3, b'S', b'E', b'P', 255,
    ]);
    let m = parse(&raw).unwrap();
    assert_eq!(m.tftp_server_name().as_deref(), Some("host"));
    assert_eq!(m.hostname().as_deref(), Some("SEP"));
    assert_eq!(m.provisioning_options(), vec![(66, "host".to_string())]);
}

#[test]
fn numeric_accessors() {
    let raw = message(&[
        1, 4, 255, 255, 255, 0, 50, 4, 192, 0, 2, 5, 51, 4, 0, 0, 0xa8, 0xc0, 54, 4, 192, 0, 2, 1,
        55, 3, 66, 150, 160, 61, 7, 1, 0, 0, 0x5e, 0, 0x53, 1, 150, 3, 1, 2, 3, 255,
    ]);
    let m = parse(&raw).unwrap();
    assert_eq!(m.subnet_mask(), Some(ip(255, 255, 255, 0)));
    assert_eq!(m.requested_ip(), Some(ip(192, 0, 2, 5)));
    assert_eq!(m.lease_time(), Some(43200));
    assert_eq!(m.server_id(), Some(ip(192, 0, 2, 1)));
    assert_eq!(m.requested_options(), Some(&[66, 150, 160][..]));
    assert_eq!(m.client_id(), Some(&[1, 0, 0, 0x5e, 0, 0x53, 1][..]));
    // An option 150 without a whole address names no server: it is sent
    // empty as far as provisioning goes.
    assert!(m.tftp_servers().is_empty());
    assert!(m.provisioning_options().is_empty());
    assert_eq!(m.empty_provisioning_options(), vec![150]);
}

/// Addresses that name no server (RFC 1122 3.2.1.3): 0.0.0.0, loopback,
/// broadcast, multicast... in an address option or as a URL's host are a
/// placeholder, not a server (tester129's ISC scopes with 0.0.0.0).
#[test]
fn placeholder_addresses_name_no_server() {
    let raw = message(&[
        3, 4, 0, 0, 0, 0, 6, 8, 127, 0, 0, 1, 0, 0, 0, 0, 42, 4, 192, 0, 2, 123, 54, 4, 255, 255,
        255, 255, 150, 8, 224, 0, 0, 1, 240, 0, 0, 1, 66, 15, b'2', b'5', b'5', b'.', b'2', b'5',
        b'5', b'.', b'2', b'5', b'5', b'.', b'2', b'5', b'5', 160, 22, b'h', b't', b't', b'p',
        b':', b'/', b'/', b'1', b'2', b'7', b'.', b'0', b'.', b'0', b'.', b'1', b'/', b'p', b'.',
        b'x', b'm', b'l', 255,
    ]);
    let m = parse(&raw).unwrap();
    assert_eq!(m.unusable_servers(3), Some(vec![ip(0, 0, 0, 0)]));
    assert_eq!(
        m.unusable_servers(6),
        Some(vec![ip(127, 0, 0, 1), ip(0, 0, 0, 0)])
    );
    assert_eq!(m.unusable_servers(42), None);
    assert_eq!(m.unusable_servers(121), None);
    assert_eq!(m.server_id(), None);
    assert!(m.provisioning_options().is_empty());
    assert_eq!(m.empty_provisioning_options(), vec![150, 66, 160]);
    assert_eq!(
        m.placeholder_server(150).as_deref(),
        Some("224.0.0.1 (multicast), 240.0.0.1 (reserved, 240.0.0.0/4)")
    );
    assert_eq!(m.placeholder_server(66).as_deref(), Some("255.255.255.255"));
    assert_eq!(
        m.placeholder_server(160).as_deref(),
        Some("http://127.0.0.1/p.xml")
    );
}

// Corpus captures, checked against /work/shared/corpus/truth/<file>.txt.

fn dhcp_frames(path: &std::path::Path) -> Vec<DhcpMessage> {
    let payloads = udp_payloads(&path.to_path_buf());
    payloads
        .into_iter()
        .map(|p| parse(&p.expect("UDP frame")).expect("DHCP"))
        .collect()
}

#[test]
fn corpus_rfc5859_option_150_two_addresses() {
    let msgs = dhcp_frames(&corpus("tcpdump__dhcp-rfc5859.pcap"));
    let types: Vec<_> = msgs.iter().map(|m| m.message_type).collect();
    assert_eq!(types, vec![Some(1), Some(2), Some(3), Some(5)]);
    let ack = &msgs[3];
    assert_eq!(ack.xid, 0xde54_9277);
    assert_eq!(ack.chaddr, [0x00, 0x0c, 0x29, 0x1f, 0x74, 0x06]);
    assert_eq!(codes(ack), vec![53, 54, 51, 1, 3, 150]);
    let tftp = vec![ip(192, 168, 1, 10), ip(192, 168, 1, 11)];
    assert_eq!(ack.tftp_servers(), tftp);
    let prov = vec![(150, "192.168.1.10, 192.168.1.11".to_string())];
    assert_eq!(ack.provisioning_options(), prov);
    assert_eq!(
        msgs[0].requested_options(),
        Some(&[1, 28, 2, 3, 15, 6, 12, 150][..])
    );
    assert_eq!(msgs[2].requested_ip(), Some(ip(192, 168, 1, 4)));
}

#[test]
fn corpus_ppp_dhcp1_option_66_82_120() {
    let msgs = dhcp_frames(&corpus("ppp__Dhcp1.pcap"));
    let offer = &msgs[0];
    assert_eq!(offer.xid, 0x7771_cf85);
    assert_eq!(offer.yiaddr, ip(10, 10, 8, 235));
    assert_eq!(offer.siaddr, ip(172, 22, 178, 234));
    assert_eq!(offer.giaddr, ip(10, 10, 8, 240));
    assert_eq!(codes(offer), vec![53, 1, 54, 51, 3, 6, 66, 120, 61, 90, 82]);
    assert_eq!(offer.tftp_server_name().as_deref(), Some("172.22.178.234"));
    assert_eq!(offer.option(120).map(<[u8]>::len), Some(5));
    assert_eq!(offer.option(82).map(<[u8]>::len), Some(22));
    assert_eq!(
        offer.client_id().map(|c| &c[1..]),
        Some(&b"nathan1clientid"[..])
    );
    assert_eq!(
        offer.dns_servers(),
        vec![ip(143, 209, 4, 1), ip(143, 209, 5, 1)]
    );
    let prov = vec![(66, "172.22.178.234".to_string())];
    assert_eq!(offer.provisioning_options(), prov);
    assert!(offer.anomalies.is_empty());
}

#[test]
fn corpus_ppp_dhcp3_vivso_3561() {
    let ack = &dhcp_frames(&corpus("ppp__Dhcp3.pcap"))[0];
    let subs = vec![
        (4, b"002682".to_vec()),
        (5, b"WECO10KH05005695".to_vec()),
        (6, b"VDSL2CPE".to_vec()),
    ];
    assert_eq!(ack.vivso(), vec![(3561, subs)]);
    assert_eq!(codes(ack), vec![53, 54, 51, 125, 1, 3, 6, 15]);
    assert_eq!(ack.domain_name().as_deref(), Some("athome"));
    assert!(ack.provisioning_options().is_empty());
}

#[test]
fn corpus_zeek_dhcp_all_messages() {
    let msgs = dhcp_frames(&corpus("zeek__dhcp.pcap"));
    let types: Vec<_> = msgs.iter().filter_map(|m| m.message_type).collect();
    assert_eq!(types, vec![1, 2, 3, 6, 3, 5, 4, 7, 8]);
    assert_eq!(msgs[0].hostname().as_deref(), Some("btest.is.cool"));
    let ack = &msgs[5];
    assert_eq!(ack.yiaddr, ip(128, 2, 6, 189));
    assert_eq!(ack.siaddr, ip(172, 19, 230, 7));
    let expected = vec![53, 54, 51, 1, 3, 6, 4, 67, 28, 42, 43, 60, 44, 46, 15];
    assert_eq!(codes(ack), expected);
    assert_eq!(ack.vendor_class().as_deref(), Some("ArubaAP"));
    let ntp = vec![ip(128, 2, 1, 20), ip(128, 2, 1, 21), ip(128, 2, 1, 22)];
    assert_eq!(ack.ntp_servers(), ntp);
    assert_eq!(
        ack.dns_servers(),
        vec![ip(128, 2, 1, 11), ip(128, 2, 1, 10)]
    );
    let aruba = VendorSpecific::Raw(b"172.18.6.37".to_vec());
    assert_eq!(ack.vendor_specific(), Some(aruba));
    assert!(ack.provisioning_options().is_empty());
    assert_eq!(msgs[7].xid, 0x79c);
    assert!(msgs.iter().all(|m| m.anomalies.is_empty()));
}

#[test]
fn corpus_suricata_option_52_in_sname() {
    let msgs = dhcp_frames(&corpus("suri__dhcp-option-52-overload.pcap"));
    let offer = &msgs[3];
    assert_eq!(codes(offer), vec![53, 54, 51, 1, 52, 6, 3, 15]);
    assert_eq!(offer.option(52), Some(&[2][..]));
    assert_eq!(
        (offer.sname.as_deref(), offer.file.as_deref()),
        (None, None)
    );
    assert_eq!(offer.dns_servers(), vec![ip(10, 100, 0, 2)]);
    assert_eq!(offer.routers(), vec![ip(10, 100, 0, 2)]);
    assert_eq!(offer.domain_name().as_deref(), Some("evil.corp"));
    assert_eq!(msgs[6].message_type, Some(5));
    assert_eq!(codes(&msgs[6]), codes(offer));
    // Frames 3 and 8 put a plain string in sname instead.
    assert_eq!(msgs[2].sname.as_deref(), Some("evil-pxe.attacker.local"));
    assert_eq!(msgs[7].dns_servers(), vec![ip(10, 100, 0, 1)]);
}

#[test]
fn corpus_suricata_option_60() {
    let request = &dhcp_frames(&corpus("suri__dhcp-eve-extended-option-60.pcap"))[0];
    assert_eq!(request.vendor_class().as_deref(), Some("MSFT 5.0"));
    assert_eq!(request.hostname().as_deref(), Some("NicksMacBook"));
    assert_eq!(request.requested_ip(), Some(ip(192, 168, 1, 111)));
    let mac = [0x28, 0xcf, 0xda, 0xdc, 0x8d, 0x76];
    assert_eq!(request.chaddr, mac);
    assert_eq!(request.client_id().map(|c| &c[1..]), Some(&mac[..]));
    let prl = [1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43];
    assert_eq!(request.requested_options(), Some(&prl[..]));
}

#[test]
fn corpus_ndpi_fuzz_truncated_option_60() {
    // tshark: "Malformed Packet" inside option 60 (length 49 past the end).
    let payloads = udp_payloads(&corpus("ndpi__dhcp-fuzz.pcapng"));
    let m = parse(payloads[0].as_deref().unwrap()).unwrap();
    assert_eq!(m.message_type, Some(0x6a));
    assert_eq!(m.xid, 0xc979_b960);
    assert_eq!(m.hostname().as_deref(), Some("MK03862"));
    assert_eq!(codes(&m), vec![53, 61, 12, 60]);
    assert!(m.anomalies.contains(&"option_truncated"));
    assert!(m.option(60).unwrap().len() < 49);
}

#[test]
fn case_25_overload_matches_expected_json() {
    let text = std::fs::read_to_string(case("25-dhcp-overload", "expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ack_expected = &expected["expect"]["dhcp_ack"];
    let msgs = dhcp_frames(&case("25-dhcp-overload", "capture.pcap"));
    let ack = msgs.iter().find(|m| m.message_type == Some(5)).unwrap();
    let opts = &ack_expected["options"];

    assert_eq!(ack.option(52), Some(&[3][..]));
    assert_eq!(ack_expected["option_52"], 3);
    assert_eq!(opts["53"], message_type_name(5));
    assert_eq!(opts["54"], ack.server_id().unwrap().to_string());
    assert_eq!(opts["66"], ack.tftp_server_name().unwrap());
    assert_eq!(opts["67"], ack.option_text(67).unwrap());
    assert_eq!(opts["160"], ack.option_text(160).unwrap());
    let ntp: Vec<String> = ack.ntp_servers().iter().map(|a| a.to_string()).collect();
    assert_eq!(opts["42"], serde_json::json!(ntp));
    assert!(ack_expected["bootp_sname"].is_null() && ack.sname.is_none());
    assert!(ack_expected["bootp_file"].is_null() && ack.file.is_none());
    // Options field, then file (66, 67), then sname (42, 160).
    let order: Vec<u8> = codes(ack).into_iter().skip_while(|&c| c != 52).collect();
    assert_eq!(order, vec![52, 66, 67, 42, 160]);

    let phone = &expected["expect"]["phone"];
    let mac: Vec<String> = ack.chaddr.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(phone["mac"], mac.join(":"));
    assert_eq!(phone["dhcp"]["lease"], ack.yiaddr.to_string());
    let candidates: Vec<serde_json::Value> = ack
        .provisioning_options()
        .into_iter()
        .map(|(option, value)| serde_json::json!({"option": option, "value": value}))
        .collect();
    assert_eq!(
        phone["dhcp"]["provisioning_candidates"],
        serde_json::json!(candidates)
    );
}

#[test]
fn case_02_option_150() {
    let payloads = udp_payloads(&case("02-dhcp-opt150-stale-tftp", "capture.pcap"));
    let acks: Vec<DhcpMessage> = payloads[..4]
        .iter()
        .filter_map(|p| parse(p.as_deref()?).ok())
        .filter(|m| m.message_type == Some(5))
        .collect();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].tftp_servers(), vec![ip(192, 0, 2, 10)]);
    assert_eq!(acks[0].tftp_server_name(), None);
    assert_eq!(acks[0].yiaddr, ip(192, 0, 2, 100));
}

/// Option codes the generated options use: not pad, end or overload.
fn plain_code() -> impl Strategy<Value = u8> {
    (1u8..=254).prop_filter("not option 52", |c| *c != code::OVERLOAD)
}

/// Code/length/value bytes of each instance, in order.
fn encode(instances: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (code, data) in instances {
        out.extend_from_slice(&[*code, data.len() as u8]);
        out.extend_from_slice(data);
    }
    out
}

/// Index from which `instances[from..end]` fits in `room` bytes with an end
/// option, going back no further than `floor`.
fn fitting_tail(instances: &[(u8, Vec<u8>)], floor: usize, end: usize, room: usize) -> usize {
    let mut at = end;
    let mut used = 1;
    while at > floor && used + 2 + instances[at - 1].1.len() <= room {
        used += 2 + instances[at - 1].1.len();
        at -= 1;
    }
    at
}

/// A message with option 52 = `overload` first, then `options`, the
/// `file` and `sname` areas written as given (each shorter than its field).
fn overloaded(overload: u8, options: &[u8], file: &[u8], sname: &[u8]) -> Vec<u8> {
    let mut raw = message(&[&[52, 1, overload][..], options].concat());
    put(&mut raw, FILE_AT, file);
    put(&mut raw, SNAME_AT, sname);
    raw
}

/// Keeps the first instance of each value, in order.
fn distinct(codes: Vec<u8>) -> Vec<u8> {
    let mut seen = Vec::new();
    for c in codes {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen
}

proptest::proptest! {
    /// RFC 3396: options cut into instances of at most 255 bytes, the
    /// instances of different options interleaved and spread over the
    /// options field, `file` and `sname` (overload 3), join back to the
    /// original values, in the order of their first instance.
    #[test]
    fn split_options_join_to_the_same_value(
        values in proptest::collection::btree_map(
            plain_code(),
            proptest::collection::vec(0u8.., 0..400),
            1..6,
        ),
        cuts in proptest::collection::vec(0u16.., 0..24),
        picks in proptest::collection::vec(0u8.., 0..64),
        pads in proptest::collection::vec(0u8..4, 0..64),
        tail_from in 0u16..,
    ) {
        // Each value cut at some of `cuts` and at every 255 bytes.
        let mut queues: Vec<std::collections::VecDeque<(u8, Vec<u8>)>> = Vec::new();
        for (i, (&code, value)) in values.iter().enumerate() {
            let mut bounds: Vec<usize> = cuts
                .iter()
                .skip(i)
                .step_by(values.len())
                .map(|c| usize::from(*c) % (value.len() + 1))
                .collect();
            bounds.extend((0..=value.len()).step_by(255));
            bounds.push(value.len());
            bounds.sort_unstable();
            bounds.dedup();
            let mut pieces: std::collections::VecDeque<_> = bounds
                .windows(2)
                .map(|w| (code, value[w[0]..w[1]].to_vec()))
                .collect();
            if pieces.is_empty() {
                pieces.push_back((code, Vec::new()));
            }
            queues.push(pieces);
        }
        // Interleaved: each option's pieces keep their order.
        let mut instances = Vec::new();
        let mut turn = 0;
        while !queues.is_empty() {
            let pick = picks.get(turn).map_or(0, |p| usize::from(*p)) % queues.len();
            turn += 1;
            if let Some(piece) = queues[pick].pop_front() {
                instances.push(piece);
            }
            if queues[pick].is_empty() {
                queues.remove(pick);
            }
        }
        // The last instances go to sname, those before to file, as far as
        // they fit; the rest (with some pads) to the options field.
        let floor = usize::from(tail_from) % (instances.len() + 1);
        let to_sname = fitting_tail(&instances, floor, instances.len(), SNAME_LEN);
        let to_file = fitting_tail(&instances, floor, to_sname, FILE_LEN);
        let mut options = Vec::new();
        for (i, instance) in instances[..to_file].iter().enumerate() {
            let pad = pads.get(i).copied().unwrap_or(0);
            options.extend(std::iter::repeat_n(0, usize::from(pad)));
            options.extend(encode(std::slice::from_ref(instance)));
        }
        options.push(code::END);
        let file = [encode(&instances[to_file..to_sname]), vec![code::END]].concat();
        let sname = [encode(&instances[to_sname..]), vec![code::END]].concat();
        let m = parse(&overloaded(3, &options, &file, &sname)).unwrap();

        let mut want = vec![DhcpOption { code: code::OVERLOAD, data: vec![3] }];
        for (code, _) in &instances {
            if !want.iter().any(|o| o.code == *code) {
                want.push(DhcpOption { code: *code, data: values[code].clone() });
            }
        }
        proptest::prop_assert_eq!(&m.options, &want);
        // Framing is clean; random values may still be odd address lists.
        let framing = m.anomalies.iter().filter(|a| **a != "address_list_length");
        proptest::prop_assert!(framing.count() == 0, "{:?}", m.anomalies);
        proptest::prop_assert_eq!((m.sname, m.file), (None, None));
    }

    /// Option 52 = 1 walks `file` after the options field, 2 walks
    /// `sname`, 3 both (file first); options come out in that order. A
    /// field not named by 52 stays a string, even when its text would
    /// read as options.
    #[test]
    fn overload_areas_are_walked_in_order(
        overload in 1u8..=3,
        order in proptest::collection::vec(plain_code(), 3..10).prop_map(distinct),
        lens in proptest::collection::vec(0usize..5, 10),
        split in (0usize.., 0usize..),
        at_52 in 0usize..,
        text in "[a-z][a-z0-9.]{0,40}",
    ) {
        let n = order.len();
        let instances: Vec<(u8, Vec<u8>)> = order
            .iter()
            .zip(&lens)
            .map(|(&c, &len)| (c, vec![c; len]))
            .collect();
        let in_options = split.0 % (n + 1);
        let in_file = match overload {
            1 => n,
            2 => in_options,
            _ => in_options + split.1 % (n - in_options + 1),
        };
        // Option 52 anywhere among the options-field options.
        let at_52 = at_52 % (in_options + 1);
        let mut options = encode(&instances[..at_52]);
        options.extend_from_slice(&[52, 1, overload]);
        options.extend(encode(&instances[at_52..in_options]));
        options.push(code::END);
        let area = |range: std::ops::Range<usize>| {
            [encode(&instances[range]), vec![code::END]].concat()
        };
        let file = match overload & OVERLOAD_FILE {
            0 => text.clone().into_bytes(),
            _ => area(in_options..in_file),
        };
        let sname = match overload & OVERLOAD_SNAME {
            0 => text.clone().into_bytes(),
            _ => area(in_file..n),
        };
        let mut raw = message(&options);
        put(&mut raw, FILE_AT, &file);
        put(&mut raw, SNAME_AT, &sname);
        let m = parse(&raw).unwrap();

        let mut want: Vec<u8> = order[..at_52].to_vec();
        want.push(code::OVERLOAD);
        want.extend_from_slice(&order[at_52..]);
        proptest::prop_assert_eq!(codes(&m), want);
        for (code, data) in &instances {
            proptest::prop_assert_eq!(m.option(*code), Some(data.as_slice()));
        }
        let want_file = (overload & OVERLOAD_FILE == 0).then(|| text.clone());
        let want_sname = (overload & OVERLOAD_SNAME == 0).then_some(text);
        proptest::prop_assert_eq!(m.file, want_file);
        proptest::prop_assert_eq!(m.sname, want_sname);
        // Framing is clean; random values may still be odd address lists.
        let framing = m.anomalies.iter().filter(|a| **a != "address_list_length");
        proptest::prop_assert!(framing.count() == 0, "{:?}", m.anomalies);
    }

    #[test]
    fn any_bytes_never_panic(raw in proptest::collection::vec(0u8.., 0..600)) {
        let _ = parse(&raw);
    }

    #[test]
    fn any_options_never_panic(
        options in proptest::collection::vec(0u8.., 0..400),
        sname in proptest::collection::vec(0u8.., 0..64),
        overload in 0u8..4,
    ) {
        let mut raw = message(&[52, 1, overload]);
        raw[SNAME_AT..SNAME_AT + sname.len()].copy_from_slice(&sname);
        raw.extend_from_slice(&options);
        let m = parse(&raw).unwrap();
        let _ = (m.provisioning_options(), m.vivso(), m.vendor_specific());
        let total: usize = m.options.iter().map(|o| o.data.len()).sum();
        proptest::prop_assert!(total <= raw.len());
    }
}

#[test]
fn an_address_list_of_odd_length_is_an_anomaly_and_its_stray_bytes_are_said() {
    let mut options = vec![53, 1, 5];
    options.extend_from_slice(&[150, 6, 192, 0, 2, 10, 7, 7]);
    options.push(code::END);
    let m = parse(&message(&options)).unwrap();
    assert_eq!(m.anomalies, ["address_list_length"]);
    let (_, text) = &m.provisioning_options()[0];
    assert!(text.starts_with("192.0.2.10 (and 2 stray bytes"), "{text}");
}

#[test]
fn a_bare_address_as_text_is_no_provisioning_server() {
    // The zeek corpus's Aruba AP gets its controller this way.
    assert!(!looks_like_server("172.18.6.37"));
    assert!(looks_like_server("tftp://192.0.2.10/"));
    assert!(looks_like_server("http://192.0.2.10/p.xml"));
    assert!(!looks_like_server("MSFT 5.0"));
}

#[test]
fn a_bare_scheme_or_null_address_names_no_server() {
    assert!(names_a_server("http://192.0.2.10/CP-8851-3PCC.xml"));
    assert!(names_a_server("tftp.example.com"));
    assert!(names_a_server("/CP-8851-3PCC.xml"));
    assert!(!names_a_server("http://"));
    assert!(!names_a_server("https:///path.xml"));
    assert!(!names_a_server("0.0.0.0"));
    assert!(!names_a_server("0.0.0.0:69"));
    assert!(!names_a_server("http://0.0.0.0:80/CP-8851-3PCC.xml"));
    assert!(!names_a_server("http://[::]/CP-8851-3PCC.xml"));
    assert!(!names_a_server("http://user@/CP-8851-3PCC.xml"));
    assert!(!names_a_server("tftp://:69/CP-8851-3PCC.xml"));
    assert!(names_a_server(
        "http://[2001:db8::10]:8080/CP-8851-3PCC.xml"
    ));
    assert!(names_a_server("192.0.2.10:69"));
    assert!(!names_a_server(""));
}

#[test]
fn option_150_typed_as_text_is_said_as_text() {
    assert_eq!(address_text(b"192.0.2.10").as_deref(), Some("192.0.2.10"));
    assert_eq!(
        address_text(b"192.0.2.10,192.0.2.11\0").as_deref(),
        Some("192.0.2.10,192.0.2.11")
    );
    assert_eq!(
        address_text(b"tftp.example.com").as_deref(),
        Some("tftp.example.com")
    );
    // Real addresses, and printable bytes that are no text of one.
    assert_eq!(address_text(&[192, 0, 2, 10]), None);
    assert_eq!(address_text(&[10, 1, 2, 3, 10, 1, 2, 4]), None);
    assert_eq!(address_text(b"ABCD"), None);
    assert_eq!(address_text(b"1.2.3"), None);
    // Addresses whose bytes happen to be printable (46.101.100.100 and
    // 100.100.46.50, 100.100.46.51) are addresses.
    assert_eq!(address_text(b".edd"), None);
    assert_eq!(address_text(b"dd.2dd.3"), None);
}

#[test]
fn a_message_cut_before_its_options_keeps_its_fixed_fields() {
    let raw = message(&[53, 1, 5, 255]);
    // Cut inside sname: the client and the lease are there, no options.
    let m = parse_cut(&raw[..120]).unwrap();
    assert_eq!((m.op, m.xid, m.chaddr), (2, 0x0102_0304, MAC));
    assert_eq!(m.yiaddr, ip(192, 0, 2, 100));
    assert_eq!(m.message_type, None);
    assert!(m.options.is_empty());
    assert!(m.anomalies.contains(&"cut_by_snaplen"));
    // Cut inside chaddr: nothing to tell the client by.
    assert!(parse_cut(&raw[..40]).is_none());
}

#[test]
fn binary_text_options_read_as_hex_and_one_stray_byte_is_singular() {
    assert_eq!(
        value_text(&[6, 8, 0x12, 0x34]),
        "the bytes 06 08 12 34 (binary, not text)"
    );
    assert_eq!(value_text(b"tftp://192.0.2.1/\0"), "tftp://192.0.2.1/");
    assert!(
        ipv4_text(b"192.0.2.1").ends_with("(and 1 stray byte: the length is not a multiple of 4)")
    );
}
