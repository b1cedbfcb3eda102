use super::early_filter_tests::{frame, ip_frame};
use super::*;
use proptest::prelude::*;
use std::net::SocketAddr;

/// An Ethernet frame (tagged or not) with a TCP segment over IPv4 or IPv6:
/// `flags`, `body` as its payload.
fn tcp_frame(tag: bool, v6: bool, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut tcp = Vec::new();
    tcp.extend(443u16.to_be_bytes());
    tcp.extend(50_000u16.to_be_bytes());
    tcp.extend(7u32.to_be_bytes());
    tcp.extend(9u32.to_be_bytes());
    tcp.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    tcp.extend(body);
    ip_frame(tag, v6, PROTO_TCP, &tcp)
}

/// Where the early look gives endpoints, the full decode reads the same
/// whole, non-control TCP segment and counts nothing.
fn agrees(data: &[u8], orig_len: u32) {
    let f = frame(data, orig_len);
    let Some((src, dst)) = bulk_endpoints(&f) else {
        return;
    };
    let mut dec = Decoder::new(DecodeLimits::default());
    let decoded = dec.decode(&f);
    let Decoded::Packet(p) = decoded else {
        panic!("{decoded:?} for {data:02x?}");
    };
    let Transport::Tcp(seg) = p.transport else {
        panic!("{:?} for {data:02x?}", p.transport);
    };
    assert!(!p.truncated);
    assert_eq!(
        seg.flags.0 & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST),
        0
    );
    assert_eq!(src, SocketAddr::new(p.src, seg.sport));
    assert_eq!(dst, SocketAddr::new(p.dst, seg.dport));
    assert_eq!(dec.stats(), DecodeStats::default());
}

#[test]
fn bulk_segments_are_seen_early_and_control_or_odd_ones_are_not() {
    let data = [0x17, 0x03, 0x03, 0x00, 0x10];
    for (tag, v6) in [(false, false), (true, false), (false, true), (true, true)] {
        let f = tcp_frame(tag, v6, 0x18, &data);
        let (src, dst) = bulk_endpoints(&frame(&f, f.len() as u32)).expect("bulk");
        assert_eq!((src.port(), dst.port()), (443, 50_000));
        assert_eq!(src.is_ipv6(), v6);
        for control in [0x02, 0x12, 0x11, 0x04, 0x14] {
            let f = tcp_frame(tag, v6, control, &data);
            assert_eq!(
                bulk_endpoints(&frame(&f, f.len() as u32)),
                None,
                "{control:#x}"
            );
        }
        // Cut by the snaplen: decoded in full.
        assert_eq!(bulk_endpoints(&frame(&f, f.len() as u32 + 1)), None);
    }
    let bulk = tcp_frame(false, false, 0x10, &data);
    let mut fragment = bulk.clone();
    fragment[20] = 0x20; // more fragments
    let mut options = bulk.clone();
    options[14] = 0x46;
    let mut long = bulk.clone();
    long[17] += 1; // a total length past the frame
    let mut header = bulk.clone();
    header[46] = 0x40; // data offset 4 words
    for odd in [fragment, options, long, header] {
        assert_eq!(bulk_endpoints(&frame(&odd, odd.len() as u32)), None);
    }
    let mut hop_by_hop = tcp_frame(false, true, 0x10, &data);
    hop_by_hop[20] = 0;
    assert_eq!(
        bulk_endpoints(&frame(&hop_by_hop, hop_by_hop.len() as u32)),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_early_look_only_names_what_the_decode_reads_as_bulk(
        tag in any::<bool>(),
        v6 in any::<bool>(),
        flags in prop_oneof![Just(0x10u8), Just(0x18), any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..24),
        edits in proptest::collection::vec((0usize..80, any::<u8>()), 0..4),
        cut in 0usize..100,
        snapped in any::<bool>(),
    ) {
        let mut data = tcp_frame(tag, v6, flags, &body);
        for (at, byte) in edits {
            if let Some(b) = data.get_mut(at) {
                *b = byte;
            }
        }
        let orig_len = data.len() as u32;
        data.truncate(data.len().saturating_sub(cut % 40));
        agrees(&data, if snapped { orig_len } else { data.len() as u32 });
    }
}
