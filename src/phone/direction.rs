//! A capture holding one direction of the traffic only (a SPAN or tap on
//! one side): the phones' messages counted by whether they sent or
//! received them.

use super::Phone;
use crate::fact::{Body, Fact};

/// Messages the phones must have sent (or received), with none going the
/// other way, before a capture counts as holding one direction only.
const ONE_WAY_MIN_SENT: usize = 5;

/// Did phone `p` send `f` (`Some(false)`: receive it)? `None` where a fact
/// stands for both directions (a TCP attempt's outcome, a malformed message).
fn sent_by(p: &Phone, f: &Fact) -> Option<bool> {
    match &f.body {
        Body::Dhcp(m) => Some(m.op == 1),
        Body::Tcp { .. }
        | Body::Unacked { .. }
        | Body::Unreceived { .. }
        | Body::Lost { .. }
        | Body::DataUnreachable { .. }
        | Body::Malformed { .. } => None,
        _ if p.ips.contains(&f.src_ip()) => Some(true),
        _ => p.ips.contains(&f.dst_ip()).then_some(false),
    }
}

/// Messages the phones sent and received.
pub(super) fn directions(phones: &[Phone], facts: &[Fact]) -> (usize, usize) {
    let (mut sent, mut received) = (0usize, 0usize);
    for p in phones {
        for f in p.facts.iter().filter_map(|&i| facts.get(i)) {
            match sent_by(p, f) {
                Some(true) => sent += 1,
                Some(false) => received += 1,
                None => {}
            }
        }
    }
    (sent, received)
}

/// Every phone sent and none received anything: the capture holds one
/// direction (a SPAN or tap on one side), and the answers missing from it
/// say nothing about the network.
pub(super) fn one_direction(sent: usize, received: usize) -> Option<String> {
    (received == 0 && sent >= ONE_WAY_MIN_SENT).then(|| {
        format!(
            "the phones sent {sent} messages and received none: the capture seems to hold one \
             direction of the traffic only (a SPAN or tap on one side); answers missing from it \
             may have been sent all the same"
        )
    })
}

/// The other side of a tap: every phone received and none sent anything
/// (phones are then known by DHCP answers and what was sent to them).
pub(super) fn other_direction(sent: usize, received: usize) -> Option<String> {
    (sent == 0 && received >= ONE_WAY_MIN_SENT).then(|| {
        format!(
            "the phones received {received} messages and sent none: the capture seems to hold \
             one direction of the traffic only (a SPAN or tap on one side); what the phones sent \
             is missing from it, and the stages it shows are judged from the answers alone"
        )
    })
}
