//! Where the phone got a DNS server, for the advice that names what to
//! change: DHCP option 6 carries IPv4 addresses only (RFC 2132 3.8), so an
//! IPv6 resolver came from the router advertisement's RDNSS option
//! (RFC 8106), DHCPv6 option 23 (RFC 3646) or the phone's own setting; an
//! IPv4 resolver the leases' option 6 does not name was set on the phone.

use std::net::{IpAddr, Ipv4Addr};

use crate::fact::Body;
use crate::verdict::Ctx;

/// Option-6 servers remembered (a lease names two or three).
const KEPT: usize = 4;

/// What the capture shows of the phone's DHCP.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Lease {
    /// The capture may hold the phone's DHCP (a message of it seen, or
    /// frames the snaplen cut).
    pub(super) seen: bool,
    /// The first DNS servers the server's replies to the phone named
    /// (option 6); none when no reply named any.
    option6: [Option<Ipv4Addr>; KEPT],
}

impl Lease {
    pub(super) fn of(ctx: &Ctx<'_>) -> Lease {
        let mut lease = Lease {
            seen: ctx.snaplen_cut || ctx.own().any(|f| matches!(f.body, Body::Dhcp(_))),
            option6: [None; KEPT],
        };
        let replies = ctx.own().filter_map(|f| match &f.body {
            Body::Dhcp(m) if m.op == 2 && Some(m.chaddr) == ctx.phone.mac => Some(m),
            _ => None,
        });
        let mut n = 0;
        for server in replies.flat_map(|m| m.dns_servers()) {
            if n < KEPT && !lease.option6.contains(&Some(server)) {
                lease.option6[n] = Some(server);
                n += 1;
            }
        }
        lease
    }

    /// The capture may hold the phone's DHCP (`seen`), no option 6 read.
    #[cfg(test)]
    pub(super) fn from_seen(seen: bool) -> Lease {
        Lease {
            seen,
            option6: [None; KEPT],
        }
    }

    /// Whether `server` came from option 6: an IPv4 server with the DHCP
    /// seen, which the replies' option 6 names, or any when none seen
    /// names one (a lease older than the capture, its frames cut).
    pub(super) fn gave(&self, server: &str) -> bool {
        let Ok(IpAddr::V4(v4)) = server.parse::<IpAddr>() else {
            return false;
        };
        self.seen && (self.option6 == [None; KEPT] || self.option6.contains(&Some(v4)))
    }

    /// What to change so the phone asks another DNS server than `server`.
    pub(super) fn other_server(&self, server: &str) -> &'static str {
        if server.contains(':') {
            "name another DNS server in the router advertisement's RDNSS option (or DHCPv6 \
             option 23) or in the phone's static DNS setting"
        } else if self.gave(server) {
            "hand out another DNS server (option 6)"
        } else if self.seen {
            "set another DNS server on the phone (option 6 does not name this one)"
        } else {
            "give the phone another DNS server"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_6_is_named_only_for_the_servers_it_gave() {
        let mut l = Lease {
            seen: true,
            option6: [None; KEPT],
        };
        assert!(l.gave("192.0.2.1"), "no option 6 seen: may be the lease's");
        l.option6[0] = Some(Ipv4Addr::new(192, 0, 2, 1));
        assert!(l.gave("192.0.2.1"));
        assert!(!l.gave("192.0.2.53"));
        assert!(!l.gave("2001:db8:1::1"));
        assert!(l.other_server("2001:db8:1::1").contains("RDNSS"));
        assert!(l.other_server("192.0.2.1").contains("option 6"));
        assert!(l
            .other_server("192.0.2.53")
            .contains("set another DNS server on the phone"));
        l.seen = false;
        assert!(!l.gave("192.0.2.1"));
    }
}
