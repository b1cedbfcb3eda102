//! The phone's DHCP seen relayed (giaddr set, RFC 2131 4.1: a capture on
//! the server's side of the relay) and never answered: the relay works, so
//! the fault is past it. An ICMP error from the server's host refusing the
//! relayed datagrams is the outcome (the DHCP service is not running);
//! silence is the server ignoring the relay's subnet (no scope for the
//! giaddr's network, RFC 2131 4.3.1).

use std::net::{IpAddr, Ipv4Addr};

use crate::fact::{Body, Fact};
use crate::proto::dhcp::DhcpMessage;
use crate::verdict::{ev, Ctx, Evidence};

/// At most this many ICMP errors named by frame.
const LISTED: usize = 4;

/// What the unanswered relayed exchange shows.
pub(super) struct Relayed {
    /// Words added to the summary.
    pub text: String,
    pub advice: String,
    pub evidence: Vec<Evidence>,
}

/// The phone's messages of `msgs` that a relay forwarded by unicast
/// (giaddr set, to a server's address), and how the server's side took
/// them. `None` when none was relayed.
pub(super) fn relayed(ctx: &Ctx<'_>, msgs: &[(&Fact, &DhcpMessage)]) -> Option<Relayed> {
    let (first, relay, server, giaddr) = msgs.iter().find_map(|(f, m)| {
        let unicast =
            matches!(f.dst_ip(), IpAddr::V4(d) if !d.is_broadcast() && !d.is_multicast());
        (m.op == 1 && !m.giaddr.is_unspecified() && unicast)
            .then(|| (f.frame, f.src_ip(), f.dst_ip(), m.giaddr))
    })?;
    let refusals: Vec<&Fact> = (ctx.facts.iter())
        .filter(|f| f.frame > first)
        .filter(|f| {
            matches!(&f.body, Body::Icmp(u)
                if u.orig_proto == 17
                    && !u.frag_needed()
                    && u.orig_dst.port() == 67
                    && u.orig_src.ip() == relay
                    && u.orig_dst.ip() == server)
        })
        .collect();
    let Some(Body::Icmp(u)) = refusals.first().map(|f| &f.body) else {
        return Some(silent(relay, server, giaddr));
    };
    let words = u.kind.words();
    let mut frames: Vec<String> = (refusals.iter().take(LISTED))
        .map(|f| format!("#{}", f.frame))
        .collect();
    if refusals.len() > LISTED {
        frames.push("...".to_string());
    }
    let evidence = (refusals.iter())
        .map(|f| {
            let text = format!(
                "ICMP {words} from {} refusing the relayed DHCP from {relay} to {server}:67",
                f.src_ip()
            );
            ev(f, text)
        })
        .collect();
    Some(Relayed {
        text: format!(
            "; the relay {relay} (giaddr {giaddr}) forwarded them to {server}, whose host \
             answered ICMP {words} ({}): its DHCP service is down",
            frames.join(", ")
        ),
        advice: format!(
            "the relay forwards the phone's DHCP to {server}, and that host refuses it with \
             ICMP {words}: the DHCP service on {server} is not running (or listens elsewhere); \
             start it, or point the relay (ip helper-address) at the server that runs it"
        ),
        evidence,
    })
}

/// Relayed messages the server never answered.
fn silent(relay: IpAddr, server: IpAddr, giaddr: Ipv4Addr) -> Relayed {
    Relayed {
        text: format!(
            "; the relay {relay} (giaddr {giaddr}) forwarded them to {server}, which never \
             answered"
        ),
        advice: format!(
            "the relay forwards the phone's DHCP to {server} (giaddr {giaddr}) and the server \
             stays silent: it most likely has no scope for the relay's subnet (the network of \
             {giaddr}); add one for the voice VLAN, or check the server's log for that giaddr"
        ),
        evidence: Vec::new(),
    }
}
