//! The TCP outcome of one connection: SYN-ACK, RST, ICMP unreachable or
//! time exceeded, SYNs never answered, or a capture that ends while the
//! phone still waits.

use super::connection::Conn;
use super::Outcome;
use crate::fact::TcpResult;
use crate::packet::UnreachKind;
use crate::verdict::{ev, Ctx, Evidence, Status};

/// A client retransmits an unanswered SYN after about 1 s, then 3 s (RFC
/// 6298 section 2.1 and its doubling; older stacks start at 3 s): an attempt
/// that began closer than this to the end of the capture is still waiting,
/// not dropped.
const SYN_RETRY_SECS: f64 = 3.0;

/// The TCP attempt's failure, or None when the connection was established
/// (or its start was not captured). An attempt the capture ends on is
/// `not_seen`.
pub(super) fn tcp_outcome(
    ctx: &Ctx<'_>,
    c: &Conn<'_>,
    sbc: bool,
    web_ok: bool,
) -> Option<Outcome> {
    let (f, t) = c.tcp?;
    let to = c.server;
    let first = Evidence {
        frame: t.first_syn_frame,
        time: t.first_syn_ts,
        text: format!("SYN to {to}"),
    };
    let syns = if t.syns > 1 {
        format!("{} SYNs", t.syns)
    } else {
        "SYN".to_string()
    };
    if t.result == TcpResult::NoAnswer && ctx.secs_left(&t.first_syn_ts) < SYN_RETRY_SECS {
        return Some(Outcome {
            status: Status::NotSeen,
            summary: format!("{syns} to {to} at the end of the capture, no answer yet"),
            advice: None,
            evidence: vec![first],
            hidden: false,
        });
    }
    let port = to.port();
    let (summary, advice) = match t.result {
        TcpResult::Established => return None,
        TcpResult::NoAnswer => (
            format!("{syns} to {to}, no answer: dropped on the way"),
            if sbc && web_ok {
                format!(
                    "outbound TCP {port} to the Webex Calling SBC is dropped while HTTPS works: \
                     open the SIP-TLS signalling ports of the Webex Calling port reference"
                )
            } else {
                // The name the phone resolved for it says which service.
                let name = (ctx.names.names(&to.ip()).next())
                    .map_or(String::new(), |n| format!(" ({n})"));
                format!(
                    "outbound TCP {port} to {}{name} is dropped: allow it in the firewall (the \
                     Webex Calling port reference lists the hosts and ports phones need)",
                    to.ip()
                )
            },
        ),
        TcpResult::Refused => (
            format!("{syns} to {to} answered by RST: refused"),
            format!(
                "{} refuses TCP {port} (nothing listening, or a firewall rejecting it)",
                to.ip()
            ),
        ),
        TcpResult::Unreachable => (
            format!(
                "{syns} to {to} answered by ICMP {}",
                t.unreach
                    .map_or("destination unreachable", UnreachKind::words)
            ),
            match t.unreach {
                Some(UnreachKind::TtlExceeded) => format!(
                    "packets to {} circle between routers until their TTL (hop limit) runs out \
                     (ICMP time exceeded, #{}): fix the routing towards {} (a routing loop, \
                     often two default routes pointing at each other)",
                    to.ip(),
                    t.answer_frame,
                    to.ip()
                ),
                Some(UnreachKind::Net | UnreachKind::NoRoute) => format!(
                    "a router has no route to {} (ICMP {}, #{}): fix the routing towards it \
                     (for IPv6, the default route the router advertisement gives)",
                    to.ip(),
                    t.unreach.map_or("", UnreachKind::words),
                    t.answer_frame
                ),
                Some(UnreachKind::SourcePolicy) => format!(
                    "a router drops packets from the phone's address {} (ICMP source address \
                     failed ingress/egress policy, #{}): the phone's address or prefix is not \
                     one the network accepts; check the prefix it got (router advertisement, \
                     DHCPv6) and the source-address filter",
                    match c.first.dst == c.server {
                        true => c.first.src_ip(),
                        false => c.first.dst_ip(),
                    },
                    t.answer_frame
                ),
                _ => format!(
                    "a router or firewall rejects TCP {port} to {}: check its rules",
                    to.ip()
                ),
            },
        ),
    };
    let last = ev(f, summary.clone());
    let status = Status::Fail;
    Some(Outcome {
        status,
        summary,
        advice: Some(advice),
        evidence: vec![first, last],
        hidden: false,
    })
}

pub(super) fn connected(c: &Conn<'_>) -> Outcome {
    let evidence: Vec<Evidence> = match c.tcp {
        Some((f, t)) => vec![ev(f, format!("SYN-ACK from {} ({} SYN)", c.server, t.syns))],
        None => vec![ev(
            c.first,
            format!("connection to {} already open", c.server),
        )],
    };
    Outcome {
        status: Status::Pass,
        summary: format!("connected to {}", c.server),
        advice: None,
        evidence,
        hidden: false,
    }
}
