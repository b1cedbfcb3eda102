use super::answer::answer_of;
use super::matching::Replies;
use super::origin::Lease;
use super::*;
use crate::fact::IcmpUnreach;
use crate::packet::UnreachKind;
use crate::proto::dns::{DnsMessage, DnsRecord, RData};

const PHONE: &str = "192.0.2.100:40000";
const SERVER: &str = "192.0.2.53:53";

fn fact(frame: u64, src: &str, dst: &str, body: Body) -> Fact {
    crate::verdict::test_support::fact(frame, frame as i64, src, dst, body)
}

fn dns(frame: u64, id: u16, response: bool, malformed: bool) -> Fact {
    let (src, dst) = if response {
        (SERVER, PHONE)
    } else {
        (PHONE, SERVER)
    };
    let m = DnsMessage {
        bare_noerror: false,
        id,
        response,
        opcode: 0,
        rcode: 0,
        tc: false,
        edns: false,
        referral: false,
        questions: Vec::new(),
        answers: Vec::new(),
        additionals: Vec::new(),
        malformed: malformed.then(|| "pointer loop".to_string()),
        cut: None,
    };
    fact(frame, src, dst, Body::Dns(m))
}

fn unreachable(frame: u64) -> Fact {
    let u = IcmpUnreach {
        kind: UnreachKind::Port,
        code: 3,
        orig_proto: 17,
        orig_src: PHONE.parse().unwrap(),
        orig_dst: SERVER.parse().unwrap(),
        mtu: None,
    };
    fact(frame, "192.0.2.53:0", "192.0.2.100:0", Body::Icmp(u))
}

/// The frame that answers the query at position 0.
fn answer(facts: &[Fact]) -> Option<u64> {
    let own: Vec<&Fact> = facts.iter().collect();
    let Body::Dns(q) = &own[0].body else {
        panic!("query first")
    };
    Replies::index(&own).to(0, q.id, own[0]).map(|f| f.frame)
}

#[test]
fn queries_match_their_answers_as_a_forward_scan_would() {
    let q = dns(1, 7, false, false);
    // The first well-formed response with the same id, reversed endpoints.
    let facts = [q.clone(), dns(2, 8, true, false), dns(3, 7, true, false)];
    assert_eq!(answer(&facts), Some(3));
    // A malformed response first: the next well-formed one wins...
    let facts = [q.clone(), dns(2, 7, true, true), dns(3, 7, true, false)];
    assert_eq!(answer(&facts), Some(3));
    // ...or, with none, the last malformed one.
    let facts = [q.clone(), dns(2, 7, true, true), dns(3, 7, true, true)];
    assert_eq!(answer(&facts), Some(3));
    // An unreachable before any response answers; after one, it does not.
    let facts = [q.clone(), unreachable(2), dns(3, 7, true, false)];
    assert_eq!(answer(&facts), Some(2));
    let facts = [q.clone(), dns(2, 7, true, true), unreachable(3)];
    assert_eq!(answer(&facts), Some(2));
    // Nothing later: no answer (a response before the query is not one).
    assert_eq!(answer(std::slice::from_ref(&q)), None);
    let own = [dns(1, 7, true, false), q];
    let refs: Vec<&Fact> = own.iter().collect();
    assert_eq!(Replies::index(&refs).to(1, 7, refs[1]), None);
}

fn attempt<'a>(query: &'a Fact, answer: Answer, answer_fact: Option<&'a Fact>) -> Attempt<'a> {
    Attempt {
        query,
        name: "_sips._tcp.sbc.example.com".into(),
        qtype: 33,
        answer,
        answer_fact,
        fewer_answers: false,
        others: Default::default(),
    }
}

