//! Verdicts: the twelve stages of DOMAIN.md judged per phone.
//!
//! Each stage is a small rule over the phone's facts giving pass / warn /
//! fail / not seen, the evidence (frames, times, values) and one line of
//! advice. The phone's `root_cause` is the first failed stage in boot order
//! (the first warned one when nothing failed); its `verdict` is `fail` when
//! the phone never got past that stage, `warn` when it recovered (a later
//! stage passed, or it registered anyway), `pass` when every stage passed or
//! was not seen.

mod boots;
mod cert;
mod conn;
mod dhcp;
mod dns;
mod evidence;
mod hijack;
mod local;
mod local_arp;
mod local_rule;
mod ntp;
mod one_way;
mod others;
pub use others::{others_text, Others, OthersIndex, Sent, Service, OTHERS_COUNTED};
#[cfg(test)]
mod overall_tests;
mod proxy;
mod refusal;
mod shared;
mod sip;
mod sip_tls;
#[cfg(test)]
pub(crate) mod test_support;
mod tftp;

use serde::Serialize;

use crate::fact::Fact;
use crate::packet::mac_string;
use crate::phone::names::NameMap;
use crate::phone::Phone;
use crate::time::Timestamp;

/// The stages, in boot order (their ids are stable: JSON, JUnit, golden files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Stage {
    #[serde(rename = "dhcp")]
    Dhcp,
    #[serde(rename = "dhcp-options")]
    DhcpOptions,
    #[serde(rename = "local-config")]
    LocalConfig,
    #[serde(rename = "dns-activation")]
    DnsActivation,
    #[serde(rename = "activation")]
    Activation,
    #[serde(rename = "dns-provisioning")]
    DnsProvisioning,
    #[serde(rename = "provisioning")]
    Provisioning,
    #[serde(rename = "dns-srv")]
    DnsSrv,
    #[serde(rename = "sbc-connect")]
    SbcConnect,
    #[serde(rename = "sbc-tls")]
    SbcTls,
    #[serde(rename = "sip-register")]
    SipRegister,
    #[serde(rename = "ntp")]
    Ntp,
}

impl Stage {
    pub const ALL: [Stage; 12] = [
        Stage::Dhcp,
        Stage::DhcpOptions,
        Stage::LocalConfig,
        Stage::DnsActivation,
        Stage::Activation,
        Stage::DnsProvisioning,
        Stage::Provisioning,
        Stage::DnsSrv,
        Stage::SbcConnect,
        Stage::SbcTls,
        Stage::SipRegister,
        Stage::Ntp,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Stage::Dhcp => "dhcp",
            Stage::DhcpOptions => "dhcp-options",
            Stage::LocalConfig => "local-config",
            Stage::DnsActivation => "dns-activation",
            Stage::Activation => "activation",
            Stage::DnsProvisioning => "dns-provisioning",
            Stage::Provisioning => "provisioning",
            Stage::DnsSrv => "dns-srv",
            Stage::SbcConnect => "sbc-connect",
            Stage::SbcTls => "sbc-tls",
            Stage::SipRegister => "sip-register",
            Stage::Ntp => "ntp",
        }
    }

    pub fn from_id(id: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.id() == id)
    }
}

/// A stage's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    NotSeen,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::NotSeen => "not_seen",
        }
    }
}

/// A phone's overall verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One frame that proves something.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub frame: u64,
    pub time: Timestamp,
    pub text: String,
}

/// The judgement of one stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageResult {
    pub stage: Stage,
    pub status: Status,
    pub summary: String,
    pub advice: Option<String>,
    pub evidence: Vec<Evidence>,
    /// For a failed stage whose attempts are dated: the first frame of the
    /// failures that decide it (nothing passed after it). A later stage
    /// that passed only before this frame did not get past the failure.
    #[serde(skip)]
    pub failing_since: Option<u64>,
    /// For a stage that warns because an attempt failed before a later one
    /// succeeded: the failed attempt (`shared.rs` undoes the recovery when
    /// several phones share the address).
    #[serde(skip)]
    pub recovered: Option<Recovery>,
    /// Frames that decide the stage (its deciding request and answer):
    /// trimming the evidence keeps them (`evidence.rs`).
    #[serde(skip)]
    pub keep: Vec<u64>,
}

