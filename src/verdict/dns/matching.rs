//! Matching each DNS query of a phone to what answered it: a response with
//! the same id from the endpoint asked, an ICMP unreachable quoting the
//! query, a response from another address, or silence; and responses whose
//! query the capture lacks.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use super::answer::{answer_of, Answer, Attempt};
use crate::fact::{Body, Fact, TcpResult};
use crate::time::Timestamp;
use crate::verdict::{Ctx, REFUSAL_SECS};

pub(super) fn attempts<'a>(ctx: &'a Ctx<'a>) -> Vec<Attempt<'a>> {
    let own: Vec<&Fact> = ctx.own().collect();
    let replies = Replies::index(&own);
    // Datagrams lost as IP fragments (usually none), for unanswered queries:
    // by (sender, receiver), in frame order.
    let mut lost: HashMap<(SocketAddr, SocketAddr), Vec<&Fact>> = HashMap::new();
    for f in own
        .iter()
        .filter(|f| matches!(f.body, Body::FragmentsLost { .. }))
    {
        lost.entry((f.src, f.dst)).or_default().push(f);
    }
    let mut out = Vec::new();
    for (i, q) in own.iter().enumerate() {
        let Body::Dns(m) = &q.body else { continue };
        if m.response || !ctx.is_phone(&q.src_ip()) {
            continue;
        }
        let Some(question) = m.questions.first() else {
            continue;
        };
        // The first datagram back to the query's socket soon after it whose
        // IP fragments never all arrived.
        let lost_answer = |q: &'a Fact| {
            let to_phone = lost.get(&(q.dst, q.src)).map_or(&[][..], Vec::as_slice);
            let next = to_phone.partition_point(|f| f.frame <= q.frame);
            (to_phone.get(next).copied()).filter(|f| q.ts.secs_until(&f.ts) < ANSWER_SECS)
        };
        let answer = replies.to(i, m.id, q).map(|r| match &r.body {
            Body::Dns(a) if r.truncated && a.malformed.is_some() => (Answer::CutShort, r),
            Body::Dns(a) => (answer_to(a, &question.name, question.qtype), r),
            Body::Icmp(u) => (Answer::Unreachable(u.kind.words().to_string()), r),
            _ => (Answer::NoResponse, r),
        });
        let stray = || replies.stray(i, m.id, q, &question.name);
        // The phone refused, with ICMP, a datagram from the server's address
        // but another port to its query's port: the answer came from a
        // port it did not ask (a connected socket takes only port 53's).
        let refused = || replies.refused_by_phone(i, q);
        let (answer, answer_fact) = match answer {
            Some((a, f)) => (a, Some(f)),
            None if stray().is_some() => match stray() {
                Some(r) => (Answer::OtherSource(r.src_ip().to_string()), Some(r)),
                None => (Answer::NoResponse, None),
            },
            None if refused().is_some() => match refused() {
                Some((r, from)) => (Answer::OtherSource(from.to_string()), Some(r)),
                None => (Answer::NoResponse, None),
            },
            // The server answered the query's socket with another id.
            None if replies.other_id(i, m.id, q, &question.name).is_some() => {
                match replies.other_id(i, m.id, q, &question.name) {
                    Some((r, id)) => {
                        let why = format!("its id {id:#06x} is not the query's {:#06x}", m.id);
                        (Answer::Mismatched(why), Some(r))
                    }
                    None => (Answer::NoResponse, None),
                }
            }
            // Over TCP, the server closing the connection after the query
            // is its end without an answer, however soon the capture ends.
            // Over TCP, the phone acknowledged bytes of the server's the
            // capture lacks: the answer came, and the capture lost it.
            None if replies.unseen(q).is_some() => (Answer::CutShort, replies.unseen(q)),
            // (An answer whose IP fragments never all arrived before the
            // end is said beside it: the rest may still come.)
            None if ctx.secs_left(&q.ts) < 1.0 && replies.closed_after(i, q).is_none() => {
                (Answer::Pending, lost_answer(q))
            }
            None if replies.closed_after(i, q).is_some() => {
                (Answer::NoResponse, replies.closed_after(i, q))
            }
            // The answer came as IP fragments that never all arrived: no
            // response for the phone, but not a silent server.
            None => (Answer::NoResponse, lost_answer(q)),
        };
        // A response the phone refused with ICMP came after it had given up
        // on the query (closed its socket): it never reached the resolver.
        let late = answer_fact
            .filter(|r| r.src == q.dst && matches!(r.body, Body::Dns(_)))
            .and_then(|r| Some((r, replies.refused_answer(r)?)));
        let answer = match (answer, answer_fact, late) {
            // Refused at once after a quick answer: not a phone that had
            // given up, a filter on its side rejecting DNS answers.
            (_, _, Some((r, icmp))) if q.ts.secs_until(&r.ts) < LATE_SECS => {
                let kind = match &icmp.body {
                    Body::Icmp(u) => u.kind.words().to_string(),
                    _ => "error".to_string(),
                };
                Answer::RefusedByPhone(kind, icmp.frame)
            }
            (_, _, Some((r, icmp))) => Answer::Late(q.ts.secs_until(&r.ts), icmp.frame),
            (Answer::Truncated(n), Some(tc), _) => tcp_retry(&own, q, tc)
                .map_or(Answer::Truncated(n), |(how, frame)| {
                    Answer::TcpRetryFailed(n, how, frame)
                }),
            (answer, _, _) => answer,
        };
        out.push(Attempt {
            query: q,
            name: question.name.clone(),
            qtype: question.qtype,
            answer,
            answer_fact,
            fewer_answers: replies.fewer_answers(i, m.id, q),
            others: Default::default(),
        });
    }
    answers_alone(ctx, &own, &replies, &mut out);
    answered_others(ctx, &mut out);
    redundant_late(&mut out);
    cookie_retried(&mut out);
    out
}

