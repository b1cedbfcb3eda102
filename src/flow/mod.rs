//! Flows: TCP connections per 4-tuple, both directions, with in-order byte
//! delivery and the connection's outcome.
//!
//! Reassembly follows sequence numbers, not capture order: out-of-order
//! segments wait in a bounded buffer, retransmissions are dropped, overlaps
//! keep the first bytes received and count a conflict when the new bytes
//! differ (RFC 9293 first-write-wins), data carried on a SYN starts at ISN+1.
//! The outcome of an attempt is the SYN-ACK, an RST, an ICMP unreachable
//! quoting the SYN, or silence (SYNs counted). ICMP errors quoting the
//! client's bytes once connected (a filter passing the handshake and
//! rejecting what follows) are counted and reported at the connection's
//! end. UDP needs no state here: the driver hands datagrams straight to the
//! decoders.
//!
//! Each connection carries a user state `S` (the driver keeps its protocol
//! parsers there). The table never interprets the bytes.

mod key;
pub mod tcp;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

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
    /// The Ethernet source of the server's segments (a router's, mostly).
    pub server_mac: Option<Mac>,
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
        by: Answered,
    },
    /// The server (or something on its path) answered the SYN with RST.
    Refused {
        syn_frame: u64,
        rst_frame: u64,
        syns: u32,
    },
    /// An ICMP unreachable quoting the SYN; `sender` sent the ICMP.
    Unreachable {
        syn_frame: u64,
        icmp_frame: u64,
        syns: u32,
        kind: UnreachKind,
        sender: IpAddr,
    },
    /// SYNs with no answer until the end of the capture.
    NoAnswer {
        first_syn_frame: u64,
        last_syn_frame: u64,
        syns: u32,
        last_syn_ts: Timestamp,
        astray: Option<Astray>,
    },
}

/// What showed an established connection's answer: its SYN-ACK, or, with
/// the SYN-ACK missed by the capture, the client's handshake ACK or the
/// server's own traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answered {
    SynAck,
    ClientAck,
    ServerTraffic,
}

/// Answers to a pending attempt's SYNs from another socket than the one
/// they went to, acknowledging them (a SYN-ACK or an RST): a NAT rewriting
/// the server's port or address, or a device answering in its name. The
/// client never takes them; the first one's frame and sender, and how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Astray {
    pub frame: u64,
    pub from: SocketAddr,
    pub rst: bool,
    pub count: u32,
}

/// Re-sends of bytes never acknowledged that make a peer which had spoken
/// before gone silent (see [`TcpEvent::Unacked`]).
const WENT_SILENT_RESENDS: u32 = 3;

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
        /// The other side acknowledged every byte this side sent (as far as
        /// the capture shows; true when it sent none).
        peer_acked: bool,
        /// The other side sent no bytes: none captured, none acknowledged.
        peer_silent: bool,
        /// This side had acknowledged bytes of the other side's that the
        /// capture lacks (lost by the capture, not on the way).
        peer_unseen: bool,
        /// This side sent bytes the capture lacks: its FIN comes after them,
        /// or the other side acknowledged them.
        own_unseen: bool,
        /// The other side acknowledged bytes of this side's that the
        /// capture lacks (the second case of `own_unseen`).
        own_acked_unseen: bool,
        frame: u64,
        ts: Timestamp,
    },
    /// End of capture on an open connection: a side whose bytes were sent
    /// again and never acknowledged, the other side having sent nothing (a
    /// path that drops that side's data, as an unanswered SYN shows for
    /// the handshake). `frame` sent them last.
    Unacked {
        from_client: bool,
        /// Segments that carried bytes already sent.
        resent: u32,
        /// The server re-sent its SYN-ACK after the handshake: nothing the
        /// client sent after its SYN reached it.
        synack_again: bool,
        /// The other side had spoken before and went silent: it never
        /// acknowledged these bytes (a peer or path that died mid-session).
        went_silent: bool,
        /// The other side selectively acknowledged (SACK, RFC 2018) bytes
        /// past its acknowledgment: the later segments reached it, the first
        /// one never did (a path that drops only the full-size ones).
        sacked: bool,
        frame: u64,
        ts: Timestamp,
    },
    /// The connection's end: ICMP errors (not 'fragmentation needed')
    /// answered the client's bytes after the handshake, and the server
    /// never acknowledged them all: a filter that lets the handshake through
    /// and rejects what follows. `frame` is the first ICMP.
    DataUnreachable {
        kind: UnreachKind,
        sender: IpAddr,
        count: u32,
        frame: u64,
        ts: Timestamp,
    },
    /// End of capture (or eviction from a full table) on an established
    /// connection whose server never closed it: after its last bytes, so a
    /// parser can tell what was still being sent. `frame` is the
    /// connection's last segment with payload.
    Open { frame: u64, ts: Timestamp },
    /// Bytes of a direction that can never be delivered (a gap that was never
    /// filled, or a buffer bound hit): the parser must resynchronise.
    Gap {
        from_client: bool,
        /// Bytes missing (0 when not known).
        len: u64,
        /// The other side acknowledged bytes past the hole: they arrived,
        /// and the capture lacks them.
        acked: bool,
        /// The capture's snaplen cut them off the segment that carried
        /// them (`len` is exact, and the bytes after them are in order).
        snaplen: bool,
        /// At the connection's end, the receiver's acknowledgments (seen)
        /// never passed the hole: it never got these bytes, so what the
        /// capture holds after them never reached its application either
        /// and is not handed out (`len` bytes missing, `held` after them).
        unreceived: Option<u64>,
        frame: u64,
        ts: Timestamp,
    },
}