/// The failed attempt behind a recovered stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// What failed, in the stage's own words.
    pub failed: String,
    /// The advice for that failure.
    pub advice: Option<String>,
    /// What succeeded after it.
    pub success: String,
}

impl StageResult {
    pub fn not_seen(stage: Stage, summary: impl Into<String>) -> Self {
        StageResult {
            stage,
            status: Status::NotSeen,
            summary: summary.into(),
            advice: None,
            evidence: Vec::new(),
            failing_since: None,
            recovered: None,
            keep: Vec::new(),
        }
    }

    pub fn new(stage: Stage, status: Status, summary: impl Into<String>) -> Self {
        StageResult {
            status,
            ..StageResult::not_seen(stage, summary)
        }
    }

    pub fn advice(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }

    pub fn evidence(mut self, ev: Vec<Evidence>) -> Self {
        self.evidence = ev;
        self
    }

    /// Marks frames that decide the stage: trimming keeps them.
    pub fn keep(mut self, frames: impl IntoIterator<Item = u64>) -> Self {
        self.keep.extend(frames);
        self
    }

    /// Seen, but left undecided because the capture lacks bytes it would
    /// need (cut by the snaplen, or lost by the capture): every such rule
    /// says "can't tell" in its summary.
    pub fn cannot_tell(&self) -> bool {
        self.status == Status::NotSeen
            && !self.evidence.is_empty()
            && (self.summary.contains("can't tell") || self.summary.contains("can't be told"))
    }

    /// Registration running inside the SBC's TLS session: as far as a
    /// capture can see, not an unfinished stage (Webex Calling's normal case).
    pub fn inside_tls(&self) -> bool {
        self.status == Status::NotSeen && self.summary.starts_with(sip_tls::INSIDE_TLS)
    }

    /// First and last evidence frames.
    pub fn frame_range(&self) -> Option<(u64, u64)> {
        let min = self.evidence.iter().map(|e| e.frame).min()?;
        let max = self.evidence.iter().map(|e| e.frame).max()?;
        Some((min, max))
    }
}

/// A phone with its verdict (OUTPUT.md `phones[]`).
#[derive(Clone, Debug, Serialize)]
pub struct PhoneReport {
    pub id: String,
    pub capture: String,
    pub mac: Option<String>,
    pub ips: Vec<String>,
    pub hostname: Option<String>,
    pub model: Option<String>,
    pub firmware: Option<String>,
    pub verdict: Verdict,
    pub root_cause: Option<Stage>,
    pub stages: Vec<StageResult>,
}

impl PhoneReport {
    pub fn stage(&self, s: Stage) -> Option<&StageResult> {
        self.stages.iter().find(|r| r.stage == s)
    }

    pub fn root(&self) -> Option<&StageResult> {
        self.root_cause.and_then(|s| self.stage(s))
    }
}

/// Everything a stage rule may look at.
pub struct Ctx<'a> {
    pub facts: &'a [Fact],
    pub phone: &'a Phone,
    pub names: &'a NameMap,
    pub sbc_port: u16,
    /// Time of the capture's last frame (for "no answer yet" judgements).
    pub end: Option<Timestamp>,
    /// Some frames of the capture are cut by its snaplen (what is missing
    /// may be hidden by it).
    pub snaplen_cut: bool,
    /// The capture holds the phones' direction only (`one_way`).
    pub one_way: bool,
    /// Every frame carries one time (no timestamps: Simple Packet Blocks
    /// only): rules that wait on time cannot run.
    pub untimed: bool,
    /// Who asked ARP for whom in the capture, and who answered.
    pub arp: &'a crate::packet::ArpLog,
    /// The capture's messages by host, for what servers did for others.
    pub others: &'a OthersIndex,
}

impl<'a> Ctx<'a> {
    /// The phone's facts, in frame order.
    pub fn own(&self) -> impl Iterator<Item = &'a Fact> + '_ {
        self.phone.facts.iter().filter_map(|&i| self.facts.get(i))
    }

