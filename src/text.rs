//! Small helpers for the sentences provscope writes.

/// "1 request", "3 requests".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A count and the words that agree with it: `agree(1, "record is", "records are")`.
pub fn agree<'a>(n: u64, one: &'a str, many: &'a str) -> (u64, &'a str) {
    (n, if n == 1 { one } else { many })
}

/// The possessive that agrees with a count: "its" for one, "their" for more.
pub fn its(n: u64) -> &'static str {
    if n == 1 {
        "its "
    } else {
        "their "
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_and_many() {
        assert_eq!(super::plural(1, "phone", "phones"), "1 phone");
        assert_eq!(super::plural(0, "phone", "phones"), "0 phones");
    }

    #[test]
    fn verbs_and_possessives_agree() {
        assert_eq!(
            super::agree(1, "record is", "records are"),
            (1, "record is")
        );
        assert_eq!(
            super::agree(2, "record is", "records are"),
            (2, "records are")
        );
        assert_eq!(super::its(1), "its ");
        assert_eq!(super::its(3), "their ");
    }
}
