//! What an Ethernet type field leads to, down to an IP header: 802.1Q
//! (0x8100), 802.1ad (0x88a8) and pre-standard 0x9100 tag stacks, MPLS
//! label stacks (0x8847, 0x8848; RFC 3032) with IPv4, IPv6 or a pseudowire's
//! Ethernet frame (RFC 4448, with or without its control word) after the
//! bottom label, IEEE 802.3 frames whose LLC/SNAP header carries an Ethernet
//! type (RFC 1042), and PPPoE sessions (RFC 2516).
//!
//! The LAN's own control protocols (spanning tree, CDP, LLDP, 802.1X, LACP,
//! PTP...) never carry IP and are skipped; any other type (MACsec, an
//! unknown one, an MPLS payload that is neither IP nor Ethernet) is told as
//! [`Link::Other`] so that it is counted, not dropped unseen.

use super::{be16, ip, mac_at, Link, Mac, L2};

/// Most headers (VLAN tags, MPLS labels, nested Ethernet frames) followed
/// for one frame; deeper stacks are malformed.
const MAX_HEADERS: usize = 16;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_8021Q: u16 = 0x8100;
const ETHERTYPE_8021AD: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;
/// Type fields up to this are an IEEE 802.3 length: an LLC header follows.
const MAX_8023_LENGTH: u16 = 1500;

/// Ethernet types of LAN protocols that carry no IP, skipped like LLDP:
/// RARP, 802.1X, slow protocols (LACP), LLDP, PTP, CFM, MRP, PPPoE
/// discovery, the configuration test protocol (loopback), Wake-on-LAN,
/// flow control (PAUSE), LLTD, DEC MOP and DECnet, AppleTalk and AARP,
/// IPX, Realtek RRCP, IEEE 1905.1, HomePlug AV, Intel ANS, MSRP, MVRP,
/// AVTP, MikroTik RoMON, ATA over Ethernet, FCoE and FIP, PROFINET, ECP,
/// the Broadcom switch tag and Frame Relay ARP.
const NOT_IP: [u16; 33] = [
    0x8035, 0x888e, 0x8809, 0x88cc, 0x88f7, 0x8902, 0x88e3, 0x8863, 0x9000, 0x0842, 0x8808,
    0x88d9, 0x6001, 0x6002, 0x6003, 0x809b, 0x80f3, 0x8137, 0x8899, 0x893a, 0x88e1, 0x886d,
    0x22ea, 0x88f5, 0x22f0, 0x88bf, 0x88a2, 0x8906, 0x8914, 0x8892, 0x8940, 0x8874, 0x0808,
];

/// Follows the headers from `offset`, where `ethertype` applies.
pub(super) fn ether_payload(
    mut l2: L2,
    mut ethertype: u16,
    data: &[u8],
    mut offset: usize,
) -> Link<'_> {
    for _ in 0..MAX_HEADERS {
        let rest = data.get(offset..).unwrap_or_default();
        match ethertype {
            ETHERTYPE_IPV4 => return ip(l2, 4, rest),
            ETHERTYPE_IPV6 => return ip(l2, 6, rest),
            ETHERTYPE_8021Q | ETHERTYPE_8021AD | ETHERTYPE_QINQ_OLD => {
                let (Some(tci), Some(inner)) = (be16(data, offset), be16(data, offset + 2)) else {
                    return Link::Short("vlan_tag");
                };
                l2.vlan = Some(tci & 0x0fff);
                ethertype = inner;
                offset += 4;
            }
            ETHERTYPE_MPLS | ETHERTYPE_MPLS_MULTICAST => {
                // A label stack entry: label, traffic class, S, TTL; S marks
                // the bottom of the stack (the type stays MPLS until then).
                let Some(&[_, _, s, _]) = rest.get(..4) else {
                    return Link::Short("mpls_label");
                };
                offset += 4;
                if s & 0x01 == 0 {
                    continue;
                }
                match mpls_payload(data.get(offset..).unwrap_or_default()) {
                    MplsPayload::Ip(version) => {
                        return ip(l2, version, data.get(offset..).unwrap_or_default())
                    }
                    MplsPayload::Ethernet(skip) => {
                        offset += skip;
                        let (Some(dst), Some(src), Some(inner)) = (
                            mac_at(data, offset),
                            mac_at(data, offset + 6),
                            be16(data, offset + 12),
                        ) else {
                            return Link::Short("mpls_ethernet");
                        };
                        l2 = inner_l2(src, dst);
                        ethertype = inner;
                        offset += 14;
                    }
                    MplsPayload::Unknown => return Link::Other(ETHERTYPE_MPLS),
                }
            }
            // PPPoE session (RFC 2516): 6-byte header, then the PPP protocol.
            ETHERTYPE_PPPOE_SESSION => {
                return match be16(data, offset + 6) {
                    Some(PPP_IPV4) => ip(l2, 4, data.get(offset + 8..).unwrap_or_default()),
                    Some(PPP_IPV6) => ip(l2, 6, data.get(offset + 8..).unwrap_or_default()),
                    Some(_) => Link::Skip,
                    None => Link::Short("pppoe_header"),
                };
            }
            ETHERTYPE_ARP => return Link::Arp(l2, rest),
            ..=MAX_8023_LENGTH => match snap_type(rest) {
                Some(inner) => {
                    ethertype = inner;
                    offset += 8;
                }
                // Spanning tree, CDP, VTP and other LLC frames: no IP.
                None if is_llc(ethertype, rest) => return Link::Skip,
                // No 802.3 frame (a type field of 0, another link type
                // read as Ethernet): counted as unread.
                None => return Link::Other(ethertype),
            },
            t if NOT_IP.contains(&t) => return Link::Skip,
            t => return Link::Other(t),
        }
    }
    Link::Short("header_stack_too_deep")
}

