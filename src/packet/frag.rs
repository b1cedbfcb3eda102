//! IP fragment reassembly (RFC 791 section 3.2 for IPv4, RFC 8200 section 4.5
//! for IPv6), bounded in datagrams, bytes and capture time.
//!
//! A datagram is keyed by source, destination, identification and, for IPv4,
//! protocol (RFC 791). IPv6 fragments of one packet may carry different Next
//! Header values; the one of the first fragment counts (RFC 8200 4.5), so
//! the caller keys IPv6 datagrams with protocol 0.
//! Fragments may arrive in any order and overlap: bytes already held are kept
//! and later copies of the same bytes ignored (a duplicated fragment, as a
//! merged capture of two taps shows). Overlapping fragments whose bytes
//! differ make the datagram one no receiver would take (Linux discards it,
//! RFC 5722 for IPv6): it is dropped when complete and counted. A fragment
//! of a datagram completed within [`DUPLICATE_WINDOW_NS`] is a late
//! duplicate and ignored. Datagrams are dropped when the oldest one is older
//! than the timeout (measured in capture time from its first fragment) or
//! when a bound needs room; the owner counts both. Fragments the snaplen
//! cut complete their datagram by the lengths their IP headers declare: it
//! is handed over cut (the bytes before the first cut), not lost. Beyond comparing
//! overlaps, the pool never looks inside the bytes.

use std::collections::VecDeque;
use std::net::IpAddr;

use super::{DecodeLimits, DecodeStats, L2};
use crate::time::Timestamp;

/// Largest reassembled payload: both IP versions carry 16-bit lengths.
const MAX_DATAGRAM: usize = 65_535;
/// Most disjoint byte ranges one datagram may hold (hostile tiny fragments).
const MAX_RANGES: usize = 256;
/// Spare buffers kept for reuse.
const MAX_SPARE: usize = 8;
/// How long after its completion a datagram's fragments are duplicates.
pub(super) const DUPLICATE_WINDOW_NS: i64 = 2_000_000_000;
/// Completed datagrams remembered for that.
const MAX_RECENT: usize = 64;
/// Lost datagrams kept until the caller takes them (it does every frame),
/// and in all: past that they are only counted (`fragments_incomplete`).
const MAX_LOST: usize = 4096;
const MAX_LOST_TOTAL: u64 = 10_000;
const PROTO_UDP: u8 = 17;

/// Ports of the exchanges a lost answer matters to: DNS, TFTP's request
/// port, NTP, SIP.
const ANSWER_PORTS: [u16; 5] = [53, 69, 123, 5060, 5061];

/// Whether a UDP datagram, by its ports and first payload bytes, may be one
/// a phone waits for: on a port of [`ANSWER_PORTS`], a SIP response, or a
/// TFTP DATA or OACK (from a server's own port). Lost bulk (video, NFS) is
/// only counted.
fn may_matter(sport: u16, dport: u16, payload: &[u8]) -> bool {
    ANSWER_PORTS.contains(&sport)
        || ANSWER_PORTS.contains(&dport)
        || payload.starts_with(b"SIP/2.0 ")
        || matches!(payload, [0, 3 | 6, ..])
}

/// The first fragment of a UDP datagram: what names the datagram when the
/// rest never comes.
#[derive(Clone, Copy, Debug)]
pub struct FirstFragment {
    pub frame: u64,
    pub ts: Timestamp,
    pub l2: L2,
    pub sport: u16,
    pub dport: u16,
}

/// A UDP datagram whose first fragment was captured and whose other
/// fragments never all came (timed out, or the capture ended): the answer a
/// host sent and the network lost on the way.
#[derive(Clone, Copy, Debug)]
pub struct LostDatagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub head: FirstFragment,
    /// Payload bytes that did arrive.
    pub held_bytes: usize,
    pub fragments: u64,
}

/// What identifies the fragments of one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

/// One fragment, as its IP header describes it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fragment<'a> {
    /// Byte offset of the fragment in the datagram's payload.
    pub offset: usize,
    /// More Fragments flag.
    pub more: bool,
    /// Payload length the IP header declares (more than `data` when cut).
    pub declared_len: usize,
    /// The payload bytes actually captured.
    pub data: &'a [u8],
    /// Protocol of the payload, as this fragment states it.
    pub proto: u8,
    /// Where it was captured (kept from the first fragment of a datagram).
    pub frame: u64,
    pub ts: Timestamp,
    pub l2: L2,
}