/// A BADCOOKIE answer (RFC 7873 5.3) followed at once by the same question
/// to the same server from the same host: the client took the server's
/// cookie and asked again, as it should; no failure.
pub(super) fn cookie_retried(out: &mut [Attempt<'_>]) {
    let retry = |a: &Attempt<'_>, b: &Attempt<'_>| {
        b.name.eq_ignore_ascii_case(&a.name)
            && b.qtype == a.qtype
            && b.query.dst_ip() == a.query.dst_ip()
            && b.query.src_ip() == a.query.src_ip()
            && !b.unseen_query()
            && a.query.ts.secs_until(&b.query.ts) < COOKIE_RETRY_SECS
    };
    let retried: Vec<usize> = (0..out.len())
        .filter(|&i| matches!(&out[i].answer, Answer::Error(rc) if rc == "BADCOOKIE"))
        .filter(|&i| {
            let later = out.get(i + 1..).unwrap_or_default();
            later.iter().take(COOKIE_LOOK).any(|b| retry(&out[i], b))
        })
        .collect();
    for i in retried {
        out[i].answer = Answer::CookieRetried;
    }
}

/// Later attempts looked at for a BADCOOKIE's retry, and how soon it comes.
const COOKIE_LOOK: usize = 8;
const COOKIE_RETRY_SECS: f64 = 2.0;

/// A late answer the phone refused after it had its answer from a query
/// sent at the same time (the same question to a second server) is no
/// failure: the phone had closed that query because it was done, and never
/// read it. A retry sent after a wait is no such query: the first one had
/// timed out.
fn redundant_late(out: &mut [Attempt<'_>]) {
    // Answered questions by (name, type): their queries' and answers' times,
    // in query order (attempts are), so a refused answer looks up a window.
    let mut answered: HashMap<(String, u16), Vec<(Timestamp, Timestamp)>> = HashMap::new();
    for o in out.iter().filter(|o| o.ok()) {
        if let Some(r) = o.answer_fact {
            let key = (o.name.to_ascii_lowercase(), o.qtype);
            answered.entry(key).or_default().push((o.query.ts, r.ts));
        }
    }
    let done_by = |late: &Attempt<'_>, _: &[Attempt<'_>]| {
        let at = late.answer_fact?.ts;
        let times = answered.get(&(late.name.to_ascii_lowercase(), late.qtype))?;
        let from = times.partition_point(|(q, _)| q.secs_until(&late.query.ts) >= PARALLEL_SECS);
        times
            .get(from..)?
            .iter()
            .take_while(|(q, _)| late.query.ts.secs_until(q) < PARALLEL_SECS)
            .find(|(_, answer)| answer.secs_until(&at) >= 0.0)
            .map(|_| ())
    };
    let refused = |a: &Attempt<'_>| match a.answer {
        Answer::Late(_, icmp) | Answer::RefusedByPhone(_, icmp) => Some(icmp),
        _ => None,
    };
    let redundant: Vec<(usize, u64)> = (0..out.len())
        .filter_map(|i| Some((i, refused(&out[i])?)))
        .filter(|&(i, _)| done_by(&out[i], out).is_some())
        .collect();
    for (i, icmp) in redundant {
        if let Some(a) = out.get_mut(i) {
            a.answer = Answer::Unread(icmp);
        }
    }
}

