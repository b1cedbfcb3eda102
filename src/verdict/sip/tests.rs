use super::*;
use crate::fact::{Body, Fact};
use crate::phone::names::NameMap;
use crate::proto::sip::parse_datagram;
use crate::verdict::test_support::{ctx, phone};

fn fact(frame: u64, secs: i64, src: &str, dst: &str, text: &str) -> Fact {
    let msg = parse_datagram(text.as_bytes()).remove(0).expect("SIP");
    crate::verdict::test_support::fact(frame, secs, src, dst, Body::Sip(Box::new(msg)))
}

fn register_text(call_id: &str, cseq: u32) -> String {
    format!(
        "REGISTER sip:example.com SIP/2.0\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n\
         From: <sip:1001@example.com>\r\nContact: <sip:1001@192.0.2.100:5060>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn success_after_an_unanswered_register_warns() {
    let phone_ip = "192.0.2.100:5060";
    let ok = "SIP/2.0 200 OK\r\nCall-ID: b\r\nCSeq: 1 REGISTER\r\nExpires: 120\r\n\
              Content-Length: 0\r\n\r\n";
    let facts = vec![
        fact(1, 0, phone_ip, "198.51.100.20:5060", &register_text("a", 1)),
        fact(2, 4, phone_ip, "198.51.100.20:5060", &register_text("a", 1)),
        fact(
            3,
            40,
            phone_ip,
            "198.51.100.21:5060",
            &register_text("b", 1),
        ),
        fact(4, 41, "198.51.100.21:5060", phone_ip, ok),
    ];
    let names = NameMap::default();
    let p = phone("192.0.2.100", vec![0, 1, 2, 3]);
    let ctx = ctx(&facts, &p, &names, 60);
    let r = register(&ctx, None);
    assert_eq!(r.status, Status::Warn, "{}", r.summary);
    assert!(
        r.summary.contains("after 1 REGISTER with no answer"),
        "{}",
        r.summary
    );
    // Without the unanswered first attempt the same success passes.
    let p = phone("192.0.2.100", vec![2, 3]);
    let ctx = crate::verdict::test_support::ctx(&facts, &p, &names, 60);
    assert_eq!(register(&ctx, None).status, Status::Pass);
}

/// A REGISTER from a public address: its Via and Contact as given.
fn nat_facts(via: &str, contact: &str) -> Vec<Fact> {
    let (phone_ip, sbc) = ("203.0.113.9:5060", "198.51.100.20:5060");
    let req = format!(
        "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK1\r\n\
         Contact: <sip:1101@{contact}>\r\nCall-ID: n\r\nCSeq: 1 REGISTER\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let ok = "SIP/2.0 200 OK\r\nCall-ID: n\r\nCSeq: 1 REGISTER\r\nExpires: 120\r\n\
              Content-Length: 0\r\n\r\n";
    vec![
        fact(1, 0, phone_ip, sbc, &req),
        fact(2, 0, sbc, phone_ip, ok),
    ]
}

#[test]
fn nat_and_half_rewriting_alg_warn_with_their_own_advice() {
    let names = NameMap::default();
    let p = phone("203.0.113.9", vec![0, 1]);
    let judge = |facts: &[Fact]| register(&ctx(facts, &p, &names, 10), None);
    let r = judge(&nat_facts("192.168.1.50:5060", "192.168.1.50:5060"));
    assert_eq!(r.status, Status::Warn);
    assert!(r.summary.contains("NAT in the path"), "{}", r.summary);
    let r = judge(&nat_facts("203.0.113.9:5060", "192.168.1.50:5060"));
    assert_eq!(r.status, Status::Warn);
    assert!(r.summary.contains("SIP ALG rewrote part"), "{}", r.summary);
    assert!(r.advice.as_deref().unwrap_or("").contains("by halves"));
    // Both rewritten (or a phone on a public address): nothing to say.
    let r = judge(&nat_facts("203.0.113.9:5060", "203.0.113.9:5060"));
    assert_eq!(r.status, Status::Pass, "{}", r.summary);
}

/// A REGISTER with credentials answered by a stale challenge of `code`.
fn stale_exchange(frame: u64, cseq: u32, code: u16, nonce: &str) -> (String, String) {
    // A 407 is answered with Proxy-Authorization (RFC 3261 22.3).
    let (reason, header, credentials) = match code {
        407 => (
            "Proxy Authentication Required",
            "Proxy-Authenticate",
            "Proxy-Authorization",
        ),
        _ => ("Unauthorized", "WWW-Authenticate", "Authorization"),
    };
    let req = format!(
        "REGISTER sip:example.com SIP/2.0\r\nCall-ID: s\r\nCSeq: {cseq} REGISTER\r\n\
         From: <sip:1001@example.com>\r\n{credentials}: Digest username=\"1001\", \
         realm=\"example.com\", nonce=\"n{frame}\", response=\"x\"\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let challenge = format!(
        "SIP/2.0 {code} {reason}\r\nCall-ID: s\r\nCSeq: {cseq} REGISTER\r\n\
         {header}: Digest realm=\"example.com\", nonce=\"{nonce}\", stale=TRUE\r\n\
         Content-Length: 0\r\n\r\n"
    );
    (req, challenge)
}

#[test]
fn stale_challenges_in_a_row_fail_one_does_not() {
    let (phone_ip, sbc) = ("192.0.2.100:5060", "198.51.100.20:5060");
    let names = NameMap::default();
    let judge = |code: u16, rounds: u32, end: i64| {
        let mut facts = Vec::new();
        for i in 0..rounds {
            let (req, ch) = stale_exchange(u64::from(i) * 2 + 1, i + 2, code, &format!("m{i}"));
            let at = i64::from(i) * 3;
            facts.push(fact(u64::from(i) * 2 + 1, at, phone_ip, sbc, &req));
            facts.push(fact(u64::from(i) * 2 + 2, at, sbc, phone_ip, &ch));
        }
        let p = phone("192.0.2.100", (0..facts.len()).collect());
        let r = register(&ctx(&facts, &p, &names, end), None);
        (r.status, r.summary, r.advice)
    };
    for code in [401, 407] {
        let (status, summary, advice) = judge(code, 3, 30);
        assert_eq!(status, Status::Fail, "{summary}");
        assert!(
            summary.contains(&format!(
                "3 authenticated REGISTERs (from #1) \
                                           each answered {code} with stale=true"
            )),
            "{summary}"
        );
        assert!(advice.unwrap_or_default().contains("nonce lifetime"));
    }
    // One stale challenge at the capture's end: the phone's next REGISTER,
    // with the new nonce, is not in it.
    let (status, summary, _) = judge(407, 1, 2);
    assert_eq!(status, Status::NotSeen);
    assert!(summary.contains("got a 407 with stale=true"), "{summary}");
    assert!(!summary.contains("no authenticated REGISTER"), "{summary}");
}

#[test]
fn a_200_granting_the_contact_zero_seconds_is_no_registration() {
    let (phone_ip, sbc) = ("192.0.2.100:5060", "198.51.100.20:5060");
    let contact = "<sip:1001@192.0.2.100:5060>";
    let req = format!(
        "REGISTER sip:example.com SIP/2.0\r\nCall-ID: z\r\nCSeq: 1 REGISTER\r\n\
         From: <sip:1001@example.com>\r\nContact: {contact};expires=3600\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let ok = |secs: u32| {
        format!(
            "SIP/2.0 200 OK\r\nCall-ID: z\r\nCSeq: 1 REGISTER\r\nContact: {contact};expires={secs}\
             \r\nContent-Length: 0\r\n\r\n"
        )
    };
    let names = NameMap::default();
    let p = phone("192.0.2.100", vec![0, 1]);
    for (secs, status) in [(0, Status::Fail), (3600, Status::Pass)] {
        let facts = vec![
            fact(1, 0, phone_ip, sbc, &req),
            fact(2, 0, sbc, phone_ip, &ok(secs)),
        ];
        let r = register(&ctx(&facts, &p, &names, 10), None);
        assert_eq!(r.status, status, "{}", r.summary);
    }
    // The phone's own de-registration granted 0 s is what it asked for.
    let bye = req.replace("expires=3600", "expires=0");
    let facts = vec![
        fact(1, 0, phone_ip, sbc, &bye),
        fact(2, 0, sbc, phone_ip, &ok(0)),
    ];
    let r = register(&ctx(&facts, &p, &names, 10), None);
    assert_eq!(r.status, Status::Pass, "{}", r.summary);
    assert!(r.summary.starts_with("de-registered"), "{}", r.summary);
}

#[test]
fn a_refused_de_registration_is_said_after_the_registration() {
    let (phone_ip, reg) = ("192.0.2.100:5060", "198.51.100.20:5060");
    let answer = |code: &str, cseq: u32| {
        format!(
            "SIP/2.0 {code}\r\nCall-ID: a\r\nCSeq: {cseq} REGISTER\r\nExpires: 120\r\n\
             Content-Length: 0\r\n\r\n"
        )
    };
    let dereg = "REGISTER sip:example.com SIP/2.0\r\nCall-ID: a\r\nCSeq: 2 REGISTER\r\n\
                 From: <sip:1001@example.com>\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n";
    let judge = |code: &str| {
        let facts = vec![
            fact(1, 0, phone_ip, reg, &register_text("a", 1)),
            fact(2, 0, reg, phone_ip, &answer("200 OK", 1)),
            fact(3, 30, phone_ip, reg, dereg),
            fact(4, 30, reg, phone_ip, &answer(code, 2)),
        ];
        let names = NameMap::default();
        let p = phone("192.0.2.100", vec![0, 1, 2, 3]);
        register(&ctx(&facts, &p, &names, 40), None)
    };
    let r = judge("403 Forbidden");
    assert_eq!(r.status, Status::Pass, "{}", r.summary);
    assert!(
        r.summary
            .ends_with("; its de-registration (Expires 0, #3) was refused: 403 Forbidden (#4)"),
        "{}",
        r.summary
    );
    // Its challenge is the normal digest step, not a refusal.
    let r = judge("401 Unauthorized");
    assert!(!r.summary.contains("refused"), "{}", r.summary);
    // Accepted: de-registered.
    let r = judge("200 OK");
    assert!(
        r.summary.contains("then de-registered (Expires 0, #3)"),
        "{}",
        r.summary
    );
}
