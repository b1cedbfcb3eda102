//! What the reports say on the lab's real-peer captures of field faults:
//! the words an engineer acts on (servers named, causes in plain words, no
//! claim a cut or encrypted packet cannot support). The statuses are
//! checked against each capture's `.expected.json` in `golden_captures.rs`.

mod common;

use common::*;
use provscope::verdict::Status;

const PHONE: &str = "00:00:5e:00:53:01";

fn report(name: &str) -> provscope::verdict::PhoneReport {
    let r = run(project(&format!("captures/{name}")));
    phone(&r, PHONE).clone()
}

#[test]
fn a_second_dhcp_server_is_named_and_does_not_fail_the_lease() {
    let p = report("dhcp-rogue-opt66.pcap");
    let dhcp = stage(&p, "dhcp");
    assert_eq!(dhcp.status, Status::Warn, "{}", texts(dhcp));
    assert!(
        dhcp.summary.contains("two DHCP servers"),
        "{}",
        dhcp.summary
    );
    let options = stage(&p, "dhcp-options");
    let advice = options.advice.as_deref().unwrap_or("");
    // The phone took the second server's lease: both servers are named,
    // and which one to stop is the engineer's call.
    assert!(
        advice.contains("two DHCP servers answer this phone"),
        "{advice}"
    );
    assert!(advice.contains("192.0.2.66 gave its lease"), "{advice}");
    assert!(advice.contains("192.0.2.1 answered too"), "{advice}");
}

#[test]
fn options_cut_by_the_snaplen_are_not_judged_absent() {
    let p = report("snap300-opt66-tftp-icmp.pcap");
    let options = stage(&p, "dhcp-options");
    assert_eq!(options.status, Status::NotSeen, "{}", texts(options));
    assert!(options.summary.contains("snaplen"), "{}", options.summary);
    let tls = stage(&report("snap300-tls12-expired.pcap"), "sbc-tls").clone();
    let advice = tls.advice.unwrap_or_default();
    assert!(!advice.contains("TLS 1.3"), "{advice}");
    assert!(advice.contains("snaplen"), "{advice}");
}

#[test]
fn icmp_rejections_are_said_in_words() {
    let p = report("sbc-icmp-reject.pcap");
    let t = all_texts(&p);
    assert!(t.contains("administratively prohibited"), "{t}");
    assert!(t.contains("port unreachable"), "{t}");
    assert!(
        !t.contains("Some(") && !t.contains("AdminProhibited"),
        "{t}"
    );
}

#[test]
fn every_failed_sbc_target_is_named() {
    let srv = stage(&report("srv-targets-no-a.pcap"), "dns-srv").clone();
    assert_eq!(srv.status, Status::Fail);
    for target in ["sbc-gone.example.com", "sbc6.example.com"] {
        assert!(srv.summary.contains(target), "{}", srv.summary);
        assert!(srv.advice.as_deref().unwrap_or("").contains(target));
    }
}

#[test]
fn a_truncated_answer_is_marked_and_the_tcp_retry_decides() {
    let srv = stage(&report("srv-truncated-tcp.pcap"), "dns-srv").clone();
    assert_eq!(srv.status, Status::Pass);
    assert!(
        srv.evidence.iter().any(|e| e.text.contains("(TC, ")),
        "{}",
        texts(&srv)
    );
    assert!(
        srv.summary.contains("and ") && srv.summary.contains(" more"),
        "{}",
        srv.summary
    );
}

#[test]
fn advice_fits_what_the_phone_did() {
    let sip = stage(&report("sip-503-port5062.pcap"), "sip-register").clone();
    assert!(sip.advice.unwrap_or_default().contains("overloaded"));
    // Option 43 offered but never used: no "gave up on" it.
    let p = report("opt43-url.pcap");
    let advice = stage(&p, "dhcp-options").advice.clone().unwrap_or_default();
    assert!(advice.contains("did not use"), "{advice}");
    // Option 66 tried (ICMP unreachable) before activation: it gave up on it.
    let p = report("opt66-tftp-icmp.pcap");
    let advice = stage(&p, "dhcp-options").advice.clone().unwrap_or_default();
    assert!(advice.contains("gave up on"), "{advice}");
    // A warn stage says what to check.
    let p = report("dhcp-nak.pcap");
    assert!(stage(&p, "dhcp").advice.is_some());
}

#[test]
fn a_phone_rejecting_the_sbc_after_a_hello_retry_is_not_a_handshake() {
    let p = report("tls13-hrr-unknown-ca.pcap");
    let tls = stage(&p, "sbc-tls");
    assert_eq!(tls.status, Status::Fail, "{}", texts(tls));
    assert!(tls.summary.contains("unknown_ca"), "{}", tls.summary);
    let ok = report("tls13-hrr-intermediate-chain.pcap");
    assert!(stage(&ok, "sbc-tls")
        .summary
        .starts_with("TLS 1.3 handshake"));
}