/// Responses to the phone from a DNS server whose queries the capture
/// lacks, when it holds none of the phone's queries (a tap that copies what
/// it received) or before its first one (the capture started between a
/// query and its answer): each is an attempt of its own, the response
/// standing for the query ([`Attempt::unseen_query`]).
fn answers_alone<'a>(
    ctx: &Ctx<'a>,
    own: &[&'a Fact],
    replies: &Replies<'a>,
    out: &mut Vec<Attempt<'a>>,
) {
    // After the phone's first query in the capture, a lone answer is a
    // stray, a duplicate or one the phone refused, and its query's own
    // answer rules.
    let first_query = out.iter().map(|a| a.query.frame).min().unwrap_or(u64::MAX);
    for r in own.iter().filter(|r| r.frame < first_query) {
        let Body::Dns(m) = &r.body else { continue };
        let (Some(question), 53) = (m.questions.first(), r.src.port()) else {
            continue;
        };
        let asked = replies.asked.contains(&(m.id, r.dst, r.src));
        if !m.response || asked || !ctx.is_phone(&r.dst_ip()) {
            continue;
        }
        let answer = match r.truncated && m.malformed.is_some() {
            true => Answer::CutShort,
            false => answer_of(m, &question.name, question.qtype),
        };
        out.push(Attempt {
            query: r,
            name: question.name.clone(),
            qtype: question.qtype,
            answer,
            answer_fact: Some(r),
            fewer_answers: false,
            others: Default::default(),
        });
    }
    out.sort_by_key(|a| a.query.frame);
}

/// What a response with the query's id says to the question `name` /
/// `qtype`: a response that asks another question answers that one.
fn answer_to(m: &crate::proto::dns::DnsMessage, name: &str, qtype: u16) -> Answer {
    match m.questions.first() {
        Some(other) if !other.name.eq_ignore_ascii_case(name) || other.qtype != qtype => {
            Answer::Mismatched(format!(
                "it answers another question ({} {})",
                other.name,
                crate::proto::dns::qtype_name(other.qtype)
            ))
        }
        _ => answer_of(m, name, qtype),
    }
}

