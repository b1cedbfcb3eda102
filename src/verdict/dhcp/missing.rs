//! What a lease may lack that stops a phone right after it: a DNS server
//! (option 6) or a router (option 3). Each fails the `dhcp` stage only when
//! the phone shows it is stuck; renewals and ACKs cut by the snaplen are not
//! judged.

use std::net::{IpAddr, Ipv4Addr};

use super::{server_of, ACK};
use crate::fact::{Body, Fact};
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::{Ctx, Stage, StageResult, Status};

/// Seconds of silence after a lease that show the phone is stuck (it asks
/// within a second or two of its lease).
const SILENT_SECS: f64 = 3.0;

/// A lease whose ACKs never name a DNS server (option 6): a factory-reset
/// phone cannot resolve activate.cisco.com. Fail when the phone then stays
/// silent (no packet of its own but DHCP and ARP) for [`SILENT_SECS`] while
/// the capture goes on; warn when it does anything else (a profile fetched
/// by address, names resolved with servers set by hand). Renewals (the ACK
/// carries the client's `ciaddr`) are not judged, nor an ACK cut by the
/// snaplen.
pub(super) fn no_dns_server(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    ack: &Fact,
) -> Option<StageResult> {
    let acks = || msgs.iter().filter(|(_, m)| m.message_type == Some(ACK));
    if acks().any(|(f, m)| f.truncated || m.options.iter().any(|o| o.code == 6)) {
        return None;
    }
    let (_, last_ack) = acks().next_back()?;
    if !last_ack.ciaddr.is_unspecified() {
        return None;
    }
    // NTP and ICMP come right after any lease: they are not progress.
    let busy = ctx.own().any(|f| {
        f.frame > ack.frame
            && ctx.is_phone(&f.src_ip())
            && !matches!(f.body, Body::Dhcp(_) | Body::Ntp(_) | Body::Icmp(_))
    });
    let silent = !busy && ctx.secs_left(&ack.ts) >= SILENT_SECS;
    let server = server_of(ack, last_ack);
    let summary = format!(
        "ACK {} from {server} names no DNS server (option 6)",
        last_ack.yiaddr
    );
    let (status, advice) = match silent {
        true => (
            Status::Fail,
            format!(
                "the scope on {server} gives no DNS server (option 6) and the phone did nothing \
                 after the lease: it cannot find activate.cisco.com; add option 6 to the voice \
                 scope"
            ),
        ),
        false => (
            Status::Warn,
            format!(
                "the scope on {server} gives no DNS server (option 6): a factory-reset phone \
                 cannot resolve activate.cisco.com; add option 6 to the voice scope"
            ),
        ),
    };
    Some(StageResult::new(Stage::Dhcp, status, summary).advice(advice))
}

/// A lease whose ACKs name no router (option 3, nor a classless route in
/// option 121 or 249): the phone reaches nothing beyond its subnet, and
/// activate.cisco.com and the SBC are always beyond it. Judged only when
/// the phone shows no route after it: no packet of its own to an address
/// off its subnet (by the ACK's mask, option 1) and no TCP connection
/// tried. Fail when it then stays silent for [`SILENT_SECS`] while the
/// capture goes on (it may have asked an on-link DNS server first: that is
/// no getting past the lease); warn when the capture ends before that.
pub(super) fn no_router(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    ack: &Fact,
) -> Option<StageResult> {
    let acks = || msgs.iter().filter(|(_, m)| m.message_type == Some(ACK));
    let routed = |m: &DhcpMessage| {
        m.routers().iter().any(|r| !r.is_unspecified())
            || m.option(121).is_some()
            || m.option(249).is_some()
    };
    if acks().any(|(f, m)| f.truncated || routed(m)) {
        return None;
    }
    let (_, last_ack) = acks().next_back()?;
    let mask = last_ack.subnet_mask()?;
    if !last_ack.ciaddr.is_unspecified() || last_ack.yiaddr.is_unspecified() {
        return None;
    }
    let on_link = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) => {
            same_subnet(*v4, last_ack.yiaddr, mask) || v4.is_broadcast() || v4.is_multicast()
        }
        // IPv6 off the lease: the phone has a way on (router advertisements).
        IpAddr::V6(_) => false,
    };
    let after: Vec<&Fact> = ctx
        .own()
        .filter(|f| f.frame > ack.frame && ctx.is_phone(&f.src_ip()))
        .filter(|f| !matches!(f.body, Body::Dhcp(_)))
        .collect();
    let routes = after
        .iter()
        .any(|f| !on_link(&f.dst.ip()) || matches!(f.body, Body::Tcp { .. } | Body::Tls { .. }));
    if routes {
        return None;
    }
    let quiet_from = after.last().copied().unwrap_or(ack);
    let silent = ctx.secs_left(&quiet_from.ts) >= SILENT_SECS;
    let server = server_of(ack, last_ack);
    let mut summary = format!(
        "ACK {} from {server} names no router (option 3)",
        last_ack.yiaddr
    );
    let (status, advice) = match silent {
        true => {
            summary.push_str(": the phone reached nothing beyond its subnet");
            (
                Status::Fail,
                format!(
                    "the scope on {server} gives no default router (option 3), so the phone \
                     cannot reach anything beyond {}/{}: activate.cisco.com and the SBC are \
                     always beyond it; add option 3 (the voice VLAN's gateway) to the scope",
                    network(last_ack.yiaddr, mask),
                    prefix_len(mask)
                ),
            )
        }
        false => (
            Status::Warn,
            format!(
                "the scope on {server} gives no default router (option 3): the phone cannot \
                 reach activate.cisco.com or the SBC beyond its subnet; add option 3 (the voice \
                 VLAN's gateway) to the scope"
            ),
        ),
    };
    let mut result = StageResult::new(Stage::Dhcp, status, summary).advice(advice);
    // What the phone did on its subnet (an on-link DNS server's answer) is
    // not getting past the lease.
    result.failing_since = ctx.own().map(|f| f.frame).max();
    Some(result)
}

fn same_subnet(a: Ipv4Addr, b: Ipv4Addr, mask: Ipv4Addr) -> bool {
    network(a, mask) == network(b, mask)
}

fn network(a: Ipv4Addr, mask: Ipv4Addr) -> Ipv4Addr {
    Ipv4Addr::from(a.to_bits() & mask.to_bits())
}

fn prefix_len(mask: Ipv4Addr) -> u32 {
    mask.to_bits().leading_ones()
}
