use super::*;
use crate::fact::IcmpUnreach;
use crate::packet::UnreachKind;
use crate::phone::names::NameMap;
use crate::proto::ntp::NtpPacket;
use crate::verdict::test_support::{ctx, fact, phone};

const PHONE: &str = "192.0.2.101:123";
const SERVER: &str = "203.0.113.123:123";

/// A client request (mode 3).
fn request() -> Body {
    Body::Ntp(NtpPacket {
        leap: 0,
        version: 4,
        mode: 3,
        stratum: 0,
        reference_id: [0; 4],
        transmit: 0,
        cut: false,
    })
}

fn judge(facts: &[crate::fact::Fact]) -> StageResult {
    let p = phone("192.0.2.101", (0..facts.len()).collect());
    let names = NameMap::default();
    ntp(&ctx(facts, &p, &names, 600))
}

#[test]
fn an_icmp_answer_says_nothing_serves_ntp_there() {
    let request = request();
    let icmp = Body::Icmp(IcmpUnreach {
        kind: UnreachKind::Port,
        code: 3,
        orig_proto: 17,
        orig_src: PHONE.parse().unwrap(),
        orig_dst: SERVER.parse().unwrap(),
        mtu: None,
    });
    let facts = [
        fact(1, 1, PHONE, SERVER, request.clone()),
        fact(2, 2, "203.0.113.123:0", "192.0.2.101:0", icmp),
    ];
    let r = judge(&facts);
    assert_eq!(r.status, Status::Fail);
    assert!(r.summary.contains("ICMP port unreachable"), "{}", r.summary);
    assert!(r.advice.unwrap_or_default().contains("no NTP service"));
    // Silence is said as silence.
    let r = judge(&facts[..1]);
    assert!(r.summary.ends_with("no reply"), "{}", r.summary);
}

fn reply(leap: u8, stratum: u8, kiss: &[u8; 4]) -> Body {
    Body::Ntp(NtpPacket {
        leap,
        version: 4,
        mode: 4,
        stratum,
        reference_id: *kiss,
        // Some time: the tests' frames are stamped near 1970, which
        // no capture host's clock is compared against.
        transmit: 1 << 40,
        cut: false,
    })
}

#[test]
fn a_synchronised_server_with_a_wrong_time_fails_the_stage() {
    // 2026-12-05 by the capture's clock; NTP seconds since 1900.
    let captured = 1_796_428_800i64;
    let ntp_secs = |unix: i64| ((unix + NTP_UNIX_OFFSET) as u64) << 32;
    let with = |transmit: u64| {
        let mut answer = reply(0, 1, b"GPS\0");
        if let Body::Ntp(n) = &mut answer {
            n.transmit = transmit;
        }
        let facts = [
            fact(1, captured, PHONE, SERVER, request()),
            fact(2, captured, SERVER, PHONE, answer),
        ];
        judge(&facts)
    };
    // 1024 weeks back: a GPS receiver past its week-number rollover.
    let r = with(ntp_secs(captured - 1024 * 7 * 86_400));
    assert_eq!(r.status, Status::Fail, "{}", r.summary);
    assert!(
        r.summary
            .contains("19.6 years behind the capture's clock, 1024 weeks"),
        "{}",
        r.summary
    );
    assert!(r.advice.unwrap_or_default().contains("gives a wrong time"));
    // Three days ahead: wrong too; an hour off: a capture host's drift.
    let r = with(ntp_secs(captured + 3 * 86_400));
    assert!(r.summary.contains("3 days ahead of"), "{}", r.summary);
    assert_eq!(with(ntp_secs(captured + 3600)).status, Status::Pass);
    // No time at all is bogus (RFC 5905 section 8).
    let r = with(0);
    assert!(
        r.status == Status::Fail && r.summary.contains("no transmit time"),
        "{}",
        r.summary
    );
}

