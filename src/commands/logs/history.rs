//! What `dev logs` reads of a service's past: the current file and, newest first, as many
//! rotated files (`api.log.1`, `api.log.2`, …) as `-n` needs, or all of them for `--since`.

use std::{fs, path::Path, time::UNIX_EPOCH};

use super::rotated;

/// One file's text, and when the file before it (older) was last written: its lines came
/// after that (Unix seconds; 0 for the oldest).
pub(super) struct File {
  pub(super) text: Vec<u8>,
  pub(super) floor: f64,
}

/// The files to read, oldest first: the current one, after enough rotated ones to hold
/// `lines` lines (every rotated one when `all`).
pub(super) fn read(path: &Path, lines: usize, all: bool) -> Vec<File> {
  let current = fs::read(path).unwrap_or_default();
  let mut count = newlines(&current);
  let mut texts = vec![current];
  for n in 1.. {
    if count >= lines && !all {
      break;
    }
    let Ok(text) = fs::read(rotated(path, n)) else {
      break;
    };
    count += newlines(&text);
    texts.push(text);
  }
  // Each file's floor is the time its older neighbour (the next number) was last written.
  let written = |n: usize| {
    let path = if n == 0 {
      path.to_path_buf()
    } else {
      rotated(path, n as u32)
    };
    fs::metadata(path)
      .and_then(|meta| meta.modified())
      .ok()
      .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
      .map_or(0.0, |since| since.as_secs_f64())
  };
  let mut files: Vec<File> = texts
    .into_iter()
    .enumerate()
    .map(|(n, text)| File {
      text,
      floor: written(n + 1),
    })
    .collect();
  files.reverse();
  files
}

fn newlines(text: &[u8]) -> usize {
  text.iter().filter(|byte| **byte == b'\n').count()
}
