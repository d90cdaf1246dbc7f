//! `dev wait [svc…] [--timeout 60s]`: after `dev up -d`, block until the services are ready
//! — for scripts and CI (`dev up -d && dev wait && npm test`). Ready means what `dev health`
//! checks: each probe passes, answered by the service's own current run; a service that is
//! not running is not ready (it may be starting, or restarting after a crash). Exit 0, or 1
//! at the timeout naming what is not ready, with the end of its log.

use std::{
  thread,
  time::{Duration, Instant},
};

use super::health::{NOT_RUNNING, Row, probe_all};
use crate::{
  error::{Error, Result},
  project::Project,
  state::{Liveness, unix_now},
  supervise::log_tail::run_tail,
  ui::format::{count, elapsed},
};

/// How often the probes run while waiting: each is one connect or GET, run all at once.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// How long a service that had already ended when the wait began is waited for.
const RESTART_GRACE: Duration = Duration::from_secs(2);
/// Lines of each log shown for a service that is not ready.
const TAIL: usize = 10;

pub(crate) fn wait(project: &Project, names: &[String], timeout: Duration) -> Result<()> {
  let started = Instant::now();
  let begun = unix_now();
  loop {
    let rows = probe_all(project, names);
    let waiting: Vec<&Row> = rows.iter().filter(|row| !row.healthy).collect();
    if waiting.is_empty() {
      let what = if names.is_empty() {
        "every service".to_owned()
      } else {
        names.join(", ")
      };
      project
        .report
        .success(&format!("{what} ready ({})", elapsed(started.elapsed())));
      return Ok(());
    }
    // A run that ended for good will not become ready: say so now. One that ended before the
    // wait began is given a moment, for a `dev up` started beside the wait to start it again.
    if waiting
      .iter()
      .any(|row| ended_for_good(project, &row.service, begun, started.elapsed()))
    {
      return Err(not_ready(project, &waiting, "ended"));
    }
    let left = timeout.saturating_sub(started.elapsed());
    if left.is_zero() {
      return Err(not_ready(
        project,
        &waiting,
        &format!("after {}", elapsed(timeout)),
      ));
    }
    thread::sleep(LOOK_EVERY.min(left));
  }
}

/// The service's keeper ended it and is gone (no restart is coming): since the wait began
/// (`begun`, seconds), or before it and still so after `waited` reached `RESTART_GRACE`.
fn ended_for_good(project: &Project, service: &str, begun: u64, waited: Duration) -> bool {
  matches!(project.check(service), Some(Liveness::Exited(_, exit))
    if exit.at >= begun || waited >= RESTART_GRACE)
}

/// Each service that is not ready, why (the probe's last answer), and its output's end.
fn not_ready(project: &Project, waiting: &[&Row], when: &str) -> Error {
  for row in waiting {
    project
      .report
      .failure(&format!("{} not ready: {}", row.service, row.detail));
    // The running service's own log (it may have been started from another task file).
    let log = project
      .state
      .read(&row.service)
      .map_or_else(|| project.config.log_of(&row.service), |state| state.log);
    // Not running (stopped, never started): its log is an older run's, not why.
    let tail = if row.detail == NOT_RUNNING {
      Vec::new()
    } else {
      run_tail(&log, TAIL)
    };
    if !tail.is_empty() {
      project.report.details(
        &format!("last {} of its output:", count(tail.len(), "line", "lines")),
        &tail,
      );
    }
  }
  let names: Vec<&str> = waiting.iter().map(|row| row.service.as_str()).collect();
  Error::Unhealthy {
    summary: format!(
      "{} not ready ({when}): {}",
      count(names.len(), "service", "services"),
      names.join(", ")
    ),
  }
}