    /// Datagrams `from` sent to `to` after frame `after` whose IP fragments
    /// never all arrived (`Body::FragmentsLost`): answers the network lost.
    pub fn lost_fragments(
        &self,
        from: std::net::SocketAddr,
        to: std::net::SocketAddr,
        after: u64,
    ) -> Vec<&'a Fact> {
        self.own()
            .filter(|f| matches!(f.body, crate::fact::Body::FragmentsLost { .. }))
            .filter(|f| f.frame > after && f.src == from && f.dst == to)
            .collect()
    }

    /// True when `ip` is one of the phone's addresses.
    pub fn is_phone(&self, ip: &std::net::IpAddr) -> bool {
        self.phone.ips.contains(ip)
    }

    /// Seconds from `ts` to the end of the capture.
    pub fn secs_left(&self, ts: &Timestamp) -> f64 {
        self.end.map_or(f64::INFINITY, |e| ts.secs_until(&e))
    }
}

/// A capture of more than one frame whose frames all carry one time: it
/// has no timestamps (a pcapng of Simple Packet Blocks only).
fn untimed(capture: &crate::analyze::CaptureSummary) -> bool {
    capture.frames > 1 && capture.first_ts.is_some() && capture.first_ts == capture.last_ts
}

/// Seconds within which a host's ICMP error follows the datagram it refuses:
/// the kernel answers in microseconds, so an error later than this is about
/// another datagram (a duplicate the capture shows once). DNS and NTP use it
/// to tell an answer the phone refused (it had given up) from one it read.
const REFUSAL_SECS: f64 = 0.01;

/// Evidence from a fact.
pub fn ev(f: &Fact, text: impl Into<String>) -> Evidence {
    Evidence {
        frame: f.frame,
        time: f.ts,
        text: text.into(),
    }
}

/// Evidence words for a datagram lost as fragments (`Body::FragmentsLost`).
pub fn lost_text(f: &Fact, from: impl std::fmt::Display) -> String {
    match &f.body {
        crate::fact::Body::FragmentsLost { held_bytes, .. } => format!(
            "answer from {from} in IP fragments: only the first {held_bytes} bytes arrived"
        ),
        _ => format!("answer from {from} lost"),
    }
}

/// Judges every stage of one phone.
pub fn judge(ctx: &Ctx<'_>, capture: &str) -> PhoneReport {
    let start = boots::last_boot_start(ctx);
    let mut stages = vec![dhcp::lease(ctx), dhcp::options(ctx, start)];
    match start {
        Some(start) => {
            // Several boots: the last one decides the stages after DHCP; the
            // boots before it, judged together, are its history.
            let part = |last: bool| {
                let mut p = ctx.phone.clone();
                p.facts
                    .retain(|&i| ctx.facts.get(i).is_some_and(|f| (f.frame >= start) == last));
                p
            };
            let (earlier_boots, last_boot) = (part(false), part(true));
            let earlier = after_dhcp(&Ctx {
                phone: &earlier_boots,
                ..*ctx
            });
            let last = after_dhcp(&Ctx {
                phone: &last_boot,
                ..*ctx
            });
            // Did the last boot get past each stage (see a later one)?
            let past: Vec<bool> = (0..last.len())
                .map(|i| {
                    let later = last.get(i + 1..).unwrap_or_default();
                    later
                        .iter()
                        .any(|r| r.stage != Stage::Ntp && r.status != Status::NotSeen)
                })
                .collect();
            let merged = earlier.into_iter().zip(last).zip(past);
            let label = boots::label(ctx, start);
            stages.extend(merged.map(|((earlier, last), past)| {
                boots::merge(earlier, last, (start, &label), past)
            }));

            // A failure standing after the merge is the last boot's: what an
            // earlier boot passed (or warned, "in an earlier boot") did not
            // get past it.
            for r in stages.iter_mut().filter(|r| r.status == Status::Fail) {
                r.failing_since.get_or_insert(start);
            }
        }
        None => stages.extend(after_dhcp(ctx)),
    }
    if let (Some(note), Some(dhcp)) = (boots::reboot_note(ctx, start), stages.first_mut()) {
        dhcp.summary.push_str(&format!(" ({note})"));
    }
    if ctx.one_way {
        one_way::judge(&mut stages);
    }
    if ctx.phone.shared {
        shared::no_recovery(&mut stages);
    }
    // Every summary and advice is written: trim the evidence around what
    // they cite.
    stages.iter_mut().for_each(evidence::trim);
    let (mut verdict, root_cause) = overall(&stages);
    if ctx.phone.shared {
        verdict = shared::verdict(&stages, verdict);
    }
    if verdict == Verdict::Warn {
        recovered_advice(&mut stages);
    }
    let p = ctx.phone;
    PhoneReport {
        id: p.id.clone(),
        capture: capture.to_string(),
        mac: p.mac.as_ref().map(mac_string),
        ips: p.ips.iter().map(|i| i.to_string()).collect(),
        hostname: p.hostname.clone(),
        model: p.model.clone(),
        firmware: p.firmware.clone(),
        verdict,
        root_cause,
        stages,
    }
}

