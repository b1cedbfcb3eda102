//! Bytes of a TLS connection the capture lost (an overloaded SPAN port or
//! capture host dropped them: the receiver acknowledged them, or the
//! sender's FIN comes after them), or records its snaplen cut, before the
//! connection's first close.
//! A handshake judged failed by what the capture lacks (no answer, a close
//! after a hello, an encrypted alert taken for a refusal, a reset, a flight
//! never acknowledged) rests on those bytes: its outcome is can't tell. A
//! plaintext fatal alert, seen whole, still decides.

use super::connection::Conn;
use crate::fact::Body;
use crate::verdict::{ev, Evidence};

/// The can't-tell summary and its evidence when `c` lost bytes before its
/// first close (or before the capture's end when it never closed).
/// With `cuts`, a record the snaplen cut (sent, read in part) counts as
/// such bytes too ([`super::cut`]), the earlier of the two deciding.
pub(super) fn unjudged(
    c: &Conn<'_>,
    name: &str,
    port: u16,
    cuts: bool,
) -> Option<(String, Evidence)> {
    let end = c.closed.map_or(u64::MAX, |(close, _, _)| close.frame);
    let lost = c.lost.filter(|(_, after)| *after < end);
    let cut = super::cut::before(c, end).filter(|_| cuts);
    if let Some(cut) = cut.filter(|f| lost.is_none_or(|(_, after)| f.frame <= after)) {
        return Some(super::cut::unjudged(c, cut, name, port));
    }
    let (f, after) = lost?;
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
