//! The TCP outcome of one connection: SYN-ACK, RST, ICMP unreachable or
//! time exceeded, SYNs never answered, or a capture that ends while the
//! phone still waits.

use super::connection::Conn;
use super::Outcome;
use crate::fact::TcpResult;
use crate::flow::Answered;
use std::net::{IpAddr, SocketAddr};

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
    // Without timestamps, no wait can be measured: only the phone moving
    // on to another server after its SYNs tells that it gave up.
    let waiting = match ctx.untimed {
        true => !moved_on(ctx, t.answer_frame, to),
        false => ctx.secs_left(&t.first_syn_ts) < SYN_RETRY_SECS,
    };
    // Happy eyeballs (RFC 8305): silent SYNs to one family of a name and a
    // connection to the other family of the same name after them: the
    // phone gave up on the silent path, whatever time the capture had left.
    let fell_back = match (t.result, t.astray) {
        (TcpResult::NoAnswer, None) => family_fallback(ctx, t.first_syn_frame, to),
        _ => None,
    };
    if let Some((name, other)) = fell_back {
        let (fam, back) = match to.is_ipv6() {
            true => ("IPv6", "IPv4"),
            false => ("IPv4", "IPv6"),
        };
        let n = t.first_syn_frame;
        let sent = match t.syns {
            0 | 1 => format!("SYN #{n}"),
            k => format!("{k} SYNs from #{n}"),
        };
        let summary = format!(
            "the phone's {fam} attempt to {to} ({name}) got no answer ({sent}); it fell back \
             to {back} ({other})"
        );
        let port = to.port();
        let advice = format!(
            "{fam} TCP {port} to {} ({name}) is dropped silently while {back} works: allow \
             it in the firewall (or stop publishing that {fam} address), or every phone waits \
             for the fallback",
            to.ip()
        );
        return Some(Outcome {
            status: Status::Fail,
            summary: summary.clone(),
            advice: Some(advice),
            evidence: vec![first, ev(f, summary)],
            hidden: false,
            astray: false,
        });
    }
    if t.result == TcpResult::NoAnswer && waiting {
        let summary = match ctx.untimed {
            true => format!(
                "{syns} to {to}, no answer; the capture has no timestamps (Simple Packet \
                 Blocks): can't tell how long the phone waited"
            ),
            false => format!("{syns} to {to} at the end of the capture, no answer yet"),
        };
        return Some(Outcome {
            status: Status::NotSeen,
            summary,
            advice: None,
            evidence: vec![first],
            hidden: false,
            astray: false,
        });
    }
    let port = to.port();
    let (summary, advice) = match t.result {
        TcpResult::Established => return None,
        TcpResult::NoAnswer if t.astray.is_some() => {
            let a = t.astray.unwrap_or_else(|| unreachable!());
            astray(&syns, to, &a)
        }
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
        TcpResult::Unreachable => {
            let kind = t.unreach.unwrap_or(UnreachKind::Other);
            let from = t
                .unreach_from
                .map_or(String::new(), |ip| format!(" from {ip}"));
            let summary = format!("{syns} to {to} answered by ICMP {}{from}", kind.words());
            let phone = match c.first.dst == c.server {
                true => c.first.src_ip(),
                false => c.first.dst_ip(),
            };
            let elsewhere = match kind {
                UnreachKind::SourcePolicy => {
                    // The next hop the phone sent the refused SYNs to.
                    let hop = (c.first.dst == c.server)
                        .then_some(c.first.dst_mac)
                        .flatten();
                    let via = (t.unreach_from, hop);
                    super::elsewhere::reached_elsewhere(ctx, phone, to.ip(), via)
                }
                _ => None,
            };
            let icmp = Icmp {
                kind,
                sender: t.unreach_from,
                frame: t.answer_frame,
                elsewhere,
            };
            (summary, icmp_advice(&icmp, to, phone, "TCP"))
        }
    };
    let last = ev(f, summary.clone());
    let status = Status::Fail;
    Some(Outcome {
        status,
        summary,
        advice: Some(advice),
        evidence: vec![first, last],
        hidden: false,
        astray: t.astray.is_some(),
    })
}

