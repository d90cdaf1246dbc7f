//! Following one log file as it grows, is rotated (renamed away, several times between two
//! looks if need be) or truncated: every line, once, in order.

use std::{
  fs::File,
  io::{Read, Seek, SeekFrom},
  path::{Path, PathBuf},
};

use crate::sys;

/// Follows one log file by its open handle: when the file is rotated (renamed away) the
/// rest of the old one is read before the new one is opened; when it is truncated, reading
/// starts again at its beginning.
pub(crate) struct Follower {
  path: PathBuf,
  file: Option<File>,
  /// What the open file is: the path leading elsewhere means it was rotated.
  identity: Option<(u64, u64)>,
  offset: u64,
  partial: Vec<u8>,
  /// After a skip ahead the first line read is cut: it is dropped.
  cut: bool,
  /// Read at most this much per look, skipping ahead of a writer faster than that (a screen
  /// needs only the newest lines; `dev logs -f` reads everything).
  most: Option<u64>,
  /// Bytes skipped so far.
  pub(crate) skipped: u64,
  /// Places where rotated files were deleted before they could be read.
  pub(crate) gaps: u64,
}

/// The line shown where rotated files were deleted before they could be read.
pub(crate) const GAP: &str = "[dev] lines missing here: the log was rotated faster than it was read, and at least one rotated file was deleted before it could be (they are not on disk any more; `log: {keep: N}` keeps more)";

fn modified(file: &File) -> Option<std::time::SystemTime> {
  file.metadata().ok()?.modified().ok()
}

impl Follower {
  pub(crate) fn at_end(path: PathBuf, offset: u64) -> Self {
    let file = File::open(&path).ok();
    let identity = file.as_ref().and_then(sys::file_identity);
    let offset = if file.is_some() { offset } else { 0 };
    Self {
      path,
      file,
      identity,
      offset,
      partial: Vec::new(),
      cut: false,
      most: None,
      skipped: 0,
      gaps: 0,
    }
  }

  /// Reads at most `bytes` per look (see `most`).
  pub(crate) fn at_most(self, bytes: u64) -> Self {
    Self {
      most: Some(bytes),
      ..self
    }
  }

  /// A writer far ahead (a service printing millions of lines): skips to the last `keep`
  /// bytes of the current file instead of reading everything. The file keeps every line.
  fn skip_to_last(&mut self, keep: u64) {
    let length = self.file.as_ref().and_then(|file| file.metadata().ok());
    let Some(length) = length.map(|meta| meta.len()) else {
      return;
    };
    if length <= self.offset.saturating_add(keep) {
      return;
    }
    self.skipped += length - keep - self.offset;
    self.offset = length - keep;
    self.partial.clear();
    self.cut = true;
  }

  pub(crate) fn new_lines(&mut self) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    loop {
      self.drain_at_most(&mut lines);
      let on_disk = std::fs::metadata(&self.path).ok();
      match on_disk {
        Some(_) if sys::path_identity(&self.path) != self.identity || self.file.is_none() => {
          self.switch(&mut lines);
        }
        Some(meta) if meta.len() < self.offset => {
          self.offset = 0;
          self.partial.clear();
        }
        _ => return lines,
      }
    }
  }

  /// The file was rotated (or created): the rest of the old one is read — again, for what
  /// was written between the last look and the rename — then every file rotated after it (a
  /// fast writer rotates several times between two looks), oldest first; then the new one.
  fn switch(&mut self, lines: &mut Vec<Vec<u8>>) {
    self.drain_at_most(lines);
    let current = File::open(&self.path).ok();
    // Newest first, so that a rotation meanwhile shows a file twice (skipped) but never
    // hides one.
    let mut newer: Vec<(Option<(u64, u64)>, File)> = Vec::new();
    let mut old_one_found = false;
    for n in 1.. {
      let Some(file) = self.identity.and(File::open(rotated(&self.path, n)).ok()) else {
        break;
      };
      let identity = sys::file_identity(&file);
      if identity == self.identity {
        old_one_found = true;
        break;
      }
      if newer.iter().all(|(seen, _)| *seen != identity) {
        newer.push((identity, file));
      }
    }
    if !old_one_found && self.file.is_some() {
      // The old file is gone from the rotated ones: deleted (then they are history, not
      // news), or rotated away before this look — a writer faster than the reader, more
      // rotations than `keep` between two looks. Then the rotated files written since it
      // are news, and what was in those deleted meanwhile is lost: said where it was.
      let since = self.file.as_ref().and_then(modified);
      newer.retain(|(_, file)| since.is_some_and(|since| modified(file) >= Some(since)));
      if !newer.is_empty() {
        lines.push(GAP.as_bytes().to_vec());
        self.gaps += 1;
      }
    }
    let size: u64 = newer
      .iter()
      .filter_map(|(_, file)| file.metadata().ok())
      .map(|meta| meta.len())
      .sum();
    if self.most.is_some_and(|most| size > most) {
      self.skipped += size;
      newer.clear();
    }
    for (identity, file) in newer.into_iter().rev() {
      (self.file, self.identity, self.offset) = (Some(file), identity, 0);
      self.drain(lines);
    }
    self.identity = current.as_ref().and_then(sys::file_identity);
    self.file = current;
    self.offset = 0;
  }

  /// `drain`, after skipping ahead when more than `most` is waiting.
  fn drain_at_most(&mut self, lines: &mut Vec<Vec<u8>>) {
    if let Some(most) = self.most {
      self.skip_to_last(most);
    }
    self.drain(lines);
  }

  fn drain(&mut self, lines: &mut Vec<Vec<u8>>) {
    let Some(file) = self.file.as_mut() else {
      return;
    };
    if file.seek(SeekFrom::Start(self.offset)).is_err() {
      return;
    }
    let mut chunk = Vec::new();
    let read = file.read_to_end(&mut chunk).unwrap_or(0);
    self.offset += read as u64;
    self.partial.extend_from_slice(&chunk);
    if self.cut {
      let Some(end) = self.partial.iter().position(|b| *b == b'\n') else {
        self.partial.clear();
        return;
      };
      self.partial.drain(..=end);
      self.cut = false;
    }
    // Split in one pass, then drop what was split off at once: draining line by line from
    // the front moved the whole rest each time, quadratic in a flood's megabytes.
    let mut start = 0;
    while let Some(end) = self.partial[start..].iter().position(|b| *b == b'\n') {
      lines.push(self.partial[start..start + end].to_vec());
      start += end + 1;
    }
    self.partial.drain(..start);
  }
}

