//! REGISTER transactions of a phone: each request keyed by Call-ID and
//! CSeq, with its retransmissions and final responses, and the NAT its Via
//! or Contact shows.

use std::collections::HashMap;

use crate::fact::{Body, Fact};
use crate::phone::aor_user;
use crate::proto::sip::{nat_evidence, AuthParams, Nat, SipMessage, StartLine};
use crate::verdict::Ctx;

/// One REGISTER transaction.
pub(super) struct Transaction<'a> {
    pub(super) call_id: String,
    pub(super) cseq: u32,
    pub(super) request: &'a Fact,
    pub(super) msg: &'a SipMessage,
    pub(super) retransmissions: usize,
    /// The request's last copy (itself when never retransmitted).
    pub(super) last_send: &'a Fact,
    pub(super) finals: Vec<(&'a Fact, u16, &'a SipMessage)>,
    /// Provisional (1xx) responses to the phone: the first, and how many.
    pub(super) provisional: Option<(&'a Fact, u16, &'a SipMessage)>,
    pub(super) provisionals: usize,
    /// A final response the phone went on re-sending its request after:
    /// it never got it (seen where the capture saw it, lost on the way),
    /// and how many copies followed.
    pub(super) unreached: Option<(&'a Fact, u16, &'a SipMessage)>,
    pub(super) resent_after_final: usize,
}

impl Transaction<'_> {
    pub(super) fn authenticated(&self) -> bool {
        self.msg.authorization.is_some()
    }

    pub(super) fn expires(&self) -> Option<u32> {
        self.msg.contact_expires.or(self.msg.expires)
    }

    pub(super) fn final_code(&self) -> Option<u16> {
        self.finals.first().map(|f| f.1)
    }

    /// The line (user part of From) this REGISTER is for.
    pub(super) fn line(&self) -> Option<String> {
        self.msg.from.as_deref().and_then(aor_user)
    }

    /// How badly the transaction ended: registered 0, still open (a
    /// challenge not yet answered, no answer yet) 1, failed 2.
    pub(super) fn rank(&self) -> u8 {
        match self.final_code() {
            Some(200..=299) => 0,
            Some(401 | 407) if !self.authenticated() || self.stale() => 1,
            None if self.retransmissions == 0 => 1,
            _ => 2,
        }
    }

    pub(super) fn stale(&self) -> bool {
        self.finals
            .first()
            .is_some_and(|(_, _, m)| m.www_authenticate.as_ref().is_some_and(AuthParams::stale))
    }
}

pub(super) fn transactions<'a>(ctx: &'a Ctx<'a>) -> Vec<Transaction<'a>> {
    let mut txs: Vec<Transaction<'a>> = Vec::new();
    // Position of each (Call-ID, CSeq) in `txs`: a linear search per message
    // would be quadratic in a capture of endless REGISTER retries.
    let mut index: HashMap<(&'a str, u32), usize> = HashMap::new();
    for f in ctx.own() {
        let Body::Sip(m) = &f.body else { continue };
        let (Some(call_id), Some((cseq, method))) = (&m.call_id, &m.cseq) else {
            continue;
        };
        if !method.eq_ignore_ascii_case("REGISTER") {
            continue;
        }
        let key = (call_id.as_str(), *cseq);
        let existing = index.get(&key).and_then(|&at| txs.get_mut(at));
        match (&m.start, existing) {
            (StartLine::Request { .. }, Some(t)) if ctx.is_phone(&f.src_ip()) => {
                t.retransmissions += 1;
                t.last_send = f;
                // (Not a copy crossing the answer on the wire.)
                let after = t.finals.first().map(|(a, _, _)| a.ts.secs_until(&f.ts));
                if after.is_some_and(|secs| secs > RESENT_AFTER_SECS) {
                    t.resent_after_final += 1;
                }
            }
            (StartLine::Request { .. }, None) if ctx.is_phone(&f.src_ip()) => {
                index.insert(key, txs.len());
                txs.push(Transaction {
                    call_id: call_id.clone(),
                    cseq: *cseq,
                    request: f,
                    msg: m,
                    retransmissions: 0,
                    last_send: f,
                    finals: Vec::new(),
                    provisional: None,
                    provisionals: 0,
                    unreached: None,
                    resent_after_final: 0,
                })
            }
            // Only answers to the phone: a proxy's own responses to the
            // phones behind it share the Call-ID but answer nothing of its.
            (StartLine::Response { code, .. }, Some(t))
                if *code >= 200 && f.dst_ip() == t.request.src_ip() =>
            {
                t.finals.push((f, *code, m))
            }
            (StartLine::Response { code, .. }, Some(t))
                if (100..200).contains(code) && f.dst_ip() == t.request.src_ip() =>
            {
                t.provisional.get_or_insert((f, *code, m));
                t.provisionals += 1;
            }
            _ => {}
        }
    }
    // Re-sent again and again after its final response: the answer did not
    // reach the phone (a client transaction is done at its final response,
    // RFC 3261 17.1.1.2). It is no answer the phone had.
    for t in txs
        .iter_mut()
        .filter(|t| t.resent_after_final >= UNREACHED_RESENDS)
    {
        t.unreached = t.finals.first().copied();
        t.finals.clear();
    }
    txs
}

/// Seconds after a final response from which a copy of the request is a
/// re-send (not one crossing the answer), and how many make it unreached.
const RESENT_AFTER_SECS: f64 = 0.2;
const UNREACHED_RESENDS: usize = 2;

/// NAT seen in a REGISTER: its Via or Contact names another address than
/// the packet comes from ([`nat_evidence`]).
pub(super) fn nat_note<'a>(txs: &[Transaction<'a>]) -> Option<(&'a Fact, Nat)> {
    txs.iter()
        .find_map(|t| Some((t.request, nat_evidence(t.msg, t.request.src_ip())?)))
}
