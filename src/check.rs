//! `provscope check`: compare an analysis with an expectation file and say
//! what changed.
//!
//! The expectation is the JSON document of OUTPUT.md, whole (the output of
//! `analyze --format json`) or a subset of it: only the keys it holds are
//! compared. Phones are matched by `id`, else `mac`, else any of `ips`;
//! stages by their `stage` id. A phone that appears in the analysis but not
//! in the expectation is a difference too. Paths are compared by file name,
//! so an expectation made elsewhere still matches.

mod instant;
mod repeated;
mod shape;

pub use repeated::repeated_key;

use serde_json::{Map, Value};

/// One difference, readable on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference(pub String);

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an expectation could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("expectation is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("expectation has no \"phones\" list")]
    NoPhones,
    #[error("bad expectation: {0}")]
    Invalid(String),
}

/// Checks that an expectation says something comparable: version 1, a list
/// of phone objects, each named once, stages by known ids, once each, with
/// known status and verdict words, only OUTPUT.md's keys, phones named by
/// `id`, `mac` or `ips`. A typo there is the file's fault, not a difference
/// of the analysis.
pub fn validate(expected: &Value) -> Result<(), CheckError> {
    let bad = |what: String| Err(CheckError::Invalid(what));
    let Some(doc) = expected.as_object() else {
        return bad("the document is not a JSON object".into());
    };
    if let Some(k) = unknown_key(doc, &["version", "captures", "phones"]) {
        return bad(format!("key \"{k}\" is not one of OUTPUT.md's"));
    }
    let capture_keys = [
        "path",
        "format",
        "compressed",
        "frames",
        "complete",
        "stats",
        "warnings",
    ];
    for c in doc
        .get("captures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(k) = c.as_object().and_then(|c| unknown_key(c, &capture_keys)) {
            return bad(format!("captures: key \"{k}\" is not one of OUTPUT.md's"));
        }
    }
    if let Some(v) = doc.get("version").filter(|v| v.as_u64() != Some(1)) {
        return bad(format!(
            "version {v}: this provscope writes and reads version 1"
        ));
    }
    let phones = doc
        .get("phones")
        .and_then(Value::as_array)
        .ok_or(CheckError::NoPhones)?;
    let mut labels = std::collections::HashSet::new();
    for (i, value) in phones.iter().enumerate() {
        let Some(p) = value.as_object() else {
            return bad(format!("phones[{i}] is not an object"));
        };
        if let Some(why) = bad_identifier(p) {
            return bad(format!("phones[{i}]: {why}"));
        }
        let label = phone_label(value);
        if label == "?" {
            return bad(format!(
                "phones[{i}] has no \"id\", \"mac\" or \"ips\" to find it by"
            ));
        }
        // 00:00:5E:00:53:01 and 00-00-5e-00-53-01 are one phone.
        if labels.contains(&mac_key(&label)) {
            return bad(format!("phone {label} is listed twice"));
        }
        if let Some(k) = unknown_key(p, &PHONE_KEYS) {
            return bad(format!(
                "phone {label}: key \"{k}\" is not one of OUTPUT.md's"
            ));
        }
        let root = p.get("root_cause").filter(|v| !v.is_null());
        if let Some(v) = root.filter(|v| {
            v.as_str()
                .and_then(crate::verdict::Stage::from_id)
                .is_none()
        }) {
            return bad(format!(
                "phone {label}: root_cause {v} is not a stage id (or null)"
            ));
        }
        labels.insert(mac_key(&label));
        if let Some(v) = p
            .get("verdict")
            .filter(|v| !word_in(v, &["pass", "warn", "fail"]))
        {
            return bad(format!(
                "phone {label}: verdict {v} is not pass, warn or fail"
            ));
        }
        let Some(stages) = p.get("stages") else {
            continue;
        };
        let Some(stages) = stages.as_array() else {
            return bad(format!("phone {label}: \"stages\" is not a list"));
        };
        let mut seen = Vec::new();
        for st in stages {
            let id = st.get("stage").and_then(Value::as_str);
            let Some(id) = id.filter(|id| crate::verdict::Stage::from_id(id).is_some()) else {
                let got = st.get("stage").map_or("none".to_string(), Value::to_string);
                return bad(format!(
                    "phone {label}: stage id {got} is not one of OUTPUT.md's"
                ));
            };
            if seen.contains(&id) {
                return bad(format!("phone {label}: stage {id} is listed twice"));
            }
            let keys = ["stage", "status", "summary", "advice", "evidence"];
            if let Some(k) = st.as_object().and_then(|o| unknown_key(o, &keys)) {
                return bad(format!(
                    "phone {label} stage {id}: key \"{k}\" is not one of OUTPUT.md's"
                ));
            }
            seen.push(id);
            let words = ["pass", "warn", "fail", "not_seen"];
            if let Some(v) = st.get("status").filter(|v| !word_in(v, &words)) {
                return bad(format!(
                    "phone {label} stage {id}: status {v} is not pass, warn, fail or not_seen"
                ));
            }
        }
    }
    // Then every key and type, at any depth (stats, evidence lines).
    shape::check("", expected, &shape::DOCUMENT).map_err(CheckError::Invalid)
}

