//! Test-only reader for the protocol decoders' tests: walks a pcap or pcapng
//! file (gzip too) with pcap-parser, slices each frame with etherparse, and
//! hands back UDP payloads and in-order TCP payloads per connection. It is
//! deliberately simple (no IP reassembly, no out-of-order TCP) and must not
//! stand in for `capture`, `packet` or `flow`; the captures it is used on
//! have their segments in order.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::{Block, PcapBlockOwned, PcapError};

/// Path of a file of the shared corpus.
pub fn corpus(name: &str) -> String {
    format!(
        "{}/../shared/corpus/files/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Path of a case's capture.
pub fn case(name: &str) -> String {
    format!(
        "{}/../shared/cases/{name}/capture.pcap",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// One captured frame: 1-based number, link type, captured bytes.
pub struct Frame {
    pub number: u64,
    pub linktype: i32,
    pub data: Vec<u8>,
}

/// Every frame of a capture, in file order.
pub fn frames(path: &str) -> Vec<Frame> {
    let mut raw = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut plain)
            .expect("gunzip");
        raw = plain;
    }
    let mut reader = pcap_parser::create_reader(1 << 20, &raw[..]).expect("capture header");
    let mut out = Vec::new();
    let mut legacy_linktype = 1;
    let mut if_linktypes: Vec<i32> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => legacy_linktype = h.network.0,
                    PcapBlockOwned::Legacy(b) => out.push(Frame {
                        number: out.len() as u64 + 1,
                        linktype: legacy_linktype,
                        data: b.data[..b.caplen as usize].to_vec(),
                    }),
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => if_linktypes.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        if_linktypes.push(idb.linktype.0)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => out.push(Frame {
                        number: out.len() as u64 + 1,
                        linktype: if_linktypes[epb.if_id as usize],
                        data: epb.data[..epb.caplen as usize].to_vec(),
                    }),
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => out.push(Frame {
                        number: out.len() as u64 + 1,
                        linktype: if_linktypes[0],
                        data: spb.data.to_vec(),
                    }),
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("{path}: {e:?}"),
        }
    }
    out
}

/// A UDP or TCP payload of one frame.
pub struct Segment {
    pub number: u64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// (sequence number, SYN) for TCP.
    pub tcp: Option<(u32, bool)>,
    pub payload: Vec<u8>,
}

/// The UDP and TCP segments of a capture (Ethernet, raw IP, Linux SLL and
/// SLL2).
pub fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for frame in frames(path) {
        let sliced = match frame.linktype {
            1 => match pppoe_ip(&frame.data) {
                Some(ip) => SlicedPacket::from_ip(ip),
                None => SlicedPacket::from_ethernet(&frame.data),
            },
            12 | 101 | 228 | 229 => SlicedPacket::from_ip(&frame.data),
            113 => SlicedPacket::from_linux_sll(&frame.data),
            // Linux SLL2: a 20-octet header, no etherparse support.
            276 => match frame.data.get(20..) {
                Some(ip) => SlicedPacket::from_ip(ip),
                None => continue,
            },
            _ => continue,
        };
        let Ok(sliced) = sliced else { continue };
        let (src, dst) = match &sliced.net {
            Some(NetSlice::Ipv4(v4)) => (
                IpAddr::V4(v4.header().source_addr()),
                IpAddr::V4(v4.header().destination_addr()),
            ),
            Some(NetSlice::Ipv6(v6)) => (
                IpAddr::V6(v6.header().source_addr()),
                IpAddr::V6(v6.header().destination_addr()),
            ),
            _ => continue,
        };
        let (sport, dport, tcp, payload) = match &sliced.transport {
            Some(TransportSlice::Udp(u)) => {
                (u.source_port(), u.destination_port(), None, u.payload())
            }
            Some(TransportSlice::Tcp(t)) => (
                t.source_port(),
                t.destination_port(),
                Some((t.sequence_number(), t.syn())),
                t.payload(),
            ),
            _ => continue,
        };
        out.push(Segment {
            number: frame.number,
            src,
            dst,
            sport,
            dport,
            tcp,
            payload: payload.to_vec(),
        });
    }
    out
}

/// The IP packet inside an Ethernet (VLAN-tagged or not) PPPoE session
/// frame, which etherparse does not decode.
fn pppoe_ip(data: &[u8]) -> Option<&[u8]> {
    let mut at = 12;
    loop {
        let ether_type = u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]);
        match ether_type {
            0x8100 | 0x88a8 | 0x9100 => at += 4,
            // PPPoE session header (6) then the PPP protocol (IPv4 or IPv6).
            0x8864 => {
                let proto = u16::from_be_bytes([*data.get(at + 8)?, *data.get(at + 9)?]);
                return [0x0021, 0x0057].contains(&proto).then(|| &data[at + 10..]);
            }
            _ => return None,
        }
    }
}

/// An address and port.
pub type Endpoint = (IpAddr, u16);

/// One TCP connection: its payload chunks in order, each with its frame and
/// whether the client (the first sender) sent it.
pub struct TcpConn {
    pub client: Endpoint,
    pub server: Endpoint,
    pub chunks: Vec<(u64, bool, Vec<u8>)>,
}

/// TCP connections in order of first appearance; retransmitted bytes are
/// dropped by sequence number, bytes after a hole are kept as they come.
pub fn tcp_conns(path: &str) -> Vec<TcpConn> {
    let mut conns: Vec<TcpConn> = Vec::new();
    let mut index: HashMap<(Endpoint, Endpoint), usize> = HashMap::new();
    // Next expected sequence number per (connection, from_client).
    let mut next_seq: HashMap<(usize, bool), u32> = HashMap::new();
    for seg in segments(path) {
        let Some((seq, syn)) = seg.tcp else { continue };
        let a = (seg.src, seg.sport);
        let b = (seg.dst, seg.dport);
        let found = index.get(&(a, b)).or_else(|| index.get(&(b, a))).copied();
        let id = match found {
            Some(id) => id,
            None => {
                // The first sender (the SYN's, in these captures) is the client.
                let (client, server) = (a, b);
                conns.push(TcpConn {
                    client,
                    server,
                    chunks: Vec::new(),
                });
                index.insert((client, server), conns.len() - 1);
                conns.len() - 1
            }
        };
        let from_client = conns[id].client == a;
        let start = if syn { seq.wrapping_add(1) } else { seq };
        let expected = *next_seq.entry((id, from_client)).or_insert(start);
        let payload = &seg.payload[..];
        if payload.is_empty() {
            continue;
        }
        let end = start.wrapping_add(payload.len() as u32);
        // Skip bytes already delivered (retransmission or overlap).
        let already = expected.wrapping_sub(start);
        let fresh = if (already as i32) > 0 {
            if already as usize >= payload.len() {
                continue;
            }
            &payload[already as usize..]
        } else {
            payload
        };
        next_seq.insert((id, from_client), end);
        conns[id]
            .chunks
            .push((seg.number, from_client, fresh.to_vec()));
    }
    conns
}
