//! The shared cases (`../shared/cases`): each reproduces a public bug report
//! or a field problem. Values come from each case's expected.json, mapped to
//! our words as `../shared/cases/MAPPING.md` says; where the domain rules and
//! a case disagree, the domain wins and the test says so.

mod common;

use common::*;
use provscope::fact::{Body, TcpResult};
use provscope::proto::dns::RData;
use provscope::proto::sip::StartLine;
use provscope::proto::tls::TlsEvent;
use provscope::verdict::{Status, Verdict};
use serde_json::Value;

fn exp_phones(case: &str) -> Vec<Value> {
    expected(case)["expect"]["phones"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Case word -> our status (MAPPING.md).
fn mapped(word: &str) -> Status {
    match word {
        "ok" | "info" => Status::Pass,
        "warn" => Status::Warn,
        "fail" => Status::Fail,
        _ => Status::NotSeen,
    }
}

#[test]
fn case_02_dhcp_opt150_stale_tftp() {
    let r = case("02-dhcp-opt150-stale-tftp");
    let e = &exp_phones("02-dhcp-opt150-stale-tftp")[0];
    assert_eq!(r.phones.len(), 1, "three RRQs are one phone");
    let p = phone(&r, &s(&e["mac"]));
    assert!(p.ips.contains(&s(&e["ip"])));
    assert_eq!(
        status(p, "dhcp"),
        mapped(&s(&e["stages"]["dhcp"]["verdict"]))
    );
    // Domain rule: the scope offering 150 fails dhcp-options, whatever the case says.
    let opts = stage(p, "dhcp-options");
    assert_eq!(opts.status, Status::Fail);
    let server = s(&e["stages"]["dhcp"]["option_150"][0]);
    assert!(
        opts.summary.contains(&format!("option 150 = {server}")),
        "{}",
        opts.summary
    );
    assert!(opts
        .advice
        .as_deref()
        .unwrap_or("")
        .contains("vendor class"));
    let tftp = &e["stages"]["tftp"];
    let local = stage(p, "local-config");
    assert_eq!(local.status, mapped(&s(&tftp["verdict"])));
    assert!(
        local.summary.contains(&s(&tftp["file"])),
        "{}",
        local.summary
    );
    assert!(local.summary.contains(&s(&tftp["server"])));
    assert!(local
        .summary
        .contains(&format!("{} requests", tftp["attempts"])));
    assert!(local.summary.contains("File not found"));
    assert!(
        !local.summary.contains("downloaded"),
        "must not report a TFTP success"
    );
    for st in ["dns-activation", "dns-provisioning", "dns-srv"] {
        assert_eq!(status(p, st), Status::NotSeen, "must not blame DNS");
    }
    assert_eq!(status(p, "sip-register"), Status::NotSeen);
    assert_eq!(p.verdict, Verdict::Fail);
}

#[test]
fn case_03_dns_activation_nxdomain_and_servfail() {
    let r = case("03-dns-activation-nxdomain");
    let exp = exp_phones("03-dns-activation-nxdomain");
    assert_eq!(r.phones.len(), 2, "two phones, not merged");
    let p1 = phone(&r, &s(&exp[0]["mac"]));
    assert_eq!(status(p1, "dhcp"), Status::Pass);
    assert_eq!(status(p1, "dhcp-options"), Status::Pass);
    let dns = stage(p1, "dns-activation");
    assert_eq!(dns.status, Status::Fail);
    for q in exp[0]["stages"]["dns"]["queries"].as_array().unwrap() {
        let t = texts(dns);
        assert!(
            t.contains(&s(&q["name"])) && t.contains(&s(&q["rcode"])),
            "{t}"
        );
        assert!(t.contains(&s(&q["server"])));
        // The case's advice: allow both names. The summary and the
        // advice, not only the evidence, name each one that failed.
        let advice = dns.advice.as_deref().unwrap_or_default();
        assert!(dns.summary.contains(&s(&q["name"])), "{}", dns.summary);
        assert!(advice.contains(&s(&q["name"])), "{advice}");
    }
    assert_eq!(p1.verdict, Verdict::Fail);
    assert_eq!(p1.root_cause.map(|s| s.id()), Some("dns-activation"));
    let p2 = phone(&r, &s(&exp[1]["mac"]));
    assert!(p2.ips.contains(&s(&exp[1]["ip"])));
    assert_eq!(status(p2, "dhcp"), Status::NotSeen);
    let dns2 = stage(p2, "dns-provisioning");
    assert_eq!(dns2.status, Status::Fail);
    assert!(dns2.summary.contains("SERVFAIL"));
    assert!(dns2.advice.as_deref().unwrap_or("").contains("forwarders"));
    for p in [p1, p2] {
        for st in ["activation", "provisioning", "sbc-connect", "sbc-tls"] {
            assert_eq!(
                status(p, st),
                Status::NotSeen,
                "no connection was attempted"
            );
        }
    }
}

#[test]
fn case_05_sbc_8934_blocked() {
    let r = case("05-sbc-8934-blocked");
    let e = &exp_phones("05-sbc-8934-blocked")[0];
    let p = phone(&r, &s(&e["mac"]));
    let srv = stage(p, "dns-srv");
    assert_eq!(srv.status, Status::Pass);
    for t in e["stages"]["dns"]["srv_targets"].as_array().unwrap() {
        assert!(srv.summary.contains(&s(t)), "{}", srv.summary);
    }
    let prov = stage(p, "provisioning");
    assert_eq!(prov.status, Status::Pass);
    assert!(texts(prov).contains(&s(&e["stages"]["https_provisioning"]["sni"])));
    let conn = stage(p, "sbc-connect");
    assert_eq!(conn.status, Status::Fail);
    for a in e["stages"]["tcp"]["attempts"].as_array().unwrap() {
        let want = format!("{} SYNs to {}", a["syn_count"], s(&a["server"]));
        assert!(texts(conn).contains(&want), "{want} in {}", texts(conn));
    }
    assert!(conn.advice.as_deref().unwrap_or("").contains("8934"));
    // Retransmitted SYNs are one attempt each, not several connections.
    let to_sbc: Vec<_> = r
        .facts
        .iter()
        .filter_map(|f| match &f.body {
            Body::Tcp { attempt, .. } if f.dst.port() == 8934 => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(to_sbc.len(), 2);
    assert!(to_sbc
        .iter()
        .all(|a| a.syns == 4 && a.result == TcpResult::NoAnswer));
    assert_eq!(status(p, "sbc-tls"), Status::NotSeen);
    assert_eq!(status(p, "sip-register"), Status::NotSeen);
    assert_eq!(p.root_cause.map(|s| s.id()), Some("sbc-connect"));
    // Not a TLS or certificate problem: no failing stage talks of either.
    for st in p.stages.iter().filter(|s| s.status == Status::Fail) {
        let t = texts(st).to_lowercase();
        assert!(
            !t.contains("certificate") && !t.contains("handshake"),
            "{t}"
        );
    }
    assert_eq!(p.verdict, Verdict::Fail);
}

#[test]
fn case_06_tls_unknown_ca_inspection() {
    let r = case("06-tls-unknown-ca-inspection");
    let e = &exp_phones("06-tls-unknown-ca-inspection")[0];
    let p = phone(&r, &s(&e["mac"]));
    let conn = stage(p, "sbc-connect");
    assert_eq!(conn.status, Status::Pass);
    assert!(conn.summary.contains(&s(&e["stages"]["tcp"]["server"])));
    let tls = stage(p, "sbc-tls");
    let et = &e["stages"]["tls"];
    assert_eq!(tls.status, Status::Fail);
    let t = texts(tls);
    assert!(t.contains(&s(&et["sni"])), "{t}");
    assert!(t.contains(&format!(
        "alert {} (fatal) from phone",
        s(&et["alert"]["description"])
    )));
    assert!(t.contains(&s(&et["server_cert"]["issuer_cn"])), "{t}");
    assert!(
        !t.contains("from server"),
        "the alert was sent by the phone"
    );
    let advice = tls.advice.clone().unwrap_or_default();
    assert!(advice.contains("TLS-inspecting"), "{advice}");
    assert!(
        !advice.contains("clock"),
        "the certificate is valid at capture time"
    );
    assert_eq!(p.root_cause.map(|s| s.id()), Some("sbc-tls"));
    assert_eq!(p.verdict, Verdict::Fail);
    let chain = r.facts.iter().find_map(|f| match &f.body {
        Body::Tls {
            event: TlsEvent::Certificate { chain },
            ..
        } => Some(chain),
        _ => None,
    });
    let n = et["server_cert"]["chain_len"].as_u64().unwrap() as usize;
    assert_eq!(chain.map(|c| c.len()), Some(n));
}

#[test]
fn case_10_sip_401_loop_and_stale_nonce() {
    let r = case("10-sip-401-loop");
    let exp = exp_phones("10-sip-401-loop");
    let p1 = phone(&r, &s(&exp[0]["mac"]));
    let reg = stage(p1, "sip-register");
    assert_eq!(reg.status, Status::Fail);
    let auth = exp[0]["stages"]["sip_register"]["authenticated_attempts"]
        .as_u64()
        .unwrap();
    assert!(
        reg.summary
            .contains(&format!("{auth} authenticated REGISTERs")),
        "{}",
        reg.summary
    );
    assert!(reg.advice.as_deref().unwrap_or("").contains("Auth ID"));
    assert_eq!(p1.verdict, Verdict::Fail);
    let p2 = phone(&r, &s(&exp[1]["mac"]));
    let reg2 = stage(p2, "sip-register");
    assert_eq!(
        reg2.status,
        Status::Pass,
        "a stale=true re-challenge is not a failure"
    );
    let expires = exp[1]["stages"]["sip_register"]["expires"]
        .as_u64()
        .unwrap();
    assert!(
        reg2.summary.contains(&format!("expires {expires}")),
        "{}",
        reg2.summary
    );
    assert_eq!(p2.verdict, Verdict::Pass);
}

#[test]
fn case_13_pcapng_tsresol_and_tsoffset() {
    let exp = expected("13-pcapng-tsresol-tsoffset");
    let path = shared("cases/13-pcapng-tsresol-tsoffset/capture.pcapng");
    let mut reader = provscope::capture::CaptureReader::open(&path).unwrap();
    let mut got = Vec::new();
    while let Some(f) = reader.next_frame().unwrap() {
        let mut t = f.ts;
        t.digits = 9;
        got.push((f.number, f.interface, t.rfc3339()));
    }
    let want: Vec<(u64, u32, String)> = exp["expect"]["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["n"].as_u64().unwrap(),
                p["interface"].as_u64().unwrap() as u32,
                s(&p["ts"]),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn case_14_pcapng_sections_of_both_byte_orders() {
    let r = case("14-pcapng-multi-shb-endian");
    let exp = expected("14-pcapng-multi-shb-endian");
    assert_eq!(r.summary.frames, 4, "must not stop at the second SHB");
    let dhcp = facts_of(&r, "dhcp");
    assert_eq!(dhcp.len(), 4);
    let ph = &exp["expect"]["phone"];
    let p = phone(&r, &s(&ph["mac"]));
    let lease = stage(p, "dhcp");
    assert_eq!(lease.status, Status::Pass);
    assert!(lease.summary.contains(&s(&ph["dhcp"]["lease"])));
    // One exchange across both sections: every message has the same xid.
    let xid = u32::from_str_radix(s(&ph["dhcp"]["xid"]).trim_start_matches("0x"), 16).unwrap();
    assert!(dhcp
        .iter()
        .all(|f| matches!(&f.body, Body::Dhcp(m) if m.xid == xid)));
    // Option 66 offered: the domain rule fails dhcp-options.
    let opts = stage(p, "dhcp-options");
    assert_eq!(opts.status, Status::Fail);
    assert!(opts.summary.contains("prov.example.com"));
}

#[test]
fn case_16_linux_sll2() {
    let r = case("16-linux-sll2");
    let exp = expected("16-linux-sll2");
    let pk = exp["expect"]["packets"].as_array().unwrap();
    let msgs = sip(&r);
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].0.frame, 1);
    assert_eq!(
        msgs[0].1.call_id.as_deref(),
        Some(s(&pk[0]["sip"]["call_id"]).as_str())
    );
    assert!(matches!(
        &msgs[1].1.start,
        StartLine::Response { code: 401, .. }
    ));
    let qname = s(&pk[2]["dns"]["qname"]);
    let srv_query = |f: &&provscope::fact::Fact| match &f.body {
        Body::Dns(m) => m
            .questions
            .first()
            .is_some_and(|q| q.name == qname && q.qtype == 33),
        _ => false,
    };
    assert!(facts_of(&r, "dns").iter().any(srv_query));
    let ip = s(&exp["expect"]["phone"]["ip"]);
    let p = phone(&r, &ip);
    // The SLL2 address of the phone's frame (pkttype host: the sender's,
    // an Ethernet device) is its MAC: one phone for its IPv4 and IPv6.
    let mac = s(&pk[0]["sll2"]["addr"]);
    assert_eq!(p.id, mac, "the cooked address keys the phone");
    assert_eq!(r.phones.len(), 1, "not split into one phone per address");
    assert!(p.ips.iter().any(|a| a.contains(':')), "{:?}", p.ips);
    // "incomplete": challenged, nothing after it in the capture.
    assert_eq!(status(p, "sip-register"), Status::NotSeen);
    assert!(stage(p, "sip-register").summary.contains("401"));
}

#[test]
fn case_18_ipv4_fragments() {
    let r = case("18-ipv4-fragments");
    let msgs = sip(&r);
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let (f, m) = msgs[0];
    assert_eq!(
        m.start,
        StartLine::Request {
            method: "REGISTER".into(),
            uri: match &m.start {
                StartLine::Request { uri, .. } => uri.clone(),
                _ => String::new(),
            }
        }
    );
    assert_eq!(
        f.frame, 2,
        "completed by the first fragment, which arrives second"
    );
    assert!(!m.truncated, "must not report a truncated REGISTER");
    let dump = m
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("X-Cisco-Config-Dump"));
    assert_eq!(dump.map(|(_, v)| v.len()), Some(1760));
    assert!(matches!(
        msgs[1].1.start,
        StartLine::Response { code: 401, .. }
    ));
    assert!(
        r.facts.iter().all(|f| f.frame != 4),
        "nothing decoded from an orphan fragment"
    );
    let p = phone(&r, "192.0.2.100");
    assert_eq!(status(p, "sip-register"), Status::NotSeen);
}

#[test]
fn case_20_tcp_out_of_order_overlap_and_syn_data() {
    let r = case("20-tcp-ooo-overlap-syndata");
    let msgs = sip(&r);
    let methods: Vec<String> = msgs
        .iter()
        .map(|(_, m)| match &m.start {
            StartLine::Request { method, .. } => method.clone(),
            StartLine::Response { code, .. } => code.to_string(),
        })
        .collect();
    assert_eq!(methods, ["REGISTER", "401", "OPTIONS", "200"]);
    let reg = msgs[0].1;
    assert_eq!(reg.call_id.as_deref(), Some("c20-ooo@192.0.2.100"));
    let all: String = reg
        .headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\n"))
        .collect();
    assert!(
        !all.contains("XXXX") && !all.contains("YYYY"),
        "first bytes win: {all}"
    );
    assert_eq!(msgs[2].1.call_id.as_deref(), Some("c20-syn@192.0.2.100"));
    assert!(r.summary.stats.flow.overlap_conflicts >= 1);
    // One re-sent segment (frame 7) with two differing runs: counted as
    // ranges, not as retransmissions (tshark shows one retransmission).
    assert!(r
        .summary
        .warnings
        .iter()
        .any(|w| w.contains("different bytes in 2 ranges") && !w.contains("retransmission")));
    assert!(r
        .summary
        .warnings
        .iter()
        .any(|w| w.contains("different bytes")));
}

#[test]
fn case_21_tls_records_spanning_segments() {
    let r = case("21-tls-records-span");
    let exp = expected("21-tls-records-span");
    let events: Vec<&TlsEvent> = r
        .facts
        .iter()
        .filter_map(|f| match &f.body {
            Body::Tls { event, .. } => Some(event),
            _ => None,
        })
        .collect();
    let sni = s(&exp["expect"]["client_hello"]["sni"]);
    assert!(events
        .iter()
        .any(|e| matches!(e, TlsEvent::ClientHello { sni: Some(x), .. } if *x == sni)));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TlsEvent::ServerHelloDone)),
        "ServerHelloDone"
    );
    let chain = events
        .iter()
        .find_map(|e| match e {
            TlsEvent::Certificate { chain } => Some(chain),
            _ => None,
        })
        .expect("a certificate chain");
    let want = exp["expect"]["server_flight"]["certificate_chain"]
        .as_array()
        .unwrap();
    assert_eq!(chain.len(), want.len());
    for (c, w) in chain.iter().zip(want) {
        assert_eq!(c.subject_cn.as_deref(), Some(s(&w["subject_cn"]).as_str()));
        assert_eq!(c.issuer_cn.as_deref(), Some(s(&w["issuer_cn"]).as_str()));
        assert_eq!(c.not_before, s(&w["not_before"]));
        assert_eq!(c.not_after, s(&w["not_after"]));
        if let Some(san) = w["san"].as_array() {
            let san: Vec<String> = san.iter().map(s).collect();
            assert_eq!(c.san, san);
        }
    }
    assert!(facts_of(&r, "malformed").is_empty());
    let p = phone(&r, "192.0.2.100");
    assert_eq!(
        status(p, "sbc-tls"),
        Status::NotSeen,
        "incomplete: closed before finishing"
    );
}