/// What became of a fragment.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FragOutcome {
    /// Stored; its datagram is still incomplete.
    Held,
    /// The datagram is complete and was moved into the caller's buffer;
    /// the protocol is the one its first fragment states.
    Complete(u8),
    /// Every fragment came, but the snaplen cut some: the bytes up to the
    /// first cut were moved into the caller's buffer.
    CompleteCut(u8),
    /// Not stored: a bound was hit, or it contradicts its datagram.
    Dropped,
    /// A copy of a fragment of a datagram completed moments ago.
    Duplicate,
    /// The fragment cannot be part of any datagram.
    Bad(&'static str),
}

#[derive(Debug)]
struct Datagram {
    key: FragKey,
    first_ns: i64,
    /// Payload bytes at their offsets; holes are zero until filled.
    buf: Vec<u8>,
    /// Byte ranges held, sorted, disjoint and not touching.
    have: Vec<(usize, usize)>,
    /// Payload length, once the last fragment (MF clear) was seen.
    total: Option<usize>,
    /// Protocol stated by the fragment at offset 0.
    proto: u8,
    /// The fragment at offset 0 of a UDP datagram, once seen.
    head: Option<FirstFragment>,
    fragments: u64,
    /// Two fragments gave different bytes for the same place.
    conflict: bool,
    /// Byte ranges the fragments' IP headers declare, when the snaplen cut
    /// some (`have` then falls short of them): every fragment may be there.
    declared: Vec<(usize, usize)>,
}

impl Datagram {
    fn is_complete(&self) -> bool {
        matches!((self.total, self.have.as_slice()), (Some(t), [(0, end)]) if *end >= t)
    }

    /// Every fragment arrived, some cut by the snaplen.
    fn is_complete_cut(&self) -> bool {
        !self.declared.is_empty()
            && matches!((self.total, self.declared.as_slice()), (Some(t), [(0, end)]) if *end >= t)
    }
}

/// Datagrams being reassembled, oldest first.
#[derive(Debug, Default)]
pub(super) struct FragPool {
    datagrams: VecDeque<Datagram>,
    /// Sum of the `buf` lengths of all datagrams.
    held_bytes: usize,
    spare: Vec<Vec<u8>>,
    /// Datagrams completed lately, with the time, newest last.
    recent: VecDeque<(FragKey, i64)>,
    /// UDP datagrams lost after their first fragment, for the caller.
    pub lost: Vec<LostDatagram>,
    lost_total: u64,
}

