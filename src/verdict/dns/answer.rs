//! What became of one DNS query of a phone: its answer (records, an rcode,
//! silence, an ICMP unreachable, a truncated or malformed response...), read
//! from the response's message, and the line of evidence that says it.

use super::Family;
use crate::fact::{Body, Fact};
use crate::proto::dns::{qtype_name, rcode_name, DnsMessage, RData};

/// What became of one query.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Answer {
    /// Addresses (or SRV targets) given.
    Records(Vec<String>),
    /// NOERROR without a record of the type asked.
    NoData,
    /// An SRV answer whose only target is "." (RFC 2782): the service is
    /// decidedly not available at this domain.
    NoService,
    Error(String),
    NoResponse,
    /// Only a response from another address than the one asked (this
    /// one): a stub resolver discards it (RFC 5452 section 9.1).
    OtherSource(String),
    /// The server's response does not match the query (why, in words: its
    /// id, its question, or records only for other names): the phone drops
    /// it or finds no address in it (RFC 5452 section 9.1).
    Mismatched(String),
    Unreachable(String),
    Malformed(String),
    /// The response was cut by the capture's snaplen: it tells nothing.
    CutShort,
    /// The server set TC: the answer (these records) did not fit in UDP and
    /// the client must ask again over TCP, whose answer decides.
    Truncated(usize),
    /// A truncated answer (these records) whose retry over TCP failed: how
    /// ("refused (RST)"...), and the frame that shows it.
    TcpRetryFailed(usize, &'static str, u64),
    /// No response yet when the capture ends.
    Pending,
    /// A response that came after the phone had given up on the query (so
    /// many seconds after it): the phone refused it with ICMP (this frame).
    Late(f64, u64),
    /// A quick response that the phone's side refused at once with ICMP (of
    /// this kind, in this frame): a filter there rejects DNS answers.
    RefusedByPhone(String, u64),
    /// A response refused (ICMP in this frame) after the phone had its
    /// answer from the same question sent elsewhere at the same time: never
    /// read, it tells nothing.
    Unread(u64),
    /// BADCOOKIE (RFC 7873 5.3): the server sent its cookie and the client
    /// asked again with it at once (the next query of the same question):
    /// the answer to that one decides.
    CookieRetried,
    /// Only null or loopback addresses (0.0.0.0, ::, 127.x): the answer a
    /// DNS filter gives a blocked name (RFC 1122 3.2.1.3: 0.0.0.0 is no
    /// destination); the address as said.
    Blocked(String),
}

pub(super) struct Attempt<'a> {
    pub(super) query: &'a Fact,
    pub(super) name: String,
    pub(super) qtype: u16,
    pub(super) answer: Answer,
    pub(super) answer_fact: Option<&'a Fact>,
    /// Fewer responses came to this query and its later copies (same id,
    /// same sockets) than there were queries.
    pub(super) fewer_answers: bool,
    /// Unanswered: what the same server did for other hosts meanwhile
    /// (`Ctx::others`).
    pub(super) others: crate::verdict::Others,
}

