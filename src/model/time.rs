//! Instants as the report writes them: RFC 3339 UTC with microseconds, from nanoseconds since
//! the Unix epoch (how captures and logs give time once read).

/// Formats nanoseconds since the epoch as RFC 3339 UTC with microseconds.
pub fn rfc3339(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let nanos = ts_ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Nanoseconds in an i64 span the years 1677 to 2262: always four digits.
    let (y, m, d) = civil_from_days(days);
    // Digit by digit: `format!` took a tenth of the time of reading a log of catalog events,
    // where every event's time is written this way.
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut value: u64| {
        for i in (at..at + width).rev() {
            text[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, u64::from(m));
    put(8, 2, u64::from(d));
    put(11, 2, (sod / 3600) as u64);
    put(14, 2, ((sod % 3600) / 60) as u64);
    put(17, 2, (sod % 60) as u64);
    put(20, 6, (nanos / 1000) as u64);
    String::from_utf8_lossy(&text).into_owned()
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        // 2009-02-13T23:31:30.123456Z is 1234567890.123456 s.
        assert_eq!(
            rfc3339(1_234_567_890_123_456_789),
            "2009-02-13T23:31:30.123456Z"
        );
        // A leap day.
        assert_eq!(
            rfc3339(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
        assert_eq!(rfc3339(-1_000_000_000), "1969-12-31T23:59:59.000000Z");
    }

    /// What `rfc3339` wrote before it wrote digits itself, for every year.
    fn rfc3339_by_format(ts_ns: i64) -> String {
        let secs = ts_ns.div_euclid(1_000_000_000);
        let nanos = ts_ns.rem_euclid(1_000_000_000);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60,
            nanos / 1000
        )
    }

    /// The digits written by hand are what `format!` writes, from the first instant an i64
    /// of nanoseconds holds to the last (years 1677 to 2262), in steps that cross every
    /// field's carry.
    #[test]
    fn rfc3339_digits_match_format() {
        let mut t = i64::MIN;
        while let Some(next) = t.checked_add(987_654_321_987_654) {
            assert_eq!(rfc3339(t), rfc3339_by_format(t), "{t}");
            t = next;
        }
        for t in [i64::MIN, i64::MAX, 0, -1, 1, 999_999_999] {
            assert_eq!(rfc3339(t), rfc3339_by_format(t), "{t}");
        }
    }
}