#[test]
fn the_last_boot_decides() {
    let p = report("reboot-then-sbc-rst.pcap");
    assert_eq!(p.verdict, provscope::verdict::Verdict::Fail);
    let sip = stage(&p, "sip-register");
    assert_eq!(sip.status, Status::NotSeen);
    assert!(
        sip.summary.starts_with("not reached in the last boot"),
        "{}",
        sip.summary
    );
    assert!(
        !sip.evidence.is_empty(),
        "the earlier boot stays as evidence"
    );
}

#[test]
fn more_words_that_fit_the_fault() {
    let p = report("opt160-https-host-unresolved.pcap");
    let local = stage(&p, "local-config");
    assert_eq!(local.status, Status::Fail);
    assert!(
        local.summary.contains("does not resolve"),
        "{}",
        local.summary
    );
    let tls = stage(&report("sbc-tls12-unrecognized-name.pcap"), "sbc-tls").clone();
    assert!(tls.advice.unwrap_or_default().contains("SNI"));
    let sip = stage(&report("sip-407-wrong-password-udp.pcap"), "sip-register").clone();
    assert!(sip.summary.contains("fresh 407"), "{}", sip.summary);
    let dns = stage(
        &report("dns-servfail-second-server-cname.pcap"),
        "dns-activation",
    )
    .clone();
    assert_eq!(dns.status, Status::Warn, "{}", dns.summary);
}

/// Real NAT (nftables masquerade, no SIP ALG): seen from the WAN side the
/// phone is its address, not the router's MAC; seen from both sides, the
/// two listings are tied together by their REGISTERs.
#[test]
fn nat_seen_from_the_wan_side_and_from_both_sides() {
    let wan = run(project("captures/sip-nat-wan.pcap"));
    let p = phone(&wan, "203.0.113.201");
    assert_eq!(p.mac, None, "the router's MAC is not the phone's");
    let sip = stage(p, "sip-register");
    assert_eq!(sip.status, Status::Warn, "{}", texts(sip));
    assert!(sip.summary.contains("NAT in the path"), "{}", sip.summary);
    let both = run(project("captures/sip-nat-both-sides.pcap"));
    let warned = both.summary.warnings.iter().any(|w| {
        w.contains("00:00:5e:00:53:01 and 203.0.113.201 send the same REGISTERs")
            && w.contains("both sides of a NAT")
    });
    assert!(warned, "{:?}", both.summary.warnings);
    // One phone seen alone is not warned about.
    let lan = run(project("captures/sip-nat.pcap"));
    assert!(!lan
        .summary
        .warnings
        .iter()
        .any(|w| w.contains("same REGISTERs")));
}

/// Ten unanswered REGISTERs: the first and the last are cited (#73, #82).
#[test]
fn unanswered_register_cites_its_last_send() {
    let p = report("sip-noanswer.pcap");
    let sip = stage(&p, "sip-register");
    let frames: Vec<u64> = sip.evidence.iter().map(|e| e.frame).collect();
    assert_eq!(frames, [73, 82], "{}", texts(sip));
    assert!(sip.evidence[1].text.contains("10th time"), "{}", texts(sip));
}

/// Two user agents that happen to share a Call-ID and From tag (sipp in two
/// PID namespaces) are two phones, not one seen on both sides of a NAT.
#[test]
fn two_phones_sharing_a_call_id_are_not_one_seen_twice() {
    let r = run(project("captures/edge-sip-two-uas-same-callid.pcap"));
    assert_eq!(r.phones.len(), 2);
    let twice = r
        .summary
        .warnings
        .iter()
        .any(|w| w.contains("same REGISTERs"));
    assert!(!twice, "{:?}", r.summary.warnings);
}

/// One address for two phones: in turn (a release, then a new lease) each
/// phone keeps its own exchanges and nothing is warned; at once (a phone
/// still using the address leased to the next) each frame goes to the MAC
/// it carries, and the duplicate address is warned about.
#[test]
fn two_phones_with_one_address_in_turn_and_at_once() {
    let turn = run(project("captures/edge-two-phones-one-address-in-turn.pcap"));
    let first = phone(&turn, "00:00:5e:00:53:01");
    assert_eq!(stage(first, "sip-register").status, Status::Fail);
    let second = phone(&turn, "00:00:5e:00:53:02");
    assert_eq!(stage(second, "sip-register").status, Status::Pass);
    let duplicate = |r: &provscope::run::CaptureResult| {
        r.summary
            .warnings
            .iter()
            .any(|w| w.contains("two phones with one address"))
    };
    assert!(!duplicate(&turn), "{:?}", turn.summary.warnings);
    let once = run(project("captures/edge-two-phones-one-address-at-once.pcap"));
    let late = stage(phone(&once, "00:00:5e:00:53:01"), "sip-register");
    assert!(
        late.evidence.iter().any(|e| e.frame == 148),
        "{}",
        texts(late)
    );
    let second = phone(&once, "00:00:5e:00:53:02");
    assert_eq!(stage(second, "sip-register").status, Status::Pass);
    assert!(duplicate(&once), "{:?}", once.summary.warnings);
}

