use super::*;
use crate::time::Timestamp;
use etherparse::{PacketBuilder, VlanId};
use std::net::{Ipv4Addr, Ipv6Addr};
use testpcap::TestPcap;

const PHONE: [u8; 4] = [192, 0, 2, 100];
const SERVER: [u8; 4] = [198, 51, 100, 20];
const PHONE6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x64,
];
const SERVER6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x35,
];

fn frame(linktype: u32, data: &[u8]) -> Frame<'_> {
    Frame {
        number: 1,
        ts: Timestamp::new(0, 6),
        linktype,
        interface: 0,
        data,
        orig_len: data.len() as u32,
    }
}

fn decode_one<'a>(dec: &'a mut Decoder, linktype: u32, data: &'a [u8]) -> Decoded<'a> {
    dec.decode(&frame(linktype, data))
}

fn udp_of<'a>(d: &Decoded<'a>) -> (IpAddr, IpAddr, u16, u16, &'a [u8]) {
    match d {
        Decoded::Packet(Packet {
            src,
            dst,
            transport:
                Transport::Udp {
                    sport,
                    dport,
                    payload,
                    ..
                },
            ..
        }) => (*src, *dst, *sport, *dport, payload),
        other => panic!("not UDP: {other:?}"),
    }
}

fn ipv4_udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4(PHONE, SERVER, 64)
        .udp(sport, dport)
        .write(&mut v, payload)
        .unwrap();
    v
}

/// A 20-byte IPv4 header for a fragment carrying `len` payload bytes.
fn ipv4_fragment(id: u16, offset: usize, more: bool, proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let flags_offset = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
    let mut v = vec![0x45, 0];
    v.extend(total.to_be_bytes());
    v.extend(id.to_be_bytes());
    v.extend(flags_offset.to_be_bytes());
    v.extend([64, proto, 0, 0]);
    v.extend(PHONE);
    v.extend(SERVER);
    v.extend(payload);
    v
}

#[test]
fn ethernet_qinq_udp_dns() {
    let mut f = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .double_vlan(VlanId::try_new(300).unwrap(), VlanId::try_new(42).unwrap())
        .ipv4(PHONE, SERVER, 64)
        .udp(40000, 53)
        .write(&mut f, b"\x12\x34query")
        .unwrap();
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 1, &f);
    let Decoded::Packet(p) = &d else {
        panic!("{d:?}")
    };
    assert_eq!(p.l2.vlan, Some(42));
    assert_eq!(p.l2.src_mac, Some([2, 0, 0, 0, 0, 1]));
    assert_eq!(p.l2.dst_mac, Some([2, 0, 0, 0, 0, 2]));
    assert!(!p.truncated);
    let (src, dst, sport, dport, payload) = udp_of(&d);
    assert_eq!(src, IpAddr::V4(Ipv4Addr::from(PHONE)));
    assert_eq!(dst, IpAddr::V4(Ipv4Addr::from(SERVER)));
    assert_eq!((sport, dport), (40000, 53));
    assert_eq!(payload, b"\x12\x34query");
}

#[test]
fn ethernet_padding_is_not_payload() {
    let mut f = vec![0; 12];
    f.extend([0x08, 0x00]);
    f.extend(ipv4_udp(68, 67, b"dhcp"));
    f.extend([0; 18]);
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 1, &f);
    assert_eq!(udp_of(&d).4, b"dhcp");
}

#[test]
fn linux_sll2_header_then_ipv4() {
    let mut f = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6];
    f.extend([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01, 0, 0]);
    f.extend(ipv4_udp(5060, 5060, b"REGISTER sip:x SIP/2.0\r\n"));
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 276, &f);
    let Decoded::Packet(p) = &d else {
        panic!("{d:?}")
    };
    // An Ethernet device's address field: the frame's source MAC.
    assert_eq!(p.l2.src_mac, Some([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]));
    assert_eq!(p.l2.dst_mac, None);
    assert!(udp_of(&d).4.starts_with(b"REGISTER"));
}

