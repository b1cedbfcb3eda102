//! JUnit XML: one test suite per phone, one test case per stage. `fail` is
//! a failure, `warn` passes with its text in system-out, `not_seen` is
//! skipped with its summary as the message (so "can't tell" reads apart from
//! a stage never seen), so CI systems show failures natively.
//!
//! Captures are taken in the document's order. A file that could not be read
//! is a suite of one test in error. A file that was read but shows no phone
//! (no frames, none of a phone, none matching `--phone`) is a suite of one
//! skipped test that says why: it was analysed, as its exit code says. The
//! capture's warnings, and "cut short: partial report" for a file cut short,
//! are in the system-out of its first suite, as the other formats say them
//! once.

use super::{capture_name, frames, Document};
use crate::analyze::CaptureSummary;
use crate::verdict::{PhoneReport, Status};

pub fn render(doc: &Document) -> String {
    let failures: usize = doc
        .phones
        .iter()
        .map(|p| p.stages.iter().filter(|s| s.status == Status::Fail).count())
        .sum();
    let mut suites = String::new();
    let (mut tests, mut errors) = (0usize, 0usize);
    for c in &doc.captures {
        let name = capture_name(doc, &c.path);
        if c.format.is_none() {
            let why = c.warnings.first().map_or("not read", String::as_str);
            suites.push_str(&format!(
                "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    \
                 <testcase classname=\"capture\" name=\"read\">\n      \
                 <error message=\"{}\"/>\n    </testcase>\n  </testsuite>\n",
                xml(name),
                xml(why)
            ));
            tests += 1;
            errors += 1;
            continue;
        }
        let notes = capture_notes(c);
        let mine: Vec<&PhoneReport> = doc.phones.iter().filter(|p| p.capture == c.path).collect();
        if mine.is_empty() {
            suites.push_str(&format!(
                "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" skipped=\"1\">\n    \
                 <testcase classname=\"capture\" name=\"phones\">\n      \
                 <skipped message=\"{}\"/>\n    </testcase>\n{notes}  </testsuite>\n",
                xml(name),
                xml(&no_phone(c))
            ));
            tests += 1;
            continue;
        }
        // (The capture's notes once, with its first phone: repeated in
        // every suite they grow as phones times warnings.)
        for (i, p) in mine.into_iter().enumerate() {
            let notes = if i == 0 { notes.as_str() } else { "" };
            suites.push_str(&phone_suite(name, p, notes));
            tests += p.stages.len();
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"provscope\" \
         tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
    )
}

/// One phone's suite: a test case per stage, then the capture's notes.
fn phone_suite(capture: &str, p: &PhoneReport, notes: &str) -> String {
    let name = format!("{capture} {}", p.hostname.as_deref().unwrap_or(&p.id));
    let count = |st: Status| p.stages.iter().filter(|s| s.status == st).count();
    let mut out = format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
        xml(&name),
        p.stages.len(),
        count(Status::Fail),
        count(Status::NotSeen)
    );
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
            // The summary tells a stage never seen from one the capture
            // left undecided; the frames follow when there are any.
            Status::NotSeen if s.evidence.is_empty() => out.push_str(&format!(
                ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                xml(&s.summary)
            )),
            Status::NotSeen => out.push_str(&format!(
                ">\n      <skipped message=\"{}\">{}</skipped>\n    </testcase>\n",
                xml(&s.summary),
                xml(text.trim())
            )),
            Status::Fail => out.push_str(&format!(
                ">\n      <failure message=\"{}\">{}\nadvice: {}</failure>\n    </testcase>\n",
                xml(&s.summary),
                xml(text.trim()),
                xml(s.advice.as_deref().unwrap_or("-"))
            )),
        }
    }
    out.push_str(notes);
    out.push_str("  </testsuite>\n");
    out
}

/// A suite's system-out for what the capture says of itself: cut short
/// (partial report) and its warnings, one a line; empty when it says nothing.
fn capture_notes(c: &CaptureSummary) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !c.complete {
        lines.push("cut short: partial report".to_string());
    }
    lines.extend(c.warnings.iter().map(|w| format!("warning: {w}")));
    if lines.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = lines.iter().map(|l| xml(l)).collect();
    format!("    <system-out>{}</system-out>\n", lines.join("\n"))
}

/// Why a capture that was read shows no phone.
fn no_phone(c: &CaptureSummary) -> String {
    if c.frames == 0 {
        crate::analyze::NO_FRAMES.to_string()
    } else if c.unmatched_phones > 0 {
        "no phone shown: --phone matches none of the capture's phones".to_string()
    } else {
        "no phone found (no DHCP, DNS, TFTP, TLS or SIP of a phone)".to_string()
    }
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
