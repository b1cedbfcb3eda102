//! Command-line arguments (clap) and the three commands: `analyze` (also the
//! default: `provscope CAPTURE`), `scan` and `check`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use provscope::analyze::NO_FRAMES;
use provscope::fact::Fact;
use provscope::report::{self, Document, OutputFormat, RenderOptions};
use provscope::run::{run_path, CaptureResult, RunOptions};
use provscope::text::path_text;
use provscope::verdict::Verdict;

#[derive(Parser)]
#[command(
    name = "provscope",
    version,
    about = "Per-phone provisioning verdicts from captures \
    of Cisco MPP phones (DHCP, DNS, TFTP, HTTP, TLS, SIP)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse capture files (pcap, pcapng, gzip; `-` is stdin).
    #[command(alias = "analyse")]
    Analyze(AnalyzeArgs),
    /// Analyse every capture under directories, in parallel.
    Scan(ScanArgs),
    /// Compare a capture's analysis with an expected verdict file (CI).
    Check(CheckArgs),
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Capture files.
    #[arg(required = true)]
    captures: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct ScanArgs {
    /// Directories (or files) to scan.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Worker threads (0: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    jobs: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct CheckArgs {
    /// The golden capture.
    capture: PathBuf,
    /// Expected verdicts: `analyze --format json` output, or a subset of it
    /// (`-`: read from stdin).
    #[arg(long)]
    expect: PathBuf,
    /// TCP port of the SBC.
    #[arg(long, default_value_t = 8934, value_parser = clap::value_parser!(u16).range(1..))]
    sbc_port: u16,
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Fail,
    Warn,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
struct Common {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// TCP port of the SBC (Webex Calling: 8934).
    #[arg(long, default_value_t = 8934, value_parser = clap::value_parser!(u16).range(1..))]
    sbc_port: u16,
    /// Only this phone (MAC in any notation, IP, or SEP host name).
    #[arg(long, value_parser = phone_selector)]
    phone: Option<String>,
    /// Exit 1 also when a phone's verdict is warn.
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    fail_on: FailOn,
    /// Replace MACs, public addresses, SIP user names and SEP names consistently;
    /// hide passwords in URLs.
    #[arg(long)]
    redact: bool,
    /// List every DHCP client, phone-like or not.
    #[arg(long)]
    all_dhcp_clients: bool,
    /// Colour: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// More messages on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Debug messages on stderr: what was skipped and why.
    #[arg(long)]
    debug: bool,
}

const COMMANDS: &[&str] = &[
    "analyze",
    "analyse",
    "scan",
    "check",
    "help",
    "-h",
    "--help",
    "-V",
    "--version",
];

/// Parses argv; `provscope CAPTURE ...` means `provscope analyze CAPTURE ...`.
pub fn parse() -> Cli {
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let word = |a: &std::ffi::OsString| a.to_str().is_some_and(|w| COMMANDS.contains(&w));
    // Flags before the subcommand (`provscope --debug scan DIR`): the
    // subcommand goes first, the flags follow it.
    let starts_with_flag = argv
        .get(1)
        .and_then(|a| a.to_str())
        .is_some_and(|a| a.starts_with('-') && !word(&a.into()));
    if starts_with_flag {
        if let Some(at) = argv.iter().skip(2).position(word).map(|i| i + 2) {
            let sub = argv.remove(at);
            argv.insert(1, sub);
        }
    }
    if argv.get(1).is_some_and(|f| !word(f)) {
        argv.insert(1, "analyze".into());
    }
    Cli::parse_from(argv)
}

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Analyze(a) => analyze(a),
        Command::Scan(s) => scan(s),
        Command::Check(c) => check(c),
    }
}

fn options(c: &Common) -> RunOptions {
    let level = match (c.debug, c.verbose) {
        (true, _) | (_, 2..) => log::LevelFilter::Debug,
        (_, 1) => log::LevelFilter::Info,
        _ => log::LevelFilter::Warn,
    };
    provscope::logger::init(level);
    let mut o = RunOptions {
        phone: c.phone.clone(),
        all_dhcp_clients: c.all_dhcp_clients,
        ..Default::default()
    };
    o.analyze.sbc_port = c.sbc_port;
    o
}

