use super::*;
use crate::packet::{Decoded, Decoder, Transport};

/// An owned copy of an event, for assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Data(bool, u64, Vec<u8>),
    Outcome(ConnOutcome),
    Closed(bool, bool, u64),
    Gap(bool, u64),
    /// A gap the other side acknowledged bytes past.
    GapAcked(bool, u64),
    /// from_client, resent, frame.
    Unacked(bool, u32, u64),
    /// Ended open after this frame.
    Open(u64),
    /// ICMP errors about the client's bytes: kind, how many, first frame.
    DataUnreachable(UnreachKind, u32, u64),
}

/// Records (client port, event) and answers with `track` after an
/// outcome.
struct Recorder {
    events: Vec<(u16, Ev)>,
    after_outcome: Track,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            events: vec![],
            after_outcome: Track::Bytes,
        }
    }

    fn sink(&mut self) -> impl FnMut(&ConnInfo, &mut u32, TcpEvent<'_>) -> Track + '_ {
        |info, count, event| {
            *count += 1;
            let (ev, track) = match event {
                TcpEvent::Data {
                    from_client,
                    frame,
                    data,
                    ..
                } => (Ev::Data(from_client, frame, data.to_vec()), Track::Bytes),
                TcpEvent::Outcome { outcome, .. } => (Ev::Outcome(outcome), self.after_outcome),
                TcpEvent::Closed {
                    from_client,
                    rst,
                    frame,
                    ..
                } => (Ev::Closed(from_client, rst, frame), Track::Bytes),
                TcpEvent::Gap {
                    from_client,
                    frame,
                    acked,
                    ..
                } => match acked {
                    true => (Ev::GapAcked(from_client, frame), Track::Bytes),
                    false => (Ev::Gap(from_client, frame), Track::Bytes),
                },
                TcpEvent::Unacked {
                    from_client,
                    resent,
                    frame,
                    ..
                } => (Ev::Unacked(from_client, resent, frame), Track::Bytes),
                TcpEvent::Open { frame, .. } => (Ev::Open(frame), Track::Bytes),
                TcpEvent::DataUnreachable {
                    kind, count, frame, ..
                } => (Ev::DataUnreachable(kind, count, frame), Track::Bytes),
            };
            self.events.push((info.client.port(), ev));
            track
        }
    }

    fn data(&self, port: u16, from_client: bool) -> Vec<u8> {
        let mut all = vec![];
        for (p, ev) in &self.events {
            if let (true, Ev::Data(c, _, d)) = (*p == port, ev) {
                if *c == from_client {
                    all.extend(d);
                }
            }
        }
        all
    }

    fn outcomes(&self) -> Vec<(u16, ConnOutcome)> {
        (self.events.iter())
            .filter_map(|(p, ev)| match ev {
                Ev::Outcome(o) => Some((*p, *o)),
                _ => None,
            })
            .collect()
    }
}

const SYN: u8 = TcpFlags::SYN;
const ACK: u8 = TcpFlags::ACK;
const RST: u8 = TcpFlags::RST;
const FIN: u8 = TcpFlags::FIN;

fn phone(port: u16) -> SocketAddr {
    SocketAddr::new([192, 0, 2, 100].into(), port)
}

fn server(port: u16) -> SocketAddr {
    SocketAddr::new([198, 51, 100, 20].into(), port)
}

/// An ICMP administratively prohibited quoting the phone's port 50000 to
/// the server's 443.
fn rejected_from_50000() -> Unreachable {
    Unreachable {
        kind: UnreachKind::AdminProhibited,
        code: 13,
        v6: false,
        orig_proto: 6,
        orig_src: phone(50000).ip(),
        orig_dst: server(443).ip(),
        orig_sport: 50000,
        orig_dport: 443,
        mtu: None,
    }
}

/// A router on the way, sender of ICMP errors.
fn router() -> IpAddr {
    [192, 0, 2, 1].into()
}

