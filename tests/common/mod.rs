//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use provscope::fact::{Body, Fact};
use provscope::run::{run_path, CaptureResult, RunOptions};
use provscope::verdict::{PhoneReport, Stage, StageResult, Status};

/// The table's first PASS headline in `out` ("" when none).
pub fn pass_headline(out: &str) -> &str {
    out.lines()
        .find(|l| l.starts_with("PASS"))
        .unwrap_or_default()
}

/// A path under `../shared` (beside the checkout, in CI too).
pub fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

/// Runs the command line in the project's folder (NO_COLOR unset).
pub fn provscope_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_provscope"))
        .args(args)
        .current_dir(project(""))
        .env_remove("NO_COLOR")
        .output()
        .expect("provscope runs")
}

/// A path under the project.
pub fn project(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Reads the case's expected.json.
pub fn expected(case: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(shared(&format!("cases/{case}/expected.json")))
        .expect("expected.json readable");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Analyses and judges a capture with default options.
pub fn run(path: PathBuf) -> CaptureResult {
    run_path(&path, &RunOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Analyses a capture read as a stream, so in file order even when it steps
/// back in time: the frame numbers tshark gives it.
pub fn run_file_order(path: PathBuf) -> CaptureResult {
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = provscope::capture::CaptureReader::from_reader(Box::new(file))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.display().to_string();
    provscope::run::run_reader(reader, &name, &RunOptions::default())
}

/// Runs a shared case's capture.
pub fn case(name: &str) -> CaptureResult {
    let dir = shared(&format!("cases/{name}"));
    let file = std::fs::read_dir(&dir)
        .expect("case dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("capture."))
        })
        .expect("capture file");
    run(file)
}

/// The phone with this id (MAC or IP).
pub fn phone<'a>(r: &'a CaptureResult, id: &str) -> &'a PhoneReport {
    r.phones
        .iter()
        .find(|p| p.id == id || p.ips.iter().any(|i| i == id))
        .unwrap_or_else(|| {
            let ids: Vec<&str> = r.phones.iter().map(|p| p.id.as_str()).collect();
            panic!("no phone {id}; phones: {ids:?}")
        })
}

pub fn stage<'a>(p: &'a PhoneReport, id: &str) -> &'a StageResult {
    p.stage(Stage::from_id(id).expect("stage id"))
        .expect("all stages present")
}

pub fn status(p: &PhoneReport, id: &str) -> Status {
    stage(p, id).status
}

/// Every text of a stage: summary, advice, evidence.
pub fn texts(s: &StageResult) -> String {
    let mut t = format!("{} | {}", s.summary, s.advice.clone().unwrap_or_default());
    for e in &s.evidence {
        t.push_str(" | ");
        t.push_str(&e.text);
    }
    t
}

/// Every text of every stage of a phone.
pub fn all_texts(p: &PhoneReport) -> String {
    p.stages.iter().map(texts).collect::<Vec<_>>().join(" || ")
}

/// Facts of one protocol.
pub fn facts_of<'a>(r: &'a CaptureResult, proto: &str) -> Vec<&'a Fact> {
    r.facts.iter().filter(|f| f.proto() == proto).collect()
}

/// SIP messages in frame order.
pub fn sip(r: &CaptureResult) -> Vec<(&Fact, &provscope::proto::sip::SipMessage)> {
    r.facts
        .iter()
        .filter_map(|f| match &f.body {
            Body::Sip(m) => Some((f, &**m)),
            _ => None,
        })
        .collect()
}
