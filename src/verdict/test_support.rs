//! Test-only builders for the stage rules' unit tests: a fact, a phone and
//! the context a rule reads.

use super::Ctx;
use crate::fact::{Body, Fact, L4};
use crate::phone::{names::NameMap, Phone};
use crate::time::Timestamp;

/// A UDP fact at `secs` seconds.
pub fn fact(frame: u64, secs: i64, src: &str, dst: &str, body: Body) -> Fact {
    Fact {
        frame,
        ts: Timestamp::new(secs * 1_000_000_000, 6),
        src: src.parse().expect("socket address"),
        dst: dst.parse().expect("socket address"),
        l4: L4::Udp,
        src_mac: None,
        dst_mac: None,
        vlan: None,
        truncated: false,
        ip_id: None,
        body,
    }
}

/// A phone known by one address, owning the facts at `facts`.
pub fn phone(ip: &str, facts: Vec<usize>) -> Phone {
    Phone {
        id: ip.into(),
        mac: None,
        ips: vec![ip.parse().expect("address")],
        hostname: None,
        model: None,
        firmware: None,
        first_frame: 1,
        facts,
        sip_alg: None,
        shared: false,
    }
}

/// The context of `phone` in a capture of `facts` that ends at `end_secs`.
pub fn ctx<'a>(facts: &'a [Fact], phone: &'a Phone, names: &'a NameMap, end_secs: i64) -> Ctx<'a> {
    Ctx {
        facts,
        phone,
        names,
        sbc_port: 8934,
        end: Some(Timestamp::new(end_secs * 1_000_000_000, 6)),
        snaplen_cut: false,
        one_way: false,
        untimed: false,
        arp: &NO_ARP,
        others: Box::leak(Box::default()),
    }
}

/// An empty ARP log for test contexts.
static NO_ARP: std::sync::LazyLock<crate::packet::ArpLog> =
    std::sync::LazyLock::new(Default::default);
