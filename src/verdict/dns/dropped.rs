//! Queries of one address family dropped on the way: a server that
//! answers the phone's A queries for a name but none of its AAAA ones (or
//! the reverse), while the phone waits for each before it goes on.

use super::answer::{Answer, Attempt};
use super::matching::PARALLEL_SECS;
use super::Family;

/// Queries of the other family than the phone's that one server never
/// answered, sent again after a timeout, while it answered the same name's
/// queries of the phone's family: a path that drops one query type.
pub(super) struct Dropped {
    pub(super) name: String,
    pub(super) server: String,
    pub(super) count: usize,
    /// First and last query frames, and the seconds between them.
    pub(super) first: u64,
    pub(super) last: u64,
    pub(super) secs: f64,
}

/// The first name and server of `attempts` whose queries of the other
/// family went unanswered, re-sent at least [`PARALLEL_SECS`] after the
/// first, with no answer of that family from anyone, while the server
/// answered the name's queries of the phone's family.
pub(super) fn dropped_other(attempts: &[&Attempt<'_>], family: Family) -> Option<Dropped> {
    use std::collections::{HashMap, HashSet};
    let key = |a: &Attempt<'_>| (a.name.to_ascii_lowercase(), a.server());
    let mut own_ok: HashSet<(String, String)> = HashSet::new();
    let mut other_ok: HashSet<String> = HashSet::new();
    for a in attempts.iter().filter(|a| a.ok()) {
        match a.qtype == family.qtype() {
            true => own_ok.insert(key(a)),
            false => other_ok.insert(a.name.to_ascii_lowercase()),
        };
    }
    // (name, server) -> (count, first, last), in the order first asked.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut unanswered: HashMap<(String, String), (usize, &Attempt<'_>, &Attempt<'_>)> =
        HashMap::new();
    for a in attempts.iter().filter(|a| a.qtype == family.other()) {
        let silent = matches!(a.answer, Answer::NoResponse) && a.answer_fact.is_none();
        if !silent || a.unseen_query() {
            continue;
        }
        let k = key(a);
        match unanswered.get_mut(&k) {
            Some((n, _, last)) => {
                *n += 1;
                *last = a;
            }
            None => {
                order.push(k.clone());
                unanswered.insert(k, (1, a, a));
            }
        }
    }
    order.into_iter().find_map(|k| {
        let (count, first, last) = *unanswered.get(&k)?;
        let secs = first.query.ts.secs_until(&last.query.ts);
        let dropped = secs >= PARALLEL_SECS && own_ok.contains(&k) && !other_ok.contains(&k.0);
        dropped.then(|| Dropped {
            name: first.name.clone(),
            server: k.1,
            count,
            first: first.query.frame,
            last: last.query.frame,
            secs,
        })
    })
}