#[test]
fn an_answer_from_another_address_than_asked_is_named_not_ignored() {
    let question = crate::proto::dns::DnsQuestion {
        name: "activate.cisco.com".into(),
        qtype: 1,
    };
    let with_question = |mut f: Fact, src: &str, dst: &str| {
        if let Body::Dns(m) = &mut f.body {
            m.questions = vec![question.clone()];
        }
        (f.src, f.dst) = (src.parse().unwrap(), dst.parse().unwrap());
        f
    };
    const OTHER: &str = "192.0.2.54:53";
    let q = with_question(dns(1, 7, false, false), PHONE, SERVER);
    let r = with_question(dns(2, 7, true, false), OTHER, PHONE);
    let own = [q.clone(), r.clone()];
    let refs: Vec<&Fact> = own.iter().collect();
    let replies = Replies::index(&refs);
    assert_eq!(replies.to(0, 7, &q), None);
    assert_eq!(
        replies
            .stray(0, 7, &q, "activate.cisco.com")
            .map(|f| f.frame),
        Some(2)
    );
    assert_eq!(replies.stray(0, 7, &q, "cisco.sipflash.com"), None);
    // The phone asked that other server too, with the same id: its answer
    // is to its own query.
    let q2 = with_question(dns(1, 7, false, false), PHONE, OTHER);
    let own = [q.clone(), q2, r];
    let refs: Vec<&Fact> = own.iter().collect();
    assert_eq!(
        Replies::index(&refs).stray(0, 7, &q, "activate.cisco.com"),
        None
    );
}

#[test]
fn null_and_loopback_answers_are_a_blocked_name() {
    let Body::Dns(mut m) = dns(2, 7, true, false).body else {
        unreachable!()
    };
    let a = |addr: &str| crate::proto::dns::DnsRecord {
        name: "activate.cisco.com".into(),
        ttl: 60,
        data: RData::A {
            addr: addr.parse().unwrap(),
        },
    };
    m.answers = vec![a("0.0.0.0")];
    assert_eq!(
        answer_of(&m, "activate.cisco.com", 1),
        Answer::Blocked("0.0.0.0".into())
    );
    m.answers = vec![a("127.0.0.1")];
    assert_eq!(
        answer_of(&m, "activate.cisco.com", 1),
        Answer::Blocked("127.0.0.1".into())
    );
    m.answers = vec![a("0.0.0.0"), a("198.51.100.10")];
    assert!(matches!(
        answer_of(&m, "activate.cisco.com", 1),
        Answer::Records(_)
    ));
}