impl FragPool {
    /// Adds a fragment seen at capture time `now_ns`. On `Complete` the
    /// datagram's payload is swapped into `out`.
    pub fn add(
        &mut self,
        key: FragKey,
        frag: Fragment<'_>,
        now_ns: i64,
        limits: &DecodeLimits,
        stats: &mut DecodeStats,
        out: &mut Vec<u8>,
    ) -> FragOutcome {
        self.expire(now_ns, limits, stats);
        let Some(declared_end) = frag.offset.checked_add(frag.declared_len) else {
            return FragOutcome::Bad("fragment_too_long");
        };
        if declared_end > MAX_DATAGRAM {
            return FragOutcome::Bad("fragment_too_long");
        }
        let data_len = frag.data.len().min(frag.declared_len);
        let data_end = frag.offset + data_len;

        // Find or open the datagram, then make room for its bytes.
        let index = match self.datagrams.iter().position(|d| d.key == key) {
            Some(i) => i,
            None if self.completed_lately(&key, now_ns) => return FragOutcome::Duplicate,
            None => {
                self.open(key, now_ns, limits, stats);
                self.datagrams.len() - 1
            }
        };
        let Some(index) = self.make_room(index, data_end, limits, stats) else {
            stats.fragments_dropped += 1;
            return FragOutcome::Dropped;
        };
        let Some(dgram) = self.datagrams.get_mut(index) else {
            return FragOutcome::Dropped;
        };

        // The last fragment fixes the length; a second, different one is ignored.
        if !frag.more {
            match dgram.total {
                Some(t) if t != declared_end => return FragOutcome::Dropped,
                _ => dgram.total = Some(declared_end),
            }
        }
        if dgram.buf.len() < data_end {
            self.held_bytes += data_end - dgram.buf.len();
            dgram.buf.resize(data_end, 0);
        }
        let data = frag.data.get(..data_len).unwrap_or_default();
        if !store(dgram, frag.offset, data) {
            let bytes = dgram.buf.len();
            stats.fragments_dropped += dgram.fragments + 1;
            self.remove(index, bytes);
            return FragOutcome::Dropped;
        }
        dgram.fragments += 1;
        // A cut fragment: from then on the declared ranges are kept too
        // (those of the fragments before it are the ranges held).
        if data_len < frag.declared_len && dgram.declared.is_empty() {
            dgram.declared = dgram.have.clone();
        }
        if !dgram.declared.is_empty() {
            if dgram.declared.len() >= MAX_RANGES {
                let bytes = dgram.buf.len();
                stats.fragments_dropped += dgram.fragments;
                self.remove(index, bytes);
                return FragOutcome::Dropped;
            }
            insert_range(&mut dgram.declared, frag.offset, declared_end);
        }
        if frag.offset == 0 {
            dgram.proto = frag.proto;
            let port = |at: usize| {
                data.get(at..at + 2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
            };
            let payload = data.get(8..).unwrap_or_default();
            if let (PROTO_UDP, Some(sport), Some(dport)) = (frag.proto, port(0), port(2)) {
                let (frame, ts, l2) = (frag.frame, frag.ts, frag.l2);
                dgram.head = may_matter(sport, dport, payload).then_some(FirstFragment {
                    frame,
                    ts,
                    l2,
                    sport,
                    dport,
                });
            }
        }
        let cut = !dgram.is_complete();
        if cut && !dgram.is_complete_cut() {
            return FragOutcome::Held;
        }

        // Complete: hand the bytes over and keep the caller's old buffer.
        let Some(mut done) = self.datagrams.remove(index) else {
            return FragOutcome::Dropped;
        };
        self.held_bytes = self.held_bytes.saturating_sub(done.buf.len());
        if self.recent.len() >= MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((key, now_ns));
        if done.conflict {
            stats.fragments_conflicting += 1;
            self.recycle(done.buf);
            return FragOutcome::Dropped;
        }
        // (Cut: the bytes before the first one missing.)
        let whole = match (cut, done.have.first()) {
            (false, _) => done.total.unwrap_or(0),
            (true, Some(&(0, end))) => end,
            (true, _) => 0,
        };
        done.buf.truncate(whole);
        std::mem::swap(out, &mut done.buf);
        self.recycle(done.buf);
        match cut {
            true => FragOutcome::CompleteCut(done.proto),
            false => FragOutcome::Complete(done.proto),
        }
    }

    /// Was a datagram with this key completed within the duplicate window?
    fn completed_lately(&self, key: &FragKey, now_ns: i64) -> bool {
        self.recent.iter().rev().any(|(k, at)| {
            k == key && (0..=DUPLICATE_WINDOW_NS).contains(&now_ns.saturating_sub(*at))
        })
    }

    /// End of capture: every datagram left is incomplete.
    pub fn finish(&mut self, stats: &mut DecodeStats) {
        stats.fragments_incomplete += self.datagrams.len() as u64;
        while !self.datagrams.is_empty() {
            self.note_lost(0);
            let bytes = self.datagrams.front().map_or(0, |d| d.buf.len());
            self.remove(0, bytes);
        }
        self.held_bytes = 0;
    }

    /// Keeps datagram `index` as lost when its first fragment said whose
    /// it was (UDP); the caller takes the list.
    fn note_lost(&mut self, index: usize) {
        let Some(d) = self.datagrams.get(index) else {
            return;
        };
        let room = self.lost.len() < MAX_LOST && self.lost_total < MAX_LOST_TOTAL;
        if let (Some(head), true) = (d.head, room) {
            self.lost_total += 1;
            let held_bytes = d.have.iter().map(|(a, b)| b - a).sum();
            let (src, dst, fragments) = (d.key.src, d.key.dst, d.fragments);
            self.lost.push(LostDatagram {
                src,
                dst,
                head,
                held_bytes,
                fragments,
            });
        }
    }

    /// Drops datagrams whose first fragment is older than the timeout. The
    /// oldest sit in front; capture time may step back, which only delays.
    fn expire(&mut self, now_ns: i64, limits: &DecodeLimits, stats: &mut DecodeStats) {
        while let Some(front) = self.datagrams.front() {
            if now_ns.saturating_sub(front.first_ns) <= limits.fragment_timeout_ns {
                break;
            }
            let bytes = front.buf.len();
            stats.fragments_incomplete += 1;
            self.note_lost(0);
            self.remove(0, bytes);
        }
    }

    fn open(&mut self, key: FragKey, now_ns: i64, limits: &DecodeLimits, stats: &mut DecodeStats) {
        while self.datagrams.len() >= limits.max_fragment_datagrams.max(1) {
            self.evict_oldest(stats);
        }
        let buf = self.spare.pop().unwrap_or_default();
        self.datagrams.push_back(Datagram {
            key,
            first_ns: now_ns,
            buf,
            have: Vec::new(),
            total: None,
            proto: 0,
            head: None,
            fragments: 0,
            conflict: false,
            declared: Vec::new(),
        });
    }

    /// Evicts other datagrams, oldest first, until datagram `index` may grow
    /// to `end` bytes. Returns its index afterwards, or `None` (and forgets
    /// it when it holds nothing) if even alone it would not fit.
    fn make_room(
        &mut self,
        mut index: usize,
        end: usize,
        limits: &DecodeLimits,
        stats: &mut DecodeStats,
    ) -> Option<usize> {
        loop {
            let current = self.datagrams.get(index)?.buf.len();
            let growth = end.saturating_sub(current);
            if self.held_bytes.saturating_add(growth) <= limits.max_fragment_bytes {
                return Some(index);
            }
            if index == 0 {
                if self.datagrams.len() <= 1 {
                    if self.datagrams.get(index)?.fragments == 0 {
                        self.remove(index, current);
                    }
                    return None;
                }
                // The oldest is the one growing: evict the next oldest.
                self.evict_at(1, stats);
            } else {
                self.evict_oldest(stats);
                index -= 1;
            }
        }
    }

    fn evict_oldest(&mut self, stats: &mut DecodeStats) {
        self.evict_at(0, stats);
    }

    fn evict_at(&mut self, index: usize, stats: &mut DecodeStats) {
        if let Some(d) = self.datagrams.get(index) {
            stats.fragments_dropped += d.fragments;
            let bytes = d.buf.len();
            self.remove(index, bytes);
        }
    }

    fn remove(&mut self, index: usize, bytes: usize) {
        if let Some(d) = self.datagrams.remove(index) {
            self.recycle(d.buf);
        }
        self.held_bytes = self.held_bytes.saturating_sub(bytes);
    }

    fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < MAX_SPARE && buf.capacity() <= MAX_DATAGRAM {
            buf.clear();
            self.spare.push(buf);
        }
    }
}