/// The keys of a phone in OUTPUT.md.
const PHONE_KEYS: [&str; 10] = [
    "id",
    "capture",
    "mac",
    "ips",
    "hostname",
    "model",
    "firmware",
    "verdict",
    "root_cause",
    "stages",
];

/// The first key of `obj` not among `known`.
fn unknown_key<'a>(obj: &'a Map<String, Value>, known: &[&str]) -> Option<&'a str> {
    obj.keys().map(String::as_str).find(|k| !known.contains(k))
}

fn word_in(v: &Value, words: &[&str]) -> bool {
    v.as_str().is_some_and(|w| words.contains(&w))
}

/// Compares `actual` (the analysis as JSON) with `expected`.
pub fn compare(expected: &Value, actual: &Value) -> Result<Vec<Difference>, CheckError> {
    validate(expected)?;
    let exp_phones = expected
        .get("phones")
        .and_then(Value::as_array)
        .ok_or(CheckError::NoPhones)?;
    let act_phones = actual
        .get("phones")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut diffs = Vec::new();
    if let (Some(e), Some(a)) = (expected.get("captures"), actual.get("captures")) {
        compare_value("captures", e, a, &mut diffs);
    }
    // Entries are paired with phones in three rounds, whatever their order
    // in the file: by id or MAC, then by exactly the phone's addresses, then
    // by any address in common (an address reused by two phones in turn).
    let mut used = vec![false; act_phones.len()];
    let mut pair: Vec<Option<usize>> = vec![None; exp_phones.len()];
    let by_name = |e: &Value| e.get("id").or(e.get("mac")).is_some_and(|v| !v.is_null());
    let rounds: [&Matcher<'_>; 3] = [
        &|e, a| by_name(e) && same_phone(e, a),
        &|e, a| !by_name(e) && same_ips(e, a),
        &|e, a| !by_name(e) && same_phone(e, a),
    ];
    for matches in rounds {
        for (k, e) in exp_phones.iter().enumerate() {
            if pair[k].is_some() {
                continue;
            }
            let found = (act_phones.iter().enumerate()).find(|(i, a)| !used[*i] && matches(e, a));
            if let Some((i, _)) = found {
                used[i] = true;
                pair[k] = Some(i);
            }
        }
    }
    for (e, paired) in exp_phones.iter().zip(&pair) {
        let label = phone_label(e);
        if let Some(a) = paired.and_then(|i| act_phones.get(i)) {
            compare_phone(&label, e, a, &mut diffs);
            continue;
        }
        // Matched already by another entry: by id or MAC that is the same
        // phone listed twice (the file's fault); by address it may be a
        // phone that is gone, said with the hint.
        let taken = (act_phones.iter().zip(&used)).find(|(a, u)| **u && same_phone(e, a));
        match taken {
            Some((a, _)) if by_name(e) => {
                return Err(CheckError::Invalid(format!(
                    "phone {label} is listed twice (also as phone {})",
                    phone_label(a)
                )));
            }
            Some((a, _)) => diffs.push(Difference(format!(
                "phone {label}: expected, not found (its address is phone {}'s, which another \
                 entry matched)",
                phone_label(a)
            ))),
            None => match id_is_an_address(e, &act_phones, &used) {
                // The entry's id is an address of one phone that is named
                // by its MAC (OUTPUT.md: the id is the MAC when known): one
                // difference that says so, not a missing and an extra phone.
                Some(i) => {
                    used[i] = true;
                    let a = &act_phones[i];
                    diffs.push(Difference(format!(
                        "phone {label}: expected, not found: phone {} has address {label}: its \
                         id is its MAC",
                        phone_label(a)
                    )));
                }
                None => diffs.push(Difference(format!("phone {label}: expected, not found"))),
            },
        }
    }
    for (a, _) in act_phones.iter().zip(&used).filter(|(_, u)| !**u) {
        let verdict = a.get("verdict").and_then(Value::as_str).unwrap_or("?");
        diffs.push(Difference(format!(
            "phone {}: not expected, found ({verdict})",
            phone_label(a)
        )));
    }
    Ok(diffs)
}

