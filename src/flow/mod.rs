//! Flows: TCP connections per 4-tuple, both directions, with in-order byte
//! delivery and the connection's outcome.
//!
//! Reassembly follows sequence numbers, not capture order: out-of-order
//! segments wait in a bounded buffer, retransmissions are dropped, overlaps
//! keep the first bytes received and count a conflict when the new bytes
//! differ (RFC 9293 first-write-wins), data carried on a SYN starts at ISN+1.
//! The outcome of an attempt is the SYN-ACK, an RST, an ICMP unreachable
//! quoting the SYN, or silence (SYNs counted). UDP needs no state here: the
//! driver hands datagrams straight to the decoders.
//!
//! Each connection carries a user state `S` (the driver keeps its protocol
//! parsers there). The table never interprets the bytes.

mod key;
pub mod tcp;

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::packet::{Mac, TcpFlags, TcpSegment, UnreachKind, Unreachable};
use crate::time::Timestamp;
use key::{FlowKey, FxBuild};
use tcp::{Piece, PushReport, Stream};

/// Who is who on a connection. The client is the sender of the first SYN;
/// when no SYN was seen, the side with the higher port (ties: the first
/// sender) is taken as the client and `saw_syn` is false, unless the first
/// segment seen is a SYN-ACK, whose sender is the server.
#[derive(Clone, Copy, Debug)]
pub struct ConnInfo {
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub client_mac: Option<Mac>,
    pub vlan: Option<u16>,
    pub saw_syn: bool,
    /// Frame of the first packet of this connection.
    pub first_frame: u64,
    pub first_ts: Timestamp,
}

/// How a connection attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnOutcome {
    /// SYN-ACK seen. `syns` counts the client's SYNs (retransmissions too).
    /// A capture that missed the SYN-ACK but shows the handshake's ACK or
    /// the server's traffic counts as established at that frame. When the
    /// capture began after the SYN, `syn_frame` and `syns` are 0.
    Established {
        syn_frame: u64,
        synack_frame: u64,
        syns: u32,
    },
    /// The server (or something on its path) answered the SYN with RST.
    Refused {
        syn_frame: u64,
        rst_frame: u64,
        syns: u32,
    },
    /// An ICMP unreachable quoting the SYN.
    Unreachable {
        syn_frame: u64,
        icmp_frame: u64,
        syns: u32,
        kind: UnreachKind,
    },
    /// SYNs with no answer until the end of the capture.
    NoAnswer {
        first_syn_frame: u64,
        last_syn_frame: u64,
        syns: u32,
        last_syn_ts: Timestamp,
    },
}

/// What the table reports about a connection, in frame order. Within one
/// segment: the outcome first, then its bytes, then the close.
#[derive(Debug)]
pub enum TcpEvent<'a> {
    /// In-order bytes of one direction; `frame` supplied (the end of) them.
    Data {
        from_client: bool,
        frame: u64,
        ts: Timestamp,
        data: &'a [u8],
    },
    /// The attempt's outcome, once known (at the latest from `finish`).
    Outcome {
        outcome: ConnOutcome,
        frame: u64,
        ts: Timestamp,
    },
    /// A FIN or RST after the connection was established.
    Closed {
        from_client: bool,
        rst: bool,
        frame: u64,
        ts: Timestamp,
    },
    /// Bytes of a direction that can never be delivered (a gap that was never
    /// filled, or a buffer bound hit): the parser must resynchronise.
    Gap { from_client: bool, frame: u64 },
}

/// What the driver wants next from a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    /// Keep delivering bytes.
    Bytes,
    /// No more bytes; keep only the outcome and close events.
    OutcomeOnly,
}

/// Bounds on the table's state.
#[derive(Clone, Copy, Debug)]
pub struct FlowLimits {
    /// Connections tracked at once; the least recently active one is
    /// evicted beyond it (its pending attempt reports `NoAnswer`).
    pub max_flows: usize,
    /// Out-of-order bytes buffered per direction.
    pub max_buffer_per_direction: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            max_flows: 200_000,
            max_buffer_per_direction: 256 << 10,
        }
    }
}

/// Counters, reported in the capture's stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlowStats {
    pub connections: u64,
    /// Overlapping retransmissions whose bytes differed from the first copy.
    pub overlap_conflicts: u64,
    /// Times a direction's out-of-order buffer bound was hit.
    pub tcp_buffers_bound_hit: u64,
    /// Connections evicted because `max_flows` was reached.
    pub flows_bound_hit: u64,
}