#[test]
fn raw_ipv6_on_101_and_229() {
    let mut v = Vec::new();
    PacketBuilder::ipv6(PHONE6, SERVER6, 64)
        .udp(50000, 53)
        .write(&mut v, b"abc")
        .unwrap();
    let mut dec = Decoder::new(DecodeLimits::default());
    for linktype in [101, 229, 12] {
        let d = decode_one(&mut dec, linktype, &v);
        let (src, dst, _, dport, payload) = udp_of(&d);
        assert_eq!(src, IpAddr::V6(Ipv6Addr::from(PHONE6)));
        assert_eq!(dst, IpAddr::V6(Ipv6Addr::from(SERVER6)));
        assert_eq!((dport, payload), (53, &b"abc"[..]));
    }
    // An IPv6 packet on the IPv4-only link type fails at the link layer.
    assert!(matches!(
        decode_one(&mut dec, 228, &v),
        Decoded::Bad("raw_ip_version")
    ));
    assert_eq!(dec.stats().undecodable, 1);
    assert_eq!(dec.stats().link_undecodable, 1);
    let first = dec.stats().link_failed_first.expect("kept");
    assert_eq!((first.frame, first.linktype), (1, 228));
    assert_eq!(first.looks, super::mislabel::Looks::Ipv6);
}

#[test]
fn bsd_loopback_both_byte_orders_and_openbsd() {
    let ip = ipv4_udp(123, 123, b"ntp");
    let mut dec = Decoder::new(DecodeLimits::default());
    for (linktype, family) in [(0, [2, 0, 0, 0]), (0, [0, 0, 0, 2]), (108, [0, 0, 0, 2])] {
        let mut f = family.to_vec();
        f.extend(&ip);
        let d = decode_one(&mut dec, linktype, &f);
        assert_eq!(udp_of(&d).2, 123);
        assert_eq!(
            match &d {
                Decoded::Packet(p) => p.l2,
                _ => unreachable!(),
            },
            L2::default()
        );
    }
}

#[test]
fn unsupported_linktype_is_counted() {
    let mut dec = Decoder::new(DecodeLimits::default());
    assert!(matches!(decode_one(&mut dec, 105, &[0; 64]), Decoded::Skip));
    assert_eq!(dec.stats().unsupported_linktype, 1);
}

#[test]
fn early_filter_keeps_provisioning_udp_only() {
    let mut dec = Decoder::new(DecodeLimits::default());
    let ntp_reply = [&[0x24u8, 2][..], &[0; 46]].concat();
    let cases: [(u16, u16, &[u8], bool); 10] = [
        (16384, 16386, &[0x80, 0x00, 0x12, 0x34], false), // RTP
        (40000, 5060, &[0x80, 0x00, 0x12, 0x34], true),   // SIP port
        (40000, 5080, b"INVITE sip:a@b SIP/2.0", true),   // SIP off-port
        (40000, 5080, b"SIP/2.0 200 OK", true),
        (49152, 49153, &[0, 3, 0, 1, 0x41], true), // TFTP DATA
        (49152, 49153, &[0, 9, 0, 1], false),
        (443, 50000, &[0x45, 0x12, 0x99], false), // QUIC short header
        (40000, 53, &[], true),
        (50123, 40000, &ntp_reply, true), // an NTP reply, its port rewritten
        (50123, 40000, &ntp_reply[..47], false),
    ];
    for (sport, dport, payload, wanted) in cases {
        let ip = ipv4_udp(sport, dport, payload);
        let d = decode_one(&mut dec, 228, &ip);
        assert_eq!(matches!(d, Decoded::Packet(_)), wanted, "{sport}->{dport}");
    }
    assert_eq!(dec.stats(), DecodeStats::default());
}