/// Feeds one segment: `to_server` picks the direction between phone
/// port `pport` and server port 443.
#[allow(clippy::too_many_arguments)]
fn feed(
    table: &mut FlowTable<u32>,
    rec: &mut Recorder,
    frame: u64,
    pport: u16,
    to_server: bool,
    flags: u8,
    seq: u32,
    payload: &[u8],
) {
    let (src, dst) = if to_server {
        (phone(pport), server(443))
    } else {
        (server(443), phone(pport))
    };
    let seg = TcpSegment {
        sport: src.port(),
        dport: dst.port(),
        seq,
        ack: 0,
        flags: TcpFlags(flags),
        payload,
        cut: Some(0),
        sack_right: None,
    };
    let mac = Some([2, 0, 0, 0, 0, if to_server { 1 } else { 2 }]);
    let ts = Timestamp::new(frame as i64 * 1_000_000_000, 6);
    table.segment(frame, ts, src, dst, mac, Some(10), &seg, &mut rec.sink());
}

#[test]
fn handshake_data_and_close() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 1000, b"");
    feed(&mut t, &mut rec, 2, 50000, true, SYN, 1000, b"");
    feed(&mut t, &mut rec, 3, 50000, false, SYN | ACK, 7000, b"");
    feed(
        &mut t,
        &mut rec,
        4,
        50000,
        true,
        ACK,
        1001,
        b"GET / HTTP/1.1\r\n",
    );
    feed(
        &mut t,
        &mut rec,
        5,
        50000,
        false,
        ACK,
        7001,
        b"HTTP/1.1 200 OK\r\n",
    );
    feed(&mut t, &mut rec, 6, 50000, false, FIN | ACK, 7018, b"");
    feed(&mut t, &mut rec, 7, 50000, false, FIN | ACK, 7018, b"");
    let want = vec![
        Ev::Outcome(ConnOutcome::Established {
            syn_frame: 1,
            synack_frame: 3,
            syns: 2,
            by: Answered::SynAck,
        }),
        Ev::Data(true, 4, b"GET / HTTP/1.1\r\n".to_vec()),
        Ev::Data(false, 5, b"HTTP/1.1 200 OK\r\n".to_vec()),
        Ev::Closed(false, false, 6),
    ];
    let got: Vec<Ev> = rec.events.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(got, want);
    assert_eq!(t.stats().connections, 1);
    t.finish(&mut rec.sink());
    assert_eq!(rec.events.len(), 4);
}

#[test]
fn conn_info_is_filled() {
    let mut t = FlowTable::new(FlowLimits::default());
    let seg = TcpSegment {
        sport: 50000,
        dport: 443,
        seq: 1,
        ack: 0,
        flags: TcpFlags(SYN),
        payload: b"",
        cut: Some(0),
        sack_right: None,
    };
    let mut seen = None;
    let mut sink = |info: &ConnInfo, _: &mut u32, _: TcpEvent<'_>| {
        seen = Some(*info);
        Track::Bytes
    };
    let ts = Timestamp::new(5, 6);
    let mac = Some([2, 0, 0, 0, 0, 1]);
    t.segment(
        9,
        ts,
        phone(50000),
        server(443),
        mac,
        Some(10),
        &seg,
        &mut sink,
    );
    t.finish(&mut sink);
    let info = seen.unwrap();
    assert_eq!((info.client, info.server), (phone(50000), server(443)));
    assert_eq!(
        (info.client_mac, info.vlan, info.saw_syn),
        (mac, Some(10), true)
    );
    assert_eq!((info.first_frame, info.first_ts), (9, ts));
}

#[test]
fn rst_before_synack_is_refused() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 2, 50000, false, RST | ACK, 0, b"");
    t.finish(&mut rec.sink());
    let want = ConnOutcome::Refused {
        syn_frame: 1,
        rst_frame: 2,
        syns: 1,
    };
    assert_eq!(rec.outcomes(), vec![(50000, want)]);
}

