//! Tunnels a remote capture arrives in: GRE (RFC 2784, with the key and
//! sequence number fields of RFC 2890) carrying IPv4, IPv6 or Ethernet
//! (transparent Ethernet bridging, 0x6558); Cisco ERSPAN inside GRE, type I
//! and II (0x88BE; type II has the sequence bit and an 8-octet header) and
//! type III (0x22EB; a 12-octet header, plus an 8-octet platform subheader
//! when its O bit is set); and VXLAN (RFC 7348: to UDP port 4789, not from
//! a service port, the I flag set, reserved fields ignored). The
//! inner packet is decoded as if it were captured where the tunnel starts:
//! an inner Ethernet header gives the hosts' own MACs and VLAN.
//!
//! Ignored: GRE version 1 (PPTP's enhanced GRE carries PPP, not captures),
//! checksums, keys and sequence numbers (only skipped). Known but not
//! decoded ([`unsupported`]: counted and named, so a capture of nothing else
//! says why it shows no phone): Geneve (RFC 8926, UDP 6081), VXLAN to UDP
//! 8472 (the port Linux used before IANA assigned 4789) and VXLAN-GPE
//! (UDP 4790).

/// What a tunnel carries.
pub(super) enum Inner<'a> {
    /// An IP packet of this version.
    Ip { version: u8, data: &'a [u8] },
    /// A whole Ethernet frame.
    Ethernet(&'a [u8]),
    /// Nothing provscope reads (another protocol, or a header cut short).
    None,
}

/// The VXLAN UDP port (RFC 7348 section 5).
pub(super) const VXLAN_PORT: u16 = 4789;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const TRANSPARENT_ETHERNET: u16 = 0x6558;
const ERSPAN_I_II: u16 = 0x88be;
const ERSPAN_III: u16 = 0x22eb;

/// The payload of a GRE packet (the bytes after the IP header).
pub(super) fn gre(data: &[u8]) -> Inner<'_> {
    let (Some(&flags), Some(&version), Some(proto)) = (data.first(), data.get(1), be16(data, 2))
    else {
        return Inner::None;
    };
    if version & 0x07 != 0 {
        return Inner::None;
    }
    let checksum_or_routing = flags & 0xc0 != 0;
    let key = flags & 0x20 != 0;
    let sequence = flags & 0x10 != 0;
    let len =
        4 + 4 * (usize::from(checksum_or_routing) + usize::from(key) + usize::from(sequence));
    let Some(rest) = data.get(len..) else {
        return Inner::None;
    };
    let ethernet = |skip: usize| rest.get(skip..).map_or(Inner::None, Inner::Ethernet);
    match proto {
        ETHERTYPE_IPV4 => Inner::Ip {
            version: 4,
            data: rest,
        },
        ETHERTYPE_IPV6 => Inner::Ip {
            version: 6,
            data: rest,
        },
        TRANSPARENT_ETHERNET => Inner::Ethernet(rest),
        // Type II sets the sequence bit and has an 8-octet header; type I
        // has neither.
        ERSPAN_I_II if sequence => ethernet(8),
        ERSPAN_I_II => Inner::Ethernet(rest),
        ERSPAN_III => match rest.get(11) {
            Some(last) if last & 0x01 != 0 => ethernet(20),
            Some(_) => ethernet(12),
            None => Inner::None,
        },
        _ => Inner::None,
    }
}

/// The Ethernet frame inside a VXLAN datagram to `dport` (the UDP payload
/// given). Only the destination port is VXLAN's (the source port is a hash
/// of the inner flow, RFC 7348 section 5), and the I flag must be set. The
/// reserved fields are ignored on receipt (RFC 7348 section 5): extensions
/// use them (Group Based Policy sets the G flag and a policy ID in octets
/// 1-3). A datagram from a service port (a DNS answer to an ephemeral port
/// 4789) is that service's, which the caller checks.
pub(super) fn vxlan(dport: u16, payload: &[u8]) -> Option<&[u8]> {
    match payload {
        [flags, _, _, _, _, _, _, _, frame @ ..] if dport == VXLAN_PORT && flags & 0x08 != 0 => {
            Some(frame)
        }
        _ => None,
    }
}

