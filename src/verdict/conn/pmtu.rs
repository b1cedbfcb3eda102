//! A server flight the phone never got whole: the phone's acknowledgments
//! stayed before a hole in the server's bytes to the connection's end,
//! while bytes after the hole reached it (`Body::Unreceived`). Full-size
//! segments lost with the small tail arriving is a path-MTU black hole: a
//! link with a smaller MTU on the way whose ICMP 'packet too big' never
//! gets back to the server (RFC 8201, RFC 1191, RFC 4890).

use std::net::IpAddr;

use super::{Conn, Judged};
use crate::fact::Body;
use crate::verdict::{ev, Evidence, Status};

/// Bytes missing that hold at least one segment larger than the IPv6
/// minimum MTU (1280) carries: the full-size segments a smaller link drops.
const FULL_SIZE: u64 = 1200;

/// The server's handshake bytes the phone never got (a hole its
/// acknowledgments never passed): a failed handshake, a path-MTU black
/// hole when the missing bytes are full-size segments.
pub(super) fn server_flight_unreceived(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    evidence: &mut Vec<Evidence>,
) -> Option<Judged> {
    let f = c.unreceived?;
    let Body::Unreceived { missing, held, .. } = f.body else {
        return None;
    };
    let text = format!(
        "{held} bytes from {name} after {missing} bytes the phone never got (its ACK stays \
         before them)"
    );
    evidence.push(ev(f, text));
    let mut summary = format!(
        "{name}'s handshake flight never reached the phone whole: {missing} bytes of it are \
         missing, only the {held} after them arrived"
    );
    if let Some((close, true, rst)) = c.closed {
        let how = if rst { "reset" } else { "closed" };
        let after = f.ts.secs_until(&close.ts);
        evidence.push(ev(close, format!("the phone {how} the connection")));
        summary.push_str(&format!(
            "; the phone {how} the connection {after:.0} s later"
        ));
    }
    let advice = match missing >= FULL_SIZE {
        true => {
            summary.push_str(": a path-MTU black hole");
            black_hole_advice(c.server.ip(), &format!("{name}:{port}"))
        }
        false => format!(
            "bytes of {name}'s answer are lost on the way to the phone and never sent again \
             successfully: check the path from {name}:{port} to the phone for loss"
        ),
    };
    Some((Status::Fail, summary, Some(advice)))
}

/// What lets path MTU discovery work again towards `server` (`target`:
/// its name or address, and port).
pub(crate) fn black_hole_advice(server: IpAddr, target: &str) -> String {
    let icmp = match server {
        IpAddr::V6(_) => "ICMPv6 Packet Too Big (type 2; RFC 4890 says never to filter it)",
        IpAddr::V4(_) => "ICMP fragmentation needed (type 3 code 4; RFC 1191)",
    };
    format!(
        "full-size packets between {target} and the phone are dropped on a link with a \
         smaller MTU (a tunnel, a VPN) and the {icmp} that would shrink them never gets back: \
         let it through the firewalls on that path (RFC 8201 path MTU discovery), or lower the \
         MTU or clamp the TCP MSS there"
    )
}