/// The one phone not paired yet whose `ips` hold the entry's `id` when
/// that id is an IP address and the phone's id is not (it is its MAC).
fn id_is_an_address(e: &Value, phones: &[Value], used: &[bool]) -> Option<usize> {
    let id: std::net::IpAddr = e.get("id")?.as_str()?.parse().ok()?;
    let wanted = id.to_string();
    let mut holders = (phones.iter().zip(used).enumerate())
        .filter(|(_, (a, u))| {
            let own_id = a.get("id").and_then(Value::as_str);
            !**u && own_id.is_some_and(|s| s.parse::<std::net::IpAddr>().is_err())
                && ips_of(a).contains(&wanted)
        })
        .map(|(i, _)| i);
    let first = holders.next()?;
    holders.next().is_none().then_some(first)
}

/// How a phone of an expectation is named in messages; "?" when it has no
/// `id`, `mac` or non-empty `ips` to be found by.
fn phone_label(p: &Value) -> String {
    for k in ["id", "mac"] {
        if let Some(s) = p.get(k).and_then(Value::as_str) {
            return s.to_string();
        }
    }
    match p.get("ips") {
        Some(Value::Array(l)) if l.is_empty() => "?".to_string(),
        Some(v) => v.to_string(),
        None => "?".to_string(),
    }
}

/// What is wrong with an entry's identifiers, if anything: a `mac` that
/// is no MAC address, an `id` that is neither a MAC nor an IP address, an
/// `ips` entry that is no IP address, or one of them of the wrong type.
fn bad_identifier(p: &serde_json::Map<String, Value>) -> Option<String> {
    let is_mac = |s: &str| {
        let key = mac_key(s);
        key.len() == 12 && key.chars().all(|c| c.is_ascii_hexdigit())
    };
    let is_ip = |s: &str| s.parse::<std::net::IpAddr>().is_ok();
    match p.get("mac") {
        Some(Value::Null) | None => {}
        Some(Value::String(s)) if is_mac(s) => {}
        Some(Value::String(s)) => return Some(format!("\"mac\" {s:?} is not a MAC address")),
        Some(v) => return Some(format!("\"mac\" {v} is not a string")),
    }
    match p.get("id") {
        None => {}
        Some(Value::String(s)) if is_mac(s) || is_ip(s) => {}
        Some(Value::String(s)) => {
            return Some(format!("\"id\" {s:?} is neither a MAC nor an IP address"))
        }
        Some(v) => return Some(format!("\"id\" {v} is not a string")),
    }
    if let Some(Value::Array(ips)) = p.get("ips") {
        for ip in ips {
            match ip.as_str() {
                Some(s) if is_ip(s) => {}
                _ => return Some(format!("\"ips\" holds {ip}, not an IP address")),
            }
        }
    }
    None
}

/// A MAC address in any usual notation (`00:00:5E:00:53:01`,
/// `00-00-5e-00-53-01`, `0000.5e00.5301`) as twelve lower-case hex digits;
/// other text as it is, lower-cased.
fn mac_key(s: &str) -> String {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if digits.len() == 12 && digits.chars().all(|c| c.is_ascii_hexdigit()) {
        digits.to_ascii_lowercase()
    } else {
        s.to_ascii_lowercase()
    }
}

/// Whether an entry of the expectation names a phone of the analysis.
type Matcher<'a> = dyn Fn(&Value, &Value) -> bool + 'a;

/// The addresses of a phone (or an expectation entry), as a set, each in
/// one notation (`2001:DB8::1` and `2001:0db8:0:0:0:0:0:1` are one address).
fn ips_of(v: &Value) -> std::collections::BTreeSet<String> {
    (v.get("ips").and_then(Value::as_array).into_iter().flatten())
        .filter_map(Value::as_str)
        .map(|s| {
            s.parse::<std::net::IpAddr>()
                .map_or(s.to_string(), |ip| ip.to_string())
        })
        .collect()
}

