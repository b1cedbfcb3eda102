//! One capture, end to end: read, analyse, correlate, judge. Used by
//! `analyze`, `scan` and `check` alike.

use std::path::Path;

use crate::analyze::{self, Analysis, CaptureSummary, Options};
use crate::capture::{CaptureError, CaptureReader};
use crate::fact::Fact;
use crate::verdict::{self, JudgeOptions, PhoneReport};

/// Knobs of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub analyze: Options,
    pub all_dhcp_clients: bool,
    /// Keep only the phone with this MAC, IP or id.
    pub phone: Option<String>,
}

/// Everything known about one capture.
#[derive(Clone, Debug)]
pub struct CaptureResult {
    pub summary: CaptureSummary,
    pub phones: Vec<PhoneReport>,
    pub facts: Vec<Fact>,
}

/// Reads and judges the capture at `path` (`-` is stdin).
pub fn run_path(path: &Path, opts: &RunOptions) -> Result<CaptureResult, CaptureError> {
    let reader = CaptureReader::open_with(path, opts.analyze.worker_thread)?;
    Ok(run_reader(reader, &crate::text::path_text(path), opts))
}

/// Judges an opened capture.
pub fn run_reader(reader: CaptureReader, name: &str, opts: &RunOptions) -> CaptureResult {
    let started = std::time::Instant::now();
    let Analysis { mut capture, facts } = analyze::analyze_reader(reader, name, &opts.analyze);
    let walked = started.elapsed();
    let analysis = Analysis {
        capture: capture.clone(),
        facts,
    };
    let jopts = JudgeOptions {
        sbc_port: opts.analyze.sbc_port,
        all_dhcp_clients: opts.all_dhcp_clients,
    };
    let (mut phones, warnings) = verdict::judge_capture(&analysis, &jopts);
    log::info!(
        "{name}: {} frames, {} facts; walk {:.3} s, correlation and verdicts {:.3} s",
        capture.frames,
        analysis.facts.len(),
        walked.as_secs_f64(),
        (started.elapsed() - walked).as_secs_f64()
    );
    capture.warnings.extend(warnings);
    if let Some(want) = &opts.phone {
        let all: Vec<String> = phones.iter().map(|p| p.id.clone()).collect();
        phones.retain(|p| matches_phone(p, want));
        if phones.is_empty() && !all.is_empty() {
            let more = all.len().saturating_sub(5);
            let mut ids = all.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            if more > 0 {
                ids.push_str(&format!(" and {more} more"));
            }
            capture.unmatched_phones = all.len();
            capture.warnings.push(format!(
                "--phone {want} matches no phone of this capture, which holds {}: {ids}",
                crate::text::plural(all.len(), "phone", "phones")
            ));
        }
    }
    CaptureResult {
        summary: capture,
        phones,
        facts: analysis.facts,
    }
}

/// Does `want` (a MAC in any common notation, an IP or an id) name this phone?
pub fn matches_phone(p: &PhoneReport, want: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '.', ':'], "");
    let w = want.trim().to_ascii_lowercase();
    p.id == w
        || p.ips.contains(&w)
        || p.mac.as_deref().is_some_and(|m| norm(m) == norm(&w))
        || p.hostname
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&w))
}