#[test]
fn other_protocols_skip_and_tcp_passes() {
    let mut dec = Decoder::new(DecodeLimits::default());
    let esp = ipv4_fragment(1, 0, false, 50, &[0; 32]);
    assert!(matches!(decode_one(&mut dec, 228, &esp), Decoded::Skip));
    let mut echo = Vec::new();
    PacketBuilder::ipv4(PHONE, SERVER, 64)
        .icmpv4_echo_request(1, 1)
        .write(&mut echo, &[])
        .unwrap();
    assert!(matches!(decode_one(&mut dec, 228, &echo), Decoded::Skip));
    let mut syn = Vec::new();
    PacketBuilder::ipv4(PHONE, SERVER, 64)
        .tcp(50000, 443, 1000, 64240)
        .syn()
        .write(&mut syn, b"hi")
        .unwrap();
    let d = decode_one(&mut dec, 228, &syn);
    let Decoded::Packet(Packet {
        transport: Transport::Tcp(seg),
        ..
    }) = d
    else {
        panic!("{d:?}")
    };
    assert_eq!((seg.sport, seg.dport, seg.seq), (50000, 443, 1000));
    assert!(seg.flags.has(TcpFlags::SYN) && !seg.flags.has(TcpFlags::ACK));
    assert_eq!(seg.payload, b"hi");
}

#[test]
fn ipv4_fragments_out_of_order_are_reassembled() {
    let body: Vec<u8> = b"REGISTER sip:example.com SIP/2.0\r\n"
        .iter()
        .copied()
        .cycle()
        .take(3000)
        .collect();
    let whole = ipv4_udp(5060, 5060, &body);
    let datagram = &whole[20..];
    let parts = [(0, 1480), (1480, 2960), (2960, datagram.len())];
    let frames: Vec<Vec<u8>> = parts
        .iter()
        .map(|&(s, e)| ipv4_fragment(0x4242, s, e != datagram.len(), 17, &datagram[s..e]))
        .collect();
    let mut dec = Decoder::new(DecodeLimits::default());
    assert!(matches!(
        decode_one(&mut dec, 228, &frames[2]),
        Decoded::Held
    ));
    assert!(matches!(
        decode_one(&mut dec, 228, &frames[0]),
        Decoded::Held
    ));
    let d = decode_one(&mut dec, 228, &frames[1]);
    let (_, _, sport, dport, payload) = udp_of(&d);
    assert_eq!((sport, dport), (5060, 5060));
    assert_eq!(payload, &body[..]);
    dec.finish();
    assert_eq!(dec.stats(), DecodeStats::default());
}

#[test]
fn orphan_non_first_fragment_never_yields_udp() {
    // Bytes that look like a UDP header to 5060 and a SIP request.
    let mut fake = vec![0x13, 0xc4, 0x13, 0xc4, 0x00, 0x40, 0x00, 0x00];
    fake.extend(b"OPTIONS sip:x SIP/2.0\r\n");
    let f = ipv4_fragment(0x7777, 1480, false, 17, &fake);
    let mut dec = Decoder::new(DecodeLimits::default());
    assert!(matches!(decode_one(&mut dec, 228, &f), Decoded::Held));
    dec.finish();
    assert_eq!(dec.stats().fragments_incomplete, 1);
}

#[test]
fn ipv6_fragments_are_reassembled() {
    let mut whole = Vec::new();
    let body = vec![b'a'; 2000];
    PacketBuilder::ipv6(PHONE6, SERVER6, 64)
        .udp(53, 40000)
        .write(&mut whole, &body)
        .unwrap();
    let datagram = &whole[40..];
    let frag = |offset: usize, end: usize| {
        let more = end != datagram.len();
        let mut v = whole[..40].to_vec();
        v[6] = 44;
        v[4..6].copy_from_slice(&((end - offset + 8) as u16).to_be_bytes());
        let off_flags = (offset as u16) | u16::from(more);
        // Only the first fragment's Next Header counts (RFC 8200 4.5).
        v.extend([if offset == 0 { 17 } else { 6 }, 0]);
        v.extend(off_flags.to_be_bytes());
        v.extend(0xdead_beef_u32.to_be_bytes());
        v.extend(&datagram[offset..end]);
        v
    };
    let (first, last) = (frag(0, 1232), frag(1232, datagram.len()));
    let mut dec = Decoder::new(DecodeLimits::default());
    assert!(matches!(decode_one(&mut dec, 229, &first), Decoded::Held));
    let d = decode_one(&mut dec, 229, &last);
    let (_, _, sport, _, payload) = udp_of(&d);
    assert_eq!((sport, payload.len()), (53, 2000));
}

