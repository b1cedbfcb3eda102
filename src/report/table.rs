//! The default output: one block per phone, root cause first, then every
//! stage with its status and the evidence that decided it.

use comfy_table::{presets, Cell, Color, ContentArrangement, Table};

use super::{frames, short_name, Document, RenderOptions};
use crate::verdict::{PhoneReport, Status, Verdict};

pub fn render(doc: &Document, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for c in &doc.captures {
        let phones = doc.phones.iter().filter(|p| p.capture == c.path).count();
        out.push_str(&format!(
            "{}  {}{}  {} frames  {:.2} s  {} phone{}{}\n",
            short_name(&c.path),
            c.format.name(),
            if c.compressed { " (gzip)" } else { "" },
            c.frames,
            c.duration_secs(),
            phones,
            if phones == 1 { "" } else { "s" },
            if c.complete {
                ""
            } else {
                "  (cut short: partial report)"
            },
        ));
        for w in &c.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        for p in doc.phones.iter().filter(|p| p.capture == c.path) {
            out.push('\n');
            out.push_str(&phone_block(p, opts));
        }
        if phones == 0 {
            out.push_str("\nno phone found (no DHCP, DNS, TFTP, TLS or SIP of a phone)\n");
        }
        out.push('\n');
    }
    out
}

fn phone_block(p: &PhoneReport, opts: &RenderOptions) -> String {
    let mut out = String::new();
    let name = p.hostname.clone().unwrap_or_else(|| p.id.clone());
    let mut head = vec![name];
    if let Some(m) = &p.mac {
        if *m != head[0] {
            head.push(m.clone());
        }
    }
    let ips = p.ips.join(",");
    if ips != head[0] {
        head.push(ips);
    }
    head.extend(p.model.clone());
    head.extend(p.firmware.clone());
    out.push_str(
        head.iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("  ")
            .as_str(),
    );
    out.push('\n');
    match p.root() {
        Some(r) => {
            let word = match p.verdict {
                Verdict::Fail => "FAIL",
                Verdict::Warn => "WARN",
                Verdict::Pass => "PASS",
            };
            out.push_str(&format!("{word} at {}: {}\n", r.stage.id(), r.summary));
            if let Some(a) = &r.advice {
                out.push_str(&format!("  advice: {a}\n"));
            }
        }
        None => out.push_str("PASS: every stage seen passed\n"),
    }
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Disabled);
    if opts.color {
        // The caller decided (a terminal, or --color always): colour even into a pipe.
        t.enforce_styling();
    }
    t.set_header(vec!["stage", "status", "evidence"]);
    for s in &p.stages {
        let status = match s.status {
            Status::Pass => "pass",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::NotSeen => "-",
        };
        let mut cell = Cell::new(status);
        if opts.color {
            cell = match s.status {
                Status::Pass => cell.fg(Color::Green),
                Status::Warn => cell.fg(Color::Yellow),
                Status::Fail => cell.fg(Color::Red),
                Status::NotSeen => cell,
            };
        }
        let ev = if s.status == Status::NotSeen && s.evidence.is_empty() {
            String::new()
        } else {
            let text = format!("{} {}", frames(s.frame_range()), s.summary);
            clip(text.trim())
        };
        t.add_row(vec![Cell::new(s.stage.id()), cell, Cell::new(ev)]);
    }
    for line in t.to_string().lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Longest cell text, in characters; the table lays out a cell in time that
/// grows with the square of its length, and the JSON keeps the whole text.
const MAX_CELL_CHARS: usize = 400;

/// The text, cut to [`MAX_CELL_CHARS`] with an ellipsis.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or(text)),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_clipped_on_a_char_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(MAX_CELL_CHARS + 5);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_CELL_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }
}
