//! A DHCP exchange still under way when the capture ends, right after a
//! lease: a phone restarting DHCP as the capture is cut. It starts no new
//! boot (`boots.rs`), and the stage judges the lease before it.

use super::{dhcp_facts, message_type_name, PENDING_SECS};
use super::{ACK, DECLINE, DISCOVER, NAK, OFFER, REQUEST};
use crate::fact::{Body, Fact};
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::Ctx;

/// Where the phone's last DHCP exchange starts, when that exchange is
/// still under way at the capture's end after a lease (a phone restarting
/// DHCP as the capture is cut): a transaction of its own that the phone
/// opened (DISCOVER or REQUEST), begun within [`PENDING_SECS`] of the end,
/// with no ACK, NAK or DECLINE and no ICMP error refusing it, after an
/// exchange whose last answer was an ACK.
pub fn under_way_at_end(ctx: &Ctx<'_>) -> Option<u64> {
    let msgs = dhcp_facts(ctx);
    under_way(ctx, &msgs)
        .and_then(|at| msgs.get(at))
        .map(|(f, _)| f.frame)
}

/// [`under_way_at_end`] on the phone's DHCP messages: the index of the
/// exchange's first message.
pub(super) fn under_way(ctx: &Ctx<'_>, msgs: &[(&Fact, &DhcpMessage)]) -> Option<usize> {
    let (_, last) = msgs.last()?;
    let at = msgs.iter().rposition(|(_, m)| m.xid != last.xid)? + 1;
    let (before, tail) = msgs.split_at(at);
    let (first, _) = tail.first()?;
    let opened = tail
        .first()
        .is_some_and(|(_, m)| m.op == 1 && matches!(m.message_type, Some(DISCOVER | REQUEST)));
    let decided = tail
        .iter()
        .any(|(_, m)| matches!(m.message_type, Some(ACK | NAK | DECLINE)));
    let new = before.iter().all(|(_, m)| m.xid != last.xid);
    // The exchange before it: its last answer leased.
    let (_, prev) = before.last()?;
    let leased = (before.iter().rev())
        .filter(|(_, m)| m.xid == prev.xid && m.op == 2)
        .find(|(_, m)| matches!(m.message_type, Some(ACK | NAK)))
        .is_some_and(|(_, m)| m.message_type == Some(ACK));
    let refused = ctx
        .own()
        .any(|f| f.frame > first.frame && dhcp_refusal(ctx, f));
    let recent = ctx.secs_left(&first.ts) < PENDING_SECS;
    (opened && !decided && new && leased && !refused && recent).then_some(at)
}

/// An ICMP error refusing a DHCP message of the phone's (to a server's
/// port 67).
pub(super) fn dhcp_refusal(ctx: &Ctx<'_>, f: &Fact) -> bool {
    matches!(&f.body, Body::Icmp(u)
        if u.orig_proto == 17
            && u.orig_dst.port() == 67
            && !u.frag_needed()
            && ctx.is_phone(&u.orig_src.ip()))
}

/// Words for an exchange under way at the capture's end.
pub(super) fn under_way_text(tail: &[(&Fact, &DhcpMessage)]) -> String {
    let (Some((first, m)), Some((last, _))) = (tail.first(), tail.last()) else {
        return String::new();
    };
    let sent = m.message_type.map_or("BOOTP", message_type_name);
    let frames = match first.frame == last.frame {
        true => format!("#{}", first.frame),
        false => format!("#{}-{}", first.frame, last.frame),
    };
    let offer = tail.iter().position(|(_, m)| m.message_type == Some(OFFER));
    // The phone's REQUEST for the offer, when it went before the end.
    let request = offer.and_then(|at| {
        (tail.iter().skip(at))
            .find(|(_, m)| m.op == 1 && m.message_type == Some(REQUEST))
            .map(|(f, _)| f.frame)
    });
    match (offer, request) {
        (Some(_), Some(req)) => format!(
            "a new {sent} at the capture's end ({frames}) got an OFFER; its REQUEST (#{req}) \
             is not answered yet"
        ),
        (Some(_), None) => {
            format!("a new {sent} at the capture's end ({frames}) got an OFFER, not yet requested")
        }
        (None, _) => format!("a new {sent} at the capture's end ({frames}), no answer yet"),
    }
}
