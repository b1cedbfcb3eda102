//! A server a provisioning option names on the phone's own subnet that
//! never answers the phone's ARP: no such host is on the link, so the
//! phone's TFTP or HTTP request never even left it (the kernel had no
//! address to send to). The capture shows only the ARP requests; they are
//! the attempt, and its failure.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::local::Outcome;
use super::{Ctx, Evidence};

/// Adds a failed attempt for each named IPv4 server the phone asked ARP for
/// in vain (no ARP from that address at all in the capture).
pub(super) fn unreached(
    ctx: &Ctx<'_>,
    servers: &BTreeSet<IpAddr>,
    out: &mut Vec<(Outcome, String, Vec<Evidence>)>,
) {
    for server in servers {
        let IpAddr::V4(server) = server else { continue };
        for phone in ctx.phone.ips.iter().filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(*v4),
            IpAddr::V6(_) => None,
        }) {
            let Some(asks) = ctx.arp.absent(phone, *server) else {
                continue;
            };
            let waited = asks.first.1.secs_until(&asks.last.1);
            let why = format!(
                "it never answers the phone's ARP ({} requests over {waited:.0} s): no such host \
                 is on the phone's link",
                asks.count
            );
            let at = |(frame, time): (u64, crate::time::Timestamp), text: String| Evidence {
                frame,
                time,
                text,
            };
            let evidence = vec![
                at(
                    asks.first,
                    format!("first ARP request for {server} from {phone}"),
                ),
                at(
                    asks.last,
                    format!("last ARP request for {server}, unanswered"),
                ),
            ];
            out.push((
                Outcome::NoAnswer(why),
                format!("the DHCP-named server {server}"),
                evidence,
            ));
        }
    }
}
