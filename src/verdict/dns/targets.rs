//! SRV targets that failed to resolve while the phone went on to another:
//! which ones, and advice naming each one's failure (no address record,
//! an address of the other family only, no answer, SERVFAIL, NXDOMAIN, an
//! IP address written as a host name).

use super::answer::{Answer, Attempt};
use super::Family;
use crate::fact::Body;
use crate::proto::dns::{qtype_name, RData};

/// The SRV targets that failed to resolve among `before` (the attempts
/// before the one that decided) and never resolved among `attempts` (to an
/// address of the phone's `family`): the
/// last failed attempt of each, in the order first asked.
pub(super) fn dead_targets<'x, 'a>(
    before: &[&'x Attempt<'a>],
    attempts: &[&'x Attempt<'a>],
    family: Family,
    decides: &dyn Fn(&Attempt<'_>) -> bool,
) -> Vec<&'x Attempt<'a>> {
    // (An address of the other family only is none the phone uses.)
    let resolved: std::collections::HashSet<String> = (attempts.iter())
        .filter(|a| a.ok() && a.qtype != family.other())
        .map(|a| a.name.to_ascii_lowercase())
        .collect();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut dead: Vec<&'x Attempt<'a>> = Vec::new();
    // (An error for the other family's question counts: NXDOMAIN says the
    // name has no record of any type.)
    let failed = |a: &&&Attempt<'_>| {
        let error = matches!(a.answer, Answer::Error(_));
        a.qtype != 33 && !a.ok() && (decides(a) || error)
    };
    for a in before.iter().filter(failed) {
        let key = a.name.to_ascii_lowercase();
        if resolved.contains(&key) {
            continue;
        }
        match at.get(&key) {
            Some(&i) => dead[i] = a,
            None => {
                at.insert(key, dead.len());
                dead.push(a);
            }
        }
    }
    dead
}

/// The advice for an SRV record (`srv`, answered) some of whose targets
/// (`dead`) did not resolve: what became of each, and its fix.
pub(super) fn targets_advice(
    srv: &Attempt<'_>,
    dead: &[&Attempt<'_>],
    attempts: &[&Attempt<'_>],
    family: Family,
) -> String {
    let server = dead[0].server();
    let names: Vec<&str> = dead.iter().map(|a| a.name.as_str()).collect();
    let nxdomain = |a: &&Attempt<'_>| matches!(&a.answer, Answer::Error(rc) if rc == "NXDOMAIN");
    if dead.iter().all(nxdomain) {
        return format!(
            "the SRV record of {} lists targets that {server} does not resolve ({}): remove \
             them from the record or give them address records; the phone tries each before \
             the next",
            srv.name,
            names.join(", ")
        );
    }
    let each: Vec<String> = (dead.iter().take(TARGETS_EXPLAINED))
        .map(|a| target_failure(a, srv, attempts, family))
        .collect();
    let more = match dead.len().saturating_sub(TARGETS_EXPLAINED) {
        0 => String::new(),
        n => format!("; {n} more"),
    };
    format!(
        "the SRV record of {} lists targets the phone could not use: {}{more}; or remove {} \
         from the record (the phone tries each before the next)",
        srv.name,
        each.join("; "),
        match dead.len() {
            1 => "it",
            _ => "them",
        }
    )
}

/// SRV targets whose failure the advice explains, one by one.
const TARGETS_EXPLAINED: usize = 4;

/// Why the SRV target `a` gave no address, and its fix, in a few words.
fn target_failure(
    a: &Attempt<'_>,
    srv: &Attempt<'_>,
    attempts: &[&Attempt<'_>],
    family: Family,
) -> String {
    let (name, server, qtype) = (&a.name, a.server(), qtype_name(a.qtype));
    if name.parse::<std::net::IpAddr>().is_ok() {
        return format!(
            "{name} is an IP address written as a host name, which {server} cannot resolve \
             (RFC 2782 wants a host name there): put a name with an address record in its place"
        );
    }
    match &a.answer {
        Answer::NoData => match other_address(name, srv, attempts, family) {
            Some(addr) => format!(
                "{name} is {} at {server} ({} {addr}, no {qtype} record): give it an {qtype} \
                 record",
                match family {
                    Family::V4 => "IPv6-only",
                    Family::V6Only => "IPv4-only",
                },
                qtype_name(family.other())
            ),
            None => format!("{name} has no {qtype} record at {server}: give it one"),
        },
        Answer::Error(rc) if rc == "NXDOMAIN" => {
            format!("{name} does not exist at {server} (NXDOMAIN): give it an address record")
        }
        Answer::Error(rc) if rc == "SERVFAIL" => format!(
            "{server} cannot resolve {name} (SERVFAIL): the name servers of its zone fail or \
             are out of the resolver's reach; fix the zone's delegation"
        ),
        Answer::NoResponse if a.answer_fact.is_none() => {
            let mut asked = (attempts.iter())
                .filter(|o| o.qtype == a.qtype && o.name.eq_ignore_ascii_case(name));
            let first = asked.next().map_or(a.query.frame, |o| o.query.frame);
            // Sent once: the query or its answer may have been lost.
            let (times, lost) = match asked.count() {
                0 => (String::new(), ", or the query or its answer was lost"),
                n => (format!(", sent {} times", n + 1), ""),
            };
            format!(
                "{server} never answered the {qtype} query for {name} (#{first}{times}): it \
                 gets no answer from the name servers of its zone{lost}; fix the zone's \
                 delegation"
            )
        }
        _ => a.text(),
    }
}

/// An address of the other family than the phone's that the capture gives
/// `name`: an answer to the phone's query for it, or the SRV answer's
/// additional section.
fn other_address(
    name: &str,
    srv: &Attempt<'_>,
    attempts: &[&Attempt<'_>],
    family: Family,
) -> Option<String> {
    let other = family.other();
    let asked = attempts.iter().find_map(|o| match &o.answer {
        Answer::Records(r) if o.qtype == other && o.name.eq_ignore_ascii_case(name) => {
            r.first().cloned()
        }
        _ => None,
    });
    let Some(Body::Dns(m)) = srv.answer_fact.map(|f| &f.body) else {
        return asked;
    };
    let additional = m.additionals.iter().find_map(|r| match &r.data {
        RData::A { addr } if other == 1 && r.name.eq_ignore_ascii_case(name) => {
            Some(addr.to_string())
        }
        RData::Aaaa { addr } if other == 28 && r.name.eq_ignore_ascii_case(name) => {
            Some(addr.to_string())
        }
        _ => None,
    });
    asked.or(additional)
}
