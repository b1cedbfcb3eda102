//! The fact side of the frame walk: UDP decoding and the facts list, either
//! inline or on a worker thread that runs beside the walk.
//!
//! The walk (reading, packet decoding, TCP reassembly and the TCP parsers,
//! whose answers steer the flow table) stays on the caller's thread. What
//! needs no answer goes to the worker in batches, in frame order: UDP
//! datagrams (header fields and a copy of the payload), ICMP errors about
//! them, and the facts the TCP side made. The worker decodes and pushes
//! exactly what the inline path would, in the same order, so the result is
//! the same whichever runs. The worker only starts once a capture proves
//! large ([`WORKER_AFTER_FRAMES`]): small ones, fuzz inputs and the tests'
//! captures never pay for a thread.

use std::net::IpAddr;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

use super::facts::Facts;
use super::udp::UdpSide;
use crate::fact::Fact;
use crate::packet::{Packet, Transport, Unreachable, L2};
use crate::time::Timestamp;

/// Frames walked inline before the worker starts.
pub const WORKER_AFTER_FRAMES: u64 = 20_000;
/// A batch goes to the worker at this many items or payload bytes.
const BATCH_ITEMS: usize = 1024;
const BATCH_BYTES: usize = 256 << 10;
/// Batches in flight: the walk waits when the worker is this far behind.
const BATCHES_AHEAD: usize = 4;

/// The fact side, inline or handed to a worker.
pub struct Collector<'scope> {
    state: State<'scope>,
}

enum State<'scope> {
    Inline(UdpSide, Facts),
    Worker(Worker<'scope>),
    /// Only for the instant of the hand-over to the worker.
    Gone,
}

struct Worker<'scope> {
    batch: Batch,
    send: SyncSender<Batch>,
    spare: Receiver<Batch>,
    handle: ScopedJoinHandle<'scope, (UdpSide, Facts)>,
}

/// Work in frame order; payloads and facts live beside it.
#[derive(Default)]
struct Batch {
    work: Vec<Work>,
    payload: Vec<u8>,
    facts: Vec<Fact>,
}

/// Where and what of a packet, owned.
struct Meta {
    frame: u64,
    ts: Timestamp,
    l2: L2,
    src: IpAddr,
    dst: IpAddr,
    truncated: bool,
    ip_id: Option<u16>,
}

enum Work {
    /// A UDP datagram; its payload is `payload[start..end]` of the batch.
    Udp {
        meta: Meta,
        sport: u16,
        dport: u16,
        start: usize,
        end: usize,
        /// The payload's length by the UDP header.
        len: usize,
    },
    /// An ICMP unreachable quoting a datagram.
    Unreachable { meta: Meta, u: Unreachable },
    /// The next of the batch's facts.
    Fact,
}

impl<'scope> Collector<'scope> {
    pub fn new(udp: UdpSide, facts: Facts) -> Self {
        Collector {
            state: State::Inline(udp, facts),
        }
    }

