//! Stages `dns-activation`, `dns-provisioning` and `dns-srv`: the phone's
//! queries, each matched to its response (same id, reversed endpoints), an
//! ICMP unreachable quoting it, or silence. The last decisive attempt judges
//! the stage; earlier failures make a success a `warn`. Malformed responses
//! tell nothing either way and are evidence on a `warn`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;

use super::dhcp::trim;
use super::{ev, hijack, Ctx, Evidence, Stage, StageResult, Status};
use crate::fact::{Body, Fact, TcpResult};
use crate::phone::names::{is_activation_name, is_provisioning_name, is_sip_srv_name, srv_domain};
use crate::proto::dns::{qtype_name, rcode_name, DnsMessage, RData};

/// What became of one query.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
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
    /// Only null or loopback addresses (0.0.0.0, ::, 127.x): the answer a
    /// DNS filter gives a blocked name (RFC 1122 3.2.1.3: 0.0.0.0 is no
    /// destination); the address as said.
    Blocked(String),
}

struct Attempt<'a> {
    query: &'a Fact,
    name: String,
    qtype: u16,
    answer: Answer,
    answer_fact: Option<&'a Fact>,
}

impl Attempt<'_> {
    /// Decides the stage (success or failure), as opposed to neutral results.
    /// `family`: the address record the phone lives by (a name with no
    /// record of the other type is normal).
    fn decisive(&self, family: Family) -> bool {
        match &self.answer {
            Answer::Records(_) | Answer::Error(_) | Answer::NoResponse => true,
            Answer::NoService | Answer::Blocked(_) => true,
            Answer::Unreachable(_) | Answer::OtherSource(_) => true,
            Answer::TcpRetryFailed(..) => true,
            Answer::NoData => self.qtype != family.other(),
            Answer::Malformed(_) | Answer::CutShort | Answer::Pending => false,
            Answer::Truncated(_) => false,
        }
    }

    fn ok(&self) -> bool {
        matches!(self.answer, Answer::Records(_))
    }

    fn server(&self) -> String {
        match self.unseen_query() {
            true => self.query.src_ip().to_string(),
            false => self.query.dst_ip().to_string(),
        }
    }

    /// The name an answer without records ends its CNAME chain at (a
    /// CNAME whose target has no record of the type asked), if it does.
    fn dangling_cname(&self) -> Option<&str> {
        let Body::Dns(m) = &self.answer_fact?.body else {
            return None;
        };
        (m.answers.iter()).rev().find_map(|r| match &r.data {
            RData::Cname { target } => Some(target.trim_end_matches('.')),
            _ => None,
        })
    }

    /// The query is not in the capture: `query` is the response itself.
    fn unseen_query(&self) -> bool {
        matches!(&self.query.body, Body::Dns(m) if m.response)
    }

    fn text(&self) -> String {
        let q = format!("{} {}", self.name, qtype_name(self.qtype));
        match &self.answer {
            Answer::Records(r) if r.len() > MAX_RECORDS_NAMED => format!(
                "{q} {} and {} more",
                r[..MAX_RECORDS_NAMED].join(", "),
                r.len() - MAX_RECORDS_NAMED
            ),
            Answer::Records(r) => format!("{q} {}", r.join(", ")),
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
            Answer::Error(rc) => format!("{q}: {rc} from {}", self.server()),
            Answer::NoResponse if self.answer_fact.is_some() => format!(
                "{q}: the answer from {} came in IP fragments that never all arrived",
                self.server()
            ),
            Answer::NoResponse => format!("{q}: no answer from {}", self.server()),
            Answer::OtherSource(from) => format!(
                "{q}: asked {}, answered from {from}: the phone drops such an answer",
                self.server()
            ),
            Answer::Unreachable(k) => format!("{q}: ICMP {k} from {}", self.server()),
            Answer::Malformed(why) => format!("{q}: malformed response ({why})"),
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
            Answer::Pending => format!("{q}: capture ends before the answer"),
            Answer::Blocked(addr) => format!(
                "{q} {addr} from {}: a blocked name's answer, no address to reach",
                self.server()
            ),
        }
    }
}

/// The address record a phone lives by: A, or AAAA for a phone seen only
/// with IPv6 addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    V4,
    V6Only,
}

impl Family {
    fn of(ctx: &Ctx<'_>) -> Family {
        let ips = &ctx.phone.ips;
        match !ips.is_empty() && ips.iter().all(|ip| ip.is_ipv6()) {
            true => Family::V6Only,
            false => Family::V4,
        }
    }

    /// The qtype of the phone's addresses.
    fn qtype(self) -> u16 {
        match self {
            Family::V4 => 1,
            Family::V6Only => 28,
        }
    }

    /// The qtype of the other family.
    fn other(self) -> u16 {
        match self {
            Family::V4 => 28,
            Family::V6Only => 1,
        }
    }
}

/// The three DNS stages of a phone.
pub struct DnsStages {
    pub activation: StageResult,
    pub provisioning: StageResult,
    pub srv: StageResult,
}

