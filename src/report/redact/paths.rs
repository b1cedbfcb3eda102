//! SIP user names inside the capture paths a report prints (`alice.pcap`,
//! `carol_trace.pcap`, `call alice.pcap`, `bob/x.pcap`): a file name holds
//! a user name between any two non-alphanumeric characters (`.`, `_`, `-`,
//! a space, `/`), which the words' own rule (a user name followed by `.`
//! and a letter is a domain there) would leave. Each path, as given, as
//! JSON writes it, as the table escapes it, and its file name alone, is
//! marked with the stand-ins the words use for the same users, before the
//! words' rules run.

use std::path::Path;

use crate::fact::Fact;
use crate::report::Document;

/// The forms in which the report may print each capture path, longest
/// first (a path before its own file name).
pub(super) fn path_forms(doc: &Document, facts: &[(String, Vec<Fact>)]) -> Vec<String> {
    let given = (doc.captures.iter().map(|c| c.path.as_str()))
        .chain(doc.phones.iter().map(|p| p.capture.as_str()))
        .chain(facts.iter().map(|(path, _)| path.as_str()));
    let mut forms: Vec<String> = Vec::new();
    for path in given {
        let name = Path::new(path).file_name().and_then(|n| n.to_str());
        for form in std::iter::once(path).chain(name) {
            let json = serde_json::to_string(form).unwrap_or_default();
            let json = json.trim_matches('"').to_string();
            let printable = crate::text::printable(form).into_owned();
            forms.extend([form.to_string(), json, printable]);
        }
    }
    forms.retain(|f| !f.is_empty());
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    forms.dedup();
    forms
}

/// `text` with each user name (`users`: name and stand-in, longest name
/// first) inside each of `paths` replaced by a marker from `marker`, which
/// records the stand-in it stands for.
pub(super) fn mark_users<'u>(
    text: &str,
    paths: &[String],
    users: &'u [(String, String)],
    mut marker: impl FnMut(&'u str) -> String,
) -> String {
    let mut out = text.to_string();
    for path in paths {
        if !out.contains(path.as_str()) {
            continue;
        }
        let mut marked = path.clone();
        for (from, to) in users
            .iter()
            .filter(|(from, _)| path.contains(from.as_str()))
        {
            marked = replace_in_path(&marked, from, &marker(to));
        }
        if marked != *path {
            out = out.replace(path.as_str(), &marked);
        }
    }
    out
}

/// Replaces `from` in `path` where no ASCII letter or digit touches it on
/// either side.
fn replace_in_path(path: &str, from: &str, to: &str) -> String {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(pos) = rest.find(from) {
        let (head, tail) = (&rest[..pos], &rest[pos + from.len()..]);
        let bounded = !alnum(head.chars().next_back()) && !alnum(tail.chars().next());
        out.push_str(head);
        out.push_str(if bounded { to } else { from });
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_bounded_by_any_non_alphanumeric_character() {
        let users = vec![
            ("alice".to_string(), "user1".to_string()),
            ("bob".to_string(), "user2".to_string()),
        ];
        let paths = vec!["redact/bob/call alice_trace.alice.pcap".to_string()];
        let text = "x redact/bob/call alice_trace.alice.pcap y bobby.pcap";
        let out = mark_users(text, &paths, &users, |to| format!("<{to}>"));
        assert_eq!(
            out,
            "x redact/<user2>/call <user1>_trace.<user1>.pcap y bobby.pcap"
        );
        assert_eq!(
            replace_in_path("malice alice9", "alice", "U"),
            "malice alice9"
        );
    }
}
