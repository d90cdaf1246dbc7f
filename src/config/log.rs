//! `log:` (top level, and per service): rotation, timestamps, colors in the file.

use serde::{Deserialize, Serialize};

use super::{Checker, scalars::Text};
use crate::error::Result;

/// `log: {max_size: 10MB, keep: 3, timestamps: true, strip_colors: false}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
  pub(crate) max_size: Option<Text>,
  pub(crate) keep: Option<Text>,
  pub(crate) timestamps: Option<bool>,
  pub(crate) strip_colors: Option<bool>,
}

/// How a service's log file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LogSettings {
  /// Rotate once the file reaches this many bytes (at the next line boundary).
  pub(crate) max_size: u64,
  /// Rotated files kept: `api.log.1` … `api.log.<keep>`.
  pub(crate) keep: u32,
  /// Prefix every line with its UTC time, to the millisecond.
  pub(crate) timestamps: bool,
  /// Remove ANSI color and cursor sequences from the file (the terminal keeps them).
  pub(crate) strip_colors: bool,
}

impl Default for LogSettings {
  fn default() -> Self {
    Self {
      max_size: 10 * 1024 * 1024,
      keep: 3,
      timestamps: false,
      strip_colors: true,
    }
  }
}

/// Rotated files kept at most (each rotation renames every one of them).
const MOST_KEPT: u32 = 1000;

/// `10MB`, `512KB`, `1GB`, `10M`, or bytes.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
  let text = text.trim();
  let digits = text
    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
    .unwrap_or(text.len());
  let number: f64 = text[..digits].parse().ok()?;
  let unit = match text[digits..].trim().to_ascii_lowercase().as_str() {
    "" | "b" => 1.0,
    "k" | "kb" | "kib" => 1024.0,
    "m" | "mb" | "mib" => 1024.0 * 1024.0,
    "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
    _ => return None,
  };
  let bytes = number * unit;
  (bytes.is_finite() && bytes >= 1.0).then_some(bytes as u64)
}

impl Checker<'_> {
  /// `raw` over `base` (the top-level `log:` over the defaults, a service's over that).
  pub(super) fn log_settings(
    &self,
    base: LogSettings,
    raw: Option<&RawLog>,
  ) -> Result<LogSettings> {
    let Some(raw) = raw else {
      return Ok(base);
    };
    let mut settings = base;
    if let Some(text) = &raw.max_size {
      settings.max_size = parse_size(&text.value).ok_or_else(|| {
        self
          .at(
            text,
            format!("expected a size such as `10MB`, found `{}`", text.value),
          )
          .with_hint("write bytes, or a number with KB, MB or GB")
      })?;
    }
    if let Some(text) = &raw.keep {
      settings.keep = match text.value.trim().parse::<u32>() {
        Ok(keep @ 0..=MOST_KEPT) => keep,
        _ => {
          return Err(
            self
              .at(
                text,
                format!(
                  "expected a number of rotated files to keep (0 to {MOST_KEPT}), found `{}`",
                  text.value
                ),
              )
              .with_hint("each rotation renames every kept file: keep a few"),
          );
        }
      };
    }
    settings.timestamps = raw.timestamps.unwrap_or(settings.timestamps);
    settings.strip_colors = raw.strip_colors.unwrap_or(settings.strip_colors);
    Ok(settings)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn sizes_in_common_spellings() {
    assert_eq!(parse_size("10MB"), Some(10 * 1024 * 1024));
    assert_eq!(parse_size("512 kb"), Some(512 * 1024));
    assert_eq!(parse_size("1.5G"), Some(1536 * 1024 * 1024));
    assert_eq!(parse_size("4096"), Some(4096));
    assert_eq!(parse_size("10 parsecs"), None);
    assert_eq!(parse_size("0"), None);
  }
}
