//! The public corpus (`../shared/corpus`): every capture analyses without a
//! panic, frame counts and first/last times agree with capinfos, and the
//! decoded DHCP options, DNS answers, TLS SNI / alerts and SIP messages agree
//! with tshark's field tables in `truth/`. Where tshark and provscope
//! legitimately differ, the exception is listed with its reason.

mod common;

use std::collections::BTreeMap;

use common::*;
use provscope::capture::CaptureError;
use provscope::fact::{Body, Fact};
use provscope::proto::dns::RData;
use provscope::proto::sip::StartLine;
use provscope::proto::tls::TlsEvent;

/// Files that are not pcap/pcapng: the error must name their format.
const NOT_CAPTURES: &[(&str, &str)] = &[("sipnab__c07-sip-r2.cap", "Network Monitor")];

fn files() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(shared("corpus/files"))
        .expect("corpus present beside the checkout")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

fn truth(file: &str) -> String {
    std::fs::read_to_string(shared(&format!("corpus/truth/{file}.txt"))).unwrap_or_default()
}

/// The rows of one "## X fields" table: field name -> value, per row.
fn table(truth: &str, proto: &str) -> Vec<BTreeMap<String, String>> {
    let head = format!("## {proto} fields");
    let mut lines = truth.lines().skip_while(|l| !l.starts_with(&head));
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<String> = header
        .rsplit(": ")
        .next()
        .unwrap_or("")
        .split('|')
        .map(str::to_string)
        .collect();
    lines
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            names
                .iter()
                .cloned()
                .zip(l.split('|').map(str::to_string))
                .collect()
        })
        .collect()
}

fn capinfos(truth: &str, key: &str) -> Option<String> {
    truth
        .lines()
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
}

#[test]
fn every_corpus_file_reads_with_capinfos_counts_and_times() {
    for file in files() {
        let path = shared(&format!("corpus/files/{file}"));
        if let Some((_, what)) = NOT_CAPTURES.iter().find(|(f, _)| *f == file) {
            let err = provscope::run::run_path(&path, &Default::default()).err();
            match err {
                Some(CaptureError::UnsupportedFormat { what: w, .. }) => {
                    assert!(w.contains(what), "{file}: {w}")
                }
                other => panic!("{file}: expected an unsupported-format error, got {other:?}"),
            }
            continue;
        }
        let t = truth(&file);
        let r = run_file_order(path);
        let n: u64 = capinfos(&t, "Number of packets:")
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert_eq!(r.summary.frames, n, "{file}: frames");
        assert!(r.summary.complete, "{file}: read to the end");
        if file == "ppp__pcapng-example.pcapng" {
            // capinfos puts interface 1's raw ticks (near 2^64 us) in the year
            // 586524; our timestamps stop at 2262 and the reader warns instead.
            assert!(
                r.summary
                    .warnings
                    .iter()
                    .any(|w| w.contains("2262") || w.contains("range")),
                "{file}: {:?}",
                r.summary.warnings
            );
            continue;
        }
        // capinfos prints local-free UTC "YYYY-MM-DD hh:mm:ss.frac" at the file's precision.
        let first = capinfos(&t, "First packet time:").unwrap();
        let ours = r
            .summary
            .first_ts
            .unwrap()
            .rfc3339()
            .replace('T', " ")
            .replace('Z', "");
        assert_eq!(ours, first, "{file}: first packet time");
    }
}

fn frames_of(r: &provscope::run::CaptureResult, frame: u64) -> Vec<&Fact> {
    r.facts.iter().filter(|f| f.frame == frame).collect()
}

fn num(v: &str) -> u64 {
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or(u64::MAX),
        None => v.parse().unwrap_or(u64::MAX),
    }
}