/// The connection table.
pub struct FlowTable<S> {
    limits: FlowLimits,
    stats: FlowStats,
    index: HashMap<FlowKey, u32, FxBuild>,
    slots: Vec<Slot<S>>,
    free: Vec<u32>,
    /// Ends of the recency list of live slots.
    newest: u32,
    oldest: u32,
    /// Connections opened so far (gives each its `order`).
    opened: u64,
}

/// End of the recency list.
const NIL: u32 = u32::MAX;

/// A place for one connection, linked in recency order.
struct Slot<S> {
    key: FlowKey,
    newer: u32,
    older: u32,
    conn: Option<Conn<S>>,
}

/// Where a connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Picked up without its SYN: bytes flow, there is no attempt to judge.
    Midstream,
    /// SYN seen, no answer yet.
    Attempt,
    /// Answered, or the SYN-ACK seen.
    Established,
    /// Refused or unreachable.
    Failed,
}

/// Direction indexes into `Conn::streams`.
const CLIENT: usize = 0;
const SERVER: usize = 1;

struct Conn<S> {
    info: ConnInfo,
    state: S,
    track: Track,
    phase: Phase,
    /// Sequence number of the client's SYN.
    client_isn: Option<u32>,
    syns: u32,
    first_syn_frame: u64,
    last_syn_frame: u64,
    last_syn_ts: Timestamp,
    /// FIN seen, from the client and from the server.
    fin: [bool; 2],
    rst: bool,
    /// Client-to-server and server-to-client bytes.
    streams: [Stream; 2],
    /// Position in opening order.
    order: u64,
}

impl<S: Default> FlowTable<S> {
    pub fn new(limits: FlowLimits) -> Self {
        FlowTable {
            limits,
            stats: FlowStats::default(),
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            newest: NIL,
            oldest: NIL,
            opened: 0,
        }
    }

