//! What a server did for other hosts while a phone waited on it in vain:
//! the answers it sent them, and the requests of theirs it left unanswered.
//! A server that answers others, and leaves none of theirs unanswered,
//! singles the phone out (a ban, an ACL); one that leaves others unanswered
//! too fails for everyone alike (overload, a dead upstream, no scope).
//!
//! Every silent phone asks, so the capture's messages are indexed once (on
//! the first question) by sender and by receiver, and each look is bounded:
//! a storm of thousands of silent phones stays linear in the frames.

use std::net::IpAddr;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::Ctx;
use crate::fact::{Body, Fact};
use crate::time::Timestamp;

/// Answers to other hosts counted at most.
pub const OTHERS_COUNTED: usize = 50;

/// Other hosts' requests looked at per question, and replies looked at for
/// each (bounds the work whatever the capture holds).
const REQUESTS_LOOKED: usize = 64;
const REPLIES_LOOKED: usize = 256;

/// Messages of a window looked at, matching or not, per walk.
const SCAN_BOUND: usize = 4096;

/// Seconds within which a server's reply answers a request: a request the
/// capture ends sooner after is not judged.
const WAIT_SECS: f64 = 5.0;

/// The capture's DHCP, DNS, NTP and SIP messages by sender and receiver
/// (indices into the facts, in fact order), built on first use.
#[derive(Default)]
pub struct OthersIndex(OnceLock<Built>);

#[derive(Default)]
struct Built {
    by: FxHashMap<IpAddr, Vec<usize>>,
    to: FxHashMap<IpAddr, Vec<usize>>,
    dhcp_replies: Vec<usize>,
    dhcp_requests: Vec<usize>,
}

impl OthersIndex {
    fn get(&self, facts: &[Fact]) -> &Built {
        self.0.get_or_init(|| {
            let mut b = Built::default();
            for (i, f) in facts.iter().enumerate() {
                match &f.body {
                    Body::Dhcp(m) if m.op == 2 => b.dhcp_replies.push(i),
                    Body::Dhcp(_) => b.dhcp_requests.push(i),
                    Body::Dns(_) | Body::Ntp(_) | Body::Sip(_) => {
                        b.by.entry(f.src_ip()).or_default().push(i);
                        b.to.entry(f.dst_ip()).or_default().push(i);
                    }
                    _ => {}
                }
            }
            b
        })
    }
}

/// A list of the index.
#[derive(Clone, Copy, Debug)]
pub enum Sent {
    /// DNS, NTP and SIP messages this address sent.
    By(IpAddr),
    /// DNS, NTP and SIP messages sent to this address.
    To(IpAddr),
    DhcpReplies,
    DhcpRequests,
}

/// How a service's messages are told apart.
pub struct Service<'f> {
    /// Where its replies and its clients' requests are.
    pub replies: Sent,
    pub requests: Sent,
    /// A reply to another host than the phone (its NAT copy excluded).
    pub reply: &'f dyn Fn(&Fact) -> bool,
    /// Another host's request to it.
    pub request: &'f dyn Fn(&Fact) -> bool,
    /// Does this reply answer this request?
    pub answers: &'f dyn Fn(&Fact, &Fact) -> bool,
}

impl<'f> Service<'f> {
    /// A server at one address: its replies are what it sent, its clients'
    /// requests what was sent to it.
    pub fn of_server(
        server: IpAddr,
        reply: &'f dyn Fn(&Fact) -> bool,
        request: &'f dyn Fn(&Fact) -> bool,
        answers: &'f dyn Fn(&Fact, &Fact) -> bool,
    ) -> Self {
        Service {
            replies: Sent::By(server),
            requests: Sent::To(server),
            reply,
            request,
            answers,
        }
    }
}

/// The server's dealings with other hosts within a phone's wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Others {
    /// The first answer to another host and how many (up to
    /// [`OTHERS_COUNTED`]).
    pub answered: Option<(u64, usize)>,
    /// The first request of another host left unanswered and how many of
    /// those looked at; `more` when the look stopped at its bound.
    pub unanswered: Option<(u64, usize)>,
    pub more: bool,
}

impl Others {
    /// Answers others, leaves none of theirs unanswered: the phone alone.
    pub fn singled_out(&self) -> Option<(u64, usize)> {
        self.answered.filter(|_| self.unanswered.is_none())
    }

    /// Answers some others and leaves others unanswered too: the answered
    /// and the unanswered.
    pub fn partial(&self) -> Option<((u64, usize), (u64, usize))> {
        self.answered.zip(self.unanswered)
    }

