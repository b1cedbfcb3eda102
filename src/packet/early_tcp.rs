//! The early look at TCP, before any decode: the endpoints of a whole TCP
//! segment without SYN, FIN or RST in an Ethernet frame (untagged or one
//! 802.1Q tag, IPv4 without options or IPv6 without extension headers,
//! unfragmented). The flow table then says whether it is a bulk segment of a
//! connection followed for its outcome only (most of the HTTPS in a voice
//! VLAN capture), which needs nothing more: it is passed over undecoded.
//! Every other frame (a cut one, a control segment, any rarer layout) is
//! decoded in full.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::{be16, ethernet_ip, LINKTYPE_ETHERNET, PROTO_TCP};
use crate::capture::Frame;

/// TCP flags that make a segment a control one (always decoded).
const SYN_FIN_RST: u8 = 0x01 | 0x02 | 0x04;

/// Source and destination of a whole, unfragmented, non-control TCP
/// segment in a whole Ethernet frame; `None` for anything else.
pub fn bulk_endpoints(frame: &Frame<'_>) -> Option<(SocketAddr, SocketAddr)> {
    if frame.linktype != LINKTYPE_ETHERNET || (frame.data.len() as u64) < frame.orig_len.into() {
        return None;
    }
    let (ethertype, ip) = ethernet_ip(frame.data)?;
    let (src, dst, segment) = match (ethertype, ip) {
        // IPv4, IHL 5, TCP, neither more fragments nor an offset, a total
        // length that covers the header and is all captured.
        (0x0800, [0x45, _, _, _, _, _, flags, offset, _, PROTO_TCP, ..])
            if flags & 0x3f == 0 && *offset == 0 =>
        {
            let total = usize::from(be16(ip, 2));
            let segment = ip.get(20..total).filter(|_| total >= 20)?;
            let src: [u8; 4] = ip.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            (
                Ipv4Addr::from(src).into(),
                Ipv4Addr::from(dst).into(),
                segment,
            )
        }
        // IPv6, next header TCP, a payload length that is all captured.
        (0x86dd, [v, _, _, _, _, _, PROTO_TCP, ..]) if v >> 4 == 6 => {
            let len = usize::from(be16(ip, 4));
            let segment = ip.get(40..40 + len).filter(|_| len > 0)?;
            let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            (
                Ipv6Addr::from(src).into(),
                Ipv6Addr::from(dst).into(),
                segment,
            )
        }
        _ => return None,
    };
    // A whole header (data offset 5..15 words, all there), no control flag.
    let offset = usize::from(segment.get(12)? >> 4) * 4;
    let flags = *segment.get(13)?;
    if offset < 20 || offset > segment.len() || flags & SYN_FIN_RST != 0 {
        return None;
    }
    let port = |at| be16(segment, at);
    let (src, dst): (IpAddr, IpAddr) = (src, dst);
    Some((SocketAddr::new(src, port(0)), SocketAddr::new(dst, port(2))))
}
