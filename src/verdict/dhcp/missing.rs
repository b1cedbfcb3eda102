//! What a lease may lack that stops a phone right after it: a DNS server
//! (option 6), a default route (option 3, or in an option 121 the phone
//! asked for: RFC 3442), or a router that answers (the phone's ARP for the
//! option-3 gateway goes unanswered). Each fails the `dhcp` stage only when
//! the phone shows it is stuck; renewals and ACKs cut by the snaplen are not
//! judged.

use std::net::{IpAddr, Ipv4Addr};

use super::{server_of, ACK};
use crate::fact::{Body, Fact};
use crate::proto::dhcp::address;
use crate::proto::dhcp::DhcpMessage;
use crate::proto::http::HttpMessage;
use crate::verdict::{Ctx, Evidence, Stage, StageResult, Status};

/// Seconds of silence after a lease that show the phone is stuck (it asks
/// within a second or two of its lease).
const SILENT_SECS: f64 = 3.0;

/// A lease whose ACKs never name a DNS server (option 6): a factory-reset
/// phone cannot resolve activate.cisco.com. Fail when the phone then stays
/// silent (no packet of its own but DHCP and ARP) for [`SILENT_SECS`] while
/// the capture goes on; warn when it does anything else (a profile fetched
/// by address, names resolved with servers set by hand). Renewals (the ACK
/// carries the client's `ciaddr`) are not judged, nor an ACK cut by the
/// snaplen.
pub(super) fn no_dns_server(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    ack: &Fact,
) -> Option<StageResult> {
    let acks = || msgs.iter().filter(|(_, m)| m.message_type == Some(ACK));
    let dns_usable = |m: &DhcpMessage| m.option(6).is_some() && m.unusable_servers(6).is_none();
    if acks().any(|(f, m)| f.truncated || dns_usable(m)) {
        return None;
    }
    let (_, last_ack) = acks().next_back()?;
    if !last_ack.ciaddr.is_unspecified() {
        return None;
    }
    // NTP and ICMP come right after any lease: they are not progress.
    let busy = ctx.own().any(|f| {
        f.frame > ack.frame
            && ctx.is_phone(&f.src_ip())
            && !matches!(f.body, Body::Dhcp(_) | Body::Ntp(_) | Body::Icmp(_))
    });
    let silent = !busy && ctx.secs_left(&ack.ts) >= SILENT_SECS;
    let server = server_of(ack, last_ack);
    // No router either (nor classless routes): both are said, or fixing
    // one leaves the phone stuck on the other.
    // (Only for a phone that then did nothing: one that went on found its
    // way, by the subnet or by hand.)
    let no_router = silent
        && last_ack.option(121).is_none()
        && !last_ack.routers().into_iter().any(address::usable);
    // Sent with no usable address (0.0.0.0) is said as such, or the advice
    // would add an option the scope has.
    if let Some(result) = placeholder_result(&server, last_ack, silent, no_router) {
        return Some(result);
    }
    let (lacks, add) = match no_router {
        true => (
            "names no DNS server (option 6) and no router (option 3)",
            "add option 6 and option 3 (the voice VLAN's gateway) to the voice scope",
        ),
        false => (
            "names no DNS server (option 6)",
            "add option 6 to the voice scope",
        ),
    };
    let summary = format!("ACK {} from {server} {lacks}", last_ack.yiaddr);
    let lacks = lacks.replacen("names", "gives", 1);
    let (status, advice) = match silent {
        true => (
            Status::Fail,
            format!(
                "the scope on {server} {lacks} and the phone did nothing after the lease: it \
                 cannot find activate.cisco.com; {add}"
            ),
        ),
        false => (
            Status::Warn,
            format!(
                "the scope on {server} {lacks}: a factory-reset phone cannot resolve \
                 activate.cisco.com; {add}"
            ),
        ),
    };
    Some(StageResult::new(Stage::Dhcp, status, summary).advice(advice))
}