#[test]
fn icmp_quoting_the_syn_is_unreachable() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 1, b"");
    let u = rejected_from_50000();
    let ts = Timestamp::new(2000, 6);
    // Quoting the wrong port changes nothing.
    t.unreachable(2, ts, &Unreachable { orig_sport: 1, ..u }, router());
    t.unreachable(3, ts, &u, router());
    // Linux retries the SYN after the ICMP: the attempt goes on, and its
    // last ICMP answer is the outcome.
    feed(&mut t, &mut rec, 4, 50000, true, SYN, 1, b"");
    t.unreachable(5, ts, &u, router());
    assert!(rec.outcomes().is_empty());
    t.finish(&mut rec.sink());
    let want = ConnOutcome::Unreachable {
        syn_frame: 1,
        icmp_frame: 5,
        syns: 2,
        kind: UnreachKind::AdminProhibited,
        sender: router(),
    };
    assert_eq!(rec.outcomes(), vec![(50000, want)]);
    // A SYN-ACK after an ICMP answer: connected after all.
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 1, b"");
    t.unreachable(2, ts, &u, router());
    feed(&mut t, &mut rec, 3, 50000, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 4, 50000, false, SYN | ACK, 900, b"");
    t.finish(&mut rec.sink());
    let outcomes = rec.outcomes();
    assert!(
        matches!(
            outcomes.as_slice(),
            [(50000, ConnOutcome::Established { syns: 2, .. })]
        ),
        "{outcomes:?}"
    );
}

#[test]
fn a_syn_copied_by_a_second_capture_point_is_not_a_retry() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    let seg = TcpSegment {
        sport: 50000,
        dport: 443,
        seq: 1,
        ack: 0,
        flags: TcpFlags(SYN),
        payload: b"",
        cut: Some(0),
        sack_right: None,
    };
    for (frame, us) in [(1u64, 0i64), (2, 20), (3, 1_000_000)] {
        let ts = Timestamp::new(us * 1000, 6);
        t.segment(
            frame,
            ts,
            phone(50000),
            server(443),
            None,
            None,
            &seg,
            &mut rec.sink(),
        );
    }
    t.finish(&mut rec.sink());
    let got = rec.outcomes();
    assert!(
        matches!(got.as_slice(), [(_, ConnOutcome::NoAnswer { syns: 2, .. })]),
        "{got:?}"
    );
}

#[test]
fn unanswered_syns_are_no_answer_at_finish_in_first_seen_order() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50001, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 2, 50002, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 3, 50001, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 4, 50002, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 5, 50001, true, SYN, 1, b"");
    assert!(rec.events.is_empty());
    t.finish(&mut rec.sink());
    let got = rec.outcomes();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        (
            50001,
            ConnOutcome::NoAnswer {
                first_syn_frame: 1,
                last_syn_frame: 5,
                syns: 3,
                last_syn_ts: Timestamp::new(5_000_000_000, 6),
                astray: None,
            }
        )
    );
    assert!(matches!(got[1].1, ConnOutcome::NoAnswer { syns: 2, .. }));
}

#[test]
fn new_isn_on_a_used_port_is_a_new_connection() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 100, b"");
    feed(&mut t, &mut rec, 2, 50000, false, RST | ACK, 0, b"");
    feed(&mut t, &mut rec, 3, 50000, true, SYN, 100, b""); // same ISN: counted
    feed(&mut t, &mut rec, 4, 50000, true, SYN, 900, b""); // new ISN: new attempt
    feed(&mut t, &mut rec, 5, 50000, false, SYN | ACK, 5, b"");
    t.finish(&mut rec.sink());
    let got: Vec<ConnOutcome> = rec.outcomes().into_iter().map(|(_, o)| o).collect();
    let want = vec![
        ConnOutcome::Refused {
            syn_frame: 1,
            rst_frame: 2,
            syns: 1,
        },
        ConnOutcome::Established {
            syn_frame: 4,
            synack_frame: 5,
            syns: 1,
            by: Answered::SynAck,
        },
    ];
    assert_eq!(got, want);
    assert_eq!(t.stats().connections, 2);
}

