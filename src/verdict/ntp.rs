//! Stage `ntp` (supporting): a client request from the phone answered by a
//! server. Without a good clock certificate checks fail, so other stages ask
//! this one.

use super::dhcp::trim;
use super::{ev, Ctx, Stage, StageResult, Status};
use crate::fact::Body;
use crate::text::plural;

pub fn ntp(ctx: &Ctx<'_>) -> StageResult {
    let mut evidence = Vec::new();
    let mut requests = Vec::new();
    let mut answered = 0usize;
    let mut unreachable = None;
    for f in ctx.own() {
        match &f.body {
            Body::Ntp(n) if n.mode == 3 && ctx.is_phone(&f.src_ip()) => {
                evidence.push(ev(f, format!("NTP request to {}", f.dst_ip())));
                requests.push(f);
            }
            Body::Ntp(n) if n.mode == 4 && ctx.is_phone(&f.dst_ip()) => {
                evidence.push(ev(
                    f,
                    format!("NTP reply from {} (stratum {})", f.src_ip(), n.stratum),
                ));
                answered += 1;
            }
            Body::Icmp(u) if u.orig_dst.port() == 123 && ctx.is_phone(&u.orig_src.ip()) => {
                evidence.push(ev(f, format!("ICMP {} for NTP", u.kind.words())));
                unreachable = Some((u.orig_dst.ip(), u.kind));
            }
            _ => {}
        }
    }
    trim(&mut evidence);
    if answered > 0 {
        let s = format!(
            "{} to {}",
            plural(answered, "NTP reply", "NTP replies"),
            plural(requests.len(), "request", "requests")
        );
        return StageResult::new(Stage::Ntp, Status::Pass, s).evidence(evidence);
    }
    let Some(last) = requests.last() else {
        return StageResult::not_seen(Stage::Ntp, "no NTP exchange seen").evidence(evidence);
    };
    if unreachable.is_none() && ctx.secs_left(&last.ts) < 1.0 && requests.len() == 1 {
        let s = "NTP request at the end of the capture, no reply yet";
        return StageResult::not_seen(Stage::Ntp, s).evidence(evidence);
    }
    let requests = plural(requests.len(), "NTP request", "NTP requests");
    let (summary, advice) = match unreachable {
        // ICMP says why: the host is there, nothing serves NTP (or a filter rejects it).
        Some((server, kind)) => (
            format!("{requests} to {server}, answered by ICMP {}", kind.words()),
            format!(
                "{server} answers NTP with ICMP {}: no NTP service there (or a filter \
                 rejecting it): point DHCP option 42 at a working NTP server; without a correct \
                 clock the phone rejects valid certificates",
                kind.words()
            ),
        ),
        None => {
            let server = last.dst_ip();
            (
                format!("{requests} to {server}, no reply"),
                format!(
                    "NTP server {server} does not answer: fix DHCP option 42 or open UDP 123; \
                     without a correct clock the phone rejects valid certificates"
                ),
            )
        }
    };
    StageResult::new(Stage::Ntp, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fact::IcmpUnreach;
    use crate::packet::UnreachKind;
    use crate::phone::names::NameMap;
    use crate::proto::ntp::NtpPacket;
    use crate::verdict::test_support::{ctx, fact, phone};

    const PHONE: &str = "192.0.2.101:123";
    const SERVER: &str = "203.0.113.123:123";

    fn judge(facts: &[crate::fact::Fact]) -> StageResult {
        let p = phone("192.0.2.101", (0..facts.len()).collect());
        let names = NameMap::default();
        ntp(&ctx(facts, &p, &names, 600))
    }

    #[test]
    fn an_icmp_answer_says_nothing_serves_ntp_there() {
        let request = Body::Ntp(NtpPacket {
            leap: 0,
            version: 4,
            mode: 3,
            stratum: 0,
            reference_id: [0; 4],
            transmit: 0,
        });
        let icmp = Body::Icmp(IcmpUnreach {
            kind: UnreachKind::Port,
            code: 3,
            orig_proto: 17,
            orig_src: PHONE.parse().unwrap(),
            orig_dst: SERVER.parse().unwrap(),
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
}
