//! Where the local server of a `local-config` fetch came from, for its
//! advice. A phone set up once from a local server keeps that profile rule
//! until it is factory-reset: with the DHCP options long gone from the scope
//! it still resyncs from the old server. So the advice tells to remove a
//! provisioning option only when the capture shows the scope offering one;
//! when the phone's whole OFFERs and ACKs offer none, the phone follows a
//! rule it kept. With no whole DHCP reply in the capture (none at all, or
//! replies the snaplen cut) either may be, and the scope's advice stands
//! alone: a note that the scope may offer none would contradict its telling
//! to remove the option (and replies that are there but cut are no "no
//! offer"); the advice for a fetched profile says to factory-reset anyway.

use super::{Ctx, Evidence};
use crate::fact::{Body, Fact};
use crate::proto::dhcp::DhcpMessage;

/// Where the server came from, as far as the capture tells.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Origin {
    /// A reply offered a provisioning option (66/150/159/160, 43/125) or
    /// the BOOTP next-server and file the phone fetched.
    Scope,
    /// The phone's whole replies offer none: a profile rule it kept.
    Kept,
    /// The replies of its last boot offer none, an earlier boot's did
    /// (the frame of that reply): the rule is kept from that lease.
    Earlier(u64),
    /// No whole OFFER or ACK of the phone in the capture.
    Unknown,
}

/// The origin of the servers this phone fetches its profile from.
pub(super) fn origin(ctx: &Ctx<'_>) -> Origin {
    let replies: Vec<_> = (ctx.own())
        .filter_map(|f| Some((f, reply(ctx, f)?)))
        .collect();
    let offered = (replies.iter()).any(|(_, m)| !m.provisioning_options().is_empty());
    if offered || super::dhcp::boot_server(ctx).is_some() {
        Origin::Scope
    } else if replies.iter().any(|(f, _)| !f.truncated) {
        // Judged on its last boot: a reply of an earlier boot (among the
        // capture's whole facts) that offered an option is where the rule
        // came from.
        (ctx.facts.iter())
            .find(|f| reply(ctx, f).is_some_and(|m| !m.provisioning_options().is_empty()))
            .map_or(Origin::Kept, |f| Origin::Earlier(f.frame))
    } else {
        Origin::Unknown
    }
}

/// An OFFER or ACK to this phone.
fn reply<'a>(ctx: &Ctx<'_>, f: &'a Fact) -> Option<&'a DhcpMessage> {
    match &f.body {
        Body::Dhcp(m) if m.op == 2 && Some(m.chaddr) == ctx.phone.mac => {
            matches!(m.message_type, Some(2 | 5)).then_some(m)
        }
        _ => None,
    }
}

/// The server the phone asked: where its first request in `evidence` went.
pub(super) fn server(ctx: &Ctx<'_>, evidence: &[Evidence]) -> Option<String> {
    let frames: Vec<u64> = evidence.iter().map(|e| e.frame).collect();
    (ctx.own())
        .filter(|f| frames.contains(&f.frame) && ctx.is_phone(&f.src_ip()))
        .find(|f| !ctx.is_phone(&f.dst_ip()))
        .map(|f| f.dst_ip().to_string())
}

/// What came of the fetch, for the advice of a kept rule.
pub(super) enum Result {
    Taken,
    Refused,
    Missing,
    WebPage,
    Nothing,
    HttpsFailed,
    Hidden,
}

/// The advice for a fetch from `server` whose `origin` is not the scope:
/// `scope_advice` is the one for a server the scope named.
pub(super) fn advice(
    origin: Origin,
    result: Result,
    server: Option<&str>,
    scope_advice: String,
) -> String {
    let there = server.map_or("its local server".to_string(), |s| s.to_string());
    match origin {
        Origin::Scope | Origin::Unknown => scope_advice,
        Origin::Kept => {
            let what = match result {
                Result::Taken => "took a local profile there",
                Result::Refused => "is refused the file there (its permissions)",
                Result::Missing => "finds no profile there",
                Result::WebPage => "gets a web page there, not a profile",
                Result::Nothing => "gets no profile there",
                Result::HttpsFailed => "gets no profile over HTTPS there",
                Result::Hidden => {
                    "fetches a profile over HTTPS there (TLS hides whether one came)"
                }
            };
            format!(
                "no DHCP option in the capture names {there}: the phone follows a profile rule \
                 it kept from an earlier setup (not DHCP) and {what}; factory-reset the phone \
                 (or clear its Profile Rule) so it goes to Webex activation"
            )
        }
        Origin::Earlier(frame) => format!(
            "the phone's last lease offers no provisioning option, an earlier one did (#{frame}): \
             the phone keeps the profile rule it got then and still fetches from {there}; \
             factory-reset the phone (or clear its Profile Rule) so it goes to Webex activation"
        ),
    }
}
