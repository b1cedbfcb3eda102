//! Whether the phone's address, refused by a router for a source-address
//! policy (ICMPv6 code 5) on one destination, got answers from other
//! destinations through that router: then the address and its prefix are
//! accepted, and the code comes from a per-destination firewall rule.

use std::net::IpAddr;

use crate::packet::Mac;
use crate::verdict::Ctx;

/// An answer to `phone` from a destination other than `to`, the router
/// and the hosts of the phone's own /64 (its resolver on the link came
/// through no router), arriving through the next hop `hop` of the refused connection
/// (its link-layer source; any when the capture shows none): the answering
/// address and its frame.
pub(super) fn reached_elsewhere(
    ctx: &Ctx<'_>,
    phone: IpAddr,
    to: IpAddr,
    (router, hop): (Option<IpAddr>, Option<Mac>),
) -> Option<(IpAddr, u64)> {
    ctx.own()
        .find(|f| {
            let from = f.src_ip();
            let through = hop.is_none_or(|h| f.src_mac == Some(h));
            let off_link = !same_64(from, phone);
            f.dst_ip() == phone && from != to && Some(from) != router && through && off_link
        })
        .map(|f| (f.src_ip(), f.frame))
}

/// Whether two IPv6 addresses share their first 64 bits (one link's
/// prefix, RFC 4291 2.5.4); an IPv4 address shares none.
fn same_64(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets()[..8] == b.octets()[..8],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phones_own_link_is_not_elsewhere() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let phone = ip("2001:db8:1::101");
        assert!(same_64(ip("2001:db8:1::1"), phone));
        assert!(!same_64(ip("2001:db8:100::10"), phone));
        assert!(!same_64(ip("192.0.2.1"), phone));
    }
}