/// An entry named by addresses that lists exactly the phone's addresses.
fn same_ips(e: &Value, a: &Value) -> bool {
    let ei = ips_of(e);
    !ei.is_empty() && ei == ips_of(a)
}

fn same_phone(e: &Value, a: &Value) -> bool {
    // MACs in any notation: 00-00-5E-00-53-01 is 00:00:5e:00:53:01.
    let lower = |v: &Value| v.as_str().map(mac_key);
    for k in ["id", "mac"] {
        if let Some(x) = e.get(k).filter(|v| !v.is_null()) {
            return match (lower(x), a.get(k).and_then(lower)) {
                (Some(x), Some(y)) => x == y,
                _ => a.get(k) == Some(x),
            };
        }
    }
    !ips_of(e).is_disjoint(&ips_of(a))
}

fn compare_phone(label: &str, e_val: &Value, a: &Value, diffs: &mut Vec<Difference>) {
    let Some(e) = e_val.as_object() else { return };
    // The phone's own fields first, then its stages.
    for (k, ev) in e.iter().filter(|(k, _)| *k != "stages") {
        let av = a.get(k).unwrap_or(&Value::Null);
        // A MAC's case and separators are notation, not a difference.
        let lower = |v: &Value| v.as_str().map(mac_key);
        if matches!(k.as_str(), "id" | "mac") && lower(ev).is_some() && lower(ev) == lower(av) {
            continue;
        }
        // A phone's addresses are a set: their order is no difference.
        if k == "ips" {
            if ips_of(e_val) == ips_of(a) {
                continue;
            }
            let a_ips = a.get("ips").cloned().unwrap_or(Value::Null);
            diffs.push(Difference(format!(
                "phone {label} ips: expected {ev}, got {a_ips}"
            )));
            continue;
        }
        compare_value(&format!("phone {label} {k}"), ev, av, diffs);
    }
    if let Some(ev) = e.get("stages") {
        compare_stages(label, ev, a.get("stages").unwrap_or(&Value::Null), diffs);
    }
}

fn compare_stages(label: &str, e: &Value, a: &Value, diffs: &mut Vec<Difference>) {
    let empty = Vec::new();
    let act = a.as_array().unwrap_or(&empty);
    for es in e.as_array().unwrap_or(&empty) {
        let Some(id) = es.get("stage").and_then(Value::as_str) else {
            continue;
        };
        let Some(as_) = act
            .iter()
            .find(|s| s.get("stage").and_then(Value::as_str) == Some(id))
        else {
            diffs.push(Difference(format!("phone {label} stage {id}: missing")));
            continue;
        };
        let Some(obj) = es.as_object() else { continue };
        // Status first: it is what people read.
        let mut keys: Vec<&String> = obj.keys().filter(|k| *k != "stage").collect();
        keys.sort_by_key(|k| (*k != "status", (*k).clone()));
        for k in keys {
            let av = as_.get(k).unwrap_or(&Value::Null);
            let at = format!("phone {label} stage {id} {k}");
            match k.as_str() {
                "evidence" => compare_evidence(&at, &obj[k], av, diffs),
                _ => compare_value(&at, &obj[k], av, diffs),
            }
        }
    }
}

/// Evidence as a subset: each expected entry, with the keys it gives, must
/// be one of the stage's (a key frame pinned without its text and time).
fn compare_evidence(at: &str, e: &Value, a: &Value, diffs: &mut Vec<Difference>) {
    let (Some(want), Some(got)) = (e.as_array(), a.as_array()) else {
        return compare_value(at, e, a, diffs);
    };
    for (i, entry) in want.iter().enumerate() {
        let found = got.iter().any(|g| {
            let mut none = Vec::new();
            compare_value("", entry, g, &mut none);
            none.is_empty()
        });
        if !found {
            diffs.push(Difference(format!(
                "{at}[{i}]: expected {entry}, not among {a}"
            )));
        }
    }
}