pub fn judge_all(ctx: &Ctx<'_>) -> DnsStages {
    let attempts = attempts(ctx);
    let sbc_names = sbc_names(ctx);
    let of = |pred: &dyn Fn(&str) -> bool| -> Vec<&Attempt<'_>> {
        attempts.iter().filter(|a| pred(&a.name)).collect()
    };
    let act = of(&|n| is_activation_name(n));
    let prov = of(&|n| is_provisioning_name(n));
    let srv = of(&|n| is_sip_srv_name(n) || sbc_names.contains(n));
    let (srv, fallback) = srv_lookups(&attempts, srv);
    let family = Family::of(ctx);
    let act_stage = stage(Stage::DnsActivation, &act, "activate.cisco.com", family);
    let prov_stage = stage(Stage::DnsProvisioning, &prov, "cisco.sipflash.com", family);
    // With frames cut by the snaplen, a ClientHello may have lost its name:
    // any HTTPS connection then may be the one the answer allowed.
    let https =
        |f: &Fact| ctx.snaplen_cut && matches!(f.body, Body::Tcp { .. }) && f.dst.port() == 443;
    let act_stage = answered_unseen(ctx, act_stage, &act, &|f| {
        hello_to(f, is_activation_name) || https(f)
    });
    let prov_stage = answered_unseen(ctx, prov_stage, &prov, &|f| {
        hello_to(f, is_provisioning_name) || https(f)
    });
    DnsStages {
        activation: not_cisco(ctx, act_stage, &act),
        provisioning: not_cisco(ctx, prov_stage, &prov),
        srv: match (srv.is_empty(), fallback) {
            (true, Some(used)) => used,
            _ => {
                let result = stage(Stage::DnsSrv, &srv, "the outbound proxy's SRV", family);
                let sbc =
                    |f: &Fact| matches!(f.body, Body::Tcp { .. }) && f.dst.port() == ctx.sbc_port;
                answered_unseen(ctx, result, &srv, &sbc)
            }
        },
    }
}

/// A TLS ClientHello naming a host `name` accepts.
fn hello_to(f: &Fact, name: fn(&str) -> bool) -> bool {
    matches!(&f.body, Body::Tls {
        from_client: true,
        event: crate::proto::tls::TlsEvent::ClientHello { sni: Some(sni), .. },
        ..
    } if name(sni))
}

/// A stage whose queries got no answer in the capture, after which the phone
/// did what only an answer allows (`used`: connected to the name): the
/// answer went by a path the capture does not see (asymmetric routing, a tap
/// on one direction). Not a failure: `not_seen`, saying why.
fn answered_unseen(
    ctx: &Ctx<'_>,
    result: StageResult,
    attempts: &[&Attempt<'_>],
    used: &dyn Fn(&Fact) -> bool,
) -> StageResult {
    let unanswered = |a: &&Attempt<'_>| matches!(a.answer, Answer::NoResponse | Answer::Pending);
    if result.status == Status::Pass || attempts.is_empty() || !attempts.iter().all(unanswered) {
        return result;
    }
    let last = attempts.iter().map(|a| a.query.frame).max().unwrap_or(0);
    let Some(f) = ctx
        .own()
        .find(|f| f.frame > last && ctx.is_phone(&f.src_ip()) && used(f))
    else {
        return result;
    };
    let summary = format!(
        "no answer in the capture, yet the phone then connected to {} (#{}): the answer came \
         by a path the capture does not see",
        f.dst, f.frame
    );
    StageResult::new(result.stage, Status::NotSeen, summary).evidence(result.evidence)
}

/// The SRV stage's lookups, as RFC 3263 section 4 has a SIP client make
/// them: the SRV names of one domain are tried per transport, and only a
/// domain none of whose SRV names answered, and whose address records the
/// phone then did not use, failed. Left out: the other transports' misses
/// of a domain that answered, the misses of a domain the phone then
/// resolved directly (4.2: no SRV, use the A record; that fallback is
/// returned as the stage when nothing else is left), search-list
/// expansions that missed (`<name>.<domain suffix>` of a name also asked),
/// and a name's miss when its expansion answered.
fn srv_lookups<'a, 'b>(
    all: &'b [Attempt<'a>],
    srv: Vec<&'b Attempt<'a>>,
) -> (Vec<&'b Attempt<'a>>, Option<StageResult>) {
    let expansion = |a: &Attempt<'_>| {
        all.iter().any(|b| {
            a.name.len() > b.name.len() + 1
                && a.name.starts_with(&b.name)
                && a.name.as_bytes().get(b.name.len()) == Some(&b'.')
        })
    };
    let answered_names: Vec<&str> = srv
        .iter()
        .filter(|a| a.ok() && a.qtype == 33)
        .map(|a| a.name.as_str())
        .collect();
    let answered_domains: Vec<&str> = answered_names
        .iter()
        .filter_map(|n| srv_domain(n))
        .collect();
    // Another transport of this domain answered (a miss of this very name
    // before its own answer stays: a retry that recovered).
    let answered = |a: &Attempt<'_>, d: &str| {
        answered_domains.contains(&d) && !answered_names.contains(&a.name.as_str())
    };
    // The domain's own address, asked after the SRV miss and answered.
    let direct = |a: &Attempt<'_>, d: &str| {
        all.iter().find(|b| {
            b.name == d && matches!(b.qtype, 1 | 28) && b.ok() && b.query.frame > a.query.frame
        })
    };
    // "No SRV records found" (RFC 3263 4.2) is a name error or no data, not
    // a resolver refusing or failing.
    let no_records = |a: &Attempt<'_>| {
        matches!(&a.answer, Answer::NoData | Answer::NoService)
            || matches!(&a.answer, Answer::Error(rc) if rc == "NXDOMAIN")
    };
    let mut fallback = None;
    // The name with a search-list suffix answered: the bare name's miss
    // was the resolver's first try, not a failure.
    let expanded_ok = |a: &Attempt<'_>| {
        all.iter().any(|b| {
            b.ok()
                && b.qtype == a.qtype
                && b.name.len() > a.name.len() + 1
                && b.name.starts_with(&a.name)
                && b.name.as_bytes().get(a.name.len()) == Some(&b'.')
        })
    };
    let kept = srv
        .into_iter()
        .filter(|a| matches!(a.qtype, 1 | 28 | 33))
        // (An expansion whose answer the snaplen cut stays: can't tell.)
        .filter(|a| {
            a.ok() || matches!(a.answer, Answer::CutShort) || !expansion(a) && !expanded_ok(a)
        })
        .filter(|a| {
            let Some(d) = srv_domain(&a.name).filter(|_| !a.ok()) else {
                return true;
            };
            if answered(a, d) {
                return false;
            }
            match direct(a, d).filter(|_| no_records(a)) {
                Some(b) => {
                    let summary = format!(
                        "no SRV record for {d} ({}): the phone used its address record instead \
                         ({}; RFC 3263 4.2)",
                        a.text(),
                        b.text()
                    );
                    let evidence = vec![ev(a.query, a.text()), ev(b.query, b.text())];
                    fallback = Some(
                        StageResult::new(Stage::DnsSrv, Status::Pass, summary).evidence(evidence),
                    );
                    false
                }
                None => true,
            }
        })
        .collect();
    (kept, fallback)
}