/// `--redact` rewrites names in text; the facts output holds raw decoded
/// bytes (chaddr, options, SIP headers) it cannot promise to catch.
fn redact_refused(c: &Common) -> bool {
    let refused = c.redact && c.format == OutputFormat::Facts;
    if refused {
        provscope::say!(
            "provscope: error: --redact does not apply to --format facts (raw decoded bytes \
             such as chaddr and DHCP options would keep the real values); redact the json \
             output instead"
        );
    }
    refused
}

/// What makes two names one file: its device and inode where the system
/// has them, else its canonical path (`-` and missing files as given).
fn file_key(path: &std::path::Path) -> (u64, u64, std::path::PathBuf) {
    #[cfg(unix)]
    if let Some(m) = std::fs::metadata(path)
        .ok()
        .filter(|_| path.as_os_str() != "-")
    {
        use std::os::unix::fs::MetadataExt;
        return (m.dev(), m.ino(), std::path::PathBuf::new());
    }
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    (0, 0, canonical)
}

fn analyze(a: AnalyzeArgs) -> anyhow::Result<u8> {
    if redact_refused(&a.common) {
        return Ok(2);
    }
    let opts = options(&a.common);
    let mut results = Vec::new();
    let mut seen = std::collections::HashMap::new();
    // A named path that does not exist is a usage error (exit 2) even when
    // the others were analysed: a CI job with a wrong path must not pass. A
    // file that exists but could not be read is reported (stderr, and in
    // the JSON's captures as a scan lists it) and the exit code follows the
    // phones of the others (OUTPUT.md: 2 only when nothing was analysed).
    let mut missing = 0usize;
    let mut not_read: Vec<(String, String)> = Vec::new();
    for path in &a.captures {
        // The same file twice (also through a symlink or a hard link) would
        // list its phones twice under each name: analysed under the first.
        if let Some(first) = seen.insert(file_key(path), path.clone()) {
            seen.insert(file_key(path), first.clone());
            provscope::say!(
                "provscope: warning: {}: the same file as {}, analysed once, under that name",
                path_text(path),
                path_text(&first)
            );
            continue;
        }
        let why = match run_path(path, &opts) {
            Ok(r) => match r.summary.unreadable() {
                // Read, but nothing in it could be analysed.
                Some(why) => why,
                None => {
                    results.push(r);
                    continue;
                }
            },
            // One line naming the file; the other captures are still analysed.
            Err(e) => {
                // (A path in a directory it may not read is not missing.)
                missing += usize::from(path.to_str() != Some("-") && absent(path));
                format!("{e}{}", hint(path))
            }
        };
        provscope::say!("provscope: error: {}: {why}", path_text(path));
        not_read.push((path_text(path), why));
    }
    if results.is_empty() {
        // Still a whole document of no phones (the JSON, JUnit and Markdown
        // list what could not be read), so a script reading it can.
        write_report(&a.common, Vec::new(), None, &not_read)?;
        return Ok(2);
    }
    let code = emit(&a.common, results, None, &not_read)?;
    if missing > 0 {
        let (n, what) = provscope::text::agree(missing as u64, "path", "paths");
        provscope::say!("provscope: error: {n} named {what} not found: exit 2");
        return Ok(2);
    }
    if !not_read.is_empty() && code != 2 {
        let (n, what) = provscope::text::agree(not_read.len() as u64, "capture", "captures");
        provscope::say!(
            "provscope: {n} named {what} could not be read; the exit code follows the phones of \
             the others"
        );
    }
    Ok(code)
}

/// A named path that does not exist (not one that cannot be looked at).
fn absent(path: &std::path::Path) -> bool {
    matches!(path.try_exists(), Ok(false))
}

/// A `--phone` value: an IP address, a MAC (12 hex digits in any notation)
/// or a host name; a value of digits and dots, or with colons, that is
/// neither address is a typo (exit 2), not a phone to look for.
fn phone_selector(v: &str) -> Result<String, String> {
    let v = v.trim();
    let hex: String = v
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    let mac = hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit());
    let ip = v.parse::<std::net::IpAddr>().is_ok();
    let numeric = v.chars().all(|c| c.is_ascii_digit() || c == '.');
    let name = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
    match (mac || ip, numeric || v.contains(':'), name && !v.is_empty()) {
        (true, _, _) | (false, false, true) => Ok(v.to_string()),
        _ => Err(format!(
            "'{v}' is no IP address, MAC (12 hex digits) or host name"
        )),
    }
}

