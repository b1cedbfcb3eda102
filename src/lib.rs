//! provscope: per-phone provisioning verdicts from packet captures.
//!
//! Data flows one way, each stage taking what the one before it made:
//!
//! ```text
//! capture -> packet -> flow -> proto -> analyze (facts) -> phone -> verdict -> report
//! ```
//!
//! - [`capture`]: pcap / pcapng (gzip too) readers yielding frames.
//! - [`packet`]: link and network layers, fragment reassembly, early filter.
//! - [`flow`]: TCP reassembly and connection outcomes.
//! - [`proto`]: DHCP, DNS, TFTP, HTTP, TLS, SIP, NTP decoders.
//! - [`analyze`]: the driver: one pass over a capture, producing [`fact::Fact`]s.
//! - [`phone`]: who is a phone, its identity, the facts that belong to it.
//! - [`verdict`]: the twelve stages of the boot sequence, judged per phone.
//! - [`report`]: renderers (table, json, ndjson, markdown, junit, facts).
//! - [`check`] and [`scan`]: the CI check and the directory scan.
//! - [`run`]: one capture from path to judged phones (what `analyze`,
//!   `scan` and `check` share); [`fact`]: the facts' types; [`text`] and
//!   [`time`]: words, escaping and timestamps; [`logger`]: stderr lines;
//!   [`fuzzing`]: entry points for the fuzz targets.
//!
//! The rules the verdicts encode are `../shared/DOMAIN.md` and the output
//! contract `../shared/OUTPUT.md` (beside the checkout, as CI has them).

/// `eprintln!` that never panics: a line to stderr, written whole, its
/// error ignored (stderr piped into `head`, then closed, must not turn an
/// exit code of the README's table into a panic's 101).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        let line = format!("{}\n", format_args!($($arg)*));
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), line.as_bytes());
    }};
}

pub mod analyze;
pub mod capture;
pub mod check;
pub mod fact;
pub mod flow;
pub mod fuzzing;
pub mod logger;
pub mod packet;
pub mod phone;
pub mod proto;
pub mod report;
pub mod run;
pub mod scan;
pub mod text;
pub mod time;
pub mod verdict;
