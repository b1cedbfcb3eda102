//! One direction of a TCP stream: sequence-number reassembly.
//!
//! Bytes are placed by sequence number (RFC 9293 section 3.4, modulo 2^32
//! arithmetic) on a 64-bit stream offset, so a stream may wrap its sequence
//! space. In-order bytes are handed straight out of the segment that brought
//! them; segments ahead of the next expected byte wait in a buffer bounded
//! in bytes and in pieces. When the bound is hit the stream gives up on the
//! hole: it reports a gap and resumes at the next buffered byte.
//!
//! Overlaps follow RFC 9293's first-write-wins: bytes already delivered or
//! buffered are kept, and a copy that differs counts as a conflict (one per
//! run of differing bytes; differences fewer than [`CONFLICT_JOIN`] bytes
//! apart are one run). Retransmissions are compared against the last
//! [`HISTORY`] delivered bytes; older ones are dropped unseen.
//!
//! Sequence numbers a full half-space (2^31) behind the next byte count as
//! old. Windows, acknowledgements and urgent data are ignored.

use std::collections::BTreeMap;

use crate::time::Timestamp;

/// Delivered bytes kept to compare retransmissions against.
pub(crate) const HISTORY: usize = 16 << 10;
/// Differing bytes closer than this are one conflict.
pub(crate) const CONFLICT_JOIN: usize = 16;
/// Most out-of-order pieces buffered per direction (hostile 1-byte pieces).
pub(crate) const MAX_PIECES: usize = 4096;

/// What a stream hands to its reader, in order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'d> {
    /// The next bytes of the stream.
    Data(&'d [u8]),
    /// Bytes that will never come (this many): whatever follows is after a
    /// hole.
    Gap(u64),
    /// Bytes the capture's snaplen cut off the end of the segment just
    /// delivered (this many): sent and placed, never captured.
    Cut(u64),
}

/// Counters a push may raise; the table adds them to its stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PushReport {
    pub conflicts: u64,
    pub bound_hits: u64,
}

/// Out-of-order bytes and the frame that brought them.
#[derive(Debug)]
struct Chunk {
    data: Vec<u8>,
    frame: u64,
    ts: Timestamp,
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    /// Sequence number of the next byte to deliver, once known.
    next_seq: Option<u32>,
    /// Stream offset of `next_seq`: bytes delivered or skipped so far.
    next_off: u64,
    /// Buffered bytes ahead of `next_off`, by stream offset; disjoint.
    pending: BTreeMap<u64, Chunk>,
    pending_bytes: usize,
    /// The last delivered bytes, ending at `next_off`.
    history: Vec<u8>,
}

impl Stream {
    /// Fixes where the stream starts (ISN + 1 after a SYN), unless known.
    pub fn start_at(&mut self, seq: u32) {
        self.next_seq.get_or_insert(seq);
    }

    /// Bytes waiting behind a hole.
    #[cfg(test)]
    pub fn buffered(&self) -> usize {
        self.pending_bytes
    }

    /// Bytes missing before the first buffered piece.
    fn hole_len(&self) -> u64 {
        let first = self.pending.keys().next().copied();
        first.map_or(0, |f| f.saturating_sub(self.next_off))
    }

    /// Sequence number where a hole starts, when bytes wait behind one.
    pub fn hole_at(&self) -> Option<u32> {
        match self.pending.is_empty() {
            true => None,
            false => self.next_seq,
        }
    }

    /// Drops the bytes waiting behind the first hole, which will never be
    /// delivered: the hole's length, the bytes dropped, and the frame and
    /// time of the first piece after the hole. None without a hole.
    pub fn drop_unreceived(&mut self) -> Option<(u64, u64, u64, Timestamp)> {
        let (frame, ts) = self.pending.values().next().map(|c| (c.frame, c.ts))?;
        let found = (self.hole_len(), self.pending_bytes as u64, frame, ts);
        self.clear();
        Some(found)
    }

    /// Frees all buffers; the stream delivers nothing more.
    pub fn clear(&mut self) {
        *self = Stream {
            next_seq: self.next_seq,
            next_off: self.next_off,
            ..Stream::default()
        };
    }

