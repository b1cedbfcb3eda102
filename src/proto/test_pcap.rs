//! Test-only access to the shared corpus captures for the decoder tests.
//!
//! Walks legacy pcap records (little-endian: 24-byte file header, 16-byte
//! record headers) and, minimally, little-endian pcapng Enhanced Packet
//! Blocks; then takes IPv4 UDP or TCP payloads at fixed offsets behind
//! Ethernet (802.1Q tags skipped) or Linux SLL2. The real readers live in
//! `capture/` and `packet`; this stays small on purpose and may panic on a
//! file it does not expect, which fails the test that read it.

use std::path::PathBuf;

const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// A file of the shared corpus, e.g. `corpus("zeek__dhcp.pcap")`.
pub(crate) fn corpus(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/files"
    ))
    .join(name)
}

/// A file of a shared case, e.g. `case("25-dhcp-overload", "capture.pcap")`.
pub(crate) fn case(id: &str, name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/cases"))
        .join(id)
        .join(name)
}

/// Every frame of a capture as (linktype, bytes), frame 1 first.
pub(crate) fn frames(path: &PathBuf) -> Vec<(u32, Vec<u8>)> {
    let file = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match file.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1]) => pcap_frames(&file),
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng_frames(&file),
        _ => panic!("{}: not a little-endian pcap or pcapng", path.display()),
    }
}

fn le32(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

fn be16(data: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes(data[at..at + 2].try_into().unwrap()))
}

fn pcap_frames(file: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let linktype = le32(file, 20);
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= file.len() {
        let caplen = le32(file, at + 8) as usize;
        out.push((linktype, file[at + 16..at + 16 + caplen].to_vec()));
        at += 16 + caplen;
    }
    out
}

fn pcapng_frames(file: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut linktypes = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    while at + 12 <= file.len() {
        let block_type = le32(file, at);
        let block_len = le32(file, at + 4) as usize;
        let body = &file[at + 8..at + block_len - 4];
        match block_type {
            1 => linktypes.push(u32::from(u16::from_le_bytes([body[0], body[1]]))),
            6 => {
                let interface = le32(body, 0) as usize;
                let caplen = le32(body, 12) as usize;
                out.push((linktypes[interface], body[20..20 + caplen].to_vec()));
            }
            _ => {}
        }
        at += block_len;
    }
    out
}

/// The IPv4 packet inside a frame (Ethernet padding cut off), if any.
fn ipv4(linktype: u32, frame: &[u8]) -> Option<&[u8]> {
    let (mut ethertype, mut at) = match linktype {
        LINKTYPE_ETHERNET => (be16(frame, 12), 14),
        LINKTYPE_LINUX_SLL2 => (be16(frame, 0), 20),
        _ => return None,
    };
    while ethertype == 0x8100 || ethertype == 0x88a8 {
        ethertype = be16(frame, at + 2);
        at += 4;
    }
    if ethertype != 0x0800 {
        return None;
    }
    let ip = &frame[at..];
    let total = be16(ip, 2);
    Some(&ip[..total.min(ip.len())])
}

/// Per frame, the UDP payload (`None` for frames that are not IPv4 UDP).
pub(crate) fn udp_payloads(path: &PathBuf) -> Vec<Option<Vec<u8>>> {
    let payload = |(linktype, frame): &(u32, Vec<u8>)| {
        let ip = ipv4(*linktype, frame)?;
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        (ip[9] == 17).then(|| {
            let udp = &ip[ihl..];
            let len = be16(udp, 4).min(udp.len());
            udp[8..len].to_vec()
        })
    };
    frames(path).iter().map(payload).collect()
}

/// Per frame, the TCP payload (`None` for frames that are not IPv4 TCP).
pub(crate) fn tcp_payloads(path: &PathBuf) -> Vec<Option<Vec<u8>>> {
    let payload = |(linktype, frame): &(u32, Vec<u8>)| {
        let ip = ipv4(*linktype, frame)?;
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        (ip[9] == 6).then(|| {
            let tcp = &ip[ihl..];
            let offset = usize::from(tcp[12] >> 4) * 4;
            tcp[offset..].to_vec()
        })
    };
    frames(path).iter().map(payload).collect()
}