/// Does fact `f` concern phone `p`: sent from or to one of its addresses, or
/// a DHCP message about its MAC?
fn concerns(p: &provscope::verdict::PhoneReport, f: &provscope::fact::Fact) -> bool {
    let ip = |a: std::net::IpAddr| p.ips.iter().any(|i| i.parse() == Ok(a));
    let dhcp = match &f.body {
        provscope::fact::Body::Dhcp(m) => {
            p.mac.as_deref() == Some(provscope::packet::mac_string(&m.chaddr).as_str())
        }
        _ => false,
    };
    dhcp || ip(f.src_ip()) || ip(f.dst_ip())
}

/// A missing "capture" that is an output format's name was meant as one.
fn hint(path: &std::path::Path) -> String {
    let name = path.to_string_lossy();
    let format = OutputFormat::value_variants()
        .iter()
        .filter_map(|f| f.to_possible_value())
        .find(|v| v.get_name() == name);
    match format {
        Some(v) if !path.exists() => format!(" (for that output, say --format {})", v.get_name()),
        _ if path.is_dir() => {
            " (a directory: `provscope scan` reads every capture under it)".into()
        }
        _ => String::new(),
    }
}

/// Largest expectation file `check` reads.
const MAX_EXPECTATION_BYTES: usize = 16 << 20;

fn scan(s: ScanArgs) -> anyhow::Result<u8> {
    if redact_refused(&s.common) {
        return Ok(2);
    }
    let opts = options(&s.common);
    let found = provscope::scan::scan(&s.dirs, &opts, s.jobs);
    // Captures that stopped early, in path order (the analysis threads do
    // not say it as it happens in a scan), then the files not read.
    for c in &found.captures {
        if let Some(stop) = &c.summary.stopped {
            provscope::say!("provscope: warning: {}: {stop}", c.summary.path);
        }
    }
    for (path, err) in &found.failed {
        provscope::say!("provscope: error: {path}: {err} (skipped)");
    }
    let skipped = report::summary::Skipped {
        failed: &found.failed,
        not_captures: found.not_captures,
        aliases: found.aliases,
        loops: found.loops,
    };
    // The table's summary line says it; the other formats have no place.
    let others = skipped.others();
    if s.common.format != OutputFormat::Table && !others.is_empty() {
        provscope::say!("provscope: note: {others}");
    }
    if found.captures.is_empty() {
        provscope::say!("provscope: error: no readable capture under the given paths");
        // Still a whole document of no phones, listing what was not read.
        write_report(&s.common, Vec::new(), Some(&skipped), skipped.failed)?;
        return Ok(2);
    }
    let code = emit(&s.common, found.captures, Some(&skipped), skipped.failed)?;
    // A named path that does not exist is a usage error, as for analyze.
    let missing = (s.dirs.iter())
        .filter(|p| p.to_str() != Some("-") && absent(p))
        .count();
    if missing > 0 {
        let (n, what) = provscope::text::agree(missing as u64, "path", "paths");
        provscope::say!("provscope: error: {n} named {what} not found: exit 2");
        return Ok(2);
    }
    Ok(code)
}

/// Formats whose document lists the files that could not be read, each
/// as a capture entry with no format (JUnit: a test in error).
fn lists_not_read(f: OutputFormat) -> bool {
    matches!(
        f,
        OutputFormat::Json | OutputFormat::Junit | OutputFormat::Markdown
    )
}