/// [`no_dns_server`]'s result when option 6 (or option 3, for a lease
/// without a router too) is sent but names no usable server (0.0.0.0: RFC
/// 1122 3.2.1.3): `None` when neither is. Said with its value, and the
/// advice corrects that option rather than adding it.
fn placeholder_result(
    server: &str,
    ack: &DhcpMessage,
    silent: bool,
    no_router: bool,
) -> Option<StageResult> {
    let dns = ack.unusable_servers(6);
    let router = ack.unusable_servers(3).filter(|_| no_router);
    if dns.is_none() && router.is_none() {
        return None;
    }
    let (mut lacks, mut fixes) = match &dns {
        Some(addrs) => (
            vec![format!(
                "{}, no usable DNS server",
                address::unusable_list_text(6, addrs)
            )],
            vec!["set the scope's DNS servers (option 6) to a resolver the phone can reach"],
        ),
        None => (
            vec!["no DNS server (option 6)".to_string()],
            vec!["add option 6 to the voice scope"],
        ),
    };
    match (&router, no_router) {
        (Some(addrs), _) => {
            lacks.push(format!(
                "{}, no usable router",
                address::unusable_list_text(3, addrs)
            ));
            fixes.push("set its router (option 3) to the voice VLAN's gateway");
        }
        (None, true) => {
            lacks.push("no router (option 3)".to_string());
            fixes.push("add option 3 (the voice VLAN's gateway)");
        }
        (None, false) => {}
    }
    let (lacks, fix) = (lacks.join("; "), fixes.join(" and "));
    let summary = format!("ACK {} from {server}: {lacks}", ack.yiaddr);
    // (The advice says the values once: "option 6 names 0.0.0.0".)
    let lacks = lacks
        .replace(", no usable DNS server", "")
        .replace(", no usable router", "");
    let (status, advice) = match silent {
        true => (
            Status::Fail,
            format!(
                "the lease from {server} gives the phone no DNS server it can use ({lacks}) \
                 and the phone did nothing after it: it cannot find activate.cisco.com; {fix}"
            ),
        ),
        false => (
            Status::Warn,
            format!(
                "the lease from {server} gives the phone no DNS server it can use ({lacks}): \
                 a factory-reset phone cannot resolve activate.cisco.com; {fix}"
            ),
        ),
    };
    Some(StageResult::new(Stage::Dhcp, status, summary).advice(advice))
}

/// A lease whose ACKs give no default route (no router in option 3, or,
/// for a phone that asked for classless routes, an option 121 without one): the phone reaches
/// nothing beyond its subnet, and activate.cisco.com and the SBC are always
/// beyond it. Judged only when the phone shows no way on after its last new
/// lease: no packet of its own to an address off its subnet (by the ACK's
/// mask, option 1) and on it no more than name and time lookups. Fail
/// when it then stays silent for [`SILENT_SECS`] while the capture goes on
/// (it may have asked an on-link DNS server first: that is no getting past
/// the lease); warn when the capture ends before that.
pub(super) fn no_router(
    ctx: &Ctx<'_>,
    msgs: &[(&Fact, &DhcpMessage)],
    ack: &Fact,
) -> Option<StageResult> {
    let acks = || msgs.iter().filter(|(_, m)| m.message_type == Some(ACK));
    let asked_classless = msgs
        .iter()
        .any(|(_, m)| m.requested_options().is_some_and(|o| o.contains(&121)));
    if acks().any(|(f, m)| f.truncated || routed(m, asked_classless)) {
        return None;
    }
    // The last new lease (a renewal's ACK carries the client's ciaddr).
    let (lease_fact, last_ack) = acks().rfind(|(_, m)| m.ciaddr.is_unspecified())?;
    // (A mask that is not a prefix of 1 to 31 bits tells no subnet.)
    let mask = last_ack.subnet_mask().filter(|m| {
        let bits = m.to_bits();
        (1..32).contains(&bits.leading_ones()) && bits.leading_ones() + bits.trailing_zeros() == 32
    })?;
    if last_ack.yiaddr.is_unspecified() {
        return None;
    }
    let on_link = |ip: &IpAddr| match ip {
        IpAddr::V4(v4) => {
            same_subnet(*v4, last_ack.yiaddr, mask) || v4.is_broadcast() || v4.is_multicast()
        }
        // IPv6 off the lease: the phone has a way on (router advertisements).
        IpAddr::V6(_) => false,
    };
    let quiet_from = stuck_on_link(ctx, lease_fact, on_link)?.unwrap_or(ack);
    let silent = ctx.secs_left(&quiet_from.ts) >= SILENT_SECS;
    let server = server_of(ack, last_ack);
    // With classless routes, option 3 does not count (RFC 3442).
    // Option 3 sent with no usable address (0.0.0.0: RFC 1122 3.2.1.3).
    let placeholder = last_ack
        .unusable_servers(3)
        .map(|addrs| address::unusable_list_text(3, &addrs));
    let (lacks, fix) = match (classless(last_ack, asked_classless).is_some(), &placeholder) {
        (true, _) => (
            " gives no default route (its classless static routes, option 121, hold none, and \
             a client then ignores option 3: RFC 3442)"
                .to_string(),
            "add the default route (0.0.0.0/0 via the voice VLAN's gateway) to option 121",
        ),
        (false, Some(names)) => (
            format!(": {names}, no usable router"),
            "set the scope's router (option 3) to the voice VLAN's gateway",
        ),
        (false, None) => (
            " names no router (option 3)".to_string(),
            "add option 3 (the voice VLAN's gateway) to the scope",
        ),
    };
    let mut summary = format!("ACK {} from {server}{lacks}", last_ack.yiaddr);
    let (status, advice) = match silent {
        true => {
            let sep = if lacks.starts_with(':') { ";" } else { ":" };
            summary.push_str(&format!(
                "{sep} the phone reached nothing beyond its subnet"
            ));
            let net = format!("{}/{}", network(last_ack.yiaddr, mask), prefix_len(mask));
            (
                Status::Fail,
                format!(
                    "the lease from {server} gives the phone no default route, so it cannot \
                     reach anything beyond {net}: activate.cisco.com and the SBC are always \
                     beyond it; {fix}"
                ),
            )
        }
        false => (
            Status::Warn,
            format!(
                "the lease from {server} gives the phone no default route: it cannot reach \
                 activate.cisco.com or the SBC beyond its subnet; {fix}"
            ),
        ),
    };
    let mut result = StageResult::new(Stage::Dhcp, status, summary).advice(advice);
    // What the phone did on its subnet (an on-link DNS server's answer) is
    // not getting past the lease.
    result.failing_since = ctx.own().map(|f| f.frame).max();
    Some(result)
}

