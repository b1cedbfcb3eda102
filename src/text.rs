//! Small helpers for the sentences provscope writes.

/// "1 request", "3 requests".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_and_many() {
        assert_eq!(super::plural(1, "phone", "phones"), "1 phone");
        assert_eq!(super::plural(0, "phone", "phones"), "0 phones");
    }
}