fn compare_value(at: &str, e: &Value, a: &Value, diffs: &mut Vec<Difference>) {
    match (e, a) {
        (Value::Object(eo), Value::Object(ao)) => compare_object(at, eo, ao, diffs),
        (Value::Array(ea), Value::Array(aa)) if ea.len() == aa.len() => {
            for (i, (x, y)) in ea.iter().zip(aa).enumerate() {
                compare_value(&format!("{at}[{i}]"), x, y, diffs);
            }
        }
        _ => {
            // A path compares by its file name only, whatever the directory;
            // a time as an instant, whatever its offset (+00:00 is Z).
            let instants = || {
                Some((
                    instant::instant(e.as_str()?)?,
                    instant::instant(a.as_str()?)?,
                ))
            };
            let differs = if at.ends_with(" path") || at.ends_with(" capture") {
                base(e) != base(a)
            } else if let Some((x, y)) = instants().filter(|_| at.ends_with(" time")) {
                x != y
            } else {
                e != a
            };
            if differs {
                diffs.push(Difference(format!("{at}: expected {e}, got {a}")));
            }
        }
    }
}

fn compare_object(
    at: &str,
    e: &Map<String, Value>,
    a: &Map<String, Value>,
    diffs: &mut Vec<Difference>,
) {
    for (k, ev) in e {
        let av = a.get(k).unwrap_or(&Value::Null);
        compare_value(&format!("{at} {k}"), ev, av, diffs);
    }
}

