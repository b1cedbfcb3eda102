//! Capture timestamps: nanoseconds since the Unix epoch plus the number of
//! fractional digits the capture itself recorded (6 for microsecond pcap, 9 for
//! nanosecond pcap or `if_tsresol` 9, 2 for a 2^-8 resolution, ...), so that
//! reports print times "with the capture's own precision" (OUTPUT.md).

use serde::{Serialize, Serializer};

/// A point in time read from a capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z (negative before it).
    pub ns: i64,
    /// Fractional digits to print (0..=9).
    pub digits: u8,
}

impl Timestamp {
    pub fn new(ns: i64, digits: u8) -> Self {
        Timestamp {
            ns,
            digits: digits.min(9),
        }
    }

    /// Seconds (possibly fractional) from `self` to `later`.
    pub fn secs_until(&self, later: &Timestamp) -> f64 {
        (later.ns.saturating_sub(self.ns)) as f64 / 1e9
    }

    /// RFC 3339 in UTC, e.g. `2026-12-04T15:44:24.425476Z`.
    pub fn rfc3339(&self) -> String {
        let secs = self.ns.div_euclid(1_000_000_000);
        let nanos = self.ns.rem_euclid(1_000_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            tod / 3600,
            (tod / 60) % 60,
            tod % 60
        );
        if self.digits > 0 {
            let frac = format!("{nanos:09}");
            out.push('.');
            out.push_str(&frac[..self.digits as usize]);
        }
        out.push('Z');
        out
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_and_precision() {
        assert_eq!(Timestamp::new(0, 0).rfc3339(), "1970-01-01T00:00:00Z");
        let t = Timestamp::new(1_714_521_600_123_456_789, 6);
        assert_eq!(t.rfc3339(), "2024-05-01T00:00:00.123456Z");
        let t = Timestamp::new(1_714_521_600_123_456_789, 9);
        assert_eq!(t.rfc3339(), "2024-05-01T00:00:00.123456789Z");
    }

    #[test]
    fn formats_before_epoch_and_leap_day() {
        assert_eq!(
            Timestamp::new(-1_000_000_000, 0).rfc3339(),
            "1969-12-31T23:59:59Z"
        );
        // 2024-02-29T12:00:00Z
        assert_eq!(
            Timestamp::new(1_709_208_000_000_000_000, 0).rfc3339(),
            "2024-02-29T12:00:00Z"
        );
    }
}
