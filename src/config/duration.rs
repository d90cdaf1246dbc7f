//! `10s`, `500ms`, `1m30s`, `2d`, or a bare number of seconds — up to a year.

use std::time::Duration;

/// The longest duration accepted. Anything longer is a typo (or `1e20`), and adding it to a
/// clock reading would overflow.
pub(crate) const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

/// The duration, or why the text is not one (for a located error).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
  let text = text.trim();
  let seconds = seconds_in(text)
    .ok_or_else(|| format!("expected a duration such as `10s` or `500ms`, found `{text}`"))?;
  if seconds > LONGEST.as_secs_f64() {
    return Err(format!(
      "`{text}` is too long: durations go up to a year (`365d`)"
    ));
  }
  Ok(Duration::from_secs_f64(seconds))
}

/// Seconds, as a finite number ≥ 0; `None` when the text is not a duration.
fn seconds_in(text: &str) -> Option<f64> {
  if text.is_empty() {
    return None;
  }
  if let Ok(seconds) = text.parse::<f64>() {
    return (seconds.is_finite() && seconds >= 0.0).then_some(seconds);
  }
  let mut total = 0.0;
  let mut rest = text;
  while !rest.is_empty() {
    let digits = rest
      .find(|c: char| !(c.is_ascii_digit() || c == '.'))
      .unwrap_or(rest.len());
    let number: f64 = rest[..digits].parse().ok()?;
    rest = &rest[digits..];
    let unit_len = rest
      .find(|c: char| c.is_ascii_digit())
      .unwrap_or(rest.len());
    let seconds_per_unit = match &rest[..unit_len] {
      "ms" => 0.001,
      "s" => 1.0,
      "m" => 60.0,
      "h" => 3600.0,
      "d" => 86400.0,
      _ => return None,
    };
    rest = &rest[unit_len..];
    // f64 cannot overflow here in a way that matters: a huge sum is rejected as too long.
    total += number * seconds_per_unit;
  }
  total.is_finite().then_some(total)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parses_common_spellings() {
    let ok = |text| parse_duration(text).ok();
    assert_eq!(ok("10s"), Some(Duration::from_secs(10)));
    assert_eq!(ok("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(ok("1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(ok("2.5"), Some(Duration::from_millis(2500)));
    assert_eq!(ok("2d"), Some(Duration::from_secs(172_800)));
    for bad in ["ten", "5x", "-1", "", "NaN", "inf", "1e3s"] {
      assert!(parse_duration(bad).is_err(), "{bad}");
    }
  }

  #[test]
  fn huge_values_are_refused_not_a_panic() {
    for huge in [
      "1e20",
      "1e308",
      "10000000000000000000s10000000000000000000s",
      "366d",
      "99999999999999999999999h",
    ] {
      let error = parse_duration(huge).unwrap_err();
      assert!(error.contains("too long"), "{huge}: {error}");
    }
    assert_eq!(parse_duration("365d"), Ok(LONGEST));
  }
}
