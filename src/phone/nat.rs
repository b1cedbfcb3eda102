//! NAT and SIP ALGs between the phones and the capture point: one address
//! speaking for several phones (Via addresses, models or MACs in their
//! User-Agents, unless those MACs are phones listed on their own, bursts of
//! TLS handshakes), one phone seen on both sides of a NAT, and a SIP ALG
//! rewriting the Via of one REGISTER transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::{aor_user, identity, names, Phone};
use crate::fact::{Body, Fact};
use crate::packet::mac_string;
use crate::proto::{sip, tls};
use crate::text::printable;

/// One address speaking for several phones: a NAT (or a SIP proxy) between
/// the phones and the capture point.
///
/// Also one phone seen twice: the same REGISTERs (one Call-ID local part,
/// From tag and user) sent from two phones' addresses, as a capture of both
/// sides of a NAT shows them.
///
/// When the copies of one transaction (also the same CSeq and top Via
/// branch, which an ALG keeps and a B2BUA or a new REGISTER does not) name
/// different Via addresses (as many of them), a SIP ALG rewrote the
/// REGISTER between the two capture points (plain NAT leaves the Via as the
/// phone wrote it): each phone involved gets that said (second list: phone
/// index, the words).
pub(super) fn nat_warnings(phones: &[Phone], facts: &[Fact]) -> NatFindings {
    let mut out = Vec::new();
    let mut natted = Vec::new();
    // (Of those, the ones only a burst of handshakes suggests.)
    let mut guessed = Vec::new();
    let own_macs: BTreeSet<[u8; 6]> = phones.iter().filter_map(|p| p.mac).collect();
    // Keyed by the Call-ID's local part, the From tag and the From user: a
    // SIP ALG may rewrite the host after the Call-ID's '@', never those.
    let mut senders: BTreeMap<(&str, &str, String), BTreeSet<&str>> = BTreeMap::new();
    let mut register_copies: BTreeMap<RegisterKey<'_>, Vec<RegisterCopy>> = BTreeMap::new();
    for (index, p) in phones.iter().enumerate() {
        let mut users: BTreeSet<String> = BTreeSet::new();
        // Addresses REGISTERs name in their Via, other than their source.
        let mut vias: BTreeSet<IpAddr> = BTreeSet::new();
        // The first and last frame of the REGISTERs naming each of them.
        let mut via_spans: BTreeMap<IpAddr, (u64, u64)> = BTreeMap::new();
        // The models its REGISTERs' User-Agents name, by model number: one
        // phone has one (a firmware upgrade or a move from enterprise to MPP
        // firmware changes the version and the spelling, not the number).
        let mut agents: BTreeMap<String, String> = BTreeMap::new();
        // The MACs MPP phones name in their User-Agents: one per phone.
        let mut agent_macs: BTreeSet<[u8; 6]> = BTreeSet::new();
        // REGISTERs, and those whose User-Agent names a MAC.
        let (mut registers, mut with_mac) = (0usize, 0usize);
        for &i in &p.facts {
            let f = &facts[i];
            if let Body::Sip(m) = &f.body {
                let is_register = matches!(&m.start,
                    sip::StartLine::Request { method, .. } if method == "REGISTER");
                if is_register && p.ips.contains(&f.src_ip()) {
                    if let Some(u) = m.from.as_deref().and_then(aor_user) {
                        users.insert(u);
                    }
                    if let Some(via) = m.via_ip().filter(|v| *v != f.src_ip()) {
                        vias.insert(via);
                        let span = via_spans.entry(via).or_insert((f.frame, f.frame));
                        span.1 = f.frame;
                    }
                    if let Some(model) = m.user_agent.as_deref().and_then(identity::model_from) {
                        agents.entry(model_number(&model)).or_insert(model);
                    }
                    let mac = (m.user_agent.as_deref()).and_then(identity::mac_from_user_agent);
                    registers += 1;
                    with_mac += usize::from(mac.is_some());
                    agent_macs.extend(mac);
                    let from = m.from.as_deref();
                    if let (Some(call_id), Some(tag), Some(user)) = (
                        m.call_id.as_deref(),
                        from.and_then(from_tag),
                        from.and_then(aor_user),
                    ) {
                        let local = call_id.split('@').next().unwrap_or(call_id);
                        // The same transaction: CSeq and the top Via's branch
                        // (an ALG keeps both; a B2BUA or a new REGISTER not).
                        let cseq = m.cseq.as_ref().map_or(0, |(n, _)| *n);
                        let key = (local, tag, user.clone(), cseq, via_branch(m));
                        let seen = register_copies.entry(key).or_default();
                        if !seen.iter().any(|(i, _, _, _)| *i == index) {
                            seen.push((index, m.via_ip(), f.frame, via_count(m)));
                        }
                        senders.entry((local, tag, user)).or_default().insert(&p.id);
                    }
                }
            }
        }
        // An entry that is itself one of the phones its User-Agents name,
        // the other one listed on its own: two phones sharing an address,
        // no NAT.
        let shared = p.mac.is_some_and(|m| agent_macs.contains(&m))
            && agent_macs.iter().all(|m| own_macs.contains(m));
        if shared {
            agent_macs.clear();
        }
        // One MAC in every User-Agent and one Via address after the other:
        // one phone that took a new address behind the NAT (a reboot).
        // (Every REGISTER names it, and one model: a phone without a MAC
        // in its User-Agent may be another one.)
        let moved = match (agent_macs.len(), vias.len()) {
            (1, 2..) if with_mac == registers && agents.len() <= 1 => moved_behind_nat(&via_spans),
            _ => None,
        };
        if moved.is_some() {
            vias.clear();
        }
        if vias.len() > 1 || agents.len() > 1 || agent_macs.len() > 1 {
            natted.push(index);
        }
        // A phone that named itself SEP<mac> in DHCP registers its lines.
        let own_identity = p.hostname.as_deref().is_some_and(|h| {
            h.get(..3)
                .is_some_and(|sep| sep.eq_ignore_ascii_case("SEP"))
        });
        if let (Some(moved), Some(mac)) = (moved, agent_macs.first()) {
            out.push(format!(
                "{} is one phone behind NAT (its REGISTERs' User-Agents name one MAC, {}) that \
                 changed its address there: {moved}",
                p.id,
                mac_string(mac)
            ));
        } else if vias.len() > 1 {
            let list: Vec<String> = vias.iter().take(5).map(IpAddr::to_string).collect();
            out.push(format!(
                "{} holds several phones behind NAT: its REGISTERs name {} addresses in their Via \
                 ({}) and all come from {}; their verdicts are merged into one",
                p.id,
                vias.len(),
                list.join(", "),
                p.ips.first().map_or(String::new(), IpAddr::to_string)
            ));
        } else if let Some(burst) = handshake_burst(p, facts) {
            out.push(burst);
            if natted.last() != Some(&index) {
                natted.push(index);
                guessed.push(index);
            }
        } else if agents.len() > 1 {
            let list: Vec<String> = (agents.values().take(5))
                .map(|a| printable(a).into())
                .collect();
            out.push(format!(
                "{} holds several phones behind NAT: its REGISTERs' User-Agents name {} phone \
                 models ({}) and all come from {}; their verdicts are merged into one",
                p.id,
                agents.len(),
                list.join(", "),
                p.ips.first().map_or(String::new(), IpAddr::to_string)
            ));
        } else if agent_macs.len() > 1 {
            let list: Vec<String> = agent_macs.iter().take(5).map(mac_string).collect();
            out.push(format!(
                "{} holds several phones behind NAT: its REGISTERs' User-Agents name {} phones' \
                 MACs ({}) and all come from {}; their verdicts are merged into one",
                p.id,
                agent_macs.len(),
                list.join(", "),
                p.ips.first().map_or(String::new(), IpAddr::to_string)
            ));
        } else if users.len() > 1 && !own_identity {
            let list: Vec<String> = users.into_iter().take(5).collect();
            out.push(format!(
                "{} registers several SIP users ({}): several lines of one phone, or phones \
                 behind NAT or a proxy reported as one",
                p.id,
                list.join(", ")
            ));
        }
    }
    let mut twice: BTreeSet<Vec<&str>> = BTreeSet::new();
    for ((call_id, _, _), ids) in senders.into_iter().filter(|(_, ids)| ids.len() > 1) {
        let ids: Vec<&str> = ids.into_iter().collect();
        if twice.insert(ids.clone()) {
            out.push(format!(
                "{} send the same REGISTERs (Call-ID {call_id}): the capture holds both sides \
                 of a NAT (or a proxy), and one phone is listed under each address",
                ids.join(" and ")
            ));
        }
    }
    NatFindings {
        warnings: out,
        alg: alg_rewrites(&register_copies),
        natted,
        guessed,
    }
}