/// What the driver wants next from a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    /// Keep delivering bytes.
    Bytes,
    /// No more bytes; keep only the outcome and close events.
    OutcomeOnly,
    /// No more bytes, but sequence numbers and acknowledgments are still
    /// followed: a side re-sending to a peer gone silent is told at the end
    /// (`TcpEvent::Unacked`). Costs a look at every segment.
    Sequence,
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
    /// The first connection that hit it (client, server), to name it.
    pub tcp_buffers_first: Option<(SocketAddr, SocketAddr)>,
    /// Connections evicted because `max_flows` was reached.
    pub flows_bound_hit: u64,
}

/// The connection table.
pub struct FlowTable<S> {
    limits: FlowLimits,
    stats: FlowStats,
    index: HashMap<FlowKey, u32, FxBuild>,
    /// Client socket -> slot of the attempt it opened with a SYN (checked
    /// on use: the slot may since hold another connection).
    attempts: HashMap<SocketAddr, u32>,
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

/// Bytes past a SYN within which a segment's sequence number (the
/// client's) or acknowledgment (the server's) belongs to the connection it
/// opened; a stale connection's numbers fall there once in 4,096.
const AFTER_SYN: u32 = 1 << 20;

/// SYNs of one attempt closer together than this are copies of one.
const SYN_COPY_NS: i64 = 50_000_000;

/// ICMP errors quoting the client's bytes once the connection was up: the
/// first one's frame, time, kind and sender, and how many came.
#[derive(Clone, Copy)]
struct DataUnreach {
    frame: u64,
    ts: Timestamp,
    kind: UnreachKind,
    sender: IpAddr,
    count: u32,
}

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
    /// The latest ICMP unreachable about the pending attempt: its outcome
    /// unless a SYN-ACK or RST follows (Linux retries a SYN after one).
    unreach: Option<(u64, Timestamp, UnreachKind, IpAddr)>,
    /// ICMP errors quoting the client's bytes once the connection was up.
    data_unreach: Option<DataUnreach>,
    /// Answers to the attempt's SYNs from another socket.
    astray: Option<Astray>,
    /// FIN seen, from the client and from the server.
    fin: [bool; 2],
    rst: bool,
    /// Client-to-server and server-to-client bytes.
    streams: [Stream; 2],
    /// Per direction: the sequence number after its last payload byte, and
    /// the highest acknowledgment the other side sent for it.
    sent_end: [Option<u32>; 2],
    acked: [Option<u32>; 2],
    /// Per direction: the highest SACK right edge the other side sent for it.
    sacked: [Option<u32>; 2],
    /// Per direction: payload segments that re-sent bytes, and the frame
    /// and time of the last payload segment.
    resent: [u32; 2],
    /// Per direction: re-sends since the last sign of a live peer (its
    /// acknowledgment of this side moving on, or new bytes of its own).
    stalled: [u32; 2],
    last_sent: [(u64, Timestamp); 2],
    /// The server's initial sequence number, from its SYN-ACK.
    server_isn: Option<u32>,
    /// The server sent its SYN-ACK again after the handshake: it never got
    /// the client's ACK (nor anything after it).
    synack_again: bool,
    /// Position in opening order.
    order: u64,
}

