//! Stages `dhcp` (the lease) and `dhcp-options` (the trap: a scope handing
//! out a provisioning server in 66, 150, 159, 160, or inside 43 / 125).
//! An option sent empty names no server: it is said, not failed. What a
//! lease may lack is in `dhcp/missing.rs`, a renewal refused by NAK in
//! `dhcp/renewal.rs`, by an ICMP error in `dhcp/unreachable.rs`; a NAK from
//! a second server in `dhcp/stray_nak.rs`, an exchange under way at the
//! capture's end in `dhcp/under_way.rs`, a DECLINE in `dhcp/decline.rs`, a
//! profile server in the BOOTP fields in `dhcp/boot_server.rs`. Renewals
//! no server answered before the phone started over are in
//! `dhcp/lost_lease.rs`, a server identifier nobody answers ARP for in
//! `dhcp/server_id.rs`, INIT-REBOOT of an off-subnet address left
//! unanswered in `dhcp/init_reboot.rs`, and unanswered DHCP seen past a
//! relay in `dhcp/relayed.rs`; a lease from a scope that is not the
//! segment's in `dhcp/wrong_scope.rs`.

mod boot_server;
mod decline;
mod init_reboot;
mod lost_lease;
mod missing;
mod relay_copy;
mod relayed;
mod renewal;
mod server_id;
mod stray_nak;
#[cfg(test)]
mod tests;
mod under_way;
mod unreachable;
mod wrong_scope;

use std::collections::{BTreeMap, HashSet};

use super::{ev, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::{Body, Fact};
use crate::proto::dhcp::{message_type_name, DhcpMessage};
pub use boot_server::{boot_server, BootServer};
use decline::{acked_by, declined_result, other_device};
use renewal::{after_renewal_nak, renewal_nak, RENEWAL_NAK_ADVICE};
use stray_nak::stray_nak;
use under_way::dhcp_refusal;
pub use under_way::under_way_at_end;
use under_way::{under_way, under_way_text};

/// At most this many distinct offered values named in a summary or advice
/// (a scope rotating through thousands of servers would make one line of
/// megabytes).
const MAX_LISTED: usize = 6;

/// How the `dhcp-options` advice ends for a phone that did not get past the
/// trap (a phone that did needs no reset: see `recovered_advice`).
pub const FACTORY_RESET: &str = ", then factory-reset the phone so it activates through Webex";

const DISCOVER: u8 = 1;
const OFFER: u8 = 2;
const REQUEST: u8 = 3;
const DECLINE: u8 = 4;
const ACK: u8 = 5;
const NAK: u8 = 6;

fn dhcp_facts<'a>(ctx: &'a Ctx<'a>) -> Vec<(&'a Fact, &'a DhcpMessage)> {
    let msgs = ctx
        .own()
        .filter_map(|f| match &f.body {
            Body::Dhcp(m) if Some(m.chaddr) == ctx.phone.mac => Some((f, m)),
            _ => None,
        })
        .collect();
    relay_copy::without_copies(msgs)
}

fn describe(f: &Fact, m: &DhcpMessage) -> String {
    let t = m.message_type.map_or("BOOTP", message_type_name);
    match m.message_type {
        // An ACK to a DHCPINFORM leases nothing (yiaddr 0, RFC 2131 4.3.5):
        // the phone keeps the address it has (its ciaddr).
        Some(ACK) if m.yiaddr.is_unspecified() => {
            let to = match m.ciaddr.is_unspecified() {
                true => f.dst_ip().to_string(),
                false => m.ciaddr.to_string(),
            };
            let from = server_of(f, m);
            format!("{t} to {to}, no lease (an address it already has: INFORM) from {from}")
        }
        Some(OFFER) | Some(ACK) => format!("{t} {} from {}", m.yiaddr, server_of(f, m)),
        Some(NAK) => {
            let why = m.option(56).map(|b| String::from_utf8_lossy(b).to_string());
            match why {
                Some(w) => format!("{t} from {} ({w})", server_of(f, m)),
                None => format!("{t} from {}", server_of(f, m)),
            }
        }
        Some(REQUEST) => match m.option(50) {
            Some(&[a, b, c, d]) => format!("{t} {a}.{b}.{c}.{d} xid 0x{:08x}", m.xid),
            _ => format!("{t} xid 0x{:08x}", m.xid),
        },
        _ => format!("{t} xid 0x{:08x}", m.xid),
    }
}

/// The DHCP server's address: option 54 (when it can name a server),
/// else the packet's source.
fn server_of(f: &Fact, m: &DhcpMessage) -> String {
    match (m.option(54), m.server_id()) {
        (Some(&[_, _, _, _]), Some(id)) => id.to_string(),
        _ => f.src_ip().to_string(),
    }
}

/// Stage `dhcp`: the outcome of the phone's last DHCP exchange. One still
/// under way at the capture's end after a lease (`under_way`) is no
/// outcome: the lease before it is judged, and the new exchange said.
pub fn lease(ctx: &Ctx<'_>) -> StageResult {
    let msgs = dhcp_facts(ctx);
    let Some(at) = under_way(ctx, &msgs) else {
        return lease_of(ctx, &msgs);
    };
    let (before, tail) = msgs.split_at(at);
    let mut result = lease_of(ctx, before);
    result.summary = format!("{}; then {}", result.summary, under_way_text(tail));
    let mut evidence = std::mem::take(&mut result.evidence);
    evidence.extend(tail.iter().map(|(f, m)| ev(f, describe(f, m))));
    result.evidence(evidence)
}