/// Copies the parts of `data` (at `offset`) that no earlier fragment
/// supplied, notes a conflict where it repeats held bytes differently, and
/// records the range. False when the range list is full.
fn store(dgram: &mut Datagram, offset: usize, data: &[u8]) -> bool {
    let end = offset + data.len();
    if data.is_empty() {
        return true;
    }
    let mut cursor = offset;
    for &(s, e) in &dgram.have {
        if e <= cursor {
            continue;
        }
        if s >= end {
            break;
        }
        if s > cursor {
            copy_part(&mut dgram.buf, data, offset, cursor, s);
        }
        // The held bytes [max(s, offset), min(e, end)) against the new ones.
        let (from, to) = (s.max(offset), e.min(end));
        let held = dgram.buf.get(from..to);
        let again = data.get(from - offset..to - offset);
        if held != again {
            dgram.conflict = true;
        }
        cursor = cursor.max(e);
    }
    if cursor < end {
        copy_part(&mut dgram.buf, data, offset, cursor, end);
    }
    insert_range(&mut dgram.have, offset, end);
    dgram.have.len() <= MAX_RANGES
}

/// Copies datagram bytes `[from, to)` out of `data`, which starts at `base`.
fn copy_part(buf: &mut [u8], data: &[u8], base: usize, from: usize, to: usize) {
    let src = data.get(from - base..to - base);
    let dst = buf.get_mut(from..to);
    if let (Some(src), Some(dst)) = (src, dst) {
        dst.copy_from_slice(src);
    }
}

