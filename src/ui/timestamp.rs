//! UTC timestamps without a date crate: `2026-11-23 07:45:12 UTC` for the keeper's lines,
//! `2026-11-23T07:45:12.345Z` before each logged line, and both read back by `dev logs`.

/// Formats unix seconds as a UTC date and time.
pub(crate) fn utc_timestamp(unix_seconds: u64) -> String {
  let days = (unix_seconds / 86_400) as i64;
  let seconds_of_day = unix_seconds % 86_400;
  let (year, month, day) = civil_from_days(days);
  format!(
    "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
    seconds_of_day / 3600,
    seconds_of_day / 60 % 60,
    seconds_of_day % 60
  )
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> u64 {
  std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .map_or(0, |d| d.as_millis() as u64)
}

/// Unix milliseconds as `2026-11-23T07:45:12.345Z`.
pub(crate) fn utc_millis(unix_millis: u64) -> String {
  let seconds = unix_millis / 1000;
  let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
  let of_day = seconds % 86_400;
  format!(
    "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
    of_day / 3600,
    of_day / 60 % 60,
    of_day % 60,
    unix_millis % 1000
  )
}

/// The unix time (seconds) written at the start of `text` in either of our two forms.
pub(crate) fn parse_utc(text: &str) -> Option<f64> {
  let bytes = text.as_bytes();
  if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' {
    return None;
  }
  let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
  let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
  let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
  let millis = if bytes.get(19) == Some(&b'.') {
    number(20..23).unwrap_or(0)
  } else {
    0
  };
  let days = days_from_civil(year, month, day);
  Some((days * 86_400 + hour * 3600 + minute * 60 + second) as f64 + millis as f64 / 1000.0)
}

/// (year, month, day) to days since 1970-01-01, after Howard Hinnant's days_from_civil.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
  let year = if month <= 2 { year - 1 } else { year };
  let era = year.div_euclid(400);
  let year_of_era = year.rem_euclid(400);
  let month_index = (month + 9) % 12;
  let day_of_year = (153 * month_index + 2) / 5 + day - 1;
  let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  era * 146_097 + day_of_era - 719_468
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's civil_from_days.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
  let z = days + 719_468;
  let era = z.div_euclid(146_097);
  let day_of_era = z.rem_euclid(146_097);
  let year_of_era =
    (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
  let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  let month_index = (5 * day_of_year + 2) / 153;
  let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
  let month = if month_index < 10 {
    month_index + 3
  } else {
    month_index - 9
  } as u32;
  let year = year_of_era + era * 400 + i64::from(month <= 2);
  (year, month, day)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn formats_known_instants() {
    assert_eq!(utc_timestamp(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(utc_timestamp(1_795_420_800), "2026-11-23 08:00:00 UTC");
    assert_eq!(utc_timestamp(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(utc_millis(1_795_420_800_123), "2026-11-23T08:00:00.123Z");
  }

  #[test]
  fn reads_back_what_it_writes() {
    for seconds in [0, 951_782_400, 1_795_420_800, 4_102_444_799] {
      assert_eq!(parse_utc(&utc_timestamp(seconds)), Some(seconds as f64));
      let millis = parse_utc(&utc_millis(seconds * 1000 + 250)).unwrap();
      assert!((millis - (seconds as f64 + 0.25)).abs() < 1e-6);
    }
    assert_eq!(parse_utc("hello world, not a time"), None);
  }
}
