//! Hostile captures: random frames, a flood of half-open TCP flows, files
//! that are not captures, a capture cut at every byte, and absurd lengths
//! written into real captures' frames. Each must end in bounded time and
//! memory, without a panic, with the exit code and warnings the README
//! promises (0/1 with a partial report for a file cut short, 2 with one line
//! on stderr for a file that is no capture at all).
//!
//! The inputs are made here from a fixed seed (or from the captures in
//! `captures/`) and written to a temporary directory; nothing is committed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use provscope::analyze::Options;
use provscope::flow::FlowLimits;
use provscope::run::{run_path, RunOptions};
use provscope::verdict::{Stage, Status};

// Helpers --------------------------------------------------------------------

/// splitmix64: a small fixed-seed generator, enough for test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("provscope-hostile-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("temp file written");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A little-endian microsecond pcap of Ethernet frames.
fn pcap(frames: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, frame) in frames.into_iter().enumerate() {
        let i = i as u32;
        out.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        out.extend_from_slice(&((i % 1000) * 1000).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

/// Ethernet + IPv4 + TCP (20-byte headers, no options), no payload.
fn tcp_frame(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32, flags: u8) -> Vec<u8> {
    let mut f = vec![
        0x00, 0x00, 0x5e, 0x00, 0x53, 0xfe, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01,
    ];
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f
}

/// Ethernet + IPv4 + UDP carrying `payload`.
fn udp_frame(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![
        0x00, 0x00, 0x5e, 0x00, 0x53, 0xfe, 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01,
    ];
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (28 + payload.len()) as u16;
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 100, 192, 0, 2, 1]);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

/// The same datagram from 192.0.2.1 back to the phone (addresses swapped).
fn udp_reply(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = udp_frame(sport, dport, payload);
    f[..12].rotate_left(6);
    let (src, dst) = ([192, 0, 2, 1], [192, 0, 2, 100]);
    f[26..30].copy_from_slice(&src);
    f[30..34].copy_from_slice(&dst);
    f
}

/// Generous wall-clock bounds: timing asserts catch hangs and super-linear
/// work, not slowness. A machine busier than its cores stretches wall time
/// by its load per core (the 1-minute load average of /proc/loadavg).
fn bound(release_secs: u64) -> Duration {
    let factor = if cfg!(debug_assertions) { 10.0 } else { 1.0 };
    Duration::from_secs_f64(release_secs as f64 * factor * load_per_core().max(1.0))
}

/// The 1-minute load average per core (1 where it cannot be read).
fn load_per_core() -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| {
        s.split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
    });
    load.map_or(1.0, |l| l / cores)
}

