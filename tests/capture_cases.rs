//! Shared cases 13 (if_tsresol / if_tsoffset) and 14 (two sections of
//! different byte order): what each `expected.json` says about frames,
//! interfaces, sections and timestamps.

use std::path::{Path, PathBuf};

use provscope::capture::{CaptureReader, Format};
use serde_json::Value;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/cases");

fn case(name: &str) -> (PathBuf, Value) {
    let dir = Path::new(CASES).join(name);
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    (
        dir.join("capture.pcapng"),
        serde_json::from_str(&text).unwrap(),
    )
}

/// (number, section, interface, linktype, ns, rfc3339) of every frame.
fn frames(r: &mut CaptureReader) -> Vec<(u64, u32, u32, u32, i64, String)> {
    let mut out = Vec::new();
    loop {
        let f = match r.next_frame() {
            Ok(Some(f)) => (f.number, f.interface, f.linktype, f.ts),
            Ok(None) => return out,
            Err(e) => panic!("{e}"),
        };
        out.push((f.0, r.section(), f.1, f.2, f.3.ns, f.3.rfc3339()));
    }
}

/// tshark's `frame.time_epoch` ("1714554000.5") to nanoseconds.
fn ns_of(epoch: &str) -> i64 {
    let (secs, frac) = epoch.split_once('.').unwrap_or((epoch, ""));
    let frac_ns: i64 = format!("{frac:0<9}")[..9].parse().unwrap();
    secs.parse::<i64>().unwrap() * 1_000_000_000 + frac_ns
}

#[test]
fn case_13_tsresol_power_of_two_and_tsoffset() {
    let (path, want) = case("13-pcapng-tsresol-tsoffset");
    let mut r = CaptureReader::open(&path).unwrap();
    assert_eq!(r.format(), Format::Pcapng);
    let got = frames(&mut r);
    let packets = want["expect"]["packets"].as_array().unwrap();
    assert_eq!(got.len(), packets.len());
    for (g, p) in got.iter().zip(packets) {
        assert_eq!(g.0, p["n"].as_u64().unwrap());
        assert_eq!(u64::from(g.2), p["interface"].as_u64().unwrap());
        assert_eq!(g.4, ns_of(p["epoch"].as_str().unwrap()), "frame {}", g.0);
        let ts = p["ts"].as_str().unwrap();
        assert_eq!(g.5[..20], ts[..20], "frame {}", g.0);
        assert_eq!(g.3, 1);
    }
    // Monotonic, and the response 0.75 s after the query.
    assert!(got.windows(2).all(|w| w[0].4 < w[1].4));
    assert_eq!(got[1].4 - got[0].4, 750_000_000);
    let ifaces = r.interfaces();
    assert_eq!(
        ifaces.len() as u64,
        want["capture"]["interfaces"].as_u64().unwrap()
    );
    assert_eq!(
        r.sections().len() as u64,
        want["capture"]["sections"].as_u64().unwrap()
    );
    // Printed precision: 2^-20 s -> 6 digits, 10^-9 -> 9, default 10^-6 -> 6.
    let digits: Vec<u8> = ifaces.iter().map(|i| i.digits).collect();
    assert_eq!(digits, [6, 9, 6]);
    assert_eq!(got[2].5, "2024-05-01T09:00:02.123456789Z");
    assert!(r.warnings().is_empty(), "{:?}", r.warnings());
}

#[test]
fn case_14_two_sections_two_byte_orders() {
    let (path, want) = case("14-pcapng-multi-shb-endian");
    let mut r = CaptureReader::open(&path).unwrap();
    let got = frames(&mut r);
    let expect = &want["expect"];
    let sections = expect["sections"].as_array().unwrap();
    assert_eq!(r.sections().len(), sections.len());
    for (s, w) in r.sections().iter().zip(sections) {
        assert_eq!(s.big_endian, w["byte_order"] == "big");
        assert_eq!(s.userappl.as_deref(), w["shb_userappl"].as_str());
        assert_eq!(s.hardware.as_deref(), w["shb_hardware"].as_str());
    }
    // Interface ids restart at 0 in every section.
    let names: Vec<(u32, u32, Option<&str>)> = r
        .interfaces()
        .iter()
        .map(|i| (i.section, i.id, i.name.as_deref()))
        .collect();
    assert_eq!(names, [(0, 0, Some("eth0")), (1, 0, Some("voice0"))]);
    let packets = expect["packets"].as_array().unwrap();
    assert_eq!(got.len(), packets.len());
    for (g, p) in got.iter().zip(packets) {
        assert_eq!(g.0, p["n"].as_u64().unwrap());
        assert_eq!(
            u64::from(g.1),
            p["section"].as_u64().unwrap(),
            "frame {}",
            g.0
        );
        let iface = r
            .interfaces()
            .iter()
            .find(|i| i.section == g.1 && i.id == g.2)
            .unwrap();
        assert_eq!(
            iface.name.as_deref(),
            p["interface"].as_str(),
            "frame {}",
            g.0
        );
        assert_eq!(g.3, 1);
    }
    assert!(got.windows(2).all(|w| w[0].4 < w[1].4));
}