impl<S: Default> FlowTable<S> {
    pub fn new(limits: FlowLimits) -> Self {
        FlowTable {
            limits,
            stats: FlowStats::default(),
            index: HashMap::default(),
            attempts: HashMap::new(),
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
        } else if flags.0 & (TcpFlags::SYN | TcpFlags::RST) != 0
            && !new_syn
            && self.astray(frame, src, dst, seg)
        {
            return;
        }
        let idx = self.open(key, frame, ts, src, dst, src_mac, vlan, flags, sink);
        self.update(idx, frame, ts, src, src_mac, seg, sink);
        if new_syn {
            self.attempts.insert(src, idx);
        }
    }

    /// The fast path before any decode, for a segment without SYN, FIN or
    /// RST ([`crate::packet::bulk_endpoints`]): true, the segment marking
    /// its connection active, when that connection is followed for its
    /// outcome only and past its attempt, where [`FlowTable::segment`]
    /// would do nothing more; false, nothing done, otherwise.
    pub fn passes_over(&mut self, src: &SocketAddr, dst: &SocketAddr) -> bool {
        let Some(idx) = self.index.get(&FlowKey::new(src, dst)).copied() else {
            return false;
        };
        let bulk = self
            .conn_mut(idx)
            .is_some_and(|c| c.track == Track::OutcomeOnly && c.phase != Phase::Attempt);
        if bulk {
            self.touch(idx);
        }
        bulk
    }

    /// A SYN-ACK or RST on no known connection that acknowledges the SYN
    /// of a pending attempt from `dst` to another socket: noted on that
    /// attempt, no connection of its own. The client's RST back to such a
    /// sender belongs to the attempt too.
    fn astray(&mut self, frame: u64, src: SocketAddr, dst: SocketAddr, seg: &TcpSegment) -> bool {
        let rst = seg.flags.has(TcpFlags::RST);
        if rst {
            let back = self
                .pending(src)
                .is_some_and(|c| c.astray.is_some_and(|a| a.from == dst));
            if back {
                return true;
            }
        }
        let Some(conn) = self.pending(dst) else {
            return false;
        };
        let acks_syn = seg.flags.has(TcpFlags::ACK)
            && conn.client_isn.map(|isn| isn.wrapping_add(1)) == Some(seg.ack);
        if !acks_syn || conn.info.server == src {
            return false;
        }
        match &mut conn.astray {
            Some(a) => a.count = a.count.saturating_add(1),
            None => {
                conn.astray = Some(Astray {
                    frame,
                    from: src,
                    rst,
                    count: 1,
                })
            }
        }
        true
    }

