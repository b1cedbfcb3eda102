//! One capture, end to end: read, analyse, correlate, judge. Used by
//! `analyze`, `scan` and `check` alike.

use std::path::Path;

use crate::analyze::{self, Analysis, CaptureSummary, Options};
use crate::capture::{CaptureError, CaptureReader};
use crate::fact::Fact;
use crate::verdict::{self, JudgeOptions, PhoneReport};

/// Knobs of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub analyze: Options,
    pub all_dhcp_clients: bool,
    /// Keep only the phone with this MAC, IP or id.
    pub phone: Option<String>,
}

/// Everything known about one capture.
#[derive(Clone, Debug)]
pub struct CaptureResult {
    pub summary: CaptureSummary,
    pub phones: Vec<PhoneReport>,
    pub facts: Vec<Fact>,
}

/// Reads and judges the capture at `path` (`-` is stdin).
pub fn run_path(path: &Path, opts: &RunOptions) -> Result<CaptureResult, CaptureError> {
    let reader = CaptureReader::open(path)?;
    Ok(run_reader(reader, &crate::text::path_text(path), opts))
}

/// Judges an opened capture.
pub fn run_reader(reader: CaptureReader, name: &str, opts: &RunOptions) -> CaptureResult {
    let started = std::time::Instant::now();
    let Analysis { mut capture, facts } = analyze::analyze_reader(reader, name, &opts.analyze);
    let walked = started.elapsed();
    let analysis = Analysis {
        capture: capture.clone(),
        facts,
    };
    let jopts = JudgeOptions {
        sbc_port: opts.analyze.sbc_port,
        all_dhcp_clients: opts.all_dhcp_clients,
    };
    let (mut phones, warnings) = verdict::judge_capture(&analysis, &jopts);
    log::info!(
        "{name}: {} frames, {} facts; walk {:.3} s, correlation and verdicts {:.3} s",
        capture.frames,
        analysis.facts.len(),
        walked.as_secs_f64(),
        (started.elapsed() - walked).as_secs_f64()
    );
    capture.warnings.extend(warnings);
    if capture.frames == 0 {
        capture.warnings.insert(0, analyze::NO_FRAMES.to_string());
    }
    if let (true, Some(hint)) = (phones.is_empty(), sips_hint(&analysis.facts, &jopts)) {
        capture.warnings.push(hint);
    }
    if let Some(want) = &opts.phone {
        let all: Vec<String> = phones.iter().map(|p| p.id.clone()).collect();
        let (kept, others): (Vec<_>, Vec<_>) =
            phones.into_iter().partition(|p| matches_phone(p, want));
        phones = kept;
        let inside = match phones.is_empty() {
            true => nat_holder(&capture.warnings, want, &all),
            false => None,
        };
        let left_out = match phones.is_empty() {
            true => 0,
            false => others_warnings(&mut capture.warnings, &phones, &others),
        };
        if left_out > 0 {
            capture.warnings.push(format!(
                "{} about phones not shown left out (--phone {want})",
                crate::text::plural(left_out, "warning", "warnings")
            ));
        }
        if phones.is_empty() && !all.is_empty() {
            let more = all.len().saturating_sub(5);
            let mut ids = all.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            if more > 0 {
                ids.push_str(&format!(" and {more} more"));
            }
            capture.unmatched_phones = all.len();
            capture.warnings.push(format!(
                "--phone {want} matches no phone of this capture, which holds {}: {ids}{}",
                crate::text::plural(all.len(), "phone", "phones"),
                inside.map_or(String::new(), |id| format!(
                    "; {want} is named inside {id}'s traffic (behind NAT or a proxy): \
                     try --phone {id}"
                ))
            ));
        }
    }
    CaptureResult {
        summary: capture,
        phones,
        facts: analysis.facts,
    }
}

/// The SIPS port (RFC 3261 26.2: SIP over TLS).
const SIPS_PORT: u16 = 5061;

