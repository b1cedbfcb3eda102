//! DHCP messages of the phone refused by an ICMP error (DOMAIN.md: an ICMP
//! unreachable answering a phone's packet is that exchange's outcome). A
//! renewal goes by unicast to the server that leased (RFC 2131 4.4.5,
//! RENEWING): a port unreachable from its host says the host is up and its
//! DHCP service is not. Said on the lease that came after the refusals (a
//! rebinding another server answered), or as the news of the lease when
//! none came: a warn while the lease still runs, a fail once it ran out.

use super::{dhcp_refusal, server_of, ACK, REQUEST};
use crate::fact::{Body, Fact};
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::{ev, Ctx, Stage, StageResult, Status};

/// At most this many refusals named by frame.
const LISTED: usize = 4;

/// The ICMP errors refusing the phone's DHCP messages after frame `after`
/// and before `until`, all from one server's host: the first one's.
pub(super) struct Refusals<'a> {
    pub icmp: Vec<&'a Fact>,
    /// The address the phone sent to (the server's).
    pub server: std::net::IpAddr,
    /// The ICMP error's words ("port unreachable").
    pub words: &'static str,
}

impl Refusals<'_> {
    /// "192.0.2.1 refused 2 REQUESTs with ICMP port unreachable at #16, #18"
    pub fn text(&self) -> String {
        let frames: Vec<String> = (self.icmp.iter().take(LISTED))
            .map(|f| format!("#{}", f.frame))
            .collect();
        let more = match self.icmp.len() > LISTED {
            true => ", ...",
            false => "",
        };
        format!(
            "{} refused {} with ICMP {} at {}{more}",
            self.server,
            crate::text::plural(self.icmp.len(), "REQUEST", "REQUESTs"),
            self.words,
            frames.join(", ")
        )
    }
}

impl Refusals<'_> {
    /// Evidence words for one refusal.
    pub fn evidence_text(&self, f: &Fact) -> String {
        format!(
            "ICMP {} from {} refusing the REQUEST to {}:67",
            self.words,
            f.src_ip(),
            self.server
        )
    }
}

/// The refusals of the phone's DHCP REQUESTs between frames `after` and
/// `until` (exclusive), if any: ICMP errors about a datagram to a server's
/// port 67 whose last DHCP message from the phone to that address was a
/// REQUEST (a RELEASE or an INFORM refused is no renewal).
pub(super) fn refusals<'a>(ctx: &Ctx<'a>, after: u64, until: Option<u64>) -> Option<Refusals<'a>> {
    let mut sent: Option<(std::net::IpAddr, Option<u8>)> = None;
    let mut icmp: Vec<&Fact> = Vec::new();
    for f in ctx.own() {
        match &f.body {
            Body::Dhcp(m) if m.op == 1 => sent = Some((f.dst_ip(), m.message_type)),
            Body::Icmp(u) if dhcp_refusal(ctx, f) => {
                let request = sent == Some((u.orig_dst.ip(), Some(REQUEST)));
                let within = f.frame > after && until.is_none_or(|u| f.frame < u);
                if request && within {
                    icmp.push(f);
                }
            }
            _ => {}
        }
    }
    let Body::Icmp(u) = &icmp.first()?.body else {
        return None;
    };
    let (server, words) = (u.orig_dst.ip(), u.kind.words());
    let icmp = (icmp.into_iter())
        .filter(|f| matches!(&f.body, Body::Icmp(v) if v.orig_dst.ip() == server))
        .collect();
    Some(Refusals {
        icmp,
        server,
        words,
    })
}

/// The lease's result when the phone's DHCP messages after its last ACK
/// were refused by ICMP errors and no ACK came since: the DHCP service on
/// the server it renews with is down. `None` when nothing was refused.
pub(super) fn after_lease(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    result: &StageResult,
) -> Option<StageResult> {
    let (ack, m) = (msgs.iter().rev())
        .find(|(_, m)| m.op == 2 && m.message_type == Some(ACK))
        .copied()?;
    let refused = refusals(ctx, ack.frame, None)?;
    let server = refused.server;
    let leased_by = server_of(ack, m);
    let from = match leased_by == server.to_string() {
        true => String::new(),
        false => format!(" (the lease came from {leased_by})"),
    };
    let left = m
        .lease_time()
        .map(|secs| f64::from(secs) - ack.ts.secs_until(&ctx.end.unwrap_or(ack.ts)));
    let service = format!("its DHCP service is down{from}");
    let (status, summary, then) = match left {
        Some(left) if left <= 0.0 => (
            Status::Fail,
            format!(
                "the lease of {} ran out ({} s, ACK #{}) with no renewal: {}: {service}",
                m.yiaddr,
                m.lease_time().unwrap_or_default(),
                ack.frame,
                refused.text()
            ),
            "the phone lost its address when the lease ran out",
        ),
        _ => (
            Status::Warn,
            format!(
                "{}; then {}: {service}{}",
                super::describe(ack, m),
                refused.text(),
                match left {
                    Some(left) => format!("; the lease runs {left:.0} s past the capture's end"),
                    None => String::new(),
                }
            ),
            "the phone loses its address when the lease runs out",
        ),
    };
    let advice = format!(
        "the DHCP service on {server} is down (its host answers the phone's renewals with \
         ICMP {}): restart it; {then}",
        refused.words
    );
    // The result's own evidence (beside the exchange's) stays.
    let mut evidence = result.evidence.clone();
    evidence.extend(refused.icmp.iter().map(|f| ev(f, refused.evidence_text(f))));
    Some(
        StageResult::new(Stage::Dhcp, status, summary)
            .advice(advice)
            .evidence(evidence),
    )
}
