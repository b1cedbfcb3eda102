//! What one REGISTER exchange tells besides its final code: an answer late
//! after many re-sends, an ICMP error, a SIP answer that could not be read
//! whole, an earlier refusal or registration, and challenges the phone
//! never answered with credentials.

use super::transaction::Transaction;
use crate::fact::{Body, Fact};
use crate::proto::sip::SipMessage;
use crate::verdict::Ctx;

/// Re-sends before a first answer that show a lossy path (a UDP REGISTER is
/// re-sent after 0.5 s, 1 s, 2 s: RFC 3261 section 17.1.2.2), and the least
/// wait that makes an answer late.
const LATE_RESENDS: usize = 3;
const LATE_SECS: f64 = 4.0;

pub(super) const LATE_ADVICE: &str =
    "the registrar answered only after the phone had re-sent its REGISTER \
    many times: check the path to it (packet loss, a firewall or NAT that drops SIP for a while) \
    and the registrar's load";

/// "sent 10 times over 27.5 s before its first answer (#129)", when the
/// REGISTER was re-sent at least [`LATE_RESENDS`] times before an answer.
pub(super) fn late_answer(t: &Transaction<'_>) -> Option<String> {
    let (first, _, _) = t.finals.first()?;
    let wait = t.request.ts.secs_until(&first.ts);
    (t.retransmissions >= LATE_RESENDS && wait >= LATE_SECS).then(|| {
        format!(
            "sent {} times over {wait:.1} s before its first answer (#{})",
            t.retransmissions + 1,
            first.frame
        )
    })
}

/// The 2xx of the latest REGISTER before `last` that got one.
pub(super) fn registered_before<'a>(
    judged: &[&Transaction<'a>],
    last: &Transaction<'a>,
) -> Option<&'a Fact> {
    judged
        .iter()
        .filter(|t| t.request.frame < last.request.frame)
        .filter_map(|t| {
            t.finals
                .iter()
                .rev()
                .find(|(_, code, _)| (200..300).contains(code))
        })
        .map(|(f, _, _)| *f)
        .next_back()
}

/// An ICMP error about the REGISTER's datagram after it (port or host
/// unreachable, administratively prohibited): that exchange's outcome.
pub(super) fn icmp_answer<'a>(
    ctx: &'a Ctx<'a>,
    t: &Transaction<'a>,
) -> Option<(&'a Fact, &'static str)> {
    ctx.own().find_map(|f| match &f.body {
        Body::Icmp(u)
            if f.frame > t.request.frame
                && u.orig_proto == 17
                && !u.frag_needed()
                && u.orig_dst == t.request.dst
                && u.orig_src == t.request.src =>
        {
            Some((f, u.kind.words()))
        }
        _ => None,
    })
}

/// SIP that could not be read whole: a message cut by the snaplen, or
/// bytes missing from a SIP TCP stream.
pub(super) fn cut_sip(f: &Fact) -> bool {
    f.truncated && matches!(&f.body, Body::Sip(_) | Body::Malformed { of: "sip", .. })
}

/// SIP to the phone after the REGISTER that could not be read whole (a
/// response cut before its Call-ID or CSeq, or a hole in the TCP stream):
/// it may be the answer.
pub(super) fn cut_answer<'a>(ctx: &Ctx<'a>, t: &Transaction<'a>) -> Option<&'a Fact> {
    ctx.own().find(|f| {
        f.frame > t.request.frame
            && f.dst_ip() == t.request.src_ip()
            && cut_sip(f)
            && !matches!(&f.body, Body::Sip(m) if m.status().is_none())
    })
}

/// The latest earlier REGISTER a registrar refused with an error (4xx-6xx
/// other than the 401/407 challenges, 403 and 423, which the protocol
/// answers with a new REGISTER) before the phone registered.
pub(super) fn refused_before<'a>(
    earlier: &[&Transaction<'a>],
) -> Option<(&'a Fact, u16, &'a SipMessage)> {
    earlier
        .iter()
        .rev()
        .filter_map(|t| t.finals.first().copied())
        .find(|(_, code, _)| *code >= 400 && !matches!(code, 401 | 403 | 407 | 423))
}

/// REGISTERs of `last`'s line answered by a challenge (401/407) when the
/// phone never sent one with credentials for that line: 0 as soon as one
/// does, or when the snaplen cut one (its Authorization may be in the part
/// the capture lacks).
pub(super) fn no_credentials(judged: &[&Transaction<'_>], last: &Transaction<'_>) -> usize {
    let line: Vec<&&Transaction<'_>> = judged.iter().filter(|t| t.line() == last.line()).collect();
    if line
        .iter()
        .any(|t| t.authenticated() || t.request.truncated || t.last_send.truncated)
    {
        return 0;
    }
    (line.iter())
        .filter(|t| matches!(t.final_code(), Some(401 | 407)))
        .count()
}
