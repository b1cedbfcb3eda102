//! A renewal the server refused (a NAK to a REQUEST with `ciaddr` set,
//! RFC 2131 4.4.5): the phone must drop the address it was using and start
//! over, its registration going with it. Found on its own transaction or on
//! the boot's (clients that renew with their first id); said as the news
//! of the lease, with a refusal from another server than the one that
//! leased named as a second DHCP server.

use super::{NAK, PENDING_SECS, REQUEST};
use crate::fact::Fact;
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::{Ctx, Stage, StageResult, Status};

/// Advice for a renewal the server refused.
pub(super) const RENEWAL_NAK_ADVICE: &str =
    "the DHCP server no longer honours the lease the phone was \
    using (its registration went with the address): check this MAC's reservation and the \
    scope, whether the server lost its lease database (a restart), or a second or failover \
    server that disagrees";

/// The lease's result when the server refused (`nak`) the renewal of
/// `addr` after the last ACK: the refusal is the news (warn while a new
/// lease may still come, fail when the phone had the time and got none);
/// a failure after it (no server answering the new DISCOVERs) stays, said
/// with it.
/// `second`: the server that refused and the one that had leased, when
/// they differ.
pub(super) fn after_renewal_nak(
    ctx: &Ctx<'_>,
    result: StageResult,
    from_nak: bool,
    (nak, addr): (&Fact, std::net::Ipv4Addr),
    second: Option<(String, String)>,
) -> StageResult {
    let (refused, advice) = match &second {
        Some((by, leased)) => (
            format!(
                "{by} refused (NAK, #{}) the renewal of {addr}, which {leased} had leased (a \
                 second DHCP server)",
                nak.frame
            ),
            format!(
                "two DHCP servers answer on the voice VLAN ({leased} leased {addr}, {by} \
                 refused it): keep the one that should serve the phones and stop the other \
                 (or its relay)"
            ),
        ),
        None => (
            format!(
                "the server refused (NAK, #{}) the renewal of {addr}",
                nak.frame
            ),
            RENEWAL_NAK_ADVICE.to_string(),
        ),
    };
    if from_nak || result.status == Status::NotSeen {
        let waited = ctx.secs_left(&nak.ts) >= PENDING_SECS;
        let (status, then) = match (waited, result.status) {
            (true, Status::Fail) => (Status::Fail, "and got no new lease in the capture"),
            _ => (
                Status::Warn,
                "and asks for a new lease, which the capture ends before",
            ),
        };
        let summary = format!("{refused}: the phone dropped the address it was using {then}");
        return StageResult::new(Stage::Dhcp, status, summary).advice(advice);
    }
    let mut result = result;
    result.summary = format!("{refused}; then {}", result.summary);
    result
}

/// The last NAK that answered a renewal (a REQUEST with `ciaddr` set, in
/// the same transaction) in `msgs`, and the address being renewed.
pub(super) fn renewal_nak<'a>(
    msgs: &[(&'a Fact, &'a DhcpMessage)],
) -> Option<(&'a Fact, std::net::Ipv4Addr)> {
    msgs.iter().rev().find_map(|(f, m)| {
        if m.op != 2 || m.message_type != Some(NAK) {
            return None;
        }
        let renewed = msgs.iter().find_map(|(r, q)| {
            let renewal = q.op == 1
                && q.message_type == Some(REQUEST)
                && q.xid == m.xid
                && r.frame < f.frame
                && !q.ciaddr.is_unspecified();
            renewal.then_some(q.ciaddr)
        })?;
        Some((*f, renewed))
    })
}
