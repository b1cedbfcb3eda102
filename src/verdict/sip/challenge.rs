//! The line's last REGISTER ended on a digest challenge (401 or 407) that
//! does not itself reject the credentials: a first challenge, or one with
//! `stale=true`. What came around it decides: a refresh the phone left
//! unanswered after good registrations, a registrar that calls every fresh
//! nonce stale, a phone with no credentials to give, a late answer, a
//! challenge the phone left unanswered while the capture went on
//! (`sip/unfollowed.rs`: a failure), or a capture that ends before the
//! phone's next REGISTER.

use super::exchange::{late_answer, registered_before, LATE_ADVICE};
use super::transaction::Transaction;
use super::unfollowed::{unfollowed, waited_on};
use crate::fact::{Body, Fact};
use crate::proto::sip::SipMessage;
use crate::verdict::{Ctx, Stage, StageResult, Status};

/// Authenticated REGISTERs in a row answered `stale=true` that make a
/// loop: one is a nonce that aged out (normal); a second means the nonce
/// the registrar had just given was called stale too.
const STALE_LOOP: usize = 2;

/// Judges `last`, whose final answer is a 401/407 that is a first challenge
/// or a stale one. `uncredentialed`: challenges of the line never answered
/// with credentials.
pub(super) fn challenged(
    ctx: &Ctx<'_>,
    judged: &[&Transaction<'_>],
    last: &Transaction<'_>,
    uncredentialed: usize,
) -> StageResult {
    let stage =
        |status: Status, summary: String| StageResult::new(Stage::SipRegister, status, summary);
    let code = last.final_code().unwrap_or(401);
    if let Some(result) = stale_loop(judged, last, code, registered_before(judged, last)) {
        return result;
    }
    // After good registrations, a refresh left on a challenge the phone
    // never answered while the capture went on: the binding runs out.
    let challenge = last.finals.first().map(|(f, _, _)| *f);
    let waited = waited_on(ctx, last);
    match (registered_before(judged, last), challenge) {
        (Some(ok), Some(ch)) if waited.is_some() => {
            let sends = match last.retransmissions {
                0 => String::new(),
                n => format!(", sent {} times,", n + 1),
            };
            let summary = format!(
                "registered before (#{}), but the refresh at #{}{sends} got only a challenge \
                 (#{}) and no authenticated REGISTER followed",
                ok.frame, last.request.frame, ch.frame
            );
            stage(Status::Warn, summary).advice(
                "the phone stopped re-registering after a challenge: its binding expires; check \
                 the path to the registrar (late or lost answers) and the phone's log",
            )
        }
        // A proxy (407) and the registrar (401) both challenge, and the
        // phone answers each with that realm's credentials alone: each
        // REGISTER lacks the other's.
        _ if uncredentialed >= 2 && two_realms(judged, last).is_some() => {
            let (proxy, registrar) = two_realms(judged, last).unwrap_or_default();
            let summary = format!(
                "challenged {uncredentialed} times by two realms in turn, a proxy's 407 \
                 ({proxy}) and the registrar's 401 ({registrar}); the phone never sent \
                 credentials for both in one REGISTER"
            );
            stage(Status::Fail, summary).advice(
                "a proxy and the registrar each ask for their own credentials and the phone \
                 keeps only the last realm's: have only one of them challenge REGISTERs (the \
                 SBC normally does), or give the phone firmware that answers both",
            )
        }
        // Challenged again and again, never answering with credentials:
        // the line has none to give.
        _ if uncredentialed >= 2 => {
            let n = uncredentialed;
            let summary = format!(
                "challenged {n} times (401/407) and the phone never answered with credentials: \
                 each REGISTER starts over without Authorization"
            );
            let offered = challenge.and_then(|f| match &f.body {
                Body::Sip(m) => unanswerable_algorithms(m),
                _ => None,
            });
            if let Some(algorithms) = offered {
                let summary = format!(
                    "{summary}; the challenges offer only the {algorithms} digest algorithm"
                );
                return stage(Status::Fail, summary).advice(format!(
                    "the registrar's challenge offers only {algorithms} (RFC 8760), which the \
                     phone does not answer: have the registrar offer an MD5 challenge too (or \
                     instead), or bring the phone to a firmware that answers {algorithms}"
                ));
            }
            stage(Status::Fail, summary).advice(
                "the phone does not answer the registrar's digest challenge: the line has no \
                 Auth ID and password (or they were never provisioned); set the line's \
                 credentials from Control Hub and resync the phone",
            )
        }
        _ => match late_answer(last) {
            // Answered only after many re-sends: the path lost the phone's
            // REGISTERs (or the answers) for a while.
            Some(late) => {
                let summary = format!(
                    "the REGISTER at #{} was {late}; the capture ends before the phone's next \
                     REGISTER",
                    last.request.frame
                );
                stage(Status::Warn, summary).advice(LATE_ADVICE)
            }
            None if judged
                .iter()
                .any(|t| t.line() == last.line() && t.request.truncated) =>
            {
                let s = format!(
                    "challenged ({code}); the capture's snaplen cut the phone's REGISTERs, so \
                     whether they carried credentials can't be told"
                );
                StageResult::not_seen(Stage::SipRegister, s)
            }
            // Left on the challenge while the capture went on: failed.
            None => match waited {
                Some(ch) => unfollowed(ctx, last, ch, code),
                None => still_open(last, code),
            },
        },
    }
}

/// `last`'s challenge as the capture ends (sooner than
/// [`super::unfollowed::UNFOLLOWED_SECS`] after it): the phone's answer may
/// just not be in it.
fn still_open(last: &Transaction<'_>, code: u16) -> StageResult {
    let s = if last.authenticated() {
        format!(
            "the authenticated REGISTER at #{} got a {code} with stale=true (its nonce had \
             expired); the capture ends before a REGISTER with the new nonce",
            last.request.frame
        )
    } else {
        format!("challenged ({code}), no authenticated REGISTER followed in the capture")
    };
    StageResult::not_seen(Stage::SipRegister, s)
}

/// The realms of a proxy's 407 and a registrar's 401 both challenging the
/// line, when its REGISTERs carried credentials (of one kind at a time) but
/// never both kinds at once.
fn two_realms(judged: &[&Transaction<'_>], last: &Transaction<'_>) -> Option<(String, String)> {
    let line: Vec<&&Transaction<'_>> = judged.iter().filter(|t| t.line() == last.line()).collect();
    let realm = |code: u16| {
        line.iter().find_map(|t| match t.finals.first() {
            Some((_, c, m)) if *c == code => {
                let realm = m.www_authenticate.as_ref().and_then(|a| a.get("realm"));
                Some(realm.unwrap_or("no realm").to_string())
            }
            _ => None,
        })
    };
    let credentials = |t: &Transaction<'_>| {
        let (www, proxy) = (t.msg.credentials(false), t.msg.credentials(true));
        (
            !www.is_empty() || !proxy.is_empty(),
            !www.is_empty() && !proxy.is_empty(),
        )
    };
    let some = line.iter().any(|t| credentials(t).0);
    let both = line.iter().any(|t| credentials(t).1);
    (some && !both).then_some(())?;
    Some((realm(407)?, realm(401)?))
}

/// The line's last authenticated REGISTERs, [`STALE_LOOP`] or more in a
/// row (first challenges between them aside), each answered by a stale
/// challenge and none by a 2xx: the phone answered every fresh nonce and
/// the registrar called each one expired.
fn stale_loop(
    judged: &[&Transaction<'_>],
    last: &Transaction<'_>,
    code: u16,
    registered: Option<&Fact>,
) -> Option<StageResult> {
    // The first challenges of a phone that starts over between tries
    // (a REGISTER without credentials, answered 401/407) do not break it.
    let challenged = |t: &Transaction<'_>| matches!(t.final_code(), Some(401 | 407));
    let run: Vec<&&Transaction<'_>> = judged
        .iter()
        .rev()
        .filter(|t| t.line() == last.line() && t.request.frame <= last.request.frame)
        .take_while(|t| challenged(t) && (!t.authenticated() || t.stale()))
        .filter(|t| t.authenticated())
        .collect();
    if run.len() < STALE_LOOP {
        return None;
    }
    let first = run.last().map_or(last.request.frame, |t| t.request.frame);
    let since = match registered {
        Some(ok) => format!("registered at #{}, then", ok.frame),
        None => "never registered:".to_string(),
    };
    let summary = format!(
        "{since} {} authenticated REGISTERs (from #{first}) each answered {code} with \
         stale=true: the registrar calls every new nonce expired",
        run.len()
    );
    Some(
        StageResult::new(Stage::SipRegister, Status::Fail, summary).advice(
            "the credentials are not the problem: the registrar rejects each nonce it has just \
             given as stale; check its nonce lifetime (it must outlast the phone's round trip) \
             and, behind a cluster or load balancer, that every node shares the nonce secret \
             and the same clock",
        ),
    )
}

/// The digest algorithms a challenge offers, when none is MD5 (MD5 or
/// MD5-sess; a challenge without one means MD5: RFC 3261 22.4), the only
/// ones a phone is sure to answer: "SHA-256", "SHA-256 and SHA-512-256".
pub(super) fn unanswerable_algorithms(m: &SipMessage) -> Option<String> {
    let mut offered: Vec<String> = Vec::new();
    for (name, value) in &m.headers {
        let challenge = name.eq_ignore_ascii_case("WWW-Authenticate")
            || name.eq_ignore_ascii_case("Proxy-Authenticate");
        if !challenge {
            continue;
        }
        let algorithm = value
            .split(',')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| {
                k.split_whitespace()
                    .next_back()
                    .is_some_and(|k| k.eq_ignore_ascii_case("algorithm"))
            })
            .map_or("MD5".to_string(), |(_, v)| {
                v.trim().trim_matches('"').to_string()
            });
        if algorithm.eq_ignore_ascii_case("MD5") || algorithm.eq_ignore_ascii_case("MD5-sess") {
            return None;
        }
        if !offered.contains(&algorithm) {
            offered.push(algorithm);
        }
    }
    (!offered.is_empty()).then(|| offered.join(" and "))
}

/// A 2xx to the phone, after frame `after`, for `last`'s Call-ID and the
/// next CSeq (the authenticated REGISTER answering the challenge, RFC 3261
/// 22.2): the answer to a REGISTER the capture lost, with its status words
/// and CSeq.
/// The phone answered `last`'s challenge with a REGISTER the capture lost:
/// its 2xx (the Call-ID's next CSeq) is there. The 2xx, and that CSeq.
pub(super) fn answered_unseen<'a>(
    ctx: &Ctx<'a>,
    last: &Transaction<'_>,
) -> Option<((&'a Fact, u16, &'a SipMessage), u32)> {
    let after = last.finals.first()?.0.frame;
    ctx.own()
        .filter(|f| f.frame > after && ctx.is_phone(&f.dst_ip()))
        .find_map(|f| match &f.body {
            Body::Sip(m) => match (m.status(), &m.cseq, &m.call_id) {
                (Some(code @ 200..=299), Some((cseq, method)), Some(call_id))
                    if *call_id == last.call_id
                        && *cseq == last.cseq.wrapping_add(1)
                        && method.eq_ignore_ascii_case("REGISTER") =>
                {
                    Some(((f, code, &**m), *cseq))
                }
                _ => None,
            },
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::unanswerable_algorithms;
    use crate::proto::sip::parse_datagram;

    fn offered(challenges: &str) -> Option<String> {
        let text = format!(
            "SIP/2.0 401 Unauthorized\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\n{challenges}\
             Content-Length: 0\r\n\r\n"
        );
        let m = parse_datagram(text.as_bytes()).pop()?.ok()?;
        unanswerable_algorithms(&m)
    }

    #[test]
    fn only_challenges_without_md5_are_unanswerable() {
        let sha = "WWW-Authenticate: Digest realm=\"x\", nonce=\"a=b,c\", algorithm=SHA-256\r\n";
        assert_eq!(offered(sha).as_deref(), Some("SHA-256"));
        let both = format!("{sha}WWW-Authenticate: Digest realm=\"x\", nonce=\"n\"\r\n");
        assert_eq!(offered(&both), None, "no algorithm is MD5");
        let sess = "Proxy-Authenticate: Digest realm=\"x\", algorithm=\"md5-sess\"\r\n";
        assert_eq!(offered(sess), None);
        let two = format!(
            "{sha}WWW-Authenticate: Digest realm=\"x\", algorithm=SHA-512-256, nonce=\"n\"\r\n"
        );
        assert_eq!(offered(&two).as_deref(), Some("SHA-256 and SHA-512-256"));
        // Parameter names without case (RFC 7235 2.1), after any white space.
        let odd = "WWW-Authenticate: Digest realm=\"x\",\tAlgorithm=SHA-256\r\n";
        assert_eq!(offered(odd).as_deref(), Some("SHA-256"));
        assert_eq!(offered(""), None);
    }
}
