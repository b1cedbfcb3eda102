//! Link layers: from a frame's first byte to the start of its IP header.
//!
//! Ethernet II (IEEE 802.3 clause 3) with the tag, MPLS, LLC/SNAP and PPPoE
//! headers of `link/payload.rs`, Linux cooked capture v1 (SLL,
//! LINKTYPE 113, 16 bytes) and v2 (SLL2, LINKTYPE 276, 20 bytes), raw IP
//! (LINKTYPE 101 and the DLT values 12 and 14 some systems write), IPv4-only
//! (228) and IPv6-only (229), BSD loopback (0, family in the writer's byte
//! order), OpenBSD loopback (108, big-endian family) and Linux NFLOG (239).
//!
//! Every header here sits at fixed offsets, so it is read by hand. Frames of
//! the LAN's control protocols (LLDP, CDP, spanning tree...) are not
//! provscope's business; ARP leaves its link facts; a payload that is not
//! read but might hold IP is counted ([`Link::Other`]).
//!
//! The address field of SLL / SLL2 is the link-layer source of the frame as
//! the capturing host saw it: its own MAC for outgoing frames (packet type
//! 4), the last hop's for incoming ones (a router's for routed traffic, as
//! the Ethernet source is). On an Ethernet device (ARPHRD 1, 6-octet
//! address) it is taken as the frame's source MAC, so a phone on a cooked
//! capture is known by its MAC as on Ethernet; the destination stays
//! unknown. Other devices (loopback, tunnels) leave the source unknown.

pub mod mislabel;
mod payload;

use super::{Mac, L2};
use payload::ether_payload;

/// BSD `AF_INET` and the values `AF_INET6` takes on the BSDs and macOS.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 3] = [24, 28, 30];

/// What the link layer of a frame holds.
#[derive(Debug)]
pub(super) enum Link<'a> {
    /// An IP packet. `version` is 4 or 6 when the link header says which,
    /// 0 when only the packet's own version nibble can tell (raw IP).
    Ip { l2: L2, version: u8, data: &'a [u8] },
    /// A protocol other than IP on a link provscope reads.
    Skip,
    /// A payload that may hold IP but is not read (MACsec, an unknown
    /// Ethernet type, MPLS over neither IP nor Ethernet): its type, to be
    /// counted and named.
    Other(u16),
    /// An ARP frame: its link facts (who it was sent to) and its message.
    Arp(L2, &'a [u8]),
    /// A link type provscope does not read.
    Unsupported,
    /// The link header is cut short or inconsistent; the id says which.
    Short(&'static str),
    /// The link header holds what no frame of this link type can (a raw IP
    /// frame that starts with no IP version of its own, a loopback family
    /// word that is no address family), however many bytes were captured:
    /// undecodable, and a hint that the file's link type is wrong.
    Bad(&'static str),
}

/// Splits a frame on link type `linktype` into link facts and its IP bytes.
pub(super) fn parse(linktype: u32, data: &[u8]) -> Link<'_> {
    match linktype {
        1 => ethernet(data),
        113 => sll(data),
        276 => sll2(data),
        101 | 12 | 14 => raw_ip(0, data),
        228 => raw_ip(4, data),
        229 => raw_ip(6, data),
        0 => loopback(data, true),
        108 => loopback(data, false),
        239 => nflog(data),
        _ => Link::Unsupported,
    }
}

fn ethernet(data: &[u8]) -> Link<'_> {
    let (Some(dst), Some(src), Some(ethertype)) =
        (mac_at(data, 0), mac_at(data, 6), be16(data, 12))
    else {
        return Link::Short("ethernet_header");
    };
    let l2 = L2 {
        src_mac: Some(src),
        dst_mac: Some(dst),
        vlan: None,
    };
    ether_payload(l2, ethertype, data, 14)
}

/// Linux cooked capture v1: pkttype, ARPHRD type, address length, 8 bytes of
/// address, protocol.
fn sll(data: &[u8]) -> Link<'_> {
    let (Some(hatype), Some(halen), Some(protocol)) =
        (be16(data, 2), be16(data, 4), be16(data, 14))
    else {
        return Link::Short("sll_header");
    };
    let l2 = L2 {
        src_mac: cooked_source(hatype, halen, data, 6),
        dst_mac: None,
        vlan: None,
    };
    ether_payload(l2, protocol, data, 16)
}

/// Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD type,
/// pkttype, address length, 8 bytes of address.
fn sll2(data: &[u8]) -> Link<'_> {
    let (Some(protocol), Some(hatype), Some(&halen)) =
        (be16(data, 0), be16(data, 8), data.get(11))
    else {
        return Link::Short("sll2_header");
    };
    if data.len() < 20 {
        return Link::Short("sll2_header");
    }
    let l2 = L2 {
        src_mac: cooked_source(hatype, u16::from(halen), data, 12),
        dst_mac: None,
        vlan: None,
    };
    ether_payload(l2, protocol, data, 20)
}

/// ARPHRD_ETHER: the cooked header's device type of an Ethernet interface.
const ARPHRD_ETHER: u16 = 1;

/// The source MAC in a cooked header's address field at `at`: only from an
/// Ethernet device with a 6-octet unicast, non-zero address.
fn cooked_source(hatype: u16, halen: u16, data: &[u8], at: usize) -> Option<Mac> {
    let mac = mac_at(data, at)?;
    let unicast = mac[0] & 1 == 0 && mac != [0; 6];
    (hatype == ARPHRD_ETHER && halen == 6 && unicast).then_some(mac)
}

fn ip(l2: L2, version: u8, data: &[u8]) -> Link<'_> {
    if data.is_empty() {
        return Link::Short("ip_missing");
    }
    Link::Ip { l2, version, data }
}

/// Raw IP: the frame is the packet, so its first nibble must be an IP
/// version (the one the link type names, for 228 and 229).
fn raw_ip(version: u8, data: &[u8]) -> Link<'_> {
    match (version, data.first().map(|b| b >> 4)) {
        (_, None) => Link::Short("ip_missing"),
        (0 | 4, Some(4)) | (0 | 6, Some(6)) => ip(L2::default(), version, data),
        (_, Some(_)) => Link::Bad("raw_ip_version"),
    }
}

/// The NFLOG attribute that holds the packet (NFULA_PAYLOAD).
const NFULA_PAYLOAD: u16 = 9;
/// Linux `AF_INET6` (the NFLOG header's family; `AF_INET` is 2 everywhere).
const LINUX_AF_INET6: u8 = 10;

/// Linux NFLOG (LINKTYPE 239, `tcpdump -i nflog:N` on a firewall): a
/// 4-byte header (address family, version 0, resource id), then
/// type-length-value attributes padded to 4 bytes, whose length and type
/// are in the byte order of the host that logged them (told by which
/// reading walks the whole chain); the packet is the payload attribute,
/// from its IP header on; a frame without one (a copy range of 0) is
/// counted undecodable. No link addresses: hosts are known by their IP.
fn nflog(data: &[u8]) -> Link<'_> {
    let (Some(&family), Some(&0)) = (data.first(), data.get(1)) else {
        return Link::Short("nflog_header");
    };
    let version = match family {
        AF_INET_BYTE => 4,
        LINUX_AF_INET6 => 6,
        _ => 0,
    };
    // The attribute chain in one byte order: where the payload is, if it
    // walks to the frame's end in that order.
    let payload = |little: bool| -> Option<(usize, usize)> {
        let field = |at: usize| {
            let b = data.get(at..at + 2)?;
            Some(match little {
                true => u16::from_le_bytes([b[0], b[1]]),
                false => u16::from_be_bytes([b[0], b[1]]),
            })
        };
        let (mut at, mut found) = (4, None);
        while at < data.len() {
            let len = usize::from(field(at)?);
            if len < 4 || at + len > data.len() {
                return None;
            }
            // The top bit of the type marks a nested attribute.
            if field(at + 2)? & 0x7fff == NFULA_PAYLOAD {
                found = Some((at + 4, at + len));
            }
            at += (len + 3) & !3;
        }
        Some(found.unwrap_or((0, 0)))
    };
    // The host's byte order is the one whose chain holds together (the
    // first attribute alone can fit both ways).
    match payload(true).or_else(|| payload(false)) {
        Some((0, 0)) => Link::Short("nflog_no_payload"),
        Some((from, to)) => ip(
            L2::default(),
            version,
            data.get(from..to).unwrap_or_default(),
        ),
        None => Link::Short("nflog_attribute"),
    }
}

