//! Waiting for a started service to be ready: probe fast first, back off, and notice at once
//! when the service dies instead, or when it listens on a port other than its own.
//!
//! A probe that passes counts only if the service is still alive afterwards: an answer from
//! another process on the same port (the service itself died of EADDRINUSE) is not readiness.
//! How a service that died ended is not decided here but by whoever saw its keeper exit.

use std::{
  sync::atomic::{AtomicBool, Ordering},
  time::{Duration, Instant},
};

use crate::{
  config::Probe,
  state::StateDir,
  supervise::probe::{Check, Outcome},
  sys::{self, ProcessId},
  ui::{output::Reporter, progress::Waiting},
};

/// How a wait for readiness ended.
pub(crate) enum Verdict {
  Ready(Duration),
  /// The keeper ended first (the service exited, or was stopped): the caller knows how.
  Gone,
  /// The deadline passed: how many probes ran and what the last one said.
  TimedOut(u32, Outcome),
  Cancelled,
}

/// Lines of output shown when a service fails to start.
pub(crate) const TAIL_LINES: usize = 20;

/// The pause before the next probe: 1 ms for the first 2 s (a dev server that is up should
/// be seen within a couple of milliseconds), 5 ms until 10 s, then the configured interval
/// capped at 100 ms.
fn pause(waited: Duration, interval: Duration) -> Duration {
  if waited < Duration::from_secs(2) {
    Duration::from_millis(1)
  } else if waited < Duration::from_secs(10) {
    Duration::from_millis(5)
  } else {
    interval.min(Duration::from_millis(100))
  }
}

pub(crate) fn wait_ready(
  check: &Check,
  state: &StateDir,
  report: Reporter,
  cancel: &AtomicBool,
) -> Verdict {
  let started = Instant::now();
  let mut waiting = Waiting::start(report, &check.service, &check.target());
  let mut tries = 0;
  let mut warned_port = false;
  let mut next_port_look = started + Duration::from_millis(500);
  loop {
    let outcome = check.run();
    tries += 1;
    if outcome.ok && still_running(check, state) {
      return Verdict::Ready(started.elapsed());
    }
    if check.keeper.is_some_and(|keeper| !keeper.is_alive()) {
      return Verdict::Gone;
    }
    if cancel.load(Ordering::Relaxed) {
      return Verdict::Cancelled;
    }
    if started.elapsed() >= check.health.start_timeout {
      return Verdict::TimedOut(tries, outcome);
    }
    if !warned_port && Instant::now() >= next_port_look {
      next_port_look = Instant::now() + Duration::from_millis(500);
      warned_port = warn_if_elsewhere(check, report);
    }
    waiting.still();
    std::thread::sleep(pause(started.elapsed(), check.health.interval));
  }
}

/// True while the service's current run is alive: its keeper, and the main process the
/// keeper recorded (a keeper backing off before a restart has none). A process that is alive
/// after the probe passed was alive while it passed.
fn still_running(check: &Check, state: &StateDir) -> bool {
  let Some(keeper) = check.keeper else {
    return true;
  };
  keeper.is_alive()
    && state.read(&check.service).is_some_and(|recorded| {
      recorded.keeper == keeper
        && recorded.exit.is_none()
        && recorded.process.is_some_and(ProcessId::is_alive)
    })
}

/// Vite and Next move to 5174 / 3001 without a word when their port is taken: say so.
fn warn_if_elsewhere(check: &Check, report: Reporter) -> bool {
  let (Some(port), Some(keeper)) = (check.port, check.keeper) else {
    return false;
  };
  if matches!(check.probe, Probe::Exec { .. } | Probe::Log { .. }) {
    return false;
  }
  let actual = sys::listening_ports_of(&sys::descendants(keeper.pid));
  if actual.is_empty() || actual.contains(&port) {
    return false;
  }
  let list: Vec<String> = actual.iter().map(u16::to_string).collect();
  report.warning(&format!(
    "{} listens on {}, not on its port {port}; make it use $PORT strictly (Vite: --strictPort, Next: -p $PORT)",
    check.service,
    list.join(", ")
  ));
  true
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn polls_fast_first_then_backs_off() {
    let interval = Duration::from_secs(2);
    assert_eq!(pause(Duration::ZERO, interval), Duration::from_millis(1));
    assert_eq!(
      pause(Duration::from_secs(5), interval),
      Duration::from_millis(5)
    );
    assert_eq!(
      pause(Duration::from_secs(30), interval),
      Duration::from_millis(100)
    );
    assert_eq!(
      pause(Duration::from_secs(30), Duration::from_millis(20)),
      Duration::from_millis(20)
    );
  }
}
