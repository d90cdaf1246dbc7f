//! Small human formatting helpers shared by messages and tables.

use std::time::Duration;

use crate::sys::{ExitStatus, Signal};

/// `850ms`, `4.2s`, `3m12s`, `2h05m`, `3d4h`.
pub(crate) fn elapsed(duration: Duration) -> String {
  let seconds = duration.as_secs();
  match seconds {
    0 => format!("{}ms", duration.as_millis()),
    1..60 => format!("{:.1}s", duration.as_secs_f64()),
    60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
    3600..86400 => format!("{}h{:02}m", seconds / 3600, seconds / 60 % 60),
    _ => format!("{}d{}h", seconds / 86400, seconds / 3600 % 24),
  }
}

/// `exited with code 1` / `was killed by SIGKILL`.
pub(crate) fn status_text(status: ExitStatus) -> String {
  match status {
    ExitStatus::Code(code) => format!("exited with code {code}"),
    ExitStatus::Signal(signal) => format!("was killed by {}", Signal::describe(signal)),
  }
}

/// A word as a POSIX shell reads it back: plain words as they are, anything else in single
/// quotes (`it's` → `'it'\''s'`).
pub(crate) fn shell_quote(word: &str) -> String {
  if !word.is_empty()
    && word
      .chars()
      .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
  {
    word.to_owned()
  } else {
    format!("'{}'", word.replace('\'', r"'\''"))
  }
}

/// A YAML double-quoted scalar: JSON's string syntax is valid YAML.
pub(crate) fn yaml_quote(text: &str) -> String {
  serde_json::to_string(text).unwrap_or_default()
}

/// `8000` for one port, `http 8080, ws 8081` for several; `None` without ports.
pub(crate) fn port_list<'a>(ports: impl IntoIterator<Item = (&'a str, u16)>) -> Option<String> {
  let ports: Vec<(&str, u16)> = ports.into_iter().collect();
  match ports.as_slice() {
    [] => None,
    [(_, port)] => Some(port.to_string()),
    many => Some(
      many
        .iter()
        .map(|(name, port)| format!("{name} {port}"))
        .collect::<Vec<_>>()
        .join(", "),
    ),
  }
}

/// `1 process` / `3 processes`.
pub(crate) fn count(n: usize, singular: &str, plural: &str) -> String {
  format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn formats_elapsed_time_for_humans() {
    assert_eq!(elapsed(Duration::from_millis(850)), "850ms");
    assert_eq!(elapsed(Duration::from_millis(4200)), "4.2s");
    assert_eq!(elapsed(Duration::from_secs(192)), "3m12s");
    assert_eq!(elapsed(Duration::from_secs(7500)), "2h05m");
    assert_eq!(count(1, "process", "processes"), "1 process");
  }
}