    /// An ICMP unreachable quoting a TCP packet: the outcome of a pending
    /// attempt, reported when the attempt ends (a later SYN-ACK or RST
    /// overrides it; a later ICMP replaces it).
    pub fn unreachable(&mut self, frame: u64, ts: Timestamp, u: &Unreachable, sender: IpAddr) {
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
        if conn.info.client != client {
            return;
        }
        match conn.phase {
            // The outcome waits for the attempt's end: retransmitted SYNs
            // and their ICMP answers belong to it.
            Phase::Attempt => conn.unreach = Some((frame, ts, u.kind, sender)),
            // 'Fragmentation needed' (packet too big) asks for smaller
            // segments and rejects nothing: it is told only if the segments
            // it answered were never acknowledged (a sender ignoring it).
            Phase::Established | Phase::Midstream => match &mut conn.data_unreach {
                Some(seen) => seen.count = seen.count.saturating_add(1),
                None => {
                    let kind = u.kind;
                    let first = DataUnreach {
                        frame,
                        ts,
                        kind,
                        sender,
                        count: 1,
                    };
                    conn.data_unreach = Some(first);
                }
            },
            _ => return,
        }
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
        self.attempts.clear();
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
                server_mac: if src_is_client { None } else { src_mac },
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
            unreach: None,
            data_unreach: None,
            astray: None,
            fin: [false; 2],
            rst: false,
            streams: Default::default(),
            sent_end: [None; 2],
            acked: [None; 2],
            sacked: [None; 2],
            resent: [0; 2],
            stalled: [0; 2],
            last_sent: [(0, Timestamp::default()); 2],
            server_isn: None,
            synack_again: false,
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
            if self.attempts.get(&conn.info.client) == Some(&idx) {
                self.attempts.remove(&conn.info.client);
            }
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
        if !from_client && conn.info.server_mac.is_none() {
            conn.info.server_mac = src_mac;
        }
        let syn = seg.flags.has(TcpFlags::SYN);
        let ack = seg.flags.has(TcpFlags::ACK);
        let rst = seg.flags.has(TcpFlags::RST);
        let fin = seg.flags.has(TcpFlags::FIN);

        // Handshake and outcome.
        if syn && !ack && from_client {
            conn.syn(seg.seq, frame, ts);
        } else if syn && ack && !from_client {
            conn.synack_again |= conn.server_isn == Some(seg.seq) && conn.phase != Phase::Attempt;
            if let Some(stream) = conn.streams.get_mut(SERVER) {
                stream.start_at(seg.seq.wrapping_add(1));
            }
            conn.server_isn.get_or_insert(seg.seq);
            conn.established(frame, ts, Answered::SynAck, sink);
        } else if !syn && !rst && ack && conn.phase == Phase::Attempt {
            // The capture missed the SYN-ACK, but the handshake went on:
            // the client's next sequence number follows its SYN, or the
            // server acknowledges the SYN (a stale connection's ACK does
            // not, and the client resets it).
            // (Within a window past it: the capture may have lost the
            // first segments too.)
            let past_syn = |n: u32| {
                (conn.client_isn)
                    .is_some_and(|isn| n.wrapping_sub(isn.wrapping_add(1)) < AFTER_SYN)
            };
            let by = match from_client {
                true => Some(Answered::ClientAck).filter(|_| past_syn(seg.seq)),
                false => Some(Answered::ServerTraffic).filter(|_| past_syn(seg.ack)),
            };
            if let Some(by) = by {
                conn.established(frame, ts, by, sink);
            }
        }
        if ack {
            if let Some(peer) = conn.acked.get_mut(1 - dir) {
                let moved = peer.is_none_or(|a| a != seq_max(a, seg.ack));
                *peer = Some(peer.map_or(seg.ack, |a| seq_max(a, seg.ack)));
                // This side took new bytes of the other's, or the other's
                // re-sent ones at last: both sides are alive.
                if moved {
                    conn.stalled = [0; 2];
                }
            }
            if let (Some(right), Some(peer)) = (seg.sack_right, conn.sacked.get_mut(1 - dir)) {
                *peer = Some(peer.map_or(right, |r| seq_max(r, right)));
            }
        }
        if rst {
            conn.reset(from_client, frame, ts, sink);
            return;
        }

        // Bytes, then the close they may end with.
        let seq = if syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        // (The bytes on the wire: the snaplen's cut ones too.)
        let wire_len = (seg.payload.len() as u32).saturating_add(seg.cut.unwrap_or(0));
        if wire_len > 0 {
            let end = seq.wrapping_add(wire_len);
            if let Some(sent) = conn.sent_end.get_mut(dir) {
                let again = sent.is_some_and(|e| seq != e && seq_max(seq, e) == e);
                if let (true, Some(n)) = (again, conn.resent.get_mut(dir)) {
                    *n = n.saturating_add(1);
                }
                if let (true, Some(n)) = (again, conn.stalled.get_mut(dir)) {
                    *n = n.saturating_add(1);
                }
                *sent = Some(sent.map_or(end, |e| seq_max(e, end)));
            }
            if let Some(last) = conn.last_sent.get_mut(dir) {
                *last = (frame, ts);
            }
        }
        if conn.track == Track::Bytes && wire_len > 0 {
            let cut = seg.cut.unwrap_or(0);
            let report = conn.deliver(dir, seq, (seg.payload, cut), frame, ts, max_buffer, sink);
            self.stats.overlap_conflicts += report.conflicts;
            self.stats.tcp_buffers_bound_hit += report.bound_hits;
            if report.bound_hits > 0 {
                let (client, server) = (conn.info.client, conn.info.server);
                self.stats.tcp_buffers_first.get_or_insert((client, server));
                log::debug!(
                    "flow: frame {frame}: {client} -> {server}: the {} side's out-of-order \
                     buffer is full ({max_buffer} bytes), bytes beyond it dropped",
                    if from_client { "client" } else { "server" }
                );
            }
        }
        let fin_seen = conn.fin.get_mut(dir);
        if fin && matches!(conn.phase, Phase::Established | Phase::Midstream) {
            if let Some(seen @ false) = fin_seen {
                *seen = true;
                conn.flush_acked_holes(sink);
                let fin_at = seg.seq.wrapping_add(wire_len);
                let event = TcpEvent::Closed {
                    from_client,
                    rst: false,
                    peer_acked: conn.peer_acked(dir),
                    peer_silent: conn.silent(1 - dir),
                    peer_unseen: conn.acked_unseen(1 - dir),
                    own_unseen: conn.acked_unseen(dir) || conn.sent_before(dir, fin_at),
                    own_acked_unseen: conn.acked_unseen(dir),
                    frame,
                    ts,
                };
                conn.emit(sink, event);
            }
        }
    }

