//! Stage `ntp` (supporting): a client request from the phone answered by a
//! server with usable time. Without a good clock certificate checks fail, so
//! other stages ask this one.
//!
//! A reply is usable when the server says it is synchronised (RFC 5905
//! section 7.3): leap indicator other than 3 and a stratum from 1 to 15.
//! Stratum 0 in a reply is a Kiss-o'-Death (its reference id is the kiss
//! code, e.g. DENY or RATE); stratum 16 and leap 3 mean "no time to give".
//! It must carry a time too (a transmit timestamp of 0 is bogus, RFC 5905
//! section 8), and one within [`MAX_SKEW_SECS`] of the capture's own clock
//! at that frame: a server that says it is synchronised and hands out a
//! time years off (an appliance past a GPS week-number rollover, 1024
//! weeks back; a dead battery-backed clock) sets the phone's clock wrong
//! just the same. Which clock is wrong is weighed: another reply that agrees
//! with the capture vouches for the capture's clock; with none, a phone
//! whose TLS works (and rejects no certificate after the reply) says the
//! capture host's clock is the wrong one, and the stage passes with a note.
//! Of replies with a wrong time, the last counts: a wrong one after a good
//! one fails, a good one after a wrong one warns. A server with no usable
//! time, or a silent one, beside one that gave good time warns. A reply the
//! phone refused at once with ICMP port unreachable came after it had given
//! up on the request: no time.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use super::cert::is_certificate_alert;
use super::{ev, Ctx, Evidence, Others, Service, Stage, StageResult, Status, REFUSAL_SECS};
use crate::fact::{Body, Fact};
use crate::packet::UnreachKind;
use crate::proto::dhcp::address;
use crate::proto::tls::TlsEvent;
use crate::text::plural;

