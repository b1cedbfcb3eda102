//! Renderers: the document of OUTPUT.md in each output format. No analysis
//! happens here; [`Document`] is built by the caller.

mod junit;
mod markdown;
pub(crate) mod redact;
pub mod summary;
mod table;

use std::io::{self, Write};

use serde::Serialize;

use crate::analyze::CaptureSummary;
use crate::fact::Fact;
use crate::verdict::PhoneReport;

pub use redact::redact;

/// Version of the JSON output contract.
pub const VERSION: u32 = 1;

/// Output formats (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Ndjson,
    Markdown,
    Junit,
    Facts,
}

/// The whole report of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub version: u32,
    pub captures: Vec<CaptureSummary>,
    pub phones: Vec<PhoneReport>,
}

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
}

/// Renders `doc` (and, for `facts`, the facts of each capture) as text.
pub fn render(
    doc: &Document,
    facts: &[(String, Vec<Fact>)],
    format: OutputFormat,
    opts: &RenderOptions,
) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(&mut out, doc, facts, format, opts);
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders straight into `out`: the JSON formats are streamed, never held
/// whole in memory (a capture with a million facts makes a big document).
pub fn write(
    out: &mut dyn Write,
    doc: &Document,
    facts: &[(String, Vec<Fact>)],
    format: OutputFormat,
    opts: &RenderOptions,
) -> io::Result<()> {
    match format {
        OutputFormat::Table => out.write_all(table::render(doc, opts).as_bytes()),
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, doc)?;
            out.write_all(b"\n")
        }
        OutputFormat::Ndjson => {
            for p in &doc.phones {
                serde_json::to_writer(&mut *out, p)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        OutputFormat::Markdown => out.write_all(markdown::render(doc).as_bytes()),
        OutputFormat::Junit => out.write_all(junit::render(doc).as_bytes()),
        OutputFormat::Facts => write_facts(out, facts),
    }
}

/// One JSON line per fact, each naming its capture.
fn write_facts(out: &mut dyn Write, facts: &[(String, Vec<Fact>)]) -> io::Result<()> {
    #[derive(Serialize)]
    struct Line<'a> {
        capture: &'a str,
        #[serde(flatten)]
        fact: &'a Fact,
    }
    for (capture, list) in facts {
        for fact in list {
            serde_json::to_writer(&mut *out, &Line { capture, fact })?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// A phone that passed only because nothing was seen to its end: no stage
/// passed, warned or failed (every one `not_seen`: SYNs at a file's end, a
/// can't-tell). Its verdict stays `pass` (OUTPUT.md); counts say it apart.
pub fn nothing_decided(p: &PhoneReport) -> bool {
    p.stages
        .iter()
        .all(|s| s.status == crate::verdict::Status::NotSeen)
}

/// A stage of the chain seen begun but not to its end: `not_seen` with
/// evidence, and not one the capture's lost or cut bytes leave undecided
/// ("can't tell"), nor SIP inside TLS. NTP supports the chain (a lease without option 42 is
/// its evidence too): its row says it.
pub fn unfinished(s: &crate::verdict::StageResult) -> bool {
    s.status == crate::verdict::Status::NotSeen
        && s.stage != crate::verdict::Stage::Ntp
        && !s.evidence.is_empty()
        && !s.cannot_tell()
        && !s.inside_tls()
}

/// `#12` or `#12-15`.
pub fn frames(range: Option<(u64, u64)>) -> String {
    match range {
        Some((a, b)) if a == b => format!("#{a}"),
        Some((a, b)) => format!("#{a}-{b}"),
        None => String::new(),
    }
}

/// The file name of a capture path, for headings. Split on this system's
/// separators only: a backslash on Unix is part of a name (and of the
/// escapes `text::path_text` writes).
pub fn short_name(path: &str) -> &str {
    path.rsplit(std::path::is_separator).next().unwrap_or(path)
}

/// How a capture is named in a report: its file name, unless another
/// capture of `doc` has the same one (a scan of site1/x.pcap and
/// site2/x.pcap), then its whole path.
pub fn capture_name<'a>(doc: &Document, path: &'a str) -> &'a str {
    let short = short_name(path);
    let same = doc
        .captures
        .iter()
        .filter(|o| short_name(&o.path) == short)
        .count();
    if same > 1 {
        path
    } else {
        short
    }
}