/// The phone's retry over TCP of a query answered truncated (`tc`): how it
/// failed and its frame, when the first connection to the server's port 53
/// after the answer was refused, unanswered or unreachable.
fn tcp_retry(own: &[&Fact], query: &Fact, tc: &Fact) -> Option<(&'static str, u64)> {
    let server = SocketAddr::new(query.dst_ip(), 53);
    let first = own.iter().find_map(|f| match &f.body {
        Body::Tcp { attempt, .. }
            if f.dst == server
                && f.src_ip() == query.src_ip()
                && tc.ts.secs_until(&attempt.first_syn_ts) >= 0.0 =>
        {
            Some(attempt)
        }
        _ => None,
    })?;
    let how = match first.result {
        TcpResult::Established => return None,
        TcpResult::Refused => "refused (RST)",
        TcpResult::Unreachable => "answered by ICMP unreachable",
        TcpResult::NoAnswer => "never answered (its SYNs dropped)",
    };
    Some((how, first.answer_frame))
}

/// Positions of responses in a phone's facts, and for each the position of
/// the first well-formed response at or after it.
type Positions = (Vec<usize>, Vec<Option<usize>>);

/// Responses and ICMP unreachables of a phone's facts, by the query they
/// answer, so that matching every query costs a lookup rather than a scan of
/// all later facts (quadratic on a capture of endless unanswered retries).
#[derive(Default)]
pub(super) struct Replies<'a> {
    /// (id, responder, asker) -> positions in `own`, ascending, and for each
    /// the position of the first well-formed response at or after it.
    responses: HashMap<(u16, SocketAddr, SocketAddr), Positions>,
    /// (quoted source, quoted destination) -> positions in `own`, ascending.
    unreachables: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    /// (id, asker) -> positions of responses in `own`, from any address.
    by_asker: HashMap<(u16, SocketAddr), Vec<usize>>,
    /// (responder, asker) -> positions of responses in `own`, any id.
    by_pair: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    /// (id, asker, server) of every query: a server asked with that id
    /// answers its own query, not another's.
    asked: HashSet<(u16, SocketAddr, SocketAddr)>,
    /// (id, asker, server) -> positions of the queries in `own`, ascending.
    copies: HashMap<(u16, SocketAddr, SocketAddr), Vec<usize>>,
    /// ICMP errors a host sent about a datagram to it, by its socket.
    refused: HashMap<SocketAddr, Vec<usize>>,
    /// (server, asker) -> positions of the server's closes (TCP FIN, RST).
    closes: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    /// (asker, server) -> position of a close of the asker's that had
    /// acknowledged bytes of the server's the capture lacks.
    unseen: HashMap<(SocketAddr, SocketAddr), usize>,
    own: Vec<&'a Fact>,
}

impl<'a> Replies<'a> {
    pub(super) fn index(own: &[&'a Fact]) -> Self {
        let mut r = Replies {
            own: own.to_vec(),
            ..Default::default()
        };
        for (i, f) in own.iter().enumerate() {
            match &f.body {
                Body::Dns(a) if a.response => {
                    let key = (a.id, f.src, f.dst);
                    r.responses.entry(key).or_default().0.push(i);
                    r.by_asker.entry((a.id, f.dst)).or_default().push(i);
                    r.by_pair.entry((f.src, f.dst)).or_default().push(i);
                }
                Body::Closed {
                    peer_unseen,
                    own_unseen,
                    ..
                } => {
                    r.closes.entry((f.src, f.dst)).or_default().push(i);
                    // Keyed (asker, server): the phone acknowledged server
                    // bytes the capture lacks, or the server closed after
                    // sending bytes the capture lacks.
                    if *peer_unseen {
                        r.unseen.entry((f.src, f.dst)).or_insert(i);
                    }
                    if *own_unseen {
                        r.unseen.entry((f.dst, f.src)).or_insert(i);
                    }
                }
                Body::Dns(a) => {
                    r.asked.insert((a.id, f.src, f.dst));
                    r.copies.entry((a.id, f.src, f.dst)).or_default().push(i);
                }
                Body::Icmp(u) => {
                    r.unreachables
                        .entry((u.orig_src, u.orig_dst))
                        .or_default()
                        .push(i);
                    // Sent by the receiver of the datagram it quotes.
                    if f.src_ip() == u.orig_dst.ip() {
                        r.refused.entry(u.orig_dst).or_default().push(i);
                    }
                }
                _ => {}
            }
        }
        for (at, next_ok) in r.responses.values_mut() {
            let mut next = None;
            *next_ok = vec![None; at.len()];
            for (k, &i) in at.iter().enumerate().rev() {
                let ok = matches!(&own.get(i).map(|f| &f.body),
                    Some(Body::Dns(a)) if a.malformed.is_none());
                if ok {
                    next = Some(i);
                }
                if let Some(slot) = next_ok.get_mut(k) {
                    *slot = next;
                }
            }
        }
        r
    }

    /// The close of the query's TCP connection by the phone having
    /// acknowledged bytes of the server's that the capture lacks.
    pub(super) fn unseen(&self, q: &Fact) -> Option<&'a Fact> {
        let at = *self.unseen.get(&(q.src, q.dst))?;
        self.own.get(at).copied()
    }