pub fn ntp(ctx: &Ctx<'_>) -> StageResult {
    let mut t = tally(ctx);
    // A time far from the capture's clock: which clock is wrong? Another
    // server agreeing with the capture says the server's; else the phone's
    // TLS working (and no certificate rejected after the reply) says the
    // capture host's; a certificate rejected after it, or no working TLS,
    // leaves the server's time as wrong.
    let mut note = String::new();
    if let Some((f, why)) = t.wrong.take() {
        let server = f.src_ip();
        // A good reply (one that agrees with the capture's clock) says the
        // capture's clock is right; only without one is it in doubt.
        if t.answered == 0 && tls_works(ctx, f.frame) {
            note = format!(
                "; {server} gave a time far from the capture's ({why}), yet the phone's TLS \
                 works: the capture host's clock is likely the wrong one"
            );
            t.answered += 1;
        } else if t.answered == 0 {
            t.unusable += 1;
            t.why_unusable = Some((server, why));
        } else if t.last_wrong {
            let s = format!(
                "{} to {}, then {server} gave a wrong time ({why})",
                plural(t.answered, "good NTP reply", "good NTP replies"),
                plural(t.requests.len(), "request", "requests")
            );
            let advice = format!(
                "NTP server {server} gives a wrong time and the phone took it last: fix the \
                 server's time source or remove it from DHCP option 42; until then the phone's \
                 clock stays wrong and it can reject valid certificates"
            );
            return StageResult::new(Stage::Ntp, Status::Fail, s)
                .advice(advice)
                .evidence(t.evidence);
        } else {
            let s = format!(
                "{} to {}; {server} gave a wrong time before ({why})",
                plural(t.answered, "good NTP reply", "good NTP replies"),
                plural(t.requests.len(), "request", "requests")
            );
            let advice = format!(
                "NTP server {server} gives a wrong time: the phone's clock was wrong until \
                 another server's reply (certificates fail meanwhile); fix it or remove it \
                 from DHCP option 42"
            );
            return StageResult::new(Stage::Ntp, Status::Warn, s)
                .advice(advice)
                .evidence(t.evidence);
        }
    }
    if t.answered > 0 {
        return with_time(ctx, t, &note);
    }
    if let Some((server, why)) = t.why_unusable.take() {
        return no_usable_time(t, server, &why);
    }
    if let Some((reply, icmp)) = t.last_late {
        return refused_replies(t, reply, icmp);
    }
    if t.cut > 0 {
        let s = format!(
            "{} to {}, cut by the capture's snaplen before their time: can't tell whether \
             the phone got a good time",
            plural(t.cut, "NTP reply", "NTP replies"),
            plural(t.requests.len(), "request", "requests")
        );
        return StageResult::not_seen(Stage::Ntp, s).evidence(t.evidence);
    }
    let Some(last) = t.requests.last() else {
        let mut result = no_exchange(ctx);
        result.evidence.extend(t.evidence);
        return result;
    };
    // Requests the snaplen cut: an ICMP error quoting them would be cut
    // too, before the ports that tie it to them (DOMAIN: can't tell).
    if t.unreachable.is_none() && t.requests.iter().all(|r| r.truncated) {
        let s = format!(
            "{} to {}, no reply seen; the capture's snaplen cut them, and an ICMP error about \
             them would be cut as well: can't tell whether the server answered",
            plural(t.requests.len(), "NTP request", "NTP requests"),
            last.dst_ip()
        );
        return StageResult::not_seen(Stage::Ntp, s).evidence(t.evidence);
    }
    if t.unreachable.is_none() && ctx.secs_left(&last.ts) < 1.0 && t.requests.len() == 1 {
        let s = "NTP request at the end of the capture, no reply yet";
        return StageResult::not_seen(Stage::Ntp, s).evidence(t.evidence);
    }
    let requests = plural(t.requests.len(), "NTP request", "NTP requests");
    let (summary, advice) = match t.unreachable {
        // ICMP says why: the host is there, nothing serves NTP (or a filter rejects it).
        // A router's own answer (no route, a host it cannot reach): the
        // routing advice of the other stages.
        Some((server, kind, sender, frame))
            if sender != server
                && !matches!(kind, UnreachKind::AdminProhibited | UnreachKind::Port) =>
        {
            let icmp = super::conn::Icmp {
                kind,
                sender: Some(sender),
                frame,
                elsewhere: None,
            };
            let to = std::net::SocketAddr::new(server, 123);
            let why = super::conn::icmp_advice(&icmp, to, last.src_ip(), "NTP");
            (
                format!(
                    "{requests} to {server}, answered by ICMP {} from the router {sender}",
                    kind.words()
                ),
                format!("{why}; without a correct clock the phone can reject valid certificates"),
            )
        }
        Some((server, kind, _, _)) => {
            // A filter says it refuses (RFC 1812 5.2.7.1); a port
            // unreachable says nothing serves NTP there.
            let why = match kind {
                UnreachKind::AdminProhibited | UnreachKind::SourcePolicy => {
                    "a firewall or ACL on the way rejects UDP 123: allow NTP from the phones to \
                     it, or point DHCP option 42 at a server they may reach"
                }
                _ => {
                    "no NTP service there (or a filter rejecting it): point DHCP option 42 at \
                     a working NTP server"
                }
            };
            (
                format!("{requests} to {server}, answered by ICMP {}", kind.words()),
                format!(
                    "{server} answers NTP with ICMP {}: {why}; without a correct clock the \
                     phone can reject valid certificates",
                    kind.words()
                ),
            )
        }
        None => {
            let server = last.dst_ip();
            let first = t.requests.first().copied().unwrap_or(last);
            let others = others(ctx, server, &t.requests, first, last);
            match (others.singled_out(), others.partial()) {
                // It answered other hosts meanwhile: this phone alone.
                (Some((frame, k)), _) => (
                    format!(
                        "{requests} to {server}, no reply, while it answered other hosts \
                         (#{frame})"
                    ),
                    format!(
                        "NTP server {server} answered other hosts meanwhile ({}, #{frame}) but \
                         never this phone: something singles it out (its access rules, a rate \
                         limit, a firewall rule for the phone's address or VLAN); without a \
                         correct clock the phone can reject valid certificates",
                        super::others_text(k, "reply", "replies")
                    ),
                ),
                // Others went unanswered too: it fails for everyone.
                (None, Some(((frame, k), (silent, _)))) => (
                    format!(
                        "{requests} to {server}, no reply; it answered some other hosts \
                         (#{frame}) and left others unanswered too (#{silent})"
                    ),
                    format!(
                        "NTP server {server} answered some other hosts ({}, #{frame}) and left \
                         {} unanswered too (#{silent}): it is overloaded or limits everyone, \
                         not this phone alone; check its load and rate limits, or point DHCP \
                         option 42 at another server; without a correct clock the phone can \
                         reject valid certificates",
                        super::others_text(k, "reply", "replies"),
                        others
                            .unanswered_text("request of another host", "requests of other hosts")
                    ),
                ),
                (None, None) => (
                    format!("{requests} to {server}, no reply"),
                    format!(
                        "NTP server {server} does not answer: fix DHCP option 42 or open UDP \
                         123; without a correct clock the phone can reject valid certificates"
                    ),
                ),
            }
        }
    };
    StageResult::new(Stage::Ntp, Status::Fail, summary)
        .advice(advice)
        .evidence(t.evidence)
}

