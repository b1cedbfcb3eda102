//! `provscope scan`: every capture under some directories, analysed in
//! parallel (rayon, across files, one thread each: a capture gets the
//! analysis's second thread only when there are fewer captures than
//! threads), reported in path order so the output is the same whatever the
//! thread count.
//!
//! Files are picked by their magic bytes (pcap, pcapng, gzip), never by
//! name; symlinks are followed and loops counted as skipped, not walked; a file
//! reached under several names (symlinks, hard links) is analysed once. A
//! file that looks like a capture but cannot be read is reported and skipped.

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
    /// Second names (symlinks, hard links) of captures analysed under another.
    pub aliases: u64,
    /// Symlinks back to a directory above them: skipped, not walked.
    pub loops: u64,
}

/// What the walk found: capture candidates (sorted), files skipped as not
/// captures, second names of captures, and files that could not be read
/// (path, reason). Each file counts once, however many roots reach it.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<PathBuf>,
    pub not_captures: u64,
    pub aliases: u64,
    pub loops: u64,
    pub unreadable: Vec<(String, String)>,
}

/// File names that promise a capture: one of them that is not a capture is
/// reported, other files are only counted.
fn named_like_a_capture(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase());
    let name = name.unwrap_or_default();
    [
        ".pcap",
        ".pcapng",
        ".cap",
        ".pcap.gz",
        ".pcapng.gz",
        ".ntar",
    ]
    .iter()
    .any(|e| name.ends_with(e))
        // Compressed the way provscope does not read: .pcap.xz, .pcapng.zst...
        // (not a file about a capture, such as .pcap.expected.json).
        || [".pcap.", ".pcapng.", ".cap."].iter().any(|e| {
            name.rsplit_once(e)
                .is_some_and(|(_, ext)| COMPRESSED.contains(&ext))
        })
}

/// Compressed-file extensions, read (gz) or not.
const COMPRESSED: [&str; 9] = ["gz", "xz", "zst", "bz2", "lz4", "lzma", "z", "zip", "7z"];

/// Why a file named like a capture is not one, as `analyze` would say it.
fn not_a_capture(path: &Path) -> String {
    match crate::capture::CaptureReader::open(path) {
        Err(e) => e.to_string(),
        Ok(_) => "not a pcap or pcapng capture (first bytes)".to_string(),
    }
}

/// Walks `roots` (following symlinks, reporting loops and dangling links).
pub fn find_captures(roots: &[PathBuf]) -> Found {
    let mut found = Found::default();
    // Files skipped as not captures, by their real path: overlapping roots
    // (`scan a a/b`) reach some twice.
    let mut others = std::collections::HashSet::new();
    // Non-captures named on the command line: said why, not counted again
    // when a directory given too holds them.
    let mut named = std::collections::HashSet::new();
    // Symlinks back to a directory above them, by the real path of the
    // directory holding the link: no capture, so skipped as other files are.
    let mut loops = std::collections::HashSet::new();
    for root in roots {
        for entry in walkdir::WalkDir::new(root).follow_links(true) {
            let e = match entry {
                Ok(e) => e,
                Err(err) if err.loop_ancestor().is_some() => {
                    let (path, why) = walk_error(&err);
                    log::info!("scan: {path}: {why}");
                    loops.insert(err.path().map(real_link_path));
                    continue;
                }
                Err(err) => {
                    found.unreadable.push(walk_error(&err));
                    continue;
                }
            };
            if e.file_type().is_dir() {
                continue;
            }
            if !e.file_type().is_file() {
                // A FIFO, socket or device: named, not read (it may block).
                let what = "not a regular file (a FIFO, socket or device): not read";
                found
                    .unreadable
                    .push((crate::text::path_text(e.path()), what.into()));
                continue;
            }
            match capture_magic(e.path()) {
                Ok(true) => found.files.push(e.into_path()),
                Ok(false) if named_like_a_capture(e.path()) => found
                    .unreadable
                    .push((crate::text::path_text(e.path()), not_a_capture(e.path()))),
                // A file named on the command line is said why, as `analyze`
                // would; one found in a directory is only counted.
                Ok(false) if e.depth() == 0 => {
                    named.insert(std::fs::canonicalize(e.path()).unwrap_or(e.path().into()));
                    let why = not_a_capture(e.path());
                    found
                        .unreadable
                        .push((crate::text::path_text(e.path()), why));
                }
                Ok(false) => {
                    others.insert(std::fs::canonicalize(e.path()).unwrap_or(e.into_path()));
                }
                Err(err) => found
                    .unreadable
                    .push((crate::text::path_text(e.path()), err.to_string())),
            }
        }
    }
    found.not_captures = others.difference(&named).count() as u64;
    found.loops = loops.len() as u64;
    found.files.sort();
    found.files.dedup();
    // A file found under several names (a symlink to it or to a directory
    // above it, a hard link) is one capture: analysed under a name reached
    // through no symlink (else the first in path order), the others
    // counted as second names.
    let mut order: Vec<(FileId, bool, PathBuf)> = (found.files.drain(..))
        .map(|f| (FileId::of(&f), through_link(&f), f))
        .collect();
    order.sort();
    let before = order.len();
    order.dedup_by(|later, first| later.0 == first.0);
    found.aliases = (before - order.len()) as u64;
    found.files = order.into_iter().map(|(_, _, f)| f).collect();
    found.files.sort();
    found.unreadable.sort();
    found.unreadable.dedup();
    found
}

