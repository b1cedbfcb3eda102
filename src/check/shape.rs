//! The shape of OUTPUT.md's document, for checking an expectation file
//! before it is compared: every key it holds must be one the document has
//! at that place, with a value of the type the document gives it there. A
//! misspelt key deep in `stats` or in an evidence line, or `"frames": "76"`,
//! is then the file's fault (exit 2), not a difference of the analysis.

use serde_json::Value;

/// What a value of the document is.
pub(super) enum Shape {
    Uint,
    Bool,
    Str,
    /// A string or null.
    OptStr,
    List(&'static Shape),
    Object(&'static [(&'static str, Shape)]),
}

static EVIDENCE: Shape = Shape::Object(&[
    ("frame", Shape::Uint),
    ("time", Shape::Str),
    ("text", Shape::Str),
]);

static STAGE: Shape = Shape::Object(&[
    ("stage", Shape::Str),
    ("status", Shape::Str),
    ("summary", Shape::Str),
    ("advice", Shape::OptStr),
    ("evidence", Shape::List(&EVIDENCE)),
]);

static PHONE: Shape = Shape::Object(&[
    ("id", Shape::Str),
    ("capture", Shape::Str),
    ("mac", Shape::OptStr),
    ("ips", Shape::List(&Shape::Str)),
    ("hostname", Shape::OptStr),
    ("model", Shape::OptStr),
    ("firmware", Shape::OptStr),
    ("verdict", Shape::Str),
    ("root_cause", Shape::OptStr),
    ("stages", Shape::List(&STAGE)),
]);

static CAPTURE: Shape = Shape::Object(&[
    ("path", Shape::Str),
    ("format", Shape::OptStr),
    ("compressed", Shape::Bool),
    ("frames", Shape::Uint),
    ("complete", Shape::Bool),
    (
        "stats",
        Shape::Object(&[
            ("undecodable", Shape::Uint),
            ("truncated_by_snaplen", Shape::Uint),
            (
                "bounds_hit",
                Shape::Object(&[
                    ("fragments", Shape::Uint),
                    ("tcp_buffers", Shape::Uint),
                    ("flows", Shape::Uint),
                ]),
            ),
        ]),
    ),
    ("warnings", Shape::List(&Shape::Str)),
]);

/// The whole document.
pub(super) static DOCUMENT: Shape = Shape::Object(&[
    ("version", Shape::Uint),
    ("captures", Shape::List(&CAPTURE)),
    ("phones", Shape::List(&PHONE)),
]);

/// Where `value` (found at `at`, "" for the document) departs from
/// `shape`, in words.
pub(super) fn check(at: &str, value: &Value, shape: &Shape) -> Result<(), String> {
    let wrong = |what: &str| Err(format!("{at} is not {what}: {value}"));
    match shape {
        Shape::Uint if value.as_u64().is_none() => wrong("a whole number"),
        Shape::Bool if !value.is_boolean() => wrong("true or false"),
        Shape::Str if !value.is_string() => wrong("a string"),
        Shape::OptStr if !(value.is_string() || value.is_null()) => wrong("a string or null"),
        Shape::List(item) => {
            let Some(list) = value.as_array() else {
                return wrong("a list");
            };
            for (i, v) in list.iter().enumerate() {
                check(&format!("{at}[{i}]"), v, item)?;
            }
            Ok(())
        }
        Shape::Object(keys) => {
            let Some(obj) = value.as_object() else {
                return wrong("an object");
            };
            for (k, v) in obj {
                let Some((_, inner)) = keys.iter().find(|(name, _)| name == k) else {
                    return Err(format!("{at}: key \"{k}\" is not one of OUTPUT.md's"));
                };
                let inner_at = match at.is_empty() {
                    true => k.clone(),
                    false => format!("{at} {k}"),
                };
                check(&inner_at, v, inner)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_and_types_are_checked_at_every_depth() {
        let ok = json!({"version": 1, "captures": [{"path": "a.pcap", "format": null,
            "stats": {"bounds_hit": {"flows": 0}}}],
            "phones": [{"id": "x", "mac": null, "ips": ["192.0.2.1"],
                "stages": [{"stage": "dhcp", "advice": null,
                    "evidence": [{"frame": 1, "text": "ACK"}]}]}]});
        assert_eq!(check("", &ok, &DOCUMENT), Ok(()));
        for (doc, why) in [
            (
                json!({"captures": [{"stats": {"undecodabel": 0}}]}),
                "key \"undecodabel\"",
            ),
            (
                json!({"captures": [{"stats": {"bounds_hit": {"flow": 0}}}]}),
                "key \"flow\"",
            ),
            (
                json!({"captures": [{"frames": "76"}]}),
                "frames is not a whole number",
            ),
            (json!({"captures": "a.pcap"}), "captures is not a list"),
            (
                json!({"captures": [{"stats": 5}]}),
                "stats is not an object",
            ),
            (
                json!({"phones": [{"ips": "192.0.2.1"}]}),
                "ips is not a list",
            ),
            (json!({"phones": [{"id": null}]}), "id is not a string"),
            (
                json!({"phones": [{"stages": [{"evidence": [{"frme": 1}]}]}]}),
                "key \"frme\"",
            ),
        ] {
            let got = check("", &doc, &DOCUMENT);
            assert!(
                got.as_ref().is_err_and(|w| w.contains(why)),
                "{doc}: {got:?}"
            );
        }
    }
}
