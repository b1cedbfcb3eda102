//! provscope: per-phone provisioning verdicts from packet captures.
//!
//! Data flows one way, each module knowing only the one below it:
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