/// The outcome of the last exchange in `msgs` (the phone's DHCP messages).
fn lease_of(ctx: &Ctx<'_>, msgs: &[(&Fact, &DhcpMessage)]) -> StageResult {
    if msgs.is_empty() {
        return StageResult::not_seen(Stage::Dhcp, "no DHCP from this phone in the capture");
    }
    // Transactions by xid, in order of their first message.
    let mut order: Vec<u32> = Vec::new();
    let mut by_xid: BTreeMap<u32, Vec<(&Fact, &DhcpMessage)>> = BTreeMap::new();
    for (f, m) in msgs {
        // A DECLINE under a transaction id of its own (RFC 2131 table 5
        // leaves it to the client; busybox udhcpc picks a new one) belongs
        // to the exchange that acknowledged the address it declines.
        let xid = match (m.message_type, by_xid.contains_key(&m.xid)) {
            (Some(DECLINE), false) => acked_by(&order, &by_xid, m).unwrap_or(m.xid),
            _ => m.xid,
        };
        if !by_xid.contains_key(&xid) {
            order.push(xid);
        }
        by_xid.entry(xid).or_default().push((f, m));
    }
    let has = |xid: &u32, t: u8| by_xid[xid].iter().any(|(_, m)| m.message_type == Some(t));
    let judged: Vec<&u32> = order
        .iter()
        .filter(|x| {
            [DISCOVER, REQUEST, OFFER, ACK, NAK, DECLINE]
                .iter()
                .any(|&t| has(x, t))
        })
        .collect();
    let Some(last) = judged.last() else {
        let evidence: Vec<Evidence> = msgs.iter().map(|(f, m)| ev(f, describe(f, m))).collect();
        // Cut by the snaplen before their options: no message type to tell.
        if msgs.iter().any(|(_, m)| cut_before_options(m)) {
            let summary = format!(
                "{} cut by the capture's snaplen before their options (the message types): \
                 can't tell how the lease went",
                crate::text::plural(msgs.len(), "DHCP message", "DHCP messages")
            );
            return StageResult::not_seen(Stage::Dhcp, summary).evidence(evidence);
        }
        return StageResult::new(Stage::Dhcp, Status::Pass, "DHCP seen (no lease exchange)")
            .evidence(evidence);
    };
    // An earlier exchange the phone declined (its address answered ARP:
    // in use, RFC 2131 4.4.1), and the address it declined.
    let declined = judged[..judged.len() - 1].iter().rev().find_map(|x| {
        by_xid[*x]
            .iter()
            .find(|(_, m)| m.message_type == Some(DECLINE))
            .map(|(_, m)| {
                m.requested_ip()
                    .map_or("its address".to_string(), |a| a.to_string())
            })
    });
    let answered_earlier = judged[..judged.len() - 1]
        .iter()
        .any(|x| has(x, OFFER) || has(x, ACK));
    let earlier_trouble = judged[..judged.len() - 1]
        .iter()
        .any(|x| !has(x, ACK) || has(x, NAK) || has(x, DECLINE))
        || has(last, NAK) && has(last, ACK);
    let mut evidence: Vec<Evidence> = Vec::new();
    // Earlier exchanges (earlier boot cycles, failed attempts) stay as evidence.
    for x in &judged[..judged.len() - 1] {
        evidence.extend(by_xid[x].iter().map(|(f, m)| ev(f, describe(f, m))));
    }
    let last_msgs = &by_xid[*last];
    evidence.extend(last_msgs.iter().map(|(f, m)| ev(f, describe(f, m))));
    let last_of = |t: u8| {
        last_msgs
            .iter()
            .rev()
            .find(|(_, m)| m.message_type == Some(t))
    };
    let count = |t: u8| {
        last_msgs
            .iter()
            .filter(|(_, m)| m.message_type == Some(t))
            .count()
    };
    // A NAK after the ACK from another server than the one that acknowledged
    // does not take the lease back (RFC 2131 4.3.2: only the server the
    // client selected answers its REQUEST): a second DHCP server is talking.
    let foreign_nak = match (last_of(ACK), last_of(NAK)) {
        (Some((af, am)), Some((nf, nm))) => {
            nf.frame > af.frame && server_of(nf, nm) != server_of(af, am)
        }
        _ => false,
    };
    let ack_after_nak = match (last_of(ACK), last_of(NAK)) {
        (Some((a, _)), Some((n, _))) => a.frame > n.frame || foreign_nak,
        (Some(_), None) => true,
        _ => false,
    };
    // A renewal the server refused after the last lease (RFC 2131 4.4.5:
    // the phone must drop the address it was using and start over).
    let last_ack_frame = msgs
        .iter()
        .filter(|(_, m)| m.op == 2 && m.message_type == Some(ACK))
        .map(|(f, _)| f.frame)
        .max();
    let renewal_refused =
        renewal_nak(msgs).filter(|(nak, _)| last_ack_frame.is_some_and(|a| nak.frame > a));
    // The last exchange ends with that NAK (a client renewing on its boot
    // transaction id), or nothing decided after it.
    let from_nak = !ack_after_nak && last_of(NAK).is_some();
    // The phone declined the address the last ACK leased (it answered
    // ARP: in use) and the capture holds no later lease: it has none.
    let declined_at_end = match (last_of(ACK), last_of(DECLINE)) {
        (Some((a, _)), Some((d, _))) => d.frame > a.frame,
        _ => false,
    };
    let mut result = if ack_after_nak && !declined_at_end {
        let earlier = Earlier {
            trouble: earlier_trouble,
            declined: declined.as_deref(),
            foreign_nak,
        };
        leased(ctx, msgs, last_msgs, &earlier)
    } else if let Some((f, m)) = last_of(DECLINE).filter(|(d, _)| {
        // The latest word decides: a DECLINE of the address acknowledged
        // after an earlier NAK is the cause, not that NAK.
        declined_at_end && last_of(NAK).is_none_or(|(n, _)| n.frame < d.frame)
    }) {
        declined_result(ctx, f, m)
    } else if let Some((f, m)) = last_of(NAK) {
        // The refused REQUEST named another server (option 54): the NAK is
        // a second server's, which RFC 2131 4.3.2 says keeps silent.
        let named = (last_msgs.iter().rev())
            .filter(|(q, r)| q.frame < f.frame && r.op == 1 && r.xid == m.xid)
            .find(|(_, r)| r.message_type == Some(REQUEST))
            .and_then(|(_, r)| r.server_id());
        let by = server_of(f, m);
        let advice = match named.filter(|n| n.to_string() != by) {
            Some(named) => format!(
                "{by} is a second DHCP server on the voice VLAN: it refused the phone's REQUEST \
                 naming {named} (RFC 2131 4.3.2: a server not named keeps silent), and the \
                 capture holds no answer from {named}; stop {by} or make it non-authoritative"
            ),
            None => "the DHCP server refused the address the phone asked for; check the scope \
                     on the voice VLAN and any second DHCP server answering there"
                .to_string(),
        };
        StageResult::new(Stage::Dhcp, Status::Fail, describe(f, m)).advice(advice)
    } else if let Some((f, m)) = last_of(DECLINE) {
        declined_result(ctx, f, m)
    } else if let Some(used) = used_after(ctx, last_msgs) {
        // The server's answers are missing from the capture (one direction
        // only, a relay's unicast not mirrored), yet the phone got a lease.
        let n = count(DISCOVER) + count(REQUEST);
        let summary = format!(
            "{n} DISCOVER/REQUEST, the server's answers are not in the capture; the phone then \
             sent from {} (#{}), so it got its lease",
            used.src_ip(),
            used.frame
        );
        StageResult::new(Stage::Dhcp, Status::NotSeen, summary)
    } else if let Some(pending) = pending_at_end(ctx, last_msgs, answered_earlier) {
        StageResult::new(Stage::Dhcp, Status::NotSeen, pending)
    } else if count(OFFER) > 0 && count(REQUEST) > 0 {
        StageResult::new(Stage::Dhcp, Status::Fail, "REQUEST never acknowledged").advice(
            "the server offered an address but never answered the REQUEST; check the \
             DHCP server's log and the relay",
        )
    } else if count(OFFER) > 0
        && match discovers_after_offer(last_msgs) {
            0 => false,
            1 => last_offer_waited(ctx, last_msgs),
            _ => true,
        }
    {
        // The phone went on DISCOVERing after OFFERs: it did not take them
        // (they never reached it, or lack what it needs).
        let summary = format!(
            "{} DISCOVERs answered by {} OFFERs, and the phone never REQUESTed: it does not \
             take the offers",
            count(DISCOVER),
            count(OFFER)
        );
        let advice = "the phone ignores the server's OFFERs: check that they reach it (a relay \
                      or firewall between, the voice VLAN's tagging), and that they hold a \
                      router and a subnet mask (options 3 and 1) in the phone's address range";
        StageResult::new(Stage::Dhcp, Status::Fail, summary).advice(advice)
    } else if count(OFFER) > 0 {
        let summary = "OFFER received, no REQUEST followed in the capture";
        StageResult::new(Stage::Dhcp, Status::NotSeen, summary)
    } else {
        let n = count(DISCOVER) + count(REQUEST);
        let mut summary = format!("{n} DISCOVER/REQUEST with no answer from any DHCP server");
        // Earlier tries (other transaction ids) that got no answer either.
        let unanswered: Vec<&&u32> = (judged[..judged.len() - 1].iter())
            .filter(|x| !has(x, OFFER) && !has(x, ACK) && !has(x, NAK))
            .collect();
        if let Some(first) = unanswered.first().and_then(|x| by_xid[**x].first()) {
            let sent: usize = (unanswered.iter()).map(|x| by_xid[**x].len()).sum();
            summary.push_str(&format!(
                " (and {sent} more in {} before it, from #{})",
                match unanswered.len() {
                    1 => "an earlier try".to_string(),
                    k => format!("{k} earlier tries"),
                },
                first.0.frame
            ));
        }
        let mut advice = "no DHCP server answered on this VLAN: check the relay (ip \
                          helper-address) and the server's scope for the voice VLAN"
            .to_string();
        // The same servers answered other clients meanwhile: this one alone
        // is left out, unless others went unanswered too.
        let others = others(ctx, last_msgs);
        let mut extra = Vec::new();
        let relayed = (!ctx.one_way)
            .then(|| relayed::relayed(ctx, last_msgs))
            .flatten();
        let answered_others = others.singled_out().is_some() || others.partial().is_some();
        if let Some(relayed) = relayed.filter(|_| !answered_others) {
            // Seen on the server's side of a working relay: the fault is past it.
            summary.push_str(&relayed.text);
            advice = relayed.advice;
            extra = relayed.evidence;
        } else if let Some((frame, k)) = others.singled_out() {
            let k = super::others_text(k, "reply", "replies");
            summary.push_str(&format!(", while {k} to other clients came (#{frame})"));
            advice = format!(
                "DHCP answers other clients on this VLAN ({k}, #{frame}) but never \
                 this phone: something singles it out (a host entry ignoring its MAC, an \
                 exhausted or excluded range for its class, DHCP snooping or a port ACL on \
                 its switch port); check the server's log for its MAC"
            );
        } else if let Some(((frame, k), (silent, _))) = others.partial() {
            let k = super::others_text(k, "reply", "replies");
            let n =
                others.unanswered_text("request of another client", "requests of other clients");
            summary.push_str(&format!(
                ", while {k} to other clients came (#{frame}) and {n} went unanswered too \
                 (#{silent})"
            ));
            advice = format!(
                "DHCP answers some other clients on this VLAN ({k}, #{frame}) and leaves \
                 {n} unanswered too (#{silent}): the server fails many clients, not this \
                 phone alone (an exhausted range, an overloaded server or relay); check the \
                 scope's free addresses and the server's log"
            );
        }
        StageResult::new(Stage::Dhcp, Status::Fail, summary)
            .advice(advice)
            .evidence(extra)
    };
    if let Some((nak, addr)) = renewal_refused {
        // Refused by another server than the one that leased (a rebinding
        // broadcast reaches every server): a second DHCP server.
        let server_at = |frame: u64| {
            (msgs.iter())
                .find(|(f, _)| f.frame == frame)
                .map(|(f, m)| server_of(f, m))
        };
        let second = match (server_at(nak.frame), last_ack_frame.and_then(server_at)) {
            (Some(by), Some(leased)) if by != leased => Some((by, leased)),
            _ => None,
        };
        result = after_renewal_nak(ctx, result, from_nak, (nak, addr), second);
    } else if let Some(refused) = unreachable::after_lease(ctx, msgs, &result) {
        result = refused;
    }
    // Still under way at the capture's end, but after declining an address
    // in use: the conflict is there whatever comes next.
    if let (Status::NotSeen, Some(addr)) = (result.status, declined.as_deref()) {
        let summary = format!(
            "{}, after the phone declined {addr}: in use",
            result.summary
        );
        let advice = format!(
            "{} answers for {addr}, the address the server leased (a static address inside \
             the scope, or a duplicate): the phone declined it; find that device or exclude \
             the address",
            other_device(ctx, addr)
        );
        result = StageResult::new(Stage::Dhcp, Status::Warn, summary).advice(advice);
    }
    // Evidence a rule of its own adds (the ARP to a dead router) comes after.
    evidence.append(&mut result.evidence);
    result.evidence(evidence)
}