/// Good time came: a pass, or a warning for a server before it that had
/// none to give or never answered.
fn with_time(ctx: &Ctx<'_>, t: Tally<'_>, note: &str) -> StageResult {
    let s = format!(
        "{} to {}{note}",
        plural(t.answered, "NTP reply", "NTP replies"),
        plural(t.requests.len(), "request", "requests")
    );
    // A server with no time to give beside one that had it: the phone
    // waited on it first (a warning, as a silent first server). One
    // that gave good time later had only just started (chronyd).
    let good: HashSet<&IpAddr> = t.good.iter().collect();
    let never_good = (t.unusable_servers.iter()).find(|(s, _, _)| !good.contains(s));
    if let Some((server, why, bad)) = never_good {
        let s = format!(
            "{}; {server} answered without usable time ({why}, {})",
            s.replacen("NTP repl", "good NTP repl", 1),
            plural(*bad, "reply", "replies")
        );
        let advice = unusable_advice(*server, why, "the phone took its time from another server");
        return StageResult::new(Stage::Ntp, Status::Warn, s)
            .advice(advice)
            .evidence(t.evidence);
    }
    if let Some((dead, asked, from)) = silent_server(ctx, &t.requests, &t.replied) {
        let s = format!(
            "{s}; {dead} never answered ({}), the time came from {from}",
            plural(asked, "request", "requests")
        );
        let advice = format!(
            "NTP server {dead} does not answer the phone, which waited on it before using \
             {from}: fix it or remove it from DHCP option 42"
        );
        return StageResult::new(Stage::Ntp, Status::Warn, s)
            .advice(advice)
            .evidence(t.evidence);
    }
    StageResult::new(Stage::Ntp, Status::Pass, s).evidence(t.evidence)
}

/// Replies came, none with usable time (the last one's `server`, `why`).
fn no_usable_time(t: Tally<'_>, server: IpAddr, why: &str) -> StageResult {
    let s = format!(
        "{} to {}, none with usable time ({why})",
        plural(t.unusable, "NTP reply", "NTP replies"),
        plural(t.requests.len(), "request", "requests")
    );
    let clock = "until then the phone's clock stays wrong and it can reject valid certificates";
    StageResult::new(Stage::Ntp, Status::Fail, s)
        .advice(unusable_advice(server, why, clock))
        .evidence(t.evidence)
}