    /// The server closed (or reset) the TCP connection of the query at
    /// position `i` after it.
    /// (Not when the phone closed first: the server then only answered
    /// the phone's giving up.)
    pub(super) fn closed_after(&self, i: usize, q: &Fact) -> Option<&'a Fact> {
        let first = |key: &(SocketAddr, SocketAddr)| {
            let at = self.closes.get(key)?;
            at.get(at.partition_point(|&j| j <= i)).copied()
        };
        let server = first(&(q.dst, q.src))?;
        if first(&(q.src, q.dst)).is_some_and(|phone| phone < server) {
            return None;
        }
        // The server had closed the connection before the query (an idle
        // connection, RFC 7766 6.2.3): its reset answers no query of its.
        let before = self.closes.get(&(q.dst, q.src));
        if before.is_some_and(|at| at.first().is_some_and(|&j| j < i)) {
            return None;
        }
        self.own.get(server).copied()
    }

    /// The phone's ICMP error after the query at position `i` about a
    /// datagram from the server's address but another port to the query's
    /// port: that error, and where the datagram came from.
    pub(super) fn refused_by_phone(&self, i: usize, q: &Fact) -> Option<(&'a Fact, SocketAddr)> {
        let at = self.refused.get(&q.src)?;
        let later = at.get(at.partition_point(|&j| j <= i)..)?;
        later
            .iter()
            .filter_map(|&j| self.own.get(j).copied())
            .find_map(|f| match &f.body {
                Body::Icmp(u) if u.orig_src.ip() == q.dst.ip() && u.orig_src != q.dst => {
                    Some((f, u.orig_src))
                }
                _ => None,
            })
    }

    /// The phone's ICMP error, at once after `response`, quoting it: the
    /// phone's resolver had closed the query's socket (it had given up).
    pub(super) fn refused_answer(&self, response: &Fact) -> Option<&'a Fact> {
        let at = self.refused.get(&response.dst)?;
        let own = &self.own;
        let after = at.partition_point(|&j| own.get(j).is_some_and(|f| f.frame <= response.frame));
        let icmp = at
            .get(after..)?
            .iter()
            .take(MAX_STRAY_LOOK)
            .filter_map(|&j| own.get(j).copied())
            .take_while(|f| response.ts.secs_until(&f.ts) <= REFUSAL_SECS)
            .find(|f| matches!(&f.body, Body::Icmp(u) if u.orig_src == response.src))?;
        // It refuses this response only if no other datagram of the same
        // pair came between (a duplicate, the answer to another question
        // on the same socket).
        let from = own.partition_point(|f| f.frame <= response.frame);
        let to = own.partition_point(|f| f.frame < icmp.frame);
        let between = own.get(from..to).unwrap_or_default().iter().any(|f| {
            f.src == response.src && f.dst == response.dst && matches!(f.body, Body::Dns(_))
        });
        (!between).then_some(icmp)
    }

    /// A response from the server asked, to the query's socket, about the
    /// same name, soon after the query at position `i`, with another id
    /// that no query of that socket to that server used: the response and
    /// its id.
    pub(super) fn other_id(
        &self,
        i: usize,
        id: u16,
        q: &Fact,
        name: &str,
    ) -> Option<(&'a Fact, u16)> {
        let at = self.by_pair.get(&(q.dst, q.src))?;
        let later = at.get(at.partition_point(|&j| j <= i)..)?;
        later
            .iter()
            .take(MAX_STRAY_LOOK)
            .filter_map(|&j| self.own.get(j).copied())
            .take_while(|r| q.ts.secs_until(&r.ts) < ANSWER_SECS)
            .find_map(|r| match &r.body {
                Body::Dns(m)
                    if m.id != id
                        && !self.asked.contains(&(m.id, q.src, q.dst))
                        && m.questions
                            .first()
                            .is_some_and(|x| x.name.eq_ignore_ascii_case(name)) =>
                {
                    Some((r, m.id))
                }
                _ => None,
            })
    }

    /// A response to the query at position `i` that comes from another
    /// address than the one asked: same id, to the asking port, about the
    /// same name.
    pub(super) fn stray(&self, i: usize, id: u16, q: &Fact, name: &str) -> Option<&'a Fact> {
        let at = self.by_asker.get(&(id, q.src))?;
        let later = at.get(at.partition_point(|&j| j <= i)..)?;
        later
            .iter()
            .take(MAX_STRAY_LOOK)
            .filter_map(|&j| self.own.get(j).copied())
            .find(|r| {
                r.src != q.dst
                    && !self.asked.contains(&(id, q.src, r.src))
                    && matches!(&r.body, Body::Dns(a)
                    if a.questions.first().is_some_and(|x| x.name.eq_ignore_ascii_case(name)))
            })
    }

    /// What answers the query at position `i`: the first later response
    /// (same id, reversed endpoints), the first well-formed one if a
    /// malformed one came first (else the last malformed one), or an ICMP
    /// unreachable quoting the query when it comes before any response.
    /// Fewer responses came to the query at `i` (with `id`) and its later
    /// copies than there were queries: one of them went unanswered.
    pub(super) fn fewer_answers(&self, i: usize, id: u16, q: &Fact) -> bool {
        let copies = self.copies.get(&(id, q.src, q.dst));
        let copies_left = copies.map_or(0, |c| c.len() - c.partition_point(|&j| j < i));
        let answers_left = (self.responses.get(&(id, q.dst, q.src)))
            .map_or(0, |(at, _)| at.len() - at.partition_point(|&j| j <= i));
        answers_left < copies_left
    }

    pub(super) fn to(&self, i: usize, id: u16, q: &Fact) -> Option<&'a Fact> {
        let after = |v: &[usize]| v.partition_point(|&j| j <= i);
        let first_icmp = self
            .unreachables
            .get(&(q.src, q.dst))
            .and_then(|v| v.get(after(v)).copied());
        let response = self
            .responses
            .get(&(id, q.dst, q.src))
            .and_then(|(at, next_ok)| {
                let k = after(at);
                let first = *at.get(k)?;
                let chosen = next_ok.get(k).copied().flatten().or(at.last().copied())?;
                Some((first, chosen))
            });
        let pick = match (response, first_icmp) {
            (Some((first, _)), Some(icmp)) if icmp < first => icmp,
            (Some((_, chosen)), _) => chosen,
            (None, Some(icmp)) => icmp,
            (None, None) => return None,
        };
        let answer = self.own.get(pick).copied()?;
        // Long after the query, with the query sent again in between (a
        // resolver such as dnsmasq re-sends a pending query with its id and
        // port when asked again a minute later): the answer is the later
        // copy's, and this one got none.
        // (Only when fewer answers than copies came: a server answering
        // each copy late answered this one too.)
        let copies = self.copies.get(&(id, q.src, q.dst));
        // (The copies are in frame order: the first after `i` tells; a
        // scan of them all per query made many boots' repeats quadratic.)
        let again = copies.is_some_and(|c| {
            c.get(c.partition_point(|&j| j <= i))
                .is_some_and(|&j| j < pick)
        });
        let again = again && self.fewer_answers(i, id, q);
        match again && q.ts.secs_until(&answer.ts) > STALE_SECS {
            true => None,
            false => Some(answer),
        }
    }
}