/// The phone tried another server after `frame` (its last SYN to `to`):
/// it had given up on `to`.
fn moved_on(ctx: &Ctx<'_>, frame: u64, to: SocketAddr) -> bool {
    ctx.own().any(|f| {
        f.frame > frame
            && f.dst != to
            && ctx.is_phone(&f.src_ip())
            && matches!(f.body, crate::fact::Body::Tcp { .. })
    })
}

/// A connection the phone established after `frame` to the same port of
/// an address of the other family that shares a resolved name with `to`:
/// that name and the address.
fn family_fallback(ctx: &Ctx<'_>, frame: u64, to: SocketAddr) -> Option<(String, SocketAddr)> {
    let names: Vec<&str> = ctx.names.names(&to.ip()).collect();
    // (An address no name led to has no fallback: thousands of silent
    // SYNs to such addresses scan nothing.)
    if names.is_empty() {
        return None;
    }
    ctx.own().find_map(|f| {
        let crate::fact::Body::Tcp { attempt, .. } = &f.body else {
            return None;
        };
        let other = f.dst;
        let fits = f.frame > frame
            && attempt.result == TcpResult::Established
            && ctx.is_phone(&f.src_ip())
            && other.port() == to.port()
            && other.is_ipv6() != to.is_ipv6();
        if !fits {
            return None;
        }
        let name = ctx
            .names
            .names(&other.ip())
            .find(|n| names.iter().any(|m| m.eq_ignore_ascii_case(n)))?;
        Some((name.to_string(), other))
    })
}

/// Summary and advice for SYNs answered only from another socket than the
/// one they went to: a port or address rewritten on the way back, or a
/// device resetting the connection in the server's name.
fn astray(syns: &str, to: SocketAddr, a: &crate::flow::Astray) -> (String, String) {
    let (from, n, port) = (a.from, a.frame, to.port());
    let times = match a.count {
        1 => String::new(),
        k => format!(", {k} of them"),
    };
    if a.rst {
        return (
            format!(
                "{syns} to {to}, never answered by it: RSTs came from {} instead (#{n}{times}), \
                 which the phone ignores",
                from.ip()
            ),
            format!(
                "{} resets the phone's connections to {to} in the server's name (#{n}): a \
                 firewall or middlebox on the path rejects TCP {port} with a reset whose \
                 address nothing translates back (or the return path is asymmetric); find \
                 that device and allow TCP {port}",
                from.ip()
            ),
        );
    }
    let what = match from.ip() == to.ip() {
        true => format!("port {} instead of {port}", from.port()),
        false => format!("{from} instead of {to}"),
    };
    (
        format!(
            "{syns} to {to}: SYN-ACKs came back from {what} (#{n}{times}), which the phone \
             did not take"
        ),
        format!(
            "{} answers, but its SYN-ACKs come back from {what}, and the phone refuses them: a \
             NAT, port forward or load balancer between them rewrites the server's side of \
             the connection; fix its mapping for TCP {port}",
            to.ip()
        ),
    )
}

pub(super) fn connected(c: &Conn<'_>) -> Outcome {
    let evidence: Vec<Evidence> = match c.tcp {
        Some((f, t)) if t.synack_unseen == Some(Answered::ClientAck) => vec![ev(
            f,
            format!(
                "the phone's handshake ACK to {} (the SYN-ACK is not in the capture)",
                c.server
            ),
        )],
        Some((f, t)) if t.synack_unseen.is_some() => vec![ev(
            f,
            format!(
                "traffic from {} (the SYN-ACK is not in the capture)",
                c.server
            ),
        )],
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
        astray: false,
    }
}

