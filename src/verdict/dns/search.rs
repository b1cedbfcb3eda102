//! Search-list expansions of the names of the three DNS stages: a stub
//! resolver whose `ndots` exceeds the dots of a name asks it with its search
//! domain appended first (`activate.cisco.com.corp.example`, the domain from
//! DHCP option 15 or 119). Such a name belongs to the stage of the name it
//! expands (the activation and provisioning names, the SIP SRV names and
//! their SBC targets), whatever its outcome. A miss there is the stub going
//! on to its next form, no failure, once the capture shows the real name
//! asked; when it never was, the phone stopped at the expansion and its
//! outcome is the stage's, said as such. An answer there (a wildcard record
//! in the search domain) is an address the phone used, and it is not the
//! service's.

use std::collections::{BTreeSet, HashSet};

use super::answer::{Answer, Attempt};
use crate::phone::names::{is_activation_name, is_provisioning_name, is_sip_srv_name};
use crate::phone::names::{searched_for, srv_domain};
use crate::proto::dns::qtype_name;
use crate::verdict::{ev, Ctx, StageResult, Status};

/// The search domains of a phone and the names of its stages they expand.
pub(super) struct SearchList<'s> {
    /// Domains the search list is seen to append to a stage's name (the
    /// activation or provisioning name, an SRV target, an SRV name also
    /// asked bare). The lease's option 15 alone is no evidence: the SRV
    /// name the profile gives may well end in that domain itself.
    suffixes: BTreeSet<String>,
    /// SRV targets and SBC names (an expansion of one is the SRV stage's).
    targets: &'s BTreeSet<String>,
    /// Names the phone asked (lower case).
    asked: HashSet<String>,
    /// SRV names the phone asked with two or more suffixes of two labels or
    /// more appended (`_sips._tcp.sbc.example.com` asked as `....s1.corp`
    /// and `....s3.corp`): only a search list asks one name so.
    spread: HashSet<String>,
    /// The capture's end (an NXDOMAIN just before it: the stub may yet
    /// have gone on to the real name).
    end: Option<crate::time::Timestamp>,
}