/// The stages after the lease, in boot order.
fn after_dhcp(ctx: &Ctx<'_>) -> Vec<StageResult> {
    let dns = dns::judge_all(ctx);
    let conns = conn::judge_all(ctx);
    let sbc_failed = [&conns.sbc_connect, &conns.sbc_tls]
        .into_iter()
        .find(|r| r.status == Status::Fail)
        .map(|r| r.stage);
    vec![
        local::local_config(ctx, &conns.follow_up_requests),
        dns.activation,
        conns.activation,
        dns.provisioning,
        conns.provisioning,
        dns.srv,
        conns.sbc_connect,
        conns.sbc_tls,
        sip::register(ctx, sbc_failed),
        ntp::ntp(ctx),
    ]
}

/// A phone that got past the DHCP trap needs no factory reset: say so, and
/// say whether it tried the offered server first.
fn recovered_advice(stages: &mut [StageResult]) {
    let tried_local = stages
        .iter()
        .any(|r| r.stage == Stage::LocalConfig && r.status != Status::NotSeen);
    // The local server gave it a profile, and it went on to activation all
    // the same (a profile that does not stop it): not "gave up".
    let took_profile = stages.iter().any(|r| {
        r.stage == Stage::LocalConfig
            && r.status == Status::Fail
            && r.summary.contains("downloaded")
    });
    for r in stages.iter_mut().filter(|r| r.status == Status::Fail) {
        match r.stage {
            Stage::DhcpOptions => {
                let offered = r.summary.trim_start_matches("scope offers ").to_string();
                // "remove option 66 from the scope on DHCP server ... (...)"
                let remove = r
                    .advice
                    .as_deref()
                    .map(|a| a.trim_end_matches(dhcp::FACTORY_RESET).to_string())
                    .unwrap_or_else(|| "remove it from the DHCP scope".to_string());
                let context = if took_profile {
                    format!(
                        "the phone took a profile from {offered} and went on to Webex \
                         activation anyway"
                    )
                } else if tried_local {
                    format!("the phone gave up on {offered} and went on to Webex activation")
                } else {
                    format!(
                        "the phone did not use {offered} this time and went on to Webex \
                         activation"
                    )
                };
                let risk = match (took_profile, tried_local) {
                    (true, _) => {
                        "the profile on that server can hold the phones back any day \
                                  (a change to it, or to their firmware), and every boot waits \
                                  on it"
                    }
                    (false, true) => {
                        "a profile placed on that server would capture the \
                                      phones, and every boot waits on it"
                    }
                    (false, false) => "a profile placed on that server would capture the phones",
                };
                r.advice = Some(format!("{context}; still, {remove}: {risk}"));
            }
            Stage::LocalConfig if took_profile => {
                r.advice = Some(
                    "the phone took the local server's profile and still went on to activation \
                     (that profile does not hold it back today; another one would): removing \
                     the DHCP provisioning option ends the detour"
                        .to_string(),
                );
            }
            Stage::LocalConfig => {
                r.advice = Some(
                    "the phone gave up on the local server and went on to activation; removing \
                     the DHCP provisioning option ends the detour"
                        .to_string(),
                );
            }
            _ => {}
        }
    }
}

