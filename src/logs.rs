//! `dev logs [svc…] [-n N] [-f]`: read `logs/<svc>.log`, so it works whether the service runs
//! in the foreground, detached, or has exited.

use std::{
  fs::File,
  io::{Read, Seek, SeekFrom},
  path::PathBuf,
  thread,
  time::Duration,
};

use crate::{
  error::{Error, Result},
  output::Prefixer,
  project::Project,
};

pub(crate) fn logs(project: &Project, names: &[String], lines: usize, follow: bool) -> Result<()> {
  match print_logs(project, names, lines, follow) {
    // A closed pipe (`dev logs | head`) is a normal way to stop reading, not an error.
    Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
    other => other,
  }
}

fn print_logs(project: &Project, names: &[String], lines: usize, follow: bool) -> Result<()> {
  let names = if names.is_empty() {
    project.service_names()
  } else {
    names.to_vec()
  };
  let width = names.iter().map(String::len).max().unwrap_or(0);
  let prefixed = names.len() > 1;
  let mut sources: Vec<(PathBuf, Option<Prefixer>, u64, Vec<u8>)> = Vec::new();
  for name in &names {
    let path = project.config.log_dir.join(format!("{name}.log"));
    let prefixer = prefixed.then(|| {
      Prefixer::new(
        project.color,
        name,
        project.config.service_index(name),
        width,
      )
    });
    let text = std::fs::read(&path).unwrap_or_default();
    if text.is_empty() && !follow {
      project.report.stopped(&format!(
        "{name} has no log yet ({})",
        project.report.path(&path)
      ));
    }
    for line in last_lines(&text, lines) {
      print_line(prefixer.as_ref(), line)?;
    }
    sources.push((path, prefixer, text.len() as u64, Vec::new()));
  }
  if !follow {
    return Ok(());
  }
  loop {
    for (path, prefixer, offset, partial) in &mut sources {
      let Ok(mut file) = File::open(&*path) else {
        continue;
      };
      let size = file.metadata().map(|m| m.len()).unwrap_or(0);
      if size < *offset {
        // Truncated or replaced: start again from its beginning.
        *offset = 0;
      }
      if size == *offset {
        continue;
      }
      let _ = file.seek(SeekFrom::Start(*offset));
      let mut chunk = Vec::new();
      let read = file.read_to_end(&mut chunk).unwrap_or(0);
      *offset += read as u64;
      partial.extend_from_slice(&chunk);
      while let Some(end) = partial.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = partial.drain(..=end).collect();
        print_line(prefixer.as_ref(), &line[..line.len() - 1])?;
      }
    }
    thread::sleep(Duration::from_millis(100));
  }
}

fn print_line(prefixer: Option<&Prefixer>, line: &[u8]) -> Result<()> {
  let written = match prefixer {
    Some(prefixer) => prefixer.line(line),
    None => Prefixer::plain().line(line),
  };
  written.map_err(Error::io("cannot write to stdout"))
}

/// The last `n` lines of a text.
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

fn last_lines(text: &[u8], n: usize) -> Vec<&[u8]> {
  let text = text.strip_suffix(b"\n").unwrap_or(text);
  if text.is_empty() || n == 0 {
    return Vec::new();
  }
  let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
  lines[lines.len().saturating_sub(n)..].to_vec()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn takes_the_last_lines() {
    assert_eq!(last_lines(b"a\nb\nc\n", 2), [b"b", b"c"]);
    assert_eq!(last_lines(b"a\nb", 5), [b"a" as &[u8], b"b"]);
    assert!(last_lines(b"", 5).is_empty());
  }
}
