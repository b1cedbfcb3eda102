//! The table of `scan`: per capture its phones and their verdicts, then the
//! totals (phones per verdict and per root cause).

use std::collections::BTreeMap;

use super::{frames, Document};
use crate::text::plural;
use crate::verdict::Verdict;

pub fn render(doc: &Document, failed: &[(String, String)], not_captures: u64) -> String {
    let mut out = String::new();
    for c in &doc.captures {
        let phones: Vec<_> = doc.phones.iter().filter(|p| p.capture == c.path).collect();
        out.push_str(&format!(
            "{}  {}  {}  {}{}\n",
            c.path,
            c.format.name(),
            plural(c.frames as usize, "frame", "frames"),
            plural(phones.len(), "phone", "phones"),
            if c.complete { "" } else { "  (cut short)" }
        ));
        for p in phones {
            let name = p.hostname.as_deref().unwrap_or(&p.id);
            let root = match p.root() {
                Some(r) => format!("{} {} {}", r.stage.id(), frames(r.frame_range()), r.summary),
                None => String::new(),
            };
            out.push_str(&format!(
                "  {:<4}  {:<24} {}\n",
                p.verdict.id(),
                name,
                root.trim_end()
            ));
        }
    }
    for (path, err) in failed {
        out.push_str(&format!("{path}  skipped: {err}\n"));
    }
    let count = |v: Verdict| doc.phones.iter().filter(|p| p.verdict == v).count();
    out.push_str(&format!(
        "\n{} analysed, {} unreadable (skipped), {} skipped; {}: {} fail, {} warn, {} pass\n",
        plural(doc.captures.len(), "capture", "captures"),
        failed.len(),
        plural(not_captures as usize, "other file", "other files"),
        plural(doc.phones.len(), "phone", "phones"),
        count(Verdict::Fail),
        count(Verdict::Warn),
        count(Verdict::Pass)
    ));
    let mut by_root: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &doc.phones {
        *by_root
            .entry(p.root_cause.map_or("(none)", |s| s.id()))
            .or_default() += 1;
    }
    for (root, n) in by_root {
        out.push_str(&format!("  {n:>5}  {root}\n"));
    }
    out
}
