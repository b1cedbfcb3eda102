//! The `provscope` command: arguments, dispatch and exit codes only.
//!
//! Exit codes: 0 analysed and no phone failed; 1 analysed and a phone's
//! verdict is `fail` (or `warn` with `--fail-on warn`), or `check` found a
//! difference; 2 usage error or nothing could be analysed.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The error may quote a file name or an expectation's key.
            let text = format!("{e:#}");
            provscope::say!("provscope: error: {}", provscope::text::printable(&text));
            ExitCode::from(2)
        }
    }
}
