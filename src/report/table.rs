//! The default output: one block per phone, root cause first, then every
//! stage with its status and the evidence that decided it.

use rayon::prelude::*;
use unicode_width::UnicodeWidthStr;

use super::{capture_name, frames, Document, RenderOptions};
use crate::text::printable;
use crate::verdict::{PhoneReport, Stage, Status, Verdict};

pub fn render(doc: &Document, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for c in &doc.captures {
        let phones = doc.phones.iter().filter(|p| p.capture == c.path).count();
        let name = capture_name(doc, &c.path);
        out.push_str(&format!(
            "{}  {}{}  {} frame{}  {:.2} s  {} phone{}{}\n",
            name,
            c.format.map_or("unread", |f| f.name()),
            if c.compressed { " (gzip)" } else { "" },
            c.frames,
            if c.frames == 1 { "" } else { "s" },
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
            out.push_str(&format!("  warning: {}\n", printable(w)));
        }
        // Blocks are independent: rendered in parallel, written in order.
        let mine: Vec<&PhoneReport> = doc.phones.iter().filter(|p| p.capture == c.path).collect();
        let blocks: Vec<String> = mine.par_iter().map(|p| phone_block(p, opts)).collect();
        for block in blocks {
            out.push('\n');
            out.push_str(&block);
        }
        if phones == 0 && c.unmatched_phones > 0 {
            out.push_str("\nno phone shown: --phone matches none of the capture's phones\n");
        } else if phones == 0 && c.frames > 0 {
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
    // Names and versions come from the phone's own packets.
    out.push_str(
        head.iter()
            .filter(|s| !s.is_empty())
            .map(|s| printable(s))
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
            let summary = printable(&r.summary);
            out.push_str(&format!("{word} at {}: {summary}\n", r.stage.id()));
            if let Some(a) = &r.advice {
                out.push_str(&format!("  advice: {}\n", printable(a)));
            }
        }
        None if super::nothing_decided(p) => out.push_str(&format!(
            "PASS: nothing failed, and no stage was seen to its end{}\n",
            undecided(p)
        )),
        None => out.push_str(&format!(
            "PASS: every stage seen passed{}{}{}\n",
            undecided(p),
            unfinished(p),
            reach(p)
        )),
    }
    let mut rows: Vec<[String; 3]> = Vec::with_capacity(p.stages.len() + 1);
    rows.push(["stage".into(), "status".into(), "evidence".into()]);
    let mut colours = vec![None];
    for s in &p.stages {
        let (status, colour) = match s.status {
            Status::Pass => ("pass", Some(GREEN)),
            Status::Warn => ("WARN", Some(YELLOW)),
            Status::Fail => ("FAIL", Some(RED)),
            Status::NotSeen => ("-", None),
        };
        let ev = if s.status == Status::NotSeen && s.evidence.is_empty() {
            String::new()
        } else {
            let text = format!("{} {}", frames(s.frame_range()), s.summary);
            clip(&printable(one_line(text.trim()).trim()))
        };
        rows.push([s.stage.id().to_string(), status.to_string(), ev]);
        colours.push(colour.filter(|_| opts.color));
    }
    layout(&mut out, &rows, &colours);
    out
}

/// ANSI SGR colours of the status cell, and the reset after it.
pub(super) const GREEN: &str = "\x1b[32m";
pub(super) const YELLOW: &str = "\x1b[33m";
pub(super) const RED: &str = "\x1b[31m";
pub(super) const RESET: &str = "\x1b[0m";

/// Lays out rows in columns as wide as their widest cell (in terminal
/// columns), one space of padding each side, no trailing blanks. The
/// status cell (the second) of a row is coloured when a colour is given.
fn layout(out: &mut String, rows: &[[String; 3]], colours: &[Option<&str>]) {
    let mut widths = [0usize; 3];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(columns(cell));
        }
    }
    for (row, colour) in rows.iter().zip(colours) {
        let start = out.len();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            out.push(' ');
            match colour {
                Some(c) if i == 1 => {
                    out.push_str(c);
                    out.push_str(cell);
                    out.push_str(RESET);
                }
                _ => out.push_str(cell),
            }
            let pad = w.saturating_sub(columns(cell)) + 1;
            out.extend(std::iter::repeat_n(' ', pad));
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

/// Terminal columns a cell takes (bytes, for the usual ASCII).
fn columns(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.width()
    }
}

/// Control characters (a line break in a server's reason phrase) as spaces,
/// so that one stage stays one line.
fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
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

/// For a passing phone that stopped short of the SBC: where its evidence
/// ends, so it does not read like a registered one.
/// The stages seen but left undecided (cut or lost bytes), named after a
/// pass so that "passed" is not read as "everything was fine".
fn undecided(p: &PhoneReport) -> String {
    let named: Vec<String> = p
        .stages
        .iter()
        .filter(|s| s.cannot_tell())
        .map(|s| format!("{} ({})", s.stage.id(), frames(s.frame_range())))
        .collect();
    if named.is_empty() {
        return String::new();
    }
    format!("; can't tell at {}", named.join(", "))
}

/// The stages seen begun but not to their end (a handshake the phone
/// closed, a SYN at the capture's end), named after a pass as the
/// undecided ones are: `not_seen` with evidence is no pass either.
fn unfinished(p: &PhoneReport) -> String {
    let named: Vec<String> = (p.stages.iter())
        .filter(|s| super::unfinished(s))
        .map(|s| format!("{} ({})", s.stage.id(), frames(s.frame_range())))
        .collect();
    if named.is_empty() {
        return String::new();
    }
    format!("; not seen to its end: {}", named.join(", "))
}

fn reach(p: &PhoneReport) -> String {
    let mut chain = p
        .stages
        .iter()
        .filter(|s| !matches!(s.stage, Stage::Ntp | Stage::DhcpOptions));
    let ntp = p
        .stages
        .iter()
        .any(|s| s.stage == Stage::Ntp && (s.status != Status::NotSeen || s.cannot_tell()));
    let but = if ntp { " but NTP" } else { "" };
    // Judged, or with evidence of its own (undecided for bytes the capture
    // lacks, unfinished, a challenge the capture ends on).
    match chain.rfind(|s| s.status != Status::NotSeen || !s.evidence.is_empty()) {
        Some(s) if !matches!(s.stage, Stage::SbcTls | Stage::SipRegister) => {
            // Frames already given with the undecided stage are not repeated.
            let at = if s.status == Status::NotSeen {
                String::new()
            } else {
                format!(" ({})", frames(s.frame_range()))
            };
            format!("; nothing seen after {}{but}{at}", s.stage.id())
        }
        _ => String::new(),
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

    #[test]
    fn columns_align_on_display_width_without_trailing_blanks() {
        let rows = [
            ["stage".to_string(), "status".into(), "evidence".into()],
            ["dhcp".into(), "pass".into(), "#1 日本 ok".into()],
            ["dns-srv".into(), "-".into(), String::new()],
        ];
        let mut out = String::new();
        layout(&mut out, &rows, &[None, Some(GREEN), None]);
        let want = " stage    status  evidence\n dhcp     \x1b[32mpass\x1b[0m    #1 日本 ok\n \
                    dns-srv  -\n";
        assert_eq!(out, want);
        assert_eq!(one_line("a\r\nb\tc"), "a  b c");
    }
}
