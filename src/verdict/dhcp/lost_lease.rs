//! A lease lost in silence: the phone's renewals (RFC 2131 4.4.5,
//! RENEWING, unicast) and rebinding (REBINDING, broadcast) of its address
//! went unanswered, neither ACK nor NAK, and the phone started over with a
//! DISCOVER. Without a NAK nothing in the exchange says refused, yet the
//! phone lost its address (and its registration) as surely as after one:
//! said on the lease that came after it (DOMAIN: an earlier failure later
//! recovered is a warn).

use std::net::Ipv4Addr;

use super::{ACK, DISCOVER, REQUEST};
use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;

/// The renewals of an address that no server answered before the phone
/// sent a DISCOVER.
pub(super) struct LostLease {
    /// The address the phone was renewing.
    pub addr: Ipv4Addr,
    /// Unicast renewals and broadcast rebinding REQUESTs, in order.
    pub renewals: Vec<u64>,
    /// How many of them went by broadcast (REBINDING).
    pub rebinds: usize,
    /// The DISCOVER went after the lease's time ran out (option 51).
    pub expired: bool,
}

impl LostLease {
    /// "renewals and rebinding of 192.0.2.100 went unanswered, #24-26: the
    /// lease expired and the phone was re-addressed"; `now`: the address
    /// leased after.
    pub fn text(&self, now: Ipv4Addr) -> String {
        let what = match (self.renewals.len() - self.rebinds, self.rebinds) {
            (0, 1) => "rebinding",
            (0, _) => "rebindings",
            (1, 0) => "renewal",
            (_, 0) => "renewals",
            (1, _) => "renewal and rebinding",
            _ => "renewals and rebinding",
        };
        let frames = match (self.renewals.first(), self.renewals.last()) {
            (Some(a), Some(b)) if a != b => format!("#{a}-{b}"),
            (Some(a), _) => format!("#{a}"),
            _ => String::new(),
        };
        let lost = match self.expired {
            true => "the lease expired",
            false => "the phone gave the lease up",
        };
        let then = match now == self.addr {
            true => "the phone got the same address back by a DISCOVER".to_string(),
            false => "the phone was re-addressed".to_string(),
        };
        format!(
            "{what} of {} went unanswered, {frames}: {lost} and {then}",
            self.addr
        )
    }

    /// Advice for a lease lost in silence.
    pub fn advice(&self) -> String {
        format!(
            "the DHCP server stopped answering the phone's renewals of {} without refusing \
             them (no NAK), so the phone lost its address and its registration with it: check \
             whether the server lost its lease database or changed the scope (a restart, a \
             failover peer), and its log for this MAC",
            self.addr
        )
    }
}

/// The lease lost in silence before `ack` (the frame of the lease that
/// came after), if any: the phone's last DISCOVER before `ack`, the
/// REQUESTs with `ciaddr` set just before it (nothing from a server
/// between), and the ACK of that address before them.
pub(super) fn lost_before(msgs: &[(&Fact, &DhcpMessage)], ack: u64) -> Option<LostLease> {
    let before: Vec<&(&Fact, &DhcpMessage)> = msgs.iter().filter(|(f, _)| f.frame < ack).collect();
    let discover = before
        .iter()
        .rposition(|(_, m)| m.op == 1 && m.message_type == Some(DISCOVER))?;
    let (dfact, _) = before[discover];
    let mut renewals: Vec<(&Fact, &DhcpMessage)> = Vec::new();
    let mut leased: Option<(&Fact, &DhcpMessage)> = None;
    for (f, m) in before[..discover].iter().rev() {
        match (m.op, m.message_type) {
            (1, Some(REQUEST)) if !m.ciaddr.is_unspecified() => renewals.push((f, m)),
            (2, Some(ACK)) => {
                leased = Some((f, m));
                break;
            }
            _ => return None,
        }
    }
    let (afact, am) = leased?;
    let addr = am.yiaddr;
    if renewals.is_empty()
        || addr.is_unspecified()
        || renewals.iter().any(|(_, m)| m.ciaddr != addr)
    {
        return None;
    }
    renewals.reverse();
    let rebinds = (renewals.iter())
        .filter(|(f, _)| f.dst_ip() == std::net::IpAddr::V4(Ipv4Addr::BROADCAST))
        .count();
    let expired = am
        .lease_time()
        .is_some_and(|secs| afact.ts.secs_until(&dfact.ts) >= f64::from(secs));
    Some(LostLease {
        addr,
        renewals: renewals.iter().map(|(f, _)| f.frame).collect(),
        rebinds,
        expired,
    })
}