#[test]
fn icmp_port_unreachable_quotes_udp() {
    let quoted = ipv4_udp(40000, 69, b"\x00\x01SEP.cnf.xml\x00octet\x00");
    let mut v = Vec::new();
    PacketBuilder::ipv4(SERVER, PHONE, 64)
        .icmpv4_raw(3, 3, [0; 4])
        .write(&mut v, &quoted[..28])
        .unwrap();
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 228, &v);
    let Decoded::Packet(Packet {
        src,
        transport: Transport::IcmpUnreachable(u),
        ..
    }) = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(src, IpAddr::V4(Ipv4Addr::from(SERVER)));
    assert_eq!(u.kind, UnreachKind::Port);
    assert_eq!((u.code, u.v6, u.orig_proto), (3, false, 17));
    assert_eq!(u.orig_src, IpAddr::V4(Ipv4Addr::from(PHONE)));
    assert_eq!(u.orig_dst, IpAddr::V4(Ipv4Addr::from(SERVER)));
    assert_eq!((u.orig_sport, u.orig_dport), (40000, 69));
    // A quote without its ports is malformed.
    let mut short = Vec::new();
    PacketBuilder::ipv4(SERVER, PHONE, 64)
        .icmpv4_raw(3, 1, [0; 4])
        .write(&mut short, &quoted[..22])
        .unwrap();
    assert!(matches!(
        decode_one(&mut dec, 228, &short),
        Decoded::Bad("icmp_quote")
    ));
}

#[test]
fn icmpv6_admin_prohibited_quotes_tcp_syn() {
    let mut syn = Vec::new();
    PacketBuilder::ipv6(PHONE6, SERVER6, 64)
        .tcp(50001, 443, 7, 1024)
        .syn()
        .write(&mut syn, &[])
        .unwrap();
    let mut v = Vec::new();
    PacketBuilder::ipv6(SERVER6, PHONE6, 64)
        .icmpv6_raw(1, 1, [0; 4])
        .write(&mut v, &syn)
        .unwrap();
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 229, &v);
    let Decoded::Packet(Packet {
        transport: Transport::IcmpUnreachable(u),
        ..
    }) = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(u.kind, UnreachKind::AdminProhibited);
    assert_eq!((u.orig_proto, u.orig_sport, u.orig_dport), (6, 50001, 443));
    assert_eq!(unreach_kind(4, true), UnreachKind::Port);
    assert_eq!(unreach_kind(3, true), UnreachKind::AddressUnreachable);
    assert_eq!(unreach_kind(0, true), UnreachKind::NoRoute);
    assert_eq!(unreach_kind(5, true), UnreachKind::SourcePolicy);
    assert_eq!(unreach_kind(0, false), UnreachKind::Net);
    assert_eq!(unreach_kind(13, false), UnreachKind::AdminProhibited);
    assert_eq!(unreach_kind(2, true), UnreachKind::Other);
    assert_eq!(unreach_kind(4, false), UnreachKind::PacketTooBig);
}

#[test]
fn ip_in_ip_decodes_the_inner_packet() {
    let inner = ipv4_udp(5060, 5060, b"REGISTER sip:a SIP/2.0");
    let outer = ipv4_fragment(9, 0, false, PROTO_IPIP, &inner);
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 228, &outer);
    assert_eq!(udp_of(&d).2, 5060);
    // IPv6 in IPv4 (protocol 41).
    let mut inner6 = Vec::new();
    PacketBuilder::ipv6(PHONE6, SERVER6, 64)
        .udp(50000, 53)
        .write(&mut inner6, b"q")
        .unwrap();
    let six_in_four = ipv4_fragment(10, 0, false, PROTO_IPV6, &inner6);
    let d = decode_one(&mut dec, 228, &six_in_four);
    let (src, _, _, dport, _) = udp_of(&d);
    assert_eq!((src, dport), (IpAddr::V6(Ipv6Addr::from(PHONE6)), 53));
    // Tunnels nested deeper than MAX_IP_DEPTH are not followed: counted,
    // as nested too deep, not as undecodable.
    let mut deep = inner;
    for _ in 0..MAX_IP_DEPTH {
        deep = ipv4_fragment(9, 0, false, PROTO_IPIP, &deep);
    }
    let before = dec.stats();
    assert!(matches!(
        decode_one(&mut dec, 228, &deep),
        Decoded::Bad(TOO_DEEP)
    ));
    assert_eq!(dec.stats().undecodable, before.undecodable);
    assert_eq!(dec.stats().nested_too_deep, before.nested_too_deep + 1);
}

