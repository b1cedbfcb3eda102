//! Cisco's names answered by the wrong host: activate.cisco.com and
//! cisco.sipflash.com are public services, so an address for them that is
//! private (RFC 1918, RFC 4193, loopback, link-local) or inside the phone's
//! own subnet is a DNS filter, a split-horizon zone or a captive portal
//! answering in their place.

use std::net::{IpAddr, Ipv4Addr};

use super::Ctx;
use crate::fact::Body;

const ACK: u8 = 5;

/// The subnets of the phone's DHCP leases (network, mask).
pub struct Subnets(Vec<(u32, u32)>);

impl Subnets {
    pub fn of(ctx: &Ctx<'_>) -> Self {
        let mut nets = Vec::new();
        for f in ctx.own() {
            let Body::Dhcp(m) = &f.body else { continue };
            if m.op != 2 || m.message_type != Some(ACK) || m.yiaddr.is_unspecified() {
                continue;
            }
            let Some(mask) = m.option(1).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
                continue;
            };
            let mask = u32::from_be_bytes(mask);
            // Only a contiguous mask that leaves room for hosts is a subnet.
            let contiguous = mask.leading_ones() + mask.trailing_zeros() == 32;
            let net = (u32::from(m.yiaddr) & mask, mask);
            if contiguous && mask.leading_ones() >= 8 && !nets.contains(&net) {
                nets.push(net);
            }
        }
        Subnets(nets)
    }

    /// Why `ip` cannot be Cisco's service: "a private address", "an
    /// address in the phone's own subnet 192.0.2.0/24"; None when it may be.
    pub fn why(&self, ip: IpAddr) -> Option<String> {
        if let IpAddr::V4(v4) = ip {
            let bits = u32::from(v4);
            if let Some((net, mask)) = self.0.iter().find(|(net, mask)| bits & mask == *net) {
                let net = Ipv4Addr::from(*net);
                let prefix = mask.leading_ones();
                return Some(format!(
                    "an address in the phone's own subnet {net}/{prefix}"
                ));
            }
        }
        let private = match ip {
            IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                v6.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
            }
        };
        private.then(|| "a private address".to_string())
    }
}

/// Advice for a stage whose server address is not Cisco's.
pub fn advice(name: &str, ip: IpAddr, why: &str) -> String {
    format!(
        "the phone used {ip} for {name}, {why}: that is not Cisco's service but a captive \
         portal, DNS filter or split-horizon zone answering for it; make the DNS server the \
         phones use (DHCP option 6) resolve {name} publicly, or let the voice VLAN bypass the \
         portal"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::test_support::{ctx, fact, phone};

    #[test]
    fn private_and_own_subnet_addresses_are_not_cisco() {
        // A DHCPACK of 192.0.2.101 with mask 255.255.255.0 (RFC 2131 layout).
        let mut ack = vec![0u8; 236];
        ack[..3].copy_from_slice(&[2, 1, 6]);
        ack[16..20].copy_from_slice(&[192, 0, 2, 101]);
        ack.extend_from_slice(&[99, 130, 83, 99, 53, 1, 5, 1, 4, 255, 255, 255, 0, 255]);
        let ack = crate::proto::dhcp::parse(&ack).expect("a DHCPACK");
        let facts = [fact(
            1,
            1,
            "192.0.2.1:67",
            "192.0.2.101:68",
            Body::Dhcp(ack),
        )];
        let p = phone("192.0.2.101", vec![0]);
        let names = crate::phone::names::NameMap::default();
        let c = ctx(&facts, &p, &names, 2);
        let nets = Subnets::of(&c);
        let why = |ip: &str| nets.why(ip.parse().unwrap());
        assert_eq!(why("10.99.0.1").as_deref(), Some("a private address"));
        assert_eq!(why("fd00::1").as_deref(), Some("a private address"));
        assert_eq!(
            why("192.0.2.250").as_deref(),
            Some("an address in the phone's own subnet 192.0.2.0/24")
        );
        assert_eq!(why("198.51.100.10"), None);
        assert_eq!(why("2001:db8:100::10"), None);
    }
}
