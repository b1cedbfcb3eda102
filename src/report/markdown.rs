//! Markdown for pasting into a ticket: a heading per phone, the root cause
//! and advice, and a table of the stages.

use super::{frames, short_name, Document};
use crate::verdict::Status;

pub fn render(doc: &Document) -> String {
    let mut out = String::from("# provscope report\n");
    for c in &doc.captures {
        out.push_str(&format!(
            "\n## `{}`\n\n{} frames, {}{}{}\n",
            short_name(&c.path),
            c.frames,
            c.format.name(),
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
                name,
                p.ips.join(", ")
            ));
            if let Some(m) = &p.model {
                out.push_str(&format!(
                    "Model {m}{}\n\n",
                    p.firmware
                        .as_ref()
                        .map_or(String::new(), |f| format!(", firmware {f}"))
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

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
