//! A capture taken elsewhere than on the phones' switch (at the far end of a
//! tunnel: a remote SPAN sent as ERSPAN inside GRE, or VXLAN; on a host whose
//! TCP segmentation offload leaves IPv4 total lengths at 0) gives the same
//! phones and verdicts as the frames captured directly: the real-peer capture
//! `captures/healthy.pcap` is re-wrapped or edited frame by frame.

mod common;

use common::*;
use provscope::capture::CaptureReader;
use provscope::run::{run_path, RunOptions};

fn frames() -> Vec<(i64, Vec<u8>)> {
    let mut r = CaptureReader::open(&project("captures/healthy.pcap")).expect("readable");
    let mut out = Vec::new();
    while let Ok(Some(f)) = r.next_frame() {
        assert_eq!(f.linktype, 1, "an Ethernet capture");
        out.push((f.ts.ns, f.data.to_vec()));
    }
    out
}

/// Outer Ethernet + IPv4 (10.9.9.1 -> 10.9.9.2) around `payload`.
fn outer(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00];
    let total = (20 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0]);
    f[16..18].copy_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[10, 9, 9, 1, 10, 9, 9, 2]);
    f.extend_from_slice(payload);
    f
}

fn vxlan(inner: &[u8]) -> Vec<u8> {
    let len = (8 + 8 + inner.len()) as u16;
    let mut u = vec![0xc0, 0x00, 0x12, 0xb5];
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0, 0x08, 0, 0, 0, 0, 0, 0x64, 0]);
    u.extend_from_slice(inner);
    outer(17, &u)
}

fn erspan2(seq: u32, inner: &[u8]) -> Vec<u8> {
    let mut g = vec![0x10, 0x00, 0x88, 0xbe];
    g.extend_from_slice(&seq.to_be_bytes());
    g.extend_from_slice(&[0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]);
    g.extend_from_slice(inner);
    outer(47, &g)
}

fn write_pcap(path: &std::path::Path, frames: &[(i64, Vec<u8>)]) {
    let mut out = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    out.extend([2, 0, 4, 0]);
    for v in [0u32, 0, 262_144, 1] {
        out.extend(v.to_le_bytes());
    }
    for (ns, data) in frames {
        let us = ns / 1000;
        let len = data.len() as u32;
        for v in [(us / 1_000_000) as u32, (us % 1_000_000) as u32, len, len] {
            out.extend(v.to_le_bytes());
        }
        out.extend(data);
    }
    std::fs::write(path, out).unwrap();
}

/// Phones as (id, verdict, every stage's status and summary).
fn verdicts(path: &std::path::Path) -> Vec<String> {
    let r = run_path(path, &RunOptions::default()).expect("analysed");
    r.phones
        .iter()
        .map(|p| {
            let stages: Vec<String> = p
                .stages
                .iter()
                .map(|s| format!("{:?} {}", s.status, s.summary))
                .collect();
            format!("{} {:?} {}", p.id, p.verdict, stages.join(" | "))
        })
        .collect()
}

#[test]
fn erspan_and_vxlan_captures_give_the_direct_verdicts() {
    let direct = frames();
    assert!(direct.len() > 50);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pcap");
    write_pcap(&plain, &direct);
    let want = verdicts(&plain);
    assert_eq!(want.len(), 1, "{want:?}");
    assert!(want[0].starts_with("00:00:5e:00:53:01 Pass"), "{want:?}");

    let wrapped: Vec<(i64, Vec<u8>)> = direct.iter().map(|(ts, f)| (*ts, vxlan(f))).collect();
    let path = dir.path().join("vxlan.pcap");
    write_pcap(&path, &wrapped);
    assert_eq!(verdicts(&path), want, "VXLAN");

    let wrapped: Vec<(i64, Vec<u8>)> = (0u32..)
        .zip(&direct)
        .map(|(i, (ts, f))| (*ts, erspan2(i, f)))
        .collect();
    let path = dir.path().join("erspan.pcap");
    write_pcap(&path, &wrapped);
    assert_eq!(verdicts(&path), want, "ERSPAN II");
}