/// A Cisco name that resolved to an address that cannot be Cisco's (see
/// [`hijack`]): the summary says so.
fn not_cisco(ctx: &Ctx<'_>, result: StageResult, attempts: &[&Attempt<'_>]) -> StageResult {
    if result.status != Status::Pass {
        return result;
    }
    let nets = hijack::Subnets::of(ctx);
    let found = attempts.iter().rev().find_map(|a| match &a.answer {
        Answer::Records(records) => records
            .iter()
            .filter_map(|r| r.parse::<std::net::IpAddr>().ok())
            .find_map(|ip| nets.why(ip).map(|why| (ip, why))),
        _ => None,
    });
    let Some((ip, why)) = found else {
        return result;
    };
    // Said, not judged: a lab may serve its own activate.cisco.com there;
    // the connection stage judges what answered.
    let summary = format!("{} ({ip} is {why}, not Cisco's)", result.summary);
    StageResult { summary, ..result }
}

/// SRV targets, and names of addresses the phone connected to on the SBC port.
fn sbc_names(ctx: &Ctx<'_>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ctx.names.srv_targets.keys().cloned().collect();
    for f in ctx.own() {
        if let Body::Tcp { .. } = f.body {
            if f.dst.port() == ctx.sbc_port && ctx.is_phone(&f.src_ip()) {
                out.extend(ctx.names.names(&f.dst_ip()).map(str::to_string));
            }
        }
    }
    out
}

fn attempts<'a>(ctx: &'a Ctx<'a>) -> Vec<Attempt<'a>> {
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
        let answer = replies.to(i, m.id, q).map(|r| match &r.body {
            Body::Dns(a) if r.truncated && a.malformed.is_some() => (Answer::CutShort, r),
            Body::Dns(a) => (answer_of(a, question.qtype), r),
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
            None if ctx.secs_left(&q.ts) < 1.0 => (Answer::Pending, None),
            // The answer came as IP fragments that never all arrived: no
            // response for the phone, but not a silent server.
            None => {
                let to_phone = lost.get(&(q.dst, q.src)).map_or(&[][..], Vec::as_slice);
                let next = to_phone.partition_point(|f| f.frame <= q.frame);
                let soon =
                    (to_phone.get(next).copied()).filter(|f| q.ts.secs_until(&f.ts) < ANSWER_SECS);
                (Answer::NoResponse, soon)
            }
        };
        let answer = match (answer, answer_fact) {
            (Answer::Truncated(n), Some(tc)) => tcp_retry(&own, q, tc)
                .map_or(Answer::Truncated(n), |(how, frame)| {
                    Answer::TcpRetryFailed(n, how, frame)
                }),
            (answer, _) => answer,
        };
        out.push(Attempt {
            query: q,
            name: question.name.clone(),
            qtype: question.qtype,
            answer,
            answer_fact,
        });
    }
    answers_alone(ctx, &own, &replies, &mut out);
    out
}

/// Responses to the phone from a DNS server, when the capture holds none
/// of its queries (a tap that copies what it received): each is an attempt
/// of its own, the response standing for the query
/// ([`Attempt::unseen_query`]).
fn answers_alone<'a>(
    ctx: &Ctx<'a>,
    own: &[&'a Fact],
    replies: &Replies<'a>,
    out: &mut Vec<Attempt<'a>>,
) {
    // Only for a phone none of whose queries is in the capture (a tap
    // copying what it received): elsewhere a lone answer is a stray, a
    // duplicate or one the phone refused, and its query's own answer rules.
    if !out.is_empty() {
        return;
    }
    for r in own {
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
            false => answer_of(m, question.qtype),
        };
        out.push(Attempt {
            query: r,
            name: question.name.clone(),
            qtype: question.qtype,
            answer,
            answer_fact: Some(r),
        });
    }
    out.sort_by_key(|a| a.query.frame);
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
struct Replies<'a> {
    /// (id, responder, asker) -> positions in `own`, ascending, and for each
    /// the position of the first well-formed response at or after it.
    responses: HashMap<(u16, SocketAddr, SocketAddr), Positions>,
    /// (quoted source, quoted destination) -> positions in `own`, ascending.
    unreachables: HashMap<(SocketAddr, SocketAddr), Vec<usize>>,
    /// (id, asker) -> positions of responses in `own`, from any address.
    by_asker: HashMap<(u16, SocketAddr), Vec<usize>>,
    /// (id, asker, server) of every query: a server asked with that id
    /// answers its own query, not another's.
    asked: HashSet<(u16, SocketAddr, SocketAddr)>,
    /// ICMP errors a host sent about a datagram to it, by its socket.
    refused: HashMap<SocketAddr, Vec<usize>>,
    own: Vec<&'a Fact>,
}