fn base(v: &Value) -> String {
    let s = v.as_str().unwrap_or("");
    s.rsplit(['/', '\\']).next().unwrap_or(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn actual() -> Value {
        json!({"version": 1, "captures": [{"path": "/x/a.pcap", "frames": 10}],
               "phones": [{"id": "00:00:5e:00:53:01", "verdict": "fail",
                           "root_cause": "sbc-connect",
                           "stages": [{"stage": "dhcp", "status": "pass"},
                                      {"stage": "sbc-connect", "status": "fail"}]}]})
    }

    #[test]
    fn evidence_entries_match_as_a_subset() {
        let ev = json!([{"frame": 1, "text": "DISCOVER"}, {"frame": 4, "text": "ACK"}]);
        let stage = json!({"stage": "dhcp", "status": "pass", "evidence": ev});
        let a = json!({"phones": [{"id": "00:00:5e:00:53:01", "stages": [stage]}]});
        let e = |ev: Value| {
            json!({"phones": [{"id": "00:00:5e:00:53:01", "stages": [{"stage": "dhcp",
            "evidence": ev}]}]})
        };
        assert!(compare(&e(json!([{"frame": 4}])), &a).unwrap().is_empty());
        assert!(compare(&e(json!([{"frame": 4, "text": "ACK"}])), &a)
            .unwrap()
            .is_empty());
        let d = compare(&e(json!([{"frame": 4, "text": "NAK"}])), &a).unwrap();
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].0.contains("evidence[0]: expected"), "{d:?}");
    }

    #[test]
    fn subset_matches() {
        let e = json!({"phones": [{"id": "00:00:5e:00:53:01", "verdict": "fail",
                       "stages": [{"stage": "sbc-connect", "status": "fail"}]}]});
        assert_eq!(compare(&e, &actual()).unwrap(), vec![]);
    }

    #[test]
    fn mismatch_is_named() {
        let e = json!({"captures": [{"path": "a.pcap"}],
                       "phones": [{"id": "00:00:5e:00:53:01", "verdict": "pass",
                       "stages": [{"stage": "dhcp", "status": "fail"}]}]});
        let d: Vec<String> = compare(&e, &actual())
            .unwrap()
            .iter()
            .map(|d| d.0.clone())
            .collect();
        assert_eq!(
            d,
            vec![
                "phone 00:00:5e:00:53:01 verdict: expected \"pass\", got \"fail\"".to_string(),
                "phone 00:00:5e:00:53:01 stage dhcp status: expected \"fail\", got \"pass\""
                    .to_string(),
            ]
        );
    }

    #[test]
    fn missing_and_extra_phones() {
        let e = json!({"phones": [{"id": "00:00:5e:00:53:09"}]});
        let d = compare(&e, &actual()).unwrap();
        assert_eq!(d.len(), 2);
        assert!(d[0].0.contains("expected, not found"));
        assert!(d[1].0.contains("not expected, found (fail)"));
    }

    #[test]
    fn an_id_that_is_the_address_of_a_phone_named_by_its_mac_is_said_so() {
        let mut a = actual();
        a["phones"][0]["ips"] = json!(["192.0.2.101", "2001:db8::1"]);
        let e = json!({"phones": [{"id": "192.0.2.101"}]});
        let d = compare(&e, &a).unwrap();
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0]
            .0
            .contains("phone 00:00:5e:00:53:01 has address 192.0.2.101: its id is its MAC"));
        // Any notation of the address; two phones holding it: no guess.
        let e = json!({"phones": [{"id": "2001:DB8:0::1"}]});
        assert!(compare(&e, &a).unwrap()[0]
            .0
            .contains("has address 2001:DB8:0::1"));
        let mut two = a.clone();
        let mut other = a["phones"][0].clone();
        other["id"] = json!("00:00:5e:00:53:02");
        two["phones"].as_array_mut().unwrap().push(other);
        let e = json!({"phones": [{"id": "192.0.2.101"}]});
        let d = compare(&e, &two).unwrap();
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(!d[0].0.contains("its id is its MAC"));
    }

    #[test]
    fn evidence_times_compare_as_instants() {
        let mut a = actual();
        a["phones"][0]["stages"][0]["evidence"] =
            json!([{"frame": 5, "time": "2026-12-04T16:54:00.302659Z", "text": "ACK"}]);
        let e = |time: &str| {
            json!({"phones": [{"id": "00:00:5e:00:53:01", "stages": [
                {"stage": "dhcp", "evidence": [{"time": time}]}]}]})
        };
        for same in [
            "2026-12-04T16:54:00.302659+00:00",
            "2026-12-04T17:54:00.302659+01:00",
        ] {
            assert!(compare(&e(same), &a).unwrap().is_empty(), "{same}");
        }
        for other in [
            "2026-12-04T16:54:00.302659+01:00",
            "2026-12-04T16:54:00.3Z",
            "soon",
        ] {
            assert_eq!(compare(&e(other), &a).unwrap().len(), 1, "{other}");
        }
    }

    #[test]
    fn unknown_keys_nameless_phones_and_bad_root_causes_are_the_files_fault() {
        let id = "00:00:5e:00:53:01";
        for (e, why) in [
            (
                json!({"phones": [{"id": id, "verdcit": "pass"}]}),
                "key \"verdcit\"",
            ),
            (
                json!({"phones": [{"verdict": "pass"}]}),
                "no \"id\", \"mac\" or \"ips\"",
            ),
            (
                json!({"phones": [{"mac": 12345}]}),
                "\"mac\" 12345 is not a string",
            ),
            (
                json!({"phones": [{"mac": "zz:zz"}]}),
                "is not a MAC address",
            ),
            (
                json!({"phones": [{"ips": ["not-an-ip"]}]}),
                "not an IP address",
            ),
            (
                json!({"phones": [{"id": "phone one"}]}),
                "neither a MAC nor an IP address",
            ),
            (
                json!({"phones": [{"id": id, "root_cause": "bogus"}]}),
                "not a stage id",
            ),
            (
                json!({"phones": [{"id": id, "stages": [{"stage": "dhcp", "stauts": "pass"}]}]}),
                "key \"stauts\"",
            ),
            (json!({"phone": [], "phones": []}), "key \"phone\""),
        ] {
            match validate(&e) {
                Err(CheckError::Invalid(w)) => assert!(w.contains(why), "{w}"),
                other => panic!("{e}: {other:?}"),
            }
        }
        let fine = json!({"phones": [{"id": id, "root_cause": null, "stages": []}]});
        assert!(validate(&fine).is_ok());
    }

    #[test]
    fn no_phones_is_an_error() {
        assert!(compare(&json!({}), &actual()).is_err());
    }

    #[test]
    fn a_malformed_expectation_is_refused_not_compared() {
        let bad = |e: Value, why: &str| match compare(&e, &actual()) {
            Err(CheckError::Invalid(w)) => assert!(w.contains(why), "{w}"),
            other => panic!("{e}: {other:?}"),
        };
        let id = "00:00:5e:00:53:01";
        bad(
            json!({"phones": [{"id": id, "stages": "all"}]}),
            "is not a list",
        );
        bad(
            json!({"phones": [{"id": id, "stages": [{"status": "pass"}]}]}),
            "stage id none",
        );
        bad(json!({"version": 2, "phones": []}), "version 2");
        bad(
            json!({"phones": [{"id": id, "stages": [{"stage": "dns-activaton"}]}]}),
            "\"dns-activaton\" is not one",
        );
        bad(
            json!({"phones": [{"id": id, "stages": [{"stage": "dhcp", "status": "ok"}]}]}),
            "status \"ok\"",
        );
        bad(
            json!({"phones": [{"id": id, "stages": [{"stage": "dhcp"}, {"stage": "dhcp"}]}]}),
            "stage dhcp is listed twice",
        );
        bad(json!({"phones": [{"id": id}, {"id": id}]}), "listed twice");
        bad(
            json!({"phones": [{"id": id, "verdict": "ok"}]}),
            "verdict \"ok\"",
        );
        bad(json!({"phones": [3]}), "phones[0] is not an object");
    }

    #[test]
    fn entries_pair_with_phones_whatever_their_order() {
        // An address the DHCP server gave to one phone, then to another:
        // :05 holds .105 and .115, :04 only .105.
        let act = json!({"phones": [
            {"id": "00:00:5e:00:53:04", "mac": "00:00:5e:00:53:04", "ips": ["192.0.2.105"],
             "verdict": "fail"},
            {"id": "00:00:5e:00:53:05", "mac": "00:00:5e:00:53:05",
             "ips": ["192.0.2.105", "192.0.2.115"], "verdict": "warn"}
        ]});
        for phones in [
            json!([{"ips": ["192.0.2.105"], "verdict": "fail"},
                   {"mac": "00:00:5e:00:53:05", "verdict": "warn"}]),
            json!([{"ips": ["192.0.2.105"], "verdict": "fail"},
                   {"ips": ["192.0.2.115", "192.0.2.105"], "verdict": "warn"}]),
            json!([{"ips": ["192.0.2.115", "192.0.2.105"], "verdict": "warn"},
                   {"ips": ["192.0.2.105"], "verdict": "fail"}]),
        ] {
            let e = json!({"phones": phones});
            assert_eq!(compare(&e, &act).unwrap(), vec![], "{e}");
        }
    }

    #[test]
    fn macs_match_in_any_case_and_notation() {
        for mac in ["00:00:5E:00:53:01", "00-00-5e-00-53-01", "0000.5e00.5301"] {
            let e = json!({"phones": [{"id": mac, "verdict": "fail"}]});
            assert_eq!(compare(&e, &actual()).unwrap(), vec![], "{mac}");
        }
        let twice = json!({"phones": [{"id": "00:00:5e:00:53:01"}, {"mac": "00-00-5E-00-53-01"}]});
        assert!(
            matches!(validate(&twice), Err(CheckError::Invalid(w)) if w.contains("listed twice"))
        );
        let mut act = actual();
        act["phones"][0]["mac"] = json!("00:00:5e:00:53:01");
        act["phones"][0]["ips"] = json!(["192.0.2.101"]);
        let by_mac =
            json!({"phones": [{"id": "00:00:5e:00:53:01"}, {"mac": "00:00:5e:00:53:01"}]});
        assert!(
            matches!(compare(&by_mac, &act), Err(CheckError::Invalid(w)) if w.contains("twice"))
        );
        let by_ip = json!({"phones": [{"id": "00:00:5e:00:53:01"}, {"ips": ["192.0.2.101"]}]});
        let d = compare(&by_ip, &act).unwrap();
        assert!(
            d.len() == 1 && d[0].0.contains("another entry matched"),
            "{d:?}"
        );
        let empty = json!({"phones": [{"ips": []}]});
        assert!(
            matches!(validate(&empty), Err(CheckError::Invalid(w)) if w.contains("no \"id\""))
        );
    }

    #[test]
    fn addresses_match_in_any_notation_and_none_is_none() {
        // tester105, tester102: IOS writes IPv6 upper-case; a phone whose
        // DHCP failed has no address, and its own JSON must match it.
        let mut act = actual();
        act["phones"][0]["ips"] = json!(["2001:db8:1::101"]);
        for ip in ["2001:DB8:1::101", "2001:0db8:0001:0000:0000:0000:0000:0101"] {
            let e = json!({"phones": [{"ips": [ip], "verdict": "fail"}]});
            assert_eq!(compare(&e, &act).unwrap(), vec![], "{ip}");
        }
        act["phones"][0]["ips"] = json!([]);
        let e = json!({"phones": [{"id": "00:00:5e:00:53:01", "ips": []}]});
        assert_eq!(compare(&e, &act).unwrap(), vec![]);
        let e = json!({"phones": [{"id": "00:00:5e:00:53:01", "ips": ["192.0.2.9"]}]});
        assert_eq!(compare(&e, &act).unwrap().len(), 1);
    }
}