#[test]
fn snaplen_cut_tcp_is_decoded_and_counted_once() {
    let mut v = Vec::new();
    PacketBuilder::ipv4(PHONE, SERVER, 64)
        .tcp(50000, 80, 1, 1024)
        .write(&mut v, &[b'G'; 500])
        .unwrap();
    let mut dec = Decoder::new(DecodeLimits::default());
    let f = Frame {
        orig_len: v.len() as u32,
        ..frame(228, &v[..68])
    };
    let d = dec.decode(&f);
    let Decoded::Packet(Packet {
        truncated: true,
        transport: Transport::Tcp(seg),
        ..
    }) = d
    else {
        panic!("{d:?}")
    };
    assert_eq!(seg.payload.len(), 28);
    // What the snaplen cut off the payload, by the IP length.
    assert_eq!(seg.cut, Some(472));
    // Cut inside the TCP header: skipped, not malformed.
    let g = Frame {
        orig_len: v.len() as u32,
        ..frame(228, &v[..30])
    };
    assert!(matches!(dec.decode(&g), Decoded::Skip));
    assert_eq!(dec.stats().truncated_by_snaplen, 2);
    assert_eq!(dec.stats().undecodable, 0);
}

#[test]
fn malformed_headers_are_bad_and_counted() {
    let mut dec = Decoder::new(DecodeLimits::default());
    let mut ip = ipv4_udp(1, 53, b"x");
    ip[0] = 0x43;
    assert!(matches!(
        decode_one(&mut dec, 228, &ip),
        Decoded::Bad("ipv4_header")
    ));
    let mut tcp = ipv4_fragment(1, 0, false, 6, &[0; 20]);
    tcp[32] = 0x30;
    assert!(matches!(
        decode_one(&mut dec, 228, &tcp),
        Decoded::Bad("tcp_data_offset")
    ));
    assert!(matches!(
        decode_one(&mut dec, 1, &[0; 10]),
        Decoded::Bad("ethernet_header")
    ));
    assert_eq!(dec.stats().undecodable, 3);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut dec = Decoder::new(DecodeLimits::default());
    let mut seed = 0x1234_5678_u32;
    for round in 0..20_000 {
        let len = (round % 97) as usize;
        let mut data: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            })
            .collect();
        // Steer some of them into IP headers.
        if let Some(b) = data.first_mut() {
            *b = if round % 2 == 0 { 0x45 } else { 0x60 };
        }
        for linktype in [1, 101, 276] {
            let _ = decode_one(&mut dec, linktype, &data);
        }
    }
    dec.finish();
}

// Shared cases: what expected.json says at this layer.

