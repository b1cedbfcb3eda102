//! A key given twice in one JSON object. serde_json keeps the last value
//! silently, so an expectation saying `"status": "fail"` and later
//! `"status": "pass"` for one stage would check only the second: such a
//! file is called a bad expectation instead.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// The path of the first key repeated within one object of `text` (such as
/// `phones[0].stages[2].status`), or `None` (also when `text` is no JSON:
/// the parser says that).
pub fn repeated_key(text: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut found = None;
    let seed = Walk {
        path: String::new(),
        found: &mut found,
    };
    let _ = seed.deserialize(&mut de);
    found
}

/// Visits one value at `path`, noting the first repeated key in `found`.
struct Walk<'f> {
    path: String,
    found: &'f mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let seed = Walk {
                path: format!("{}[{i}]", self.path),
                found: &mut *self.found,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = match self.path.is_empty() {
                true => key.clone(),
                false => format!("{}.{key}", self.path),
            };
            if !seen.insert(key) && self.found.is_none() {
                *self.found = Some(path.clone());
            }
            if self.found.is_some() {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Walk {
                    path,
                    found: &mut *self.found,
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_repeated_key_is_named_by_its_path() {
        let text = r#"{"version": 1, "phones": [{"id": "a"},
            {"id": "b", "stages": [{"stage": "dhcp", "status": "fail", "status": "pass"}]}]}"#;
        assert_eq!(
            repeated_key(text).as_deref(),
            Some("phones[1].stages[0].status")
        );
        assert_eq!(
            repeated_key(r#"{"a": 1, "b": {"a": 2}, "c": [{"a": 3}]}"#),
            None
        );
        assert_eq!(repeated_key(r#"{"a": 1, "a": 2}"#).as_deref(), Some("a"));
        assert_eq!(repeated_key("not json"), None);
        assert_eq!(
            repeated_key(r#"{"a": [1, {"x": null, "x": true}]}"#).as_deref(),
            Some("a[1].x")
        );
    }
}
