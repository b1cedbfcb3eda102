//! ICMP packet too big (or fragmentation needed) about a connection's
//! segments that the connection then survived: path MTU discovery at work
//! (RFC 8201, RFC 1191). TCP resends the segment smaller and the stage
//! still passes; its evidence names the router and the MTU.

use super::connection::Conn;
use crate::fact::Body;
use crate::verdict::{ev, Ctx, Evidence};

/// One evidence line for the first packet too big about `c`'s segments
/// in each direction; none when the segments it answered were never
/// acknowledged (a sender ignoring it: the stage's failure says so).
pub(super) fn notes(ctx: &Ctx<'_>, c: &Conn<'_>) -> Vec<Evidence> {
    if c.icmp.is_some() {
        return Vec::new();
    }
    let client = match c.first.dst == c.server {
        true => c.first.src,
        false => c.first.dst,
    };
    let mut out: Vec<Evidence> = Vec::new();
    let mut told = [false; 2];
    for f in ctx.own().filter(|f| f.frame > c.first.frame) {
        let (Body::Icmp(u) | Body::TooBig(u)) = &f.body else {
            continue;
        };
        if !u.frag_needed() {
            continue;
        }
        let side = match (u.orig_src, u.orig_dst) {
            (s, d) if s == client && d == c.server => 0,
            (s, d) if s == c.server && d == client => 1,
            _ => continue,
        };
        if std::mem::replace(&mut told[side], true) {
            continue;
        }
        let whose = ["the phone's", "the server's"][side];
        let mtu = u.mtu.map_or(String::new(), |m| format!(": path MTU {m}"));
        out.push(ev(
            f,
            format!(
                "Packet Too Big from {}{mtu}; {whose} segment it answered was dropped there \
                 (TCP resends it smaller)",
                f.src_ip()
            ),
        ));
    }
    out
}