    /// The attempt `client` opened with a SYN, while it waits for an answer.
    fn pending(&mut self, client: SocketAddr) -> Option<&mut Conn<S>> {
        let idx = *self.attempts.get(&client)?;
        self.conn_mut(idx)
            .filter(|c| c.phase == Phase::Attempt && c.info.client == client)
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
        let wanted = sink(&self.info, &mut self.state, event);
        if wanted != Track::Bytes {
            self.stop_bytes(wanted);
        }
    }

    /// Established, or picked up in the middle: bytes flow both ways.
    fn carries_bytes(&self) -> bool {
        matches!(self.phase, Phase::Established | Phase::Midstream)
    }

    /// At the end of an open connection: reports a side that re-sent bytes
    /// never acknowledged while the other side sent nothing.
    fn unacked<F>(&mut self, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let open = self.carries_bytes();
        if !open || self.rst {
            return;
        }
        for (dir, other) in [(CLIENT, SERVER), (SERVER, CLIENT)] {
            let resent = self.resent.get(dir).copied().unwrap_or(0);
            let silent = self.silent(other);
            let closed = self.fin.get(dir).copied().unwrap_or(true);
            // (A peer that had spoken: only after re-sends a live peer would
            // have answered, RFC 6298's backoff past a second.)
            let stalled = self.stalled.get(dir).copied().unwrap_or(0);
            let went_silent = !silent && stalled >= WENT_SILENT_RESENDS;
            if resent == 0 || !(silent || went_silent) || closed || self.peer_acked(dir) {
                continue;
            }
            let (frame, ts) = self.last_sent.get(dir).copied().unwrap_or_default();
            let from_client = dir == CLIENT;
            let event = TcpEvent::Unacked {
                from_client,
                resent: if went_silent { stalled } else { resent },
                synack_again: self.synack_again,
                went_silent,
                sacked: self.sacked_past_ack(dir),
                frame,
                ts,
            };
            self.emit(sink, event);
        }
    }

    /// Did the other side SACK bytes of direction `dir`'s past its ACK?
    fn sacked_past_ack(&self, dir: usize) -> bool {
        let ack = self.acked.get(dir).copied().flatten();
        match (ack, self.sacked.get(dir).copied().flatten()) {
            (Some(ack), Some(right)) => right != ack && seq_max(ack, right) == right,
            _ => false,
        }
    }

    /// Did direction `dir` send nothing: no payload captured, and nothing of
    /// it acknowledged by the other side (bytes the capture missed show in
    /// the acknowledgments)?
    fn silent(&self, dir: usize) -> bool {
        if self.sent_end.get(dir).is_some_and(Option::is_some) {
            return false;
        }
        let isn = match dir {
            CLIENT => self.client_isn,
            _ => self.server_isn,
        };
        match (self.acked.get(dir).copied().flatten(), isn) {
            (None, _) => true,
            (Some(ack), Some(isn)) => ack == isn.wrapping_add(1),
            // Joined midstream: an acknowledgment says nothing without the ISN.
            (Some(_), None) => false,
        }
    }

    /// Did the other side acknowledge more of direction `dir`'s bytes than
    /// the capture holds (more than a FIN's one sequence number past them)?
    /// Only known while the bytes are followed (after that, only control
    /// segments are read and the bytes sent are no longer counted).
    fn acked_unseen(&self, dir: usize) -> bool {
        if self.track != Track::Bytes {
            return false;
        }
        let isn = match dir {
            CLIENT => self.client_isn,
            _ => self.server_isn,
        };
        let end = self
            .sent_end
            .get(dir)
            .copied()
            .flatten()
            .or(isn.map(|i| i.wrapping_add(1)));
        match (end, self.acked.get(dir).copied().flatten()) {
            (Some(end), Some(ack)) => {
                let ahead = ack.wrapping_sub(end);
                seq_max(ack, end) == ack && ahead > 1
            }
            _ => false,
        }
    }