/// Seconds after a query from which an answer that a later copy of the
/// query may own is that copy's (a stub resolver gives up within seconds).
const STALE_SECS: f64 = 10.0;

/// Seconds after a query within which a datagram lost as fragments is
/// taken for its answer (a resolver answers in well under that).
const ANSWER_SECS: f64 = 5.0;

/// Seconds after its query from which an answer the phone refuses was late
/// (a stub resolver waits a second or more before it gives up).
const LATE_SECS: f64 = 0.5;

/// Queries for one question sent within this many seconds of each other
/// were sent together (to several servers), not one as the other's retry.
pub(super) const PARALLEL_SECS: f64 = 0.5;

/// Responses with a query's id and port looked at for one from another
/// address (bounds the work on a storm of identical ids).
const MAX_STRAY_LOOK: usize = 16;

/// For each server that never answered the phone: its DNS answers to other
/// hosts while the phone asked it (until a second after its last query).
fn answered_others(ctx: &Ctx<'_>, out: &mut [Attempt<'_>]) {
    let silent =
        |a: &Attempt<'_>| matches!(a.answer, Answer::NoResponse) && a.answer_fact.is_none();
    if !out.iter().any(&silent) {
        return;
    }
    // (An answer to the phone's own query sent elsewhere, a NAT's other
    // side, is not another host's: same id, same question.)
    let own: Vec<(u16, Vec<crate::proto::dns::DnsQuestion>)> = (out.iter())
        .filter_map(|a| match &a.query.body {
            Body::Dns(q) => Some((q.id, q.questions.clone())),
            _ => None,
        })
        .collect();
    let mut done: Vec<std::net::IpAddr> = Vec::new();
    for i in 0..out.len() {
        let Some(a) = out.get(i).filter(|a| silent(a) && !a.unseen_query()) else {
            continue;
        };
        let server = a.query.dst_ip();
        if done.contains(&server) {
            continue;
        }
        done.push(server);
        let asked: Vec<&Fact> = (out.iter())
            .filter(|a| silent(a) && a.query.dst_ip() == server)
            .map(|a| a.query)
            .collect();
        let (Some(first), Some(last)) = (asked.first(), asked.last()) else {
            continue;
        };
        let mine = |m: &crate::proto::dns::DnsMessage| {
            (own.iter()).any(|(id, q)| *id == m.id && *q == m.questions)
        };
        fn dns(f: &Fact) -> Option<&crate::proto::dns::DnsMessage> {
            match &f.body {
                Body::Dns(m) => Some(m),
                _ => None,
            }
        }
        let reply = |f: &Fact| {
            dns(f).is_some_and(|m| m.response && !mine(m))
                && f.src_ip() == server
                && !ctx.is_phone(&f.dst_ip())
        };
        let request = |f: &Fact| {
            dns(f).is_some_and(|m| !m.response && !mine(m))
                && f.dst_ip() == server
                && !ctx.is_phone(&f.src_ip())
        };
        let answers = |r: &Fact, p: &Fact| {
            p.dst == r.src && dns(r).zip(dns(p)).is_some_and(|(r, p)| r.id == p.id)
        };
        let service = crate::verdict::Service::of_server(server, &reply, &request, &answers);
        let found = ctx.others(&service, first, &last.ts);
        for a in out
            .iter_mut()
            .filter(|a| silent(a) && a.query.dst_ip() == server)
        {
            a.others = found;
        }
    }
}
