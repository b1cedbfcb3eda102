//! A DNS stage that failed for several names (activate.cisco.com and its
//! older name webapps.cisco.com, the provisioning names, SRV targets):
//! which failure leads the summary and the advice, and how the others are
//! said. The primary name leads (activate.cisco.com before the older name
//! the phone falls back on); each name is said by the answer of the
//! phone's own family (A for an IPv4 phone) when that one failed; the
//! advice says "the same for" a name only when it failed for the same
//! cause, and names the others with what they got.

use super::advice::made_up;
use super::answer::{Answer, Attempt};
use super::Family;
use crate::phone::names::searched_for;

/// webapps.cisco.com, the older name of activate.cisco.com that phones fall
/// back on (with a search suffix too).
fn is_fallback_name(name: &str) -> bool {
    let older = |n: &str| n.eq_ignore_ascii_case("webapps.cisco.com");
    older(name) || searched_for(name, |n| n.eq_ignore_ascii_case("webapps.cisco.com")).is_some()
}

/// The attempt that leads a failed stage: the latest decisive SRV attempt,
/// else the latest of the phone's own family, when it failed (a primary
/// name's failure before a fallback name's); else `last`.
pub(super) fn leading<'x, 'a>(
    attempts: &[&'x Attempt<'a>],
    family: Family,
    last: &'x Attempt<'a>,
) -> &'x Attempt<'a> {
    let latest = [33u16, family.qtype()].iter().find_map(|t| {
        let mut of_type = (attempts.iter().rev()).filter(|a| a.decisive(family) && a.qtype == *t);
        let latest = of_type.clone().next()?;
        let primary = of_type.find(|a| !is_fallback_name(&a.name));
        match primary {
            Some(p) if is_fallback_name(&latest.name) && !latest.ok() && !p.ok() => Some(*p),
            _ => Some(*latest),
        }
    });
    latest.filter(|a| !a.ok()).unwrap_or(last)
}

/// The other names of the stage that failed, in the order last asked, each
/// by its latest decisive answer of the phone's own family (or SRV), else
/// by its latest attempt; a name answered after that failure is left out.
pub(super) fn others<'x, 'a>(
    attempts: &[&'x Attempt<'a>],
    family: Family,
    worst: &Attempt<'_>,
) -> Vec<&'x Attempt<'a>> {
    let mut out: Vec<&'x Attempt<'a>> = Vec::new();
    for a in attempts.iter().rev() {
        let seen = a.name == worst.name || out.iter().any(|o| o.name == a.name);
        if seen {
            continue;
        }
        let of_name = || attempts.iter().filter(|b| b.name == a.name);
        let own = of_name().rfind(|b| b.decisive(family) && b.qtype != family.other());
        let Some(pick) = own.or(of_name().next_back()) else {
            continue;
        };
        let resolved_after = of_name().any(|b| b.ok() && b.query.frame > pick.query.frame);
        if pick.decisive(family) && !pick.ok() && !resolved_after {
            out.push(pick);
        }
    }
    out.reverse();
    out
}

/// Two failures of the same cause: the same kind of answer (the same
/// error code; an alias to nothing, a CNAME loop, a referral or a made-up
/// empty answer alike) from the same server.
fn same_cause(a: &Attempt<'_>, b: &Attempt<'_>) -> bool {
    let kind = |x: &Attempt<'_>| {
        let rcode = match &x.answer {
            Answer::Error(rc) => rc.clone(),
            _ => String::new(),
        };
        // No records of one type is not no records of another.
        let qtype = matches!(x.answer, Answer::NoData).then_some(x.qtype);
        let shape = [
            x.dangling_cname().is_some(),
            x.cname_loop().is_some(),
            x.referral(),
            made_up(x),
        ];
        (std::mem::discriminant(&x.answer), rcode, qtype, shape)
    };
    a.server() == b.server() && kind(a) == kind(b)
}

/// The advice for the leading failure `worst` (`advice`) with the other
/// failed names: "the same for" those of its cause, and each of the others
/// with what it got.
pub(super) fn advice_with(advice: String, worst: &Attempt<'_>, others: &[&Attempt<'_>]) -> String {
    let (same, other): (Vec<&&Attempt<'_>>, Vec<&&Attempt<'_>>) =
        others.iter().partition(|o| same_cause(worst, o));
    let mut out = advice;
    if !same.is_empty() {
        let names: Vec<&str> = same.iter().map(|a| a.name.as_str()).collect();
        out.push_str(&format!(" (the same for {})", names.join(", ")));
    }
    let got: Vec<String> = (other.iter())
        .map(|a| {
            let text = a.text();
            let what = text.strip_prefix(&format!("{} ", a.name)).unwrap_or(&text);
            format!("{} ({what})", a.name)
        })
        .collect();
    match got.as_slice() {
        [] => {}
        [one] => out.push_str(&format!("; {one} fails for another cause")),
        _ => out.push_str(&format!("; {} fail for other causes", got.join(" and "))),
    }
    out
}
