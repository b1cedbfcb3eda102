//! Renderers: the document of OUTPUT.md in each output format. No analysis
//! happens here; [`Document`] is built by the caller.

mod junit;
mod markdown;
mod redact;
pub mod summary;
mod table;

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

/// Renders `doc` (and, for `facts`, the facts of each capture).
pub fn render(
    doc: &Document,
    facts: &[(String, Vec<Fact>)],
    format: OutputFormat,
    opts: &RenderOptions,
) -> String {
    match format {
        OutputFormat::Table => table::render(doc, opts),
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
            s.push('\n');
            s
        }
        OutputFormat::Ndjson => {
            let mut s = String::new();
            for p in &doc.phones {
                s.push_str(&serde_json::to_string(p).unwrap_or_default());
                s.push('\n');
            }
            s
        }
        OutputFormat::Markdown => markdown::render(doc),
        OutputFormat::Junit => junit::render(doc),
        OutputFormat::Facts => render_facts(facts),
    }
}

/// One JSON line per fact, each naming its capture.
fn render_facts(facts: &[(String, Vec<Fact>)]) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        capture: &'a str,
        #[serde(flatten)]
        fact: &'a Fact,
    }
    let mut s = String::new();
    for (capture, list) in facts {
        for fact in list {
            s.push_str(&serde_json::to_string(&Line { capture, fact }).unwrap_or_default());
            s.push('\n');
        }
    }
    s
}

/// `#12` or `#12-15`.
pub fn frames(range: Option<(u64, u64)>) -> String {
    match range {
        Some((a, b)) if a == b => format!("#{a}"),
        Some((a, b)) => format!("#{a}-{b}"),
        None => String::new(),
    }
}

/// The file name of a capture path, for headings.
pub fn short_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}
