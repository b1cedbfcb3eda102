//! The MAC a modified EUI-64 interface identifier encodes (RFC 4291
//! Appendix A, used by SLAAC, RFC 4862): the MAC's first three octets with
//! the universal/local bit flipped, `ff:fe`, its last three. A phone's
//! SLAAC address whose identifier encodes a known phone's MAC is that
//! phone's, wherever the capture was taken (no Ethernet header, or behind a
//! router). Temporary (privacy) addresses, RFC 8981, and stable opaque
//! identifiers, RFC 7217, are random and encode no MAC.

use std::net::IpAddr;

use crate::packet::Mac;

/// The MAC the address's interface identifier encodes, if it is a modified
/// EUI-64 one (`ff:fe` in its middle) of a unicast MAC.
pub(super) fn eui64_mac(ip: &IpAddr) -> Option<Mac> {
    let IpAddr::V6(v6) = ip else { return None };
    let o = v6.octets();
    if o[0] == 0xff || o[11] != 0xff || o[12] != 0xfe {
        return None;
    }
    let mac = [o[8] ^ 0x02, o[9], o[10], o[13], o[14], o[15]];
    // (A group bit set, or all zero: no interface's MAC.)
    (mac[0] & 1 == 0 && mac != [0; 6]).then_some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaac_addresses_give_back_the_mac() {
        let mac = [0, 0, 0x5e, 0, 0x53, 1];
        for a in [
            "2001:db8:1:0:200:5eff:fe00:5301",
            "fe80::200:5eff:fe00:5301",
        ] {
            assert_eq!(eui64_mac(&a.parse().unwrap()), Some(mac), "{a}");
        }
        // The universal/local bit flipped back: 02:... is a local MAC.
        let local: IpAddr = "2001:db8::ff:fe00:1".parse().unwrap();
        assert_eq!(eui64_mac(&local), Some([2, 0, 0, 0, 0, 1]));
    }

    #[test]
    fn other_identifiers_encode_no_mac() {
        for a in [
            "2001:db8:1:0:5c3a:91d2:7be4:10af", // temporary (RFC 8981)
            "2001:db8:1::1",
            "ff02::1:ff00:5301",
            "192.0.2.1",
            "2001:db8::300:ff:fe00:1", // group bit
        ] {
            assert_eq!(eui64_mac(&a.parse().unwrap()), None, "{a}");
        }
    }
}