#[test]
fn outcome_only_stops_bytes_but_keeps_the_close() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    rec.after_outcome = Track::OutcomeOnly;
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 2, 50000, false, SYN | ACK, 1, b"");
    feed(&mut t, &mut rec, 3, 50000, true, ACK, 2, b"\x16\x03\x01");
    feed(&mut t, &mut rec, 4, 50000, true, ACK, 20, b"later");
    feed(&mut t, &mut rec, 5, 50000, true, FIN | ACK, 5, b"");
    t.finish(&mut rec.sink());
    let got: Vec<Ev> = rec.events.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1], Ev::Closed(true, false, 5));
}

#[test]
fn least_recently_active_is_evicted_and_reports() {
    let limits = FlowLimits {
        max_flows: 2,
        ..FlowLimits::default()
    };
    let mut t = FlowTable::new(limits);
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50001, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 2, 50002, true, SYN, 1, b"");
    feed(&mut t, &mut rec, 3, 50001, true, SYN, 1, b""); // 50001 is now newer
    feed(&mut t, &mut rec, 4, 50003, true, SYN, 1, b"");
    assert_eq!(t.stats().flows_bound_hit, 1);
    let evicted = rec.outcomes();
    assert_eq!(evicted.len(), 1);
    assert!(matches!(
        evicted[0],
        (50002, ConnOutcome::NoAnswer { syns: 1, .. })
    ));
    t.finish(&mut rec.sink());
    assert_eq!(rec.outcomes().len(), 3);
}

#[test]
fn without_syn_the_higher_port_is_the_client() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut seen = vec![];
    let mut sink = |info: &ConnInfo, _: &mut u32, _: TcpEvent<'_>| {
        seen.push((info.client, info.saw_syn));
        Track::Bytes
    };
    let seg = TcpSegment {
        sport: 443,
        dport: 50000,
        seq: 1,
        ack: 0,
        flags: TcpFlags(ACK),
        payload: b"x",
        cut: Some(0),
        sack_right: None,
    };
    let ts = Timestamp::default();
    t.segment(
        1,
        ts,
        server(443),
        phone(50000),
        None,
        None,
        &seg,
        &mut sink,
    );
    assert_eq!(seen, vec![(phone(50000), false)]);
}

#[test]
fn syn_data_starts_at_isn_plus_one() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 99, b"OPTIONS ");
    feed(&mut t, &mut rec, 2, 50000, false, SYN | ACK, 5, b"");
    feed(
        &mut t,
        &mut rec,
        3,
        50000,
        true,
        ACK,
        108,
        b"sip:x SIP/2.0\r\n",
    );
    // A retransmitted SYN with its data is a duplicate.
    feed(&mut t, &mut rec, 4, 50000, true, SYN, 99, b"OPTIONS ");
    t.finish(&mut rec.sink());
    assert_eq!(rec.data(50000, true), b"OPTIONS sip:x SIP/2.0\r\n");
    assert_eq!(t.stats().overlap_conflicts, 0);
}

