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
    }
  }

  /// A writer far ahead (a service printing millions of lines): skips to the last `keep`
  /// bytes of the current file instead of reading everything; returns the bytes skipped. The
  /// file keeps every line; a screen shows only the newest.
  pub(crate) fn skip_to_last(&mut self, keep: u64) -> u64 {
    let length = self.file.as_ref().and_then(|file| file.metadata().ok());
    let Some(length) = length.map(|meta| meta.len()) else {
      return 0;
    };
    if length <= self.offset.saturating_add(keep) {
      return 0;
    }
    let skipped = length - keep - self.offset;
    self.offset = length - keep;
    self.partial.clear();
    self.cut = true;
    skipped
  }

  pub(crate) fn new_lines(&mut self) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    loop {
      self.drain(&mut lines);
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
    self.drain(lines);
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
    // The old file deleted, not rotated: the rotated ones are history, not news.
    if !old_one_found {
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
    while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
      let mut line: Vec<u8> = self.partial.drain(..=end).collect();
      line.pop();
      lines.push(line);
    }
  }
}

pub(crate) fn rotated(path: &Path, n: u32) -> PathBuf {
  PathBuf::from(format!("{}.{n}", path.display()))
}