impl<'a> Replies<'a> {
    fn index(own: &[&'a Fact]) -> Self {
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
                }
                Body::Dns(a) => {
                    r.asked.insert((a.id, f.src, f.dst));
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

    /// The phone's ICMP error after the query at position `i` about a
    /// datagram from the server's address but another port to the query's
    /// port: that error, and where the datagram came from.
    fn refused_by_phone(&self, i: usize, q: &Fact) -> Option<(&'a Fact, SocketAddr)> {
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

    /// A response to the query at position `i` that comes from another
    /// address than the one asked: same id, to the asking port, about the
    /// same name.
    fn stray(&self, i: usize, id: u16, q: &Fact, name: &str) -> Option<&'a Fact> {
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
    fn to(&self, i: usize, id: u16, q: &Fact) -> Option<&'a Fact> {
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
        self.own.get(pick).copied()
    }
}

/// Seconds after a query within which a datagram lost as fragments is
/// taken for its answer (a resolver answers in well under that).
const ANSWER_SECS: f64 = 5.0;

/// Responses with a query's id and port looked at for one from another
/// address (bounds the work on a storm of identical ids).
const MAX_STRAY_LOOK: usize = 16;

/// Records named in one line of evidence (SRV answers can list dozens of
/// spare targets); the most preferred come first.
const MAX_RECORDS_NAMED: usize = 4;

fn answer_of(m: &DnsMessage, qtype: u16) -> Answer {
    if let Some(why) = &m.malformed {
        return Answer::Malformed(why.clone());
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
    for r in &m.answers {
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
    if records.is_empty() {
        Answer::NoData
    } else if matches!(qtype, 1 | 28) && records.iter().all(null) {
        Answer::Blocked(records.join(", "))
    } else {
        Answer::Records(records)
    }
}

fn stage(stage: Stage, attempts: &[&Attempt<'_>], what: &str, family: Family) -> StageResult {
    if attempts.is_empty() {
        return StageResult::not_seen(stage, format!("no query for {what}"));
    }
    let mut evidence: Vec<Evidence> = Vec::new();
    for a in attempts {
        let unseen = if a.unseen_query() {
            " (not captured)"
        } else {
            ""
        };
        let q = ev(
            a.query,
            format!(
                "query {} {} to {}{unseen}",
                a.name,
                qtype_name(a.qtype),
                a.server()
            ),
        );
        evidence.push(q);
        if let Some(f) = a.answer_fact {
            evidence.push(ev(f, a.text()));
        }
    }
    trim(&mut evidence);
    let malformed = attempts
        .iter()
        .filter(|a| matches!(a.answer, Answer::Malformed(_)))
        .count();
    // An IPv4 phone lives by its A (and SRV) lookups: an AAAA failure
    // decides nothing when those were asked. An IPv6-only phone lives by
    // its AAAA lookups the same way; the other family decides only alone.
    let asks_own = attempts.iter().any(|a| a.qtype != family.other());
    // An answer alone (its query not captured) of the other family decides
    // nothing: the phone's own-family answer may be what the capture lacks.
    let decides = |a: &Attempt<'_>| {
        let other = a.qtype == family.other();
        let other_decides = !asks_own && !a.unseen_query();
        a.decisive(family) && (!other || other_decides)
    };
    let Some(last) = attempts.iter().rev().find(|a| decides(a)) else {
        // An answer cut by the snaplen may be the one that decided: what
        // the other answers say (an AAAA with no records) cannot fail it.
        let cut = attempts
            .iter()
            .rev()
            .find(|a| matches!(a.answer, Answer::CutShort));
        if let Some(cut) = cut {
            let summary = format!("{}: can't tell", cut.text());
            return StageResult::new(stage, Status::NotSeen, summary).evidence(evidence);
        }
        let last = attempts[attempts.len() - 1];
        let status = if malformed > 0 || matches!(last.answer, Answer::NoData) {
            Status::Warn
        } else {
            Status::NotSeen
        };
        if let Answer::Truncated(_) = last.answer {
            // No full answer over TCP followed: what the phone got is partial.
            let advice = format!(
                "the answer from {} does not fit in UDP and no retry over TCP was answered: \
                 allow DNS over TCP (port 53) from the phones to it, or trim the records",
                last.server()
            );
            return StageResult::new(stage, Status::Warn, last.text())
                .advice(advice)
                .evidence(evidence);
        }
        return StageResult::new(stage, status, last.text()).evidence(evidence);
    };
    // An answer the snaplen cut came after the failure: it may have been
    // the good one the phone went on with (DOMAIN: can't tell).
    let cut_after = attempts
        .iter()
        .rev()
        .find(|a| matches!(a.answer, Answer::CutShort) && a.query.frame > last.query.frame);
    if let (false, Some(cut)) = (last.ok(), cut_after) {
        let summary = format!("{}: can't tell (after {})", cut.text(), last.text());
        return StageResult::new(stage, Status::NotSeen, summary).evidence(evidence);
    }
    if last.ok() {
        let pos = attempts
            .iter()
            .position(|a| std::ptr::eq(*a, *last))
            .unwrap_or(0);
        let trouble = attempts[..pos].iter().any(|a| decides(a) && !a.ok()) || malformed > 0;
        // Name the most telling answer: SRV, then the phone's own address
        // family, then whatever passed.
        let best = [33u16, family.qtype()]
            .iter()
            .find_map(|t| attempts.iter().rev().find(|a| a.ok() && a.qtype == *t))
            .unwrap_or(last);
        let mut summary = best.text();
        let mut advice = None;
        if malformed > 0 {
            summary.push_str(&format!(" ({malformed} malformed responses ignored)"));
            advice = Some(format!(
                "{malformed} DNS responses could not be decoded: look for a device on the path \
                 that rewrites DNS (a DNS ALG or inspection) or a resolver bug"
            ));
        } else if let Some(failed) = attempts[..pos]
            .iter()
            .rev()
            .filter(|a| decides(a) && !a.ok())
            // The named answer's own failed tries first (the SRV's, not a target's).
            .min_by_key(|a| a.qtype != best.qtype)
        {
            // A failure between answers (a re-query) is no "only after".
            let answered_first = attempts
                .iter()
                .take_while(|a| !std::ptr::eq(**a, *failed))
                .any(|a| a.ok() && a.name == failed.name);
            let what = match failed.answer {
                Answer::NoResponse => "an unanswered query",
                Answer::Unreachable(_) => "a query answered by ICMP",
                _ => "a failed answer",
            };
            // Another name of the stage failed (the older webapps.cisco.com
            // beside activate.cisco.com): the phone got on with this one.
            let other_name =
                stage == Stage::DnsActivation && !failed.name.eq_ignore_ascii_case(&best.name);
            let when = if other_name {
                summary.push_str(&format!("; {}", failed.text()));
                "resolved, but"
            } else if answered_first {
                summary.push_str(&format!(
                    " ({what} between answered ones: {}, #{})",
                    failed.text(),
                    failed.query.frame
                ));
                "had"
            } else {
                summary.push_str(&format!(" (after {})", failed.text()));
                "resolved only after"
            };
            advice = Some(match other_name {
                true => format!(
                    "{} resolved, but not {} ({}): this phone went on with the first; \
                     phones that ask for the other (older firmware) fail here, so let the \
                     resolver answer both",
                    best.name,
                    failed.name,
                    failed.text()
                ),
                false => format!(
                    "{} {when} {what} ({}): if it recurs, check every DNS server in DHCP \
                     option 6 and the records of the name (a phone waits before it asks again)",
                    best.name,
                    failed.text()
                ),
            });
        }
        let status = if trouble { Status::Warn } else { Status::Pass };
        let result = StageResult::new(stage, status, summary).evidence(evidence);
        return match advice {
            Some(a) if status == Status::Warn => result.advice(a),
            _ => result,
        };
    }
    // Name the SRV or own-family failure rather than the other family's.
    let worst = [33u16, family.qtype()]
        .iter()
        .find_map(|t| {
            attempts
                .iter()
                .rev()
                .find(|a| a.decisive(family) && a.qtype == *t)
        })
        .filter(|a| !a.ok())
        .unwrap_or(last);
    let mut summary = worst.text();
    // Every SBC target failed to resolve: name each one, not only the worst.
    if stage == Stage::DnsSrv && worst.qtype != 33 {
        let mut failed: Vec<&Attempt<'_>> = Vec::new();
        for a in attempts
            .iter()
            .rev()
            .filter(|a| a.decisive(family) && a.qtype == worst.qtype)
        {
            if !failed.iter().any(|f| f.name == a.name) {
                failed.push(a);
            }
        }
        if failed.len() > 1 && failed.iter().all(|a| !a.ok()) {
            failed.reverse();
            let each: Vec<String> = failed.iter().map(|a| a.text()).collect();
            summary = format!("no SBC target resolves: {}", each.join("; "));
            let names: Vec<&str> = failed.iter().map(|a| a.name.as_str()).collect();
            let blocked = failed
                .iter()
                .all(|a| matches!(a.answer, Answer::Blocked(_)));
            let advice = match blocked {
                true => advice(worst),
                false => format!(
                    "none of the SRV targets ({}) has an address at {}: give each an A record \
                     in the zone, or point the SRV record at SBC names that resolve",
                    names.join(", "),
                    worst.server()
                ),
            };
            return StageResult::new(stage, Status::Fail, summary)
                .advice(advice)
                .evidence(evidence);
        }
    }
    let unanswered = attempts
        .iter()
        .filter(|a| matches!(a.answer, Answer::NoResponse | Answer::Pending))
        .count();
    if unanswered > 1 {
        summary.push_str(&format!(" ({unanswered} queries unanswered)"));
    }
    // The same server answered this name before: it stopped, rather than
    // never answering.
    let answered = attempts
        .iter()
        .filter(|a| a.ok() && a.name == worst.name && a.server() == worst.server())
        .filter_map(|a| a.answer_fact)
        .collect::<Vec<_>>();
    let stopped = matches!(worst.answer, Answer::NoResponse) && !answered.is_empty();
    let advice = match answered.last() {
        Some(last_ok) if stopped => {
            let n = crate::text::plural(answered.len(), "query", "queries");
            summary.push_str(&format!("; it had answered {n} for it before"));
            format!(
                "DNS server {} answered {n} for {} (the last at #{}) and then stopped: check \
                 it and the path to it (a rate limit on the many re-queries of a short TTL, a \
                 firewall dropping UDP 53 for a while)",
                worst.server(),
                worst.name,
                last_ok.frame
            )
        }
        _ => advice(worst),
    };
    // Other names of the stage that failed too (activate.cisco.com and its
    // older name webapps.cisco.com): each said, so that none is left out
    // when the fix is made.
    let mut others: Vec<&Attempt<'_>> = Vec::new();
    for a in attempts.iter().rev() {
        let last_of_name = attempts.iter().rev().find(|b| b.name == a.name);
        let failed = last_of_name.is_some_and(|b| b.decisive(family) && !b.ok());
        if a.name != worst.name && failed && !others.iter().any(|o| o.name == a.name) {
            others.push(a);
        }
    }
    let (summary, advice) = match others.as_slice() {
        [] => (summary, advice),
        _ => {
            others.reverse();
            let texts: Vec<String> = others.iter().map(|a| a.text()).collect();
            let names: Vec<&str> = others.iter().map(|a| a.name.as_str()).collect();
            (
                format!("{summary}; {}", texts.join("; ")),
                format!("{advice} (the same for {})", names.join(", ")),
            )
        }
    };
    StageResult::new(stage, Status::Fail, summary)
        .advice(advice)
        .evidence(evidence)
}

fn advice(a: &Attempt<'_>) -> String {
    let (name, server) = (&a.name, a.server());
    match &a.answer {
        Answer::Error(rc) if rc == "NXDOMAIN" => format!(
            "resolver {server} says {name} does not exist (DNS filtering or split horizon): \
             let it resolve the public Webex and Cisco names"
        ),
        Answer::Error(rc) if rc == "SERVFAIL" => format!(
            "resolver {server} cannot resolve {name} (SERVFAIL): check its upstream \
             forwarders and DNSSEC validation"
        ),
        Answer::Error(rc) if rc == "REFUSED" => format!(
            "resolver {server} refuses the phone's queries: allow recursion for the voice \
             subnet, or hand out another DNS server (option 6)"
        ),
        Answer::Error(rc) => format!("resolver {server} answers {rc} for {name}: check it"),
        Answer::NoData => match a.dangling_cname() {
            Some(target) => format!(
                "{name} is a CNAME to {target} at {server}, and {target} has no record of that \
                 type there: a zone of the resolver's own (split DNS) holds the name without \
                 what is behind it; let it ask the public DNS for {name} (forward the zone), \
                 or add the records"
            ),
            None if a.qtype == 33 => format!(
                "{name} has no SRV record at {server}: publish the outbound proxy's SRV records \
                 (SBC targets on port 8934), or fix the outbound proxy name the phone is given"
            ),
            None => format!("{name} has no record of that type at {server}: check the zone"),
        },
        Answer::NoService => format!(
            "the zone says {name} is not offered (SRV target \".\"): publish the outbound \
             proxy's SRV records with the SBC targets on port 8934, or fix the outbound proxy \
             name the phone is given"
        ),
        Answer::OtherSource(from)
            if from
                .parse::<SocketAddr>()
                .is_ok_and(|f| f.ip().to_string() == server) =>
        {
            format!(
                "the answers to the phone's queries to {server} come back from {from}, not \
                 from port 53, and the phone refuses them (ICMP port unreachable): fix what \
                 sends them from another port (a DNS proxy, or a NAT rewriting the source \
                 port of one direction)"
            )
        }
        Answer::OtherSource(from) => format!(
            "the answers to the phone's queries to {server} come back from {from}, and a phone \
             drops answers from an address it did not ask: make the DNS server answer from the \
             address DHCP option 6 gives (a multi-homed server, or a NAT or DNS redirect that \
             rewrites one direction only)"
        ),
        Answer::Blocked(addr) => format!(
            "resolver {server} answers {name} with {addr}, what DNS filters (blocklists, DNS \
             firewalls) give a blocked name: allow activate.cisco.com, cisco.sipflash.com and \
             the Webex Calling names in its filter"
        ),
        Answer::TcpRetryFailed(_, how, _) => format!(
            "the answer for {name} from {server} does not fit in UDP and the phone's retry over \
             TCP 53 was {how}: allow DNS over TCP (port 53) from the phones to {server}, or \
             trim the records"
        ),
        Answer::NoResponse if a.answer_fact.is_some() => format!(
            "DNS server {server} answers, but its answer for {name} is larger than the path's \
             MTU and its IP fragments after the first are lost on the way: let IP fragments \
             through the firewalls between the phone and {server}, or have the server send \
             smaller UDP answers (an EDNS buffer size of 1232 bytes, DNS Flag Day 2020) so \
             that large ones go over TCP"
        ),
        Answer::NoResponse | Answer::Unreachable(_) => format!(
            "DNS server {server} does not answer: check DHCP option 6 and that UDP/TCP 53 to it \
             is allowed"
        ),
        _ => format!("check DNS for {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fact::IcmpUnreach;
    use crate::packet::UnreachKind;

    const PHONE: &str = "192.0.2.100:40000";
    const SERVER: &str = "192.0.2.53:53";

    fn fact(frame: u64, src: &str, dst: &str, body: Body) -> Fact {
        crate::verdict::test_support::fact(frame, frame as i64, src, dst, body)
    }

    fn dns(frame: u64, id: u16, response: bool, malformed: bool) -> Fact {
        let (src, dst) = if response {
            (SERVER, PHONE)
        } else {
            (PHONE, SERVER)
        };
        let m = DnsMessage {
            id,
            response,
            opcode: 0,
            rcode: 0,
            tc: false,
            questions: Vec::new(),
            answers: Vec::new(),
            additionals: Vec::new(),
            malformed: malformed.then(|| "pointer loop".to_string()),
        };
        fact(frame, src, dst, Body::Dns(m))
    }

    fn unreachable(frame: u64) -> Fact {
        let u = IcmpUnreach {
            kind: UnreachKind::Port,
            code: 3,
            orig_proto: 17,
            orig_src: PHONE.parse().unwrap(),
            orig_dst: SERVER.parse().unwrap(),
        };
        fact(frame, "192.0.2.53:0", "192.0.2.100:0", Body::Icmp(u))
    }

    /// The frame that answers the query at position 0.
    fn answer(facts: &[Fact]) -> Option<u64> {
        let own: Vec<&Fact> = facts.iter().collect();
        let Body::Dns(q) = &own[0].body else {
            panic!("query first")
        };
        Replies::index(&own).to(0, q.id, own[0]).map(|f| f.frame)
    }

    #[test]
    fn queries_match_their_answers_as_a_forward_scan_would() {
        let q = dns(1, 7, false, false);
        // The first well-formed response with the same id, reversed endpoints.
        let facts = [q.clone(), dns(2, 8, true, false), dns(3, 7, true, false)];
        assert_eq!(answer(&facts), Some(3));
        // A malformed response first: the next well-formed one wins...
        let facts = [q.clone(), dns(2, 7, true, true), dns(3, 7, true, false)];
        assert_eq!(answer(&facts), Some(3));
        // ...or, with none, the last malformed one.
        let facts = [q.clone(), dns(2, 7, true, true), dns(3, 7, true, true)];
        assert_eq!(answer(&facts), Some(3));
        // An unreachable before any response answers; after one, it does not.
        let facts = [q.clone(), unreachable(2), dns(3, 7, true, false)];
        assert_eq!(answer(&facts), Some(2));
        let facts = [q.clone(), dns(2, 7, true, true), unreachable(3)];
        assert_eq!(answer(&facts), Some(2));
        // Nothing later: no answer (a response before the query is not one).
        assert_eq!(answer(std::slice::from_ref(&q)), None);
        let own = [dns(1, 7, true, false), q];
        let refs: Vec<&Fact> = own.iter().collect();
        assert_eq!(Replies::index(&refs).to(1, 7, refs[1]), None);
    }

    fn attempt<'a>(query: &'a Fact, answer: Answer, answer_fact: Option<&'a Fact>) -> Attempt<'a> {
        Attempt {
            query,
            name: "_sips._tcp.sbc.example.com".into(),
            qtype: 33,
            answer,
            answer_fact,
        }
    }

    #[test]
    fn an_answer_from_another_address_than_asked_is_named_not_ignored() {
        let question = crate::proto::dns::DnsQuestion {
            name: "activate.cisco.com".into(),
            qtype: 1,
        };
        let with_question = |mut f: Fact, src: &str, dst: &str| {
            if let Body::Dns(m) = &mut f.body {
                m.questions = vec![question.clone()];
            }
            (f.src, f.dst) = (src.parse().unwrap(), dst.parse().unwrap());
            f
        };
        const OTHER: &str = "192.0.2.54:53";
        let q = with_question(dns(1, 7, false, false), PHONE, SERVER);
        let r = with_question(dns(2, 7, true, false), OTHER, PHONE);
        let own = [q.clone(), r.clone()];
        let refs: Vec<&Fact> = own.iter().collect();
        let replies = Replies::index(&refs);
        assert_eq!(replies.to(0, 7, &q), None);
        assert_eq!(
            replies
                .stray(0, 7, &q, "activate.cisco.com")
                .map(|f| f.frame),
            Some(2)
        );
        assert_eq!(replies.stray(0, 7, &q, "cisco.sipflash.com"), None);
        // The phone asked that other server too, with the same id: its answer
        // is to its own query.
        let q2 = with_question(dns(1, 7, false, false), PHONE, OTHER);
        let own = [q.clone(), q2, r];
        let refs: Vec<&Fact> = own.iter().collect();
        assert_eq!(
            Replies::index(&refs).stray(0, 7, &q, "activate.cisco.com"),
            None
        );
    }

    #[test]
    fn null_and_loopback_answers_are_a_blocked_name() {
        let Body::Dns(mut m) = dns(2, 7, true, false).body else {
            unreachable!()
        };
        let a = |addr: &str| crate::proto::dns::DnsRecord {
            name: "activate.cisco.com".into(),
            ttl: 60,
            data: RData::A {
                addr: addr.parse().unwrap(),
            },
        };
        m.answers = vec![a("0.0.0.0")];
        assert_eq!(answer_of(&m, 1), Answer::Blocked("0.0.0.0".into()));
        m.answers = vec![a("127.0.0.1")];
        assert_eq!(answer_of(&m, 1), Answer::Blocked("127.0.0.1".into()));
        m.answers = vec![a("0.0.0.0"), a("198.51.100.10")];
        assert!(matches!(answer_of(&m, 1), Answer::Records(_)));
    }

    #[test]
    fn an_srv_target_of_root_alone_says_the_service_is_not_offered() {
        let Body::Dns(mut m) = dns(2, 7, true, false).body else {
            unreachable!()
        };
        let srv = |target: &str| crate::proto::dns::DnsRecord {
            name: "_sips._tcp.sbc.example.com".into(),
            ttl: 60,
            data: RData::Srv {
                priority: 0,
                weight: 0,
                port: 1,
                target: target.into(),
            },
        };
        m.answers = vec![srv("")];
        assert_eq!(answer_of(&m, 33), Answer::NoService);
        // A "." beside real targets is one record among others (RFC 2782
        // gives it meaning only alone).
        m.answers = vec![srv(""), srv("sbc1.example.com")];
        assert!(matches!(answer_of(&m, 33), Answer::Records(r) if r.len() == 2));
        let (q, r) = (dns(1, 7, false, false), dns(2, 7, true, false));
        let none = attempt(&q, Answer::NoService, Some(&r));
        let result = stage(Stage::DnsSrv, &[&none], "the SRV", Family::V4);
        assert_eq!(result.status, Status::Fail);
        assert!(result.advice.unwrap_or_default().contains("not offered"));
    }

    #[test]
    fn a_truncated_answer_waits_for_the_retry_over_tcp() {
        let Body::Dns(mut m) = dns(2, 7, true, false).body else {
            unreachable!()
        };
        m.tc = true;
        assert!(matches!(answer_of(&m, 33), Answer::Truncated(0)));
        let (q, r) = (dns(1, 7, false, false), dns(2, 7, true, false));
        let (q2, r2) = (dns(3, 8, false, false), dns(4, 8, true, false));
        let tc = attempt(&q, Answer::Truncated(3), Some(&r));
        // Alone: what the phone got is partial; the advice is about TCP.
        let alone = stage(Stage::DnsSrv, &[&tc], "the SRV", Family::V4);
        assert_eq!(alone.status, Status::Warn);
        assert!(alone.advice.as_deref().unwrap_or("").contains("over TCP"));
        // The full answer over TCP decides, and the TC answer stays as evidence.
        let records = vec!["sbc1.example.com:8934 (prio 10 weight 60)".to_string()];
        let full = attempt(&q2, Answer::Records(records), Some(&r2));
        let both = stage(Stage::DnsSrv, &[&tc, &full], "the SRV", Family::V4);
        assert_eq!(both.status, Status::Pass);
        assert!(both
            .evidence
            .iter()
            .any(|e| e.text.contains("(TC, 3 records)")));
    }

    #[test]
    fn an_aaaa_failure_decides_nothing_once_a_was_asked() {
        let facts: Vec<Fact> = (1..=8)
            .map(|n| dns(n, n as u16, n % 2 == 0, false))
            .collect();
        let at = |n: usize, qtype: u16, answer: Answer| Attempt {
            qtype,
            name: "activate.cisco.com".into(),
            ..attempt(&facts[n], answer, Some(&facts[n + 1]))
        };
        let servfail = || Answer::Error("SERVFAIL".into());
        // Two servers in option 6: the first fails both, the second answers
        // A and has no AAAA (NOERROR, no data).
        let a1 = at(0, 1, servfail());
        let a2 = at(2, 1, Answer::Records(vec!["198.51.100.10".into()]));
        let q1 = at(4, 28, servfail());
        let q2 = at(6, 28, Answer::NoData);
        let s = stage(Stage::DnsActivation, &[&a1, &a2, &q1, &q2], "x", Family::V4);
        assert_eq!(s.status, Status::Warn, "{}", s.summary);
        assert!(s.summary.starts_with("activate.cisco.com A 198.51.100.10"));
        // Without the A answer, the A failure decides.
        let s = stage(Stage::DnsActivation, &[&a1, &q1, &q2], "x", Family::V4);
        assert_eq!(s.status, Status::Fail);
        // An IPv6-only phone asks AAAA alone: its failure decides.
        let s = stage(Stage::DnsActivation, &[&q1], "x", Family::V4);
        assert_eq!(s.status, Status::Fail);
    }

    #[test]
    fn a_failure_followed_by_an_answer_the_snaplen_cut_is_cant_tell() {
        let facts: Vec<Fact> = (1..=4)
            .map(|n| dns(n, n as u16, n % 2 == 0, false))
            .collect();
        let at = |n: usize, answer: Answer| Attempt {
            qtype: 1,
            name: "activate.cisco.com".into(),
            ..attempt(&facts[n], answer, Some(&facts[n + 1]))
        };
        let nx = at(0, Answer::Error("NXDOMAIN".into()));
        let cut = at(2, Answer::CutShort);
        let s = stage(Stage::DnsActivation, &[&nx, &cut], "x", Family::V4);
        assert_eq!(s.status, Status::NotSeen, "{}", s.summary);
        assert!(s.summary.contains("can't tell (after"), "{}", s.summary);
        // The cut answer before the failure changes nothing.
        let s = stage(
            Stage::DnsActivation,
            &[&cut, &at(2, Answer::Error("NXDOMAIN".into()))],
            "x",
            Family::V4,
        );
        assert_eq!(s.status, Status::Fail, "{}", s.summary);
    }

    #[test]
    fn an_ipv6_only_phone_lives_by_its_aaaa_answers() {
        let facts: Vec<Fact> = (1..=4)
            .map(|n| dns(n, n as u16, n % 2 == 0, false))
            .collect();
        let at = |n: usize, qtype: u16, answer: Answer| Attempt {
            qtype,
            name: "activate.cisco.com".into(),
            ..attempt(&facts[n], answer, Some(&facts[n + 1]))
        };
        let a = at(0, 1, Answer::Records(vec!["198.51.100.10".into()]));
        let aaaa = at(2, 28, Answer::Records(vec!["2001:db8:100::10".into()]));
        // Both answered: the summary quotes the record of the phone's family.
        let s = stage(Stage::DnsActivation, &[&a, &aaaa], "x", Family::V6Only);
        assert_eq!(s.status, Status::Pass);
        assert!(
            s.summary.ends_with("AAAA 2001:db8:100::10"),
            "{}",
            s.summary
        );
        let s = stage(Stage::DnsActivation, &[&a, &aaaa], "x", Family::V4);
        assert!(s.summary.ends_with("A 198.51.100.10"), "{}", s.summary);
        // No AAAA record: an IPv6-only phone cannot use the A answer.
        let none = at(2, 28, Answer::NoData);
        let s = stage(Stage::DnsActivation, &[&a, &none], "x", Family::V6Only);
        assert_eq!(s.status, Status::Fail, "{}", s.summary);
        assert!(s.summary.contains("AAAA: no records"), "{}", s.summary);
        // An A failure decides nothing for it once AAAA was answered.
        let nx = at(0, 1, Answer::Error("NXDOMAIN".into()));
        let s = stage(Stage::DnsActivation, &[&nx, &aaaa], "x", Family::V6Only);
        assert_eq!(s.status, Status::Pass, "{}", s.summary);
    }
}