    /// "3 requests", or "64 or more requests" at the look's bound.
    pub fn unanswered_text(&self, one: &str, many: &str) -> String {
        let k = self.unanswered.map_or(0, |(_, k)| k);
        match self.more {
            true => format!("{k} or more {many}"),
            false => crate::text::plural(k, one, many),
        }
    }
}

impl<'a> Ctx<'a> {
    fn sent(&self, list: Sent) -> &'a [usize] {
        let built = self.others.get(self.facts);
        let found = match list {
            Sent::By(ip) => built.by.get(&ip),
            Sent::To(ip) => built.to.get(&ip),
            Sent::DhcpReplies => Some(&built.dhcp_replies),
            Sent::DhcpRequests => Some(&built.dhcp_requests),
        };
        found.map_or(&[], Vec::as_slice)
    }

    /// The messages of `list` from its `start`th on.
    fn listed_from(&self, list: &'a [usize], start: usize) -> impl Iterator<Item = &'a Fact> + 'a {
        let facts = self.facts;
        (list.get(start..).unwrap_or_default().iter()).filter_map(move |&i| facts.get(i))
    }

    /// Where in `list` frame `from` starts.
    fn frame_start(&self, list: &[usize], from: u64) -> usize {
        list.partition_point(|&i| self.facts.get(i).is_some_and(|f| f.frame < from))
    }

    /// The DNS, NTP and SIP messages sent to `ip` from frame `from` on.
    pub fn messages_to(&self, ip: IpAddr, from: u64) -> impl Iterator<Item = &'a Fact> + 'a {
        let list = self.sent(Sent::To(ip));
        self.listed_from(list, self.frame_start(list, from))
    }

    /// The messages of `list` from its `start`th until `secs` after
    /// `last`, at most [`SCAN_BOUND`].
    fn until(
        &self,
        list: &'a [usize],
        start: usize,
        (last, secs): (&Timestamp, f64),
    ) -> impl Iterator<Item = &'a Fact> + 'a {
        let last = *last;
        (self.listed_from(list, start))
            .take(SCAN_BOUND)
            .take_while(move |f| last.secs_until(&f.ts) <= secs)
    }

    /// The messages of `list` from [`WAIT_SECS`] before `first` until `secs`
    /// after `last` (a capture out of time order starts at `first`).
    fn window_since(
        &self,
        list: Sent,
        first: &Fact,
        until: (&Timestamp, f64),
    ) -> impl Iterator<Item = &'a Fact> + 'a {
        let list = self.sent(list);
        let since = first.ts.ns.saturating_sub((WAIT_SECS * 1e9) as i64);
        let by_time =
            list.partition_point(|&i| self.facts.get(i).is_some_and(|f| f.ts.ns < since));
        let start = by_time.min(self.frame_start(list, first.frame));
        self.until(list, start, until)
    }

    /// The messages of `list` from frame `from` until `secs` after `last`
    /// (facts are in frame order but for a few dated back at a
    /// connection's end).
    fn window(
        &self,
        list: Sent,
        from: u64,
        until: (&Timestamp, f64),
    ) -> impl Iterator<Item = &'a Fact> + 'a {
        let list = self.sent(list);
        self.until(list, self.frame_start(list, from), until)
    }

    /// What `service` did for other hosts while the phone waited: answers
    /// from its first request `first` until a second after its last one at
    /// `last`; requests unanswered from [`WAIT_SECS`] before `first` (still
    /// waiting when the phone asked) until then.
    pub fn others(&self, service: &Service<'_>, first: &Fact, last: &Timestamp) -> Others {
        let mut out = Others::default();
        let until = (last, 1.0);
        let answered =
            (self.window(service.replies, first.frame, until)).filter(|f| (service.reply)(f));
        for (n, f) in answered.take(OTHERS_COUNTED).enumerate() {
            out.answered = Some((out.answered.map_or(f.frame, |(first, _)| first), n + 1));
        }
        let asked =
            (self.window_since(service.requests, first, until)).filter(|f| (service.request)(f));
        let mut looked = 0;
        for r in asked.take(REQUESTS_LOOKED) {
            looked += 1;
            if self.secs_left(&r.ts) < WAIT_SECS {
                continue;
            }
            let mut replies = self.window(service.replies, r.frame, (&r.ts, WAIT_SECS));
            if !replies
                .by_ref()
                .take(REPLIES_LOOKED)
                .any(|p| (service.answers)(r, p))
            {
                let (first, k) = out.unanswered.unwrap_or((r.frame, 0));
                out.unanswered = Some((first, k + 1));
            }
        }
        out.more = looked == REQUESTS_LOOKED && out.unanswered.is_some();
        out
    }
}

