//! Entry points shared by the fuzz targets (`fuzz/`) and the regression
//! tests that replay their findings (`tests/fuzz_regressions.rs`): each takes
//! arbitrary bytes and must return without panicking, in bounded time.

use std::io::Cursor;

use crate::capture::CaptureReader;
use crate::proto::{dhcp, dns, http, sip, tftp, tls};
use crate::run::{run_reader, RunOptions};

/// A fuzz target: feeds arbitrary bytes to one decoder (or the pipeline).
pub type Target = fn(&[u8]);

/// The fuzz targets, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("dhcp", fuzz_dhcp),
    ("dns", fuzz_dns),
    ("tftp", fuzz_tftp),
    ("http", fuzz_http),
    ("tls", fuzz_tls),
    ("sip", fuzz_sip),
    ("capture", fuzz_capture),
    ("pipeline", fuzz_pipeline),
];

pub fn fuzz_dhcp(data: &[u8]) {
    if let Ok(m) = dhcp::parse(data) {
        let _ = m.provisioning_options();
        let _ = (
            m.tftp_servers(),
            m.vendor_specific(),
            m.vivso(),
            m.hostname(),
        );
    }
}

pub fn fuzz_dns(data: &[u8]) {
    let _ = dns::parse(data);
    let mut s = dns::DnsTcpStream::default();
    for chunk in data.chunks(7) {
        for m in s.push(chunk) {
            let _ = dns::parse(&m);
        }
    }
}

pub fn fuzz_tftp(data: &[u8]) {
    let _ = tftp::parse(data);
}

pub fn fuzz_http(data: &[u8]) {
    let _ = http::looks_like_http(data);
    let mut s = http::HttpStream::default();
    let cut = data.first().map_or(1, |b| usize::from(*b % 16) + 1);
    for chunk in data.chunks(cut) {
        let _ = s.push(chunk);
    }
}

pub fn fuzz_tls(data: &[u8]) {
    let _ = tls::looks_like_tls(data);
    let mut s = tls::TlsStream::default();
    let cut = data.first().map_or(1, |b| usize::from(*b % 32) + 1);
    for (i, chunk) in data.chunks(cut).enumerate() {
        let _ = s.push(i as u64, chunk);
    }
}

pub fn fuzz_sip(data: &[u8]) {
    let _ = sip::looks_like_sip(data);
    let _ = sip::parse_datagram(data);
    let mut s = sip::SipStream::default();
    let cut = data.first().map_or(1, |b| usize::from(*b % 64) + 1);
    for (i, chunk) in data.chunks(cut).enumerate() {
        let _ = s.push(i as u64, chunk);
    }
}

/// The readers alone: every frame until the end or the first error.
pub fn fuzz_capture(data: &[u8]) {
    let Ok(mut r) = CaptureReader::from_reader(Box::new(Cursor::new(data.to_vec()))) else {
        return;
    };
    let mut n = 0u64;
    while let Ok(Some(f)) = r.next_frame() {
        n += f.data.len() as u64;
    }
    let _ = (n, r.warnings());
}

/// The whole pipeline on a (mutated) capture file, through every renderer.
pub fn fuzz_pipeline(data: &[u8]) {
    let Ok(r) = CaptureReader::from_reader(Box::new(Cursor::new(data.to_vec()))) else {
        return;
    };
    let result = run_reader(r, "fuzz", &RunOptions::default());
    let doc = crate::report::Document {
        version: crate::report::VERSION,
        captures: vec![result.summary],
        phones: result.phones,
    };
    let facts = vec![("fuzz".to_string(), result.facts)];
    for f in [
        crate::report::OutputFormat::Table,
        crate::report::OutputFormat::Json,
        crate::report::OutputFormat::Junit,
        crate::report::OutputFormat::Markdown,
        crate::report::OutputFormat::Facts,
    ] {
        let text = crate::report::render(&doc, &facts, f, &Default::default());
        let _ = crate::report::redact(&text, &doc, &facts);
    }
}