/// Only the phone's frames of a healthy capture (one side of a tap): the
/// capture says it seems to hold one direction; a whole capture does not.
#[test]
fn a_capture_of_one_direction_says_so() {
    let one_way = |r: &provscope::run::CaptureResult| {
        r.summary
            .warnings
            .iter()
            .any(|w| w.contains("one direction of the traffic only"))
    };
    let r = run(project("captures/edge-one-direction-only.pcap"));
    assert!(one_way(&r), "{:?}", r.summary.warnings);
    let whole = run(project("captures/healthy.pcap"));
    assert!(!one_way(&whole), "{:?}", whole.summary.warnings);
}

#[test]
fn a_profile_body_cut_short_is_no_profile_and_one_cut_by_the_capture_is_unknown() {
    // The server closed before the chunked body's last chunk.
    let cut = stage(&report("http-chunked-cut.pcap"), "local-config").clone();
    assert_eq!(cut.status, Status::Fail, "{}", texts(&cut));
    assert!(cut.summary.contains("last chunk unsent"), "{}", cut.summary);
    assert!(cut.summary.contains("no whole profile"), "{}", cut.summary);
    // The whole 96 kB profile over many segments: taken.
    let whole = stage(&report("opt160-http-large-profile.pcap"), "local-config").clone();
    assert!(
        whole.summary.ends_with("profile downloaded"),
        "{}",
        whole.summary
    );
    // Its first 16 kB, the capture ending there: can't tell.
    let open = stage(&report("cut-mid-http-profile.pcap"), "local-config").clone();
    assert_eq!(open.status, Status::NotSeen, "{}", texts(&open));
    assert!(
        open.summary.contains("the capture ends with"),
        "{}",
        open.summary
    );
}

#[test]
fn vendor_options_without_a_server_are_said_and_pass() {
    let r = run(project("captures/edge-dhcp-43-125-variants.pcap"));
    // :01 gets a Microsoft-style sub-option in 43, :03 a TR-111 block in
    // 125 (dnsmasq): no server or URL, said in the evidence.
    for (id, option) in [("00:00:5e:00:53:01", 43), ("00:00:5e:00:53:03", 125)] {
        let options = stage(phone(&r, id), "dhcp-options").clone();
        assert_eq!(options.status, Status::Pass, "{}", texts(&options));
        let said = format!("option {option} (");
        assert!(texts(&options).contains(&said), "{}", texts(&options));
    }
    // :02's 43 carries a profile URL in a Cisco sub-option: a failure.
    let url = stage(phone(&r, "00:00:5e:00:53:02"), "dhcp-options").clone();
    assert_eq!(url.status, Status::Fail, "{}", texts(&url));
}

#[test]
fn a_portal_page_at_the_profile_url_is_no_profile() {
    let p = report("opt160-http-portal.pcap");
    let local = stage(&p, "local-config");
    assert_eq!(local.status, Status::Fail, "{}", texts(local));
    assert!(
        local.summary.contains("HTML page, not a profile"),
        "{}",
        local.summary
    );
    assert!(!local.summary.contains("downloaded"), "{}", local.summary);
    let advice = local.advice.as_deref().unwrap_or("");
    assert!(advice.contains("web page"), "{advice}");
    // A real profile from the same kind of server still reads as taken.
    let found = report("opt160-http-found.pcap");
    let taken = stage(&found, "local-config");
    assert!(
        taken.summary.contains("profile downloaded"),
        "{}",
        taken.summary
    );
}

#[test]
fn a_gateway_that_never_answers_arp_fails_the_lease() {
    let p = report("dhcp-router-dead.pcap");
    let dhcp = stage(&p, "dhcp");
    assert_eq!(dhcp.status, Status::Fail, "{}", texts(dhcp));
    assert!(dhcp.summary.contains("192.0.2.254"), "{}", dhcp.summary);
    assert!(
        dhcp.summary.contains("never answers the phone's ARP"),
        "{}",
        dhcp.summary
    );
    assert!(
        dhcp.evidence.iter().any(|e| e.text.contains("ARP request")),
        "{}",
        texts(dhcp)
    );
    let advice = dhcp.advice.as_deref().unwrap_or("");
    assert!(advice.contains("option 3"), "{advice}");
    // A gateway that answers (every other lab capture) is no such fault.
    let healthy = report("healthy.pcap");
    assert_eq!(stage(&healthy, "dhcp").status, Status::Pass);
}

#[test]
fn dhcp_replies_cut_by_the_snaplen_are_no_missing_offer() {
    // tester134: the OFFER/ACK are in the capture, cut by the snaplen; the
    // advice told to remove the option and then that the capture held no
    // offer and the scope might offer none.
    let r = run(project("captures/edge-erspan2-truncated-opt160.pcap"));
    let p = r.phones.first().expect("one phone");
    let local = stage(p, "local-config");
    let advice = local.advice.as_deref().unwrap_or("");
    assert!(
        advice.contains("remove the DHCP provisioning option"),
        "{advice}"
    );
    assert!(!advice.contains("holds no DHCP offer"), "{advice}");
    assert!(!advice.contains("profile rule it kept"), "{advice}");
}