/// Runs the CLI with its address space capped at 2 GiB (a huge allocation
/// fails there instead of swapping), returning its output and run time.
fn cli(args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2097152 2>/dev/null; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_provscope"))
        .args(args)
        .output()
        .expect("provscope runs");
    (out, start.elapsed())
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

// (a) random frames ----------------------------------------------------------

/// One frame of random bytes; most start with believable Ethernet, IPv4 or
/// UDP/TCP headers towards the ports provscope decodes, so the random part
/// reaches the decoders and the flow table.
fn random_frame(rng: &mut Rng) -> Vec<u8> {
    const PORTS: [u16; 9] = [67, 68, 53, 69, 80, 443, 5060, 8934, 123];
    let len = rng.below(300) as usize;
    let mut tail = rng.bytes(len);
    match rng.below(4) {
        0 => {
            tail.truncate(rng.below(80) as usize);
            tail
        }
        1 => {
            let mut f = rng.bytes(12);
            let ethertype = [[0x08, 0x00], [0x86, 0xdd], [0x81, 0x00], [0x88, 0x64]];
            f.extend_from_slice(&ethertype[rng.below(4) as usize]);
            f.append(&mut tail);
            f
        }
        2 => {
            let port = PORTS[rng.below(PORTS.len() as u64) as usize];
            udp_frame(rng.next() as u16, port, &tail)
        }
        _ => {
            let port = PORTS[rng.below(PORTS.len() as u64) as usize];
            let flags = rng.next() as u8;
            let seq = rng.below(4096) as u32;
            let mut f = tcp_frame([192, 0, 2, 100], [192, 0, 2, 1], 40000, port, seq, flags);
            tail.truncate(rng.below(200) as usize);
            let total = (40 + tail.len()) as u16;
            f[16..18].copy_from_slice(&total.to_be_bytes());
            f.append(&mut tail);
            f
        }
    }
}

#[test]
fn hundred_thousand_random_frames_in_bounded_time() {
    let mut rng = Rng(0x5eed_0001);
    let frames: Vec<Vec<u8>> = (0..100_000).map(|_| random_frame(&mut rng)).collect();
    let dir = TempDir::new("random");
    let path = dir.file("random.pcap", &pcap(frames));

    let start = Instant::now();
    let result = run_path(&path, &RunOptions::default()).expect("a readable pcap");
    let took = start.elapsed();
    assert_eq!(result.summary.frames, 100_000);
    assert!(result.summary.complete);
    assert!(took < bound(60), "100k random frames took {took:?}");
    // The renderers take what came out.
    let (out, took) = cli(&[path.to_str().unwrap_or_default(), "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert_eq!(json(&out)["captures"][0]["frames"], 100_000);
    assert!(took < bound(60), "CLI on 100k random frames took {took:?}");
}

// (b) half-open flows --------------------------------------------------------

#[test]
fn three_hundred_thousand_half_open_flows_keep_the_bounds() {
    // Five hosts, each opening 60k connections from distinct ports.
    let frames = (0..300_000u32).map(|i| {
        let src = [10, 0, 0, 1 + (i / 60_000) as u8];
        let sport = 1024 + (i % 60_000) as u16;
        tcp_frame(src, [192, 0, 2, 1], sport, 8934, i.wrapping_mul(7919), 0x02)
    });
    let dir = TempDir::new("synflood");
    let path = dir.file("syn.pcap", &pcap(frames));
    let opts = RunOptions {
        analyze: Options {
            flow_limits: FlowLimits {
                max_flows: 1000,
                max_buffer_per_direction: 4096,
            },
            ..Options::default()
        },
        ..RunOptions::default()
    };

    let start = Instant::now();
    let result = run_path(&path, &opts).expect("a readable pcap");
    let took = start.elapsed();
    let s = &result.summary;
    assert_eq!(s.frames, 300_000);
    assert!(s.stats.bounds_hit.flows > 0, "{:?}", s.stats);
    assert!(s.stats.bounds_hit.flows <= 300_000);
    assert!(
        s.warnings.iter().any(|w| w.contains("state bounds hit")),
        "{:?}",
        s.warnings
    );
    assert!(took < bound(60), "300k SYNs took {took:?}");
    // Default limits through the CLI, memory capped.
    let (out, took) = cli(&[path.to_str().unwrap_or_default(), "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert!(took < bound(120), "CLI on 300k SYNs took {took:?}");
}

#[test]
fn sixty_thousand_hosts_behind_one_mac_in_linear_time() {
    // Every host is a phone (it connects to the SBC port) and all come from
    // one router MAC: deciding that MAC is not a phone's must not cost a
    // count of its 60k addresses for each of them.
    let frames = (0..60_000u32).map(|i| {
        let src = [10, 1, (i >> 8) as u8, i as u8];
        tcp_frame(src, [192, 0, 2, 1], 40_000, 8934, i, 0x02)
    });
    let dir = TempDir::new("hosts");
    let path = dir.file("hosts.pcap", &pcap(frames));
    let start = Instant::now();
    let result = run_path(&path, &RunOptions::default()).expect("a readable pcap");
    let took = start.elapsed();
    assert_eq!(result.phones.len(), 60_000);
    assert!(result.phones.iter().all(|p| p.mac.is_none()));
    assert!(took < bound(5), "60k hosts took {took:?}");
}

/// A capture of `n` frames from one phone, all of one kind.
fn one_phone(n: u32, frame: impl Fn(u32) -> Vec<u8>) -> Vec<u8> {
    pcap((0..n).map(frame))
}

/// A DNS query for activate.cisco.com with id `id`.
fn dns_query(id: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    q.extend_from_slice(b"\x08activate\x05cisco\x03com\x00\x00\x01\x00\x01");
    q
}

#[test]
fn one_phone_retrying_forever_is_judged_in_linear_time() {
    // A phone stuck in a retry loop: 100k unanswered requests of each kind.
    // Matching each request to its answer by scanning every later frame
    // would take minutes here.
    const N: u32 = 100_000;
    let register = |i: u32| {
        format!(
            "REGISTER sip:example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK{i}\r\n\
             From: <sip:1000@example.com>;tag={i}\r\nTo: <sip:1000@example.com>\r\n\
             Call-ID: c{i}\r\nCSeq: {i} REGISTER\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let get = b"GET /SEP00005E005301.xml HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n";
    let mut ntp = vec![0u8; 48];
    ntp[0] = 0x23; // version 4, mode 3 (client)
                   // One Call-ID and CSeq, a new branch each time: each a transaction.
    let rebranched = |i: u32| {
        format!(
            "REGISTER sip:example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK{i}\r\n\
             From: <sip:1000@example.com>;tag=1\r\nTo: <sip:1000@example.com>\r\n\
             Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
        )
    };
    // A site behind NAT (or an extension scan): a new line in every one.
    let lines = |i: u32| {
        format!(
            "REGISTER sip:example.com SIP/2.0\r\n\
             Via: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK{i}\r\n\
             From: <sip:{i}@example.com>;tag=1\r\nTo: <sip:{i}@example.com>\r\n\
             Call-ID: c{i}\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
        )
    };
    // Each line's credentials challenged anew (a registrar behind NAT).
    let challenged = |i: u32| match i % 2 {
        0 => {
            let auth = format!(
                "Authorization: Digest username=\"{i}\", realm=\"x\", nonce=\"n{i}\", \
                 uri=\"sip:example.com\", response=\"00\"\r\n"
            );
            let register = lines(i).replacen("Content-Length", &(auth + "Content-Length"), 1);
            udp_frame(5060, 5060, register.as_bytes())
        }
        _ => {
            let answer = lines(i - 1)
                .replacen(
                    "REGISTER sip:example.com SIP/2.0",
                    "SIP/2.0 401 Unauthorized",
                    1,
                )
                .replacen(
                    "Content-Length",
                    "WWW-Authenticate: Digest realm=\"x\", nonce=\"m\"\r\nContent-Length",
                    1,
                );
            udp_reply(5060, 5060, answer.as_bytes())
        }
    };
    let floods: [(&str, Vec<u8>); 9] = [
        ("sip-lines-challenged", one_phone(N, challenged)),
        (
            "sip-lines",
            one_phone(N, |i| udp_frame(5060, 5060, lines(i).as_bytes())),
        ),
        (
            "sip-branches",
            one_phone(N, |i| udp_frame(5060, 5060, rebranched(i).as_bytes())),
        ),
        (
            "ntp",
            // (Every other frame asks for activate.cisco.com: a phone.)
            one_phone(N, |i| match i % 2 {
                0 => udp_frame(1024 + (i % 60_000) as u16, 123, &ntp),
                _ => udp_frame(1024 + (i % 60_000) as u16, 53, &dns_query(i as u16)),
            }),
        ),
        (
            "dns",
            one_phone(N, |i| {
                udp_frame(1024 + (i % 60_000) as u16, 53, &dns_query(i as u16))
            }),
        ),
        (
            "srv",
            one_phone(N, |i| {
                let mut q = (i as u16).to_be_bytes().to_vec();
                q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
                q.extend_from_slice(
                    b"\x05_sips\x04_tcp\x03sbc\x07example\x03com\x00\x00\x21\x00\x01",
                );
                udp_frame(1024 + (i % 60_000) as u16, 53, &q)
            }),
        ),
        (
            "tftp",
            one_phone(N, |i| {
                let rrq = format!("\0\x01SEP{i:012}.cnf.xml\0octet\0");
                udp_frame(1024 + (i % 60_000) as u16, 69, rrq.as_bytes())
            }),
        ),
        (
            "sip",
            one_phone(N, |i| udp_frame(5060, 5060, register(i).as_bytes())),
        ),
        (
            "http",
            one_phone(N, |i| {
                let mut f = tcp_frame(
                    [192, 0, 2, 100],
                    [192, 0, 2, 1],
                    1024 + (i % 60_000) as u16,
                    80,
                    1000,
                    0x18,
                );
                let total = (40 + get.len()) as u16;
                f[16..18].copy_from_slice(&total.to_be_bytes());
                f.extend_from_slice(get);
                f
            }),
        ),
    ];
    let dir = TempDir::new("retries");
    for (name, bytes) in floods {
        let path = dir.file(&format!("{name}.pcap"), &bytes);
        let start = Instant::now();
        let result = run_path(&path, &RunOptions::default()).expect("a readable pcap");
        let took = start.elapsed();
        assert_eq!(result.phones.len(), 1, "{name}");
        assert!(took < bound(5), "{name}: 100k retries took {took:?}");
        drop(result);
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn one_question_asked_over_and_over_is_matched_in_linear_time() {
    // A phone booting again and again asks the same question from the same
    // port with the same id (tester112: a boot loop): 100k answered copies.
    // Telling whether another copy came between a query and its answer by
    // scanning the copies before it made this quadratic (8 s of CPU).
    const N: u32 = 100_000;
    let query = dns_query(0x1234);
    let mut answer = query.clone();
    answer[2..4].copy_from_slice(&[0x81, 0x80]);
    // 200 ms apart: no copy is a capture duplicate of another.
    let mut bytes = pcap(std::iter::empty());
    for i in 0..2 * N {
        let frame = match i % 2 {
            0 => udp_frame(40_000, 53, &query),
            _ => udp_reply(53, 40_000, &answer),
        };
        bytes.extend_from_slice(&(1_700_000_000 + i / 5).to_le_bytes());
        bytes.extend_from_slice(&((i % 5) * 200_000).to_le_bytes());
        bytes.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&frame);
    }
    let dir = TempDir::new("asked");
    let path = dir.file("asked.pcap", &bytes);
    let start = Instant::now();
    let result = run_path(&path, &RunOptions::default()).expect("a readable pcap");
    let took = start.elapsed();
    assert_eq!(result.phones.len(), 1);
    assert!(took < bound(2), "100k copies of one query took {took:?}");
}

/// A DHCP message for MAC 00:00:5e:00:53:01 (BOOTREPLY when `op` is 2) with
/// the options given (message type first, end added).
fn dhcp(op: u8, xid: u32, yiaddr: [u8; 4], options: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 240];
    m[..3].copy_from_slice(&[op, 1, 6]);
    m[4..8].copy_from_slice(&xid.to_be_bytes());
    m[16..20].copy_from_slice(&yiaddr);
    m[28..34].copy_from_slice(&[0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]);
    m[236..240].copy_from_slice(&[99, 130, 83, 99]);
    m.extend_from_slice(options);
    m.push(255);
    let (sport, dport) = if op == 2 { (67, 68) } else { (68, 67) };
    udp_frame(sport, dport, &m)
}

#[test]
fn scope_handing_out_endless_leases_and_servers_in_linear_time() {
    // One phone, 60k ACKs each with a new address and a new option 66: the
    // phone keeps a bounded address list and the table stays readable.
    let discover = dhcp(1, 0, [0; 4], b"\x35\x01\x01\x0c\x0fSEP00005E005301");
    let acks = (0..60_000u32).map(|i| {
        let host = format!("tftp{i}.example.com");
        let mut opts = vec![53, 1, 5, 54, 4, 192, 0, 2, 1, 66, host.len() as u8];
        opts.extend_from_slice(host.as_bytes());
        dhcp(2, i, [10, (i >> 16) as u8, (i >> 8) as u8, i as u8], &opts)
    });
    let dir = TempDir::new("leases");
    let path = dir.file("leases.pcap", &pcap(std::iter::once(discover).chain(acks)));
    let (out, took) = cli(&[path.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(took < bound(5), "60k leases took {took:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().all(|l| l.chars().count() < 1000),
        "a line over 1000 characters"
    );
    assert!(text.contains("other values"), "{text}");
}

// (c) files that are not captures --------------------------------------------

#[test]
fn not_a_capture_exits_2_with_one_line_naming_the_file() {
    let dir = TempDir::new("notcap");
    let mut rng = Rng(0x5eed_0003);
    let mut random = rng.bytes(10_000);
    random[0] = 0x42; // no magic by chance
    let files = [
        dir.file("random.bin", &random),
        dir.file("empty.pcap", b""),
        dir.file("notes.txt", b"phone 1 rebooted at 10:02\nphone 2 fine\n"),
        dir.file("short.pcap", &pcap([])[..10]),
    ];
    for path in &files {
        let p = path.to_str().unwrap_or_default();
        for format in ["table", "json"] {
            let (out, _) = cli(&[p, "--format", format]);
            let lines = stderr_lines(&out);
            assert_eq!(out.status.code(), Some(2), "{p}: {out:?}");
            assert_eq!(lines.len(), 1, "{p}: {lines:?}");
            assert!(lines[0].contains(p), "{p}: {lines:?}");
        }
    }
}

// (d) cut at every byte ------------------------------------------------------

/// Byte offsets where each record of a pcap starts, and its length.
fn pcap_records(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        starts.push(at);
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap_or_default());
        at += 16 + incl as usize;
    }
    starts.push(at);
    starts
}

/// The number after "byte offset " in a warning.
fn offset_in(warning: &str) -> Option<u64> {
    let rest = warning.split("byte offset ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[test]
fn capture_cut_at_every_byte_gives_a_partial_report() {
    let bytes = std::fs::read(project("captures/opt150-tftp.pcap")).expect("capture");
    let boundaries = pcap_records(&bytes);
    let dir = TempDir::new("cut");
    let path = dir.file("cut.pcap", b"");
    let p = path.to_str().unwrap_or_default();
    for cut in 0..=bytes.len() {
        std::fs::write(&path, &bytes[..cut]).expect("written");
        let (out, took) = cli(&[p, "--format", "json"]);
        assert!(took < bound(10), "cut {cut}: {took:?}");
        if cut < 24 {
            assert_eq!(out.status.code(), Some(2), "cut {cut}: {out:?}");
            assert_eq!(stderr_lines(&out).len(), 1, "cut {cut}: {out:?}");
            continue;
        }
        let doc = json(&out);
        let capture = &doc["captures"][0];
        // Cut short, before its first frame too: a partial report, not 2.
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "cut {cut}: {out:?}"
        );
        if capture["frames"] == 0 {
            assert_eq!(
                capture["warnings"][0], "the capture holds no frames",
                "cut {cut}"
            );
        }
        let on_boundary = boundaries.contains(&cut);
        assert_eq!(capture["complete"], on_boundary, "cut {cut}");
        if !on_boundary {
            let warnings = capture["warnings"].as_array().cloned().unwrap_or_default();
            let offsets: Vec<u64> = warnings
                .iter()
                .filter_map(|w| offset_in(w.as_str()?))
                .collect();
            let last_record = boundaries.iter().rev().find(|&&b| b <= cut).copied();
            assert!(
                offsets
                    .iter()
                    .any(|&o| Some(o as usize) == last_record || o as usize == cut),
                "cut {cut}: {warnings:?}"
            );
        }
    }
}

#[test]
fn pcapng_and_gzip_cut_anywhere_never_panic() {
    let sources = [
        project("captures/three-phones.pcapng"),
        project("../shared/corpus/files/zeek__tls-fragmented-handshake.pcap.gz"),
        project("../shared/cases/13-pcapng-tsresol-tsoffset/capture.pcapng"),
        project("../shared/cases/14-pcapng-multi-shb-endian/capture.pcapng"),
    ];
    for source in sources.iter().filter(|p| p.exists()) {
        let bytes = std::fs::read(source).expect("capture");
        let full = run_path(source, &RunOptions::default()).expect("whole file reads");
        let step = (bytes.len() / 1500).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let cursor = std::io::Cursor::new(bytes[..cut].to_vec());
            let Ok(reader) = provscope::capture::CaptureReader::from_reader(Box::new(cursor))
            else {
                continue;
            };
            let r = provscope::run::run_reader(reader, "cut", &RunOptions::default());
            assert!(
                r.summary.frames <= full.summary.frames,
                "{source:?} cut {cut}"
            );
            if !r.summary.complete {
                assert!(
                    r.summary.warnings.iter().any(|w| w.contains("byte offset")),
                    "{source:?} cut {cut}: {:?}",
                    r.summary.warnings
                );
            }
        }
    }
}

// (e) absurd lengths inside real frames ---------------------------------------

/// Where a frame's transport payload sits in a little-endian Ethernet pcap.
struct Payload {
    at: usize,
    len: usize,
    udp: bool,
    sport: u16,
    dport: u16,
}

fn payloads(bytes: &[u8]) -> Vec<Payload> {
    let mut out = Vec::new();
    let starts = pcap_records(bytes);
    for &rec in &starts[..starts.len().saturating_sub(1)] {
        let Some(frame) = bytes.get(rec + 16..) else {
            continue;
        };
        let incl = u32::from_le_bytes(bytes[rec + 8..rec + 12].try_into().unwrap_or_default());
        let frame = &frame[..(incl as usize).min(frame.len())];
        let mut l3 = 14;
        while frame.get(l3 - 2..l3) == Some(&[0x81, 0x00]) {
            l3 += 4;
        }
        if frame.get(l3 - 2..l3) != Some(&[0x08, 0x00]) || frame.len() < l3 + 20 {
            continue;
        }
        let ihl = usize::from(frame[l3] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([frame[l3 + 2], frame[l3 + 3]]));
        let l4 = l3 + ihl;
        let Some(ports) = frame.get(l4..l4 + 4) else {
            continue;
        };
        let sport = u16::from_be_bytes([ports[0], ports[1]]);
        let dport = u16::from_be_bytes([ports[2], ports[3]]);
        let (udp, data) = match frame[l3 + 9] {
            17 => (true, l4 + 8),
            6 => match frame.get(l4 + 12) {
                Some(off) => (false, l4 + usize::from(off >> 4) * 4),
                None => continue,
            },
            _ => continue,
        };
        let end = (l3 + total).min(frame.len());
        if data < end {
            let at = rec + 16 + data;
            out.push(Payload {
                at,
                len: end - data,
                udp,
                sport,
                dport,
            });
        }
    }
    out
}

/// Analyses `bytes` with the library and the memory-capped CLI; both must
/// finish quickly, the CLI with 0 or 1.
fn survives(dir: &TempDir, name: &str, bytes: &[u8]) {
    let path = dir.file(name, bytes);
    let start = Instant::now();
    let r = run_path(&path, &RunOptions::default());
    assert!(start.elapsed() < bound(10), "{name}: {:?}", start.elapsed());
    assert!(r.is_ok(), "{name}: {:?}", r.err());
    let (out, took) = cli(&[path.to_str().unwrap_or_default(), "--format", "json"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {out:?}");
    assert!(took < bound(10), "{name}: CLI took {took:?}");
}

#[test]
fn pcapng_block_length_0xfffffff0() {
    let dir = TempDir::new("pcapng-len");
    let mut bytes = std::fs::read(project("captures/three-phones.pcapng")).expect("capture");
    // Walk the blocks; give the third one (a packet block past SHB and IDB)
    // and, in a second file, the SHB itself an absurd length.
    let mut at = 0;
    let mut starts = Vec::new();
    while at + 12 <= bytes.len() && starts.len() < 3 {
        starts.push(at);
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap_or_default());
        at += len.max(12) as usize;
    }
    let absurd = 0xffff_fff0u32.to_le_bytes();
    let mut shb = bytes.clone();
    shb[4..8].copy_from_slice(&absurd);
    let block = starts[2];
    bytes[block + 4..block + 8].copy_from_slice(&absurd);
    // Invalid before the first packet: nothing analysed, one line, exit 2.
    let path = dir.file("block.pcapng", &bytes);
    assert!(run_path(&path, &RunOptions::default()).is_ok());
    let (out, took) = cli(&[path.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let lines = stderr_lines(&out);
    assert!(
        lines.len() == 1 && lines[0].contains("byte offset") && lines[0].contains("block.pcapng"),
        "{lines:?}"
    );
    assert!(took < bound(10));
    let path = dir.file("shb.pcapng", &shb);
    let (out, took) = cli(&[path.to_str().unwrap_or_default()]);
    assert!(matches!(out.status.code(), Some(0..=2)), "{out:?}");
    assert!(took < bound(10));
}

#[test]
fn dns_pointer_loop_in_a_real_response() {
    let dir = TempDir::new("dns-loop");
    let bytes = std::fs::read(project("captures/dns-nxdomain.pcap")).expect("capture");
    let mut patched = bytes.clone();
    let mut n = 0;
    for p in payloads(&bytes)
        .iter()
        .filter(|p| p.udp && (p.sport == 53 || p.dport == 53))
    {
        if p.len > 14 {
            // The question name is a pointer to itself.
            patched[p.at + 12..p.at + 14].copy_from_slice(&[0xc0, 12]);
            n += 1;
        }
    }
    assert!(n > 0, "no DNS payload found");
    survives(&dir, "loop.pcap", &patched);
}

#[test]
fn tls_lengths_of_2_pow_24_in_a_real_handshake() {
    let dir = TempDir::new("tls-len");
    let bytes = std::fs::read(project("captures/tls12-unknown-ca.pcap")).expect("capture");
    let mut record = bytes.clone();
    let mut handshake = bytes.clone();
    let mut n = 0;
    for p in payloads(&bytes).iter().filter(|p| !p.udp && p.len > 9) {
        if bytes[p.at] == 0x16 && bytes[p.at + 1] == 0x03 {
            // Record length at its maximum, handshake length 2^24 - 1.
            record[p.at + 3..p.at + 5].copy_from_slice(&[0xff, 0xff]);
            handshake[p.at + 6..p.at + 9].copy_from_slice(&[0xff, 0xff, 0xff]);
            n += 1;
        }
    }
    assert!(n > 0, "no TLS handshake record found");
    survives(&dir, "record.pcap", &record);
    survives(&dir, "handshake.pcap", &handshake);
}

/// Rewrites, in place and at the same length, the Content-Length line of
/// each SIP message and the line before it into a filler header and
/// `Content-Length: 1000000000000`.
fn huge_content_length(bytes: &[u8], payloads: &[Payload]) -> (Vec<u8>, usize) {
    let mut out = bytes.to_vec();
    let mut n = 0;
    let huge = b"Content-Length: 1000000000000\r\n";
    for p in payloads {
        let data = &bytes[p.at..p.at + p.len];
        let Some(cl) = find(data, b"\r\nContent-Length:") else {
            continue;
        };
        let cl = cl + 2;
        let Some(cl_end) = find(&data[cl..], b"\r\n").map(|e| cl + e + 2) else {
            continue;
        };
        let Some(prev) = data[..cl - 2]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
        else {
            continue;
        };
        let span = cl_end - prev;
        let Some(fill) = span.checked_sub(huge.len() + b"X-Pad: \r\n".len()) else {
            continue;
        };
        let mut line = b"X-Pad: ".to_vec();
        line.extend(std::iter::repeat_n(b'a', fill));
        line.extend_from_slice(b"\r\n");
        line.extend_from_slice(huge);
        out[p.at + prev..p.at + cl_end].copy_from_slice(&line);
        n += 1;
    }
    (out, n)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn sip_content_length_10_pow_12_in_real_messages() {
    let dir = TempDir::new("sip-len");
    for name in ["sip-401-loop-tcp.pcap", "sip-403-udp.pcap"] {
        let bytes = std::fs::read(project(&format!("captures/{name}"))).expect("capture");
        let (patched, n) = huge_content_length(&bytes, &payloads(&bytes));
        assert!(n > 0, "{name}: no SIP Content-Length found");
        survives(&dir, name, &patched);
    }
}

/// A frame whose IPv4 header is malformed is skipped, counted, and said in
/// the table, not only in the JSON stats.
#[test]
fn undecodable_frames_are_said_in_the_table() {
    let mut bytes = std::fs::read(project("captures/healthy.pcap")).expect("capture");
    let starts = pcap_records(&bytes);
    // Frame 9 (a DNS query): IHL 2, shorter than an IPv4 header can be.
    bytes[starts[8] + 16 + 14] = 0x42;
    let dir = TempDir::new("undecodable");
    let path = dir.file("one-bad.pcap", &bytes);
    let (out, _) = cli(&[path.to_str().unwrap_or_default()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: 1 frame or message could not be decoded"),
        "{text}"
    );
    let (out, _) = cli(&[path.to_str().unwrap_or_default(), "-f", "json"]);
    assert_eq!(json(&out)["captures"][0]["stats"]["undecodable"], 1);
}

/// The capture cut to `snaplen` bytes per frame, as `editcap -s` does:
/// each record keeps its original length and loses its tail.
fn with_snaplen(bytes: &[u8], snaplen: usize) -> Vec<u8> {
    let mut out = bytes[..24].to_vec();
    out[16..20].copy_from_slice(&(snaplen as u32).to_le_bytes());
    let starts = pcap_records(bytes);
    for w in starts.windows(2) {
        let (at, end) = (w[0], w[1]);
        let data = &bytes[at + 16..end];
        let kept = data.len().min(snaplen);
        out.extend_from_slice(&bytes[at..at + 8]);
        out.extend_from_slice(&(kept as u32).to_le_bytes());
        out.extend_from_slice(&bytes[at + 12..at + 16]);
        out.extend_from_slice(&data[..kept]);
    }
    out
}

/// DOMAIN.md: packets cut by the snaplen cannot fail a stage. A healthy boot
/// cut at any snaplen never fails or warns, and cleartext SIP cut before its
/// Call-ID is said to be cut (not "inside TLS").
#[test]
fn a_healthy_boot_cut_by_any_snaplen_never_fails() {
    // SIP over TCP too: a 423 whose retry is cut away must not fail.
    for (name, step) in [("healthy.pcap", 6), ("sip-compact-423-407-tcp.pcap", 1)] {
        cut_never_fails(name, step);
    }
}

fn cut_never_fails(name: &str, step: usize) {
    let bytes = std::fs::read(project(&format!("captures/{name}"))).expect("capture");
    let dir = TempDir::new("snaplen");
    for snaplen in (54..=420).step_by(step) {
        let path = dir.file("cut.pcap", &with_snaplen(&bytes, snaplen));
        let r = run_path(&path, &RunOptions::default()).expect("read");
        for p in &r.phones {
            for s in &p.stages {
                let bad = matches!(s.status, Status::Fail | Status::Warn);
                assert!(
                    !bad,
                    "snaplen {snaplen}: {} {:?}: {}",
                    s.stage.id(),
                    s.status,
                    s.summary
                );
            }
            if snaplen == 250 && name == "healthy.pcap" {
                let sip = p.stage(Stage::SipRegister).expect("stage");
                assert!(
                    sip.summary.contains("cut by the snaplen"),
                    "{}",
                    sip.summary
                );
            }
        }
    }
}
