//! Whether an IPv4 address a DHCP option carries can name a server.
//!
//! RFC 1122 3.2.1.3 and the special-purpose registry (RFC 6890) set aside
//! addresses that are never a host to send to: 0.0.0.0 and the rest of
//! 0.0.0.0/8 ("this network"), 127.0.0.0/8 (loopback), 224.0.0.0/4
//! (multicast), 240.0.0.0/4 (reserved, "class E") and 255.255.255.255
//! (limited broadcast). A scope that puts one of them in option 3, 6, 42,
//! 54 or 150, or as the host of 66 / 159 / 160, names no server there: a
//! placeholder left in the scope. Private and documentation ranges are
//! ordinary unicast here.

use std::net::Ipv4Addr;

/// Why `a` names no server, in a few words; `None` for a unicast address.
pub fn unusable_kind(a: Ipv4Addr) -> Option<&'static str> {
    let first = a.octets()[0];
    if a.is_unspecified() {
        Some("unspecified")
    } else if a.is_broadcast() {
        Some("broadcast")
    } else if first == 0 {
        Some("this network, 0.0.0.0/8")
    } else if a.is_loopback() {
        Some("loopback")
    } else if a.is_multicast() {
        Some("multicast")
    } else if first >= 240 {
        Some("reserved, 240.0.0.0/4")
    } else {
        None
    }
}

/// `a` can name a server: none of the addresses [`unusable_kind`] names.
pub fn usable(a: Ipv4Addr) -> bool {
    unusable_kind(a).is_none()
}

/// An unusable address as said in a summary: 0.0.0.0 alone, any other
/// with its kind ("127.0.0.1 (loopback)").
pub fn unusable_text(a: Ipv4Addr) -> String {
    match unusable_kind(a) {
        Some(kind) if !a.is_unspecified() => format!("{a} ({kind})"),
        _ => a.to_string(),
    }
}

/// What an address option whose addresses name no server holds, for
/// "option 6 {text}, no usable DNS server": "names 0.0.0.0", "names
/// 127.0.0.1 (loopback), 0.0.0.0", or "holds no address".
pub fn unusable_list_text(code: u8, addrs: &[Ipv4Addr]) -> String {
    match addrs.is_empty() {
        true => format!("option {code} holds no address"),
        false => {
            let texts: Vec<String> = addrs.iter().map(|a| unusable_text(*a)).collect();
            format!("option {code} names {}", texts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_name_no_server() {
        for (a, kind) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "this network, 0.0.0.0/8"),
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("240.0.0.1", "reserved, 240.0.0.0/4"),
            ("255.255.255.255", "broadcast"),
        ] {
            let a: Ipv4Addr = a.parse().unwrap_or(Ipv4Addr::LOCALHOST);
            assert_eq!(unusable_kind(a), Some(kind), "{a}");
        }
        for a in [
            "192.0.2.1",
            "10.0.0.53",
            "1.1.1.1",
            "223.255.255.254",
            "169.254.1.1",
        ] {
            let a: Ipv4Addr = a.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
            assert!(usable(a), "{a}");
        }
        assert_eq!(unusable_text(Ipv4Addr::UNSPECIFIED), "0.0.0.0");
        assert_eq!(unusable_text(Ipv4Addr::LOCALHOST), "127.0.0.1 (loopback)");
        assert_eq!(
            unusable_list_text(6, &[Ipv4Addr::UNSPECIFIED]),
            "option 6 names 0.0.0.0"
        );
        assert_eq!(unusable_list_text(42, &[]), "option 42 holds no address");
    }
}