impl<'s> SearchList<'s> {
    pub(super) fn of(ctx: &Ctx<'_>, all: &[Attempt<'_>], targets: &'s BTreeSet<String>) -> Self {
        let mut list = SearchList {
            suffixes: BTreeSet::new(),
            targets,
            asked: all.iter().map(|a| a.name.to_ascii_lowercase()).collect(),
            spread: HashSet::new(),
            end: ctx.end,
        };
        list.spread = spread(&list.asked);
        let evident: Vec<String> = (all.iter())
            .filter_map(|a| list.real_of(&a.name).map(|(_, s)| s.to_ascii_lowercase()))
            .collect();
        list.suffixes.extend(evident);
        list
    }

    /// The stage's real name `name` expands, and the suffix appended
    /// (`activate.cisco.com` and `corp.example` of
    /// `activate.cisco.com.corp.example`). An SRV name expands another only
    /// with a suffix the search list is seen to append, or when the shorter
    /// name was asked too; its domain keeps a dot (`_sips._tcp.sbc` with a
    /// search domain appended is a short name the phone was given).
    pub(super) fn real_of<'n>(&self, name: &'n str) -> Option<(&'n str, &'n str)> {
        let split = |real: &'n str| Some((real, name.get(real.len() + 1..)?));
        let name_of = |n: &str| is_activation_name(n) || is_provisioning_name(n);
        if !name_of(name) {
            if let Some(real) = searched_for(name, name_of) {
                return split(real);
            }
        }
        let forms = shorter_forms(name);
        if let Some(real) = forms.clone().find(|f| self.targets.contains(*f)) {
            return split(real);
        }
        if !is_sip_srv_name(name) {
            return None;
        }
        let real = forms
            .filter(|f| srv_domain(f).is_some_and(|d| d.contains('.')))
            .find(|f| {
                let suffix = name.get(f.len() + 1..).unwrap_or_default();
                let f = f.to_ascii_lowercase();
                self.asked.contains(&f)
                    || self.spread.contains(&f)
                    || self.suffixes.contains(&suffix.to_ascii_lowercase())
            })?;
        split(real)
    }

    fn asked(&self, name: &str) -> bool {
        self.asked.contains(&name.to_ascii_lowercase())
    }

    /// The stage's lookups without the expansions that got no answer to use
    /// (a miss, an error, silence) whose real name the phone asked too: it
    /// went on to that one, whose outcome is the phone's.
    pub(super) fn left_out<'b, 'a>(&self, attempts: Vec<&'b Attempt<'a>>) -> Vec<&'b Attempt<'a>> {
        // (An answer the snaplen cut stays: it may be the one used.)
        let went_on = |a: &Attempt<'_>| {
            let cut = matches!(a.answer, Answer::CutShort);
            !a.ok()
                && !cut
                && self
                    .real_of(&a.name)
                    .is_some_and(|(real, _)| self.asked(real))
        };
        attempts.into_iter().filter(|a| !went_on(a)).collect()
    }

    /// A failed stage decided by expansions whose real name the phone never
    /// asked: each is said as the real name asked through the search list,
    /// and the advice names the search domain. An NXDOMAIN there sends every
    /// stub on to the real name: at the capture's very end, can't tell.
    pub(super) fn never_asked(
        &self,
        result: StageResult,
        attempts: &[&Attempt<'_>],
    ) -> StageResult {
        if result.status != Status::Fail {
            return result;
        }
        // (Bounded: a storm of expansions makes a long summary, and each
        // look at it is a search through it.)
        let found: Vec<(&Attempt<'_>, &str, &str)> = (attempts.iter())
            .filter(|a| !a.ok())
            .filter_map(|a| self.real_of(&a.name).map(|(r, s)| (*a, r, s)))
            .filter(|(_, real, _)| !self.asked(real))
            .take(LOOKED)
            .filter(|(a, _, _)| result.summary.contains(&a.text()))
            .take(SAID)
            .collect();
        let Some(&(first, real, suffix)) = found.first() else {
            return result;
        };
        let mut summary = result.summary.clone();
        for (a, real, suffix) in &found {
            let text = a.text();
            let Some(outcome) = text.split_once(": ").map(|(_, o)| o) else {
                continue;
            };
            let said = format!(
                "{real} asked as {} {} (search list {suffix}): {outcome}; the real name was \
                 never asked",
                a.name,
                qtype_name(a.qtype)
            );
            summary = summary.replacen(&text, &said, 1);
        }
        let nxdomain = matches!(&first.answer, Answer::Error(rc) if rc == "NXDOMAIN");
        let at_end = match (first.answer_fact, self.end) {
            (Some(f), Some(end)) => f.ts.secs_until(&end) < GOING_ON_SECS,
            _ => false,
        };
        if nxdomain && at_end {
            let tail = "; the real name was never asked";
            let summary = match summary.strip_suffix(tail) {
                Some(s) => {
                    format!("{s}; the capture ends before {real} could be asked: can't tell")
                }
                None => summary,
            };
            return StageResult {
                summary,
                status: Status::NotSeen,
                advice: None,
                ..result
            };
        }
        let mut advice = search_advice(first, real, suffix);
        let mut others: Vec<&str> = found.iter().map(|(_, r, _)| *r).collect();
        others.retain(|r| !r.eq_ignore_ascii_case(real));
        others.dedup();
        if !others.is_empty() {
            advice.push_str(&format!(" (the same for {})", others.join(", ")));
        }
        StageResult {
            summary,
            advice: Some(advice),
            ..result
        }
    }
}

/// The SIP SRV names (lower case) that asked names extend with two or more
/// different labels, each followed by more (`....example.com` of
/// `....example.com.s1.corp` and `....example.com.s3.corp`); its domain has
/// a dot. (Two zones that differ in their last label alone, `example.com`
/// and `example.org`, are no search list.)
fn spread(asked: &HashSet<String>) -> HashSet<String> {
    let mut next: std::collections::HashMap<&str, &str> = Default::default();
    let mut out = HashSet::new();
    // (Bounded: in a storm of expansions, the first names tell.)
    for name in asked
        .iter()
        .filter(|n| is_sip_srv_name(n))
        .take(SPREAD_NAMES)
    {
        for form in shorter_forms(name) {
            let suffix = name.get(form.len() + 1..).unwrap_or_default();
            let Some((label, _)) = suffix.split_once('.') else {
                continue;
            };
            if !srv_domain(form).is_some_and(|d| d.contains('.')) {
                continue;
            }
            match next.get(form) {
                Some(other) if *other != label => {
                    out.insert(form.to_string());
                }
                Some(_) => {}
                None => {
                    next.insert(form, label);
                }
            }
        }
    }
    out
}

/// Asked names looked at for [`spread`].
const SPREAD_NAMES: usize = 4096;

/// Expansions looked for in a failed stage's summary, and said at most.
const LOOKED: usize = 64;
const SAID: usize = 8;

/// Seconds within which a stub asks the next form of a name after an
/// NXDOMAIN (it does so at once).
const GOING_ON_SECS: f64 = 1.0;

/// The advice for the search-list name `a` of `real` (suffix `suffix`),
/// after which the phone never asked `real` itself.
fn search_advice(a: &Attempt<'_>, real: &str, suffix: &str) -> String {
    let (name, server, qtype) = (&a.name, a.server(), qtype_name(a.qtype));
    let drop =
        format!("drop {suffix} from the search list of the voice scope (DHCP option 15 or 119)");
    match &a.answer {
        Answer::NoData => format!(
            "{name} exists at {server} with no {qtype} record (a wildcard under {suffix} with \
             records of another type), and the phone's resolver stops there without asking \
             {real}: remove the wildcard under {suffix}, or {drop}"
        ),
        Answer::Error(rc) if rc == "NXDOMAIN" => format!(
            "{name} does not exist (NXDOMAIN), which should send the phone on to {real}, yet it \
             never asked {real}: check the phone's resolver settings (search list, ndots), or \
             {drop}"
        ),
        Answer::Error(rc) => format!(
            "{server} fails names under {suffix} ({rc} for {name}) and the phone's resolver gives \
             up there without asking {real}: fix the {suffix} zone at {server} (its forwarding \
             or its authoritative servers), or {drop}"
        ),
        _ => format!(
            "the phone's resolver got nothing for {name} from {server} and gave up without \
             asking {real}: make {server} answer names under {suffix}, or {drop}"
        ),
    }
}

/// The stage's last answered lookup was an expansion: the phone took an
/// address the search domain gave for `name.<suffix>`, not the service's.
/// `addresses`: only address lookups count (an SRV name answered through
/// the search list is the SRV set the phone was given).
pub(super) fn expansion_used(
    result: StageResult,
    attempts: &[&Attempt<'_>],
    search: &SearchList<'_>,
    addresses: bool,
) -> StageResult {
    let counts = |a: &&&Attempt<'_>| a.ok() && (!addresses || matches!(a.qtype, 1 | 28));
    let Some(last) = attempts.iter().rev().find(counts) else {
        return result;
    };
    let Some((name, suffix)) = search.real_of(&last.name) else {
        return result;
    };
    let Answer::Records(records) = &last.answer else {
        return result;
    };
    let suffix = suffix.trim_end_matches('.');
    let summary = format!(
        "{name} was asked as {} (the search list appended {suffix}) and that name answered {} \
         (#{}): not {name}'s address",
        last.name,
        records.join(", "),
        last.answer_fact.map_or(last.query.frame, |f| f.frame)
    );
    // The bare name failed before (a stub trying it first, ndots low): its
    // failure is the first fault, the wildcard only hid it.
    let bare_failed = attempts
        .iter()
        .rfind(|a| a.query.frame < last.query.frame && a.name.eq_ignore_ascii_case(name))
        .filter(|a| !a.ok());
    // A zone file's name without its trailing dot gets the zone appended:
    // the same answer as a wildcard's.
    let what =
        format!("a wildcard *.{suffix}, or a record for {name} written without its trailing dot");
    let advice = match bare_failed {
        Some(a) => format!(
            "{name} itself got no address (#{}), and a record in {suffix} answered the search \
             list's {name}.{suffix} ({what}): make the DNS server the phones use (DHCP option \
             6) resolve {name}, and remove that record",
            a.answer_fact.map_or(a.query.frame, |f| f.frame)
        ),
        None => format!(
            "a record in {suffix} answers for {name}.{suffix} ({what}), which the phone asks \
             with its search domain before {name} itself: remove that record, or the search \
             domain from the voice scope (DHCP option 15 or 119)"
        ),
    };
    let mut out = StageResult::new(result.stage, Status::Fail, summary).advice(advice);
    out.evidence = result.evidence;
    if let Some(f) = last.answer_fact {
        out.evidence.push(ev(
            f,
            format!("{} answered for {}", records.join(", "), last.name),
        ));
    }
    out
}

/// The names `name` expands: each part before a dot that has more after
/// it (`a.b.c` gives `a` and `a.b`).
pub(super) fn shorter_forms(name: &str) -> impl Iterator<Item = &str> + Clone {
    (name.char_indices())
        .filter(move |(i, c)| *c == '.' && i + 1 < name.len())
        .filter_map(move |(i, _)| name.get(..i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> HashSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn one_srv_name_asked_with_several_suffixes_is_a_search_list() {
        // tester134 (tester127's rot_*.pcap): only the expansions were
        // asked, each with another search domain.
        let asked = set(&[
            "_sips._tcp.sipflash.example.com.s1.corp0.example.net",
            "_sips._tcp.sipflash.example.com.s3.corp0.example.net",
        ]);
        assert_eq!(spread(&asked), set(&["_sips._tcp.sipflash.example.com"]));
        // Two zones that differ in their last label, two SBC names of one
        // domain: no search list.
        let asked = set(&[
            "_sips._tcp.voice.example.com",
            "_sips._tcp.voice.example.org",
            "_sip._tcp.sbc.eu.example.com",
            "_sip._tcp.sbc.us.example.com",
        ]);
        assert!(spread(&asked).is_empty(), "{:?}", spread(&asked));
    }
}