/// The phone after the lease in `lease_fact`: `None` when it got on (a
/// packet off its subnet, by `on_link`, or as the client of a registrar or
/// profile server on it); else its last fact but DHCP, if any.
fn stuck_on_link<'a>(
    ctx: &Ctx<'a>,
    lease_fact: &Fact,
    on_link: impl Fn(&IpAddr) -> bool,
) -> Option<Option<&'a Fact>> {
    let mut last = None;
    for f in ctx.own() {
        if f.frame <= lease_fact.frame
            || !ctx.is_phone(&f.src_ip())
            || matches!(f.body, Body::Dhcp(_))
        {
            continue;
        }
        // (Not a web page of its own a PC opened: a phone's request.)
        if !on_link(&f.dst.ip()) || as_client(f) {
            return None;
        }
        last = Some(f);
    }
    Some(last)
}

/// Requests before a gateway that never answers them is dead, and the
/// seconds they must span (a phone asks about once a second).
pub(super) const DEAD_ASKS: u32 = 3;
pub(super) const DEAD_SECS: f64 = 2.0;

/// A lease whose router (option 3) never answers the phone's ARP: every
/// router of the last new ACK that the phone asked for was asked
/// [`DEAD_ASKS`] times over [`DEAD_SECS`] or more after the ACK and never
/// spoke ARP in the capture (another router of the list may answer others:
/// the phone is stuck on the one it asks), and the phone reached nothing
/// beyond its subnet. Not judged on a capture of one direction, nor when
/// the phone uses classless routes (option 121).
pub(super) fn dead_router(ctx: &Ctx<'_>, msgs: &[(&Fact, &DhcpMessage)]) -> Option<StageResult> {
    if ctx.one_way {
        return None;
    }
    let asked_classless = msgs
        .iter()
        .any(|(_, m)| m.requested_options().is_some_and(|o| o.contains(&121)));
    let acks = || msgs.iter().filter(|(_, m)| m.message_type == Some(ACK));
    let (lease_fact, last_ack) = acks().rfind(|(_, m)| m.ciaddr.is_unspecified())?;
    if classless(last_ack, asked_classless).is_some() || last_ack.yiaddr.is_unspecified() {
        return None;
    }
    let routers: Vec<Ipv4Addr> = last_ack
        .routers()
        .into_iter()
        .filter(|r| address::usable(*r))
        .collect();
    let phone = last_ack.yiaddr;
    let asked: Vec<(Ipv4Addr, crate::packet::Asks)> = routers
        .iter()
        .filter_map(|r| Some((*r, *ctx.arp.asks(phone, *r)?)))
        .filter(|(_, a)| a.last.0 > lease_fact.frame)
        .collect();
    // (A router of the list the phone never asked for may well answer
    // others: the phone is stuck on the one it asks.)
    let dead = |r: &Ipv4Addr, a: &crate::packet::Asks| {
        !ctx.arp.spoke(*r) && a.count >= DEAD_ASKS && a.first.1.secs_until(&a.last.1) >= DEAD_SECS
    };
    if asked.is_empty() || !asked.iter().all(|(r, a)| dead(r, a)) {
        return None;
    }
    let mask = last_ack.subnet_mask();
    let on_link = |ip: &IpAddr| match (ip, mask) {
        (IpAddr::V4(v4), Some(mask)) => {
            same_subnet(*v4, phone, mask) || v4.is_broadcast() || v4.is_multicast()
        }
        (IpAddr::V4(v4), None) => v4.is_broadcast() || v4.is_multicast(),
        (IpAddr::V6(_), _) => false,
    };
    stuck_on_link(ctx, lease_fact, on_link)?;
    let server = server_of(lease_fact, last_ack);
    let names: Vec<String> = asked.iter().map(|(r, _)| r.to_string()).collect();
    let count: u32 = asked.iter().map(|(_, a)| a.count).sum();
    let summary = format!(
        "ACK {phone} from {server}: its router {} (option 3) never answers the phone's ARP \
         ({count} requests): the phone reached nothing beyond its subnet",
        names.join(", ")
    );
    let advice = format!(
        "the gateway the scope on {server} gives (option 3: {}) does not answer on the voice \
         VLAN, so the phone cannot reach activate.cisco.com or the SBC: correct option 3 to \
         the VLAN's gateway address, or bring that gateway interface up",
        names.join(", ")
    );
    let mut evidence = Vec::new();
    for (router, a) in &asked {
        let text = |which: &str| format!("{which} ARP request for {router} from {phone}");
        evidence.push(Evidence {
            frame: a.first.0,
            time: a.first.1,
            text: text("first"),
        });
        evidence.push(Evidence {
            frame: a.last.0,
            time: a.last.1,
            text: format!("{}, {} in all, none answered", text("last"), a.count),
        });
    }
    let mut result = StageResult::new(Stage::Dhcp, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence);
    result.failing_since = ctx.own().map(|f| f.frame).max();
    Some(result)
}

