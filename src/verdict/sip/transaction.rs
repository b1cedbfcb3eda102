//! REGISTER transactions of a phone: each request keyed by Call-ID, CSeq
//! and top Via branch (RFC 3261 17.1.3; a new branch carrying the same
//! message to the same server over UDP is a re-send), with its
//! retransmissions, provisional and final responses, and the NAT its Via or
//! Contact shows. A final response the phone goes on re-sending after never
//! reached it: the transaction counts as unanswered.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::fact::{Body, Fact, L4};
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
    /// The last provisional response (the first when only one came).
    pub(super) last_provisional: Option<&'a Fact>,
    /// A final response the phone went on re-sending its request after:
    /// it never got it (seen where the capture saw it, lost on the way),
    /// and how many re-sends followed the last final response.
    pub(super) unreached: Option<(&'a Fact, u16, &'a SipMessage)>,
    pub(super) resent_after_final: usize,
    /// Re-sends after any final response (each answered and still re-sent:
    /// the answers never get through).
    pub(super) resent_after_any: usize,
    /// The line (user part of From) this REGISTER is for.
    line: Option<String>,
}

impl<'a> Transaction<'a> {
    /// This challenged REGISTER as if answered by `ok`, the 2xx to its
    /// authenticated REGISTER (CSeq `cseq`) that the capture lost: the
    /// transaction a registration is judged on.
    pub(super) fn answered_unseen(&self, ok: (&'a Fact, u16, &'a SipMessage), cseq: u32) -> Self {
        Transaction {
            call_id: self.call_id.clone(),
            cseq,
            request: self.request,
            msg: self.msg,
            retransmissions: 0,
            last_send: self.last_send,
            finals: vec![ok],
            provisional: None,
            provisionals: 0,
            last_provisional: None,
            unreached: None,
            resent_after_final: 0,
            resent_after_any: 0,
            line: self.line.clone(),
        }
    }

    /// The REGISTER carried credentials, and for a challenge (401, 407)
    /// credentials of that kind and realm: a proxy's 407 and then the
    /// registrar's 401 each challenge a realm the REGISTER had none for
    /// (RFC 3261 22.3), which rejects nothing.
    pub(super) fn authenticated(&self) -> bool {
        match self.finals.first() {
            Some((_, code @ (401 | 407), m)) => {
                let realm = m.www_authenticate.as_ref().and_then(|c| c.get("realm"));
                let creds = self.msg.credentials(*code == 407);
                (creds.iter())
                    .any(|c| realm.is_none() || c.get("realm").is_none_or(|r| Some(r) == realm))
            }
            _ => self.msg.authorization.is_some(),
        }
    }

    /// A REGISTER with no Contact at all (not `*`), read whole: it asks
    /// for the bindings and adds none (RFC 3261 10.2.3). (One with Expires
    /// 0 is taken for the de-registration it means.)
    pub(super) fn binding_query(&self) -> bool {
        let whole = !self.request.truncated && !self.last_send.truncated;
        self.msg.contact.is_empty() && whole && self.expires() != Some(0)
    }

    pub(super) fn expires(&self) -> Option<u32> {
        self.msg.registered_contact().1
    }

    pub(super) fn final_code(&self) -> Option<u16> {
        self.finals.first().map(|f| f.1)
    }