#[test]
fn case_16_linux_sll2() {
    let cap = TestPcap::open("../shared/cases/16-linux-sll2/capture.pcap");
    assert_eq!(cap.linktype, 276);
    let mut dec = Decoder::new(DecodeLimits::default());
    // Case 16's rule: the SLL2 address is the frame's link-layer source
    // (the sender's on frame 1, the capturing host's own on outgoing 2).
    let macs = [
        Some([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
        Some([0x00, 0x00, 0x5e, 0x00, 0x53, 0xfe]),
    ];
    for (n, mac) in (1..=2).zip(macs) {
        let d = dec.decode(&cap.frame(n));
        let Decoded::Packet(p) = &d else {
            panic!("frame {n}: {d:?}")
        };
        assert_eq!(p.l2.src_mac, mac, "frame {n}");
        let payload = match p.transport {
            Transport::Udp { payload, .. } => payload,
            Transport::Tcp(seg) => seg.payload,
            _ => panic!("frame {n}"),
        };
        assert!(payload.windows(20).any(|w| w == b"c16-sll2@192.0.2.100"));
    }
    let d = dec.decode(&cap.frame(3));
    let (src, _, _, dport, _) = udp_of(&d);
    assert!(src.is_ipv6());
    assert_eq!(dport, 53);
    assert_eq!(dec.stats(), DecodeStats::default());
}

#[test]
fn case_18_ipv4_fragments() {
    let cap = TestPcap::open("../shared/cases/18-ipv4-fragments/capture.pcap");
    let mut dec = Decoder::new(DecodeLimits::default());
    // Frame 1 is the last fragment of 0x4242, frame 2 its first.
    assert!(matches!(dec.decode(&cap.frame(1)), Decoded::Held));
    let d = dec.decode(&cap.frame(2));
    let (src, _, sport, dport, payload) = udp_of(&d);
    assert_eq!(src, IpAddr::V4(Ipv4Addr::from(PHONE)));
    assert_eq!((sport, dport), (5060, 5060));
    assert_eq!(payload.len(), 2201 - 20 - 8);
    assert!(payload.starts_with(b"REGISTER "));
    assert!(payload.windows(20).any(|w| w == b"c18-frag@192.0.2.100"));
    let d = dec.decode(&cap.frame(3));
    assert!(udp_of(&d).4.starts_with(b"SIP/2.0 401"));
    // Frame 4: orphan fragment 0x7777 at offset 1480: no UDP, no OPTIONS.
    assert!(matches!(dec.decode(&cap.frame(4)), Decoded::Held));
    assert_eq!(cap.len(), 4);
    dec.finish();
    let stats = dec.stats();
    assert_eq!(stats.fragments_incomplete, 1);
    assert_eq!(stats.undecodable, 0);
}

#[test]
fn case_20_tcp_frames_decode() {
    let cap = TestPcap::open("../shared/cases/20-tcp-ooo-overlap-syndata/capture.pcap");
    let mut dec = Decoder::new(DecodeLimits::default());
    let mut syn_payloads = vec![];
    for n in 1..=cap.len() {
        let d = dec.decode(&cap.frame(n));
        let Decoded::Packet(Packet {
            transport: Transport::Tcp(seg),
            ..
        }) = d
        else {
            panic!("frame {n}: {d:?}")
        };
        if seg.flags.has(TcpFlags::SYN) && !seg.flags.has(TcpFlags::ACK) {
            syn_payloads.push(seg.payload.len());
        }
    }
    assert_eq!(syn_payloads, vec![0, 38]);
}

/// Real captures from the corpus: every frame decodes without a
/// malformed verdict, and the fragmented DNS answers come back whole.
#[test]
fn corpus_dns_fragmented_reassembles_every_answer() {
    let cap = TestPcap::open("../shared/corpus/files/ndpi__dns_fragmented.pcap");
    let mut dec = Decoder::new(DecodeLimits::default());
    let (mut dns, mut held, mut tcp) = (0, 0, 0);
    for n in 1..=cap.len() {
        match dec.decode(&cap.frame(n)) {
            Decoded::Packet(Packet {
                transport: Transport::Udp { sport, dport, .. },
                ..
            }) if sport == 53 || dport == 53 => dns += 1,
            Decoded::Packet(Packet {
                transport: Transport::Tcp(_),
                ..
            }) => tcp += 1,
            Decoded::Held => held += 1,
            Decoded::Bad(id) => panic!("frame {n}: {id}"),
            _ => {}
        }
    }
    dec.finish();
    // tshark: 4 + 3 datagrams in two fragments each; UDP DNS in 8 + 31
    // frames (those completing a datagram included), TCP in 10 + 10.
    assert_eq!(held, 7);
    assert_eq!(dns, 39);
    assert_eq!(tcp, 20);
    assert_eq!(dec.stats().fragments_incomplete, 0);
}

#[test]
fn corpus_link_types_decode() {
    let files = [
        ("heplify__ipip0.pcap", 8),
        ("tcpdump__LINKTYPE_RAW_ipv6.pcap", 0),
        ("suri__decode-sll2-01.pcap", 0),
        ("suri__linktype-228_flow-test-01.pcap", 0),
    ];
    for (name, want_sip) in files {
        let cap = TestPcap::open(&format!("../shared/corpus/files/{name}"));
        let mut dec = Decoder::new(DecodeLimits::default());
        let mut sip = 0;
        for n in 1..=cap.len() {
            match dec.decode(&cap.frame(n)) {
                Decoded::Packet(Packet {
                    transport: Transport::Udp { dport, sport, .. },
                    ..
                }) if dport == 5060 || sport == 5060 => sip += 1,
                Decoded::Bad(id) => panic!("{name} frame {n}: {id}"),
                _ => {}
            }
        }
        if want_sip > 0 {
            assert_eq!(sip, want_sip, "{name}");
        }
        assert_eq!(dec.stats().unsupported_linktype, 0, "{name}");
    }
}

/// Every classic pcap of the corpus decodes without a malformed frame
/// (tshark flags none of them at these layers) and leaves no fragment.
#[test]
fn corpus_classic_pcaps_have_no_undecodable_frame() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/files");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = format!("{dir}/{name}");
        let head = std::fs::read(&path).unwrap();
        let classic = matches!(
            head.get(..4),
            Some([0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1])
                | Some([0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d])
        );
        if !classic {
            continue;
        }
        let cap = TestPcap::open(&format!("../shared/corpus/files/{name}"));
        let mut dec = Decoder::new(DecodeLimits::default());
        for n in 1..=cap.len() {
            if let Decoded::Bad(id) = dec.decode(&cap.frame(n)) {
                panic!("{name} frame {n}: {id}");
            }
        }
        dec.finish();
        assert_eq!(dec.stats().fragments_incomplete, 0, "{name}");
        read += 1;
    }
    assert!(read >= 25, "only {read} captures read");
}