#[test]
fn which_clock_is_wrong_is_told_by_other_servers_and_the_phones_tls() {
    let captured = 1_796_428_800i64;
    let reply_at = |unix: i64| {
        let mut answer = reply(0, 1, b"GPS\0");
        if let Body::Ntp(n) = &mut answer {
            n.transmit = ((unix + NTP_UNIX_OFFSET) as u64) << 32;
        }
        answer
    };
    let (good, wrong) = (reply_at(captured), reply_at(captured - 9 * 365 * 86_400));
    let tls = |event: TlsEvent| Body::Tls {
        conn: 1,
        from_client: true,
        event,
    };
    let t = captured;
    let ask = |frame| fact(frame, t, PHONE, SERVER, request());
    let answer = |frame, body| fact(frame, t, SERVER, PHONE, body);
    let web = |frame, event| fact(frame, t, PHONE, "198.51.100.10:443", tls(event));
    // Only the wrong time, and the phone's TLS works: the capture's
    // clock is the one in doubt.
    let facts = [
        ask(1),
        answer(2, wrong.clone()),
        web(3, TlsEvent::ApplicationData),
    ];
    let r = judge(&facts);
    assert_eq!(r.status, Status::Pass, "{}", r.summary);
    assert!(r
        .summary
        .contains("the capture host's clock is likely the wrong one"));
    // ... unless the phone rejects a certificate after it.
    let reject = TlsEvent::Alert {
        level: 2,
        description: 42,
    };
    let facts = [
        web(1, TlsEvent::ApplicationData),
        ask(2),
        answer(3, wrong.clone()),
        web(4, reject),
    ];
    assert_eq!(judge(&facts).status, Status::Fail);
    // A good reply vouches for the capture's clock: a wrong one last
    // fails, a wrong one before a good one warns.
    let facts = [
        ask(1),
        answer(2, good.clone()),
        ask(3),
        answer(4, wrong.clone()),
    ];
    let r = judge(&facts);
    assert!(
        r.status == Status::Fail && r.summary.contains("then 203.0.113.123"),
        "{}",
        r.summary
    );
    let facts = [ask(1), answer(2, wrong), ask(3), answer(4, good)];
    assert_eq!(judge(&facts).status, Status::Warn);
}

#[test]
fn replies_without_usable_time_fail_the_stage() {
    let request = request();
    let with = |answer: Body| {
        let facts = [
            fact(1, 1, PHONE, SERVER, request.clone()),
            fact(2, 1, SERVER, PHONE, answer),
        ];
        judge(&facts)
    };
    // chronyd with no reference: leap 3, stratum 0 (RFC 5905 7.3).
    let r = with(reply(3, 0, &[0; 4]));
    assert_eq!(r.status, Status::Fail, "{}", r.summary);
    assert!(r.advice.unwrap_or_default().contains("no good time"));
    let r = with(reply(0, 0, b"DENY"));
    assert!(r.summary.contains("Kiss-o'-Death DENY"), "{}", r.summary);
    assert!(r.advice.unwrap_or_default().contains("refuses the phone"));
    let r = with(reply(0, 0, b"RATE"));
    assert!(r
        .advice
        .unwrap_or_default()
        .contains("rate-limits the phone"));
    assert_eq!(with(reply(0, 16, &[0; 4])).status, Status::Fail);
    assert_eq!(with(reply(3, 2, &[0; 4])).status, Status::Fail);
    // A synchronised server passes; one good reply among bad ones does too.
    assert_eq!(with(reply(0, 2, b"GPS\0")).status, Status::Pass);
    let facts = [
        fact(1, 1, PHONE, SERVER, request.clone()),
        fact(2, 1, SERVER, PHONE, reply(3, 0, &[0; 4])),
        fact(3, 2, PHONE, SERVER, request.clone()),
        fact(4, 2, SERVER, PHONE, reply(0, 3, &[0; 4])),
    ];
    assert_eq!(judge(&facts).status, Status::Pass);
}

#[test]
fn a_server_that_never_had_time_is_named_beside_one_that_came_good() {
    // A and B unsynchronised, then B good: A is the one to fix.
    let request = request();
    const A: &str = "203.0.113.124:123";
    let facts = [
        fact(1, 1, PHONE, A, request.clone()),
        fact(2, 1, A, PHONE, reply(3, 0, &[0; 4])),
        fact(3, 2, PHONE, SERVER, request.clone()),
        fact(4, 2, SERVER, PHONE, reply(3, 0, &[0; 4])),
        fact(5, 3, PHONE, SERVER, request.clone()),
        fact(6, 3, SERVER, PHONE, reply(0, 2, b"GPS\0")),
    ];
    let r = judge(&facts);
    assert_eq!(r.status, Status::Warn, "{}", r.summary);
    assert!(
        r.summary.contains("203.0.113.124 answered"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("1 reply)"), "{}", r.summary);
}

#[test]
fn a_silent_server_before_one_that_answered_warns() {
    let request = request();
    const DEAD: &str = "203.0.113.124:123";
    let facts = [
        fact(1, 1, PHONE, DEAD, request.clone()),
        fact(2, 3, PHONE, DEAD, request.clone()),
        fact(3, 5, PHONE, SERVER, request.clone()),
        fact(4, 5, SERVER, PHONE, reply(0, 2, b"GPS\0")),
    ];
    let r = judge(&facts);
    assert_eq!(r.status, Status::Warn, "{}", r.summary);
    assert!(r
        .summary
        .contains("203.0.113.124 never answered (2 requests)"));
    assert!(r.advice.unwrap_or_default().contains("DHCP option 42"));
    // Both answered: a pass.
    let both = [
        facts[0].clone(),
        fact(5, 1, DEAD, PHONE, reply(0, 2, b"GPS\0")),
    ];
    let all: Vec<_> = both.into_iter().chain(facts[2..].iter().cloned()).collect();
    assert_eq!(judge(&all).status, Status::Pass);
}
