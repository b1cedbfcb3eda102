//! ICMP packet too big (or fragmentation needed) answering the phone's
//! REGISTERs: path MTU discovery at work (RFC 8201, RFC 1191). The packet
//! it answers was dropped by that router, and the phone's next copy goes
//! smaller; a registration that then worked still passes (a new path's
//! first large packet is always lost this way), but the evidence names it.

use super::transaction::Transaction;
use crate::fact::{Body, L4};
use crate::verdict::{ev, Ctx, Evidence};
use std::net::SocketAddr;

/// One evidence line for the first packet too big about each path of the
/// REGISTERs in `txs`.
pub(super) fn too_big(ctx: &Ctx<'_>, txs: &[Transaction<'_>]) -> Vec<Evidence> {
    let mut told: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    let mut out = Vec::new();
    for f in ctx.own() {
        let (Body::Icmp(u) | Body::TooBig(u)) = &f.body else {
            continue;
        };
        let path = (u.orig_src, u.orig_dst);
        if !u.frag_needed() || told.contains(&path) {
            continue;
        }
        let ours = txs
            .iter()
            .filter(|t| (t.request.src, t.request.dst) == path);
        let Some(t) = ours.clone().next() else {
            continue;
        };
        told.push(path);
        let mtu = u.mtu.map_or(String::new(), |m| format!(": path MTU {m}"));
        let from = f.src_ip();
        // A copy of a REGISTER on this path after it: the phone sent again.
        let again = ours.clone().any(|t| t.last_send.frame > f.frame)
            || ours
                .clone()
                .any(|t| t.request.frame > f.frame && t.retransmissions > 0);
        // Over TCP, segments it answered never acknowledged: the phone
        // ignored it (the stage's failure says so), nothing was resent.
        let ignored = ctx
            .own()
            .any(|g| matches!(g.body, Body::DataUnreachable { .. }) && (g.src, g.dst) == path);
        let then = match (t.request.l4, again, ignored) {
            (L4::Udp, true, _) => {
                "; the REGISTER it answered was dropped there; the phone sent it again"
            }
            (L4::Udp, false, _) => "; the REGISTER it answered was dropped there",
            (_, _, true) => "; the REGISTER's segment it answered was dropped there",
            // (TCP resends what is unacknowledged, in segments of the new size.)
            _ => "; the REGISTER's segment it answered was dropped there; TCP resends it smaller",
        };
        out.push(ev(f, format!("Packet Too Big from {from}{mtu}{then}")));
    }
    out
}