#[test]
fn case_23_dns_compression_loops() {
    let r = case("23-dns-compression-loop");
    let exp = expected("23-dns-compression-loop");
    for want in exp["expect"]["responses"].as_array().unwrap() {
        let id = u16::from_str_radix(s(&want["id"]).trim_start_matches("0x"), 16).unwrap();
        let m = r
            .facts
            .iter()
            .find_map(|f| match &f.body {
                Body::Dns(m) if m.response && m.id == id => Some(m),
                _ => None,
            })
            .unwrap_or_else(|| panic!("response {id:#x}"));
        if s(&want["status"]) == "malformed" {
            assert!(m.malformed.is_some(), "{id:#x} must be malformed");
            assert!(m.answers.is_empty(), "no address from a malformed response");
        } else {
            assert!(m.malformed.is_none());
            let got: Vec<String> = m
                .answers
                .iter()
                .map(|a| match &a.data {
                    RData::A { addr } => addr.to_string(),
                    RData::Cname { target } => target.clone(),
                    _ => String::new(),
                })
                .collect();
            let w: Vec<String> = want["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| s(&a["data"]))
                .collect();
            assert_eq!(got, w);
        }
    }
    let ph = &exp["expect"]["phone"];
    let p = phone(&r, &s(&ph["ip"]));
    let dns = stage(p, "dns-activation");
    assert_eq!(dns.status, mapped(&s(&ph["dns"]["verdict"])));
    for a in ph["dns"]["resolved"]["activate.cisco.com"]
        .as_array()
        .unwrap()
    {
        assert!(dns.summary.contains(&s(a)), "{}", dns.summary);
    }
    assert!(
        !dns.summary.contains("198.51.100.42"),
        "no address from a looping response"
    );
    let n = ph["dns"]["malformed_responses"].as_u64().unwrap();
    assert!(
        dns.summary.contains(&format!("{n} malformed")),
        "{}",
        dns.summary
    );
}

#[test]
fn case_25_dhcp_option_overload() {
    let r = case("25-dhcp-overload");
    let exp = expected("25-dhcp-overload");
    let ph = &exp["expect"]["phone"];
    let p = phone(&r, &s(&ph["mac"]));
    let lease = stage(p, "dhcp");
    assert_eq!(lease.status, Status::Pass);
    assert!(lease.summary.contains(&s(&ph["dhcp"]["lease"])));
    let opts = stage(p, "dhcp-options");
    assert_eq!(opts.status, Status::Fail);
    for c in ph["dhcp"]["provisioning_candidates"].as_array().unwrap() {
        let want = format!("option {} = {}", c["option"], s(&c["value"]));
        assert!(opts.summary.contains(&want), "{want} in {}", opts.summary);
    }
    let ack = r.facts.iter().rev().find_map(|f| match &f.body {
        Body::Dhcp(m) if m.message_type == Some(5) => Some(m),
        _ => None,
    });
    let ack = ack.expect("an ACK");
    assert_eq!(ack.sname, None, "sname holds options, not a host name");
    assert_eq!(ack.file, None, "file holds options, not a boot file name");
    let ntp: Vec<String> = ph["dhcp"]["ntp"]
        .as_array()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    let got: Vec<String> = ack.ntp_servers().iter().map(|a| a.to_string()).collect();
    assert_eq!(got, ntp);
}

#[test]
fn case_27_sip_compact_and_folded_headers() {
    let r = case("27-sip-header-forms");
    let exp = expected("27-sip-header-forms");
    let msgs = sip(&r);
    let want = exp["expect"]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), want.len());
    for ((_, m), w) in msgs.iter().zip(want) {
        assert_eq!(
            m.call_id.as_deref(),
            Some(s(&w["call_id"]).as_str()),
            "missing Call-ID"
        );
        let cseq = m.cseq.as_ref().map(|(n, meth)| format!("{n} {meth}"));
        assert_eq!(cseq.as_deref(), Some(s(&w["cseq"]).as_str()));
        if let Some(wa) = w["www_authenticate"].as_object() {
            let a = m.www_authenticate.as_ref().expect("challenge parsed");
            for (k, v) in wa {
                let got = if k == "scheme" {
                    Some(a.scheme.as_str())
                } else {
                    a.get(k)
                };
                assert_eq!(got, v.as_str(), "{k}");
            }
            assert!(a.params.iter().all(|(k, _)| !k.starts_with(' ')));
        }
        if let Some(n) = w["authorization_nonce"].as_str() {
            assert_eq!(
                m.authorization.as_ref().and_then(|a| a.get("nonce")),
                Some(n)
            );
        }
        if let Some(c) = w["contact_expires"].as_u64() {
            assert_eq!(m.contact_expires, Some(c as u32));
        }
    }
    let ph = &exp["expect"]["phone"];
    let p = phone(&r, &s(&ph["ip"]));
    let reg = stage(p, "sip-register");
    assert_eq!(reg.status, Status::Pass);
    let expires = ph["sip_register"]["expires"].as_u64().unwrap();
    assert!(
        reg.summary.contains(&format!("expires {expires}")),
        "{}",
        reg.summary
    );
}
