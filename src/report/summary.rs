//! The table of `scan`: per capture its phones and their verdicts, then the
//! totals (phones per verdict and per root cause).

use std::collections::BTreeMap;

use super::table::{GREEN, RED, RESET, YELLOW};
use super::{frames, nothing_decided, Document};

/// What a passing phone with no stage seen to its end is, in the counts.
const UNDECIDED: &str = "no stage seen to its end";
use crate::text::{plural, printable};
use crate::time::Timestamp;
use crate::verdict::Verdict;

/// What a scan did not analyse.
#[derive(Clone, Copy, Debug)]
pub struct Skipped<'a> {
    /// Files that looked like captures (or were named) and could not be read.
    pub failed: &'a [(String, String)],
    /// Files whose first bytes are not a capture's.
    pub not_captures: u64,
    /// Symlinks to a capture analysed under another name.
    pub aliases: u64,
    /// Symlinks back to a directory above them: not followed.
    pub loops: u64,
}

impl Skipped<'_> {
    /// The files left out without an error, in words ("3 other files
    /// skipped, 1 link to a capture analysed once"; empty for none).
    pub fn others(&self) -> String {
        let mut out = String::new();
        if self.not_captures > 0 {
            let n = self.not_captures as usize;
            out = format!("{} skipped", plural(n, "other file", "other files"));
        }
        if self.loops > 0 {
            let n = self.loops as usize;
            let more = format!(
                "{} not followed",
                plural(n, "symlink loop", "symlink loops")
            );
            out = if out.is_empty() {
                more
            } else {
                format!("{out}, {more}")
            };
        }
        if self.aliases > 0 {
            let n = self.aliases as usize;
            let links = plural(n, "link", "links");
            let more = format!("{links} to a capture analysed under another name");
            out = if out.is_empty() {
                more
            } else {
                format!("{out}, {more}")
            };
        }
        out
    }
}

/// `color`: the verdict word in the table's colours (`--color`).
pub fn render(doc: &Document, skipped: &Skipped<'_>, color: bool) -> String {
    let failed = skipped.failed;
    let mut out = String::new();
    for c in &doc.captures {
        let phones: Vec<_> = doc.phones.iter().filter(|p| p.capture == c.path).collect();
        out.push_str(&format!(
            "{}  {}  {}  {}{}\n",
            c.path,
            c.format.map_or("unread", |f| f.name()),
            plural(c.frames as usize, "frame", "frames"),
            plural(phones.len(), "phone", "phones"),
            if c.complete { "" } else { "  (cut short)" }
        ));
        for p in phones {
            let name = p.hostname.as_deref().unwrap_or(&p.id);
            let root = match p.root() {
                Some(r) => format!(
                    "{} {} {}",
                    r.stage.id(),
                    frames(r.frame_range()),
                    printable(&r.summary)
                ),
                None if nothing_decided(p) => UNDECIDED.to_string(),
                None => String::new(),
            };
            let word = format!("{:<4}", p.verdict.id());
            let word = match (color, p.verdict) {
                (false, _) => word,
                (true, Verdict::Fail) => format!("{RED}{word}{RESET}"),
                (true, Verdict::Warn) => format!("{YELLOW}{word}{RESET}"),
                (true, Verdict::Pass) => format!("{GREEN}{word}{RESET}"),
            };
            out.push_str(&format!(
                "  {word}  {:<24} {}\n",
                printable(name),
                root.trim_end()
            ));
        }
    }
    for (path, err) in failed {
        out.push_str(&format!("{path}  skipped: {}\n", printable(err)));
    }
    let count = |v: Verdict| doc.phones.iter().filter(|p| p.verdict == v).count();
    // A pass with no stage seen to its end is no pass to count as one.
    let undecided = (doc.phones.iter())
        .filter(|p| p.verdict == Verdict::Pass && nothing_decided(p))
        .count();
    let pass = match undecided {
        0 => format!("{} pass", count(Verdict::Pass)),
        n => format!(
            "{} pass, {n} can't tell ({UNDECIDED})",
            count(Verdict::Pass).saturating_sub(n)
        ),
    };
    out.push_str(&format!(
        "\n{} analysed, {} unreadable (skipped){}; {}: {} fail, {} warn, {pass}\n",
        plural(doc.captures.len(), "capture", "captures"),
        failed.len(),
        match skipped.others() {
            o if o.is_empty() => ", 0 other files skipped".to_string(),
            o => format!(", {o}"),
        },
        plural(doc.phones.len(), "phone", "phones"),
        count(Verdict::Fail),
        count(Verdict::Warn),
    ));
    let mut by_root: BTreeMap<&str, usize> = BTreeMap::new();
    let nothing = format!("({UNDECIDED})");
    for p in &doc.phones {
        let root = match p.root_cause {
            Some(s) => s.id(),
            None if p.verdict == Verdict::Pass && nothing_decided(p) => &nothing,
            None => "(none)",
        };
        *by_root.entry(root).or_default() += 1;
    }
    for (root, n) in by_root {
        out.push_str(&format!("  {n:>5}  {root}\n"));
    }
    for note in rotation_notes(doc) {
        out.push_str(&format!("\nnote: {note}\n"));
    }
    out
}

