//! INIT-REBOOT REQUESTs (RFC 2131 4.3.2: option 50, no server identifier,
//! no ciaddr) for an address off the subnet the phone was then leased on,
//! left unanswered: a server that is not authoritative for the segment
//! keeps silent on them, and the phone waits out its retries before it
//! DISCOVERs. An authoritative one NAKs at once.

use std::net::Ipv4Addr;

use super::{DISCOVER, REQUEST};
use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;

/// The ignored INIT-REBOOT of a stale address.
pub(super) struct Ignored {
    /// The address the phone asked to keep.
    pub stale: Ipv4Addr,
    pub count: usize,
    /// The first REQUEST's frame.
    pub first: u64,
    /// Seconds from the first REQUEST to the DISCOVER after them.
    pub waited: f64,
}

impl Ignored {
    /// Words added to the lease's summary.
    pub fn text(&self) -> String {
        format!(
            "after {} for {}, not on this subnet, unanswered for {:.0} s from #{}",
            crate::text::plural(self.count, "INIT-REBOOT REQUEST", "INIT-REBOOT REQUESTs"),
            self.stale,
            self.waited,
            self.first
        )
    }

    /// Advice for the server.
    pub fn advice(&self) -> String {
        format!(
            "the phone asked to keep {}, an address from another subnet, and the server kept \
             silent as a non-authoritative one does (RFC 2131 4.3.2), so the phone waited \
             {:.0} s before it DISCOVERed: make the server authoritative for the voice VLAN's \
             subnet so it NAKs such a REQUEST at once",
            self.stale, self.waited
        )
    }
}

/// The INIT-REBOOT REQUESTs before the lease `m` (its ACK's frame `ack`)
/// that no server answered, when the address they ask for is off the
/// subnet of `m` (its mask, option 1) and a DISCOVER followed them.
pub(super) fn ignored(
    msgs: &[(&Fact, &DhcpMessage)],
    ack: u64,
    m: &DhcpMessage,
) -> Option<Ignored> {
    let mask = u32::from(m.subnet_mask()?);
    let leased = u32::from(m.yiaddr);
    let before: Vec<&(&Fact, &DhcpMessage)> = msgs.iter().filter(|(f, _)| f.frame < ack).collect();
    let discover = before
        .iter()
        .rposition(|(_, q)| q.op == 1 && q.message_type == Some(DISCOVER))?;
    let dfact = before[discover].0;
    // The run of phone messages just before that DISCOVER: INIT-REBOOT
    // REQUESTs only, with no server's answer to their transaction.
    let mut requests: Vec<(&Fact, &DhcpMessage)> = Vec::new();
    for (f, q) in before[..discover].iter().rev() {
        let init_reboot = q.op == 1
            && q.message_type == Some(REQUEST)
            && q.ciaddr.is_unspecified()
            && q.server_id().is_none()
            && q.requested_ip().is_some();
        match init_reboot {
            true => requests.push((f, q)),
            false => break,
        }
    }
    let (first, q) = *requests.last()?;
    let stale = q.requested_ip()?;
    let answered = msgs.iter().any(|(f, r)| {
        r.op == 2 && f.frame > first.frame && requests.iter().any(|(_, q)| q.xid == r.xid)
    });
    let off_subnet = u32::from(stale) & mask != leased & mask;
    let same = requests
        .iter()
        .all(|(_, q)| q.requested_ip() == Some(stale));
    if answered || !off_subnet || !same {
        return None;
    }
    Some(Ignored {
        stale,
        count: requests.len(),
        first: first.frame,
        waited: first.ts.secs_until(&dfact.ts),
    })
}