    /// The line (user part of From) this REGISTER is for.
    pub(super) fn line(&self) -> Option<&str> {
        self.line.as_deref()
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

    /// Its final answer says the registrar or the path is busy or down for
    /// now (408, 480, 5xx: RFC 3261 21.4.9, 21.4.18, 21.5): asking again
    /// later or elsewhere may pass, where a 403 or 404 needs the line's
    /// settings changed.
    pub(super) fn transient(&self) -> bool {
        matches!(self.final_code(), Some(408 | 480 | 500..=599))
    }

    /// The nonce this REGISTER's credentials were made with.
    pub(super) fn nonce(&self) -> Option<&str> {
        self.msg.authorization.as_ref()?.get("nonce")
    }

    /// Its last final answer is a challenge with another nonce than the
    /// one its credentials used (the phone's had expired).
    pub(super) fn new_nonce(&self) -> bool {
        let fresh = self
            .finals
            .last()
            .and_then(|(_, _, m)| m.www_authenticate.as_ref());
        match (self.nonce(), fresh.and_then(|a| a.get("nonce"))) {
            (Some(sent), Some(fresh)) => sent != fresh,
            _ => false,
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
    // Indexes, not scans: a capture of endless REGISTER retries would make
    // a search per message quadratic. Transactions of each (Call-ID, CSeq)
    // by Via branch (RFC 3261 17.1.3, compared without case), the latest,
    // and the latest to each server.
    let mut latest: HashMap<(&'a str, u32), usize> = HashMap::new();
    let mut to_server: HashMap<(&'a str, u32, IpAddr), usize> = HashMap::new();
    let mut by_branch: HashMap<(&'a str, u32, String), usize> = HashMap::new();
    for f in ctx.own() {
        let Body::Sip(m) = &f.body else { continue };
        let (Some(call_id), Some((cseq, method))) = (&m.call_id, &m.cseq) else {
            continue;
        };
        if !method.eq_ignore_ascii_case("REGISTER") {
            continue;
        }
        let key = (call_id.as_str(), *cseq);
        let branch = m.via_branch().map(str::to_ascii_lowercase);
        let known = branch
            .clone()
            .and_then(|b| by_branch.get(&(key.0, key.1, b)).copied());
        let at = match (&m.start, known) {
            (_, Some(at)) => Some(at),
            // A request on a new branch re-sends the latest one when it is
            // the same message to the same server over UDP (a phone, or a SIP
            // ALG, that changes the branch each time; over TCP a new branch
            // on a new connection is a new try); with other credentials (a
            // CSeq re-used for them) or to another server (a failover, RFC
            // 3263 4.3) it is a new transaction.
            (StartLine::Request { .. }, None) => latest.get(&key).copied().filter(|at| {
                txs.get(*at).is_some_and(|t| {
                    f.l4 == L4::Udp
                        && t.request.dst == f.dst
                        && t.msg.authorization == m.authorization
                })
            }),
            // An answer on no known branch: the latest transaction to the
            // server it comes from, else the latest.
            (StartLine::Response { .. }, None) => to_server
                .get(&(key.0, key.1, f.src_ip()))
                .or_else(|| latest.get(&key))
                .copied(),
        };
        // A re-send on a branch of its own: its answers carry that branch.
        if let (StartLine::Request { .. }, Some(at), None, Some(b)) =
            (&m.start, at, known, &branch)
        {
            by_branch.insert((key.0, key.1, b.clone()), at);
        }
        let existing = at.and_then(|at| txs.get_mut(at));
        match (&m.start, existing) {
            (StartLine::Request { .. }, Some(t)) if ctx.is_phone(&f.src_ip()) => {
                t.retransmissions += 1;
                t.last_send = f;
                // A retransmission proper (RFC 3261 17.1.1.3: to the same
                // server, over UDP) sent after every
                // final response so far, not one crossing it on the wire: a
                // later final response starts the count again.
                let same = f.l4 == L4::Udp && f.dst == t.request.dst;
                let after = t.finals.last().map(|(a, _, _)| a.ts.secs_until(&f.ts));
                if same && after.is_some_and(|secs| secs > RESENT_AFTER_SECS) {
                    t.resent_after_final += 1;
                    t.resent_after_any += 1;
                }
            }
            (StartLine::Request { .. }, None) if ctx.is_phone(&f.src_ip()) => {
                latest.insert(key, txs.len());
                to_server.insert((key.0, key.1, f.dst_ip()), txs.len());
                if let Some(b) = branch {
                    by_branch.insert((key.0, key.1, b), txs.len());
                }
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
                    last_provisional: None,
                    unreached: None,
                    resent_after_final: 0,
                    resent_after_any: 0,
                    line: m.from.as_deref().and_then(aor_user),
                })
            }
            // Only answers to the phone: a proxy's own responses to the
            // phones behind it share the Call-ID but answer nothing of its.
            (StartLine::Response { code, .. }, Some(t))
                if *code >= 200 && f.dst_ip() == t.request.src_ip() =>
            {
                t.finals.push((f, *code, m));
                t.resent_after_final = 0;
            }
            (StartLine::Response { code, .. }, Some(t))
                if (100..200).contains(code) && f.dst_ip() == t.request.src_ip() =>
            {
                t.provisional.get_or_insert((f, *code, m));
                t.provisionals += 1;
                t.last_provisional = Some(f);
            }
            _ => {}
        }
    }
    // The phone's last REGISTER with credentials (a challenge it answered).
    let last_auth = (txs.iter())
        .filter(|t| t.authenticated())
        .map(|t| t.request.frame)
        .max();
    // Re-sent again and again after its final response: the answer did not
    // reach the phone (a client transaction is done at its final response,
    // RFC 3261 17.1.1.2). It is no answer the phone had. A challenge re-sent
    // after and never answered with credentials did not reach it either.
    let unreached = |t: &Transaction<'_>| {
        let challenged = matches!(t.finals.last(), Some((_, 401 | 407, _)))
            && last_auth.is_none_or(|a| a < t.request.frame);
        t.resent_after_final >= UNREACHED_RESENDS
            || t.resent_after_any >= ANSWERED_RESENDS
            || challenged && t.resent_after_any >= UNREACHED_RESENDS
    };
    for t in txs.iter_mut().filter(|t| unreached(t)) {
        t.unreached = t.finals.last().copied();
        t.finals.clear();
    }
    txs
}

/// Seconds after a final response from which a copy of the request is a
/// re-send (not one crossing the answer), and how many make it unreached.
const RESENT_AFTER_SECS: f64 = 0.2;
const UNREACHED_RESENDS: usize = 2;
/// Re-sends after answers, each answered again, that show none got
/// through: a phone that lost two answers stops at the third, one that
/// hears none goes on to its timeout (about 11 sends, RFC 3261 17.1.2.2).
const ANSWERED_RESENDS: usize = 6;

/// NAT seen in a REGISTER: its Via or Contact names another address than
/// the packet comes from ([`nat_evidence`]).
pub(super) fn nat_note<'a>(txs: &[Transaction<'a>]) -> Option<(&'a Fact, Nat)> {
    txs.iter()
        .find_map(|t| Some((t.request, nat_evidence(t.msg, t.request.src_ip())?)))
}