#[test]
fn buffer_bound_and_stuck_bytes_give_gaps() {
    let limits = FlowLimits {
        max_buffer_per_direction: 8,
        ..FlowLimits::default()
    };
    let mut t = FlowTable::new(limits);
    let mut rec = Recorder::new();
    feed(&mut t, &mut rec, 1, 50000, true, SYN, 0, b"");
    feed(&mut t, &mut rec, 2, 50000, true, ACK, 1, b"ab");
    feed(&mut t, &mut rec, 3, 50000, true, ACK, 5, b"efgh");
    feed(&mut t, &mut rec, 4, 50000, true, ACK, 9, b"ijklm"); // over the bound
    feed(&mut t, &mut rec, 5, 50000, false, ACK, 100, b"r");
    feed(&mut t, &mut rec, 6, 50000, false, ACK, 102, b"t"); // stuck to the end
    t.finish(&mut rec.sink());
    assert_eq!(t.stats().tcp_buffers_bound_hit, 1);
    let client: Vec<Ev> = (rec.events.iter())
        .filter(|(_, e)| matches!(e, Ev::Data(true, ..) | Ev::Gap(true, _)))
        .map(|(_, e)| e.clone())
        .collect();
    let want = vec![
        Ev::Data(true, 2, b"ab".to_vec()),
        Ev::Gap(true, 4),
        Ev::Data(true, 4, b"efgh".to_vec()),
        Ev::Data(true, 4, b"ijklm".to_vec()),
    ];
    assert_eq!(client, want);
    let tail: Vec<Ev> = rec
        .events
        .iter()
        .rev()
        .take(3)
        .map(|(_, e)| e.clone())
        .collect();
    // Last: the hole, and not the stuck byte behind it, which the client's
    // acknowledgments never passed (it never got it: nothing reads it);
    // then the open end (the server never closed).
    let stuck = vec![Ev::Gap(false, 6), Ev::Data(false, 5, b"r".to_vec())];
    assert_eq!(tail, [vec![Ev::Open(6)], stuck].concat());
}

/// Shared case 20: out-of-order segments with a conflicting overlap, and
/// an OPTIONS whose request line rides in the SYN.
#[test]
fn case_20_tcp_ooo_overlap_syndata() {
    let cap = crate::packet::testpcap::TestPcap::open(
        "../shared/cases/20-tcp-ooo-overlap-syndata/capture.pcap",
    );
    let mut dec = Decoder::new(Default::default());
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    let mut syn_payload = 0;
    for n in 1..=cap.len() {
        let frame = cap.frame(n);
        let Decoded::Packet(p) = dec.decode(&frame) else {
            panic!("frame {n}");
        };
        let Transport::Tcp(seg) = p.transport else {
            panic!("frame {n}");
        };
        if seg.flags.has(SYN) && !seg.flags.has(ACK) && seg.dport == 5060 {
            syn_payload += seg.payload.len();
        }
        let (src, dst) = (
            SocketAddr::new(p.src, seg.sport),
            SocketAddr::new(p.dst, seg.dport),
        );
        let (mac, vlan) = (p.l2.src_mac, p.l2.vlan);
        t.segment(n, frame.ts, src, dst, mac, vlan, &seg, &mut rec.sink());
    }
    t.finish(&mut rec.sink());

    let register = rec.data(53100, true);
    assert_eq!(register.len(), 391);
    assert!(register.starts_with(b"REGISTER sip:"));
    let text = String::from_utf8_lossy(&register);
    assert!(text.contains("c20-ooo@192.0.2.100"));
    assert!(!text.contains("XXXX") && !text.contains("YYYY"));
    assert_eq!(text.matches("REGISTER sip:").count(), 1);
    assert!(rec.data(53100, false).starts_with(b"SIP/2.0 401"));
    assert_eq!(t.stats().overlap_conflicts, 2);

    assert_eq!(syn_payload, 38);
    let options = rec.data(53101, true);
    assert!(options.starts_with(b"OPTIONS sip:"));
    assert!(String::from_utf8_lossy(&options).contains("c20-syn@192.0.2.100"));
    assert!(rec.data(53101, false).starts_with(b"SIP/2.0 200"));
    let infos: Vec<u16> = rec.outcomes().iter().map(|(p, _)| *p).collect();
    assert_eq!(infos, vec![53100, 53101]);
    assert!(!rec.events.iter().any(|(_, e)| matches!(e, Ev::Gap(..))));
}