impl Attempt<'_> {
    /// Over TCP: the close that ended the query unanswered (the server's),
    /// or that shows the capture lost the answer (the phone's).
    pub(super) fn closed(&self) -> Option<&Fact> {
        let f = self.answer_fact?;
        matches!(f.body, Body::Closed { .. }).then_some(f)
    }

    /// The servers asked this attempt's question that never answered it
    /// (none of their answers to it usable), in the order first asked.
    pub(super) fn silent_servers<'x, 'y: 'x>(
        &self,
        all: impl Iterator<Item = &'x Attempt<'y>> + Clone,
    ) -> Vec<String> {
        let same = |o: &&Attempt<'_>| o.name.eq_ignore_ascii_case(&self.name);
        let mut out: Vec<String> = Vec::new();
        for o in all.clone().filter(same) {
            let server = o.server();
            let silent = matches!(o.answer, Answer::NoResponse) && o.answer_fact.is_none();
            if silent && !out.contains(&server) {
                out.push(server);
            }
        }
        out.retain(|s| !all.clone().filter(same).any(|o| o.ok() && o.server() == *s));
        out
    }

    /// Decides the stage (success or failure), as opposed to neutral results.
    /// `family`: the address record the phone lives by (a name with no
    /// record of the other type is normal).
    pub(super) fn decisive(&self, family: Family) -> bool {
        match &self.answer {
            Answer::Records(_) | Answer::Error(_) | Answer::NoResponse => true,
            Answer::NoService | Answer::Blocked(_) => true,
            Answer::Unreachable(_) | Answer::OtherSource(_) | Answer::Mismatched(_) => true,
            Answer::TcpRetryFailed(..) | Answer::Late(..) | Answer::RefusedByPhone(..) => true,
            Answer::NoData => self.qtype != family.other(),
            Answer::Malformed(_) | Answer::CutShort | Answer::Pending => false,
            Answer::Unread(_) | Answer::CookieRetried => false,
            Answer::Truncated(_) => false,
        }
    }

    pub(super) fn ok(&self) -> bool {
        matches!(self.answer, Answer::Records(_))
    }

    pub(super) fn server(&self) -> String {
        match self.unseen_query() {
            true => self.query.src_ip().to_string(),
            false => self.query.dst_ip().to_string(),
        }
    }

    /// The name an answer without records ends its CNAME chain at (a
    /// CNAME whose target has no record of the type asked), if it does.
    /// The answer was a referral (see `DnsMessage::referral`).
    pub(super) fn referral(&self) -> bool {
        matches!(&self.answer_fact.map(|f| &f.body), Some(Body::Dns(m)) if m.referral)
    }

    pub(super) fn dangling_cname(&self) -> Option<&str> {
        let Body::Dns(m) = &self.answer_fact?.body else {
            return None;
        };
        (m.answers.iter()).rev().find_map(|r| match &r.data {
            RData::Cname { target } => Some(target.trim_end_matches('.')),
            _ => None,
        })
    }

    /// The CNAME chain from the name asked, written `a -> b -> a`, when it
    /// comes back to a name already in it (RFC 1034 3.6.2: no answer).
    pub(super) fn cname_loop(&self) -> Option<String> {
        let Body::Dns(m) = &self.answer_fact?.body else {
            return None;
        };
        let mut chain = vec![self.name.trim_end_matches('.')];
        for _ in 0..m.answers.len().min(MAX_CHAIN) {
            let at = chain.last().copied().unwrap_or_default();
            let target = m.answers.iter().find_map(|r| match &r.data {
                RData::Cname { target } if r.name.eq_ignore_ascii_case(at) => {
                    Some(target.trim_end_matches('.'))
                }
                _ => None,
            })?;
            let again = chain.iter().any(|n| n.eq_ignore_ascii_case(target));
            chain.push(target);
            if again {
                return Some(chain.join(" -> "));
            }
        }
        None
    }

    /// The answer's rcode in words (NOERROR for no data).
    fn rcode_word(&self) -> &str {
        match &self.answer {
            Answer::Error(rc) => rc,
            _ => "NOERROR",
        }
    }

    /// The query carried EDNS (an OPT record).
    pub(super) fn edns(&self) -> bool {
        matches!(&self.query.body, Body::Dns(m) if m.edns && !m.response)
    }

    /// A FORMERR to a query with EDNS, the question then answered when asked
    /// without it (`retry`): a server that does not speak EDNS (RFC 6891 7).
    pub(super) fn edns_refused(&self, retry: &Attempt<'_>) -> bool {
        matches!(&self.answer, Answer::Error(rc) if rc == "FORMERR")
            && self.edns()
            && !retry.edns()
            && !retry.unseen_query()
            && retry.server() == self.server()
    }

    /// Where an ICMP answer came from when not from the server asked: a
    /// router on the path.
    pub(super) fn icmp_router(&self) -> Option<std::net::IpAddr> {
        let f = self.answer_fact?;
        let icmp = matches!(f.body, Body::Icmp(_));
        (icmp && f.src_ip() != self.query.dst_ip()).then(|| f.src_ip())
    }

    /// The query is not in the capture: `query` is the response itself.
    pub(super) fn unseen_query(&self) -> bool {
        matches!(&self.query.body, Body::Dns(m) if m.response)
    }

    pub(super) fn text(&self) -> String {
        let q = format!("{} {}", self.name, qtype_name(self.qtype));
        let looped = self.cname_loop();
        match &self.answer {
            Answer::Records(r) if r.len() > MAX_RECORDS_NAMED => format!(
                "{q} {} and {} more",
                r[..MAX_RECORDS_NAMED].join(", "),
                r.len() - MAX_RECORDS_NAMED
            ),
            Answer::Records(r) => format!("{q} {}", r.join(", ")),
            Answer::Error(_) | Answer::NoData if looped.is_some() => format!(
                "{q}: {} from {}: a CNAME loop, {}",
                self.rcode_word(),
                self.server(),
                looped.unwrap_or_default()
            ),
            Answer::NoData => match self.dangling_cname() {
                Some(target) => format!(
                    "{q}: CNAME {target}, which has no record of that type (NOERROR) from {}",
                    self.server()
                ),
                None => format!("{q}: no records (NOERROR) from {}", self.server()),
            },
            Answer::NoService => format!(
                "{q}: target \".\" from {}: the service is not offered at this domain",
                self.server()
            ),
            Answer::Error(rc) if rc == "FORMERR" && self.edns() => {
                format!("{q}: FORMERR from {} to a query with EDNS", self.server())
            }
            Answer::Error(rc) => format!("{q}: {rc} from {}", self.server()),
            Answer::NoResponse if self.closed().is_some() => format!(
                "{q}: no answer from {}, which closed the TCP connection (#{})",
                self.server(),
                self.closed().map_or(0, |f| f.frame)
            ),
            Answer::NoResponse if self.answer_fact.is_some() => format!(
                "{q}: the answer from {} came in IP fragments that never all arrived",
                self.server()
            ),
            Answer::NoResponse => format!("{q}: no answer from {}", self.server()),
            Answer::OtherSource(from) => format!(
                "{q}: asked {}, answered from {from}: the phone drops such an answer",
                self.server()
            ),
            Answer::Mismatched(why) => format!(
                "{q}: the response from {} does not match the query: {why}",
                self.server()
            ),
            Answer::Unreachable(k) => match self.icmp_router() {
                Some(router) => format!(
                    "{q}: ICMP {k} from the router {router}, on the way to {}",
                    self.server()
                ),
                None => format!("{q}: ICMP {k} from {}", self.server()),
            },
            Answer::Malformed(why) => format!("{q}: malformed response ({why})"),
            Answer::CutShort if self.closed().is_some() => format!(
                "{q}: the answer from {} is not in the capture, which lacks bytes the server \
                 sent on that connection (#{})",
                self.server(),
                self.closed().map_or(0, |f| f.frame)
            ),
            Answer::CutShort => format!("{q}: answer cut by the capture's snaplen"),
            Answer::Truncated(n) => format!(
                "{q}: truncated answer from {} (TC, {n} records): the full one needs DNS over TCP",
                self.server()
            ),
            Answer::TcpRetryFailed(n, how, frame) => format!(
                "{q}: truncated answer from {} (TC, {n} records), and the retry over TCP 53 was \
                 {how} (#{frame})",
                self.server()
            ),
            Answer::Pending if self.answer_fact.is_some() => format!(
                "{q}: the answer from {} came in IP fragments that never completed before \
                 the capture's end: can't tell",
                self.server()
            ),
            Answer::Pending => format!("{q}: capture ends before the answer"),
            Answer::Unread(icmp) => format!(
                "{q}: the answer from {} came after the phone had its answer from another \
                 server; it refused it unread (ICMP #{icmp})",
                self.server()
            ),
            Answer::RefusedByPhone(kind, icmp) => format!(
                "{q}: the answer from {} was refused on the phone's side (ICMP {kind}, #{icmp})",
                self.server()
            ),
            Answer::Late(secs, icmp) => format!(
                "{q}: the answer from {} came {secs:.1} s after the query, when the phone had \
                 given up on it (it refused the answer: ICMP port unreachable, #{icmp})",
                self.server()
            ),
            Answer::Blocked(addr) => format!(
                "{q} {addr} from {}: a blocked name's answer, no address to reach",
                self.server()
            ),
            Answer::CookieRetried => format!(
                "{q}: BADCOOKIE from {}, and the client asked again with the server's cookie \
                 (RFC 7873)",
                self.server()
            ),
        }
    }
}