#[test]
fn an_srv_target_of_root_alone_says_the_service_is_not_offered() {
    let Body::Dns(mut m) = dns(2, 7, true, false).body else {
        unreachable!()
    };
    let srv = |target: &str| crate::proto::dns::DnsRecord {
        name: "_sips._tcp.sbc.example.com".into(),
        ttl: 60,
        data: RData::Srv {
            priority: 0,
            weight: 0,
            port: 1,
            target: target.into(),
        },
    };
    m.answers = vec![srv("")];
    assert_eq!(
        answer_of(&m, "_sips._tcp.sbc.example.com", 33),
        Answer::NoService
    );
    // A "." beside real targets is one record among others (RFC 2782
    // gives it meaning only alone).
    m.answers = vec![srv(""), srv("sbc1.example.com")];
    let both = answer_of(&m, "_sips._tcp.sbc.example.com", 33);
    assert!(matches!(both, Answer::Records(r) if r.len() == 2));
    let (q, r) = (dns(1, 7, false, false), dns(2, 7, true, false));
    let none = attempt(&q, Answer::NoService, Some(&r));
    let result = stage(
        Stage::DnsSrv,
        &[&none],
        "the SRV",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(result.status, Status::Fail);
    assert!(result.advice.unwrap_or_default().contains("not offered"));
}

#[test]
fn a_truncated_answer_waits_for_the_retry_over_tcp() {
    let Body::Dns(mut m) = dns(2, 7, true, false).body else {
        unreachable!()
    };
    m.tc = true;
    assert!(matches!(
        answer_of(&m, "_sips._tcp.sbc.example.com", 33),
        Answer::Truncated(0)
    ));
    let (q, r) = (dns(1, 7, false, false), dns(2, 7, true, false));
    let (q2, r2) = (dns(3, 8, false, false), dns(4, 8, true, false));
    let tc = attempt(&q, Answer::Truncated(3), Some(&r));
    // Alone: what the phone got is partial; the advice is about TCP.
    let alone = stage(
        Stage::DnsSrv,
        &[&tc],
        "the SRV",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(alone.status, Status::Warn);
    assert!(alone.advice.as_deref().unwrap_or("").contains("over TCP"));
    // The full answer over TCP decides, and the TC answer stays as evidence.
    let records = vec!["sbc1.example.com:8934 (prio 10 weight 60)".to_string()];
    let full = attempt(&q2, Answer::Records(records), Some(&r2));
    let both = stage(
        Stage::DnsSrv,
        &[&tc, &full],
        "the SRV",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(both.status, Status::Pass);
    assert!(both
        .evidence
        .iter()
        .any(|e| e.text.contains("(TC, 3 records)")));
}

#[test]
fn an_aaaa_failure_decides_nothing_once_a_was_asked() {
    let facts: Vec<Fact> = (1..=8)
        .map(|n| dns(n, n as u16, n % 2 == 0, false))
        .collect();
    let at = |n: usize, qtype: u16, answer: Answer| Attempt {
        qtype,
        name: "activate.cisco.com".into(),
        ..attempt(&facts[n], answer, Some(&facts[n + 1]))
    };
    let servfail = || Answer::Error("SERVFAIL".into());
    // Two servers in option 6: the first fails both, the second answers
    // A and has no AAAA (NOERROR, no data).
    let a1 = at(0, 1, servfail());
    let a2 = at(2, 1, Answer::Records(vec!["198.51.100.10".into()]));
    let q1 = at(4, 28, servfail());
    let q2 = at(6, 28, Answer::NoData);
    let s = stage(
        Stage::DnsActivation,
        &[&a1, &a2, &q1, &q2],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Warn, "{}", s.summary);
    assert!(s.summary.starts_with("activate.cisco.com A 198.51.100.10"));
    // Without the A answer, the A failure decides.
    let s = stage(
        Stage::DnsActivation,
        &[&a1, &q1, &q2],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Fail);
    // An IPv6-only phone asks AAAA alone: its failure decides.
    let s = stage(
        Stage::DnsActivation,
        &[&q1],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Fail);
}

#[test]
fn a_failure_followed_by_an_answer_the_snaplen_cut_is_cant_tell() {
    let facts: Vec<Fact> = (1..=4)
        .map(|n| dns(n, n as u16, n % 2 == 0, false))
        .collect();
    let at = |n: usize, answer: Answer| Attempt {
        qtype: 1,
        name: "activate.cisco.com".into(),
        ..attempt(&facts[n], answer, Some(&facts[n + 1]))
    };
    let nx = at(0, Answer::Error("NXDOMAIN".into()));
    let cut = at(2, Answer::CutShort);
    let s = stage(
        Stage::DnsActivation,
        &[&nx, &cut],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::NotSeen, "{}", s.summary);
    assert!(s.summary.contains("can't tell (after"), "{}", s.summary);
    // The cut answer before the failure changes nothing.
    let s = stage(
        Stage::DnsActivation,
        &[&cut, &at(2, Answer::Error("NXDOMAIN".into()))],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Fail, "{}", s.summary);
}

#[test]
fn an_ipv6_only_phone_lives_by_its_aaaa_answers() {
    let facts: Vec<Fact> = (1..=4)
        .map(|n| dns(n, n as u16, n % 2 == 0, false))
        .collect();
    let at = |n: usize, qtype: u16, answer: Answer| Attempt {
        qtype,
        name: "activate.cisco.com".into(),
        ..attempt(&facts[n], answer, Some(&facts[n + 1]))
    };
    let a = at(0, 1, Answer::Records(vec!["198.51.100.10".into()]));
    let aaaa = at(2, 28, Answer::Records(vec!["2001:db8:100::10".into()]));
    // Both answered: the summary quotes the record of the phone's family.
    let s = stage(
        Stage::DnsActivation,
        &[&a, &aaaa],
        "x",
        Family::V6Only,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Pass);
    assert!(
        s.summary.ends_with("AAAA 2001:db8:100::10"),
        "{}",
        s.summary
    );
    let s = stage(
        Stage::DnsActivation,
        &[&a, &aaaa],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert!(s.summary.ends_with("A 198.51.100.10"), "{}", s.summary);
    // No AAAA record: an IPv6-only phone cannot use the A answer.
    let none = at(2, 28, Answer::NoData);
    let s = stage(
        Stage::DnsActivation,
        &[&a, &none],
        "x",
        Family::V6Only,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Fail, "{}", s.summary);
    assert!(s.summary.contains("AAAA: no records"), "{}", s.summary);
    // An A failure decides nothing for it once AAAA was answered.
    let nx = at(0, 1, Answer::Error("NXDOMAIN".into()));
    let s = stage(
        Stage::DnsActivation,
        &[&nx, &aaaa],
        "x",
        Family::V6Only,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Pass, "{}", s.summary);
}

/// A query for activate.cisco.com A (or its answer, 198.51.100.10) between
/// the phone's port `port` and `server`, at `secs`.
fn activation(frame: u64, secs: i64, port: u16, server: &str, response: bool) -> Fact {
    let phone = format!("192.0.2.100:{port}");
    let (src, dst) = match response {
        true => (server, phone.as_str()),
        false => (phone.as_str(), server),
    };
    let name = "activate.cisco.com".to_string();
    let answers = match response {
        true => vec![DnsRecord {
            name: name.clone(),
            ttl: 60,
            data: RData::A {
                addr: "198.51.100.10".parse().unwrap(),
            },
        }],
        false => Vec::new(),
    };
    let m = DnsMessage {
        bare_noerror: false,
        id: port,
        response,
        opcode: 0,
        rcode: 0,
        tc: false,
        edns: false,
        referral: false,
        questions: vec![crate::proto::dns::DnsQuestion { name, qtype: 1 }],
        answers,
        additionals: Vec::new(),
        malformed: None,
        cut: None,
    };
    crate::verdict::test_support::fact(frame, secs, src, dst, Body::Dns(m))
}

/// The phone's ICMP port unreachable for an answer from `server` to `port`.
fn refusal(frame: u64, secs: i64, port: u16, server: &str) -> Fact {
    let u = IcmpUnreach {
        kind: UnreachKind::Port,
        code: 3,
        orig_proto: 17,
        orig_src: server.parse().unwrap(),
        orig_dst: format!("192.0.2.100:{port}").parse().unwrap(),
        mtu: None,
    };
    let to = format!("{}:0", &server[..server.len() - 3]);
    crate::verdict::test_support::fact(frame, secs, "192.0.2.100:0", &to, Body::Icmp(u))
}

#[test]
fn an_answer_refused_after_the_phone_gave_up_fails_unless_another_answered_together() {
    let (s1, s2) = ("192.0.2.53:53", "192.0.2.54:53");
    let judge = |facts: &[Fact]| {
        let names = crate::phone::names::NameMap::default();
        let p = crate::verdict::test_support::phone("192.0.2.100", (0..facts.len()).collect());
        let ctx = crate::verdict::test_support::ctx(facts, &p, &names, 30);
        judge_all(&ctx).activation
    };
    // Every answer late and refused: no address reached the phone.
    let late = [
        activation(1, 0, 40000, s1, false),
        activation(2, 3, 40000, s1, true),
        refusal(3, 3, 40000, s1),
    ];
    let r = judge(&late);
    assert_eq!(r.status, Status::Fail, "{}", r.summary);
    assert!(
        r.summary.contains("came 3.0 s after the query"),
        "{}",
        r.summary
    );
    assert!(r.advice.unwrap_or_default().contains("too slowly"));
    // The same question to two servers at once: the slower one's answer
    // comes after the phone is done with it, and that is no failure.
    let parallel = [
        activation(1, 0, 40000, s1, false),
        activation(2, 0, 40001, s2, false),
        activation(3, 0, 40000, s1, true),
        activation(4, 1, 40001, s2, true),
        refusal(5, 1, 40001, s2),
    ];
    assert_eq!(judge(&parallel).status, Status::Pass);
    // A retry after a wait, answered before the first query's late answer:
    // the first one timed out (warn, recovered).
    let retry = [
        activation(1, 0, 40000, s1, false),
        activation(2, 2, 40001, s1, false),
        activation(3, 2, 40001, s1, true),
        activation(4, 3, 40000, s1, true),
        refusal(5, 3, 40000, s1),
    ];
    let r = judge(&retry);
    assert_eq!(r.status, Status::Warn, "{}", r.summary);
}

#[test]
fn records_count_only_for_the_name_asked_and_its_cname_chain() {
    let Body::Dns(mut m) = dns(2, 7, true, false).body else {
        unreachable!()
    };
    let rec = |name: &str, data: RData| crate::proto::dns::DnsRecord {
        name: name.into(),
        ttl: 60,
        data,
    };
    let a = |addr: &str| RData::A {
        addr: addr.parse().unwrap(),
    };
    let cname = |t: &str| RData::Cname { target: t.into() };
    // Another name's address alone: no answer for the phone.
    m.answers = vec![rec("printer.example.net", a("203.0.113.66"))];
    let got = answer_of(&m, "activate.cisco.com", 1);
    assert!(
        matches!(&got, Answer::Mismatched(w) if w.contains("printer.example.net")),
        "{got:?}"
    );
    // A CNAME chain in any order reaches its address; a stray one is left.
    m.answers = vec![
        rec("edge.example.net", a("198.51.100.10")),
        rec("printer.example.net", a("203.0.113.66")),
        rec("mid.example.net", cname("edge.example.net")),
        rec("Activate.Cisco.com", cname("mid.example.net.")),
    ];
    assert_eq!(
        answer_of(&m, "activate.cisco.com", 1),
        Answer::Records(vec!["198.51.100.10".into()])
    );
    // A CNAME loop ends.
    m.answers = vec![
        rec("activate.cisco.com", cname("a.example.net")),
        rec("a.example.net", cname("activate.cisco.com")),
    ];
    assert_eq!(answer_of(&m, "activate.cisco.com", 1), Answer::NoData);
}

#[test]
fn a_badcookie_asked_again_at_once_is_no_failure() {
    // Query, answer, the query again a second later, its answer.
    let facts = [
        dns(1, 1, false, false),
        dns(2, 1, true, false),
        dns(2, 2, false, false),
        dns(3, 2, true, false),
    ];
    let at = |n: usize, answer: Answer| Attempt {
        qtype: 1,
        name: "activate.cisco.com".into(),
        ..attempt(&facts[n], answer, Some(&facts[n + 1]))
    };
    let bad = || Answer::Error(crate::proto::dns::rcode_name(23));
    let ok = || Answer::Records(vec!["198.51.100.10".into()]);
    // The client asked again with the server's cookie (RFC 7873 5.3).
    let mut out = vec![at(0, bad()), at(2, ok())];
    super::matching::cookie_retried(&mut out);
    assert_eq!(out[0].answer, Answer::CookieRetried);
    let s = stage(
        Stage::DnsActivation,
        &[&out[0], &out[1]],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Pass, "{}", s.summary);
    // Not asked again: the BADCOOKIE is the answer, and named.
    let mut out = vec![at(0, bad())];
    super::matching::cookie_retried(&mut out);
    let s = stage(
        Stage::DnsActivation,
        &[&out[0]],
        "x",
        Family::V4,
        &[],
        Lease::from_seen(true),
    );
    assert_eq!(s.status, Status::Fail);
    assert!(s.summary.contains("BADCOOKIE"), "{}", s.summary);
}

#[test]
fn the_primary_name_leads_and_the_same_is_said_only_of_the_same_cause() {
    let facts: Vec<Fact> = (1..=8)
        .map(|n| dns(n, n as u16, n % 2 == 0, false))
        .collect();
    let at = |n: usize, name: &str, qtype: u16, rc: &str| Attempt {
        qtype,
        name: name.into(),
        ..attempt(&facts[n], Answer::Error(rc.into()), Some(&facts[n + 1]))
    };
    let judged = |attempts: &[&Attempt<'_>]| {
        let s = stage(
            Stage::DnsActivation,
            attempts,
            "x",
            Family::V4,
            &[],
            super::origin::Lease::from_seen(true),
        );
        (s.summary, s.advice.unwrap_or_default())
    };
    // activate.cisco.com asked first, its older name last: it leads, by its A.
    let a = at(0, "activate.cisco.com", 1, "SERVFAIL");
    let aaaa = at(2, "activate.cisco.com", 28, "SERVFAIL");
    let w = at(4, "webapps.cisco.com", 1, "SERVFAIL");
    let (summary, advice) = judged(&[&a, &aaaa, &w]);
    assert!(
        summary.starts_with("activate.cisco.com A: SERVFAIL"),
        "{summary}"
    );
    assert!(!summary.contains("AAAA"), "{summary}");
    assert!(
        advice.ends_with("(the same for webapps.cisco.com)"),
        "{advice}"
    );
    // Another cause for the older name: said as such, not "the same".
    let w = at(4, "webapps.cisco.com", 1, "REFUSED");
    let (summary, advice) = judged(&[&a, &aaaa, &w]);
    assert!(
        summary.starts_with("activate.cisco.com A: SERVFAIL"),
        "{summary}"
    );
    assert!(!advice.contains("the same"), "{advice}");
    assert!(advice.contains("webapps.cisco.com (A: REFUSED"), "{advice}");
    assert!(advice.ends_with("fails for another cause"), "{advice}");
}
