//! Every command writes its stdout through one path: a full disk
//! (`> /dev/full`) is exit 2 with one line on stderr, a reader that went
//! away (a closed pipe) ends the output silently, never a panic (tester133:
//! `check > /dev/full` panicked with "failed printing to stdout", exit 101).

use std::process::{Command, Stdio};

const CAPTURE: &str = "captures/healthy.pcap";
const EXPECT: &str = "captures/healthy.pcap.expected.json";
const FORMATS: [&str; 6] = ["table", "json", "ndjson", "markdown", "junit", "facts"];

fn invocations() -> Vec<Vec<&'static str>> {
    let mut out = vec![vec!["check", CAPTURE, "--expect", EXPECT]];
    for f in FORMATS {
        out.push(vec!["analyze", "-f", f, CAPTURE]);
        out.push(vec!["scan", "-f", f, CAPTURE]);
    }
    out
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_provscope"));
    c.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::piped());
    c
}

#[test]
fn a_full_disk_is_exit_2_with_a_line_on_stderr() {
    for args in invocations() {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let o = command(&args).stdout(full).output().expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("provscope: error: writing the report: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_closed_pipe_ends_the_output_silently() {
    for args in invocations() {
        let mut child = command(&args).stdout(Stdio::piped()).spawn().expect("runs");
        // The reader goes away before the report is written.
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("waits");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(101), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("writing the report"), "{args:?}: {err}");
    }
}