/// Via addresses that follow one another (each one's REGISTERs all after
/// the previous one's), in words; `None` when they interleave (phones at the
/// same time).
fn moved_behind_nat(spans: &BTreeMap<IpAddr, (u64, u64)>) -> Option<String> {
    let mut order: Vec<(&IpAddr, &(u64, u64))> = spans.iter().collect();
    order.sort_by_key(|(_, (first, _))| *first);
    if order.windows(2).any(|w| w[0].1 .1 >= w[1].1 .0) {
        return None;
    }
    let steps: Vec<String> = (order.iter().take(5))
        .map(|(ip, (first, _))| format!("Via {ip} from #{first}"))
        .collect();
    Some(steps.join(", then "))
}

/// What [`nat_warnings`] found.
pub(super) struct NatFindings {
    pub(super) warnings: Vec<String>,
    /// Phones whose REGISTERs a SIP ALG rewrote, and what it rewrote.
    pub(super) alg: Vec<(usize, String)>,
    /// Phones (by index) that hold several phones behind NAT.
    pub(super) natted: Vec<usize>,
    /// Of those, the ones only a burst of handshakes suggests (one phone
    /// retrying at once makes one too): not sure enough to undo a recovery.
    pub(super) guessed: Vec<usize>,
}

/// The first copy a phone sent of a REGISTER: the phone's index, its Via
/// address, its frame, and how many Via values it carries.
type RegisterCopy = (usize, Option<IpAddr>, u64, usize);

