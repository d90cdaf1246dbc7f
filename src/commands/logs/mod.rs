//! `dev logs [svc…] [-n N] [-f] [--since 10m] [--grep RE] [--no-prefix]`: read
//! `logs/<svc>.log` (and the newest rotated file when more lines are wanted), so it works
//! whether the service runs in the foreground, detached, or has exited. Several services are
//! merged in time order; `-f` follows across rotation and truncation.

use std::{thread, time::Duration};

mod follower;
mod history;

pub(crate) use follower::{Follower, rotated};

use crate::{
  error::{Error, Result},
  project::Project,
  sys,
  ui::{
    output::{Prefixer, output_error},
    timestamp::{now_millis, parse_utc},
  },
};

pub(crate) struct Query {
  pub(crate) lines: usize,
  pub(crate) follow: bool,
  pub(crate) since: Option<Duration>,
  pub(crate) grep: Option<regex_lite::Regex>,
  /// Prefix lines with their service when there are several.
  pub(crate) prefix: bool,
}

pub(crate) fn logs(project: &Project, names: &[String], query: &Query) -> Result<()> {
  print_logs(project, names, query)
}

/// One line of a log with the time it was written, as well as the file tells.
pub(crate) struct Line {
  /// Unix seconds: the line's own timestamp, else its run's start, else unknown (0).
  pub(crate) time: f64,
  pub(crate) service: usize,
  pub(crate) text: Vec<u8>,
}

fn print_logs(project: &Project, names: &[String], query: &Query) -> Result<()> {
  let mut names = if names.is_empty() {
    project.service_names()
  } else {
    names.to_vec()
  };
  // `dev logs api api` is one service's log, once.
  let mut seen = std::collections::HashSet::new();
  names.retain(|name| seen.insert(name.clone()));
  let prefixers = prefixers(project, &names, query.prefix);
  let cutoff = query
    .since
    .map(|since| now_millis() as f64 / 1000.0 - since.as_secs_f64());
  let keep = |line: &Line| {
    cutoff.is_none_or(|cutoff| line.time >= cutoff)
      && query
        .grep
        .as_ref()
        .is_none_or(|regex| regex.is_match(&String::from_utf8_lossy(&line.text)))
  };
  let mut merged: Vec<Line> = Vec::new();
  let mut followers = Vec::new();
  for (index, name) in names.iter().enumerate() {
    let path = project.config.log_of(name);
    let files = history::read(&path, query.lines, cutoff.is_some());
    if files.iter().all(|file| file.text.is_empty()) && !query.follow {
      project.report.stopped(&format!(
        "{name} has no log yet ({})",
        project.report.path(&path)
      ));
    }
    let mut time = 0.0;
    let mut lines: Vec<Line> = Vec::new();
    for file in &files {
      // A file's lines were written after the file before it was last written to: a floor
      // for lines without a time of their own (a rotated log's first lines).
      time = f64::max(time, file.floor);
      lines.extend(
        timed_lines_from(&file.text, index, &mut time)
          .into_iter()
          .filter(|l| keep(l)),
      );
    }
    merged.extend(lines.into_iter().rev().take(query.lines).rev());
    let current = files.last().map_or(0, |file| file.text.len());
    followers.push(Follower::at_end(path, current as u64));
  }
  // Stable: lines of one service, and lines of unknown time, keep their order.
  merged.sort_by(|a, b| a.time.total_cmp(&b.time));
  for line in &merged {
    print_line(&prefixers[line.service], &line.text)?;
  }
  if !query.follow {
    return Ok(());
  }
  follow(&mut followers, &prefixers, &keep)
}

/// `service │ ` before each line when several logs are shown (unless `--no-prefix`).
fn prefixers(project: &Project, names: &[String], prefix: bool) -> Vec<Prefixer> {
  let width = names.iter().map(String::len).max().unwrap_or(0);
  names
    .iter()
    .map(|name| {
      if prefix && names.len() > 1 {
        Prefixer::new(
          project.color,
          name,
          project.config.service_index(name),
          width,
        )
      } else {
        Prefixer::plain()
      }
    })
    .collect()
}

/// Prints new lines as they come, until the reader of our output goes away.
fn follow(
  followers: &mut [Follower],
  prefixers: &[Prefixer],
  keep: &dyn Fn(&Line) -> bool,
) -> Result<()> {
  loop {
    // `dev logs -f | head -1` ends when head does, not at the next line a quiet service
    // may never print (as `tail -f` does).
    if sys::stdout_closed() {
      return Err(Error::OutputClosed);
    }
    let mut any = false;
    for (index, follower) in followers.iter_mut().enumerate() {
      // One write per look, not one per line: a write (and a flush) per line made a
      // follower of a flood fall so far behind that rotated files were deleted unread.
      let (mut batch, mut kept) = (Vec::new(), 0);
      for text in follower.new_lines() {
        any = true;
        // New lines are as recent as it gets: only `--grep` applies.
        let line = Line {
          time: f64::MAX,
          service: index,
          text,
        };
        if keep(&line) {
          if kept > 0 {
            batch.push(b'\n');
          }
          batch.extend_from_slice(&line.text);
          kept += 1;
        }
      }
      if kept > 0 {
        prefixers[index].lines(&batch).map_err(output_error)?;
      }
    }
    // A look that found lines looks again at once: a flood is read as fast as the reader
    // takes it, and rotated away unread only when the reader cannot keep up.
    if !any {
      thread::sleep(Duration::from_millis(100));
    }
  }
}

/// Splits a log into lines, each with its time: its own timestamp
/// (`2026-11-23T07:45:12.345Z …`), a keeper line's (`──── 2026-11-23 07:45:12 UTC · …`), or
/// the last time seen above it.
pub(crate) fn timed_lines(text: &[u8], service: usize) -> Vec<Line> {
  timed_lines_from(text, service, &mut 0.0)
}

/// `timed_lines`, for a text that follows one whose last time was `time` (updated).
fn timed_lines_from(text: &[u8], service: usize, time: &mut f64) -> Vec<Line> {
  let text = text.strip_suffix(b"\n").unwrap_or(text);
  if text.is_empty() {
    return Vec::new();
  }
  text
    .split(|b| *b == b'\n')
    .map(|line| {
      let head = String::from_utf8_lossy(&line[..line.len().min(40)]);
      let stamp = head
        .strip_prefix("──── ")
        .and_then(parse_utc)
        .or_else(|| parse_utc(&head));
      if let Some(stamp) = stamp {
        *time = stamp;
      }
      Line {
        time: *time,
        service,
        text: line.to_vec(),
      }
    })
    .collect()
}

fn print_line(prefixer: &Prefixer, line: &[u8]) -> Result<()> {
  prefixer.line(line).map_err(output_error)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn lines_take_their_time_from_stamps_and_run_headers() {
    let text = b"early\n\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80\xe2\x94\x80 2026-11-23 08:00:00 UTC \xc2\xb7 api started\nplain\n2026-11-23T08:00:05.500Z stamped\nafter\n";
    let times: Vec<f64> = timed_lines(text, 0).iter().map(|l| l.time).collect();
    assert_eq!(
      times,
      [
        0.0,
        1_795_420_800.0,
        1_795_420_800.0,
        1_795_420_805.5,
        1_795_420_805.5
      ]
    );
  }
}