/// Advice for a server whose replies carry no usable time (`why`), ending
/// with `clock` (what it costs the phone).
fn unusable_advice(server: IpAddr, why: &str, clock: &str) -> String {
    // Kiss codes of RFC 5905 section 7.4 that are about the client.
    match why.strip_prefix("Kiss-o'-Death ") {
        Some("RATE") => format!(
            "NTP server {server} rate-limits the phone (Kiss-o'-Death RATE): it asks too \
             often, or many phones share one public address towards it; point DHCP option \
             42 at a local NTP server; {clock}"
        ),
        Some("DENY" | "RSTR") => format!(
            "NTP server {server} refuses the phone ({why}): allow the phones' addresses in \
             its access rules or point DHCP option 42 at a server that serves them; {clock}"
        ),
        _ if why.starts_with("server time ") => format!(
            "NTP server {server} says it is synchronised but gives a wrong time ({why}): \
             fix its time source (or its firmware) or point DHCP option 42 at a good server; \
             {clock} (unless the capture host's own clock is the wrong one)"
        ),
        _ => format!(
            "NTP server {server} answers but has no good time to give ({why}): give it a \
             working upstream source or point DHCP option 42 at a synchronised server; \
             {clock}"
        ),
    }
}

/// The only replies came after the phone had given up (or from another
/// address than it asked): it refused them, the last `reply` by `icmp`.
fn refused_replies(t: Tally<'_>, reply: &Fact, icmp: &Fact) -> StageResult {
    let server = reply.src_ip();
    // The request of the port the reply went to: another server asked
    // means the reply came from an address the phone did not ask.
    let of_port = t
        .requests
        .iter()
        .rev()
        .find(|r| r.frame < reply.frame && r.src == reply.dst);
    if let Some(r) = of_port.filter(|r| r.dst_ip() != server) {
        let asked = r.dst_ip();
        let s = format!(
            "{} from {server}, while the phone asked {asked}: it refused them (ICMP port \
             unreachable, the last #{}), so its clock is not set",
            plural(t.late, "NTP reply", "NTP replies"),
            icmp.frame
        );
        let advice = format!(
            "the NTP answers come from {server}, not from {asked} that the phone asked (a \
             multi-homed server, or a NAT rewriting one direction): make {asked} answer \
             from its own address, or give the phones the address that answers (DHCP \
             option 42); without a correct clock the phone can reject valid certificates"
        );
        return StageResult::new(Stage::Ntp, Status::Fail, s)
            .advice(advice)
            .evidence(t.evidence);
    }
    if let Some(r) = of_port.filter(|r| reply.src.port() != 123 && r.dst.port() == 123) {
        let port = reply.src.port();
        let s = format!(
            "{} from {server} to {}, from port {port}, not 123: the phone refused them (ICMP \
             port unreachable, the last #{}), so its clock is not set",
            plural(t.late, "NTP reply", "NTP replies"),
            plural(t.requests.len(), "request", "requests"),
            icmp.frame
        );
        let advice = format!(
            "NTP server {server} answers, but its replies come back from port {port} instead \
             of 123 (the port the phone asked, #{}), and the phone drops them: a NAT or \
             firewall between them rewrites the source port of one direction; fix its \
             mapping for UDP 123; without a correct clock the phone can reject valid \
             certificates",
            r.frame
        );
        return StageResult::new(Stage::Ntp, Status::Fail, s)
            .advice(advice)
            .evidence(t.evidence);
    }
    let asked = of_port.filter(|r| r.dst == reply.src);
    let wait = asked.map_or(String::new(), |r| {
        format!(" ({:.1} s after its request)", r.ts.secs_until(&reply.ts))
    });
    let s = format!(
        "{} to {}, each after the phone had given up on it: it refused them (ICMP port \
         unreachable, the last #{}), so its clock is not set",
        plural(t.late, "NTP reply", "NTP replies"),
        plural(t.requests.len(), "request", "requests"),
        icmp.frame
    );
    let advice = format!(
        "NTP server {server} answers too slowly{wait}: the phone no longer waits for the \
         reply; point DHCP option 42 at a nearer NTP server (or fix the path's delay); \
         without a correct clock the phone can reject valid certificates"
    );
    StageResult::new(Stage::Ntp, Status::Fail, s)
        .advice(advice)
        .evidence(t.evidence)
}

