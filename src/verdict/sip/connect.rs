//! The phone's TCP connections to the registrar's SIP ports (RFC 3261
//! section 19.1.2): those refused, unreachable or unanswered, before a
//! REGISTER or instead of one, and a registrar closing the connection
//! without a SIP answer.

use std::net::SocketAddr;

use super::transaction::Transaction;
use crate::fact::{Body, Fact, TcpAttempt};
use crate::verdict::{ev, Ctx, Evidence, Stage, StageResult, Status};

/// The registrar closed the TCP connection after the REGISTER without a
/// SIP answer. `no_length`: the REGISTER had no Content-Length, which
/// a message on a stream transport must carry (RFC 3261 18.3, 20.14).
pub(super) fn registrar_hung_up(
    last: &Transaction<'_>,
    close: &Fact,
    no_length: bool,
    mut evidence: Vec<Evidence>,
) -> StageResult {
    let to = last.request.dst;
    evidence.push(ev(
        close,
        "the registrar closed the connection, no SIP answer",
    ));
    let summary = format!(
        "the registrar at {to} closed the TCP connection after the REGISTER (#{}) without \
         answering",
        last.request.frame
    );
    let advice = match no_length {
        true => format!(
            "the phone's REGISTER over TCP has no Content-Length, which SIP over TCP requires \
             (RFC 3261 18.3): the registrar at {to} cannot frame it and hangs up; update the \
             phone's firmware (or whatever rewrites its SIP on the path)"
        ),
        false => format!(
            "the registrar at {to} drops the phone's connection on its REGISTER: its log tells \
             why (a message it cannot parse, a source it does not accept)"
        ),
    };
    StageResult::new(Stage::SipRegister, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

/// The phone's failed TCP connection to a SIP port before the REGISTER
/// `last` (a registrar refusing or dropping it, then another taking the
/// phone), in words.
pub(super) fn failed_connection_before(
    ctx: &Ctx<'_>,
    last: &Transaction<'_>,
) -> Option<(String, bool)> {
    use crate::fact::TcpResult;
    // Opened before the connection that carried the REGISTER: a failover;
    // opened beside it (another line's registrar): `true`, said apart.
    let opened = sip_connections(ctx)
        .find(|(f, _)| f.src == last.request.src && f.dst == last.request.dst)
        .map_or(last.request.frame, |(_, a)| a.first_syn_frame);
    let (f, a) = sip_connections(ctx).find(|(f, a)| f.frame < last.request.frame && failed(a))?;
    let text = match a.result {
        TcpResult::Refused => format!("TCP to {} refused, #{}", f.dst, f.frame),
        TcpResult::Unreachable => format!("TCP to {} unreachable, #{}", f.dst, f.frame),
        _ => format!("{} SYNs to {} unanswered, #{}", a.syns, f.dst, f.frame),
    };
    Some((text, a.first_syn_frame > opened))
}

/// The phone's TCP connection attempts to a SIP port, in frame order.
fn sip_connections<'a>(ctx: &'a Ctx<'a>) -> impl Iterator<Item = (&'a Fact, TcpAttempt)> + 'a {
    ctx.own()
        .filter(|f| ctx.is_phone(&f.src_ip()) && SIP_TCP_PORTS.contains(&f.dst.port()))
        .filter_map(|f| match &f.body {
            Body::Tcp { attempt, .. } => Some((f, *attempt)),
            _ => None,
        })
}

/// An attempt that failed: refused, unreachable, or SYNs re-sent and never
/// answered (a lone SYN may be the capture's end).
pub(super) fn failed(a: &TcpAttempt) -> bool {
    use crate::fact::TcpResult;
    match a.result {
        TcpResult::Refused | TcpResult::Unreachable => true,
        TcpResult::NoAnswer => a.syns >= 2,
        TcpResult::Established => false,
    }
}

/// TCP ports of SIP (RFC 3261 section 19.1.2): a phone that registers over
/// TCP or TLS connects there first.
const SIP_TCP_PORTS: [u16; 2] = [5060, 5061];

/// No REGISTER because the phone's TCP connection to a SIP port failed (its
/// last attempt there refused, unreachable, or unanswered SYNs re-sent): the
/// registrar is down or filtered. A lone SYN at the capture's end is no
/// answer *yet*. The registrar's address comes with the result.
pub(super) fn registrar_unreachable(ctx: &Ctx<'_>) -> Option<(SocketAddr, StageResult)> {
    use crate::fact::TcpResult;
    let (f, a) = sip_connections(ctx).last().filter(|(_, a)| failed(a))?;
    let to = f.dst;
    let (summary, why) = match a.result {
        TcpResult::Refused => (
            format!("TCP to the registrar {to} refused (RST)"),
            "refuses",
        ),
        TcpResult::Unreachable => {
            let kind = a.unreach.map_or("unreachable", |k| k.words());
            (
                format!("TCP to the registrar {to}: ICMP {kind}"),
                "cannot be reached on",
            )
        }
        _ => {
            let syns = crate::text::plural(a.syns as usize, "SYN", "SYNs");
            (
                format!("TCP to the registrar {to}: {syns}, no answer: dropped on the way"),
                "does not answer on",
            )
        }
    };
    let advice = format!(
        "the registrar {} {why} TCP port {}: check that it runs and listens there, and any \
         firewall between the phone and it",
        to.ip(),
        to.port()
    );
    let evidence = vec![ev(f, summary.clone())];
    let result = StageResult::new(Stage::SipRegister, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence);
    Some((to, result))
}
