//! `10s`, `500ms`, `1m30s`, or a bare number of seconds.

use std::time::Duration;

pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
  let text = text.trim();
  if let Ok(seconds) = text.parse::<f64>() {
    return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
  }
  let mut total = Duration::ZERO;
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
      _ => return None,
    };
    rest = &rest[unit_len..];
    total += Duration::try_from_secs_f64(number * seconds_per_unit).ok()?;
  }
  Some(total)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn parses_common_spellings() {
    assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("2.5"), Some(Duration::from_millis(2500)));
    assert_eq!(parse_duration("ten"), None);
    assert_eq!(parse_duration("5x"), None);
    assert_eq!(parse_duration("-1"), None);
  }
}
