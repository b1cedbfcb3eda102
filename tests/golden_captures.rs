//! Every real-peer capture in `captures/` gives the verdicts its
//! `.expected.json` holds, through `provscope check` as CI runs it (so the
//! README's test command covers them too), and a changed expectation is
//! caught.

mod common;

use std::process::Command;

use common::project;

fn check(capture: &std::path::Path, expect: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_provscope"))
        .arg("check")
        .arg(capture)
        .arg("--expect")
        .arg(expect)
        .output()
        .expect("provscope runs")
}

fn golden() -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let mut out: Vec<_> = std::fs::read_dir(project("captures"))
        .expect("captures/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p
                .file_name()?
                .to_str()?
                .strip_suffix(".expected.json")?
                .to_string();
            Some((p.with_file_name(name), p))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_golden_capture_matches_its_expectation() {
    let all = golden();
    assert!(all.len() >= 20, "only {} golden captures", all.len());
    let mut failed = Vec::new();
    for (capture, expect) in &all {
        let out = check(capture, expect);
        if out.status.code() != Some(0) {
            failed.push(format!(
                "{}: {}",
                capture.display(),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn a_wrong_expectation_is_reported() {
    let (capture, expect) = golden().into_iter().next().expect("a golden capture");
    let text = std::fs::read_to_string(&expect).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let verdict = &mut value["phones"][0]["verdict"];
    let flipped = if verdict == "pass" { "fail" } else { "pass" };
    *verdict = flipped.into();
    let dir = tempfile::tempdir().unwrap();
    let wrong = dir.path().join("wrong.expected.json");
    std::fs::write(&wrong, value.to_string()).unwrap();
    let out = check(&capture, &wrong);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("verdict"));
}
