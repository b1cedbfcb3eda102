//! The connection key and its hasher.
//!
//! A key is the unordered pair of endpoints, so both directions of a
//! connection find the same entry. The hasher is a multiply-rotate hash in
//! the style of the Fx hash used inside rustc: a few cycles per word, which
//! matters because every TCP segment of a bulk transfer costs one lookup.
//! It is not resistant to chosen keys; the table's size bound keeps a
//! hostile capture from making that worse than slow.

use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

/// Both endpoints of a connection, the smaller one first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FlowKey {
    lo_ip: u128,
    hi_ip: u128,
    lo_port: u16,
    hi_port: u16,
    v6: bool,
}

impl FlowKey {
    pub fn new(a: &SocketAddr, b: &SocketAddr) -> FlowKey {
        let v6 = a.is_ipv6();
        let (a, b) = ((ip_bits(a.ip()), a.port()), (ip_bits(b.ip()), b.port()));
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        FlowKey {
            lo_ip: lo.0,
            hi_ip: hi.0,
            lo_port: lo.1,
            hi_port: hi.1,
            v6,
        }
    }
}

/// An address as a number; IPv4 in the low 32 bits (the `v6` flag keeps an
/// IPv4 address apart from the IPv6 address with the same bits).
fn ip_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64((self.lo_ip >> 64) as u64);
        state.write_u64(self.lo_ip as u64);
        state.write_u64((self.hi_ip >> 64) as u64);
        state.write_u64(self.hi_ip as u64);
        let ports = u64::from(self.lo_port) << 16 | u64::from(self.hi_port);
        state.write_u64(ports | u64::from(self.v6) << 32);
    }
}

/// Multiply-rotate word hasher (Fx style).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

/// An odd constant with well-spread bits (from the golden ratio).
const FX_MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word.get_mut(..chunk.len())
                .unwrap_or_default()
                .copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_MULTIPLIER);
    }

    fn write_u32(&mut self, word: u32) {
        self.write_u64(u64::from(word));
    }

    fn write_u16(&mut self, word: u16) {
        self.write_u64(u64::from(word));
    }

    fn write_u8(&mut self, word: u8) {
        self.write_u64(u64::from(word));
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        // The product's high bits are the well-mixed ones; the table indexes
        // with the low bits, so bring them down.
        self.hash.rotate_left(26)
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn both_directions_give_one_key() {
        let (a, b) = (addr("192.0.2.100:50000"), addr("198.51.100.20:443"));
        assert_eq!(FlowKey::new(&a, &b), FlowKey::new(&b, &a));
        assert_ne!(
            FlowKey::new(&a, &b),
            FlowKey::new(&a, &addr("198.51.100.20:80"))
        );
        let mapped = addr("[::c000:264]:50000");
        assert_ne!(FlowKey::new(&a, &b), FlowKey::new(&mapped, &b));
    }

    #[test]
    fn low_bits_spread_over_ports() {
        let build = FxBuild::default();
        let server = addr("198.51.100.20:443");
        let mut buckets = [0u32; 64];
        for port in 40000..41024u16 {
            let key = FlowKey::new(&SocketAddr::new(server.ip(), port), &server);
            buckets[(build.hash_one(key) & 63) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (4..=40).contains(&n)),
            "{buckets:?}"
        );
    }
}