/// What tells phone models apart: the model number (`8851` of CP-8851-3PCC
/// and of CP8851), else the name as it is.
pub(super) fn model_number(model: &str) -> String {
    let digits: String = (model.chars())
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.len() {
        3.. => digits,
        _ => model.to_ascii_lowercase(),
    }
}

/// One REGISTER transaction however it was rewritten on the way: Call-ID
/// local part, From tag, From user, CSeq number, top Via branch.
type RegisterKey<'a> = (&'a str, &'a str, String, u32, Option<String>);

/// The branch parameter of the top Via (RFC 3261 8.1.1.7).
pub(super) fn via_branch(m: &sip::SipMessage) -> Option<String> {
    let (_, via) = (m.headers.iter())
        .find(|(n, _)| n.eq_ignore_ascii_case("Via") || n.eq_ignore_ascii_case("v"))?;
    let top = via.split(',').next()?;
    (top.split(';').skip(1))
        .find_map(|p| p.trim().strip_prefix("branch="))
        .map(|b| b.trim().to_string())
}

/// Via values a SIP message carries (header lines and comma-joined ones).
pub(super) fn via_count(m: &sip::SipMessage) -> usize {
    (m.headers.iter())
        .filter(|(n, _)| n.eq_ignore_ascii_case("Via") || n.eq_ignore_ascii_case("v"))
        .map(|(_, v)| v.split(',').count())
        .sum()
}