/// Hostile segment soup: random flags, sequence numbers and payloads on
/// a few 4-tuples, with tight bounds. Nothing may panic, bounds hold.
#[test]
fn random_segments_keep_the_bounds() {
    let limits = FlowLimits {
        max_flows: 4,
        max_buffer_per_direction: 64,
    };
    let mut t = FlowTable::new(limits);
    let mut rec = Recorder::new();
    let mut x = 0x9e37_79b9_u32;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let payload = [b'p'; 40];
    for frame in 1..20_000u64 {
        let r = next();
        let port = 50000 + (r % 7) as u16;
        let flags = (next() & 0x1f) as u8;
        let seq = next() % 400;
        let len = (next() % 41) as usize;
        feed(
            &mut t,
            &mut rec,
            frame,
            port,
            r & 0x100 != 0,
            flags,
            seq,
            &payload[..len],
        );
        assert!(t.index.len() <= 4);
        for slot in &t.slots {
            for stream in slot.conn.iter().flat_map(|c| c.streams.iter()) {
                assert!(stream.buffered() <= 64 + 40);
            }
        }
    }
    t.finish(&mut rec.sink());
    assert!(t.stats().flows_bound_hit > 0);
    assert!(t.index.is_empty());
}

/// Like [`feed`], with an acknowledgment number.
fn feed_ack(t: &mut FlowTable<u32>, rec: &mut Recorder, frame: u64, seg: (bool, u8, u32, u32)) {
    let (to_server, flags, _, _) = seg;
    let payload: &[u8] = if to_server && flags & SYN == 0 {
        b"hello"
    } else {
        b""
    };
    feed_bytes(t, rec, frame, seg, payload);
}

/// One segment between phone port 50000 and server port 443: (to the
/// server, flags, seq, ack) and its payload.
fn feed_bytes(
    t: &mut FlowTable<u32>,
    rec: &mut Recorder,
    frame: u64,
    seg: (bool, u8, u32, u32),
    payload: &[u8],
) {
    let (to_server, flags, seq, ack) = seg;
    let (src, dst) = if to_server {
        (phone(50000), server(443))
    } else {
        (server(443), phone(50000))
    };
    let seg = TcpSegment {
        sport: src.port(),
        dport: dst.port(),
        seq,
        ack,
        flags: TcpFlags(flags),
        payload,
        cut: Some(0),
        sack_right: None,
    };
    let ts = Timestamp::new(frame as i64 * 1_000_000_000, 6);
    t.segment(frame, ts, src, dst, None, None, &seg, &mut rec.sink());
}

#[test]
fn data_resent_and_never_acknowledged_is_reported_at_the_end() {
    // (server's ack of the phone's bytes, answer with data) -> Unacked?
    for (server_ack, want) in [(1001, true), (1006, false)] {
        let mut t = FlowTable::new(FlowLimits::default());
        let mut rec = Recorder::new();
        feed_ack(&mut t, &mut rec, 1, (true, SYN, 1000, 0));
        feed_ack(&mut t, &mut rec, 2, (false, SYN | ACK, 7000, 1001));
        for frame in 3..=5 {
            feed_ack(&mut t, &mut rec, frame, (true, ACK, 1001, 7001));
        }
        feed_ack(&mut t, &mut rec, 6, (false, ACK, 7001, server_ack));
        t.finish(&mut rec.sink());
        let unacked: Vec<&Ev> = (rec.events.iter().map(|(_, e)| e))
            .filter(|e| matches!(e, Ev::Unacked(..)))
            .collect();
        match want {
            true => assert_eq!(unacked, vec![&Ev::Unacked(true, 2, 5)]),
            false => assert!(unacked.is_empty(), "{unacked:?}"),
        }
    }
    // Once the phone closes, its FIN says it gave up: no Unacked at the end.
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    feed_ack(&mut t, &mut rec, 1, (true, SYN, 1000, 0));
    feed_ack(&mut t, &mut rec, 2, (false, SYN | ACK, 7000, 1001));
    feed_ack(&mut t, &mut rec, 3, (true, ACK, 1001, 7001));
    feed_ack(&mut t, &mut rec, 4, (true, ACK, 1001, 7001));
    feed_ack(&mut t, &mut rec, 5, (true, FIN | ACK, 1006, 7001));
    t.finish(&mut rec.sink());
    assert!(rec
        .events
        .iter()
        .any(|(_, e)| matches!(e, Ev::Closed(true, false, 5))));
    assert!(!rec.events.iter().any(|(_, e)| matches!(e, Ev::Unacked(..))));
}

