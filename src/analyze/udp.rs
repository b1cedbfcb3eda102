//! UDP datagrams to decoders: DHCP (67/68), DNS (53), NTP (123, and a
//! server's replies to a request from another port), TFTP
//! (requests to 69, or by their content to any other port, and the server's
//! answers from its own port, which are found through the request's client
//! port), SIP by content on any port.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::facts::Facts;
use crate::fact::{Body, Fact, IcmpUnreach, L4};
use crate::packet::{Packet, Unreachable};
use crate::proto::{dhcp, dns, ntp, sip, tftp};
use crate::time::Timestamp;

/// TFTP transfers (and NTP requests) remembered at once; beyond it the
/// table is reset and the reset counted.
const MAX_TFTP_SESSIONS: usize = 65_536;

/// Remembers a client socket's server in a bounded session table.
fn remember(
    table: &mut HashMap<(IpAddr, u16), IpAddr>,
    client: (IpAddr, u16),
    server: IpAddr,
    evicted: &mut u64,
) {
    if table.len() >= MAX_TFTP_SESSIONS {
        table.clear();
        *evicted += 1;
    }
    table.insert(client, server);
}

/// UDP decoding state: the TFTP transfers in progress.
#[derive(Default)]
pub struct UdpSide {
    /// (client ip, client port) -> server ip of a TFTP request.
    tftp: HashMap<(IpAddr, u16), IpAddr>,
    /// (client ip, client port) -> server ip of an NTP client request: its
    /// replies count also from another port (a NAT rewriting it).
    ntp: HashMap<(IpAddr, u16), IpAddr>,
    pub malformed: u64,
    pub sessions_evicted: u64,
}

impl UdpSide {
    #[allow(clippy::too_many_arguments)]
    pub fn datagram(
        &mut self,
        frame: u64,
        ts: Timestamp,
        p: &Packet<'_>,
        sport: u16,
        dport: u16,
        payload: &[u8],
        facts: &mut Facts,
    ) {
        let src = SocketAddr::new(p.src, sport);
        // A request's sender, remembered to find the answers to it.
        let sender = (p.src, sport);
        let dst = SocketAddr::new(p.dst, dport);
        let mut push = |body: Body| {
            facts.push(Fact {
                frame,
                ts,
                src,
                dst,
                l4: L4::Udp,
                src_mac: p.l2.src_mac,
                dst_mac: p.l2.dst_mac,
                vlan: p.l2.vlan,
                truncated: p.truncated,
                ip_id: p.ip_id,
                body,
            })
        };
        let port = |n: u16| sport == n || dport == n;
        // A DATA block cut by the snaplen keeps its length from the UDP
        // header: whether it was the short last block stays known.
        let udp_len = match p.transport {
            crate::packet::Transport::Udp { len, .. } => len,
            _ => payload.len(),
        };
        let tftp_parse = |payload: &[u8]| {
            tftp::parse(payload).map(|t| match t {
                tftp::TftpPacket::Data { block, .. } if p.truncated => tftp::TftpPacket::Data {
                    block,
                    len: udp_len.saturating_sub(4),
                },
                t => t,
            })
        };
        if port(67) || port(68) {
            match dhcp::parse(payload) {
                // Cut inside its options before the message type.
                Ok(mut m) if p.truncated && m.message_type.is_none() => {
                    m.anomalies.push("cut_by_snaplen");
                    push(Body::Dhcp(m))
                }
                Ok(m) => push(Body::Dhcp(m)),
                Err(e) if !p.truncated => {
                    self.malformed += 1;
                    log::debug!("dhcp: frame {frame} undecodable: {e}");
                    push(Body::Malformed {
                        of: "dhcp",
                        reason: e.to_string(),
                    });
                }
                // Cut before its options: its fixed fields still name the
                // client and the lease.
                Err(_) => {
                    if let Some(m) = dhcp::parse_cut(payload) {
                        push(Body::Dhcp(m));
                    }
                }
            }
        } else if port(53) {
            // Cut by the snaplen after its answers: those are still facts.
            let parsed = match p.truncated {
                true => dns::parse_cut(payload),
                false => dns::parse(payload),
            };
            match parsed {
                Ok(m) => push(Body::Dns(m)),
                Err(e) if !p.truncated => {
                    self.malformed += 1;
                    log::debug!("dns: frame {frame} undecodable: {e}");
                    push(Body::Malformed {
                        of: "dns",
                        reason: e.to_string(),
                    });
                }
                Err(_) => {}
            }
        } else if port(123) && matches!(payload.first(), Some(b) if b & 0x07 >= 6) {
            // NTP control and private messages (modes 6 and 7, ntpq and
            // ntpdc): no time exchange, nothing to judge.
        } else if port(123) {
            let n = match ntp::parse(payload) {
                Ok(n) => Some(n),
                // Cut by the snaplen: mode and stratum still tell.
                Err(_) if p.truncated => ntp::parse_cut(payload),
                Err(e) => {
                    self.malformed += 1;
                    log::debug!("ntp: frame {frame} undecodable: {e}");
                    push(Body::Malformed {
                        of: "ntp",
                        reason: e.to_string(),
                    });
                    None
                }
            };
            if let Some(n) = n {
                if n.mode == 3 && dport == 123 {
                    remember(&mut self.ntp, sender, p.dst, &mut self.sessions_evicted);
                }
                push(Body::Ntp(n));
            }
        } else if let Some(n) = (self.ntp.get(&(p.dst, dport)))
            .filter(|server| **server == p.src)
            .and_then(|_| ntp::parse(payload).ok())
            .filter(|n| n.mode == 4)
        {
            // A server reply to a client's request, from another port than
            // 123 (its source port rewritten on the way).
            push(Body::Ntp(n));
        } else if dport == 69 {
            if let Ok(t) = tftp_parse(payload) {
                remember(&mut self.tftp, sender, p.dst, &mut self.sessions_evicted);
                push(Body::Tftp(t));
            }
        } else if let Some(&asked) = self.tftp.get(&(p.dst, dport)) {
            // The server's side of a transfer: from the address asked, or
            // from another of a multi-homed server's (its DATA, OACK or
            // ERROR to the client's port; RFC 1350 section 4 only fixes the
            // port it answers from).
            let answer = |t: &tftp::TftpPacket| {
                p.src == asked
                    || matches!(
                        t,
                        tftp::TftpPacket::Data { .. }
                            | tftp::TftpPacket::Oack { .. }
                            | tftp::TftpPacket::Error { .. }
                    )
            };
            if let Some(t) = tftp_parse(payload).ok().filter(answer) {
                push(Body::Tftp(t));
            }
        } else if self.tftp.contains_key(&(p.src, sport)) {
            // The client's ACKs to the server's transfer port.
            if let Ok(t) = tftp_parse(payload) {
                push(Body::Tftp(t));
            }
        } else if let Some(t) = tftp_parse(payload).ok().filter(off_port_request) {
            // A read request to another port than 69 (a server given as
            // `tftp://host:6969/` in option 159/160, or `host:port` in 66):
            // its transfer is followed as one to 69.
            remember(&mut self.tftp, sender, p.dst, &mut self.sessions_evicted);
            push(Body::Tftp(t));
        } else if sip::looks_like_sip(payload) {
            for m in sip::parse_datagram(payload) {
                match m {
                    Ok(m) => push(Body::Sip(Box::new(m))),
                    Err(e) if !p.truncated => {
                        self.malformed += 1;
                        log::debug!("sip: frame {frame} undecodable: {e}");
                        push(Body::Malformed {
                            of: "sip",
                            reason: e.to_string(),
                        });
                    }
                    // Cut by the snaplen: what arrived whole still tells
                    // (start line, Call-ID, CSeq); the fact says it is cut.
                    Err(_) => {
                        if let Some(m) = sip::parse_cut(payload) {
                            push(Body::Sip(Box::new(m)));
                        }
                    }
                }
            }
        }
    }

