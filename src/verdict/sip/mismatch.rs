//! Credentials that do not answer the challenge they follow (RFC 3261
//! 22.2-22.4): a 407's answered in Authorization instead of
//! Proxy-Authorization (or a 401's the other way round), credentials for
//! another realm, another challenge's nonce, or another digest algorithm.
//! The phone did send credentials: the line is not without them, and the
//! advice names what the wire shows instead of the password.

use super::transaction::Transaction;
use crate::proto::sip::AuthParams;
use crate::verdict::{Stage, StageResult, Status};

/// `last`, challenged again, carried credentials that do not answer the
/// challenge before it (the same Call-ID's previous CSeq, else the line's
/// last challenge): the stage says how they differ.
pub(super) fn mismatched(
    judged: &[&Transaction<'_>],
    last: &Transaction<'_>,
) -> Option<StageResult> {
    let (again, again_code, _) = last.finals.first()?;
    let earlier = |t: &&&Transaction<'_>| {
        t.line() == last.line()
            && t.request.frame < last.request.frame
            && matches!(t.final_code(), Some(401 | 407))
    };
    let previous = (judged.iter().rev().filter(earlier))
        .find(|t| t.call_id == last.call_id && t.cseq.wrapping_add(1) == last.cseq)
        .or_else(|| judged.iter().rev().find(earlier))?;
    let (ch, code, m) = previous.finals.first()?;
    let challenge = m.www_authenticate.as_ref()?;
    let proxy = *code == 407;
    let (right, wrong) = (last.msg.credentials(proxy), last.msg.credentials(!proxy));
    let header = |p: bool| {
        if p {
            "Proxy-Authorization"
        } else {
            "Authorization"
        }
    };
    let at = format!("REGISTER #{}", last.request.frame);
    let (what, advice) =
        match right.first() {
            None if !wrong.is_empty() => (
                format!(
                    "the phone answered the {code} at #{} with {} where RFC 3261 22.3 wants {} \
                 ({at})",
                    ch.frame,
                    header(!proxy),
                    header(proxy)
                ),
                format!(
                "the phone puts its credentials for a {code} in the wrong header ({} for {}): a \
                 phone firmware fault or a SIP ALG rewriting the REGISTER; update the firmware \
                 or turn off the SIP ALG on the path",
                header(!proxy),
                if proxy { "Proxy-Authenticate" } else { "WWW-Authenticate" }
            ),
            ),
            None => return None,
            Some(_) => differs(challenge, &right, &at, ch.frame)?,
        };
    let summary = format!(
        "{what}; challenged again ({again_code} at #{})",
        again.frame
    );
    Some(StageResult::new(Stage::SipRegister, Status::Fail, summary).advice(advice))
}

/// How the credentials `creds` differ from `challenge`: realm, nonce or
/// algorithm, with the advice for it; None when one of them answers it.
fn differs(
    challenge: &AuthParams,
    creds: &[AuthParams],
    at: &str,
    ch: u64,
) -> Option<(String, String)> {
    let param = |p: &AuthParams, k: &str| p.get(k).map(str::to_string);
    let algorithm = |p: &AuthParams| {
        param(p, "algorithm")
            .unwrap_or_else(|| "MD5".into())
            .to_ascii_uppercase()
    };
    let c = creds.first()?;
    let realm = param(challenge, "realm");
    if let (Some(want), Some(got)) = (&realm, param(c, "realm")) {
        if creds.iter().all(|c| c.get("realm") != Some(want.as_str())) {
            return Some((
                format!(
                    "the phone sent credentials for realm \"{got}\" where the challenge at \
                     #{ch} asks for realm \"{want}\" ({at})"
                ),
                "the phone answers with another realm's credentials: check the line's \
                 realm/domain (proxy) setting, a realm cached from another SBC after a \
                 failover, or a SIP ALG rewriting the challenge or the REGISTER"
                    .into(),
            ));
        }
    }
    let nonce = param(challenge, "nonce");
    if let (Some(want), Some(_)) = (&nonce, param(c, "nonce")) {
        if creds.iter().all(|c| c.get("nonce") != Some(want.as_str())) {
            return Some((
                format!(
                    "the phone's credentials ({at}) carry the nonce of another challenge, not \
                     the one given at #{ch}"
                ),
                "the phone answers an old challenge instead of the latest one: a phone \
                 firmware fault, or answers of the registrar lost or reordered on the path \
                 (several registrars behind one address, a SIP ALG)"
                    .into(),
            ));
        }
    }
    let want = algorithm(challenge);
    let got = algorithm(c);
    (want != got).then(|| {
        (
            format!(
                "the phone's credentials ({at}) use the {got} digest algorithm where the \
                 challenge at #{ch} asks for {want}"
            ),
            format!(
                "the phone answers with {got} a challenge for {want}: bring the phone to a \
                 firmware that answers {want}, or have the registrar offer {got}"
            ),
        )
    })
}
