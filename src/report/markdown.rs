//! Markdown for pasting into a ticket: a heading per phone, the root cause
//! and advice, and a table of the stages.

use super::{capture_name, frames, Document};
use crate::text::printable;
use crate::verdict::Status;

pub fn render(doc: &Document) -> String {
    let mut out = String::from("# provscope report\n");
    for c in &doc.captures {
        if c.format.is_none() {
            // A file that could not be read: its reason is its warning.
            let name = code(capture_name(doc, &c.path));
            out.push_str(&format!("\n## `{name}`\n\nnot read\n"));
            for w in &c.warnings {
                out.push_str(&format!("\n> {}\n", escape(w)));
            }
            continue;
        }
        out.push_str(&format!(
            "\n## `{}`\n\n{} frames, {}{}{}\n",
            code(capture_name(doc, &c.path)),
            c.frames,
            c.format.map_or("unread", |f| f.name()),
            if c.compressed { ", gzip" } else { "" },
            if c.complete {
                ""
            } else {
                ", **cut short: partial report**"
            },
        ));
        for w in &c.warnings {
            out.push_str(&format!("\n> warning: {}\n", escape(w)));
        }
        for p in doc.phones.iter().filter(|p| p.capture == c.path) {
            let name = p.hostname.as_deref().unwrap_or(&p.id);
            out.push_str(&format!(
                "\n### {} `{}` ({})\n\n",
                p.verdict.id().to_uppercase(),
                code(name),
                p.ips.join(", ")
            ));
            if let Some(m) = &p.model {
                out.push_str(&format!(
                    "Model {}{}\n\n",
                    escape(m),
                    p.firmware
                        .as_ref()
                        .map_or(String::new(), |f| format!(", firmware {}", escape(f)))
                ));
            }
            if let Some(r) = p.root() {
                out.push_str(&format!(
                    "**Root cause: `{}`** - {}\n\n",
                    r.stage.id(),
                    escape(&r.summary)
                ));
                if let Some(a) = &r.advice {
                    out.push_str(&format!("Advice: {}\n\n", escape(a)));
                }
            }
            let undecided: Vec<String> = (p.stages.iter())
                .filter(|s| s.cannot_tell())
                .map(|s| format!("`{}` ({})", s.stage.id(), frames(s.frame_range())))
                .collect();
            if p.root().is_none() && !undecided.is_empty() {
                // A pass that left stages undecided says so before the table.
                out.push_str(&format!("**Can't tell:** {}\n\n", undecided.join(", ")));
            }
            let unfinished: Vec<String> = (p.stages.iter())
                .filter(|s| super::unfinished(s))
                .map(|s| format!("`{}` ({})", s.stage.id(), frames(s.frame_range())))
                .collect();
            if p.root().is_none() && !unfinished.is_empty() {
                out.push_str(&format!(
                    "**Not seen to its end:** {}\n\n",
                    unfinished.join(", ")
                ));
            }
            out.push_str("| stage | status | frames | evidence |\n|---|---|---|---|\n");
            for s in &p.stages {
                let summary = if s.status == Status::NotSeen && s.evidence.is_empty() {
                    String::new()
                } else {
                    escape(&s.summary)
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    s.stage.id(),
                    s.status.id(),
                    frames(s.frame_range()),
                    summary
                ));
            }
        }
    }
    out
}

/// Text from the capture made inert in Markdown: a pipe would end a table
/// cell, `<` and `&` start HTML that many ticket systems render, `*`, `_`
/// and a backtick start emphasis or code (an option 160 URL holding them);
/// control characters (an ESC from a file name, a line break in a host
/// name) are written as escapes, as the table does.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in inert(s).chars() {
        match c {
            '*' | '_' | '`' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// What a table cell and a code span both need: pipes, HTML and control
/// characters escaped (inside a code span a backslash is literal, so `*`
/// and `_` are left as they are there).
fn inert(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in printable(s).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// A name for a code span: made inert, and a backtick (which would end the
/// span) as a quote.
fn code(s: &str) -> String {
    inert(s).replace('`', "'")
}

#[cfg(test)]
mod tests {
    use super::{code, escape};

    #[test]
    fn capture_text_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            escape("TFTP <a|&\"]]>\u{1b}[31m\nx`"),
            "TFTP &lt;a\\|&amp;\"]]>\\x1b[31m\\nx\\`"
        );
        assert_eq!(code("SEP`1\u{7}"), "SEP'1\\x07");
        // Emphasis and code from an option 160 URL (tester119).
        assert_eq!(
            escape("cfg|`x`|*b*_c.xml"),
            "cfg\\|\\`x\\`\\|\\*b\\*\\_c.xml"
        );
        assert_eq!(code("a_b*c"), "a_b*c");
    }
}