/// What came before the last exchange that leased the address.
struct Earlier<'x> {
    /// An earlier exchange got no ACK, or a NAK or DECLINE.
    trouble: bool,
    /// The address the phone declined before (it answered ARP: in use).
    declined: Option<&'x str>,
    /// A NAK after the ACK from another server than the one that leased.
    foreign_nak: bool,
}

/// The last exchange `last_msgs` ended with an ACK: pass, or warn with what
/// came before it, and the options a phone cannot boot without.
fn leased(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    last_msgs: &[(&Fact, &DhcpMessage)],
    earlier: &Earlier<'_>,
) -> StageResult {
    let last_of = |t: u8| {
        last_msgs
            .iter()
            .rev()
            .find(|(_, m)| m.message_type == Some(t))
    };
    let (f, m) = last_of(ACK).copied().unwrap_or(msgs[0]);
    let status = if earlier.trouble {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut summary = describe(f, m);
    let earlier_nak = msgs.iter().any(|(f, m)| {
        m.message_type == Some(NAK) && f.frame < last_of(ACK).map_or(0, |(a, _)| a.frame)
    });
    let renewal = renewal_nak(msgs).filter(|(nak, _)| nak.frame < f.frame);
    let stray = stray_nak(msgs, f, m);
    // Renewals no server answered before the phone started over.
    let lost = (renewal.is_none() && !ctx.one_way)
        .then(|| lost_lease::lost_before(msgs, f.frame))
        .flatten();
    // INIT-REBOOT of an address from elsewhere a server kept silent on.
    let ignored = earlier
        .trouble
        .then(|| init_reboot::ignored(msgs, f.frame, m))
        .flatten();
    if let Some((nak, addr)) = renewal {
        summary.push_str(&format!(
            " (after the server refused the renewal of {addr}, NAK #{})",
            nak.frame
        ));
    } else if let Some(lost) = &lost {
        summary.push_str(&format!(" (after {})", lost.text(m.yiaddr)));
    } else if let Some(stray) = &stray {
        summary.push_str(&format!(
            " (after {} NAKed {}, #{}: a second DHCP server)",
            stray.by,
            stray.request_text(),
            stray.frame
        ));
    } else if earlier_nak {
        summary.push_str(" (after a NAK)");
    } else if let Some(addr) = earlier.declined {
        summary.push_str(&format!(" (after the phone declined {addr}: in use)"));
    } else if let Some(ignored) = &ignored {
        summary.push_str(&format!(" ({})", ignored.text()));
    } else if earlier.trouble && !earlier.foreign_nak {
        summary.push_str(" (after an exchange that got no ACK)");
    }
    // REQUESTs refused by an ICMP error before this ACK: re-sent because
    // the server's DHCP service was down, not slow.
    let opened = last_msgs.first().map_or(0, |(g, _)| g.frame);
    let refused = unreachable::refusals(ctx, opened, Some(f.frame));
    let slow = (!earlier.trouble && refused.is_none())
        .then(|| slow_server(last_msgs))
        .flatten();
    let status = if slow.is_some() || refused.is_some() || lost.is_some() {
        Status::Warn
    } else {
        status
    };
    if let Some(slow) = &slow {
        summary.push_str(&format!(" ({slow})"));
    }
    if let Some(refused) = &refused {
        let down = match refused.server.to_string() == server_of(f, m) {
            true => "was down",
            false => "is down",
        };
        summary.push_str(&format!(
            " (after {}: its DHCP service {down})",
            refused.text()
        ));
    }
    let mut result = StageResult::new(Stage::Dhcp, status, summary);
    if let Some(refused) = &refused {
        let (server, leaser) = (refused.server, server_of(f, m));
        let evidence: Vec<Evidence> = (refused.icmp.iter())
            .map(|g| ev(g, refused.evidence_text(g)))
            .collect();
        let advice = match server.to_string() == leaser {
            true => format!(
                "the DHCP service on {server} was down (its host refused the phone's REQUESTs \
                 with ICMP {}) before it answered: check why it stopped",
                refused.words
            ),
            false => format!(
                "the DHCP service on {server} is down (its host refused the phone's renewals \
                 with ICMP {}) and {leaser} leased instead: restart the service on {server}, or \
                 stop {leaser} if it should not serve the phones",
                refused.words
            ),
        };
        result = result.advice(advice).evidence(evidence);
    } else if slow.is_some() {
        result = result.advice(
            "the DHCP server (or its relay) answered after the phone's retry timer: check \
             its load and any ping check it makes before offering (conflict detection)",
        );
    } else if let Some(addr) = earlier.declined.filter(|_| !earlier_nak) {
        result = result.advice(format!(
            "{} answers for {addr}, the address the server first leased (a static address \
             inside the scope, or a duplicate): the phone declined it and got another, off \
             any reservation; find that device or exclude the address",
            other_device(ctx, addr)
        ));
    } else if renewal.is_some() {
        result = result.advice(RENEWAL_NAK_ADVICE);
    } else if let Some(lost) = &lost {
        result = result.advice(lost.advice());
    } else if let Some(stray) = &stray {
        let rfc = match stray.named {
            Some(_) => " (RFC 2131 4.3.2: only the server a REQUEST names answers it)",
            None => "",
        };
        result = result.advice(format!(
            "{by} is a second DHCP server on the voice VLAN: it refused (NAK #{}) {}, and {} \
             leased the address{rfc}; stop {by}, or make it non-authoritative for this segment",
            stray.frame,
            stray.request_text(),
            server_of(f, m),
            by = stray.by,
        ));
    } else if earlier_nak {
        result = result.advice(
            "the server refused the phone's first REQUEST (NAK: often an address the phone \
             remembers from another subnet) before leasing: harmless once; if every boot \
             does it, look for a second DHCP server or relay on the voice VLAN",
        );
    } else if let Some(ignored) = &ignored {
        result = result.advice(ignored.advice());
    } else if earlier.trouble && !earlier.foreign_nak {
        result = result.advice(
            "an earlier DHCP exchange got no ACK before this one did: if boots are slow, \
             check the relay and how fast the server answers",
        );
    }
    if result.status == Status::Pass {
        if let Some(u) = server_id::unreachable(ctx, msgs, m) {
            let summary = format!("{}: {}", result.summary, u.text());
            result = StageResult::new(Stage::Dhcp, Status::Warn, summary)
                .advice(u.advice())
                .evidence(u.evidence(m.yiaddr));
        }
    }
    if let Some(r) = missing::no_dns_server(ctx, msgs, f) {
        result = r;
    } else if let Some(r) = missing::no_router(ctx, msgs, f) {
        result = r;
    } else if let Some(r) = missing::dead_router(ctx, msgs) {
        result = wrong_scope::reworded(msgs, &r).unwrap_or(r);
    }
    if let (true, Some((nf, nm))) = (earlier.foreign_nak, last_of(NAK)) {
        let (leased_from, naked_by) = (server_of(f, m), server_of(nf, nm));
        result.summary.push_str(&format!(
            "; {naked_by} answered NAK: two DHCP servers answer this phone"
        ));
        result = result.advice(format!(
            "two DHCP servers answer on the voice VLAN ({leased_from} gave the \
             lease, {naked_by} refused it): keep the one that should serve the phones \
             and stop the other (or its relay)"
        ));
    }
    result
}

/// DISCOVERs sent after the first OFFER in `msgs` (in frame order): each
/// one a phone passing over an offer.
fn discovers_after_offer(msgs: &[(&Fact, &DhcpMessage)]) -> usize {
    let first_offer = msgs.iter().position(|(_, m)| m.message_type == Some(OFFER));
    first_offer.map_or(0, |at| {
        (msgs.iter().skip(at))
            .filter(|(_, m)| m.message_type == Some(DISCOVER))
            .count()
    })
}

/// The capture goes on [`PENDING_SECS`] after the last OFFER in `msgs`: the
/// phone had the time to REQUEST it.
fn last_offer_waited(ctx: &Ctx<'_>, msgs: &[(&Fact, &DhcpMessage)]) -> bool {
    let last = msgs
        .iter()
        .rev()
        .find(|(_, m)| m.message_type == Some(OFFER));
    last.is_some_and(|(f, _)| ctx.secs_left(&f.ts) >= PENDING_SECS)
}

/// Seconds before the capture's end within which a single DISCOVER or
/// REQUEST may simply not have had its answer yet (RFC 2131 4.1: the first
/// retry comes after about 4 s; a server may probe the address first).
const PENDING_SECS: f64 = 4.0;

/// The exchange ends with the phone's one DISCOVER (or one REQUEST since the
/// last OFFER) sent just before the capture's end: no answer *yet*.
/// Re-sent ones count only for a phone the capture shows answered in an
/// earlier exchange (`answered_before`: a server it had worked with, now
/// probing the next address).
fn pending_at_end(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    answered_before: bool,
) -> Option<String> {
    let (last, m) = msgs.last()?;
    let kind = m.message_type?;
    if !matches!(kind, DISCOVER | REQUEST) || ctx.secs_left(&last.ts) >= PENDING_SECS {
        return None;
    }
    // Every one sent since the last answer fits in that window: a client
    // retrying quickly while its server probes the address still waits.
    let since_answer: Vec<&Fact> = msgs
        .iter()
        .rev()
        .take_while(|(_, m)| !matches!(m.message_type, Some(OFFER | ACK | NAK)))
        .filter(|(_, m)| m.message_type == Some(kind))
        .map(|(f, _)| *f)
        .collect();
    let first = since_answer.last()?;
    let what = if kind == DISCOVER {
        "DISCOVER"
    } else {
        "REQUEST"
    };
    match since_answer.len() {
        1 => Some(format!("{what} at the end of the capture, no answer yet")),
        n if answered_before && ctx.secs_left(&first.ts) < PENDING_SECS => Some(format!(
            "{n} {what}s in the last {:.0} s of the capture (from #{}), no answer yet",
            ctx.secs_left(&first.ts).ceil(),
            first.frame
        )),
        _ => None,
    }
}

/// Seconds from the first DISCOVER to the ACK that make a slow server.
const SLOW_SECS: f64 = 4.0;

/// A lease that came after the phone's retry timer: DISCOVERs re-sent
/// before the first OFFER, or REQUESTs before the ACK, a second or more
/// apart (copies from a merged capture are not retries). Said in words.
fn slow_server(msgs: &[(&Fact, &DhcpMessage)]) -> Option<String> {
    let first_of = |t: u8| msgs.iter().position(|(_, m)| m.message_type == Some(t));
    let retries = |t: u8, until: Option<usize>| {
        let sent: Vec<&Fact> = msgs
            .get(..until.unwrap_or(msgs.len()))
            .unwrap_or_default()
            .iter()
            .filter(|(_, m)| m.message_type == Some(t))
            .map(|(f, _)| *f)
            .collect();
        let spread = match (sent.first(), sent.last()) {
            (Some(a), Some(b)) => a.ts.secs_until(&b.ts),
            _ => 0.0,
        };
        if spread >= 1.0 {
            sent.len()
        } else {
            0
        }
    };
    let discovers = retries(DISCOVER, first_of(OFFER));
    let requests = retries(REQUEST, first_of(ACK));
    if discovers < 2 && requests < 2 {
        return None;
    }
    let ack = msgs.iter().find(|(_, m)| m.message_type == Some(ACK))?.0;
    let start = msgs.first()?.0;
    // A server's conflict probe before its OFFER (RFC 2131 3.1, dnsmasq
    // waits 3 s) is normal: slow is past a phone's first retry (4 s).
    if start.ts.secs_until(&ack.ts) < SLOW_SECS {
        return None;
    }
    let mut sent = Vec::new();
    if discovers >= 2 {
        sent.push(format!("{discovers} DISCOVERs"));
    }
    if requests >= 2 {
        sent.push(format!("{requests} REQUESTs"));
    }
    Some(format!(
        "after {} re-sent: the lease took {:.1} s",
        sent.join(" and "),
        start.ts.secs_until(&ack.ts)
    ))
}

/// A lease the capture missed: the exchange `msgs` has a DISCOVER, then a
/// REQUEST naming a server and an address (RFC 2131 4.3.2, SELECTING: the
/// phone had an OFFER), and the phone's next packet but DHCP comes from that
/// address (it had the ACK). That packet. A renewal or an INIT-REBOOT
/// REQUEST left unanswered proves nothing: the phone may keep its address.
fn used_after<'a>(ctx: &Ctx<'a>, msgs: &[(&Fact, &DhcpMessage)]) -> Option<&'a Fact> {
    let discover = msgs
        .iter()
        .position(|(_, m)| m.message_type == Some(DISCOVER))?;
    let (last, request) = msgs.get(discover..)?.iter().rev().find(|(_, m)| {
        m.message_type == Some(REQUEST) && m.server_id().is_some() && m.ciaddr.is_unspecified()
    })?;
    let address = std::net::IpAddr::V4(request.requested_ip()?);
    ctx.own()
        .find(|f| {
            f.frame > last.frame && ctx.is_phone(&f.src_ip()) && !matches!(f.body, Body::Dhcp(_))
        })
        .filter(|f| f.src_ip() == address)
}