    /// An ICMP unreachable quoting a UDP datagram (a DNS or TFTP server down),
    /// or a packet too big about any packet (a note for the stage it slowed).
    pub fn unreachable(
        &mut self,
        frame: u64,
        ts: Timestamp,
        p: &Packet<'_>,
        u: &Unreachable,
        facts: &mut Facts,
    ) {
        let icmp = IcmpUnreach {
            kind: u.kind,
            code: u.code,
            orig_proto: u.orig_proto,
            orig_src: SocketAddr::new(u.orig_src, u.orig_sport),
            orig_dst: SocketAddr::new(u.orig_dst, u.orig_dport),
            mtu: u.mtu,
        };
        facts.push(Fact {
            frame,
            ts,
            src: SocketAddr::new(p.src, 0),
            dst: SocketAddr::new(p.dst, 0),
            l4: L4::Icmp,
            src_mac: p.l2.src_mac,
            dst_mac: p.l2.dst_mac,
            vlan: p.l2.vlan,
            truncated: p.truncated,
            ip_id: p.ip_id,
            body: match u.frag_needed() && (u.v6 || u.orig_proto == 6) {
                true => Body::TooBig(icmp),
                false => Body::Icmp(icmp),
            },
        });
    }
}

/// A read request by its content alone, for ports other than 69: a file
/// name of printable ASCII and one of RFC 1350's transfer modes, so that
/// other traffic starting with bytes 0, 1 is not taken for one.
fn off_port_request(t: &tftp::TftpPacket) -> bool {
    match t {
        tftp::TftpPacket::Rrq { filename, mode, .. } => {
            !filename.is_empty()
                && filename.bytes().all(|b| b.is_ascii_graphic())
                && ["octet", "netascii", "mail"]
                    .iter()
                    .any(|m| mode.eq_ignore_ascii_case(m))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_request_off_port_69_is_told_by_its_mode() {
        let rrq = |raw: &[u8]| tftp::parse(raw).ok().is_some_and(|t| off_port_request(&t));
        assert!(rrq(b"\x00\x01CP-8851-3PCC.xml\0octet\0"));
        assert!(rrq(b"\x00\x01spa.cfg\0NETASCII\0blksize\x001428\0"));
        // Bytes 0, 1 that are no request: another mode, an empty or binary name.
        assert!(!rrq(b"\x00\x01abc\0fast\0"));
        assert!(!rrq(b"\x00\x01\0octet\0"));
        assert!(!rrq(b"\x00\x01a\x7fb\0octet\0"));
        assert!(!rrq(b"\x00\x03\x00\x01data"));
    }
}