/// What the phone's NTP exchanges showed.
#[derive(Default)]
struct Tally<'a> {
    evidence: Vec<Evidence>,
    requests: Vec<&'a Fact>,
    /// Good replies, and the servers that gave them.
    answered: usize,
    good: Vec<IpAddr>,
    /// Replies that carry no usable time, the last one's server and reason.
    unusable: usize,
    why_unusable: Option<(IpAddr, String)>,
    /// Every server that gave replies without usable time: its first
    /// reason and how many.
    unusable_servers: Vec<(IpAddr, String, usize)>,
    /// Where each of those is in the list (thousands of servers behind a
    /// NAT must not be searched one by one).
    unusable_at: HashMap<IpAddr, usize>,
    /// An ICMP error about a request: the server, why, its sender and frame.
    unreachable: Option<(IpAddr, UnreachKind, IpAddr, u64)>,
    /// Every server that replied, usable or not, in order.
    replied: Vec<IpAddr>,
    /// The last reply with a wrong time, and whether the last reply was one.
    wrong: Option<(&'a Fact, String)>,
    last_wrong: bool,
    /// Replies the snaplen cut before their time.
    cut: usize,
    /// Replies that came too late, the last one and its refusal.
    late: usize,
    last_late: Option<(&'a Fact, &'a Fact)>,
}

/// The phone's requests and the replies, sorted into a [`Tally`].
fn tally<'a>(ctx: &Ctx<'a>) -> Tally<'a> {
    let mut t = Tally::default();
    // The phone's own ICMP errors about NTP replies: a reply it refused at
    // once came after it had given up on the request (and closed its port).
    // By the datagram they quote, in frame order: a lookup per reply.
    let mut refusals: HashMap<(SocketAddr, SocketAddr), Vec<&Fact>> = HashMap::new();
    for f in ctx.own().filter(|f| ctx.is_phone(&f.src_ip())) {
        if let Body::Icmp(u) = &f.body {
            // (A reply from another port than 123 counts too.)
            if u.orig_proto == 17 && !ctx.is_phone(&u.orig_src.ip()) {
                refusals
                    .entry((u.orig_src, u.orig_dst))
                    .or_default()
                    .push(f);
            }
        }
    }
    let refused = |reply: &Fact| {
        let quoted = refusals.get(&(reply.src, reply.dst))?;
        let next = quoted.get(quoted.partition_point(|f| f.frame <= reply.frame))?;
        (reply.ts.secs_until(&next.ts) <= REFUSAL_SECS).then_some(*next)
    };
    for f in ctx.own() {
        match &f.body {
            Body::Ntp(n) if n.mode == 4 && ctx.is_phone(&f.dst_ip()) && refused(f).is_some() => {
                let icmp = refused(f).unwrap_or(f);
                t.evidence.push(ev(
                    f,
                    format!(
                        "NTP reply from {} after the phone had given up (refused: ICMP #{})",
                        f.src_ip(),
                        icmp.frame
                    ),
                ));
                t.late += 1;
                t.last_late = Some((f, icmp));
            }
            Body::Ntp(n) if n.mode == 3 && ctx.is_phone(&f.src_ip()) => {
                t.evidence
                    .push(ev(f, format!("NTP request to {}", f.dst_ip())));
                t.requests.push(f);
            }
            // Cut by the snaplen before its time: whether the time was good
            // is hidden (unless leap or stratum already say there is none).
            Body::Ntp(n)
                if n.mode == 4
                    && n.cut
                    && n.leap != 3
                    && n.stratum < 16
                    && (n.stratum > 0 || n.reference_id == [0; 4]) =>
            {
                t.evidence.push(ev(
                    f,
                    format!(
                        "NTP reply from {} (stratum {}), cut by the capture's snaplen before \
                         its time",
                        f.src_ip(),
                        n.stratum
                    ),
                ));
                t.cut += 1;
            }
            Body::Ntp(n) if n.mode == 4 && ctx.is_phone(&f.dst_ip()) => {
                t.replied.push(f.src_ip());
                let text = format!("NTP reply from {} (stratum {})", f.src_ip(), n.stratum);
                let unsync = unsynchronised(n);
                let off = unsync.is_none().then(|| wrong_time(n, &f.ts)).flatten();
                t.last_wrong = off.is_some();
                match (unsync, off) {
                    (Some(why), _) => {
                        t.evidence.push(ev(f, format!("{text}: {why}")));
                        t.unusable += 1;
                        let from = f.src_ip();
                        let at = t.unusable_at.get(&from).copied();
                        match at.and_then(|i| t.unusable_servers.get_mut(i)) {
                            Some((_, _, n)) => *n += 1,
                            None => {
                                t.unusable_at.insert(from, t.unusable_servers.len());
                                t.unusable_servers.push((from, why.clone(), 1));
                            }
                        }
                        t.why_unusable = Some((f.src_ip(), why));
                    }
                    (None, Some(why)) => {
                        t.evidence.push(ev(f, format!("{text}: {why}")));
                        t.wrong = Some((f, why));
                    }
                    (None, None) => {
                        t.evidence.push(ev(f, text));
                        t.answered += 1;
                        t.good.push(f.src_ip());
                    }
                }
            }
            Body::Icmp(u) if u.orig_dst.port() == 123 && ctx.is_phone(&u.orig_src.ip()) => {
                t.evidence
                    .push(ev(f, format!("ICMP {} for NTP", u.kind.words())));
                t.unreachable = Some((u.orig_dst.ip(), u.kind, f.src_ip(), f.frame));
            }
            _ => {}
        }
    }
    t
}

