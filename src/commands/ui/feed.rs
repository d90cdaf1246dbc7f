//! The log pane's lines: first the newest lines already in each service's log file (the
//! scrollback), in time order; then what the files gain, followed through rotations. A
//! service that prints faster than anyone can read is skipped ahead to its newest lines —
//! the file keeps them all; the screen needs the last screenful.

use std::path::PathBuf;

use super::board::{KEPT_LINES, LogLine};
use crate::commands::logs::{Follower, rotated, timed_lines};

/// Read at most this much new text per service per look (10 looks a second).
const MOST_PER_LOOK: u64 = 256 * 1024;

pub(crate) struct Feed {
  followers: Vec<Follower>,
}

impl Feed {
  /// The scrollback of every log, and followers at their ends.
  pub(crate) fn open(logs: &[PathBuf]) -> (Self, Vec<LogLine>) {
    let mut backlog = Vec::new();
    let mut followers = Vec::new();
    for (service, path) in logs.iter().enumerate() {
      let current = std::fs::read(path).unwrap_or_default();
      let mut text = Vec::new();
      if current.iter().filter(|b| **b == b'\n').count() < KEPT_LINES / logs.len().max(1) {
        text = std::fs::read(rotated(path, 1)).unwrap_or_default();
      }
      text.extend_from_slice(&current);
      let lines = timed_lines(&text, service);
      let keep = lines.len().saturating_sub(KEPT_LINES / logs.len().max(1));
      backlog.extend(lines.into_iter().skip(keep));
      followers.push(Follower::at_end(path.clone(), current.len() as u64).at_most(MOST_PER_LOOK));
    }
    // Stable: one service's lines, and lines of unknown time, keep their order.
    backlog.sort_by(|a, b| a.time.total_cmp(&b.time));
    let lines = backlog
      .into_iter()
      .map(|line| LogLine {
        service: line.service,
        text: printable(&line.text),
      })
      .collect();
    let feed = Self { followers };
    (feed, lines)
  }

  /// One more service to follow (started since the dashboard opened): from its beginning.
  pub(crate) fn add(&mut self, log: PathBuf) {
    self
      .followers
      .push(Follower::at_end(log, 0).at_most(MOST_PER_LOOK));
  }

  /// Bytes not shown because services printed faster than a screen can show (all in the
  /// files).
  pub(crate) fn skipped(&self) -> u64 {
    self.followers.iter().map(|follower| follower.skipped).sum()
  }

  /// What the logs gained since the last look.
  pub(crate) fn new_lines(&mut self) -> Vec<LogLine> {
    let mut lines = Vec::new();
    for (service, follower) in self.followers.iter_mut().enumerate() {
      lines.extend(follower.new_lines().into_iter().map(|text| LogLine {
        service,
        text: printable(&text),
      }));
    }
    lines
  }
}

/// A log line as a terminal cell row can show it: tabs as spaces, no escape sequences or
/// control characters (a stray one would move the cursor and break the screen; a log kept
/// with `strip_colors: false` has colors).
fn printable(bytes: &[u8]) -> String {
  let mut shown = String::new();
  let text = String::from_utf8_lossy(bytes);
  let mut chars = text.chars();
  while let Some(c) = chars.next() {
    match c {
      '\u{1b}' => match chars.next() {
        // CSI: ESC [ parameters… final byte in @..~.
        Some('[') => {
          for c in chars.by_ref() {
            if ('@'..='~').contains(&c) {
              break;
            }
          }
        }
        // OSC (a title, a hyperlink, a notification): ESC ] … ended by BEL or ESC \.
        Some(']') => {
          while let Some(c) = chars.next() {
            if c == '\u{7}' || (c == '\u{1b}' && chars.next().is_some()) {
              break;
            }
          }
        }
        // Any other escape: one more char.
        _ => {}
      },
      '\t' => shown.push(' '),
      c if c.is_control() => {}
      c => shown.push(c),
    }
  }
  shown
}

#[cfg(test)]
mod tests {
  #[test]
  fn escape_sequences_and_control_characters_never_reach_the_screen() {
    assert_eq!(
      super::printable(b"\x1b[31mred\x1b[0m\tok\x07 \xff"),
      "red ok \u{fffd}"
    );
  }

  #[test]
  fn osc_sequences_are_not_shown_as_text() {
    assert_eq!(
      super::printable(b"\x1b]0;my title\x07see \x1b]8;;http://x/\x1b\\docs\x1b]8;;\x1b\\ now"),
      "see docs now"
    );
  }
}