#[test]
fn time_exceeded_in_transit_answers_like_an_unreachable() {
    let mut syn = Vec::new();
    PacketBuilder::ipv4(PHONE, SERVER, 64)
        .tcp(50001, 8934, 7, 1024)
        .syn()
        .write(&mut syn, &[])
        .unwrap();
    let kind = |icmp_type: u8, code: u8, v6: bool| {
        let mut v = Vec::new();
        if v6 {
            let mut syn6 = Vec::new();
            PacketBuilder::ipv6(PHONE6, SERVER6, 64)
                .tcp(50001, 8934, 7, 1024)
                .syn()
                .write(&mut syn6, &[])
                .unwrap();
            PacketBuilder::ipv6(SERVER6, PHONE6, 64)
                .icmpv6_raw(icmp_type, code, [0; 4])
                .write(&mut v, &syn6)
                .unwrap();
        } else {
            PacketBuilder::ipv4(SERVER, PHONE, 64)
                .icmpv4_raw(icmp_type, code, [0; 4])
                .write(&mut v, &syn)
                .unwrap();
        }
        let mut dec = Decoder::new(DecodeLimits::default());
        match decode_one(&mut dec, if v6 { 229 } else { 228 }, &v) {
            Decoded::Packet(Packet {
                transport: Transport::IcmpUnreachable(u),
                ..
            }) => Some((u.kind, u.orig_dport)),
            _ => None,
        }
    };
    assert_eq!(kind(11, 0, false), Some((UnreachKind::TtlExceeded, 8934)));
    assert_eq!(kind(3, 0, true), Some((UnreachKind::TtlExceeded, 8934)));
    // Fragment reassembly time exceeded is the receiver's, not the path's;
    // an echo reply is nothing.
    assert_eq!(kind(11, 1, false), None);
    assert_eq!(kind(0, 0, false), None);
    // Path MTU discovery: ICMPv6 packet too big, ICMPv4 fragmentation
    // needed.
    assert_eq!(kind(2, 0, true), Some((UnreachKind::PacketTooBig, 8934)));
    assert_eq!(kind(3, 4, false), Some((UnreachKind::PacketTooBig, 8934)));
    // ICMPv6 parameter problem: the packet was discarded.
    assert_eq!(
        kind(4, 2, true),
        Some((UnreachKind::ParameterProblem, 8934))
    );
}