    /// Direction `dir` sent bytes before sequence number `at` (its FIN's)
    /// that the capture lacks: `at` lies past the end of its captured bytes.
    /// (Only while bytes are followed: other segments may be filtered out
    /// before the table sees them.)
    fn sent_before(&self, dir: usize, at: u32) -> bool {
        if self.track != Track::Bytes {
            return false;
        }
        let isn = match dir {
            CLIENT => self.client_isn,
            _ => self.server_isn,
        };
        let end = (self.sent_end.get(dir).copied().flatten()).or(isn.map(|i| i.wrapping_add(1)));
        end.is_some_and(|e| at != e && seq_max(at, e) == at)
    }

    /// Did the other side acknowledge every payload byte direction `dir` sent?
    fn peer_acked(&self, dir: usize) -> bool {
        match (
            self.sent_end.get(dir).copied().flatten(),
            self.acked.get(dir),
        ) {
            (None, _) => true,
            (Some(end), Some(Some(ack))) => seq_max(*ack, end) == *ack,
            (Some(_), _) => false,
        }
    }

    /// The driver wants no more bytes (`track` says what it still wants):
    /// free the buffers for good.
    fn stop_bytes(&mut self, track: Track) {
        self.track = track;
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
        // A copy from a second capture point (a merged capture) arrives
        // within microseconds; a re-sent SYN waits a second or more.
        let copy = self.syns > 0 && ts.ns.abs_diff(self.last_syn_ts.ns) < SYN_COPY_NS as u64;
        if copy {
            return;
        }
        self.syns = self.syns.saturating_add(1);
        self.last_syn_frame = frame;
        self.last_syn_ts = ts;
    }