/// The phones whose REGISTER the capture holds twice with two different
/// Via addresses, and the words for it (the first such REGISTER each). A
/// proxy on the way adds a Via of its own on top; an ALG rewrites the one
/// there, so the count stays.
fn alg_rewrites<K>(register_copies: &BTreeMap<K, Vec<RegisterCopy>>) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for seen in register_copies.values() {
        let mut seen = seen.clone();
        seen.sort_by_key(|(_, _, frame, _)| *frame);
        let [(_, Some(a), fa, na), (_, Some(b), fb, nb), ..] = seen.as_slice() else {
            continue;
        };
        if a == b || na != nb {
            continue;
        }
        let text = format!(
            "a SIP ALG on the path rewrites the REGISTER: its Via names {a} (#{fa}) and {b} in \
             the same REGISTER further on (#{fb})"
        );
        for (i, _, _, _) in &seen {
            if !out.iter().any(|(j, _)| j == i) {
                out.push((*i, text.clone()));
            }
        }
    }
    out
}

/// ClientHellos for one activation or provisioning name, from one address,
/// this close together: several phones booting behind one address. A phone
/// makes one such connection at a time and retries after seconds.
const BURST_HELLOS: usize = 3;
const BURST_NS: i64 = 2_000_000_000;

/// Several phones behind one address, told by their handshakes with the
/// activation or provisioning service starting within [`BURST_NS`], each
/// after its own A lookup of the name (one phone opening several
/// connections resolves once).
fn handshake_burst(p: &Phone, facts: &[Fact]) -> Option<String> {
    let mut hellos: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    // The A lookups of each name: a phone resolves once per boot (and retries
    // after a second or more), so several within the burst are several phones.
    let mut lookups: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for f in p.facts.iter().filter_map(|&i| facts.get(i)) {
        if let Body::Dns(m) = &f.body {
            if !m.response && p.ips.contains(&f.src_ip()) {
                for q in m.questions.iter().filter(|q| q.qtype == 1) {
                    lookups.entry(q.name.as_str()).or_default().push(f.ts.ns);
                }
            }
        }
        if let Body::Tls {
            from_client: true,
            event: tls::TlsEvent::ClientHello { sni: Some(sni), .. },
            ..
        } = &f.body
        {
            let cisco = names::is_activation_name(sni) || names::is_provisioning_name(sni);
            if cisco && p.ips.contains(&f.src_ip()) {
                hellos.entry(sni).or_default().push(f.ts.ns);
            }
        }
    }
    hellos.into_iter().find_map(|(sni, times)| {
        // The most handshakes that start within BURST_NS of one another,
        // and when that burst starts.
        let (most, start) = (0..times.len())
            .map(|i| {
                let start = times.get(i).copied().unwrap_or(0);
                let n = times
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|t| t.saturating_sub(start) < BURST_NS)
                    .count();
                (n, start)
            })
            .max()
            .unwrap_or((0, 0));
        let resolved = lookups.get(sni).map_or(0, |l| {
            l.iter()
                .filter(|t| {
                    (start.saturating_sub(BURST_NS)..start.saturating_add(BURST_NS)).contains(*t)
                })
                .count()
        });
        (most >= BURST_HELLOS && resolved >= BURST_HELLOS).then(|| {
            format!(
                "{} opened {most} handshakes with {sni} within 2 s: several phones behind one \
                 address (NAT)? Their verdicts are merged into one; a capture on the phones' \
                 side of the NAT tells them apart",
                p.id
            )
        })
    })
}

/// The `tag` parameter of a From header value (RFC 3261 section 19.3).
fn from_tag(header: &str) -> Option<&str> {
    let at = header.to_ascii_lowercase().find(";tag=")? + 5;
    let tag = header.get(at..)?.split([';', ' ', ',']).next()?;
    (!tag.is_empty()).then_some(tag)
}