    /// Feeds one TCP segment. `sink` sees this connection's events caused by
    /// it and answers whether it still wants bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn segment<F>(
        &mut self,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        src_mac: Option<Mac>,
        vlan: Option<u16>,
        seg: &TcpSegment<'_>,
        sink: &mut F,
    ) where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let key = FlowKey::new(&src, &dst);
        let flags = seg.flags;
        let control = flags.0 & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST) != 0;
        let new_syn = flags.has(TcpFlags::SYN) && !flags.has(TcpFlags::ACK);
        let existing = self.index.get(&key).copied();

        if let Some(idx) = existing {
            self.touch(idx);
            let Some(conn) = self.conn_mut(idx) else {
                return;
            };
            // The bulk-transfer fast path: one lookup, nothing else.
            if conn.track == Track::OutcomeOnly && conn.phase != Phase::Attempt && !control {
                return;
            }
            let retransmitted_syn = src == conn.info.client && conn.client_isn == Some(seg.seq);
            if !new_syn || retransmitted_syn {
                self.update(idx, frame, ts, src, src_mac, seg, sink);
                return;
            }
            // A new SYN on a known 4-tuple: the port was reused.
            self.close_slot(idx, sink);
        }
        let idx = self.open(key, frame, ts, src, dst, src_mac, vlan, flags, sink);
        self.update(idx, frame, ts, src, src_mac, seg, sink);
    }

    /// An ICMP unreachable quoting a TCP packet: ends a pending attempt.
    pub fn unreachable<F>(&mut self, frame: u64, ts: Timestamp, u: &Unreachable, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        if u.orig_proto != 6 {
            return;
        }
        let client = SocketAddr::new(u.orig_src, u.orig_sport);
        let server = SocketAddr::new(u.orig_dst, u.orig_dport);
        let Some(idx) = self.index.get(&FlowKey::new(&client, &server)).copied() else {
            return;
        };
        let Some(conn) = self.conn_mut(idx) else {
            return;
        };
        if conn.phase != Phase::Attempt || conn.info.client != client {
            return;
        }
        conn.phase = Phase::Failed;
        let outcome = ConnOutcome::Unreachable {
            syn_frame: conn.first_syn_frame,
            icmp_frame: frame,
            syns: conn.syns,
            kind: u.kind,
        };
        conn.emit(sink, TcpEvent::Outcome { outcome, frame, ts });
        self.touch(idx);
    }

    /// End of capture: reports the outcome of attempts still pending
    /// (`NoAnswer`) and a `Gap` for bytes stuck behind a hole, in the order
    /// the connections were first seen.
    pub fn finish<F>(&mut self, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let mut live: Vec<(u64, usize)> = (self.slots.iter().enumerate())
            .filter_map(|(i, slot)| slot.conn.as_ref().map(|c| (c.order, i)))
            .collect();
        live.sort_unstable();
        for (_, i) in live {
            if let Some(mut conn) = self.slots.get_mut(i).and_then(|s| s.conn.take()) {
                conn.finalize(sink);
            }
        }
        self.index.clear();
        self.slots.clear();
        self.free.clear();
        self.newest = NIL;
        self.oldest = NIL;
    }

    pub fn stats(&self) -> FlowStats {
        self.stats
    }

    /// Starts a connection for a segment with no (current) entry, evicting
    /// the least recently active one when the table is full.
    #[allow(clippy::too_many_arguments)]
    fn open<F>(
        &mut self,
        key: FlowKey,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        src_mac: Option<Mac>,
        vlan: Option<u16>,
        flags: TcpFlags,
        sink: &mut F,
    ) -> u32
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        while self.index.len() >= self.limits.max_flows.max(1) && self.oldest != NIL {
            self.stats.flows_bound_hit += 1;
            self.close_slot(self.oldest, sink);
        }
        let syn = flags.has(TcpFlags::SYN);
        let ack = flags.has(TcpFlags::ACK);
        let src_is_client = match (syn, ack) {
            (true, false) => true,
            (true, true) => false,
            _ => src.port() >= dst.port(),
        };
        let (client, server) = if src_is_client {
            (src, dst)
        } else {
            (dst, src)
        };
        let conn = Conn {
            info: ConnInfo {
                client,
                server,
                client_mac: if src_is_client { src_mac } else { None },
                vlan,
                saw_syn: syn && !ack,
                first_frame: frame,
                first_ts: ts,
            },
            state: S::default(),
            track: Track::Bytes,
            phase: Phase::Midstream,
            client_isn: None,
            syns: 0,
            first_syn_frame: 0,
            last_syn_frame: 0,
            last_syn_ts: Timestamp::default(),
            fin: [false; 2],
            rst: false,
            streams: Default::default(),
            order: self.opened,
        };
        self.opened += 1;
        self.stats.connections += 1;
        let slot = Slot {
            key,
            newer: NIL,
            older: NIL,
            conn: Some(conn),
        };
        let idx = match self.free.pop() {
            Some(idx) => {
                if let Some(place) = self.slots.get_mut(idx as usize) {
                    *place = slot;
                }
                idx
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, idx);
        self.link_newest(idx);
        idx
    }

    /// Ends a connection (evicted, or replaced by a new one on its 4-tuple):
    /// reports what `finish` would, then frees its slot.
    fn close_slot<F>(&mut self, idx: u32, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        self.unlink(idx);
        let Some(slot) = self.slots.get_mut(idx as usize) else {
            return;
        };
        let key = slot.key;
        if let Some(mut conn) = slot.conn.take() {
            conn.finalize(sink);
        }
        self.index.remove(&key);
        self.free.push(idx);
    }

    /// One segment of a known connection: handshake, outcome, bytes, close.
    #[allow(clippy::too_many_arguments)]
    fn update<F>(
        &mut self,
        idx: u32,
        frame: u64,
        ts: Timestamp,
        src: SocketAddr,
        src_mac: Option<Mac>,
        seg: &TcpSegment<'_>,
        sink: &mut F,
    ) where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let max_buffer = self.limits.max_buffer_per_direction;
        let Some(conn) = self
            .slots
            .get_mut(idx as usize)
            .and_then(|s| s.conn.as_mut())
        else {
            return;
        };
        let from_client = src == conn.info.client;
        let dir = if from_client { CLIENT } else { SERVER };
        if from_client && conn.info.client_mac.is_none() {
            conn.info.client_mac = src_mac;
        }
        let syn = seg.flags.has(TcpFlags::SYN);
        let ack = seg.flags.has(TcpFlags::ACK);
        let rst = seg.flags.has(TcpFlags::RST);
        let fin = seg.flags.has(TcpFlags::FIN);

        // Handshake and outcome.
        if syn && !ack && from_client {
            conn.syn(seg.seq, frame, ts);
        } else if syn && ack && !from_client {
            if let Some(stream) = conn.streams.get_mut(SERVER) {
                stream.start_at(seg.seq.wrapping_add(1));
            }
            conn.established(frame, ts, sink);
        } else if !syn && !rst && ack && conn.phase == Phase::Attempt {
            // The capture missed the SYN-ACK, but the handshake went on.
            conn.established(frame, ts, sink);
        }
        if rst {
            conn.reset(from_client, frame, ts, sink);
            return;
        }

        // Bytes, then the close they may end with.
        if conn.track == Track::Bytes && !seg.payload.is_empty() {
            let seq = if syn {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            let report = conn.deliver(dir, seq, seg.payload, frame, ts, max_buffer, sink);
            self.stats.overlap_conflicts += report.conflicts;
            self.stats.tcp_buffers_bound_hit += report.bound_hits;
        }
        let fin_seen = conn.fin.get_mut(dir);
        if fin && matches!(conn.phase, Phase::Established | Phase::Midstream) {
            if let Some(seen @ false) = fin_seen {
                *seen = true;
                let event = TcpEvent::Closed {
                    from_client,
                    rst: false,
                    frame,
                    ts,
                };
                conn.emit(sink, event);
            }
        }
    }

    fn conn_mut(&mut self, idx: u32) -> Option<&mut Conn<S>> {
        self.slots.get_mut(idx as usize)?.conn.as_mut()
    }

    /// Marks a slot as the most recently active.
    fn touch(&mut self, idx: u32) {
        if self.newest != idx {
            self.unlink(idx);
            self.link_newest(idx);
        }
    }

    fn link_newest(&mut self, idx: u32) {
        let old_newest = self.newest;
        if let Some(slot) = self.slots.get_mut(idx as usize) {
            slot.newer = NIL;
            slot.older = old_newest;
        }
        match self.slots.get_mut(old_newest as usize) {
            Some(prev) => prev.newer = idx,
            None => self.oldest = idx,
        }
        self.newest = idx;
    }

    fn unlink(&mut self, idx: u32) {
        let Some(slot) = self.slots.get(idx as usize) else {
            return;
        };
        let (newer, older) = (slot.newer, slot.older);
        match self.slots.get_mut(newer as usize) {
            Some(n) => n.older = older,
            None => self.newest = older,
        }
        match self.slots.get_mut(older as usize) {
            Some(o) => o.newer = newer,
            None => self.oldest = newer,
        }
        if let Some(slot) = self.slots.get_mut(idx as usize) {
            slot.newer = NIL;
            slot.older = NIL;
        }
    }
}