/// Renders the results and returns the exit code their verdicts call for.
/// A capture of no frames is said, and is no error: OUTPUT.md keeps a file
/// cut short (before its first frame too) out of exit code 2.
/// `not_read`: the files that could not be read, listed after the others.
fn emit(
    c: &Common,
    results: Vec<CaptureResult>,
    scan: Option<&report::summary::Skipped<'_>>,
    not_read: &[(String, String)],
) -> anyhow::Result<u8> {
    for r in results.iter().filter(|r| r.summary.frames == 0) {
        provscope::say!("provscope: warning: {}: {NO_FRAMES}", r.summary.path);
    }
    let (doc, facts) = write_report(c, results, scan, not_read)?;
    // The table of a scan says under its totals when files of one rotating
    // capture count a phone more than once; the other formats on stderr.
    if scan.is_some() && c.format != OutputFormat::Table {
        for note in report::summary::rotation_notes(&doc) {
            let note = match c.redact {
                true => report::redact(&note, &doc, &facts),
                false => note,
            };
            provscope::say!("provscope: note: {note}");
        }
    }
    // A selection that matches nothing analysed nothing: a CI job with a
    // mistyped phone must not pass (exit 2).
    if let (true, Some(want)) = (doc.phones.is_empty(), &c.phone) {
        provscope::say!("provscope: error: no phone matches --phone {want}: exit 2");
        return Ok(2);
    } else if doc.phones.is_empty() && c.format == OutputFormat::Table {
        provscope::say!(
            "provscope: no phone found; --debug shows what was skipped, \
             --all-dhcp-clients lists every DHCP client"
        );
    }
    let failing =
        |v: Verdict| v == Verdict::Fail || (c.fail_on == FailOn::Warn && v == Verdict::Warn);
    Ok(u8::from(doc.phones.iter().any(|p| failing(p.verdict))))
}

/// The facts kept of each capture, by its path.
type FactsByCapture = Vec<(String, Vec<Fact>)>;

/// Renders the results in the chosen format and returns their document
/// (a whole one, also of no captures) with the facts kept for `facts` and
/// `--redact`. `not_read`: the files that could not be read, listed after
/// the captures that were where the format can.
fn write_report(
    c: &Common,
    results: Vec<CaptureResult>,
    scan: Option<&report::summary::Skipped<'_>>,
    not_read: &[(String, String)],
) -> anyhow::Result<(Document, FactsByCapture)> {
    // Facts are only printed by `facts` and read by `--redact`; else freed now.
    let keep_facts = c.format == OutputFormat::Facts || c.redact;
    let mut doc = Document {
        version: report::VERSION,
        captures: Vec::new(),
        phones: Vec::new(),
    };
    let mut facts: Vec<(String, Vec<_>)> = Vec::new();
    let mut unused = Vec::new();
    for r in results {
        if keep_facts {
            let mut kept = r.facts;
            // `--phone`: only the facts of the phones shown (their addresses,
            // their DHCP by chaddr).
            if c.phone.is_some() {
                kept.retain(|f| r.phones.iter().any(|p| concerns(p, f)));
            }
            facts.push((r.summary.path.clone(), kept));
        } else {
            unused.push(r.facts);
        }
        doc.captures.push(r.summary);
        doc.phones.extend(r.phones);
    }
    // The files that could not be read are listed too (OUTPUT.md: a scan
    // that skipped files reports them), after the ones that were.
    if lists_not_read(c.format) {
        let not_read =
            (not_read.iter()).map(|(p, why)| provscope::analyze::CaptureSummary::not_read(p, why));
        doc.captures.extend(not_read);
    }
    // Freeing a big capture's facts (hundreds of thousands of small blocks)
    // takes longer than rendering the report, and this process ends right
    // after it: the system takes the memory back at once.
    std::mem::forget(unused);
    let color = match c.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            // no-color.org: NO_COLOR set to a non-empty string.
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let started = std::time::Instant::now();
    let opts = RenderOptions { color };
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let written = match (scan, c.format) {
        (Some(skipped), OutputFormat::Table) => {
            let text = report::summary::render(&doc, skipped, opts.color);
            match c.redact {
                true => out.write_all(report::redact(&text, &doc, &facts).as_bytes()),
                false => out.write_all(text.as_bytes()),
            }
        }
        // Redaction rewrites the whole text, so it is rendered first.
        _ if c.redact => {
            let text = report::render(&doc, &facts, c.format, &opts);
            out.write_all(report::redact(&text, &doc, &facts).as_bytes())
        }
        _ => report::write(&mut out, &doc, &facts, c.format, &opts),
    };
    written_out(written.and_then(|_| out.flush()))?;
    log::debug!(
        "report: written in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    Ok((doc, facts))
}

/// What became of a write to stdout: a reader that went away (a closed
/// pipe, `| head`) is no error and ends the output silently; any other
/// failure (a full disk, `> /dev/full`) is exit 2 with a line on stderr.
/// Every command writes its stdout through here (no `print!`).
fn written_out(written: std::io::Result<()>) -> anyhow::Result<()> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing the report")
        }
        _ => Ok(()),
    }
}