/// "3 replies", or "50 or more replies" at the count's bound.
pub fn others_text(k: usize, one: &str, many: &str) -> String {
    match k >= OTHERS_COUNTED {
        true => format!("{k} or more {many}"),
        false => crate::text::plural(k, one, many),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::names::NameMap;
    use crate::proto::ntp::NtpPacket;
    use crate::verdict::test_support::{ctx, fact, phone};

    fn ntp(mode: u8, transmit: u64) -> Body {
        Body::Ntp(NtpPacket {
            leap: 0,
            version: 4,
            mode,
            stratum: 2,
            reference_id: [0; 4],
            transmit,
            cut: false,
        })
    }

    const SERVER: &str = "10.0.0.9:123";

    /// The phone 10.0.0.1 asks at 10 s and 12 s, unanswered; `others` are
    /// (frame, secs, client, mode) of other hosts' messages.
    fn judge(others: &[(u64, i64, &str, u8)]) -> Others {
        let mut facts = vec![
            fact(10, 10, "10.0.0.1:123", SERVER, ntp(3, 1)),
            fact(20, 12, "10.0.0.1:123", SERVER, ntp(3, 2)),
        ];
        for &(frame, secs, client, mode) in others {
            let (src, dst) = match mode {
                3 => (client, SERVER),
                _ => (SERVER, client),
            };
            facts.push(fact(frame, secs, src, dst, ntp(mode, frame)));
        }
        facts.sort_by_key(|f| f.frame);
        let own: Vec<usize> = (facts.iter().enumerate())
            .filter(|(_, f)| f.src.ip().to_string() == "10.0.0.1")
            .map(|(i, _)| i)
            .collect();
        let p = phone("10.0.0.1", own);
        let names = NameMap::default();
        let c = ctx(&facts, &p, &names, 100);
        let server: IpAddr = "10.0.0.9".parse().unwrap();
        let reply = |f: &Fact| f.src_ip() == server && !c.is_phone(&f.dst_ip());
        let request = |f: &Fact| f.dst_ip() == server && !c.is_phone(&f.src_ip());
        let answers = |r: &Fact, p: &Fact| p.dst == r.src;
        let service = Service::of_server(server, &reply, &request, &answers);
        let at = |frame: u64| {
            facts
                .iter()
                .find(|f| f.frame == frame)
                .expect("phone's fact")
        };
        c.others(&service, at(10), &at(20).ts)
    }

    #[test]
    fn answering_others_and_leaving_none_singles_the_phone_out() {
        let o = judge(&[(11, 10, "10.0.0.2:123", 3), (12, 10, "10.0.0.2:123", 4)]);
        assert_eq!(o.singled_out(), Some((12, 1)));
        assert_eq!(o.partial(), None);
    }

    #[test]
    fn others_unanswered_too_is_no_singling_out() {
        // 10.0.0.3 asked 3 s before the phone (still waiting) and again
        // meanwhile; neither got a reply.
        let o = judge(&[
            (5, 7, "10.0.0.3:123", 3),
            (11, 10, "10.0.0.2:123", 3),
            (12, 10, "10.0.0.2:123", 4),
            (15, 11, "10.0.0.3:123", 3),
        ]);
        assert_eq!(o.singled_out(), None);
        assert_eq!(o.partial(), Some(((12, 1), (5, 2))));
        assert_eq!(o.unanswered_text("request", "requests"), "2 requests");
        // Long before the phone asked, or answered: not counted.
        let o = judge(&[(1, 1, "10.0.0.3:123", 3), (11, 10, "10.0.0.2:123", 4)]);
        assert_eq!(o.singled_out(), Some((11, 1)));
    }

    #[test]
    fn a_storm_is_looked_at_within_bounds() {
        let storm: Vec<(u64, i64, String, u8)> = (0..5000u64)
            .map(|i| (30 + i, 12, format!("10.1.{}.{}:123", i / 250, i % 250), 3))
            .collect();
        let mut all: Vec<(u64, i64, &str, u8)> = storm
            .iter()
            .map(|(f, s, c, m)| (*f, *s, c.as_str(), *m))
            .collect();
        all.push((11, 10, "10.0.0.2:123", 4));
        let o = judge(&all);
        assert_eq!(o.unanswered.map(|(_, k)| k), Some(REQUESTS_LOOKED));
        assert!(o.more);
        assert_eq!(
            o.unanswered_text("request", "requests"),
            "64 or more requests"
        );
    }
}