/// An ICMP error answering the phone's packets: its kind, who sent it (when
/// known) and its frame.
pub(crate) struct Icmp {
    pub(crate) kind: UnreachKind,
    pub(crate) sender: Option<IpAddr>,
    pub(crate) frame: u64,
    /// For a source-address policy: another destination that answered the
    /// phone's address through the same router, and the frame.
    pub(crate) elsewhere: Option<(IpAddr, u64)>,
}

/// What an ICMP error answering the phone's `what` ("TCP", "TLS") to `to`
/// asks of the reader: routing for a loop, a missing route or a host a
/// router cannot deliver to; the phone's address for a source policy; a
/// firewall rule for the rest.
pub(crate) fn icmp_advice(icmp: &Icmp, to: SocketAddr, phone: IpAddr, what: &str) -> String {
    let (ip, port, n) = (to.ip(), to.port(), icmp.frame);
    let words = icmp.kind.words();
    // A router's own answer, not the server's (nor its host firewall's).
    let router = icmp.sender.filter(|s| *s != ip);
    match icmp.kind {
        UnreachKind::TtlExceeded => format!(
            "packets to {ip} circle between routers until their TTL (hop limit) runs out \
             (ICMP time exceeded, #{n}): fix the routing towards {ip} (a routing loop, often \
             two default routes pointing at each other)"
        ),
        UnreachKind::Net | UnreachKind::NoRoute => format!(
            "a router{} has no route to {ip} (ICMP {words}, #{n}): fix the routing towards it \
             (for IPv6, the default route the router advertisement gives)",
            router.map_or(String::new(), |r| format!(" ({r})"))
        ),
        UnreachKind::PacketTooBig => format!(
            "a router{} on the way to {ip} asks the phone for smaller packets (ICMP packet too \
             big, #{n}) and the phone keeps sending full-size ones, never acknowledged: a \
             path-MTU problem; lower the MTU on the phone's network or clamp the TCP MSS on \
             that router, and let ICMP packet-too-big reach the phone (never filter ICMPv6 \
             type 2, RFC 4890)",
            router.map_or(String::new(), |r| format!(" ({r})"))
        ),
        UnreachKind::ParameterProblem => format!(
            "{} discards the phone's IPv6 packets to {ip} for a header or option it does not \
             accept (ICMPv6 parameter problem, #{n}): an extension-header policy on a router \
             or firewall (RFC 9098); let the phone's packets through, or reach {ip} over IPv4",
            router.map_or_else(|| ip.to_string(), |r| format!("the router {r}"))
        ),
        UnreachKind::SourcePolicy if icmp.elsewhere.is_some() => {
            let (other, m) = icmp.elsewhere.unwrap_or((ip, n));
            format!(
                "{} rejects {what} {port} to {ip} from {phone} (ICMP source address failed \
                 ingress/egress policy, #{n}), yet {other} answered that address through it \
                 (#{m}): not the phone's prefix but a per-destination firewall rule on that \
                 router; allow {what} {port} to {ip} from the voice prefix",
                router.map_or_else(|| "a router".to_string(), |r| format!("the router {r}"))
            )
        }
        UnreachKind::SourcePolicy => format!(
            "a router drops packets from the phone's address {phone} (ICMP source address \
             failed ingress/egress policy, #{n}): the phone's address or prefix is not one the \
             network accepts; check the prefix it got (router advertisement, DHCPv6) and the \
             source-address filter"
        ),
        UnreachKind::Host | UnreachKind::AddressUnreachable if router.is_some() => format!(
            "the router {} cannot deliver to {ip} (ICMP {words}, #{n}): the host is down, or \
             the router's next hop or neighbour lookup towards it fails; check that router's \
             route to {ip} (a firewall rejecting with this code is the rarer cause)",
            router.map_or(String::new(), |r| r.to_string())
        ),
        _ => match router {
            Some(r) => format!(
                "{r} rejects {what} {port} to {ip} (ICMP {words}, #{n}): a router or firewall \
                 rule there; allow it"
            ),
            None => format!(
                "a router or firewall rejects {what} {port} to {ip} (ICMP {words}, #{n}): \
                 check its rules"
            ),
        },
    }
}