/// Adds `[start, end)` to a sorted list of disjoint ranges, merging neighbours.
fn insert_range(have: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    let first = have.partition_point(|&(_, e)| e < start);
    let last = have.partition_point(|&(s, _)| s <= end);
    if first >= last {
        have.insert(first, (start, end));
        return;
    }
    let merged_start = have.get(first).map_or(start, |r| r.0.min(start));
    let merged_end = have.get(last - 1).map_or(end, |r| r.1.max(end));
    have.drain(first..last);
    have.insert(first, (merged_start, merged_end));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: u32) -> FragKey {
        FragKey {
            src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
            id,
            proto: 17,
        }
    }

    fn frag(offset: usize, more: bool, data: &[u8]) -> Fragment<'_> {
        Fragment {
            offset,
            more,
            declared_len: data.len(),
            data,
            proto: 17,
            frame: 1,
            ts: Timestamp::new(0, 6),
            l2: L2::default(),
        }
    }

    #[test]
    fn every_fragment_cut_by_the_snaplen_completes_cut() {
        let (limits, mut stats) = (DecodeLimits::default(), DecodeStats::default());
        let mut pool = FragPool::default();
        let mut out = Vec::new();
        // Each fragment declares 16 bytes; the snaplen left 6 of each.
        const FIRST: [u8; 6] = [1; 6];
        const REST: [u8; 6] = [2; 6];
        let cut = |offset: usize, more: bool| Fragment {
            declared_len: 16,
            ..frag(offset, more, if offset == 0 { &FIRST } else { &REST })
        };
        let mut add =
            |f: Fragment<'_>, out: &mut Vec<u8>| pool.add(key(1), f, 0, &limits, &mut stats, out);
        assert_eq!(add(cut(0, true), &mut out), FragOutcome::Held);
        assert_eq!(add(cut(32, false), &mut out), FragOutcome::Held);
        // The middle one completes the declared bytes: the datagram is
        // whole on the wire, cut in the capture; the bytes before the
        // first cut are handed over.
        assert_eq!(add(cut(16, true), &mut out), FragOutcome::CompleteCut(17));
        assert_eq!(out, vec![1; 6]);
        // A datagram whose middle fragment never came stays held.
        let mut pool = FragPool::default();
        let mut add = |f: Fragment<'_>| pool.add(key(2), f, 0, &limits, &mut stats, &mut out);
        assert_eq!(add(cut(0, true)), FragOutcome::Held);
        assert_eq!(add(cut(32, false)), FragOutcome::Held);
    }

    #[test]
    fn a_udp_datagram_missing_its_tail_is_kept_as_lost() {
        let (mut pool, mut stats, mut out) = (FragPool::default(), DecodeStats::default(), vec![]);
        let limits = DecodeLimits::default();
        // UDP header 5060 -> 40000, then the first bytes of a SIP answer.
        let first = [0x13, 0xc4, 0x9c, 0x40, 0, 0, 0, 0, b'S', b'I', b'P', b'/'];
        pool.add(
            key(1),
            frag(0, true, &first),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        // A datagram whose first fragment never came names no ports.
        pool.add(
            key(2),
            frag(16, true, &first),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        pool.finish(&mut stats);
        assert_eq!(stats.fragments_incomplete, 2);
        let [lost] = pool.lost.as_slice() else {
            panic!("{:?}", pool.lost);
        };
        assert_eq!((lost.head.sport, lost.head.dport), (5060, 40000));
        assert_eq!(
            (lost.held_bytes, lost.fragments, lost.head.frame),
            (12, 1, 1)
        );
        // Bulk between ports no phone exchange uses (video, NFS) is only
        // counted; a TFTP DATA from a server's own port is kept.
        let mut pool = FragPool::default();
        let bulk = [0x9c, 0x40, 0x9c, 0x41, 0, 0, 0, 0, 0x80, 0x60];
        let data = [0xc3, 0x50, 0x9c, 0x41, 0, 0, 0, 0, 0, 3, 0, 1];
        pool.add(
            key(3),
            frag(0, true, &bulk),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        pool.add(
            key(4),
            frag(0, true, &data),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        pool.finish(&mut stats);
        let kept: Vec<u16> = pool.lost.iter().map(|l| l.head.sport).collect();
        assert_eq!(kept, [50000]);
    }

    #[test]
    fn ranges_merge() {
        let mut have = vec![];
        insert_range(&mut have, 16, 24);
        insert_range(&mut have, 0, 8);
        assert_eq!(have, vec![(0, 8), (16, 24)]);
        insert_range(&mut have, 8, 16);
        assert_eq!(have, vec![(0, 24)]);
        insert_range(&mut have, 4, 40);
        assert_eq!(have, vec![(0, 40)]);
    }

    #[test]
    fn fragments_in_any_order_overlapping_with_the_same_bytes() {
        let (limits, mut stats) = (DecodeLimits::default(), DecodeStats::default());
        let mut pool = FragPool::default();
        let mut out = Vec::new();
        let mut add = |pool: &mut FragPool, f: Fragment<'_>, t: i64, out: &mut Vec<u8>| {
            pool.add(key(1), f, t, &limits, &mut stats, out)
        };
        let r = add(&mut pool, frag(16, false, &[3; 4]), 0, &mut out);
        assert_eq!(r, FragOutcome::Held);
        let r = add(&mut pool, frag(0, true, &[1; 8]), 1, &mut out);
        assert_eq!(r, FragOutcome::Held);
        // Overlapping both neighbours with the bytes they hold.
        let mut middle = vec![1; 4];
        middle.extend([2; 8]);
        middle.extend([3; 2]);
        let r = add(&mut pool, frag(4, true, &middle), 2, &mut out);
        assert_eq!(r, FragOutcome::Complete(17));
        let mut want = vec![1; 8];
        want.extend([2; 8]);
        want.extend([3; 4]);
        assert_eq!(out, want);
        assert_eq!(pool.held_bytes, 0);
        // The same fragments again, moments later (two taps merged): ignored.
        let r = add(&mut pool, frag(16, false, &[3; 4]), 3, &mut out);
        assert_eq!(r, FragOutcome::Duplicate);
        pool.finish(&mut stats);
        assert_eq!(stats, DecodeStats::default());
    }

    #[test]
    fn overlapping_fragments_that_disagree_drop_the_datagram() {
        let (limits, mut stats) = (DecodeLimits::default(), DecodeStats::default());
        let mut pool = FragPool::default();
        let mut out = Vec::new();
        for (f, t) in [(frag(0, true, &[1; 8]), 0), (frag(16, false, &[3; 4]), 1)] {
            let r = pool.add(key(2), f, t, &limits, &mut stats, &mut out);
            assert_eq!(r, FragOutcome::Held);
        }
        // Bytes 16..20 were 3s; this copy says 2s.
        let r = pool.add(
            key(2),
            frag(8, true, &[2; 12]),
            2,
            &limits,
            &mut stats,
            &mut out,
        );
        assert_eq!(r, FragOutcome::Dropped);
        assert_eq!(stats.fragments_conflicting, 1);
        assert_eq!(pool.held_bytes, 0);
    }

    #[test]
    fn timeout_and_finish_count_incomplete() {
        let limits = DecodeLimits {
            fragment_timeout_ns: 10,
            ..DecodeLimits::default()
        };
        let mut stats = DecodeStats::default();
        let mut pool = FragPool::default();
        let mut out = Vec::new();
        pool.add(
            key(1),
            frag(8, false, &[0; 8]),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        pool.add(
            key(2),
            frag(8, false, &[0; 8]),
            5,
            &limits,
            &mut stats,
            &mut out,
        );
        pool.add(
            key(3),
            frag(8, false, &[0; 8]),
            11,
            &limits,
            &mut stats,
            &mut out,
        );
        assert_eq!(stats.fragments_incomplete, 1);
        pool.finish(&mut stats);
        assert_eq!(stats.fragments_incomplete, 3);
    }

    #[test]
    fn datagram_and_byte_bounds_drop_oldest() {
        let limits = DecodeLimits {
            max_fragment_datagrams: 2,
            max_fragment_bytes: 100,
            fragment_timeout_ns: i64::MAX,
        };
        let mut stats = DecodeStats::default();
        let mut pool = FragPool::default();
        let mut out = Vec::new();
        for id in 0..3 {
            pool.add(
                key(id),
                frag(0, true, &[0; 8]),
                0,
                &limits,
                &mut stats,
                &mut out,
            );
        }
        assert_eq!(stats.fragments_dropped, 1);
        assert_eq!(pool.datagrams.len(), 2);
        // 96 more bytes for datagram 2 evict datagram 1.
        let r = pool.add(
            key(2),
            frag(8, true, &[0; 88]),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        assert_eq!(r, FragOutcome::Held);
        assert_eq!(stats.fragments_dropped, 2);
        // A datagram larger than the whole budget is refused.
        let r = pool.add(
            key(9),
            frag(0, true, &[0; 200]),
            0,
            &limits,
            &mut stats,
            &mut out,
        );
        assert_eq!(r, FragOutcome::Dropped);
        assert!(pool.held_bytes <= 100);
    }

    #[test]
    fn oversized_offset_is_bad() {
        let (limits, mut stats) = (DecodeLimits::default(), DecodeStats::default());
        let mut pool = FragPool::default();
        let r = pool.add(
            key(1),
            frag(65_528, false, &[0; 16]),
            0,
            &limits,
            &mut stats,
            &mut Vec::new(),
        );
        assert_eq!(r, FragOutcome::Bad("fragment_too_long"));
    }
}
