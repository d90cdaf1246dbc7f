//! A service's log file as the keeper writes it: every byte the service printed, ANSI color
//! sequences taken out (the terminal keeps them), optionally a UTC time before each line,
//! and rotated by size — only at a line boundary, so no line is ever cut in two files.
//! `api.log` becomes `api.log.1`, `api.log.1` becomes `api.log.2`, and so on up to `keep`.
//! A write that fails (a full disk) never leaves half a line: see `log_outage`.

use std::{
  fs::{self, File, OpenOptions},
  io::{self, Write},
  path::{Path, PathBuf},
  time::{Duration, Instant},
};

use super::{log_colors::Escape, log_outage::Outage};
use crate::{
  config::LogSettings,
  sys::{self, DirectoryId},
  ui::timestamp::{now_millis, utc_millis},
};

/// Opens a log for appending, its directory created if need be.
fn create(path: &Path) -> io::Result<File> {
  if let Some(parent) = path.parent() {
    fs::create_dir_all(parent)?;
  }
  OpenOptions::new().create(true).append(true).open(path)
}

/// True when the file's last byte is a newline (or it cannot be read).
fn ends_with_newline(path: &Path) -> bool {
  use std::io::{Read, Seek, SeekFrom};
  let mut last = [b'\n'];
  let _ = File::open(path).and_then(|mut file| {
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)
  });
  last[0] == b'\n'
}

pub(crate) struct LogFile {
  path: PathBuf,
  file: File,
  /// What the open file is, to notice when the path no longer leads to it (deleted).
  identity: Option<(u64, u64)>,
  /// The project the log belongs to: its directory is re-created only while the project
  /// is still where it was (a project that moved must not have its old place re-created).
  project: Option<(PathBuf, DirectoryId)>,
  checked: Instant,
  size: u64,
  /// The file's size at its last line boundary: a write that fails half-way (a full disk)
  /// is taken back to it, so that the file never holds half a line.
  line_start: u64,
  /// Set while writing fails: the output is counted, not kept.
  outage: Option<Outage>,
  settings: LogSettings,
  /// The next byte starts a line.
  at_line_start: bool,
  /// A note of dev's cut into a service's line (the service had printed part of it): the
  /// newline the service prints next ends that line, which the note already ended.
  owes_newline: bool,
  escape: Escape,
  /// Reused for each chunk's cleaned bytes.
  buffer: Vec<u8>,
}

/// A line longer than this is cut for rotation anyway (the rest goes on in the next file).
const LONGEST_LINE: u64 = 1024 * 1024;

impl LogFile {
  pub(crate) fn open(
    path: &Path,
    settings: LogSettings,
    project: Option<(PathBuf, DirectoryId)>,
  ) -> io::Result<Self> {
    let file = create(path)?;
    let size = file.metadata()?.len();
    // The last run may have been ended in the middle of a line.
    let at_line_start = size == 0 || ends_with_newline(path);
    Ok(Self {
      path: path.to_path_buf(),
      identity: sys::file_identity(&file),
      file,
      project,
      checked: Instant::now(),
      size,
      line_start: size,
      outage: None,
      settings,
      at_line_start,
      owes_newline: false,
      escape: Escape::None,
      buffer: Vec::with_capacity(64 * 1024),
    })
  }