#[test]
fn frames_inside_too_many_tunnels_are_counted_not_dropped_unseen() {
    let direct = frames();
    let dir = tempfile::tempdir().unwrap();
    // Two VXLAN tunnels are read; a third is counted and said, not as
    // undecodable (nothing in it is broken).
    for (depth, phones) in [(2, 1), (3, 0)] {
        let wrapped: Vec<(i64, Vec<u8>)> = direct
            .iter()
            .map(|(ts, f)| (*ts, (0..depth).fold(f.clone(), |inner, _| vxlan(&inner))))
            .collect();
        let path = dir.path().join(format!("vxlan{depth}.pcap"));
        write_pcap(&path, &wrapped);
        let r = run_path(&path, &RunOptions::default()).expect("analysed");
        assert_eq!(r.phones.len(), phones, "depth {depth}");
        assert_eq!(r.summary.stats.undecodable, 0);
        let deep = r.summary.stats.decode.nested_too_deep;
        match depth {
            2 => assert_eq!(deep, 0),
            _ => {
                assert_eq!(deep, direct.len() as u64, "every frame counted");
                let said = format!("{} frames were inside more than 2 tunnels", direct.len());
                assert!(
                    r.summary.warnings.iter().any(|w| w.starts_with(&said)),
                    "and said: {:?}",
                    r.summary.warnings
                );
            }
        }
    }
}

/// tester124: a mirror sent as Geneve (Open vSwitch, UDP 6081) or as VXLAN
/// to Linux's old port 8472 showed 0 phones, no warning, and a hint that
/// --debug would say what was skipped while it said nothing. Such frames
/// are counted and named (not decoded).
#[test]
fn known_tunnels_that_are_not_decoded_are_named() {
    for (file, words) in [
        ("captures/edge-geneve-not-decoded.pcap", "Geneve (UDP 6081)"),
        (
            "captures/edge-vxlan8472-not-decoded.pcap",
            "VXLAN to UDP 8472",
        ),
    ] {
        let r = run_path(&project(file), &RunOptions::default()).expect("analysed");
        assert!(r.phones.is_empty(), "{file}");
        let said =
            r.summary.warnings.iter().any(|w| {
                w.contains(&format!("frames in {words}")) && w.contains("does not decode")
            });
        assert!(said, "{file}: {:?}", r.summary.warnings);
        assert_eq!(r.summary.stats.undecodable, 0, "{file}");
    }
    // The same frames inside VXLAN on 4789 are read: only the port differs.
    let direct = frames();
    let dir = tempfile::tempdir().unwrap();
    let on_8472: Vec<(i64, Vec<u8>)> = direct
        .iter()
        .map(|(ts, f)| {
            let mut v = vxlan(f);
            v[36..38].copy_from_slice(&8472u16.to_be_bytes());
            (*ts, v)
        })
        .collect();
    let path = dir.path().join("vxlan8472.pcap");
    write_pcap(&path, &on_8472);
    let r = run_path(&path, &RunOptions::default()).expect("analysed");
    assert!(r.phones.is_empty());
    let counted = r.summary.stats.decode.unsupported_tunnel;
    assert_eq!(counted, [0, direct.len() as u64, 0]);
}

#[test]
fn ipv4_total_lengths_left_at_zero_are_read_from_the_bytes_and_said() {
    let direct = frames();
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pcap");
    write_pcap(&plain, &direct);
    let mut zeroed = 0;
    let edited: Vec<(i64, Vec<u8>)> = direct
        .iter()
        .map(|(ts, f)| {
            let mut f = f.clone();
            if f[12..14] == [0x08, 0x00] {
                f[16..18].copy_from_slice(&[0, 0]);
                zeroed += 1;
            }
            (*ts, f)
        })
        .collect();
    assert!(zeroed > 50);
    let path = dir.path().join("offload.pcap");
    write_pcap(&path, &edited);
    assert_eq!(verdicts(&path), verdicts(&plain));
    let r = run_path(&path, &RunOptions::default()).expect("analysed");
    let said = format!("{zeroed} IPv4 packets declare a total length shorter than the IP header");
    assert!(
        r.summary.warnings.iter().any(|w| w.starts_with(&said)),
        "{:?}",
        r.summary.warnings
    );
}
