//! Replays every input under `fuzz/regressions/<target>/` (crashes and slow
//! inputs the fuzzers found, kept after the fix) through the same entry
//! point as its fuzz target, plus a few hostile inputs made by hand.

use std::time::Instant;

use provscope::fuzzing::TARGETS;

#[test]
fn fuzz_regressions_replay_without_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for (name, entry) in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for file in dir.filter_map(|e| e.ok()) {
            let data = std::fs::read(file.path()).expect("readable regression input");
            let start = Instant::now();
            entry(&data);
            let secs = start.elapsed().as_secs_f64();
            assert!(
                secs < 10.0,
                "{name}/{:?} took {secs:.1} s",
                file.file_name()
            );
            replayed += 1;
        }
    }
    eprintln!("replayed {replayed} regression inputs");
}

#[test]
fn hostile_inputs_for_every_target() {
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![0; 1],
        vec![0xff; 4096],
        // pcapng SHB claiming a 4 GiB block.
        [
            &[0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0xff, 0xff, 0xff][..],
            &[0x4d, 0x3c, 0x2b, 0x1a],
        ]
        .concat(),
        // A TLS record header announcing 2^24-ish bytes.
        vec![0x16, 0x03, 0x03, 0xff, 0xff, 0x01, 0x00, 0x00, 0x01],
        // A DNS message whose question name points at itself.
        vec![
            0x23, 0x01, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1,
        ],
    ];
    inputs.push(b"REGISTER sip:x SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n".to_vec());
    for data in &inputs {
        for (_, entry) in TARGETS {
            entry(data);
        }
    }
}
