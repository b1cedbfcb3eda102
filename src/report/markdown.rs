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
            out.push_str(&format!("\n## {name}\n\nnot read\n"));
            for w in &c.warnings {
                out.push_str(&format!("\n> {}\n", escape(w)));
            }
            continue;
        }
        out.push_str(&format!(
            "\n## {}\n\n{} frames, {}{}{}\n",
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
                "\n### {} {} ({})\n\n",
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
/// cell, `<` and `&` start HTML or an autolink that many ticket systems
/// render, `[` and `]` a link (`[text](url)` from a reason phrase), `*`,
/// `_` and a backtick emphasis or code (an option 160 URL holding them);
/// control characters (an ESC from a file name, a line break in a host
/// name) are written as escapes, as the table does.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in printable(s).chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole code span (CommonMark 6.1) showing `s` as it is: inside one
/// nothing is an escape, so the text goes in unchanged (control characters
/// written as escapes) between backtick fences longer than any run of
/// backticks in it, padded with a space where it begins or ends with a
/// backtick (one space each side is dropped again). Not for a table cell,
/// where a pipe would still end the cell.
fn code(s: &str) -> String {
    let text = printable(s);
    let longest = (text.split(|c| c != '`')).map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let both_spaces = text.starts_with(' ') && text.ends_with(' ');
    let pad = text.starts_with('`') || text.ends_with('`') || both_spaces || text.is_empty();
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::{code, escape};

    #[test]
    fn capture_text_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            escape("TFTP <a|&\"]]>\u{1b}[31m\nx`"),
            "TFTP &lt;a\\|&amp;\"\\]\\]&gt;\\\\x1b\\[31m\\\\nx\\`"
        );
        // Emphasis and code from an option 160 URL (tester119).
        assert_eq!(
            escape("cfg|`x`|*b*_c.xml"),
            "cfg\\|\\`x\\`\\|\\*b\\*\\_c.xml"
        );
        // A link from a reason phrase is text (tester133).
        assert_eq!(escape("[l](http://e) \\"), "\\[l\\](http://e) \\\\");
    }

    #[test]
    fn a_code_span_shows_its_text_as_it_is() {
        assert_eq!(code("a_b*c"), "`a_b*c`");
        // No escapes inside a code span (tester133: `lab\|host*name'x'`).
        assert_eq!(code("lab|host*name`x`"), "`` lab|host*name`x` ``");
        assert_eq!(code("a``b<&"), "```a``b<&```");
        assert_eq!(code("SEP`1\u{7}"), "``SEP`1\\x07``");
        assert_eq!(code("x"), "`x`");
    }
}
