use super::*;
use crate::time::Timestamp;
use proptest::prelude::*;

/// An Ethernet frame (tagged or not) carrying `l4`, a transport header and
/// payload of protocol `proto`, over IPv4 (no options) or IPv6.
pub(super) fn ip_frame(tag: bool, v6: bool, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    if tag {
        f.extend([0x81, 0x00, 0x00, 0x65]);
    }
    let len = l4.len() as u16;
    if v6 {
        f.extend([0x86, 0xdd, 0x60, 0, 0, 0]);
        f.extend(len.to_be_bytes());
        f.extend([proto, 64]);
        f.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[1]));
        f.extend([0x20, 0x01, 0x0d, 0xb8].iter().chain(&[0; 11]).chain(&[2]));
    } else {
        f.extend([0x08, 0x00, 0x45, 0xb8]);
        f.extend((20 + len).to_be_bytes());
        f.extend([0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    }
    f.extend(l4);
    f
}

/// An Ethernet frame (tagged or not) with a UDP datagram over IPv4 or
/// IPv6, `body` as its payload.
fn udp_frame(tag: bool, v6: bool, sport: u16, dport: u16, body: &[u8]) -> Vec<u8> {
    let mut udp = Vec::new();
    udp.extend(sport.to_be_bytes());
    udp.extend(dport.to_be_bytes());
    udp.extend(((8 + body.len()) as u16).to_be_bytes());
    udp.extend([0, 0]);
    udp.extend(body);
    ip_frame(tag, v6, PROTO_UDP, &udp)
}

pub(super) fn frame(data: &[u8], orig_len: u32) -> Frame<'_> {
    Frame {
        number: 7,
        ts: Timestamp::new(0, 6),
        linktype: LINKTYPE_ETHERNET,
        interface: 0,
        data,
        orig_len,
    }
}

/// Where the filter skips, the full decode skips too and counts nothing.
fn agrees(data: &[u8], orig_len: u32) {
    if !unwanted_udp(data) {
        return;
    }
    let mut dec = Decoder::new(DecodeLimits::default());
    let f = frame(data, orig_len);
    let truncated = (data.len() as u64) < u64::from(orig_len);
    let decoded = dec.layers(&f, truncated);
    assert!(
        matches!(decoded, Decoded::Skip),
        "{decoded:?} for {data:02x?}"
    );
    // (A cut frame counts as cut both ways, unless its datagram is whole.)
    let cut = u64::from(truncated && !ip_whole(data));
    let expected = DecodeStats {
        truncated_by_snaplen: cut,
        ..DecodeStats::default()
    };
    assert_eq!(dec.stats(), expected);
}

#[test]
fn rtp_is_skipped_early_and_wanted_traffic_is_not() {
    let rtp = [0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160];
    for (tag, v6) in [(false, false), (true, false), (false, true), (true, true)] {
        assert!(unwanted_udp(&udp_frame(tag, v6, 16_384, 20_000, &rtp)));
        assert!(!unwanted_udp(&udp_frame(tag, v6, 16_384, 53, &rtp)));
        assert!(!unwanted_udp(&udp_frame(tag, v6, 5060, 30_000, &rtp)));
        assert!(!unwanted_udp(&udp_frame(
            tag,
            v6,
            40_000,
            30_000,
            b"REGISTER sip:"
        )));
        assert!(!unwanted_udp(&udp_frame(
            tag,
            v6,
            40_000,
            30_000,
            &[0, 3, 0, 1]
        )));
    }
    let mut fragment = udp_frame(false, false, 16_384, 20_000, &rtp);
    fragment[20] = 0x20; // more fragments
    assert!(!unwanted_udp(&fragment));
    let mut options = udp_frame(false, false, 16_384, 20_000, &rtp);
    options[14] = 0x46;
    assert!(!unwanted_udp(&options));
    let mut v4_in_v6 = udp_frame(false, true, 16_384, 20_000, &rtp);
    v4_in_v6[14] = 0x45;
    assert!(!unwanted_udp(&v4_in_v6));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_filter_never_skips_what_the_decode_would_keep(
        tag in any::<bool>(),
        v6 in any::<bool>(),
        sport in prop_oneof![Just(53u16), Just(5060), Just(16_384), any::<u16>()],
        dport in prop_oneof![Just(68u16), Just(69), Just(20_000), any::<u16>()],
        body in proptest::collection::vec(any::<u8>(), 0..24),
        edits in proptest::collection::vec((0usize..80, any::<u8>()), 0..4),
        cut in 0usize..100,
        snapped in any::<bool>(),
    ) {
        let mut data = udp_frame(tag, v6, sport, dport, &body);
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

/// A frame that lost only what follows its IP datagram (a stored FCS the
/// snaplen cut) hides nothing: its packet is whole and no cut is counted;
/// one that lost bytes of the datagram is cut.
#[test]
fn a_frame_cut_after_its_datagram_is_no_cut() {
    for (tag, v6) in [(false, false), (true, false), (false, true)] {
        let dns = udp_frame(tag, v6, 40_000, 53, &[0x12; 40]);
        let mut dec = Decoder::new(DecodeLimits::default());
        let whole = dec.decode(&frame(&dns, dns.len() as u32 + 4));
        assert!(
            matches!(whole, Decoded::Packet(ref p) if !p.truncated),
            "{whole:?}"
        );
        assert_eq!(dec.stats().truncated_by_snaplen, 0);
        let short = dns.get(..dns.len() - 10).unwrap_or_default();
        let mut dec = Decoder::new(DecodeLimits::default());
        let cut = dec.decode(&frame(short, dns.len() as u32 + 4));
        assert!(
            matches!(cut, Decoded::Packet(ref p) if p.truncated),
            "{cut:?}"
        );
        assert_eq!(dec.stats().truncated_by_snaplen, 1);
    }
}