/// An Ethernet frame inside another: its own addresses, no VLAN yet.
fn inner_l2(src: Mac, dst: Mac) -> L2 {
    L2 {
        src_mac: Some(src),
        dst_mac: Some(dst),
        vlan: None,
    }
}

/// The Ethernet type an LLC/SNAP header (AA AA 03, an OUI of 00-00-00 or
/// 00-00-F8) carries; `None` for any other LLC frame.
fn snap_type(llc: &[u8]) -> Option<u16> {
    match llc.get(..8)? {
        [0xaa, 0xaa, 0x03, 0, 0, 0 | 0xf8, hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
        _ => None,
    }
}

/// An IEEE 802.3 frame's LLC header: a length that holds one (3 bytes at
/// least), and a source SAP naming the destination SAP's service (the low
/// bit is command/response): STP's 42 42, SNAP's AA AA, NetBIOS's F0 F0,
/// IPX's E0 E0, IS-IS's FE FE; or Novell's raw 802.3 IPX (FF FF, its
/// checksum field).
fn is_llc(length: u16, llc: &[u8]) -> bool {
    match llc.get(..2) {
        Some(&[0xff, 0xff]) => length >= 3,
        Some(&[dsap, ssap]) => length >= 3 && dsap == ssap & 0xfe,
        _ => false,
    }
}

/// What follows the bottom MPLS label.
enum MplsPayload {
    /// An IP packet of this version.
    Ip(u8),
    /// A pseudowire's Ethernet frame after this many bytes (its control
    /// word, or none).
    Ethernet(usize),
    Unknown,
}

/// MPLS names no payload type. An IPv4 header whose checksum holds, or an
/// IPv6 header whose payload length fits the bytes after it, is IP (a
/// pseudowire's Ethernet frame starts with a MAC, whose first nibble may be
/// 4 or 6 too); then a frame whose type field is IP, ARP, a VLAN tag or a
/// LAN protocol (or a length before an STP or SNAP LLC header) is
/// Ethernet; then, after a zero nibble, the same 4 bytes further on is a
/// pseudowire's frame after its control word (RFC 4448); last, a
/// whole IPv6 header whose length overruns the bytes (the snaplen cut the
/// frame) is IPv6.
fn mpls_payload(p: &[u8]) -> MplsPayload {
    // An Ethernet type field where a frame has it: IP, ARP, a VLAN tag, a
    // LAN protocol, or an 802.3 length before a spanning-tree or SNAP LLC.
    let ethernet_at = |at: usize| match be16(p, at + 12) {
        Some(
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 | ETHERTYPE_ARP | ETHERTYPE_8021Q | ETHERTYPE_8021AD
            | ETHERTYPE_QINQ_OLD,
        ) => true,
        Some(t) if NOT_IP.contains(&t) => true,
        Some(..=MAX_8023_LENGTH) => {
            matches!(p.get(at + 14..at + 16), Some([0x42, 0x42] | [0xaa, 0xaa]))
        }
        _ => false,
    };
    match p.first().map(|b| b >> 4) {
        Some(4) if ipv4_fits(p) => MplsPayload::Ip(4),
        Some(6) if ipv6_fits(p) => MplsPayload::Ip(6),
        _ if ethernet_at(0) => MplsPayload::Ethernet(0),
        Some(0) if ethernet_at(4) => MplsPayload::Ethernet(4),
        // A frame cut by the snaplen: its IPv6 length cannot fit.
        Some(6) if p.len() >= 40 => MplsPayload::Ip(6),
        _ => MplsPayload::Unknown,
    }
}

/// An IPv4 header of at least 20 bytes whose checksum holds (RFC 791:
/// the ones' complement sum of its 16-bit words is 0xffff).
fn ipv4_fits(p: &[u8]) -> bool {
    let ihl = usize::from(p.first().map_or(0, |b| b & 0x0f)) * 4;
    let Some(header) = p.get(..ihl).filter(|_| ihl >= 20) else {
        return false;
    };
    let mut sum: u32 = header
        .chunks_exact(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum == 0xffff
}

/// A fixed IPv6 header whose payload length covers no more than the bytes
/// after it and leaves at most a minimum frame's padding.
fn ipv6_fits(p: &[u8]) -> bool {
    let Some(len) = be16(p, 4).map(usize::from) else {
        return false;
    };
    let rest = p.len().saturating_sub(40);
    p.len() >= 40 && len <= rest && rest - len < 64
}