#[test]
fn a_hole_the_receiver_acknowledged_is_given_up_at_the_close() {
    // The phone sends "hello", then "world" after five bytes the capture
    // lacks; the server acknowledges everything (the bytes arrived), then
    // the phone closes: a gap the server acknowledged past, then the rest,
    // then the close. Without the server's acknowledgement the hole waits
    // for a retransmission until the end.
    for (server_ack, acked) in [(1016, true), (1006, false)] {
        let mut t = FlowTable::new(FlowLimits::default());
        let mut rec = Recorder::new();
        let mut seg = |frame: u64, to_server: bool, flags: u8, seq: u32, ack: u32, data: &[u8]| {
            feed_bytes(&mut t, &mut rec, frame, (to_server, flags, seq, ack), data);
        };
        seg(1, true, SYN, 1000, 0, b"");
        seg(2, false, SYN | ACK, 7000, 1001, b"");
        seg(3, true, ACK, 1001, 7001, b"hello");
        seg(4, true, ACK, 1011, 7001, b"world");
        seg(5, false, ACK, 7001, server_ack, b"");
        seg(6, true, FIN | ACK, 1016, 7001, b"");
        let at_close: Vec<Ev> = rec.events.iter().map(|(_, e)| e.clone()).collect();
        t.finish(&mut rec.sink());
        let events: Vec<Ev> = rec.events.iter().map(|(_, e)| e.clone()).collect();
        let closed = events
            .iter()
            .position(|e| matches!(e, Ev::Closed(true, false, 6)));
        let gap = events
            .iter()
            .position(|e| matches!(e, Ev::GapAcked(true, _)));
        match acked {
            true => {
                assert!(gap.is_some() && gap < closed, "{events:?}");
                assert!(at_close.contains(&Ev::Data(true, 4, b"world".to_vec())));
            }
            false => {
                assert!(gap.is_none(), "{events:?}");
                assert!(
                    events.iter().any(|e| matches!(e, Ev::Gap(true, _))),
                    "{events:?}"
                );
            }
        }
    }
}