/// With another server's time taken: a server the phone asked (a second or
/// more before the capture's end) that is not among those that `replied`,
/// how often it was asked, and the server that answered last.
fn silent_server(
    ctx: &Ctx<'_>,
    requests: &[&crate::fact::Fact],
    replied: &[IpAddr],
) -> Option<(IpAddr, usize, IpAddr)> {
    let from = *replied.last()?;
    let answered: HashSet<&IpAddr> = replied.iter().collect();
    let dead = requests
        .iter()
        .map(|r| r.dst_ip())
        .find(|ip| !answered.contains(ip))?;
    let asked: Vec<_> = requests.iter().filter(|r| r.dst_ip() == dead).collect();
    let last = asked.last()?;
    (ctx.secs_left(&last.ts) >= 1.0).then_some((dead, asked.len(), from))
}

/// The phone's TLS works: it sends application data, and rejects no
/// certificate in the clear after frame `after` (a phone whose clock is
/// years off rejects every certificate). An encrypted alert tells nothing:
/// a TLS 1.3 rejection is one, and so is the close_notify after a success;
/// the rejection comes without application data before it.
fn tls_works(ctx: &Ctx<'_>, after: u64) -> bool {
    let mut works = false;
    for f in ctx.own() {
        if let Body::Tls {
            from_client: true,
            event,
            ..
        } = &f.body
        {
            match event {
                TlsEvent::Alert { description, .. }
                    if f.frame > after && is_certificate_alert(*description) =>
                {
                    return false
                }
                TlsEvent::ApplicationData => works = true,
                _ => {}
            }
        }
    }
    works
}