/// What one file is, whatever its names: its device and inode (hard links
/// share them), else its canonical path.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum FileId {
    Inode(u64, u64),
    Path(PathBuf),
}

impl FileId {
    fn of(path: &Path) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(m) = std::fs::metadata(path) {
                return FileId::Inode(m.dev(), m.ino());
            }
        }
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// A symlink's path with the directories above it resolved (the link
/// itself not followed): one name for it whatever root reached it.
fn real_link_path(link: &Path) -> PathBuf {
    let dir = link.parent().and_then(|d| std::fs::canonicalize(d).ok());
    match (dir, link.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => link.to_path_buf(),
    }
}

/// Whether `path` or a directory above it is a symlink.
fn through_link(path: &Path) -> bool {
    path.ancestors().any(|a| {
        a.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    })
}

/// One readable line for a walk error.
fn walk_error(err: &walkdir::Error) -> (String, String) {
    let path = err
        .path()
        .map_or_else(|| "?".to_string(), crate::text::path_text);
    let why = if let Some(ancestor) = err.loop_ancestor() {
        format!(
            "symlink loop back to {}, not followed",
            crate::text::path_text(ancestor)
        )
    } else if let Some(io) = err.io_error() {
        let link = err.path().is_some_and(|p| p.symlink_metadata().is_ok());
        match io.kind() {
            std::io::ErrorKind::NotFound if link => "dangling symlink".to_string(),
            std::io::ErrorKind::NotFound if err.path().is_some_and(|p| p.as_os_str() == "-") => {
                "no such file or directory (scan reads directories and files, not stdin)"
                    .to_string()
            }
            std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
            _ => io.to_string(),
        }
    } else {
        err.to_string()
    };
    (path, why)
}

/// pcap (either byte order, µs or ns), pcapng, or gzip? Files shorter than
/// four bytes are not captures; files that cannot be opened are errors.
pub fn capture_magic(path: &Path) -> std::io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < 4 {
        match f.read(&mut magic[n..])? {
            0 => return Ok(false),
            k => n += k,
        }
    }
    if matches!(magic, [0x1f, 0x8b, _, _]) {
        // A gzip file is a capture by its inflated first bytes (a rotated
        // log is another file); one that does not inflate is reported.
        use crate::capture::{CaptureError, CaptureReader};
        return Ok(!matches!(
            CaptureReader::open_with(path, false),
            Err(CaptureError::UnsupportedFormat { .. } | CaptureError::Empty)
        ));
    }
    Ok(matches!(
        magic,
        [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x34, 0xcd, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xcd, 0x34]
            | [0x0a, 0x0d, 0x0d, 0x0a]
    ))
}

/// Most scan threads per core, whatever `--jobs` asks (captures on a slow
/// network share may want a few more threads than cores, not thousands).
const MAX_JOBS_PER_CORE: usize = 8;

/// Scans with `jobs` threads (0: one per core), at most one per capture.
pub fn scan(roots: &[PathBuf], opts: &RunOptions, jobs: usize) -> ScanResult {
    let Found {
        files,
        not_captures,
        aliases,
        loops,
        unreadable,
    } = find_captures(roots);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // More threads than captures (or than a few per core) only cost memory:
    // `--jobs 100000` must not start 100000 threads.
    let threads = match jobs {
        0 => cores,
        n => n.min(files.len().max(1)).min(cores * MAX_JOBS_PER_CORE),
    };
    // Each thread has a capture of its own: no second thread inside one,
    // unless threads are left over.
    let mut opts = opts.clone();
    opts.analyze.worker_thread &= files.len() < threads;
    opts.analyze.log_stop = false;
    let opts = &opts;
    let bar = progress(files.len() as u64);
    let work = || {
        files
            .par_iter()
            .map(|path| {
                let r = run_path(path, opts)
                    .map_err(|e| (crate::text::path_text(path), e.to_string()));
                if let Some(b) = &bar {
                    b.inc(1);
                }
                r
            })
            .collect::<Vec<_>>()
    };
    let results = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut out = ScanResult {
        not_captures,
        aliases,
        loops,
        failed: unreadable,
        ..Default::default()
    };
    for r in results {
        match r {
            Ok(c) => match c.summary.unreadable() {
                Some(why) => out.failed.push((c.summary.path.clone(), why)),
                None => out.captures.push(c),
            },
            Err(e) => out.failed.push(e),
        }
    }
    out.failed.sort();
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