/// A tunnel provscope recognises but does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    Geneve,
    Vxlan8472,
    VxlanGpe,
}

impl Unsupported {
    /// Every kind, in the order of [`Unsupported::index`].
    pub const ALL: [Unsupported; 3] = [
        Unsupported::Geneve,
        Unsupported::Vxlan8472,
        Unsupported::VxlanGpe,
    ];

    /// The kind's slot in a counter array.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name for a warning, e.g. `"Geneve (UDP 6081)"`.
    pub fn words(self) -> &'static str {
        match self {
            Unsupported::Geneve => "Geneve (UDP 6081)",
            Unsupported::Vxlan8472 => "VXLAN to UDP 8472 (Linux's pre-IANA port)",
            Unsupported::VxlanGpe => "VXLAN-GPE (UDP 4790)",
        }
    }
}

const GENEVE_PORT: u16 = 6081;
const VXLAN_LINUX_PORT: u16 = 8472;
const VXLAN_GPE_PORT: u16 = 4790;

/// The known tunnel a UDP datagram to `dport` carries (its payload given)
/// that provscope does not decode, checked on its header so that media to
/// the same port is not miscounted: Geneve version 0 carrying Ethernet or
/// IP (RFC 8926 section 3.4), VXLAN with its I flag on 8472, VXLAN-GPE with
/// its I and P flags and a next protocol of IPv4, IPv6, Ethernet or NSH.
/// As for [`vxlan`], a datagram from a service port is the caller's to
/// rule out.
pub(super) fn unsupported(dport: u16, payload: &[u8]) -> Option<Unsupported> {
    let [first, _, third, fourth, _, _, _, _, ..] = payload else {
        return None;
    };
    let protocol = u16::from_be_bytes([*third, *fourth]);
    match dport {
        GENEVE_PORT if first >> 6 == 0 && matches!(protocol, 0x6558 | 0x0800 | 0x86dd) => {
            Some(Unsupported::Geneve)
        }
        VXLAN_LINUX_PORT if first & 0x08 != 0 => Some(Unsupported::Vxlan8472),
        VXLAN_GPE_PORT if first & 0x0c == 0x0c && (1..=4).contains(fourth) => {
            Some(Unsupported::VxlanGpe)
        }
        _ => None,
    }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ethernet_of(inner: Inner<'_>) -> Option<Vec<u8>> {
        match inner {
            Inner::Ethernet(f) => Some(f.to_vec()),
            _ => None,
        }
    }

    #[test]
    fn gre_headers_of_every_length() {
        let frame = [0xee; 20];
        // Plain, with key, with key and sequence, with checksum too.
        for (flags, words) in [(0x00u8, 0usize), (0x20, 1), (0x30, 2), (0xb0, 3)] {
            let mut p = vec![flags, 0, 0x65, 0x58];
            p.extend(std::iter::repeat_n(0x11, 4 * words));
            p.extend_from_slice(&frame);
            assert_eq!(
                ethernet_of(gre(&p)),
                Some(frame.to_vec()),
                "flags {flags:#x}"
            );
        }
        let ip = [0x45, 0, 0, 20];
        let mut p = vec![0, 0, 0x08, 0x00];
        p.extend_from_slice(&ip);
        assert!(matches!(gre(&p), Inner::Ip { version: 4, data } if data == ip));
        // PPTP's enhanced GRE and unknown protocols are not read; short is nothing.
        assert!(matches!(gre(&[0x30, 0x81, 0x88, 0x0b, 0, 0]), Inner::None));
        assert!(matches!(gre(&[0, 0, 0x12, 0x34, 1, 2]), Inner::None));
        assert!(matches!(gre(&[0x30, 0, 0x65]), Inner::None));
    }

    #[test]
    fn erspan_types() {
        let frame = [0xee; 20];
        // Type II: GRE with sequence number, 8-octet ERSPAN header.
        let mut p = vec![0x10, 0, 0x88, 0xbe, 0, 0, 0, 1];
        p.extend_from_slice(&[0x10, 0x64, 0, 0x01, 0, 0, 0, 0]);
        p.extend_from_slice(&frame);
        assert_eq!(ethernet_of(gre(&p)), Some(frame.to_vec()));
        // Type I: no sequence, no header.
        let mut p = vec![0, 0, 0x88, 0xbe];
        p.extend_from_slice(&frame);
        assert_eq!(ethernet_of(gre(&p)), Some(frame.to_vec()));
        // Type III, without and with the platform subheader.
        for (o, extra) in [(0u8, 0usize), (1, 8)] {
            let mut p = vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 1];
            let mut h = vec![0x20, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, o];
            h.extend(std::iter::repeat_n(0x22, extra));
            p.extend(h);
            p.extend_from_slice(&frame);
            assert_eq!(ethernet_of(gre(&p)), Some(frame.to_vec()), "O bit {o}");
        }
    }

    #[test]
    fn vxlan_needs_its_port_and_the_i_flag_and_ignores_reserved_fields() {
        let mut p = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
        p.extend_from_slice(&[0xee; 20]);
        assert_eq!(vxlan(VXLAN_PORT, &p), Some(&[0xee; 20][..]));
        assert_eq!(vxlan(4790, &p), None);
        p[0] = 0;
        assert_eq!(vxlan(VXLAN_PORT, &p), None);
        assert_eq!(vxlan(VXLAN_PORT, &[0x08, 0, 0]), None);
        // Reserved fields set (Group Based Policy: the G flag, a policy
        // ID): still VXLAN, RFC 7348 ignores them on receipt.
        for (at, byte) in [(0, 0x88), (1, 0x40), (3, 0x23), (7, 0x01)] {
            let mut q = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
            q[at] = byte;
            q.extend_from_slice(&[0xee; 20]);
            assert_eq!(vxlan(VXLAN_PORT, &q), Some(&[0xee; 20][..]), "octet {at}");
        }
        // No I flag: not VXLAN.
        let mut q = vec![0x80, 0, 0, 0, 0, 0, 42, 0];
        q.extend_from_slice(&[0xee; 20]);
        assert_eq!(vxlan(VXLAN_PORT, &q), None);
    }

    #[test]
    fn unsupported_tunnels_are_known_by_their_headers() {
        let frame = [0xee; 20];
        let with = |header: [u8; 8]| [&header[..], &frame[..]].concat();
        // Geneve (Open vSwitch, the kernel): Ethernet, IPv4.
        let geneve = with([0, 0, 0x65, 0x58, 0, 0, 42, 0]);
        assert_eq!(unsupported(6081, &geneve), Some(Unsupported::Geneve));
        let geneve_ip = with([0x02, 0, 0x08, 0x00, 0, 0, 42, 0]);
        assert_eq!(unsupported(6081, &geneve_ip), Some(Unsupported::Geneve));
        let vxlan = with([0x08, 0, 0, 0, 0, 0, 42, 0]);
        assert_eq!(unsupported(8472, &vxlan), Some(Unsupported::Vxlan8472));
        let gpe = with([0x0c, 0, 0, 0x03, 0, 0, 42, 0]);
        assert_eq!(unsupported(4790, &gpe), Some(Unsupported::VxlanGpe));
        // RTP to the same ports (version 2, payload type 0), other ports,
        // short headers: nothing.
        let rtp = with([0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160]);
        for port in [6081, 8472, 4790] {
            assert_eq!(unsupported(port, &rtp), None, "port {port}");
        }
        assert_eq!(unsupported(VXLAN_PORT, &vxlan), None);
        assert_eq!(unsupported(6081, &geneve[..7]), None);
    }
}
