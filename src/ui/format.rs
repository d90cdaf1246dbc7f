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

/// `8000, 8001`: the numbers alone, for a move from some ports to others.
pub(crate) fn port_numbers(ports: impl IntoIterator<Item = u16>) -> String {
  ports
    .into_iter()
    .map(|port| port.to_string())
    .collect::<Vec<_>>()
    .join(", ")
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

/// How many columns `text` takes on a terminal: ANSI escape sequences none, wide
/// characters (CJK, most emoji) two.
pub(crate) fn display_width(text: &str) -> usize {
  use unicode_width::UnicodeWidthStr;
  visible(text)
    .iter()
    .map(|part| UnicodeWidthStr::width(*part))
    .sum()
}

/// `text` padded with spaces to `width` columns (as `{:<width$}` would, by columns).
pub(crate) fn pad_to(text: &str, width: usize) -> String {
  let padding = width.saturating_sub(display_width(text));
  format!("{text}{}", " ".repeat(padding))
}

/// `text` (without escapes) cut to at most `width` columns.
pub(crate) fn truncate_to_width(text: &str, width: usize) -> String {
  use unicode_width::UnicodeWidthChar;
  let mut used = 0;
  text
    .chars()
    .take_while(|c| {
      used += c.width().unwrap_or(0);
      used <= width
    })
    .collect()
}

/// A command as an error or a progress line quotes it: its first `max` characters, then
/// how many more there are. A 2 MB `run:` must not print 2 MB.
pub(crate) fn abbreviate(text: &str, max: usize) -> String {
  let length = text.chars().count();
  if length <= max {
    return text.to_owned();
  }
  let shown: String = text.chars().take(max).collect();
  format!("{shown}… ({} more characters)", length - max)
}

/// One line: newlines, tabs and other control characters become spaces, runs of spaces
/// one. A spinner line that breaks in two could not be redrawn in place.
pub(crate) fn one_line(text: &str) -> String {
  let cleaned: String = text
    .chars()
    .map(|c| if c.is_control() { ' ' } else { c })
    .collect();
  cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The parts of `text` outside ANSI escape sequences (`ESC [ … final`, `ESC ] … BEL`).
fn visible(text: &str) -> Vec<&str> {
  let mut parts = Vec::new();
  let mut rest = text;
  while let Some(at) = rest.find('\x1b') {
    parts.push(&rest[..at]);
    let after = &rest[at + 1..];
    let end = if let Some(csi) = after.strip_prefix('[') {
      csi
        .find(|c: char| ('\x40'..='\x7e').contains(&c))
        .map_or(after.len(), |i| i + 2)
    } else if let Some(osc) = after.strip_prefix(']') {
      osc.find('\x07').map_or(after.len(), |i| i + 2)
    } else {
      after.chars().next().map_or(0, char::len_utf8)
    };
    rest = &after[end.min(after.len())..];
  }
  parts.push(rest);
  parts
}

/// `1 process` / `3 processes`.
pub(crate) fn count(n: usize, singular: &str, plural: &str) -> String {
  format!("{n} {}", if n == 1 { singular } else { plural })
}

/// Resident memory as the dashboard and `dev ps` show it: `20.7M`.
pub(crate) fn mebibytes(bytes: u64) -> String {
  format!("{:.1}M", bytes as f64 / 1048576.0)
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

  #[test]
  fn widths_are_columns_on_a_terminal() {
    assert_eq!(display_width("\x1b[1;31mred\x1b[0m"), 3);
    assert_eq!(display_width("日本"), 4);
    assert_eq!(display_width("a\x1b]8;;http://x\x07b"), 2);
    assert_eq!(pad_to("\x1b[32mok\x1b[0m", 4), "\x1b[32mok\x1b[0m  ");
    assert_eq!(truncate_to_width("日本語", 5), "日本");
    assert_eq!(one_line("exec `a\n  b`\t"), "exec `a b`");
  }
}
