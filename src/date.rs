//! Calendar arithmetic, once for both crates: the widget sorts briefs by RFC 3339 dates, the
//! server converts RSS dates, checks feeds and labels the console's days. Written out rather
//! than pulled from a date crate: this is all either side needs, and the browser's `Intl`
//! does every bit of formatting the reader sees.

/// Milliseconds since the Unix epoch for an RFC 3339 timestamp, or `None` when it is not one.
///
/// Written out here rather than pulled from a date crate: sorting needs only this, and
/// the browser's `Intl` does all the formatting.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0i64, |acc, d| Some(acc * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(16) != Some(&b':') {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = &b[start..i.min(start + 3)];
        millis = digits
            .iter()
            .fold(0, |acc, d| acc * 10 + i64::from(d - b'0'))
            * 10i64.pow(3 - digits.len() as u32);
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' {
                h * 60 + m
            } else {
                -(h * 60 + m)
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// A feed's date: a full RFC 3339 timestamp, or a calendar date alone (`2023-12-16`, RFC
/// 3339's `full-date`, which newsrooms' RSS 1.0 `dc:date` sends). Milliseconds since the
/// epoch (a date alone at its UTC midnight, for sorting) and whether it is a date alone,
/// which is shown without a time and never moved to another day by a time zone.
pub fn parse_date(s: &str) -> Option<(i64, bool)> {
    if let Some(ms) = parse_rfc3339(s) {
        return Some((ms, false));
    }
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    let midnight = parse_rfc3339(&(s.to_owned() + "T00:00:00Z"))?;
    Some((midnight, true))
}

/// What `<time datetime>` says for a date from [`parse_date`]: `YYYY-MM-DD` for a date
/// alone, else the instant in UTC ([`rfc3339_utc`]).
pub fn datetime_attribute(ms: i64, date_only: bool) -> String {
    let full = rfc3339_utc(ms);
    if date_only {
        full.split('T').next().unwrap_or_default().to_owned()
    } else {
        full
    }
}

pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month, day) of a day since 1970-01-01 (Howard
/// Hinnant's algorithm, the inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Milliseconds since the epoch as RFC 3339 in UTC (`2023-12-05T22:27:00Z`, with `.500`
/// when there are milliseconds): the one form of a brief's `<time datetime>`, which the
/// loader reads with `Date.parse` wherever the feed's own form would trip it (a leap
/// second, a space for `T`). Built without `format!`, which the wasm would pay for.
pub fn rfc3339_utc(ms: i64) -> String {
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let pad = |n: i64, width: usize| {
        // Through u32, as every count in the widget is: one integer printer in the wasm.
        let digits = (n.unsigned_abs() as u32).to_string();
        "0".repeat(width.saturating_sub(digits.len())) + &digits
    };
    let mut out = if y < 0 { "-".to_owned() } else { String::new() };
    out += &(pad(y, 4) + "-" + &pad(m, 2) + "-" + &pad(d, 2));
    out += &("T".to_owned() + &pad(rest / 3_600_000, 2) + ":" + &pad(rest / 60_000 % 60, 2));
    out += &(":".to_owned() + &pad(rest / 1000 % 60, 2));
    if rest % 1000 != 0 {
        out += &(".".to_owned() + &pad(rest % 1000, 3));
    }
    out + "Z"
}

/// A UTC day (days since the epoch) as `YYYY-MM-DD`.
pub fn day_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC day (days since the epoch) of a `YYYY-MM-DD` date.
pub fn date_day(date: &str) -> Option<i64> {
    parse_rfc3339(&format!("{}T00:00:00Z", date.trim())).map(|ms| ms.div_euclid(86_400_000))
}

/// A time (seconds since the epoch) as RFC 3339 in UTC, and as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(t: i64) -> (String, String) {
    let (day, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let date = day_date(day);
    (
        format!("{date}T{h:02}:{m:02}:{s:02}Z"),
        format!("{date} {h:02}:{m:02} UTC"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps_become_epoch_milliseconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2023-12-05T22:27:00Z"),
            Some(1_701_815_220_000)
        );
        assert_eq!(
            parse_rfc3339("2023-12-06T02:27:00+04:00"),
            Some(1_701_815_220_000)
        );
        assert_eq!(
            parse_rfc3339("2023-12-05T22:27:00.5-00:00"),
            Some(1_701_815_220_500)
        );
        assert!(parse_rfc3339("2024-02-29t10:00:00z").is_some());
        for bad in [
            "",
            "yesterday",
            "2023-12-05",
            "2023-12-05T22:27Z",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-12-05T24:00:00Z",
            "2023-12-05T22:27:00",
            "2023-12-05T22:27:00+0400",
            "2023-12-05T22:27:00.Z",
            "２０２３-12-05T22:27:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_date_alone_is_read_as_that_date() {
        assert_eq!(parse_date("2023-12-16"), Some((1_702_684_800_000, true)));
        assert_eq!(
            parse_date("2023-12-05T22:27:00Z"),
            Some((1_701_815_220_000, false))
        );
        for bad in [
            "2023-12-32",
            "2023-12",
            "2023-12-16T",
            "16/12/2023",
            "2023-1-16 ",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
        assert_eq!(datetime_attribute(1_702_684_800_000, true), "2023-12-16");
        assert_eq!(
            datetime_attribute(1_701_815_220_000, false),
            "2023-12-05T22:27:00Z"
        );
    }

    #[test]
    fn civil_days_round_trip() {
        for day in [-719_468, -1, 0, 59, 11_016, 19_782, 20_785, 2_932_896] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
    }

    #[test]
    fn milliseconds_read_back_as_utc_rfc3339() {
        assert_eq!(rfc3339_utc(1_701_815_220_000), "2023-12-05T22:27:00Z");
        assert_eq!(rfc3339_utc(1_701_815_220_500), "2023-12-05T22:27:00.500Z");
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        for ms in [1_701_815_220_007, 951_782_400_000, -86_400_000] {
            assert_eq!(parse_rfc3339(&rfc3339_utc(ms)), Some(ms), "{ms}");
        }
    }

    #[test]
    fn days_and_times_read_back() {
        assert_eq!(day_date(0), "1970-01-01");
        assert_eq!(date_day("2026-11-28"), Some(20_785));
        assert_eq!(day_date(20_785), "2026-11-28");
        assert_eq!(date_day("2026-02-30"), None);
        assert_eq!(
            utc(1_795_908_655),
            (
                "2026-11-28T23:30:55Z".to_owned(),
                "2026-11-28 23:30 UTC".to_owned()
            )
        );
    }
}