/// A message the snaplen cut before its options (`dhcp::parse_cut`).
fn cut_before_options(m: &DhcpMessage) -> bool {
    m.message_type.is_none() && m.anomalies.contains(&"cut_by_snaplen")
}

/// Stage `dhcp-options`: does the scope hand out a provisioning server?
/// `last_boot`: where the phone's last boot starts, when the capture holds
/// several: a last lease that offers none of the options, after earlier
/// ones that did, is a `warn` (the scope was fixed, or the phone moved to a
/// clean VLAN), not a fail.
pub fn options(ctx: &Ctx<'_>, last_boot: Option<u64>) -> StageResult {
    let replies: Vec<_> = dhcp_facts(ctx)
        .into_iter()
        .filter(|(_, m)| m.op == 2 && matches!(m.message_type, Some(OFFER) | Some(ACK)))
        .collect();
    let cut = dhcp_facts(ctx)
        .into_iter()
        .find(|(_, m)| m.op == 2 && cut_before_options(m));
    if let (true, Some((f, m))) = (replies.is_empty(), cut) {
        let text = format!(
            "reply from {} cut by the snaplen before its options",
            server_of(f, m)
        );
        return StageResult::not_seen(
            Stage::DhcpOptions,
            "every DHCP reply is cut short by the capture's snaplen before its options: \
             can't tell",
        )
        .evidence(vec![ev(f, text)]);
    }
    if replies.is_empty() {
        return StageResult::not_seen(Stage::DhcpOptions, "no OFFER or ACK seen for this phone");
    }
    let mut evidence = Vec::new();
    let mut found: Vec<String> = Vec::new();
    let mut distinct = 0usize;
    let mut seen: HashSet<String> = HashSet::new();
    let mut server = String::new();
    let mut server_vlan = None;
    for (f, m) in &replies {
        for (code, value) in m.provisioning_options() {
            let text = format!("option {code} = {value}");
            evidence.push(ev(
                f,
                format!("{} {text}", message_type_name(m.message_type.unwrap_or(0))),
            ));
            if seen.insert(text.clone()) {
                distinct += 1;
                if found.len() < MAX_LISTED {
                    found.push(text);
                }
            }
            server = server_of(f, m);
            server_vlan = f.vlan;
        }
    }
    // A reply cut by the snaplen may hide its options: only whole replies can
    // show that none was offered.
    let whole: Vec<_> = replies.iter().filter(|(f, _)| !f.truncated).collect();
    if let (true, Some(&(f, m))) = (found.is_empty() && whole.is_empty(), replies.last()) {
        let text = format!(
            "{} from {} cut by the snaplen: its options cannot be read",
            message_type_name(m.message_type.unwrap_or(0)),
            server_of(f, m)
        );
        return StageResult::not_seen(
            Stage::DhcpOptions,
            "every OFFER/ACK is cut short by the capture's snaplen: can't tell",
        )
        .evidence(vec![ev(f, text)]);
    }
    if let (true, Some(boot)) = (found.is_empty(), boot_server(ctx)) {
        return boot.options_result();
    }
    if let (true, Some(&&(f, m))) = (found.is_empty(), whole.last()) {
        // Vendor options present but holding no server or URL: said, judged.
        let vendor: Vec<String> = [43u8, 125]
            .iter()
            .filter_map(|&c| m.option(c).map(|d| (c, d.len())))
            .map(|(c, n)| format!("option {c} ({n} bytes) holds no server or URL"))
            .collect();
        let vendor = match vendor.is_empty() {
            true => String::new(),
            false => format!("; {}", vendor.join(", ")),
        };
        // Sent blank, or holding an address that names no server (0.0.0.0:
        // RFC 1122 3.2.1.3): present, naming none.
        let codes = m.empty_provisioning_options();
        let blank: Vec<String> = (codes.iter())
            .filter(|c| m.placeholder_server(**c).is_none())
            .map(|c| format!("option {c}"))
            .collect();
        let mut empty: Vec<String> = (codes.iter())
            .filter_map(|c| m.placeholder_server(*c).map(|v| (c, v)))
            .map(|(c, v)| format!("option {c} names {v}, no usable server"))
            .collect();
        if !blank.is_empty() {
            empty.insert(0, format!("{} sent, naming no server", blank.join(", ")));
        }
        let empty = empty.join("; ");
        let summary = match empty.is_empty() {
            true => "no 66/150/159/160 offered".to_string(),
            false => empty.clone(),
        };
        let text = format!(
            "{} from {}: {summary}{vendor}",
            message_type_name(m.message_type.unwrap_or(0)),
            server_of(f, m)
        );
        return StageResult::new(Stage::DhcpOptions, Status::Pass, summary)
            .evidence(vec![ev(f, text)]);
    }
    // A reply counts as clean only where the phone asked for what the
    // earlier ones offered (option 55): a server sends most options only
    // when asked (RFC 2132 9.8), so a request that did not ask proves
    // nothing of the scope. Replies whose request the capture lacks count.
    let offered: HashSet<u8> = (replies.iter())
        .flat_map(|(_, m)| m.provisioning_options())
        .map(|(code, _)| code)
        .collect();
    let all = dhcp_facts(ctx);
    let asked = |reply: &DhcpMessage| {
        let mut requests = (all.iter())
            .filter(|(_, m)| m.op == 1 && m.xid == reply.xid)
            .filter(|(_, m)| matches!(m.message_type, Some(DISCOVER | REQUEST)))
            .peekable();
        requests.peek().is_none()
            || requests.any(|(_, m)| {
                m.option(55)
                    .is_some_and(|prl| prl.iter().any(|c| offered.contains(c)))
            })
    };
    let last_clean = last_boot.and_then(|start| {
        let last: Vec<_> = (whole.iter())
            .filter(|(f, m)| f.frame >= start && asked(m))
            .collect();
        let clean = last
            .iter()
            .all(|(_, m)| m.provisioning_options().is_empty());
        last.last().filter(|_| clean).map(|(f, m)| (*f, *m))
    });
    let vendor = dhcp_facts(ctx)
        .iter()
        .find_map(|(_, m)| m.option(60).map(|v| String::from_utf8_lossy(v).to_string()));
    // Replies on several VLANs (data, then voice): say which scope.
    let vlans: HashSet<Option<u16>> = replies.iter().map(|(f, _)| f.vlan).collect();
    let scope = match (vlans.len() > 1, server_vlan) {
        (false, _) => "the scope".to_string(),
        (true, Some(v)) => format!("the VLAN {v} scope"),
        (true, None) => "the untagged (native VLAN) scope".to_string(),
    };
    // The lease came from another server: a second DHCP server offers it.
    let leased_from = replies
        .iter()
        .rev()
        .find(|(_, m)| m.message_type == Some(ACK))
        .map(|(f, m)| server_of(f, m));
    let codes = found
        .iter()
        .map(|t| t.split(" =").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(", ");
    // Another server answered this phone too (an OFFER, or a NAK of the
    // lease): which of the two is the voice VLAN's own is not in the capture.
    let mut others: Vec<String> = dhcp_facts(ctx)
        .iter()
        .filter(|(_, m)| m.op == 2 && matches!(m.message_type, Some(OFFER | ACK | NAK)))
        .map(|(f, m)| server_of(f, m))
        .filter(|s| *s != server)
        .collect();
    others.sort();
    others.dedup();
    // Answers relayed (giaddr set): the servers are the relay's helper
    // addresses, not boxes on the segment that snooping would stop.
    // (The offending server's own replies, and every other's, must be
    // relayed: a server on the segment beside a relay is a second one.)
    let relayed = |from: &str| {
        let of = (replies.iter()).filter(|(f, m)| server_of(f, m) == from);
        of.clone().next().is_some() && of.clone().all(|(_, m)| !m.giaddr.is_unspecified())
    };
    let relay = (replies.iter())
        .filter(|(f, m)| server_of(f, m) == server)
        .map(|(_, m)| m.giaddr)
        .find(|g| !g.is_unspecified())
        .filter(|_| others.iter().all(|o| relayed(o)));
    let mut advice = match (leased_from, relay) {
        (Some(l), Some(relay)) if l != server || !others.is_empty() => format!(
            "the relay {relay} forwards the phone's DHCP to several servers (its helper \
             addresses): {server} offers {codes}, {}; remove {server} from the relay's helper \
             addresses if it should not serve the voice VLAN, else remove {codes} from its \
             scope",
            match l != server {
                true => format!("{l} gave the lease"),
                false => format!("{} answered too", others.join(", ")),
            }
        ),
        (Some(l), _) if l != server => format!(
            "{server} is a second DHCP server on the segment (the phone's lease came from {l}) \
             and offers {codes}: stop it, or remove {codes} from its scope"
        ),
        (Some(_), _) if !others.is_empty() => format!(
            "two DHCP servers answer this phone: {server} gave its lease and offers {codes}, \
             {} answered too; if {server} is not the voice VLAN's own server, stop it (DHCP \
             snooping on the switch keeps such servers out), else remove {codes} from its scope",
            others.join(", ")
        ),
        _ => {
            let mut a = format!(
                "remove {codes} from {scope} on DHCP server {server} (or exclude the phones' \
                 vendor class"
            );
            if let Some(v) = vendor {
                a.push_str(&format!(" '{v}'"));
            }
            a.push(')');
            a
        }
    };
    advice.push_str(FACTORY_RESET);
    let mut summary = format!("scope offers {}", found.join("; "));
    if distinct > found.len() {
        summary.push_str(&format!(" and {} other values", distinct - found.len()));
    }
    if let Some((f, m)) = last_clean {
        let text = format!(
            "{} from {}: no 66/150/159/160 offered",
            message_type_name(m.message_type.unwrap_or(0)),
            server_of(f, m)
        );
        evidence.push(ev(f, text));
        let summary = format!(
            "the last lease offers none of 66/150/159/160; an earlier one: {}",
            found.join("; ")
        );
        let advice = format!(
            "{codes} came with an earlier lease from {scope} on {server}: if that scope still \
             serves the phones, remove {codes} from it; a phone that fetched a profile then \
             keeps it until it is factory-reset"
        );
        return StageResult::new(Stage::DhcpOptions, Status::Warn, summary)
            .advice(advice)
            .evidence(evidence);
    }
    StageResult::new(Stage::DhcpOptions, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

/// What the DHCP servers did for other clients while the phone's last tries
/// went unanswered (until a second after the last): their replies, and
/// other clients' requests left unanswered. Only clients of the phone's
/// segment count: its VLAN, and the relay (giaddr) its messages carry when
/// captured past one (replies keep the relay's address; a client's own
/// broadcasts carry none).
fn others(ctx: &Ctx<'_>, last_msgs: &[(&Fact, &DhcpMessage)]) -> super::Others {
    let (Some((first, _)), Some((last, _))) = (last_msgs.first(), last_msgs.last()) else {
        return super::Others::default();
    };
    let vlan = last.vlan;
    let relays: Vec<std::net::Ipv4Addr> = (last_msgs.iter())
        .map(|(_, m)| m.giaddr)
        .filter(|g| !g.is_unspecified())
        .collect();
    fn dhcp(f: &Fact) -> Option<&DhcpMessage> {
        match &f.body {
            Body::Dhcp(m) => Some(m),
            _ => None,
        }
    }
    let segment = |f: &Fact, m: &DhcpMessage| {
        f.vlan == vlan
            && Some(m.chaddr) != ctx.phone.mac
            && (relays.is_empty() || relays.contains(&m.giaddr))
    };
    // A reply seen on both sides of the relay counts once.
    let seen: std::cell::RefCell<Vec<relay_copy::Leg>> = Default::default();
    let reply = |f: &Fact| {
        let Some(m) = dhcp(f).filter(|m| m.op == 2 && segment(f, m)) else {
            return false;
        };
        let leg = relay_copy::Leg::of(f, m);
        let mut seen = seen.borrow_mut();
        let copy = (seen.iter().rev().take(relay_copy::RECENT)).any(|e| leg.copies(e));
        seen.push(leg);
        !copy
    };
    // A server answers DISCOVER, REQUEST and INFORM; never a RELEASE or a
    // DECLINE (RFC 2131 4.3).
    let answered_kind = |m: &DhcpMessage| matches!(m.message_type, Some(1 | 3 | 8));
    let request =
        |f: &Fact| dhcp(f).is_some_and(|m| m.op == 1 && answered_kind(m) && segment(f, m));
    let answers = |r: &Fact, p: &Fact| {
        dhcp(r)
            .zip(dhcp(p))
            .is_some_and(|(r, p)| r.xid == p.xid && r.chaddr == p.chaddr)
    };
    let service = super::Service {
        replies: super::Sent::DhcpReplies,
        requests: super::Sent::DhcpRequests,
        reply: &reply,
        request: &request,
        answers: &answers,
    };
    ctx.others(&service, first, &last.ts)
}