/// A note for each run of files of one rotating capture that counts a
/// phone more than once (the table prints them below its totals, the
/// other formats of `scan` on stderr).
pub fn rotation_notes(doc: &Document) -> Vec<String> {
    let note = |(files, phone): (Vec<&str>, &str)| {
        let (first, last) = (files.first().copied(), files.last().copied());
        format!(
            "{} captures from {} to {} follow one another without a gap (each starts \
             within {CONTINUES_SECS} s of the previous one's end, a little more at the files' \
             regular period) and phone {phone} is in \
             several: files of one rotating capture (tcpdump -C/-G)? A phone booting across a \
             boundary is judged in each file and counted more than once; `mergecap -a` joins \
             them into one capture.",
            files.len(),
            first.unwrap_or_default(),
            last.unwrap_or_default()
        )
    };
    rotations(doc).into_iter().map(note).collect()
}

/// Seconds between one capture's last frame and the next one's first that
/// make them one capture cut in files, whatever the files' period.
const CONTINUES_SECS: f64 = 2.0;

/// A run's period, the time from one file's first frame to the next's, is
/// regular in a rotation (`tcpdump -G`): a pause at a boundary may stretch
/// the gap beyond [`CONTINUES_SECS`] by this share of the period when the
/// next file starts this near to one period on (a `-G 3` rotation had a gap
/// of 2.02 s where the phone's SYN retries paused).
const PERIOD_SHARE: f64 = 0.1;

/// Runs of captures each starting right where the one before ends, in which
/// a phone appears in more than one: (their paths, that phone).
fn rotations(doc: &Document) -> Vec<(Vec<&str>, &str)> {
    // The files of one rotating capture share a directory.
    let dir = |path: &str| std::path::Path::new(path).parent().map(|d| d.to_path_buf());
    let mut dated: Vec<_> = doc
        .captures
        .iter()
        .filter_map(|c| Some((dir(&c.path), c.first_ts?, c.last_ts?, c.path.as_str())))
        .collect();
    dated.sort_by_key(|(dir, first, _, path)| (dir.clone(), first.ns, *path));
    let mut runs: Vec<Vec<&str>> = Vec::new();
    // The previous file: its folder, first and last frame; the run's steps.
    let mut prev: Option<(_, Timestamp, Timestamp)> = None;
    let mut steps: Vec<f64> = Vec::new();
    for (folder, start, end, path) in dated {
        let pair = (prev.as_ref().filter(|(d, _, _)| *d == folder))
            .map(|(_, s, e)| (e.secs_until(&start), s.secs_until(&start)));
        // A file starting at the instant the previous one started (and
        // ended: a copy cut after its first frame, beside whole copies) is
        // no next file of a rotation.
        let continues = pair.is_some_and(|(gap, step)| {
            let period = median(&steps);
            step > 0.0
                && ((0.0..=CONTINUES_SECS).contains(&gap)
                    || (period > 0.0
                        && (step - period).abs() <= PERIOD_SHARE * period
                        && gap <= CONTINUES_SECS + PERIOD_SHARE * period))
        });
        match (runs.last_mut(), pair) {
            (Some(run), Some((_, step))) if continues => {
                run.push(path);
                steps.push(step);
            }
            _ => {
                runs.push(vec![path]);
                steps.clear();
            }
        }
        prev = Some((folder, start, end));
    }
    runs.into_iter()
        .filter(|run| run.len() > 1)
        .filter_map(|run| {
            let phone = doc.phones.iter().find(|p| {
                run.contains(&p.capture.as_str())
                    && doc.phones.iter().any(|q| {
                        q.id == p.id && q.capture != p.capture && run.contains(&q.capture.as_str())
                    })
            })?;
            Some((run, phone.id.as_str()))
        })
        .collect()
}

/// The middle of the values (0 for none).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}