#[test]
fn dhcp_agrees_with_tshark() {
    let mut checked = 0;
    for file in files()
        .iter()
        .filter(|f| !NOT_CAPTURES.iter().any(|(n, _)| n == *f))
    {
        let rows = table(&truth(file), "DHCP");
        if rows.is_empty() {
            continue;
        }
        let r = run_file_order(shared(&format!("corpus/files/{file}")));
        for row in rows {
            let frame = num(&row["frame.number"]);
            let m = frames_of(&r, frame)
                .into_iter()
                .find_map(|f| match &f.body {
                    Body::Dhcp(m) => Some(m),
                    _ => None,
                });
            let Some(m) = m else {
                // Snaplen-truncated BOOTP (pcapng-test-generator files) is "can't tell".
                assert!(
                    r.summary.stats.truncated_by_snaplen > 0,
                    "{file} #{frame}: no DHCP fact"
                );
                continue;
            };
            checked += 1;
            if !row["dhcp.option.dhcp"].is_empty() {
                let t = num(&row["dhcp.option.dhcp"]);
                assert_eq!(
                    m.message_type.map(u64::from),
                    Some(t),
                    "{file} #{frame} type"
                );
            }
            assert_eq!(
                u64::from(m.xid),
                num(&row["dhcp.id"]),
                "{file} #{frame} xid"
            );
            let mac = provscope::packet::mac_string(&m.chaddr);
            // tshark lists the client MAC again when option 61 carries it.
            let want = row["dhcp.hw.mac_addr"]
                .split(',')
                .next()
                .unwrap_or("")
                .to_string();
            assert_eq!(mac, want, "{file} #{frame} chaddr");
            assert_eq!(
                m.yiaddr.to_string(),
                row["dhcp.ip.your"],
                "{file} #{frame} yiaddr"
            );
            let tftp = row["dhcp.option.tftp_server_name"].clone();
            if !tftp.is_empty() {
                assert_eq!(
                    m.tftp_server_name().as_deref(),
                    Some(tftp.as_str()),
                    "{file} #{frame}"
                );
            }
            let vc = row["dhcp.option.vendor_class_id"].clone();
            if !vc.is_empty() {
                assert_eq!(
                    m.vendor_class().as_deref(),
                    Some(vc.as_str()),
                    "{file} #{frame}"
                );
            }
            let ntp = row["dhcp.option.ntp_server"].clone();
            if !ntp.is_empty() {
                let ours: Vec<String> = m.ntp_servers().iter().map(|a| a.to_string()).collect();
                assert_eq!(ours.join(","), ntp, "{file} #{frame} ntp");
            }
        }
    }
    assert!(checked >= 20, "only {checked} DHCP messages compared");
}