    /// The attempt was answered (or the capture joined at the SYN-ACK).
    fn established<F>(&mut self, frame: u64, ts: Timestamp, by: Answered, sink: &mut F)
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
            by,
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
                self.flush_acked_holes(sink);
                let dir = if from_client { CLIENT } else { SERVER };
                let event = TcpEvent::Closed {
                    from_client,
                    rst: true,
                    peer_acked: self.peer_acked(dir),
                    peer_silent: self.silent(1 - dir),
                    peer_unseen: self.acked_unseen(1 - dir),
                    own_unseen: self.acked_unseen(dir),
                    own_acked_unseen: self.acked_unseen(dir),
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
        (data, cut): (&[u8], u32),
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
            acked,
            ..
        } = self;
        let Some(stream) = streams.get_mut(dir) else {
            return PushReport::default();
        };
        let from_client = dir == CLIENT;
        let mut wanted = Track::Bytes;
        // (A buffer bound hit gives up the hole there was before this
        // segment: acknowledged past or not.)
        let acked = acked_past_hole(stream, acked.get(dir).copied().flatten());
        let mut out = |piece: Piece<'_>, frame: u64, ts: Timestamp| {
            if wanted != Track::Bytes {
                return false;
            }
            let event = piece_event(from_client, piece, frame, ts, acked);
            wanted = sink(info, state, event);
            wanted == Track::Bytes
        };
        let report = stream.push_cut(seq, data, cut, frame, ts, max_buffer, &mut out);
        if wanted != Track::Bytes {
            self.stop_bytes(wanted);
        }
        report
    }

    /// Direction `dir` has a hole the other side acknowledged bytes past:
    /// they reached the receiver and the capture lacks them.
    fn hole_acked(&self, dir: usize) -> bool {
        let ack = self.acked.get(dir).copied().flatten();
        self.streams
            .get(dir)
            .is_some_and(|s| acked_past_hole(s, ack))
    }

    /// At a close: the holes the receiver acknowledged bytes past will never
    /// fill (no retransmission comes for what arrived), so each is reported
    /// as a gap now and the bytes after it handed out, before the close.
    fn flush_acked_holes<F>(&mut self, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        for dir in [CLIENT, SERVER] {
            if self.track == Track::Bytes && self.hole_acked(dir) {
                self.flush(dir, sink);
            }
        }
    }

    /// Reports each hole of direction `dir` as a gap and hands out the
    /// bytes after it.
    fn flush<F>(&mut self, dir: usize, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let acked = self.hole_acked(dir);
        let ack_seen = self.acked.get(dir).is_some_and(Option::is_some);
        let Conn {
            info,
            state,
            streams,
            track,
            ..
        } = self;
        let Some(stream) = streams.get_mut(dir) else {
            return;
        };
        let from_client = dir == CLIENT;
        // The receiver never got past the hole: nothing after it reached
        // its application, so nothing after it is read.
        if let Some((len, held, frame, ts)) = (!acked && ack_seen)
            .then(|| stream.drop_unreceived())
            .flatten()
        {
            let event = TcpEvent::Gap {
                from_client,
                len,
                acked: false,
                snaplen: false,
                unreceived: Some(held),
                frame,
                ts,
            };
            *track = sink(info, state, event);
            return;
        }
        stream.flush(&mut |piece: Piece<'_>, frame: u64, ts: Timestamp| {
            let event = piece_event(from_client, piece, frame, ts, acked);
            let wanted = sink(info, state, event);
            *track = wanted;
            wanted == Track::Bytes
        });
    }

    /// The connection ends (capture over, evicted, or its port reused):
    /// a pending attempt was never answered; bytes behind holes come out.
    fn finalize<F>(&mut self, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        if let (Phase::Attempt, Some((frame, ts, kind, sender))) = (self.phase, self.unreach) {
            self.phase = Phase::Failed;
            let outcome = ConnOutcome::Unreachable {
                syn_frame: self.first_syn_frame,
                icmp_frame: frame,
                syns: self.syns,
                kind,
                sender,
            };
            self.emit(sink, TcpEvent::Outcome { outcome, frame, ts });
        }
        if let Some(DataUnreach {
            frame,
            ts,
            kind,
            sender,
            count,
        }) = self.data_unreach.take()
        {
            if !self.peer_acked(CLIENT) {
                let event = TcpEvent::DataUnreachable {
                    kind,
                    sender,
                    count,
                    frame,
                    ts,
                };
                self.emit(sink, event);
            }
        }
        self.unacked(sink);
        if self.phase == Phase::Attempt {
            self.phase = Phase::Failed;
            let outcome = ConnOutcome::NoAnswer {
                first_syn_frame: self.first_syn_frame,
                last_syn_frame: self.last_syn_frame,
                syns: self.syns,
                last_syn_ts: self.last_syn_ts,
                astray: self.astray,
            };
            let (frame, ts) = (self.last_syn_frame, self.last_syn_ts);
            self.emit(sink, TcpEvent::Outcome { outcome, frame, ts });
        }
        for dir in [CLIENT, SERVER] {
            if self.track != Track::Bytes {
                break;
            }
            self.flush(dir, sink);
        }
        let open = self.carries_bytes();
        let server_closed = self.rst || self.fin.get(SERVER).copied().unwrap_or(true);
        if open && !server_closed && self.track == Track::Bytes {
            let last = self
                .last_sent
                .iter()
                .copied()
                .max_by_key(|(frame, _)| *frame);
            let (frame, ts) = last.unwrap_or_default();
            self.emit(sink, TcpEvent::Open { frame, ts });
        }
        self.stop_bytes(Track::OutcomeOnly);
    }
}

/// `acked`: the receiver acknowledged bytes past a hole this piece reports.
/// `stream` has a hole and `ack`, the other side's acknowledgement of it,
/// lies past the hole's start.
fn acked_past_hole(stream: &Stream, ack: Option<u32>) -> bool {
    match (stream.hole_at(), ack) {
        (Some(hole), Some(ack)) => ack != hole && seq_max(ack, hole) == ack,
        _ => false,
    }
}

fn piece_event(
    from_client: bool,
    piece: Piece<'_>,
    frame: u64,
    ts: Timestamp,
    acked: bool,
) -> TcpEvent<'_> {
    match piece {
        Piece::Data(data) => TcpEvent::Data {
            from_client,
            frame,
            ts,
            data,
        },
        Piece::Gap(len) => TcpEvent::Gap {
            from_client,
            len,
            acked,
            snaplen: false,
            unreceived: None,
            frame,
            ts,
        },
        Piece::Cut(len) => TcpEvent::Gap {
            from_client,
            len,
            acked: false,
            snaplen: true,
            unreceived: None,
            frame,
            ts,
        },
    }
}

#[cfg(test)]
mod tests;

/// The later of two sequence numbers (RFC 9293 section 3.4: compared
/// modulo 2^32, within half the space).
fn seq_max(a: u32, b: u32) -> u32 {
    if b.wrapping_sub(a) as i32 > 0 {
        b
    } else {
        a
    }
}
