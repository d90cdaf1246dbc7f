//! What a service printed in its current run: for a log probe, and for the report of a
//! start that failed.

use std::{
  fs::File,
  io::{Read, Seek, SeekFrom},
};

/// The output of the service's current run: what follows the last `──── … started` header
/// the keeper wrote (only the last megabyte of the file is read).
pub(crate) fn current_run(path: &std::path::Path) -> String {
  let Ok(mut file) = File::open(path) else {
    return String::new();
  };
  let length = file.metadata().map_or(0, |m| m.len());
  let _ = file.seek(SeekFrom::Start(length.saturating_sub(1 << 20)));
  let mut bytes = Vec::new();
  let _ = file.read_to_end(&mut bytes);
  let text = String::from_utf8_lossy(&bytes);
  let start = text
    .match_indices("──── ")
    .filter(|(at, _)| {
      let line = &text[*at..];
      let end = line.find('\n').unwrap_or(line.len());
      line[..end].contains(" started · pid ")
    })
    .last()
    .map_or(0, |(at, _)| at + text[at..].find('\n').map_or(0, |n| n + 1));
  text[start..].to_owned()
}

/// The last `n` lines the service printed in its current run (not the keeper's own
/// `────` lines), for a failure report.
pub(crate) fn run_tail(path: &std::path::Path, n: usize) -> Vec<String> {
  let text = current_run(path);
  let printed: Vec<&str> = text
    .lines()
    .filter(|line| !line.starts_with("──── "))
    .collect();
  printed[printed.len().saturating_sub(n)..]
    .iter()
    .map(|line| (*line).to_owned())
    .collect()
}
