//! A DNS server of the lease (option 6) on the phone's own link that never
//! answers the phone's ARP: no such host is there. The phone's queries to
//! it never leave (the kernel has no address to send them to), so the
//! capture shows no query, only the ARP requests; every lookup waits on it
//! before the next server. A passing DNS stage warns, naming it.

use std::net::IpAddr;

use crate::fact::Body;
use crate::proto::dhcp::address;
use crate::verdict::{ev, Ctx, StageResult, Status};

/// Turns a passing `stage` into a warning when an option-6 server the phone
/// asked ARP for never answered it.
pub(super) fn server_absent(ctx: &Ctx<'_>, stage: &mut StageResult) {
    let lease = ctx.own().filter_map(|f| match &f.body {
        Body::Dhcp(m) if m.op == 2 && Some(m.chaddr) == ctx.phone.mac => Some((f, m)),
        _ => None,
    });
    let Some((ack, m)) = lease.last() else { return };
    let phone = m.yiaddr;
    if phone.is_unspecified() || !ctx.is_phone(&IpAddr::V4(phone)) {
        return;
    }
    // (An address that names no server, 0.0.0.0, is the lease's stage.)
    for server in m.dns_servers().into_iter().filter(|s| address::usable(*s)) {
        let Some(asks) = ctx.arp.absent(phone, server) else {
            continue;
        };
        let waited = asks.first.1.secs_until(&asks.last.1);
        stage.status = Status::Warn;
        stage.summary = format!(
            "{} (DNS server {server} of option 6 never answers the phone's ARP: {} requests \
             over {waited:.0} s)",
            stage.summary, asks.count
        );
        stage.advice = Some(format!(
            "DNS server {server}, which the lease from {} names in option 6, is not on the \
             voice VLAN (its ARP requests go unanswered): each lookup waits on it before the \
             next server; correct option 6 or bring that server up",
            ack.src_ip()
        ));
        stage
            .evidence
            .push(ev(ack, format!("option 6 names {server}")));
        return;
    }
}