  /// Writes a chunk of the service's output. Rotation happens between lines. When the log
  /// cannot be written (a full disk) the chunk is counted as lost, the line it cut is
  /// taken back, and writing is tried again — from the next line — once a second.
  pub(crate) fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
    let chunk = match self.outage.as_mut() {
      None => chunk,
      Some(outage) => {
        // Only a whole line may follow the gap: from the next line start on.
        let resume = if self.at_line_start {
          Some(0)
        } else {
          chunk
            .iter()
            .position(|byte| *byte == b'\n')
            .map(|end| end + 1)
        };
        let Some(resume) = resume.filter(|_| outage.may_retry()) else {
          outage.lost(chunk);
          self.at_line_start = chunk.last().map_or(self.at_line_start, |b| *b == b'\n');
          return Ok(());
        };
        outage.lost(&chunk[..resume]);
        self.at_line_start = true;
        if !self.end_outage() {
          return self.write(&chunk[resume..]);
        }
        &chunk[resume..]
      }
    };
    if let Err(error) = self.write_kept(chunk) {
      self.lose(&error, chunk);
      return Err(error);
    }
    Ok(())
  }

  /// Writes the note of the gap, which ends the outage, if it can. False when it cannot.
  fn end_outage(&mut self) -> bool {
    let Some(note) = self.outage.as_ref().map(Outage::note) else {
      return true;
    };
    if self.write_marker(&note).is_err() {
      return false;
    }
    self.outage = None;
    true
  }

  /// Once a second (the keeper's tick): while the log cannot be written and the service is
  /// between two lines, tries again — a service that went quiet must not keep its log
  /// stopped until it prints again.
  pub(crate) fn retry(&mut self) {
    let due = self.at_line_start && self.outage.as_mut().is_some_and(Outage::may_retry);
    if due {
      self.end_outage();
    }
  }

  /// Why the log cannot be written now, if it cannot.
  pub(crate) fn trouble(&self) -> Option<String> {
    self.outage.as_ref().map(Outage::trouble)
  }

  /// A write failed: what it wrote of a line is taken back and the outage begins (or goes
  /// on); `chunk` is counted as lost.
  fn lose(&mut self, error: &io::Error, chunk: &[u8]) {
    let _ = self.file.set_len(self.line_start);
    self.size = self.line_start;
    self.escape = Escape::None;
    self.owes_newline = false;
    self
      .outage
      .get_or_insert_with(|| Outage::new(error))
      .lost(chunk);
    self.at_line_start = chunk.last().map_or(self.at_line_start, |b| *b == b'\n');
  }

  /// Appends bytes to the file, keeping count of its size and of its last line boundary.
  fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
    self.file.write_all(bytes)?;
    if let Some(end) = bytes.iter().rposition(|byte| *byte == b'\n') {
      self.line_start = self.size + end as u64 + 1;
    }
    self.size += bytes.len() as u64;
    Ok(())
  }

  fn write_kept(&mut self, mut chunk: &[u8]) -> io::Result<()> {
    if std::mem::take(&mut self.owes_newline)
      && let Some(rest) = chunk.strip_prefix(b"\n")
    {
      chunk = rest;
    }
    // At most once a second: a service may print a million chunks.
    if self.checked.elapsed() >= Duration::from_secs(1) {
      self.checked = Instant::now();
      self.follow_path()?;
    }
    // The common case, without a byte-by-byte pass: nothing to strip or stamp, and no
    // rotation due within this chunk. (The slow path is always right, so a change that only
    // sends more chunks down it — `<` as `<=` below — changes cost, not output.)
    let plain = !self.settings.timestamps
      && (!self.settings.strip_colors || (self.escape == Escape::None && !chunk.contains(&0x1b)));
    if plain && self.size + (chunk.len() as u64) < self.settings.max_size {
      self.append(chunk)?;
      if let Some(last) = chunk.last() {
        self.at_line_start = *last == b'\n';
      }
      return Ok(());
    }
    let mut buffer = std::mem::take(&mut self.buffer);
    buffer.clear();
    let stamp = self
      .settings
      .timestamps
      .then(|| format!("{} ", utc_millis(now_millis())));
    for &byte in chunk {
      if self.settings.strip_colors && self.escape.strips(byte) {
        continue;
      }
      if self.at_line_start {
        if self.size + buffer.len() as u64 >= self.settings.max_size {
          self.append(&buffer)?;
          buffer.clear();
          self.rotate()?;
        }
        if let Some(stamp) = &stamp {
          buffer.extend_from_slice(stamp.as_bytes());
        }
        self.at_line_start = false;
      }
      buffer.push(byte);
      if byte == b'\n' {
        self.at_line_start = true;
      }
    }
    let written = self.append(&buffer);
    self.buffer = buffer;
    written?;
    if !self.at_line_start && self.size >= self.settings.max_size + LONGEST_LINE {
      self.rotate()?;
    }
    Ok(())
  }

  /// One line of dev's own (`──── … started`), as it is: no timestamp, never rotated away
  /// from what follows it.
  pub(crate) fn write_marker(&mut self, line: &str) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 2);
    if !self.at_line_start {
      bytes.push(b'\n');
    }
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    if let Err(error) = self.append(&bytes) {
      // A note is a line of its own: all of it, or none.
      let _ = self.file.set_len(self.line_start);
      self.size = self.line_start;
      return Err(error);
    }
    self.at_line_start = true;
    Ok(())
  }

  /// `rm -rf logs` while the service runs: when the path no longer leads to our file, go on
  /// in a new one (and say so in it).
  fn follow_path(&mut self) -> io::Result<()> {
    if sys::path_identity(&self.path) != self.identity {
      self.reopen("the log file was deleted; logging goes on in a new one")?;
    }
    Ok(())
  }

  /// A line of dev's own while the service runs (`──── … restarted`): on a line of its own
  /// even when the service is in the middle of one, which then goes on after it.
  pub(crate) fn write_note(&mut self, line: &str) -> io::Result<()> {
    // While the log cannot be written, the note is part of the gap the next note counts.
    if let Some(outage) = &mut self.outage {
      outage.lost(format!("{line}\n").as_bytes());
      return Ok(());
    }
    self.follow_path()?;
    let cut = !self.at_line_start;
    self.write_marker(line)?;
    self.owes_newline = cut;
    Ok(())
  }

  fn rotate(&mut self) -> io::Result<()> {
    self.file.flush()?;
    let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
    if self.settings.keep == 0 {
      let _ = fs::remove_file(&self.path);
    } else {
      let _ = fs::remove_file(numbered(self.settings.keep));
      for n in (1..self.settings.keep).rev() {
        let _ = fs::rename(numbered(n), numbered(n + 1));
      }
      if let Err(error) = fs::rename(&self.path, numbered(1)) {
        // The file (or its directory) was deleted: there is nothing to rotate.
        if error.kind() != io::ErrorKind::NotFound {
          return Err(error);
        }
        return self.reopen("the log file was deleted; logging goes on in a new one");
      }
    }
    self.file = create(&self.path)?;
    self.identity = sys::file_identity(&self.file);
    self.size = 0;
    self.line_start = 0;
    Ok(())
  }

  /// Opens the path again (its directory too), says why in the new file, and goes on;
  /// nothing is created when the project is no longer where it was.
  fn reopen(&mut self, why: &str) -> io::Result<()> {
    if let Some((root, id)) = &self.project
      && !id.is_at(root)
    {
      return Ok(());
    }
    self.file = create(&self.path)?;
    self.identity = sys::file_identity(&self.file);
    self.size = self.file.metadata()?.len();
    self.line_start = self.size;
    self.at_line_start = true;
    self.write_marker(&format!(
      "──── {} · {why}",
      crate::ui::timestamp::utc_timestamp(crate::state::unix_now())
    ))
  }
}

#[cfg(test)]
mod tests;
