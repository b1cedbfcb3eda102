//! Bytes of a TLS connection the capture lost (an overloaded SPAN port or
//! capture host dropped them: the receiver acknowledged them, or the
//! sender's FIN comes after them) before the connection's first close.
//! A handshake judged failed by what the capture lacks (no answer, a close
//! after a hello, an encrypted alert taken for a refusal, a reset, a flight
//! never acknowledged) rests on those bytes: its outcome is can't tell. A
//! plaintext fatal alert, seen whole, still decides.

use super::connection::Conn;
use crate::fact::Body;
use crate::verdict::{ev, Evidence};

/// The can't-tell summary and its evidence when `c` lost bytes before its
/// first close (or before the capture's end when it never closed).
pub(super) fn unjudged(c: &Conn<'_>, name: &str, port: u16) -> Option<(String, Evidence)> {
    let (f, after) = c.lost?;
    let end = c.closed.map_or(u64::MAX, |(close, _, _)| close.frame);
    if after >= end {
        return None;
    }
    let by_phone = matches!(
        f.body,
        Body::Lost {
            from_client: true,
            ..
        }
    );
    let who = if by_phone { "the phone" } else { name };
    let when = match after {
        0 => String::new(),
        n => format!(" after #{n}"),
    };
    let summary = format!(
        "TLS with {name}:{port} (#{}) can't tell: the capture lacks bytes {who} sent{when} \
         (#{} shows them sent), and the handshake's outcome rests on them",
        c.first.frame, f.frame
    );
    let text = format!("bytes {who} sent{when}, not in the capture");
    Some((summary, ev(f, text)))
}