/// A fact of the phone as the client of a service (its TCP connections and
/// TLS, its SIP, HTTP and TFTP requests); not a name or time lookup.
fn as_client(f: &Fact) -> bool {
    match &f.body {
        Body::Tcp { .. } | Body::Tftp(_) => true,
        Body::Tls { from_client, .. } => *from_client,
        Body::Sip(m) => m.method().is_some(),
        Body::Http(m) => matches!(m, HttpMessage::Request { .. }),
        _ => false,
    }
}

/// A lease that gives the phone a default route: option 3 with an address,
/// or, when the phone asked for classless static routes and got a
/// well-formed option 121 (RFC 3442: the client then ignores option 3), a
/// route of prefix length 0 in it.
fn routed(m: &DhcpMessage, asked_classless: bool) -> bool {
    match classless(m, asked_classless) {
        Some(widths) => widths.contains(&0),
        None => m.routers().into_iter().any(address::usable),
    }
}

/// The prefix widths of option 121 when the client uses it: it asked for it
/// (RFC 3442: a server sends it only then) and it is well formed (a client
/// cannot use one it cannot parse).
fn classless(m: &DhcpMessage, asked: bool) -> Option<Vec<u8>> {
    m.option(121).filter(|_| asked).and_then(route_widths)
}

/// RFC 3442 section 2: each route is a width (0 to 32), the destination's
/// significant octets, then a router; None for an empty or malformed option.
fn route_widths(mut routes: &[u8]) -> Option<Vec<u8>> {
    let mut widths = Vec::new();
    while let Some((&width, rest)) = routes.split_first() {
        if width > 32 {
            return None;
        }
        let len = usize::from(width).div_ceil(8) + 4;
        routes = rest.get(len..)?;
        widths.push(width);
    }
    (!widths.is_empty()).then_some(widths)
}

pub(super) fn same_subnet(a: Ipv4Addr, b: Ipv4Addr, mask: Ipv4Addr) -> bool {
    network(a, mask) == network(b, mask)
}

fn network(a: Ipv4Addr, mask: Ipv4Addr) -> Ipv4Addr {
    Ipv4Addr::from(a.to_bits() & mask.to_bits())
}

fn prefix_len(mask: Ipv4Addr) -> u32 {
    mask.to_bits().leading_ones()
}

#[cfg(test)]
mod tests {
    use super::route_widths;

    #[test]
    fn classless_routes_are_read_strictly() {
        // RFC 3442: 10.0.0.0/8 via 192.0.2.1, then 0.0.0.0/0 via 192.0.2.1.
        let net = [8, 10, 192, 0, 2, 1];
        let default = [0, 192, 0, 2, 1];
        assert_eq!(route_widths(&net), Some(vec![8]));
        assert_eq!(
            route_widths(&[&net[..], &default[..]].concat()),
            Some(vec![8, 0])
        );
        // A /25 takes four octets of destination.
        assert_eq!(
            route_widths(&[25, 192, 0, 2, 128, 192, 0, 2, 1]),
            Some(vec![25])
        );
        // Malformed: cut short (a default route without its router too),
        // a width over 32, empty.
        assert_eq!(route_widths(&[24, 192]), None);
        assert_eq!(route_widths(&[0]), None);
        assert_eq!(route_widths(&[0, 192, 0]), None);
        assert_eq!(route_widths(&[33, 1, 2, 3, 4, 5, 192, 0, 2, 1]), None);
        assert_eq!(route_widths(&[]), None);
    }
}
