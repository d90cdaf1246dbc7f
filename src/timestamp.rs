//! UTC timestamps without a date crate: `2026-11-23 07:45:12 UTC`.

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
  }
}
