//! A lease from a scope that is not the segment's: the server answered the
//! phone directly (giaddr 0, no relay, RFC 2131 4.3.1: it then picks the
//! scope of the interface it heard on) from a subnet its own address (and
//! the DNS server it gives) are off. A phone on such a lease reaches
//! nothing: said as the cause of the router that never answers.

use std::net::Ipv4Addr;

use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::StageResult;

/// `dead`, the result for a router that never answers, reworded when the
/// lease's scope does not match the segment: the last new ACK in `msgs`
/// came with no relay, from a server identifier (or source) off the
/// leased subnet. `None` when the scope may well be the segment's.
pub(super) fn reworded(msgs: &[(&Fact, &DhcpMessage)], dead: &StageResult) -> Option<StageResult> {
    let (f, m) = (msgs.iter().rev())
        .find(|(_, m)| {
            m.op == 2 && m.message_type == Some(super::ACK) && m.ciaddr.is_unspecified()
        })
        .copied()?;
    let mask = m.subnet_mask()?;
    if !m.giaddr.is_unspecified() || m.yiaddr.is_unspecified() {
        return None;
    }
    let on = |a: Ipv4Addr| u32::from(a) & u32::from(mask) == u32::from(m.yiaddr) & u32::from(mask);
    let server = match f.src_ip() {
        std::net::IpAddr::V4(src) if !src.is_unspecified() => m.server_id().unwrap_or(src),
        _ => m.server_id()?,
    };
    if on(server) {
        return None;
    }
    let subnet = Ipv4Addr::from(u32::from(m.yiaddr) & u32::from(mask));
    let bits = u32::from(mask).leading_ones();
    let dns: Vec<String> = (m.dns_servers().into_iter())
        .filter(|d| !on(*d) && crate::proto::dhcp::address::usable(*d))
        .map(|d| d.to_string())
        .collect();
    let dns = match dns.is_empty() {
        true => String::new(),
        false => format!(", as is the DNS server it gives ({})", dns.join(", ")),
    };
    let summary = format!(
        "{}; the lease's subnet {subnet}/{bits} is not this segment's: the server {server} \
         answered with no relay (giaddr 0) from an address off it{dns}",
        dead.summary
    );
    let advice = format!(
        "the server {server} answered the phone directly (no relay) from a scope for \
         {subnet}/{bits}, a subnet its own address is not on: the scope does not match the \
         phone's segment; give the server a scope for the segment it serves (or bind this one \
         to the right interface), or relay the voice VLAN to it so giaddr picks the scope"
    );
    let mut result = dead.clone();
    result.summary = summary;
    result.advice = Some(advice);
    Some(result)
}