#[test]
fn icmp_quoting_the_clients_bytes_after_the_handshake() {
    let u = rejected_from_50000();
    let ts = Timestamp::new(2000, 6);
    let run = |acked: bool, kind: UnreachKind| {
        let mut t = FlowTable::new(FlowLimits::default());
        let mut rec = Recorder::new();
        feed_ack(&mut t, &mut rec, 1, (true, SYN, 100, 0));
        feed_ack(&mut t, &mut rec, 2, (false, SYN | ACK, 900, 101));
        feed_ack(&mut t, &mut rec, 3, (true, ACK, 101, 901));
        let code = if kind == UnreachKind::PacketTooBig {
            4
        } else {
            13
        };
        t.unreachable(4, ts, &Unreachable { kind, code, ..u }, router());
        feed_ack(&mut t, &mut rec, 5, (true, ACK, 101, 901));
        t.unreachable(6, ts, &Unreachable { kind, code, ..u }, router());
        // An ICMP quoting the server's bytes is not about the client's.
        let back = Unreachable {
            orig_src: u.orig_dst,
            orig_dst: u.orig_src,
            orig_sport: 443,
            orig_dport: 50000,
            ..u
        };
        t.unreachable(7, ts, &back, router());
        if acked {
            feed_ack(&mut t, &mut rec, 8, (false, ACK, 901, 106));
        }
        t.finish(&mut rec.sink());
        (rec.events.iter())
            .filter_map(|(_, e)| match e {
                Ev::DataUnreachable(..) => Some(e.clone()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let admin = UnreachKind::AdminProhibited;
    assert_eq!(run(false, admin), vec![Ev::DataUnreachable(admin, 2, 4)]);
    // The server acknowledged the bytes after all: the ICMP rejected nothing.
    assert!(run(true, admin).is_empty());
    // 'Fragmentation needed' asks for smaller segments: told only when the
    // segments it answered were never acknowledged (the sender ignored it).
    let too_big = UnreachKind::PacketTooBig;
    assert_eq!(
        run(false, too_big),
        vec![Ev::DataUnreachable(too_big, 2, 4)]
    );
    assert!(run(true, too_big).is_empty());
}

/// A segment without payload: (seq, ack, flags).
fn bare(seq: u32, ack: u32, flags: u8) -> TcpSegment<'static> {
    TcpSegment {
        sport: 0,
        dport: 0,
        seq,
        ack,
        flags: TcpFlags(flags),
        payload: b"",
        cut: Some(0),
        sack_right: None,
    }
}

/// Feeds `seg` from `src` to `dst` at `frame` seconds.
fn put(
    t: &mut FlowTable<u32>,
    rec: &mut Recorder,
    frame: u64,
    (src, dst): (SocketAddr, SocketAddr),
    seg: TcpSegment<'_>,
) {
    let ts = Timestamp::new(frame as i64 * 1_000_000_000, 6);
    t.segment(frame, ts, src, dst, None, None, &seg, &mut rec.sink());
}

#[test]
fn answers_from_another_socket_are_the_attempts_not_connections() {
    let mut t = FlowTable::new(FlowLimits::default());
    let mut rec = Recorder::new();
    let (client, other) = (phone(50000), server(18443));
    let to = (client, server(443));
    put(&mut t, &mut rec, 1, to, bare(100, 0, SYN));
    // A SYN-ACK from port 18443 acknowledging the SYN, and the phone's RST.
    put(
        &mut t,
        &mut rec,
        2,
        (other, client),
        bare(7000, 101, SYN | ACK),
    );
    put(&mut t, &mut rec, 3, (client, other), bare(101, 0, RST));
    put(&mut t, &mut rec, 4, to, bare(100, 0, SYN));
    put(
        &mut t,
        &mut rec,
        5,
        (other, client),
        bare(7000, 101, SYN | ACK),
    );
    // One acknowledging another sequence number is not about this SYN.
    put(
        &mut t,
        &mut rec,
        6,
        (server(9), client),
        bare(1, 5, RST | ACK),
    );
    t.finish(&mut rec.sink());
    let got = rec.outcomes();
    let astray = got.iter().find_map(|(_, o)| match o {
        ConnOutcome::NoAnswer { astray, .. } => *astray,
        _ => None,
    });
    let want = Astray {
        frame: 2,
        from: other,
        rst: false,
        count: 2,
    };
    assert_eq!(astray, Some(want));
    // No connection of its own for the stray answers or the phone's RST.
    assert_eq!(t.stats().connections, 2, "{got:?}");
}

#[test]
fn a_stale_ack_to_a_syn_does_not_open_the_connection() {
    let (client, srv) = (phone(50000), server(443));
    let run = |answer: TcpSegment<'static>, reset: bool| {
        let mut t = FlowTable::new(FlowLimits::default());
        let mut rec = Recorder::new();
        put(&mut t, &mut rec, 1, (client, srv), bare(100, 0, SYN));
        put(&mut t, &mut rec, 2, (srv, client), answer);
        if reset {
            put(&mut t, &mut rec, 3, (client, srv), bare(77_000_000, 0, RST));
        }
        t.finish(&mut rec.sink());
        rec.outcomes()
    };
    // An old connection's ACK (RFC 9293 3.10.7.3's challenge ACK): not an answer.
    let got = run(bare(9000, 77_000_000, ACK), true);
    assert!(
        matches!(got.as_slice(), [(_, ConnOutcome::NoAnswer { syns: 1, .. })]),
        "{got:?}"
    );
    // The server's ACK of the SYN (its SYN-ACK lost by the capture): open.
    let by = run(bare(9001, 101, ACK), false)
        .into_iter()
        .find_map(|(_, o)| match o {
            ConnOutcome::Established { by, .. } => Some(by),
            _ => None,
        });
    assert_eq!(by, Some(Answered::ServerTraffic));
}
