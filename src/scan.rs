//! `provscope scan`: every capture under some directories, analysed in
//! parallel (rayon, across files, one thread each: a capture gets the
//! analysis's second thread only when there are fewer captures than
//! threads), reported in path order so the output is the same whatever the
//! thread count.
//!
//! Files are picked by their magic bytes (pcap, pcapng, gzip), never by
//! name; symlinks are followed and loops reported, not walked. A file that
//! looks like a capture but cannot be read is reported and skipped.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::run::{run_path, CaptureResult, RunOptions};

/// What a scan found.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Analysed captures, in path order.
    pub captures: Vec<CaptureResult>,
    /// Files that looked like captures but could not be read: (path, error).
    pub failed: Vec<(String, String)>,
    /// Files skipped because their first bytes are not a capture's.
    pub not_captures: u64,
    /// Directory entries that could not be walked (loops, permissions).
    pub walk_errors: Vec<String>,
}

/// Walks `roots`, returning capture candidates (sorted) and walk problems.
pub fn find_captures(roots: &[PathBuf]) -> (Vec<PathBuf>, u64, Vec<String>) {
    let mut files = Vec::new();
    let mut skipped = 0;
    let mut errors = Vec::new();
    for root in roots {
        for entry in walkdir::WalkDir::new(root).follow_links(true) {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if has_capture_magic(e.path()) {
                        files.push(e.into_path());
                    } else {
                        skipped += 1;
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, skipped, errors)
}

/// pcap (either byte order, µs or ns), pcapng, or gzip.
pub fn has_capture_magic(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    let ok = File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok();
    ok && matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x0a, 0x0d, 0x0d, 0x0a]
            | [0x1f, 0x8b, _, _]
    )
}

/// Scans with `jobs` threads (0: one per core).
pub fn scan(roots: &[PathBuf], opts: &RunOptions, jobs: usize) -> ScanResult {
    let (files, not_captures, walk_errors) = find_captures(roots);
    let threads = match jobs {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    // Each thread has a capture of its own: no second thread inside one,
    // unless threads are left over.
    let mut opts = opts.clone();
    opts.analyze.worker_thread &= files.len() < threads;
    let opts = &opts;
    let bar = progress(files.len() as u64);
    let work = || {
        files
            .par_iter()
            .map(|path| {
                let r =
                    run_path(path, opts).map_err(|e| (path.display().to_string(), e.to_string()));
                if let Some(b) = &bar {
                    b.inc(1);
                }
                r
            })
            .collect::<Vec<_>>()
    };
    let results = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut out = ScanResult {
        not_captures,
        walk_errors,
        ..Default::default()
    };
    for r in results {
        match r {
            Ok(c) => out.captures.push(c),
            Err(e) => out.failed.push(e),
        }
    }
    out
}

fn progress(len: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() || len < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} captures {elapsed}");
    if let Ok(s) = style {
        bar.set_style(s);
    }
    Some(bar)
}