/// Records named in one line of evidence (SRV answers can list dozens of
/// spare targets); the most preferred come first.
const MAX_RECORDS_NAMED: usize = 4;

/// The names an answer to `qname` may hold records for: `qname` and the
/// CNAME chain from it within the answer section (RFC 1034 3.6.2).
fn chain_names<'m>(m: &'m DnsMessage, qname: &'m str) -> Vec<&'m str> {
    let mut names = vec![qname.trim_end_matches('.')];
    for _ in 0..m.answers.len().min(MAX_CHAIN) {
        let next = m.answers.iter().find_map(|r| match &r.data {
            RData::Cname { target } if names.iter().any(|n| n.eq_ignore_ascii_case(&r.name)) => {
                let target = target.trim_end_matches('.');
                (!names.iter().any(|n| n.eq_ignore_ascii_case(target))).then_some(target)
            }
            _ => None,
        });
        match next {
            Some(target) => names.push(target),
            None => break,
        }
    }
    names
}

/// Most CNAME links followed in one answer.
const MAX_CHAIN: usize = 16;

/// What the response `m` answers to the question `qname` / `qtype`: the
/// records of that type for `qname` or its CNAME chain; records of the type
/// only for other names are no answer ([`Answer::Mismatched`]).
pub(super) fn answer_of(m: &DnsMessage, qname: &str, qtype: u16) -> Answer {
    // Malformed after a whole answer section holding what was asked (a
    // cut additional record): the phone reads its answer all the same.
    let asked = |r: &&crate::proto::dns::DnsRecord| {
        matches!(
            (&r.data, qtype),
            (RData::A { .. }, 1) | (RData::Aaaa { .. }, 28) | (RData::Srv { .. }, 33)
        )
    };
    if let Some(why) = &m.malformed {
        if m.rcode != 0 || m.tc || !m.answers.iter().any(|r| asked(&r)) {
            return Answer::Malformed(why.clone());
        }
    }
    if m.rcode != 0 {
        return Answer::Error(rcode_name(m.rcode));
    }
    if m.tc {
        return Answer::Truncated(m.answers.len());
    }
    let mut records = Vec::new();
    let srvs = m
        .answers
        .iter()
        .filter(|r| matches!(r.data, RData::Srv { .. }));
    let mut targets = srvs.map(|r| match &r.data {
        RData::Srv { target, .. } => target.trim_end_matches('.'),
        _ => "",
    });
    if qtype == 33 && targets.next() == Some("") && targets.next().is_none() {
        return Answer::NoService;
    }
    let names = chain_names(m, qname);
    let mut others: Vec<&str> = Vec::new();
    for r in &m.answers {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&r.name)) {
            if matches!(
                (&r.data, qtype),
                (RData::A { .. }, 1) | (RData::Aaaa { .. }, 28) | (RData::Srv { .. }, 33)
            ) && !others.contains(&r.name.as_str())
            {
                others.push(&r.name);
            }
            continue;
        }
        match (&r.data, qtype) {
            (RData::A { addr }, 1) => records.push(addr.to_string()),
            (RData::Aaaa { addr }, 28) => records.push(addr.to_string()),
            (
                RData::Srv {
                    priority,
                    weight,
                    port,
                    target,
                },
                33,
            ) => records.push(format!("{target}:{port} (prio {priority} weight {weight})")),
            _ => {}
        }
    }
    if qtype == 33 {
        // Lowest priority first, then highest weight (RFC 2782 preference).
        let key = |t: &String| {
            let num = |k: &str| {
                t.split(k)
                    .nth(1)
                    .and_then(|r| r.split([' ', ')']).next()?.parse::<i64>().ok())
            };
            (num("prio ").unwrap_or(0), -num("weight ").unwrap_or(0))
        };
        records.sort_by_key(key);
    }
    let null = |r: &String| {
        r.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified() || ip.is_loopback())
    };
    if records.is_empty() && !others.is_empty() {
        Answer::Mismatched(format!(
            "its records are for {}, not {}",
            others.join(", "),
            qname.trim_end_matches('.')
        ))
    } else if records.is_empty() {
        Answer::NoData
    } else if matches!(qtype, 1 | 28) && records.iter().all(null) {
        Answer::Blocked(records.join(", "))
    } else {
        Answer::Records(records)
    }
}