impl<S> Conn<S> {
    /// Hands one event to the sink; honours a request to stop bytes.
    fn emit<F>(&mut self, sink: &mut F, event: TcpEvent<'_>)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        if sink(&self.info, &mut self.state, event) == Track::OutcomeOnly {
            self.stop_bytes();
        }
    }

    /// The driver wants no more bytes: free the buffers for good.
    fn stop_bytes(&mut self) {
        self.track = Track::OutcomeOnly;
        for stream in &mut self.streams {
            stream.clear();
        }
    }

    /// A SYN from the client: the first one opens the attempt and fixes the
    /// stream start (ISN + 1); repeats with the same ISN are counted.
    fn syn(&mut self, isn: u32, frame: u64, ts: Timestamp) {
        if self.client_isn.is_none() {
            self.client_isn = Some(isn);
            self.first_syn_frame = frame;
            if self.phase == Phase::Midstream {
                self.phase = Phase::Attempt;
            }
            if let Some(stream) = self.streams.get_mut(CLIENT) {
                stream.start_at(isn.wrapping_add(1));
            }
        }
        self.syns = self.syns.saturating_add(1);
        self.last_syn_frame = frame;
        self.last_syn_ts = ts;
    }

    /// The attempt was answered (or the capture joined at the SYN-ACK).
    fn established<F>(&mut self, frame: u64, ts: Timestamp, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let (syn_frame, syns) = match self.phase {
            Phase::Attempt => (self.first_syn_frame, self.syns),
            Phase::Midstream => (0, 0),
            Phase::Established | Phase::Failed => return,
        };
        self.phase = Phase::Established;
        let outcome = ConnOutcome::Established {
            syn_frame,
            synack_frame: frame,
            syns,
        };
        self.emit(sink, TcpEvent::Outcome { outcome, frame, ts });
    }

    /// An RST: refuses a pending attempt (from the server), closes an open
    /// connection (once).
    fn reset<F>(&mut self, from_client: bool, frame: u64, ts: Timestamp, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        match self.phase {
            Phase::Attempt if !from_client => {
                self.phase = Phase::Failed;
                let outcome = ConnOutcome::Refused {
                    syn_frame: self.first_syn_frame,
                    rst_frame: frame,
                    syns: self.syns,
                };
                self.emit(sink, TcpEvent::Outcome { outcome, frame, ts });
            }
            Phase::Established | Phase::Midstream if !self.rst => {
                self.rst = true;
                let event = TcpEvent::Closed {
                    from_client,
                    rst: true,
                    frame,
                    ts,
                };
                self.emit(sink, event);
            }
            _ => {}
        }
    }

    /// Puts a payload into direction `dir` and hands out what is in order.
    #[allow(clippy::too_many_arguments)]
    fn deliver<F>(
        &mut self,
        dir: usize,
        seq: u32,
        data: &[u8],
        frame: u64,
        ts: Timestamp,
        max_buffer: usize,
        sink: &mut F,
    ) -> PushReport
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let Conn {
            info,
            state,
            streams,
            ..
        } = self;
        let Some(stream) = streams.get_mut(dir) else {
            return PushReport::default();
        };
        let from_client = dir == CLIENT;
        let mut stop = false;
        let mut out = |piece: Piece<'_>, frame: u64, ts: Timestamp| {
            stop = sink(info, state, piece_event(from_client, piece, frame, ts)) != Track::Bytes;
            !stop
        };
        let report = stream.push(seq, data, frame, ts, max_buffer, &mut out);
        if stop {
            self.stop_bytes();
        }
        report
    }

    /// The connection ends (capture over, evicted, or its port reused):
    /// a pending attempt was never answered; bytes behind holes come out.
    fn finalize<F>(&mut self, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        if self.phase == Phase::Attempt {
            self.phase = Phase::Failed;
            let outcome = ConnOutcome::NoAnswer {
                first_syn_frame: self.first_syn_frame,
                last_syn_frame: self.last_syn_frame,
                syns: self.syns,
                last_syn_ts: self.last_syn_ts,
            };
            let (frame, ts) = (self.last_syn_frame, self.last_syn_ts);
            self.emit(sink, TcpEvent::Outcome { outcome, frame, ts });
        }
        for dir in [CLIENT, SERVER] {
            if self.track != Track::Bytes {
                break;
            }
            let Conn {
                info,
                state,
                streams,
                track,
                ..
            } = self;
            let Some(stream) = streams.get_mut(dir) else {
                continue;
            };
            let from_client = dir == CLIENT;
            stream.flush(&mut |piece: Piece<'_>, frame: u64, ts: Timestamp| {
                let wanted = sink(info, state, piece_event(from_client, piece, frame, ts));
                *track = wanted;
                wanted == Track::Bytes
            });
        }
        self.stop_bytes();
    }
}

