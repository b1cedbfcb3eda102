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

pub mod tcp;

use std::net::SocketAddr;

use crate::packet::{Mac, TcpSegment, UnreachKind, Unreachable};
use crate::time::Timestamp;

/// Who is who on a connection. The client is the sender of the first SYN;
/// when no SYN was seen, the side with the higher port (ties: the first
/// sender) is taken as the client and `saw_syn` is false.
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

/// What the table reports about a connection, in frame order.
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
    /// Connections tracked at once; the oldest idle one is evicted beyond it.
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
    _state: std::marker::PhantomData<S>,
}

impl<S: Default> FlowTable<S> {
    pub fn new(limits: FlowLimits) -> Self {
        FlowTable {
            limits,
            stats: FlowStats::default(),
            _state: std::marker::PhantomData,
        }
    }

    /// Feeds one TCP segment. `sink` sees this connection's events caused by
    /// it and answers whether it still wants bytes.
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
        let _ = (frame, ts, src, dst, src_mac, vlan, seg, sink, self.limits);
        todo!("flow: segment")
    }

    /// An ICMP unreachable quoting a TCP packet: ends a pending attempt.
    pub fn unreachable<F>(&mut self, frame: u64, ts: Timestamp, u: &Unreachable, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let _ = (frame, ts, u, sink);
        todo!("flow: unreachable")
    }

    /// End of capture: reports the outcome of attempts still pending
    /// (`NoAnswer`) and a `Gap` for bytes stuck behind a hole, in the order
    /// the connections were first seen.
    pub fn finish<F>(&mut self, sink: &mut F)
    where
        F: FnMut(&ConnInfo, &mut S, TcpEvent<'_>) -> Track,
    {
        let _ = sink;
        todo!("flow: finish")
    }

    pub fn stats(&self) -> FlowStats {
        self.stats
    }
}