/// Why a server reply carries no usable time, if it does not.
fn unsynchronised(n: &crate::proto::ntp::NtpPacket) -> Option<String> {
    let code: String = n
        .reference_id
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|&b| char::from(b))
        .collect();
    match (n.leap, n.stratum) {
        // Not yet synchronised (ntpd/ntpsec answer so while starting):
        // no kiss to stop asking, just no time yet.
        (3, 0) if code == "INIT" || code == "STEP" => Some(format!(
            "server clock not synchronised yet: leap indicator 3, reference {code}"
        )),
        (_, 0) if !code.is_empty() => Some(format!("Kiss-o'-Death {code}")),
        (3, _) => Some("server clock unsynchronised, leap indicator 3".to_string()),
        (_, 0) => Some("stratum 0".to_string()),
        (_, 16..) => Some(format!("server unsynchronised, stratum {}", n.stratum)),
        _ if n.transmit == 0 => {
            Some("no transmit time (0): a bogus reply, discarded by clients".to_string())
        }
        _ => None,
    }
}

/// Seconds between the NTP era 0 origin (1900) and the Unix epoch.
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;

/// A server's time this far from the capture's clock is wrong, not a
/// capture host running a little off: certificates are valid for days to
/// years, so a day is where a wrong clock starts to matter.
pub const MAX_SKEW_SECS: i64 = 86_400;

/// Captures taken before this (2000-01-01) have no clock to compare with
/// (a capture host that never set its own).
const CAPTURE_CLOCK_SET: i64 = 946_684_800;

/// Why the time a synchronised server handed out is not usable, if it is
/// not: more than [`MAX_SKEW_SECS`] away from the capture's clock at `at`.
fn wrong_time(n: &crate::proto::ntp::NtpPacket, at: &crate::time::Timestamp) -> Option<String> {
    let captured = at.ns.div_euclid(1_000_000_000);
    if captured < CAPTURE_CLOCK_SET {
        return None;
    }
    // The era (the 32-bit seconds wrap in 2036) nearest the capture's clock.
    let secs = (n.transmit >> 32) as i64;
    let server = [0i64, 1]
        .iter()
        .map(|era| secs + era * (1 << 32) - NTP_UNIX_OFFSET)
        .min_by_key(|t| t.abs_diff(captured))?;
    let skew = server - captured;
    if skew.abs() <= MAX_SKEW_SECS {
        return None;
    }
    let when = crate::time::Timestamp::new(server.saturating_mul(1_000_000_000), 0).rfc3339();
    let side = if skew < 0 { "behind" } else { "ahead of" };
    let weeks = skew.abs() as f64 / (7.0 * 86_400.0);
    let rollover = match (weeks - 1024.0).abs() < 2.0 {
        true => ", 1024 weeks: a GPS week-number rollover",
        false => "",
    };
    Some(format!(
        "server time {when}, {} {side} the capture's clock{rollover}",
        span(skew.unsigned_abs())
    ))
}

/// "19.6 years", "3 days", "5 hours".
fn span(secs: u64) -> String {
    let days = secs as f64 / 86_400.0;
    if days >= 365.0 {
        format!("{:.1} years", days / 365.25)
    } else if days >= 1.0 {
        plural(days.round() as usize, "day", "days")
    } else {
        plural((secs / 3600) as usize, "hour", "hours")
    }
}

#[cfg(test)]
mod tests;

