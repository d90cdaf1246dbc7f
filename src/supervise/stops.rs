//! A stop wins over a start in progress. `dev stop` takes `.dev/state/starts-lock` exclusively
//! and appends a notice to `.dev/state/stops` (when, and which services); `dev up` holds the lock
//! shared from its look at the notices until the keeper it starts has written its state.
//! So each start is either seen by the stop (its state is there to be stopped) or sees the
//! stop (and does not happen) — never neither, which left a dependent running without the
//! dependency a stop had just ended.

use std::{
  fs::{self, File, OpenOptions},
  io::Write,
  path::PathBuf,
};

use crate::{state::StateDir, ui::timestamp::now_millis};

/// What a notice names when the stop named no service: all of them.
const EVERY_SERVICE: &str = "*";
/// Notices kept: only those newer than a running `dev up` matter to it.
const KEPT: usize = 64;

/// The stops a `dev up` must heed: those since it began.
pub(crate) struct StopNotices {
  dir: PathBuf,
  since_ms: u64,
}

impl StopNotices {
  pub(crate) fn from_now(state: &StateDir) -> Self {
    Self::since(state, now_millis())
  }

  /// The stops since `since_ms` (Unix ms): a `dev restart` that began then and starts what
  /// it found stopped heeds a `dev stop` made while it restarted the others.
  pub(crate) fn since(state: &StateDir, since_ms: u64) -> Self {
    Self {
      dir: state.path.clone(),
      since_ms,
    }
  }

  /// Held while a keeper starts, until its state is written: a stop waits meanwhile.
  /// `None` when the lock cannot be had (no `.dev/`): then there is nothing to wait for.
  pub(crate) fn starting(&self) -> Option<File> {
    let file = lock_file(&self.dir)?;
    file.lock_shared().ok()?;
    Some(file)
  }

  /// What a stop since this run began stopped among `names`: "every service" or the first
  /// of them it named.
  pub(crate) fn stopped(&self, names: &[String]) -> Option<String> {
    let text = fs::read_to_string(self.dir.join("stops")).unwrap_or_default();
    text
      .lines()
      .filter_map(|line| line.split_once(' '))
      .filter(|(at, _)| at.parse::<u64>().is_ok_and(|at| at >= self.since_ms))
      .flat_map(|(_, stopped)| stopped.split(' '))
      .find_map(|stopped| match stopped {
        EVERY_SERVICE => Some("every service".to_owned()),
        _ => names.iter().find(|name| *name == stopped).cloned(),
      })
  }
}

/// Said by `dev stop` before it looks at any keeper; the returned lock is held until it has
/// signalled them. `names` empty means every service. Best effort: without `.dev/` no
/// service runs and none is being started.
pub(crate) fn announce(state: &StateDir, names: &[String]) -> Option<File> {
  let lock = lock_file(&state.path)?;
  lock.lock().ok()?;
  let path = state.path.join("stops");
  let text = fs::read_to_string(&path).unwrap_or_default();
  let mut lines: Vec<&str> = text.lines().collect();
  let skip = lines.len().saturating_sub(KEPT - 1);
  lines.drain(..skip);
  let stopped = if names.is_empty() {
    EVERY_SERVICE.to_owned()
  } else {
    names.join(" ")
  };
  let notice = format!("{} {stopped}", now_millis());
  lines.push(&notice);
  let _ = OpenOptions::new()
    .create(true)
    .truncate(true)
    .write(true)
    .open(&path)
    .and_then(|mut file| file.write_all(format!("{}\n", lines.join("\n")).as_bytes()));
  Some(lock)
}

fn lock_file(dir: &std::path::Path) -> Option<File> {
  if !dir.is_dir() {
    return None;
  }
  OpenOptions::new()
    .create(true)
    .truncate(false)
    .write(true)
    // No dot in the name: it can never be a service's `<name>.lock` (or any `<name>.<suffix>`).
    .open(dir.join("starts-lock"))
    .ok()
}