    /// Moves the fact side to a worker thread of `scope` (once; later calls
    /// do nothing). Inline it stays if no thread can be had.
    pub fn start_worker<'env>(&mut self, scope: &'scope Scope<'scope, 'env>) {
        let State::Inline(..) = self.state else {
            return;
        };
        let (start_send, start) = mpsc::sync_channel::<(UdpSide, Facts)>(1);
        let (send, work) = mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
        let (spare_send, spare) = mpsc::sync_channel::<Batch>(BATCHES_AHEAD + 2);
        let spawned = std::thread::Builder::new()
            .name("provscope-facts".into())
            .spawn_scoped(scope, move || run_worker(&start, &work, &spare_send));
        let handle = match spawned {
            Ok(handle) => handle,
            Err(e) => {
                log::debug!("analyze: no worker thread ({e}); facts stay inline");
                return;
            }
        };
        let State::Inline(udp, facts) = std::mem::replace(&mut self.state, State::Gone) else {
            return;
        };
        // The worker holds the receiver until it has taken this.
        let _ = start_send.send((udp, facts));
        self.state = State::Worker(Worker {
            batch: Batch::default(),
            send,
            spare,
            handle,
        });
    }

    /// A UDP datagram of `p`.
    pub fn udp(&mut self, frame: u64, ts: Timestamp, p: &Packet<'_>, sport: u16, dport: u16) {
        let Transport::Udp { payload, len, .. } = p.transport else {
            return;
        };
        match &mut self.state {
            State::Inline(udp, facts) => udp.datagram(frame, ts, p, sport, dport, payload, facts),
            State::Worker(w) => {
                let start = w.batch.payload.len();
                w.batch.payload.extend_from_slice(payload);
                let end = w.batch.payload.len();
                let meta = Meta::of(frame, ts, p);
                (w.batch.work).push(Work::Udp {
                    meta,
                    sport,
                    dport,
                    start,
                    end,
                    len,
                });
                w.maybe_send();
            }
            State::Gone => {}
        }
    }

    /// An ICMP unreachable that quotes no TCP segment.
    pub fn unreachable(&mut self, frame: u64, ts: Timestamp, p: &Packet<'_>, u: &Unreachable) {
        match &mut self.state {
            State::Inline(udp, facts) => udp.unreachable(frame, ts, p, u, facts),
            State::Worker(w) => {
                let meta = Meta::of(frame, ts, p);
                w.batch.work.push(Work::Unreachable { meta, u: *u });
                w.maybe_send();
            }
            State::Gone => {}
        }
    }

    /// Facts made elsewhere (the TCP side), in their order; `made` is emptied.
    pub fn facts(&mut self, made: &mut Vec<Fact>) {
        if made.is_empty() {
            return;
        }
        match &mut self.state {
            State::Inline(_, facts) => made.drain(..).for_each(|f| facts.push(f)),
            State::Worker(w) => {
                for fact in made.drain(..) {
                    w.batch.facts.push(fact);
                    w.batch.work.push(Work::Fact);
                }
                w.maybe_send();
            }
            State::Gone => made.clear(),
        }
    }

    /// Everything handed in so far, decoded: the UDP side and the facts.
    pub fn finish(self) -> (UdpSide, Facts) {
        match self.state {
            State::Inline(udp, facts) => (udp, facts),
            State::Worker(w) => {
                let Worker {
                    batch,
                    send,
                    handle,
                    ..
                } = w;
                let _ = send.send(batch);
                drop(send);
                match handle.join() {
                    Ok(done) => done,
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            State::Gone => (UdpSide::default(), Facts::default()),
        }
    }
}

impl Worker<'_> {
    /// Sends the batch once it is big enough, taking a spare one back.
    fn maybe_send(&mut self) {
        if self.batch.work.len() < BATCH_ITEMS && self.batch.payload.len() < BATCH_BYTES {
            return;
        }
        let next = self.spare.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        // A worker that is gone has panicked: `finish` reports it.
        let _ = self.send.send(full);
    }
}

impl Meta {
    fn of(frame: u64, ts: Timestamp, p: &Packet<'_>) -> Meta {
        Meta {
            frame,
            ts,
            l2: p.l2,
            src: p.src,
            dst: p.dst,
            truncated: p.truncated,
            ip_id: p.ip_id,
        }
    }

    fn packet<'a>(&self, transport: Transport<'a>) -> Packet<'a> {
        Packet {
            l2: self.l2,
            src: self.src,
            dst: self.dst,
            transport,
            truncated: self.truncated,
            ip_id: self.ip_id,
        }
    }
}

/// The worker: takes over the UDP side and the facts, decodes every batch
/// in order, hands the emptied batches back.
fn run_worker(
    start: &Receiver<(UdpSide, Facts)>,
    work: &Receiver<Batch>,
    spare: &SyncSender<Batch>,
) -> (UdpSide, Facts) {
    let Ok((mut udp, mut facts)) = start.recv() else {
        return (UdpSide::default(), Facts::default());
    };
    while let Ok(mut batch) = work.recv() {
        let mut made = batch.facts.drain(..);
        for item in batch.work.drain(..) {
            match item {
                Work::Udp {
                    meta,
                    sport,
                    dport,
                    start,
                    end,
                    len,
                } => {
                    let payload = batch.payload.get(start..end).unwrap_or_default();
                    let transport = Transport::Udp {
                        sport,
                        dport,
                        payload,
                        len,
                    };
                    let p = meta.packet(transport);
                    udp.datagram(meta.frame, meta.ts, &p, sport, dport, payload, &mut facts);
                }
                Work::Unreachable { meta, u } => {
                    let p = meta.packet(Transport::IcmpUnreachable(u));
                    udp.unreachable(meta.frame, meta.ts, &p, &u, &mut facts);
                }
                Work::Fact => {
                    if let Some(fact) = made.next() {
                        facts.push(fact);
                    }
                }
            }
        }
        drop(made);
        batch.payload.clear();
        let _ = spare.try_send(batch);
    }
    (udp, facts)
}