fn piece_event(from_client: bool, piece: Piece<'_>, frame: u64, ts: Timestamp) -> TcpEvent<'_> {
    match piece {
        Piece::Data(data) => TcpEvent::Data {
            from_client,
            frame,
            ts,
            data,
        },
        Piece::Gap => TcpEvent::Gap { from_client, frame },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Decoded, Decoder, Transport};

    /// An owned copy of an event, for assertions.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Ev {
        Data(bool, u64, Vec<u8>),
        Outcome(ConnOutcome),
        Closed(bool, bool, u64),
        Gap(bool, u64),
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
                    TcpEvent::Gap { from_client, frame } => {
                        (Ev::Gap(from_client, frame), Track::Bytes)
                    }
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
        };
        let mac = Some([2, 0, 0, 0, 0, if to_server { 1 } else { 2 }]);
        let ts = Timestamp::new(frame as i64 * 1000, 6);
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
        let u = Unreachable {
            kind: UnreachKind::AdminProhibited,
            code: 13,
            v6: false,
            orig_proto: 6,
            orig_src: phone(50000).ip(),
            orig_dst: server(443).ip(),
            orig_sport: 50000,
            orig_dport: 443,
        };
        let ts = Timestamp::new(2000, 6);
        // Quoting the wrong port changes nothing.
        t.unreachable(2, ts, &Unreachable { orig_sport: 1, ..u }, &mut rec.sink());
        t.unreachable(3, ts, &u, &mut rec.sink());
        t.finish(&mut rec.sink());
        let want = ConnOutcome::Unreachable {
            syn_frame: 1,
            icmp_frame: 3,
            syns: 1,
            kind: UnreachKind::AdminProhibited,
        };
        assert_eq!(rec.outcomes(), vec![(50000, want)]);
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
                    last_syn_ts: Timestamp::new(5000, 6),
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
            .take(2)
            .map(|(_, e)| e.clone())
            .collect();
        assert_eq!(
            tail,
            vec![Ev::Data(false, 6, b"t".to_vec()), Ev::Gap(false, 6)]
        );
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
}
