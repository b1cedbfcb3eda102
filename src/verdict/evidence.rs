//! Evidence trimming: a stage shows at most [`MAX_EVIDENCE`] lines, the
//! first two and the last ones, but never drops a frame its summary or
//! advice cites (`#N`) nor one its rule marked as deciding the stage
//! (`StageResult::keep`: the request and answer that decide it). The lines
//! around those are what goes; the kept ones stay in their order.
//!
//! The rules build their evidence in full and `verdict::judge` trims every
//! stage once, after the last word of its summary and advice is written: a
//! rule that trimmed its own list would drop frames a later step cites.

use std::collections::BTreeSet;

use super::{Evidence, StageResult};

/// At most this many evidence lines per stage, besides the cited and
/// deciding frames.
pub const MAX_EVIDENCE: usize = 12;

/// The first lines always kept (how the stage started).
const HEAD: usize = 2;

/// Frame numbers a text cites as `#N`.
pub fn cited_frames(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.split('#').skip(1).filter_map(|after| {
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        after.get(..digits)?.parse().ok()
    })
}

/// Trims a stage's evidence, keeping the frames it cites or marked.
pub fn trim(r: &mut StageResult) {
    if r.evidence.len() <= MAX_EVIDENCE {
        return;
    }
    let texts = [Some(r.summary.as_str()), r.advice.as_deref()];
    let mut keep: BTreeSet<u64> = texts
        .iter()
        .flatten()
        .flat_map(|t| cited_frames(t))
        .collect();
    keep.extend(r.keep.iter().copied());
    trim_keeping(&mut r.evidence, &keep);
}

/// The first [`HEAD`] lines, every line of a frame in `keep`, and as many
/// of the last lines as fill [`MAX_EVIDENCE`].
fn trim_keeping(evidence: &mut Vec<Evidence>, keep: &BTreeSet<u64>) {
    let mut kept: Vec<bool> = (evidence.iter().enumerate())
        .map(|(i, e)| i < HEAD || keep.contains(&e.frame))
        .collect();
    let mut room = MAX_EVIDENCE.saturating_sub(kept.iter().filter(|k| **k).count());
    for k in kept.iter_mut().rev() {
        if room == 0 {
            break;
        }
        if !*k {
            *k = true;
            room -= 1;
        }
    }
    let mut flags = kept.into_iter();
    evidence.retain(|_| flags.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn lines(frames: impl IntoIterator<Item = u64>) -> Vec<Evidence> {
        (frames.into_iter())
            .map(|frame| Evidence {
                frame,
                time: Timestamp::default(),
                text: format!("frame {frame}"),
            })
            .collect()
    }

    fn frames(evidence: &[Evidence]) -> Vec<u64> {
        evidence.iter().map(|e| e.frame).collect()
    }

    #[test]
    fn cites_are_read_from_text() {
        let got: Vec<u64> = cited_frames("granted 120 s (#4), then (#5); #x, #").collect();
        assert_eq!(got, vec![4, 5]);
    }

    #[test]
    fn without_cites_the_first_two_and_the_last_ten_stay() {
        let mut e = lines(1..=30);
        trim_keeping(&mut e, &BTreeSet::new());
        let want: Vec<u64> = [1, 2].into_iter().chain(21..=30).collect();
        assert_eq!(frames(&e), want);
    }

    #[test]
    fn a_cited_frame_in_the_middle_stays_and_the_tail_gives_way() {
        // tester132 multi-mid: the 404 at #13-14 among 26 frames.
        let mut e = lines(1..=26);
        trim_keeping(&mut e, &[13, 14].into_iter().collect());
        let want: Vec<u64> = [1, 2, 13, 14].into_iter().chain(19..=26).collect();
        assert_eq!(frames(&e), want);
    }

    #[test]
    fn more_cites_than_room_keeps_them_all() {
        let mut e = lines(1..=40);
        let keep: BTreeSet<u64> = (10..=25).collect();
        trim_keeping(&mut e, &keep);
        let want: Vec<u64> = [1, 2].into_iter().chain(10..=25).collect();
        assert_eq!(frames(&e), want);
    }

    #[test]
    fn a_short_list_is_left_alone() {
        let mut r = StageResult::new(super::super::Stage::Ntp, super::super::Status::Pass, "#99");
        r.evidence = lines(1..=MAX_EVIDENCE as u64);
        trim(&mut r);
        assert_eq!(r.evidence.len(), MAX_EVIDENCE);
    }
}