pub(crate) fn rotated(path: &Path, n: u32) -> PathBuf {
  PathBuf::from(format!("{}.{n}", path.display()))
}

#[cfg(test)]
mod tests {
  use std::fs;

  use super::*;

  fn lines_of(count: usize, from: usize) -> String {
    (from..from + count)
      .map(|i| format!("line {i:06}\n"))
      .collect()
  }

  #[test]
  fn a_limited_follower_skips_a_flood_and_its_rotated_files_but_keeps_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    fs::write(&log, "").unwrap();
    let mut follower = Follower::at_end(log.clone(), 0).at_most(1_000);
    // 12 bytes a line: 100 000 lines, then a rotation and a few more.
    fs::write(&log, lines_of(100_000, 0)).unwrap();
    let seen = follower.new_lines();
    assert!(seen.len() <= 1_000 / 12 + 1, "{} lines", seen.len());
    assert_eq!(seen.last().unwrap(), b"line 099999");
    assert!(seen.iter().all(|line| line.len() == 11), "a cut line");
    fs::write(&log, lines_of(50_000, 100_000)).unwrap();
    fs::rename(&log, rotated(&log, 1)).unwrap();
    fs::write(&log, lines_of(3, 150_000)).unwrap();
    let seen = follower.new_lines();
    assert_eq!(seen.last().unwrap(), b"line 150002");
    assert!(
      seen.len() <= 2 * (1_000 / 12 + 1) + 3,
      "{} lines",
      seen.len()
    );
    assert!(follower.skipped > 1_000_000);
  }

  #[test]
  fn an_unlimited_follower_reads_everything_through_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    fs::write(&log, "").unwrap();
    let mut follower = Follower::at_end(log.clone(), 0);
    fs::write(&log, lines_of(1_000, 0)).unwrap();
    fs::rename(&log, rotated(&log, 1)).unwrap();
    fs::write(&log, lines_of(1_000, 1_000)).unwrap();
    fs::rename(rotated(&log, 1), rotated(&log, 2)).unwrap();
    fs::rename(&log, rotated(&log, 1)).unwrap();
    fs::write(&log, lines_of(1, 2_000)).unwrap();
    let seen = follower.new_lines();
    assert_eq!(seen.len(), 2_001);
    assert_eq!(follower.skipped, 0);
  }

  /// `keep: 2`, rotated four times between two looks: the file the follower was reading and
  /// the next one are deleted before it looks again. What is left is read, and the gap said.
  #[test]
  fn files_rotated_away_before_a_look_leave_a_gap_that_is_said_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    fs::write(&log, lines_of(10, 0)).unwrap();
    let mut follower = Follower::at_end(log.clone(), 0);
    assert_eq!(follower.new_lines().len(), 10);
    for round in 1..=4 {
      // As the keeper rotates: the oldest deleted, the others shifted, the current renamed.
      let _ = fs::remove_file(rotated(&log, 2));
      let _ = fs::rename(rotated(&log, 1), rotated(&log, 2));
      fs::rename(&log, rotated(&log, 1)).unwrap();
      std::thread::sleep(std::time::Duration::from_millis(10));
      fs::write(&log, lines_of(10, round * 10)).unwrap();
    }
    let seen = follower.new_lines();
    let text: Vec<String> = seen
      .iter()
      .map(|line| String::from_utf8_lossy(line).into_owned())
      .collect();
    // The file of round 1 deleted unread; those of rounds 2 and 3 (now .2 and .1) and 4
    // (current) read, after the gap.
    assert_eq!(text[0], GAP, "{text:?}");
    assert_eq!(text[1], "line 000020");
    assert_eq!(text.len(), 1 + 30, "{text:?}");
    assert_eq!(follower.gaps, 1);
  }
}