/// Root cause and verdict from the stage results.
pub fn overall(stages: &[StageResult]) -> (Verdict, Option<Stage>) {
    let first = |st: Status| stages.iter().position(|r| r.status == st);
    let Some(pos) = first(Status::Fail).or_else(|| first(Status::Warn)) else {
        return (Verdict::Pass, None);
    };
    let root = &stages[pos];
    if root.status == Status::Warn {
        return (Verdict::Warn, Some(root.stage));
    }
    // Recovered means a success after the failure: a good session before the
    // SBC was cut off is not getting past it.
    let got_past = |at: usize| {
        let Some(failed) = stages.get(at) else {
            return false;
        };
        let after_failure = |r: &StageResult| match (failed.failing_since, r.frame_range()) {
            (Some(since), Some((_, last))) => last > since,
            _ => true,
        };
        let passed =
            |r: &StageResult| matches!(r.status, Status::Pass | Status::Warn) && after_failure(r);
        let registered = stages
            .iter()
            .any(|r| r.stage == Stage::SipRegister && passed(r));
        // Got past it: a later boot stage passed or recovered. `dhcp-options`
        // judges what the server offered, not how far the phone got; `ntp`
        // supports the chain without being a step of it.
        let later_pass = stages
            .get(at + 1..)
            .unwrap_or_default()
            .iter()
            .any(|r| !matches!(r.stage, Stage::Ntp | Stage::DhcpOptions) && passed(r));
        registered || later_pass
    };
    // The phone recovered only if it got past every failure: one it got
    // past, then a later one it did not (a fallback that then failed) is a
    // failing phone, still rooted at the first failure.
    let every_failure_passed = (pos..stages.len())
        .filter(|&i| stages.get(i).is_some_and(|r| r.status == Status::Fail))
        .all(got_past);
    let verdict = if every_failure_passed {
        Verdict::Warn
    } else {
        Verdict::Fail
    };
    (verdict, Some(root.stage))
}

/// Knobs of judging.
#[derive(Clone, Copy, Debug)]
pub struct JudgeOptions {
    pub sbc_port: u16,
    pub all_dhcp_clients: bool,
}

/// Correlates an analysed capture and judges each phone. Correlation
/// warnings (NAT, ...) are returned for the capture's warnings.
pub fn judge_capture(
    analysis: &crate::analyze::Analysis,
    opts: &JudgeOptions,
) -> (Vec<PhoneReport>, Vec<String>) {
    let copts = crate::phone::CorrelateOptions {
        sbc_port: opts.sbc_port,
        all_dhcp_clients: opts.all_dhcp_clients,
        arp_to: analysis.capture.stats.decode.arp_to,
    };
    let started = std::time::Instant::now();
    let corr = crate::phone::correlate(&analysis.facts, &copts, &analysis.capture.arp);
    let correlated = started.elapsed();
    // Phones are independent: judge them in parallel, collected in order.
    use rayon::prelude::*;
    let others = OthersIndex::default();
    let reports = corr
        .phones
        .par_iter()
        .map(|phone| {
            let ctx = Ctx {
                facts: &analysis.facts,
                phone,
                names: &corr.names,
                sbc_port: opts.sbc_port,
                end: analysis.capture.last_ts,
                snaplen_cut: analysis.capture.stats.truncated_by_snaplen > 0,
                one_way: corr.one_way,
                untimed: untimed(&analysis.capture),
                arp: &analysis.capture.arp,
                others: &others,
            };
            judge(&ctx, &analysis.capture.path)
        })
        .collect();
    log::debug!(
        "{}: {} phones; correlation {:.3} s, verdicts {:.3} s",
        analysis.capture.path,
        corr.phones.len(),
        correlated.as_secs_f64(),
        (started.elapsed() - correlated).as_secs_f64()
    );
    (reports, corr.warnings)
}
