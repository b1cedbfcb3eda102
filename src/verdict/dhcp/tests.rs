//! Unit tests of the lease and options rules on hand-built exchanges.

use std::net::Ipv4Addr;

use super::{lease, options, ACK, DISCOVER, OFFER, REQUEST};
use crate::fact::{Body, Fact};
use crate::phone::names::NameMap;
use crate::proto::dhcp::{DhcpMessage, DhcpOption};
use crate::verdict::test_support::{ctx, fact, phone};
use crate::verdict::Status;

const MAC: [u8; 6] = [0x00, 0x1e, 0x7a, 0xaa, 0x00, 0x01];

/// A DHCP message of the phone's (`op` 1) or to it (`op` 2).
fn msg(op: u8, kind: u8, xid: u32, options: &[(u8, &[u8])]) -> DhcpMessage {
    let mut all = vec![DhcpOption {
        code: 53,
        data: vec![kind],
    }];
    all.extend(options.iter().map(|(code, data)| DhcpOption {
        code: *code,
        data: data.to_vec(),
    }));
    DhcpMessage {
        op,
        htype: 1,
        hlen: 6,
        xid,
        chaddr: MAC,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: match op {
            2 => Ipv4Addr::new(192, 0, 2, 100),
            _ => Ipv4Addr::UNSPECIFIED,
        },
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        sname: None,
        file: None,
        message_type: Some(kind),
        options: all,
        anomalies: Vec::new(),
    }
}

/// Facts of one exchange at `secs`: the phone's DISCOVER and REQUEST
/// (option 55 `prl`), the server's OFFER and ACK (with `offered`).
fn exchange(first: u64, secs: i64, xid: u32, prl: &[u8], offered: &[(u8, &[u8])]) -> Vec<Fact> {
    let id: &[u8] = &[192, 0, 2, 1];
    let mut reply = offered.to_vec();
    reply.push((54, id));
    let asks = [(55u8, prl)];
    let (phone, server) = ("0.0.0.0:68", "192.0.2.1:67");
    let body = |m: DhcpMessage| Body::Dhcp(m);
    vec![
        fact(
            first,
            secs,
            phone,
            "255.255.255.255:67",
            body(msg(1, DISCOVER, xid, &asks)),
        ),
        fact(
            first + 1,
            secs,
            server,
            "192.0.2.100:68",
            body(msg(2, OFFER, xid, &reply)),
        ),
        fact(
            first + 2,
            secs,
            phone,
            "255.255.255.255:67",
            body(msg(1, REQUEST, xid, &asks)),
        ),
        fact(
            first + 3,
            secs,
            server,
            "192.0.2.100:68",
            body(msg(2, ACK, xid, &reply)),
        ),
    ]
}

fn judged(
    facts: &[Fact],
    end: i64,
    start: Option<u64>,
) -> (super::StageResult, super::StageResult) {
    let mut p = phone("192.0.2.100", (0..facts.len()).collect());
    p.mac = Some(MAC);
    let names = NameMap::default();
    let c = ctx(facts, &p, &names, end);
    (lease(&c), options(&c, start))
}

#[test]
fn a_clean_last_lease_counts_only_where_the_phone_asked_for_the_option() {
    let tftp: &[u8] = &[192, 0, 2, 10];
    let phone_prl: &[u8] = &[1, 3, 6, 150];
    let mut facts = exchange(1, 0, 1, phone_prl, &[(150, tftp)]);
    // The last boot asks without 150 and gets none: nothing said of 150.
    facts.extend(exchange(5, 60, 2, &[1, 3, 6], &[]));
    let (_, o) = judged(&facts, 70, Some(5));
    assert_eq!(o.status, Status::Fail, "{}", o.summary);
    // Asked for 150 and got none: the scope no longer offers it.
    let mut facts = exchange(1, 0, 1, phone_prl, &[(150, tftp)]);
    facts.extend(exchange(5, 60, 2, phone_prl, &[]));
    let (_, o) = judged(&facts, 70, Some(5));
    assert_eq!(o.status, Status::Warn, "{}", o.summary);
}

#[test]
fn an_exchange_begun_at_the_capture_end_after_a_lease_leaves_the_lease_judged() {
    let (router, dns): (&[u8], &[u8]) = (&[192, 0, 2, 1], &[192, 0, 2, 53]);
    let mut facts = exchange(1, 0, 1, &[1, 3, 6], &[(3, router), (6, dns)]);
    let discover = msg(1, DISCOVER, 2, &[]);
    facts.push(fact(
        5,
        30,
        "0.0.0.0:68",
        "255.255.255.255:67",
        Body::Dhcp(discover),
    ));
    // Two seconds before the end: under way, the ACK is the lease.
    let (l, _) = judged(&facts, 32, None);
    assert_eq!(l.status, Status::Pass, "{}", l.summary);
    assert!(l
        .summary
        .ends_with("then a new DISCOVER at the capture's end (#5), no answer yet"));
    // Thirty seconds before the end: unanswered, a failure.
    let (l, _) = judged(&facts, 60, None);
    assert_eq!(l.status, Status::Fail, "{}", l.summary);
}