#[test]
fn nflog_carries_the_packet_in_its_payload_attribute() {
    let mut udp = Vec::new();
    PacketBuilder::ipv4(PHONE, SERVER, 64)
        .udp(40000, 53)
        .write(&mut udp, b"dns")
        .unwrap();
    // Family AF_INET, version 0, resource id 5; a prefix attribute (type 10,
    // 6 bytes, padded to 8), then the payload (type 9); lengths and types
    // in the logging host's byte order, little-endian here, big-endian too.
    let frame = |le: bool| {
        let u16b = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let mut f = vec![2, 0, 0, 5];
        f.extend_from_slice(&u16b(6));
        f.extend_from_slice(&u16b(10));
        f.extend_from_slice(b"ab\0\0");
        f.extend_from_slice(&u16b(4 + udp.len() as u16));
        f.extend_from_slice(&u16b(9));
        f.extend_from_slice(&udp);
        f
    };
    for le in [true, false] {
        let mut dec = Decoder::new(DecodeLimits::default());
        let bytes = frame(le);
        let d = decode_one(&mut dec, 239, &bytes);
        let (_, _, sport, dport, payload) = udp_of(&d);
        assert_eq!((sport, dport, payload), (40000, 53, &b"dns"[..]), "le {le}");
    }
    // An attribute longer than the frame is malformed.
    let mut bad = frame(true);
    bad[4] = 200;
    let mut dec = Decoder::new(DecodeLimits::default());
    assert!(matches!(
        decode_one(&mut dec, 239, &bad),
        Decoded::Bad("nflog_attribute")
    ));
}

#[test]
fn ipv4_total_length_zero_is_read_from_the_bytes_and_counted() {
    // TCP segmentation offload leaves 0 in the total length of the copy a
    // capture on the sending host sees.
    let mut ip = ipv4_udp(40000, 53, b"\x12\x34query");
    ip[2] = 0;
    ip[3] = 0;
    let mut dec = Decoder::new(DecodeLimits::default());
    let d = decode_one(&mut dec, 101, &ip);
    assert_eq!(udp_of(&d).4, b"\x12\x34query");
    assert_eq!(dec.stats().ipv4_length_short, 1);
    let whole = ipv4_udp(40000, 53, b"\x12\x34query");
    decode_one(&mut dec, 101, &whole);
    assert_eq!(dec.stats().ipv4_length_short, 1);
}

#[test]
fn packet_too_big_names_the_path_mtu() {
    let mtu = |icmp_type: u8, code: u8, v6: bool, rest: [u8; 4]| {
        let (mut v, mut seg) = (Vec::new(), Vec::new());
        if v6 {
            let tcp = PacketBuilder::ipv6(PHONE6, SERVER6, 64).tcp(50001, 8934, 7, 1024);
            tcp.syn().write(&mut seg, &[]).unwrap();
            let icmp = PacketBuilder::ipv6(SERVER6, PHONE6, 64).icmpv6_raw(icmp_type, code, rest);
            icmp.write(&mut v, &seg).unwrap();
        } else {
            let tcp = PacketBuilder::ipv4(PHONE, SERVER, 64).tcp(50001, 8934, 7, 1024);
            tcp.syn().write(&mut seg, &[]).unwrap();
            let icmp = PacketBuilder::ipv4(SERVER, PHONE, 64).icmpv4_raw(icmp_type, code, rest);
            icmp.write(&mut v, &seg).unwrap();
        }
        let mut dec = Decoder::new(DecodeLimits::default());
        match decode_one(&mut dec, if v6 { 229 } else { 228 }, &v) {
            Decoded::Packet(Packet {
                transport: Transport::IcmpUnreachable(u),
                ..
            }) => u.mtu,
            _ => Some(u32::MAX),
        }
    };
    // RFC 4443 3.2: the whole second word; RFC 1191: its low half.
    assert_eq!(mtu(2, 0, true, [0, 0, 5, 0]), Some(1280));
    assert_eq!(mtu(3, 4, false, [0, 0, 5, 20]), Some(1300));
    // A pre-RFC 1191 router says none; other errors name none.
    assert_eq!(mtu(3, 4, false, [0; 4]), None);
    assert_eq!(mtu(3, 3, false, [0, 0, 5, 20]), None);
    assert_eq!(mtu(1, 4, true, [0, 0, 5, 0]), None);
}