/// `AF_INET` as the one byte of NFLOG's family field.
const AF_INET_BYTE: u8 = 2;

/// BSD loopback: a 4-byte address family. LINKTYPE 0 stores it in the byte
/// order of the machine that wrote the capture, so both orders are tried;
/// LINKTYPE 108 (OpenBSD) is always big-endian. A family that is neither
/// IPv4 nor IPv6 is told, not skipped: a loopback interface carries IP, and
/// a word like 0x45000054 is the start of a raw IP frame, not a family.
fn loopback(data: &[u8], either_order: bool) -> Link<'_> {
    let Some(raw) = data.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) else {
        return Link::Short("loopback_header");
    };
    let version = match family_version(u32::from_be_bytes(raw)) {
        0 if either_order => family_version(u32::from_le_bytes(raw)),
        v => v,
    };
    match version {
        0 => Link::Bad("loopback_family"),
        v => ip(L2::default(), v, data.get(4..).unwrap_or_default()),
    }
}

/// IP version of a BSD address family, 0 for any other family.
fn family_version(family: u32) -> u8 {
    if family == AF_INET {
        4
    } else if AF_INET6.contains(&family) {
        6
    } else {
        0
    }
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

fn mac_at(data: &[u8], at: usize) -> Option<Mac> {
    data.get(at..at.checked_add(6)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_qinq_keeps_innermost_vlan() {
        let mut f = vec![0xff; 6];
        f.extend([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        f.extend([0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x20, 0x0a, 0x08, 0x00]);
        f.extend([0x45, 0, 0, 20]);
        let Link::Ip { l2, version, data } = parse(1, &f) else {
            panic!("not ip: {:?}", parse(1, &f));
        };
        assert_eq!(l2.vlan, Some(10));
        assert_eq!(l2.src_mac, Some([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]));
        assert_eq!(l2.dst_mac, Some([0xff; 6]));
        assert_eq!(version, 4);
        assert_eq!(data, &[0x45, 0, 0, 20]);
    }

    #[test]
    fn ethernet_arp_keeps_its_link_facts_and_short_tag_is_short() {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend([0x08, 0x06, 0, 1]);
        let Link::Arp(l2, _) = parse(1, &f) else {
            panic!("not arp: {:?}", parse(1, &f));
        };
        assert_eq!(l2.dst_mac, Some([2, 0, 0, 0, 0, 1]));
        let mut lldp = vec![0; 12];
        lldp.extend([0x88, 0xcc, 0, 1]);
        assert!(matches!(parse(1, &lldp), Link::Skip));
        let mut g = vec![0; 12];
        g.extend([0x81, 0x00, 0x00]);
        assert!(matches!(parse(1, &g), Link::Short("vlan_tag")));
        assert!(matches!(parse(1, &[0; 13]), Link::Short("ethernet_header")));
    }

    #[test]
    fn endless_vlan_stack_is_bounded() {
        let mut f = vec![0; 12];
        for _ in 0..20 {
            f.extend([0x81, 0x00, 0x00, 0x01]);
        }
        assert!(matches!(parse(1, &f), Link::Short("header_stack_too_deep")));
        // An MPLS stack whose bottom is never marked, too.
        let mut m = vec![0; 12];
        m.extend([0x88, 0x47]);
        for _ in 0..20 {
            m.extend([0x00, 0x01, 0x00, 0x40]);
        }
        assert!(matches!(parse(1, &m), Link::Short("header_stack_too_deep")));
    }

    /// An Ethernet header from 02:..:02 to 02:..:01 with type `ethertype`.
    fn ether(ethertype: [u8; 2]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend(ethertype);
        f
    }

    /// An IPv4 header (10.0.0.1 to 10.0.0.2, UDP) with its checksum.
    const IPV4: [u8; 20] = [
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0x66, 0xd7, 10, 0, 0, 1, 10, 0, 0, 2,
    ];

    #[test]
    fn mpls_labels_are_read_down_to_the_bottom_of_the_stack() {
        // Two labels (the second with S set), then IPv4.
        let mut f = ether([0x88, 0x47]);
        f.extend([0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]);
        f.extend(IPV4);
        let Link::Ip { version, data, l2 } = parse(1, &f) else {
            panic!("not ip: {:?}", parse(1, &f));
        };
        assert_eq!((version, data.len()), (4, 20));
        assert_eq!(l2.src_mac, Some([2, 0, 0, 0, 0, 2]));
        // A pseudowire: control word, then the customer's Ethernet frame,
        // whose addresses (the phone's) replace the provider's.
        let mut pw = ether([0x88, 0x47]);
        pw.extend([0x00, 0x01, 0x01, 0x40, 0, 0, 0, 0]);
        pw.extend([0xaa; 6]);
        pw.extend([
            0x00, 0x1e, 0x7a, 0, 0, 1, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00,
        ]);
        pw.extend(IPV4);
        let Link::Ip { version, l2, .. } = parse(1, &pw) else {
            panic!("not ip: {:?}", parse(1, &pw));
        };
        assert_eq!((version, l2.vlan), (4, Some(100)));
        assert_eq!(l2.src_mac, Some([0x00, 0x1e, 0x7a, 0, 0, 1]));
        // No control word, and the customer's destination MAC begins with
        // a 4 (as IPv4 does): its IPv4 checksum fails, its type field is
        // Ethernet's. ARP inside reads as ARP.
        let mut no_cw = ether([0x88, 0x47]);
        no_cw.extend([0x00, 0x01, 0x01, 0x40]);
        no_cw.extend([0x4c, 0x41, 0x6a, 0, 0, 9]);
        no_cw.extend([0x00, 0x1e, 0x7a, 0, 0, 1, 0x08, 0x00]);
        no_cw.extend(IPV4);
        let Link::Ip { l2, .. } = parse(1, &no_cw) else {
            panic!("not ip: {:?}", parse(1, &no_cw));
        };
        assert_eq!(l2.dst_mac, Some([0x4c, 0x41, 0x6a, 0, 0, 9]));
        let mut arp = ether([0x88, 0x47]);
        arp.extend([0x00, 0x01, 0x01, 0x40]);
        arp.extend([0xff; 6]);
        arp.extend([0x00, 0x1e, 0x7a, 0, 0, 1, 0x08, 0x06, 0, 1]);
        assert!(matches!(parse(1, &arp), Link::Arp(..)));
        // Neither IP nor Ethernet after the bottom label: counted, not read.
        let mut odd = ether([0x88, 0x47]);
        odd.extend([0x00, 0x01, 0x01, 0x40, 0x9f, 0, 0, 0]);
        assert!(matches!(parse(1, &odd), Link::Other(0x8847)));
        let mut cut = ether([0x88, 0x47]);
        cut.extend([0x00, 0x01]);
        assert!(matches!(parse(1, &cut), Link::Short("mpls_label")));
    }

    #[test]
    fn llc_snap_types_are_followed_and_other_llc_frames_skipped() {
        // IEEE 802.3 length, LLC AA AA 03, OUI 00-00-00, type IPv4.
        let mut f = ether([0x00, 0x2e]);
        f.extend([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        f.extend(IPV4);
        assert!(matches!(parse(1, &f), Link::Ip { version: 4, .. }));
        // Spanning tree (LLC 42 42 03) and CDP (SNAP, Cisco's OUI): no IP.
        let mut stp = ether([0x00, 0x26]);
        stp.extend([0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
        assert!(matches!(parse(1, &stp), Link::Skip));
        let mut cdp = ether([0x01, 0x00]);
        cdp.extend([0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00]);
        assert!(matches!(parse(1, &cdp), Link::Skip));
        // Novell's raw 802.3 IPX (FF FF checksum): no IP.
        let mut ipx = ether([0x00, 0x40]);
        ipx.extend([0xff, 0xff, 0x00, 0x40]);
        assert!(matches!(parse(1, &ipx), Link::Skip));
        // No LLC: a type field of 0 (a cooked capture relabelled Ethernet)
        // or SAPs that do not pair is counted, not skipped unseen.
        let mut zero = ether([0x00, 0x00]);
        zero.extend([0x00, 0x00, 0x00, 0x06]);
        assert!(matches!(parse(1, &zero), Link::Other(0)));
        let mut odd = ether([0x00, 0x30]);
        odd.extend([0x45, 0x00, 0x00, 0x30]);
        assert!(matches!(parse(1, &odd), Link::Other(0x30)));
    }

    #[test]
    fn unknown_ethernet_types_are_told_and_control_protocols_skipped() {
        assert!(matches!(
            parse(1, &ether([0x88, 0xe5])),
            Link::Other(0x88e5)
        ));
        assert!(matches!(
            parse(1, &ether([0x12, 0x34])),
            Link::Other(0x1234)
        ));
        for control in [[0x88, 0xcc], [0x88, 0x8e], [0x88, 0x09], [0x80, 0x35]] {
            assert!(
                matches!(parse(1, &ether(control)), Link::Skip),
                "{control:02x?}"
            );
        }
    }

    #[test]
    fn cooked_address_of_an_ethernet_device_is_the_source_mac() {
        // SLL: outgoing (4), ARPHRD_ETHER, 6-octet address.
        let mut f = vec![0, 4, 0, 1, 0, 6, 0, 0, 0x5e, 0, 0x53, 1, 0, 0, 0x86, 0xdd];
        f.push(0x60);
        let Link::Ip { l2, version, .. } = parse(113, &f) else {
            panic!("not ip");
        };
        assert_eq!(l2.src_mac, Some([0, 0, 0x5e, 0, 0x53, 1]));
        assert_eq!((l2.dst_mac, version), (None, 6));
        // SLL2: incoming (0) from the last hop.
        let mut g = vec![0x08, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6];
        g.extend([0, 0, 0x5e, 0, 0x53, 0xfe, 0, 0, 0x45]);
        let Link::Ip { l2, .. } = parse(276, &g) else {
            panic!("not ip");
        };
        assert_eq!(l2.src_mac, Some([0, 0, 0x5e, 0, 0x53, 0xfe]));
    }

    #[test]
    fn cooked_address_of_loopback_or_a_tunnel_is_no_source_mac() {
        // ARPHRD_LOOPBACK (772) with a zero address; ARPHRD_NONE (0xfffe).
        let lo = [0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd, 0x60];
        let tun = [
            0, 4, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0x45,
        ];
        for f in [&lo[..], &tun[..]] {
            let Link::Ip { l2, .. } = parse(113, f) else {
                panic!("not ip");
            };
            assert_eq!(l2.src_mac, None);
        }
    }

    #[test]
    fn bsd_loopback_either_byte_order() {
        let le = [2, 0, 0, 0, 0x45];
        let be = [0, 0, 0, 30, 0x60];
        assert!(matches!(parse(0, &le), Link::Ip { version: 4, .. }));
        assert!(matches!(parse(0, &be), Link::Ip { version: 6, .. }));
        assert!(matches!(parse(108, &le), Link::Bad("loopback_family")));
        // Raw IPv4 under a loopback link type: its first word is no family.
        let raw = [0x45, 0, 0, 0x54, 0, 0, 0x40, 0];
        assert!(matches!(parse(0, &raw), Link::Bad("loopback_family")));
        assert!(matches!(parse(108, &raw), Link::Bad("loopback_family")));
        assert!(matches!(
            parse(108, &[0, 0, 0, 24, 0x60]),
            Link::Ip { version: 6, .. }
        ));
    }

    #[test]
    fn raw_ip_must_start_with_its_version() {
        assert!(matches!(
            parse(101, &[0x45, 0]),
            Link::Ip { version: 0, .. }
        ));
        assert!(matches!(
            parse(101, &[0x60, 0]),
            Link::Ip { version: 0, .. }
        ));
        // An Ethernet frame (broadcast destination) labelled raw IP.
        assert!(matches!(
            parse(101, &[0xff; 20]),
            Link::Bad("raw_ip_version")
        ));
        // IPv4 labelled IPv6-only, IPv6 labelled IPv4-only.
        assert!(matches!(
            parse(229, &[0x45, 0]),
            Link::Bad("raw_ip_version")
        ));
        assert!(matches!(
            parse(228, &[0x60, 0]),
            Link::Bad("raw_ip_version")
        ));
        assert!(matches!(parse(228, &[]), Link::Short("ip_missing")));
    }

    #[test]
    fn unknown_linktype_is_unsupported() {
        assert!(matches!(parse(147, &[0; 40]), Link::Unsupported));
    }
}
