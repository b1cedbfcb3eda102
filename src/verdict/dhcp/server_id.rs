//! A server identifier (option 54) nobody answers for: a phone renews by
//! unicast to that address (RFC 2131 4.4.5, RENEWING), so when no host on
//! its subnet answers ARP for it, every renewal dies in the phone's ARP
//! queue and the lease lives on only by broadcast rebinding, if any server
//! answers that. Read from the phone's unanswered ARP requests as for a
//! dead router (`missing::dead_router`).

use std::net::{IpAddr, Ipv4Addr};

use super::missing::{same_subnet, DEAD_ASKS, DEAD_SECS};
use crate::fact::Fact;
use crate::packet::Asks;
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::{Ctx, Evidence};

/// The phone's unanswered ARP requests for the server identifier of the
/// lease `ack` (`m`) after the first ACK of that address in `msgs`.
pub(super) struct Unreachable {
    pub server: Ipv4Addr,
    pub asks: Asks,
}

impl Unreachable {
    /// Words added to the lease's summary.
    pub fn text(&self) -> String {
        format!(
            "its server identifier {} (option 54) never answers the phone's ARP ({} requests): \
             unicast renewals cannot leave",
            self.server, self.asks.count
        )
    }

    /// Advice for the scope.
    pub fn advice(&self) -> String {
        format!(
            "the server identifier the phone must renew with (option 54: {}) is an address no \
             host on the voice VLAN answers ARP for, so its unicast renewals (RFC 2131 4.4.5) \
             never leave and the lease lasts only while a broadcast rebinding is answered: set \
             the server identifier to an address of the DHCP server (or of its relay)",
            self.server
        )
    }

    /// The first and last unanswered ARP requests.
    pub fn evidence(&self, phone: Ipv4Addr) -> Vec<Evidence> {
        let text = |which: &str| format!("{which} ARP request for {} from {phone}", self.server);
        vec![
            Evidence {
                frame: self.asks.first.0,
                time: self.asks.first.1,
                text: text("first"),
            },
            Evidence {
                frame: self.asks.last.0,
                time: self.asks.last.1,
                text: format!(
                    "{}, {} in all, none answered",
                    text("last"),
                    self.asks.count
                ),
            },
        ]
    }
}

/// The server identifier of the lease `m` when the phone asked ARP for it
/// [`DEAD_ASKS`] times over [`DEAD_SECS`] or more after the first ACK of
/// its address and it never spoke ARP in the capture. Not judged on a
/// capture of one direction, nor when the address shows itself resolved:
/// a unicast renewal to it answered, or, for a server identifier that is
/// the lease's router too, a packet of the phone's off its subnet (sent
/// through that router, so the phone had its MAC): the ARP replies are then
/// what the capture missed, not what the wire lacked. (A DHCP reply from
/// the address proves nothing: a server on a raw socket writes its server
/// identifier as the source, reachable or not.)
pub(super) fn unreachable(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    m: &DhcpMessage,
) -> Option<Unreachable> {
    if ctx.one_way || m.yiaddr.is_unspecified() {
        return None;
    }
    let server = m.server_id()?;
    let first_ack = (msgs.iter())
        .find(|(_, a)| a.op == 2 && a.message_type == Some(super::ACK) && a.yiaddr == m.yiaddr)
        .map(|(f, _)| f.frame)?;
    let renewed = |f: &Fact, r: &DhcpMessage| {
        r.op == 1 && !r.ciaddr.is_unspecified() && f.dst_ip() == IpAddr::V4(server)
    };
    let alive = routed_through(ctx, m, server)
        || msgs.iter().any(|(f, r)| {
            renewed(f, r)
                && (msgs.iter()).any(|(a, ack)| {
                    a.frame > f.frame && ack.message_type == Some(super::ACK) && ack.xid == r.xid
                })
        });
    if alive {
        return None;
    }
    let asks = *ctx.arp.asks(m.yiaddr, server)?;
    let dead = !ctx.arp.spoke(server)
        && asks.last.0 > first_ack
        && asks.count >= DEAD_ASKS
        && asks.first.1.secs_until(&asks.last.1) >= DEAD_SECS;
    dead.then_some(Unreachable { server, asks })
}

/// The server identifier is a router of the lease `m` and the phone sent a
/// packet off its subnet after the lease: it had the router's MAC.
fn routed_through(ctx: &Ctx<'_>, m: &DhcpMessage, server: Ipv4Addr) -> bool {
    let Some(mask) = m.subnet_mask() else {
        return false;
    };
    if !m.routers().contains(&server) {
        return false;
    }
    let phone = IpAddr::V4(m.yiaddr);
    let off_link = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) => {
            !(same_subnet(*v4, m.yiaddr, mask) || v4.is_broadcast() || v4.is_multicast())
        }
        IpAddr::V6(_) => false,
    };
    ctx.own()
        .any(|f| f.src_ip() == phone && off_link(&f.dst_ip()))
}