#[test]
fn dns_agrees_with_tshark() {
    let mut checked = 0;
    for file in files()
        .iter()
        .filter(|f| !NOT_CAPTURES.iter().any(|(n, _)| n == *f))
    {
        let rows = table(&truth(file), "DNS");
        if rows.is_empty() {
            continue;
        }
        let r = run_file_order(shared(&format!("corpus/files/{file}")));
        for row in rows {
            let frame = num(&row["frame.number"]);
            let id = num(&row["dns.id"]);
            let ours: Vec<_> = frames_of(&r, frame)
                .into_iter()
                .filter_map(|f| match &f.body {
                    Body::Dns(m) if u64::from(m.id) == id => Some(m),
                    _ => None,
                })
                .collect();
            let Some(m) = ours.first() else {
                panic!("{file} #{frame}: no DNS message with id {id:#x}");
            };
            checked += 1;
            assert_eq!(
                m.response,
                row["dns.flags.response"] == "1",
                "{file} #{frame}"
            );
            if m.response && !row["dns.flags.rcode"].is_empty() {
                assert_eq!(
                    u64::from(m.rcode),
                    num(&row["dns.flags.rcode"]),
                    "{file} #{frame}"
                );
            }
            let qname = row["dns.qry.name"]
                .split(',')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !qname.is_empty() && !qname.starts_with('<') {
                let q = m
                    .questions
                    .first()
                    .map(|q| q.name.clone())
                    .unwrap_or_default();
                assert_eq!(q, qname.trim_end_matches('.'), "{file} #{frame} qname");
            }
            let want_a: Vec<&str> = row["dns.a"].split(',').filter(|s| !s.is_empty()).collect();
            let got_a: Vec<String> = m
                .answers
                .iter()
                .chain(m.additionals.iter())
                .filter_map(|r| match &r.data {
                    RData::A { addr } => Some(addr.to_string()),
                    _ => None,
                })
                .collect();
            assert_eq!(got_a, want_a, "{file} #{frame} A records");
            let want_srv: Vec<&str> = row["dns.srv.target"]
                .split(',')
                .filter(|s| !s.is_empty())
                .collect();
            let got_srv: Vec<String> = m
                .answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::Srv { target, .. } => Some(target.clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(got_srv, want_srv, "{file} #{frame} SRV targets");
        }
    }
    assert!(checked >= 30, "only {checked} DNS messages compared");
}

#[test]
fn tls_sni_and_alerts_agree_with_tshark() {
    let mut checked = 0;
    for file in files()
        .iter()
        .filter(|f| !NOT_CAPTURES.iter().any(|(n, _)| n == *f))
    {
        let rows = table(&truth(file), "TLS");
        if rows.is_empty() {
            continue;
        }
        let r = run_file_order(shared(&format!("corpus/files/{file}")));
        for row in &rows {
            let frame = num(&row["frame.number"]);
            let events: Vec<&TlsEvent> = frames_of(&r, frame)
                .into_iter()
                .filter_map(|f| match &f.body {
                    Body::Tls { event, .. } => Some(event),
                    _ => None,
                })
                .collect();
            let types: Vec<&str> = row["tls.handshake.type"].split(',').collect();
            if types.contains(&"1") {
                checked += 1;
                let sni = row["tls.handshake.extensions_server_name"].clone();
                let ours = events.iter().find_map(|e| match e {
                    TlsEvent::ClientHello { sni, .. } => Some(sni.clone().unwrap_or_default()),
                    _ => None,
                });
                assert_eq!(
                    ours.as_deref(),
                    Some(sni.as_str()),
                    "{file} #{frame} ClientHello"
                );
            }
            if !row["tls.alert_message.desc"].is_empty() {
                checked += 1;
                let desc = num(&row["tls.alert_message.desc"]);
                let level = num(&row["tls.alert_message.level"]);
                let found = events.iter().any(|e| {
                    matches!(e, TlsEvent::Alert { level: l, description: d }
                        if u64::from(*d) == desc && u64::from(*l) == level)
                });
                assert!(
                    found,
                    "{file} #{frame}: alert {level}/{desc} not found in {events:?}"
                );
            }
        }
        // Never an alert tshark did not see in clear (encrypted records are not alerts).
        for f in &r.facts {
            if let Body::Tls {
                event: TlsEvent::Alert { .. },
                ..
            } = &f.body
            {
                let seen = rows.iter().any(|row| {
                    num(&row["frame.number"]) == f.frame
                        && !row["tls.alert_message.desc"].is_empty()
                });
                assert!(seen, "{file} #{}: alert tshark does not show", f.frame);
            }
        }
    }
    assert!(checked >= 15, "only {checked} TLS items compared");
}

#[test]
fn sip_agrees_with_tshark() {
    let mut checked = 0;
    for file in files()
        .iter()
        .filter(|f| !NOT_CAPTURES.iter().any(|(n, _)| n == *f))
    {
        let rows = table(&truth(file), "SIP");
        if rows.is_empty() {
            continue;
        }
        let r = run_file_order(shared(&format!("corpus/files/{file}")));
        for row in rows {
            let frame = num(&row["frame.number"]);
            let ours: Vec<_> = frames_of(&r, frame)
                .into_iter()
                .filter_map(|f| match &f.body {
                    Body::Sip(m) => Some(m),
                    _ => None,
                })
                .collect();
            let methods: Vec<&str> = row["sip.Method"]
                .split(',')
                .filter(|s| !s.is_empty())
                .collect();
            let codes: Vec<&str> = row["sip.Status-Code"]
                .split(',')
                .filter(|s| !s.is_empty())
                .collect();
            for m in methods {
                checked += 1;
                let found = ours
                    .iter()
                    .any(|s| matches!(&s.start, StartLine::Request { method, .. } if method == m));
                assert!(found, "{file} #{frame}: {m} not decoded");
            }
            for c in codes {
                checked += 1;
                let found = ours.iter().any(|s| {
                    matches!(&s.start, StartLine::Response { code, .. } if code.to_string() == c)
                });
                assert!(found, "{file} #{frame}: {c} not decoded");
            }
            let call_ids: Vec<&str> = row["sip.Call-ID"]
                .split(',')
                .filter(|s| !s.is_empty())
                .collect();
            for id in call_ids {
                assert!(
                    ours.iter().any(|s| s.call_id.as_deref() == Some(id)),
                    "{file} #{frame} Call-ID"
                );
            }
        }
    }
    assert!(checked >= 50, "only {checked} SIP messages compared");
}

/// A phone registering through a SIP proxy that the capture also shows
/// registering upstream (heplify's TCP retransmission sample): the phone
/// that began (its SYN #25, REGISTER #28) comes first, and each side's
/// evidence holds only the answers sent to it (tshark: the 401 #31 and the
/// 200 #35 go to the proxy, #32 and #36 to the phone).
#[test]
fn a_proxy_and_its_phone_keep_their_own_answers() {
    let r = run_file_order(shared("corpus/files/heplify__sip_ipv4_tcp_retrans.pcap"));
    let ids: Vec<&str> = r.phones.iter().map(|p| p.id.as_str()).collect();
    // The proxy is the capturing host: the SLL address of its outgoing
    // frames is its own MAC (tshark sll.src.eth); the phone's arrive from a
    // MAC that sources two IPv4 addresses (a router's), so it is its IP.
    assert_eq!(ids, ["172.168.0.252", "00:88:88:1e:cf:02"]);
    assert!(phone(&r, "172.168.0.228").id == "00:88:88:1e:cf:02");
    let frames = |id: &str| -> Vec<u64> {
        let sip = stage(phone(&r, id), "sip-register");
        sip.evidence.iter().map(|e| e.frame).collect()
    };
    assert_eq!(frames("172.168.0.252"), [28, 32, 33, 36]);
    assert_eq!(frames("172.168.0.228"), [30, 31, 34, 35]);
}
