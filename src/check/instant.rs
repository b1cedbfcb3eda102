//! RFC 3339 times of an expectation compared as instants: evidence `time`
//! written `2026-12-04T16:54:00.302659+00:00`, or with any other offset,
//! is the instant the analysis writes `2026-12-04T16:54:00.302659Z`.

/// Nanoseconds since the Unix epoch of an RFC 3339 date-time (`T` or `t`
/// or a space between date and time; `Z`, `z` or `±HH:MM` offset; up to
/// nine fraction digits), or `None` for any other text.
pub fn instant(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // A leap second (60) is allowed by RFC 3339; it counts as the next.
    if second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if at(i, b".") {
        let digits = b
            .get(i + 1..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(i + 1, digits)? * 10_i64.pow(9 - digits as u32);
        i += 1 + digits;
    }
    let offset = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(i128::from(secs) * 1_000_000_000 + i128::from(nanos))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::instant;

    #[test]
    fn one_instant_in_any_offset() {
        let z = instant("2026-12-04T16:54:00.302659Z");
        assert!(z.is_some());
        assert_eq!(instant("2026-12-04T16:54:00.302659+00:00"), z);
        assert_eq!(instant("2026-12-04T17:54:00.302659+01:00"), z);
        assert_eq!(instant("2026-12-04T11:24:00.302659-05:30"), z);
        assert_eq!(instant("2026-12-04t16:54:00.302659000z"), z);
        assert_ne!(instant("2026-12-04T16:54:00.302660Z"), z);
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            instant("2000-03-01T00:00:00Z"),
            Some(951_868_800_000_000_000)
        );
    }

    #[test]
    fn other_text_is_no_instant() {
        for s in [
            "",
            "2026-12-04",
            "2026-12-04T16:54:00",
            "2026-12-04T16:54:00.Z",
            "2026-13-04T16:54:00Z",
            "2026-12-04T16:54:00.1234567890Z",
            "2026-12-04T16:54:00+0100",
            "2026-12-04T16:54:00Zjunk",
            "２026-12-04T16:54:00Z",
        ] {
            assert_eq!(instant(s), None, "{s}");
        }
    }
}
