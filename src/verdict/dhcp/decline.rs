//! A DECLINE (RFC 2131 4.4.1: the address the server leased answered ARP,
//! another device holds it): joined to the exchange that leased that
//! address whatever its transaction id (the client chooses it, RFC 2131
//! table 5), and, as the phone's last word, a lease it does not have.

use std::collections::BTreeMap;

use super::ACK;
use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::{Ctx, Stage, StageResult, Status};

/// The phone's last word is a DECLINE: the address is in use, and the
/// capture shows no other lease. Who answered ARP for it, when ARP shows.
pub(super) fn declined_result(ctx: &Ctx<'_>, f: &Fact, m: &DhcpMessage) -> StageResult {
    let addr = m
        .requested_ip()
        .map_or("the offered address".to_string(), |a| a.to_string());
    let holder = m
        .requested_ip()
        .and_then(|a| ctx.arp.owner_of(a))
        .filter(|mac| Some(*mac) != ctx.phone.mac)
        .map(|mac| format!(", in use by {}", crate::packet::mac_string(&mac)))
        .unwrap_or_default();
    let summary = format!(
        "the phone declined {addr} (#{}{holder}) and got no other address in the capture",
        f.frame
    );
    let advice = format!(
        "{addr} is already in use (an address conflict, RFC 2131 4.4.1): find the device \
         holding it (a static address inside the scope, a duplicate reservation) and move it \
         or exclude the address from the scope"
    );
    StageResult::new(Stage::Dhcp, Status::Fail, summary).advice(advice)
}

/// "another device (00:00:5e:00:53:77)": the one that answered ARP for
/// `addr` (an address as text), named by its MAC when ARP shows it.
pub(super) fn other_device(ctx: &Ctx<'_>, addr: &str) -> String {
    let mac = (addr.parse().ok())
        .and_then(|a| ctx.arp.owner_of(a))
        .filter(|mac| Some(*mac) != ctx.phone.mac);
    match mac {
        Some(mac) => format!("another device ({})", crate::packet::mac_string(&mac)),
        None => "another device".to_string(),
    }
}

/// The latest exchange whose ACK leased the address a DECLINE declines.
pub(super) fn acked_by(
    order: &[u32],
    by_xid: &BTreeMap<u32, Vec<(&Fact, &DhcpMessage)>>,
    decline: &DhcpMessage,
) -> Option<u32> {
    let addr = decline.requested_ip()?;
    order.iter().rev().copied().find(|x| {
        by_xid.get(x).is_some_and(|msgs| {
            msgs.iter()
                .any(|(_, m)| m.message_type == Some(ACK) && m.yiaddr == addr)
        })
    })
}