/// No phone found, but TLS sessions opened to the SIPS port: a phone
/// registering to an SBC on 5061 without DNS or SNI that would name it
/// (tester132: baresip over TLS to 5061). 5061 is not an SBC port by
/// default: Webex Calling's SBC listens on 8934 (DOMAIN.md), and a 5061
/// target from an SRV record is judged as the SBC already; any other TLS on
/// 5061 (a softphone on a PC) would become a phone of its own.
fn sips_hint(facts: &[crate::fact::Fact], opts: &JudgeOptions) -> Option<String> {
    use crate::fact::Body;
    use crate::proto::tls::TlsEvent;
    if opts.sbc_port == SIPS_PORT {
        return None;
    }
    let hellos: Vec<&crate::fact::Fact> = (facts.iter())
        .filter(|f| f.dst.port() == SIPS_PORT)
        .filter(|f| {
            matches!(
                &f.body,
                Body::Tls {
                    from_client: true,
                    event: TlsEvent::ClientHello { .. },
                    ..
                }
            )
        })
        .collect();
    let first = hellos.first()?;
    Some(format!(
        "no phone found, but {} to port {SIPS_PORT} (SIPS), the first {} -> {} (#{}): \
         for a phone registering to an SBC on that port, run again with --sbc-port {SIPS_PORT}",
        crate::text::plural(
            hellos.len(),
            "TLS ClientHello went",
            "TLS ClientHellos went"
        ),
        first.src,
        first.dst,
        first.frame
    ))
}

/// Removes the warnings that name a host of `others` (a MAC or an address)
/// and none of `shown`; returns how many.
fn others_warnings(
    warnings: &mut Vec<String>,
    shown: &[PhoneReport],
    others: &[PhoneReport],
) -> usize {
    use crate::report::redact::{addresses_in, macs_in, parse_mac};
    use std::net::IpAddr;
    let hosts = |phones: &[PhoneReport]| -> (Vec<[u8; 6]>, Vec<IpAddr>) {
        let macs = phones
            .iter()
            .filter_map(|p| p.mac.as_deref().and_then(parse_mac));
        let ips = phones
            .iter()
            .flat_map(|p| p.ips.iter().filter_map(|i| i.parse().ok()));
        (macs.collect(), ips.collect())
    };
    let (shown_macs, shown_ips) = hosts(shown);
    let (other_macs, other_ips) = hosts(others);
    let before = warnings.len();
    warnings.retain(|w| {
        let (macs, ips) = (macs_in(w), addresses_in(w));
        let names_shown = macs.iter().any(|m| shown_macs.contains(m))
            || ips.iter().any(|i| shown_ips.contains(i));
        let names_other = macs.iter().any(|m| other_macs.contains(m))
            || ips.iter().any(|i| other_ips.contains(i));
        names_shown || !names_other
    });
    before - warnings.len()
}

/// The phone whose warning names `want` (a MAC or an address) inside its
/// traffic (a User-Agent or Via behind NAT): the warning starts with its id.
fn nat_holder(warnings: &[String], want: &str, ids: &[String]) -> Option<String> {
    use crate::report::redact::{addresses_in, macs_in, parse_mac};
    let hex: String = want.chars().filter(char::is_ascii_hexdigit).collect();
    let pairs: Vec<&str> = (0..6).filter_map(|i| hex.get(i * 2..i * 2 + 2)).collect();
    let mac = parse_mac(&pairs.join(":")).filter(|_| hex.len() == 12 && want.len() >= 12);
    let ip: Option<std::net::IpAddr> = want.trim().parse().ok();
    warnings.iter().find_map(|w| {
        let first = w.split_whitespace().next()?;
        let named = mac.is_some_and(|m| macs_in(w).contains(&m))
            || ip.is_some_and(|i| addresses_in(w).contains(&i));
        (named && first != want.trim() && ids.iter().any(|id| id == first))
            .then(|| first.to_string())
    })
}

/// Does `want` (a MAC in any common notation or as the phone's `SEP<MAC>`
/// name, an IP in any notation, or an id) name this phone?
pub fn matches_phone(p: &PhoneReport, want: &str) -> bool {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '.', ':'], "");
    let w = want.trim().to_ascii_lowercase();
    let ip = w.parse::<std::net::IpAddr>().ok();
    // SEP001E7AAA0501 is the phone whose MAC is 00:1e:7a:aa:05:01, DHCP
    // host name or not.
    let sep = w.strip_prefix("sep").filter(|m| m.len() == 12);
    p.id == w
        || p.ips.contains(&w)
        || ip.is_some_and(|ip| p.ips.iter().any(|i| i.parse() == Ok(ip)))
        || p.mac.as_deref().is_some_and(|m| norm(m) == norm(&w))
        || p.mac
            .as_deref()
            .is_some_and(|m| sep.is_some_and(|s| norm(m) == s))
        || p.hostname
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&w))
}