    /// Takes a segment's payload starting at sequence number `seq`. `out`
    /// receives the pieces now in order, with the frame and time to report;
    /// it returns false to stop delivery (the stream must then be cleared).
    pub fn push<F>(
        &mut self,
        seq: u32,
        data: &[u8],
        frame: u64,
        ts: Timestamp,
        max_buffer: usize,
        out: &mut F,
    ) -> PushReport
    where
        F: FnMut(Piece<'_>, u64, Timestamp) -> bool,
    {
        let mut report = PushReport::default();
        if data.is_empty() {
            return report;
        }
        let next_seq = *self.next_seq.get_or_insert(seq);
        let next = i128::from(self.next_off);
        let start = next + i128::from(seq.wrapping_sub(next_seq) as i32);
        let end = start + data.len() as i128;

        // Bytes already delivered: compare, never deliver twice.
        if start < next {
            let old = data
                .get(..(end.min(next) - start) as usize)
                .unwrap_or_default();
            report.conflicts += self.compare_history(start, old);
            if end <= next {
                return report;
            }
        }
        let new_off = start.max(next) as u64;
        let fresh = data
            .get((i128::from(new_off) - start) as usize..)
            .unwrap_or_default();

        // In order with nothing waiting: straight from the segment.
        if self.pending.is_empty() && new_off == self.next_off {
            self.advance(fresh);
            out(Piece::Data(fresh), frame, ts);
            return report;
        }
        report.conflicts += self.insert(new_off, fresh, frame, ts);
        if !self.drain(out, Some((frame, ts))) {
            return report;
        }
        while self.pending_bytes > max_buffer || self.pending.len() > MAX_PIECES {
            report.bound_hits += 1;
            let hole = Piece::Gap(self.hole_len());
            if !out(hole, frame, ts) || !self.skip_hole(out, Some((frame, ts))) {
                break;
            }
        }
        report
    }

    /// As [`Stream::push`], for a segment whose last `cut` bytes the
    /// capture's snaplen cut off: when the bytes before them are in order,
    /// the cut bytes are reported ([`Piece::Cut`]) and skipped at once, so
    /// that what follows stays in order; otherwise they are a hole like any
    /// other.
    #[allow(clippy::too_many_arguments)]
    pub fn push_cut<F>(
        &mut self,
        seq: u32,
        data: &[u8],
        cut: u32,
        frame: u64,
        ts: Timestamp,
        max_buffer: usize,
        out: &mut F,
    ) -> PushReport
    where
        F: FnMut(Piece<'_>, u64, Timestamp) -> bool,
    {
        let report = self.push(seq, data, frame, ts, max_buffer, out);
        let next_seq = *self.next_seq.get_or_insert(seq);
        if cut == 0 || seq.wrapping_add(data.len() as u32) != next_seq {
            return report;
        }
        if out(Piece::Cut(u64::from(cut)), frame, ts) {
            self.skip(u64::from(cut));
            self.drain(out, Some((frame, ts)));
        }
        report
    }

    /// Moves `len` bytes past the next one, dropping what is buffered there.
    fn skip(&mut self, len: u64) {
        let end = self.next_off + len;
        while let Some(entry) = self.pending.first_entry() {
            let start = *entry.key();
            if start >= end {
                break;
            }
            let mut chunk = entry.remove();
            self.pending_bytes = self.pending_bytes.saturating_sub(chunk.data.len());
            let keep = usize::try_from(end - start).unwrap_or(usize::MAX);
            if keep < chunk.data.len() {
                chunk.data.drain(..keep);
                self.pending_bytes += chunk.data.len();
                self.pending.insert(end, chunk);
                break;
            }
        }
        self.next_off = end;
        self.next_seq = self.next_seq.map(|s| s.wrapping_add(len as u32));
        self.history.clear();
    }

    /// End of the stream: reports each hole still open as a gap and hands
    /// out the bytes after it, each with the frame that brought them.
    pub fn flush<F>(&mut self, out: &mut F)
    where
        F: FnMut(Piece<'_>, u64, Timestamp) -> bool,
    {
        while let Some((frame, ts)) = self.pending.values().next().map(|c| (c.frame, c.ts)) {
            let hole = Piece::Gap(self.hole_len());
            if !out(hole, frame, ts) || !self.skip_hole(out, None) {
                break;
            }
        }
    }

    /// Moves past the hole before the first buffered piece and delivers what
    /// is then in order. False when `out` asked to stop.
    fn skip_hole<F>(&mut self, out: &mut F, at: Option<(u64, Timestamp)>) -> bool
    where
        F: FnMut(Piece<'_>, u64, Timestamp) -> bool,
    {
        let Some(&first) = self.pending.keys().next() else {
            return true;
        };
        let skipped = first.saturating_sub(self.next_off);
        self.next_seq = self.next_seq.map(|s| s.wrapping_add(skipped as u32));
        self.next_off = first.max(self.next_off);
        self.history.clear();
        self.drain(out, at)
    }

    /// Delivers buffered pieces that start at the next byte. `at` overrides
    /// the frame and time reported (the frame that filled the hole).
    fn drain<F>(&mut self, out: &mut F, at: Option<(u64, Timestamp)>) -> bool
    where
        F: FnMut(Piece<'_>, u64, Timestamp) -> bool,
    {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() != self.next_off {
                break;
            }
            let chunk = entry.remove();
            self.pending_bytes = self.pending_bytes.saturating_sub(chunk.data.len());
            self.advance(&chunk.data);
            let (frame, ts) = at.unwrap_or((chunk.frame, chunk.ts));
            if !out(Piece::Data(&chunk.data), frame, ts) {
                return false;
            }
        }
        true
    }

    fn advance(&mut self, data: &[u8]) {
        self.next_off += data.len() as u64;
        self.next_seq = self.next_seq.map(|s| s.wrapping_add(data.len() as u32));
        if self.history.len() + data.len() > 2 * HISTORY {
            let keep = HISTORY.saturating_sub(data.len()).min(self.history.len());
            self.history.drain(..self.history.len() - keep);
        }
        let tail = data.len().saturating_sub(HISTORY);
        self.history
            .extend_from_slice(data.get(tail..).unwrap_or_default());
    }

    /// Conflicts between old bytes at stream offset `start` and the history.
    fn compare_history(&self, start: i128, old: &[u8]) -> u64 {
        let history_start = i128::from(self.next_off) - self.history.len() as i128;
        let from = start.max(history_start);
        let skip = (from - start) as usize;
        let (Some(new), Some(kept)) = (
            old.get(skip..),
            self.history.get((from - history_start) as usize..),
        ) else {
            return 0;
        };
        conflict_runs(kept, new)
    }

    /// Buffers the parts of `data` (at stream offset `start`) that no
    /// buffered piece holds yet, and counts conflicts with those that do.
    fn insert(&mut self, start: u64, data: &[u8], frame: u64, ts: Timestamp) -> u64 {
        let end = start + data.len() as u64;
        let from = self
            .pending
            .range(..=start)
            .next_back()
            .map_or(start, |(&k, _)| k);
        let mut conflicts = 0;
        let mut cursor = start;
        let mut holes = Vec::new();
        for (&k, chunk) in self.pending.range(from..end) {
            let chunk_end = k + chunk.data.len() as u64;
            if chunk_end <= cursor {
                continue;
            }
            if k > cursor {
                holes.push((cursor, k));
            }
            let (s, e) = (k.max(cursor), chunk_end.min(end));
            let kept = chunk.data.get((s - k) as usize..(e - k) as usize);
            let new = data.get((s - start) as usize..(e - start) as usize);
            if let (Some(kept), Some(new)) = (kept, new) {
                conflicts += conflict_runs(kept, new);
            }
            cursor = chunk_end;
        }
        if cursor < end {
            holes.push((cursor, end));
        }
        for (s, e) in holes {
            let bytes = data.get((s - start) as usize..(e - start) as usize);
            let bytes = bytes.unwrap_or_default().to_vec();
            self.pending_bytes += bytes.len();
            let chunk = Chunk {
                data: bytes,
                frame,
                ts,
            };
            self.pending.insert(s, chunk);
        }
        conflicts
    }
}

/// Runs of differing bytes between two equally long copies; differences
/// fewer than [`CONFLICT_JOIN`] bytes apart belong to one run.
fn conflict_runs(kept: &[u8], new: &[u8]) -> u64 {
    if kept == new {
        return 0;
    }
    let mut runs = 0;
    let mut since_diff = usize::MAX;
    for (a, b) in kept.iter().zip(new) {
        if a != b {
            if since_diff >= CONFLICT_JOIN {
                runs += 1;
            }
            since_diff = 0;
        } else {
            since_diff = since_diff.saturating_add(1);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pushes segments and collects what comes out; `None` marks a gap.
    fn run(segments: &[(u32, Vec<u8>)], max_buffer: usize) -> (Vec<Option<Vec<u8>>>, PushReport) {
        run_from(None, segments, max_buffer)
    }

    /// As `run`, with the stream start fixed first (as a SYN does).
    fn run_from(
        start: Option<u32>,
        segments: &[(u32, Vec<u8>)],
        max_buffer: usize,
    ) -> (Vec<Option<Vec<u8>>>, PushReport) {
        let mut stream = Stream::default();
        if let Some(seq) = start {
            stream.start_at(seq);
        }
        let mut got = Vec::new();
        let mut total = PushReport::default();
        let mut out = |p: Piece<'_>, _: u64, _: Timestamp| {
            got.push(match p {
                Piece::Data(d) => Some(d.to_vec()),
                Piece::Gap(_) | Piece::Cut(_) => None,
            });
            true
        };
        for (i, (seq, data)) in segments.iter().enumerate() {
            let r = stream.push(
                *seq,
                data,
                i as u64,
                Timestamp::default(),
                max_buffer,
                &mut out,
            );
            total.conflicts += r.conflicts;
            total.bound_hits += r.bound_hits;
        }
        stream.flush(&mut out);
        (got, total)
    }

    fn joined(pieces: &[Option<Vec<u8>>]) -> Vec<u8> {
        pieces.iter().flatten().flatten().copied().collect()
    }

    #[test]
    fn in_order_and_out_of_order() {
        let segs = vec![
            (100, b"hello ".to_vec()),
            (112, b"!".to_vec()),
            (106, b"world".to_vec()),
            (111, b"s".to_vec()),
        ];
        let (got, report) = run(&segs, 1 << 20);
        assert_eq!(joined(&got), b"hello worlds!");
        assert!(got.iter().all(Option::is_some));
        assert_eq!(report, PushReport::default());
    }

    #[test]
    fn sequence_numbers_wrap() {
        let segs = vec![(u32::MAX - 2, b"abc".to_vec()), (0, b"def".to_vec())];
        assert_eq!(joined(&run(&segs, 1024).0), b"abcdef");
        let reversed = vec![(u32::MAX - 2, b"ab".to_vec()), (0, b"def".to_vec())];
        let (got, _) = run(&reversed, 1024);
        assert_eq!(got, vec![Some(b"ab".to_vec()), None, Some(b"def".to_vec())]);
    }

    #[test]
    fn overlap_keeps_first_bytes_and_counts_conflicts() {
        let original: Vec<u8> = (0..200u8).collect();
        let mut changed = original[60..180].to_vec();
        changed[10..20].fill(b'X'); // [70, 80)
        changed[70..80].fill(b'Y'); // [130, 140)
                                    // The changed copy arrives after everything was delivered...
        let segs = vec![
            (0, original[..120].to_vec()),
            (120, original[120..].to_vec()),
            (60, changed.clone()),
        ];
        let (got, report) = run(&segs, 1024);
        assert_eq!(joined(&got), original);
        assert_eq!(report.conflicts, 2);
        // ...or while the first bytes still wait behind a hole.
        let segs = vec![
            (10, original[10..].to_vec()),
            (60, changed),
            (0, original[..10].to_vec()),
        ];
        let (got, report) = run_from(Some(0), &segs, 1024);
        assert_eq!(joined(&got), original);
        assert_eq!(report.conflicts, 2);
        // A faithful retransmission is no conflict.
        let segs = vec![(0, original.clone()), (50, original[50..90].to_vec())];
        assert_eq!(run(&segs, 1024).1.conflicts, 0);
    }

    #[test]
    fn buffer_bound_gives_a_gap_then_resumes() {
        let segs = vec![
            (0, b"aaaa".to_vec()),
            (8, b"cccc".to_vec()),
            (12, b"dddd".to_vec()),
            (16, b"eeee".to_vec()),
            (4, b"bbbb".to_vec()), // too late: skipped over
            (20, b"ffff".to_vec()),
        ];
        let (got, report) = run(&segs, 10);
        assert_eq!(report.bound_hits, 1);
        let want = vec![
            Some(b"aaaa".to_vec()),
            None,
            Some(b"cccc".to_vec()),
            Some(b"dddd".to_vec()),
            Some(b"eeee".to_vec()),
            Some(b"ffff".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn hole_at_the_end_is_a_gap_then_the_rest() {
        let segs = vec![(0, b"ab".to_vec()), (5, b"fg".to_vec())];
        let (got, _) = run(&segs, 1024);
        assert_eq!(got, vec![Some(b"ab".to_vec()), None, Some(b"fg".to_vec())]);
    }

    #[test]
    fn stop_request_stops_delivery() {
        let mut stream = Stream::default();
        let mut calls = 0;
        let mut out = |_: Piece<'_>, _: u64, _: Timestamp| {
            calls += 1;
            false
        };
        let ts = Timestamp::default();
        stream.push(5, b"later", 1, ts, 1024, &mut out);
        stream.push(6, b"x", 1, ts, 1024, &mut out);
        stream.push(0, b"first", 2, ts, 1024, &mut out);
        assert_eq!(calls, 1);
    }

    proptest! {
        /// Any split, order and duplication of a stream reassembles to it.
        #[test]
        fn reassembly_restores_the_stream(
            data in proptest::collection::vec(any::<u8>(), 1..600),
            cuts in proptest::collection::vec(any::<u16>(), 0..12),
            keys in proptest::collection::vec(any::<u16>(), 13),
            dups in proptest::collection::vec((any::<u16>(), any::<u16>()), 0..20),
            isn in any::<u32>(),
        ) {
            let mut bounds: Vec<usize> = cuts.iter().map(|c| *c as usize % data.len()).collect();
            bounds.extend([0, data.len()]);
            bounds.sort_unstable();
            bounds.dedup();
            let segments: Vec<(u32, Vec<u8>)> = bounds
                .windows(2)
                .map(|w| (isn.wrapping_add(w[0] as u32), data[w[0]..w[1]].to_vec()))
                .collect();
            // Every segment once, in the order of its random key, and some
            // duplicates (random keys too) mixed in.
            let mut keyed: Vec<(u16, usize)> = (0..segments.len()).map(|i| (keys[i], i)).collect();
            keyed.extend(dups.iter().map(|(k, d)| (*k, *d as usize % segments.len())));
            keyed.sort_unstable();
            let shuffled: Vec<(u32, Vec<u8>)> =
                keyed.iter().map(|(_, i)| segments[*i].clone()).collect();

            // After a SYN fixed the start, any order reassembles.
            let (got, report) = run_from(Some(isn), &shuffled, 1 << 20);
            prop_assert!(got.iter().all(Option::is_some));
            prop_assert_eq!(&joined(&got), &data);
            prop_assert_eq!(report, PushReport::default());

            // Without a SYN the stream starts where the first segment does:
            // the first segment first, then any order.
            let mut sent = vec![segments[0].clone()];
            sent.extend(shuffled.iter().cloned());
            let (got, report) = run(&sent, 1 << 20);
            prop_assert!(got.iter().all(Option::is_some));
            prop_assert_eq!(&joined(&got), &data);
            prop_assert_eq!(report, PushReport::default());
        }

        /// Overlapping retransmissions that differ never change delivered bytes.
        #[test]
        fn first_bytes_always_win(
            data in proptest::collection::vec(any::<u8>(), 2..300),
            at in any::<u16>(),
            len in 1usize..100,
        ) {
            let start = at as usize % data.len();
            let end = (start + len).min(data.len());
            let forged: Vec<u8> = data[start..end].iter().map(|b| !b).collect();
            let segs = vec![(0, data.clone()), (start as u32, forged)];
            let (got, report) = run(&segs, 1 << 20);
            prop_assert_eq!(joined(&got), data);
            prop_assert_eq!(report.conflicts, 1);
        }
    }

    /// A segment the snaplen cut: its cut bytes are reported and skipped,
    /// and the next segment is in order at once (nothing waits behind a
    /// hole); a buffered piece reaching into them keeps only its tail.
    #[test]
    fn snaplen_cut_bytes_are_skipped_in_order() {
        let mut stream = Stream::default();
        let mut got = Vec::new();
        let mut out = |p: Piece<'_>, _: u64, _: Timestamp| {
            got.push(match p {
                Piece::Data(d) => format!("data {}", String::from_utf8_lossy(d)),
                Piece::Gap(n) => format!("gap {n}"),
                Piece::Cut(n) => format!("cut {n}"),
            });
            true
        };
        let ts = Timestamp::default();
        stream.push_cut(100, b"ab", 0, 1, ts, 1 << 10, &mut out);
        // Out of order, reaching into the next segment's cut bytes.
        stream.push_cut(105, b"xyzw", 0, 2, ts, 1 << 10, &mut out);
        stream.push_cut(102, b"cd", 4, 3, ts, 1 << 10, &mut out);
        stream.push_cut(109, b"!", 0, 4, ts, 1 << 10, &mut out);
        assert_eq!(got, ["data ab", "data cd", "cut 4", "data w", "data !"]);
        assert_eq!(stream.buffered(), 0);
    }
}