/// No NTP request at all: said, and when the phone's whole last lease
/// (its ACK) names no NTP server (option 42), that is why, with advice.
fn no_exchange(ctx: &Ctx<'_>) -> StageResult {
    const ACK: u8 = 5;
    let last_ack = ctx
        .own()
        .filter_map(|f| match &f.body {
            Body::Dhcp(m) if m.op == 2 && m.message_type == Some(ACK) => Some((f, m)),
            _ => None,
        })
        .last();
    match last_ack {
        Some((f, m)) if !f.truncated && m.option(42).is_none_or(<[u8]>::is_empty) => {
            // Option 4 (RFC 868 time servers) is a common mix-up for 42.
            let summary = match m.option(4).is_some_and(|v| !v.is_empty()) {
                true => {
                    "no NTP exchange seen; the lease names no NTP server (option 42): it carries \
                     option 4, time servers of the old Time protocol (RFC 868), which the phone \
                     does not use"
                }
                false => "no NTP exchange seen; the lease names no NTP server (option 42)",
            };
            StageResult::not_seen(Stage::Ntp, summary)
                .advice(
                    "add option 42 (the NTP servers) to the voice scope: a phone without a \
                     correct clock can reject valid certificates",
                )
                .evidence(vec![ev(f, "ACK without option 42 (NTP servers)")])
        }
        // Option 42 sent with no address that can name a server (0.0.0.0:
        // RFC 1122 3.2.1.3): no NTP server either, said with its value.
        Some((f, m)) if !f.truncated && m.unusable_servers(42).is_some() => {
            let addrs = m.unusable_servers(42).unwrap_or_default();
            let names = address::unusable_list_text(42, &addrs);
            StageResult::not_seen(
                Stage::Ntp,
                format!("no NTP exchange seen; {names}, no usable NTP server"),
            )
            .advice(
                "set the scope's NTP servers (option 42) to servers the phone can reach: a \
                 phone without a correct clock can reject valid certificates",
            )
            .evidence(vec![ev(f, format!("ACK {names} (NTP servers)"))])
        }
        // The lease names its NTP servers: the row says which went unasked.
        Some((f, m)) => match servers_of(m.option(42).unwrap_or_default()) {
            Some(servers) => StageResult::not_seen(
                Stage::Ntp,
                format!("no NTP exchange seen with {servers}, named by the lease (option 42)"),
            )
            .evidence(vec![ev(
                f,
                format!("ACK option 42 (NTP servers) = {servers}"),
            )]),
            None => StageResult::not_seen(Stage::Ntp, "no NTP exchange seen"),
        },
        None => StageResult::not_seen(Stage::Ntp, "no NTP exchange seen"),
    }
}

/// Option 42's IPv4 addresses ("192.0.2.1, 192.0.2.2"); `None` for none
/// (a value shorter than one address: a lease the snaplen cut).
/// Addresses that name no server (0.0.0.0 beside a real one) are left out.
fn servers_of(value: &[u8]) -> Option<String> {
    let servers: Vec<String> = value
        .chunks_exact(4)
        .map(|a| std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3]))
        .filter(|a| address::usable(*a))
        .map(|a| a.to_string())
        .collect();
    (!servers.is_empty()).then(|| servers.join(", "))
}

/// What NTP server `server` did for other hosts from the phone's request
/// `from` until a second after its `last` one: its replies to them, and their
/// requests it left unanswered (the phone's own, copied by a NAT, carry its
/// transmit times).
fn others(ctx: &Ctx<'_>, server: IpAddr, own: &[&Fact], from: &Fact, last: &Fact) -> Others {
    fn ntp(f: &Fact) -> Option<&crate::proto::ntp::NtpPacket> {
        match &f.body {
            Body::Ntp(n) => Some(n),
            _ => None,
        }
    }
    let sent: Vec<u64> = own
        .iter()
        .filter_map(|f| ntp(f))
        .map(|n| n.transmit)
        .collect();
    let reply = |f: &Fact| {
        ntp(f).is_some_and(|n| n.mode == 4) && f.src_ip() == server && !ctx.is_phone(&f.dst_ip())
    };
    let request = |f: &Fact| {
        ntp(f).is_some_and(|n| n.mode == 3 && !sent.contains(&n.transmit))
            && f.dst_ip() == server
            && !ctx.is_phone(&f.src_ip())
    };
    let answers = |r: &Fact, p: &Fact| p.dst == r.src && p.src_ip() == r.dst_ip();
    let service = Service::of_server(server, &reply, &request, &answers);
    ctx.others(&service, from, &last.ts)
}
