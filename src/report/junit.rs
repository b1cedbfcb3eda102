//! JUnit XML: one test suite per phone, one test case per stage. `fail` is
//! a failure, `warn` passes with its text in system-out, `not_seen` is
//! skipped, so CI systems show failures natively. A capture that could not
//! be read, or holds no frames, is a suite of one test in error.

use super::{capture_name, frames, Document};
use crate::verdict::Status;

pub fn render(doc: &Document) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures: usize = doc
        .phones
        .iter()
        .map(|p| p.stages.iter().filter(|s| s.status == Status::Fail).count())
        .sum();
    let unread: Vec<_> = (doc.captures.iter())
        .filter(|c| c.format.is_none() || c.frames == 0)
        .collect();
    let tests = doc.phones.len() * 12 + unread.len();
    let errors = unread.len();
    out.push_str(&format!(
        "<testsuites name=\"provscope\" tests=\"{tests}\" failures=\"{failures}\" \
         errors=\"{errors}\">\n"
    ));
    for c in unread {
        let why = c.warnings.first().map_or("not read", String::as_str);
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    \
             <testcase classname=\"capture\" name=\"read\">\n      <error message=\"{}\"/>\n    \
             </testcase>\n  </testsuite>\n",
            xml(capture_name(doc, &c.path)),
            xml(why)
        ));
    }
    for p in &doc.phones {
        let name = format!(
            "{} {}",
            capture_name(doc, &p.capture),
            p.hostname.as_deref().unwrap_or(&p.id)
        );
        let fails = p.stages.iter().filter(|s| s.status == Status::Fail).count();
        let skipped = p
            .stages
            .iter()
            .filter(|s| s.status == Status::NotSeen)
            .count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skipped}\">\n",
            xml(&name),
            p.stages.len()
        ));
        for s in &p.stages {
            let text = format!("{} {}", frames(s.frame_range()), s.summary);
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&p.id),
                s.stage.id()
            ));
            match s.status {
                Status::Pass => out.push_str("/>\n"),
                Status::Warn => out.push_str(&format!(
                    ">\n      <system-out>warn: {}</system-out>\n    </testcase>\n",
                    xml(text.trim())
                )),
                Status::NotSeen => {
                    out.push_str(">\n      <skipped message=\"not seen\"/>\n    </testcase>\n")
                }
                Status::Fail => out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}\nadvice: {}</failure>\n    </testcase>\n",
                    xml(&s.summary),
                    xml(text.trim()),
                    xml(s.advice.as_deref().unwrap_or("-"))
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for an XML attribute or element: control characters (XML
/// 1.0 forbids most) and bidi overrides are written as escapes first, as
/// in the other text formats.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::printable(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