/// Writes `text` whole to stdout, as the report writer does.
fn print_out(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    written_out(out.write_all(text.as_bytes()).and_then(|_| out.flush()))
}

fn check(c: CheckArgs) -> anyhow::Result<u8> {
    provscope::logger::init(if c.verbose {
        log::LevelFilter::Info
    } else {
        log::LevelFilter::Warn
    });
    let mut opts = RunOptions::default();
    opts.analyze.sbc_port = c.sbc_port;
    // `-`: the expectation on stdin (the capture is then a file).
    let from_stdin = c.expect.as_os_str() == "-";
    if from_stdin && c.capture.as_os_str() == "-" {
        anyhow::bail!("the capture and the expectation cannot both be read from stdin");
    }
    let expect_text = match from_stdin {
        true => std::io::read_to_string(std::io::stdin()),
        false => std::fs::read_to_string(&c.expect),
    }
    .with_context(|| format!("{}: cannot read the expectation", path_text(&c.expect)))?;
    // An expectation is a golden file of a few kB; parsed JSON takes some
    // fifty times its size in memory, so a huge one is refused, not read.
    if expect_text.len() > MAX_EXPECTATION_BYTES {
        anyhow::bail!(
            "{}: bad expectation: {} bytes, more than the {} MiB an expectation may have",
            path_text(&c.expect),
            expect_text.len(),
            MAX_EXPECTATION_BYTES >> 20
        );
    }
    // A byte-order mark (some Windows editors write one) is no JSON but harmless.
    let expect_text = expect_text.strip_prefix('\u{feff}').unwrap_or(&expect_text);
    // An `--format ndjson` output (one phone object per line) is no document.
    let first_line = expect_text.lines().next().unwrap_or("");
    let phone_line = serde_json::from_str::<serde_json::Value>(first_line)
        .is_ok_and(|v| v.get("stages").is_some() && v.get("phones").is_none());
    if phone_line {
        anyhow::bail!(
            "{}: bad expectation: its lines are phone objects, as `--format ndjson` writes \
             them; an expectation is the document `--format json` writes (or a part of it)",
            path_text(&c.expect)
        );
    }
    let expected: serde_json::Value = serde_json::from_str(expect_text)
        .with_context(|| format!("{}: not JSON", path_text(&c.expect)))?;
    if let Some(key) = provscope::check::repeated_key(expect_text) {
        anyhow::bail!(
            "{}: bad expectation: key {key} is given twice in one object (JSON keeps only one \
             of the two values; say it once)",
            path_text(&c.expect)
        );
    }
    let result = run_path(&c.capture, &opts)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path_text(&c.capture)))?;
    // Nothing analysed is no verdict to compare: an error, as for `analyze`
    // (a damaged or empty golden capture must not pass an expectation of
    // no phones).
    if let Some(why) = result.summary.unreadable() {
        anyhow::bail!("{}: {why}", path_text(&c.capture));
    }
    if result.summary.frames == 0 {
        provscope::say!("provscope: warning: {}: {NO_FRAMES}", path_text(&c.capture));
    }
    let doc = Document {
        version: report::VERSION,
        captures: vec![result.summary],
        phones: result.phones,
    };
    let actual = serde_json::to_value(&doc).context("serialising the analysis")?;
    let diffs =
        provscope::check::compare(&expected, &actual).with_context(|| path_text(&c.expect))?;
    if diffs.is_empty() {
        let n = doc.phones.len();
        let phones = if n == 1 {
            "1 phone".to_string()
        } else {
            format!("{n} phones")
        };
        let capture = path_text(&c.capture);
        print_out(&format!(
            "{capture}: matches {} ({phones})\n",
            path_text(&c.expect)
        ))?;
        return Ok(0);
    }
    let mut text = format!(
        "{}: {} from {}\n",
        path_text(&c.capture),
        provscope::text::plural(diffs.len(), "difference", "differences"),
        path_text(&c.expect)
    );
    for d in &diffs {
        text.push_str(&format!("  {}\n", provscope::text::printable(&d.0)));
    }
    print_out(&text)?;
    Ok(1)
}
