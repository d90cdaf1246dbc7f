//! Waiting for a started service to be ready: probe fast first, back off, and notice at once
//! when the service dies instead, or when it listens on a port other than its own.
//!
//! A probe that passes counts only if the service is still alive afterwards and, for an answer
//! on one of its ports, holds that port: an answer from another process on the same port (the
//! service died of EADDRINUSE, or crash-loops while something else took its port) is not
//! readiness.
//! How a service that died ended is not decided here but by whoever saw its keeper exit.

use std::{
  sync::atomic::{AtomicBool, Ordering},
  time::{Duration, Instant},
};

use crate::{
  config::{Health, Probe},
  state::StateDir,
  supervise::{
    listeners,
    probe::{Check, Outcome},
  },
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

/// The longest pause while nothing listens on the awaited port: a listen ends it at once
/// (`listeners`), so this only paces the look for a dead keeper, a cancel or the deadline.
const UNBOUND_PAUSE: Duration = Duration::from_millis(20);

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
  let mut clock = RealClock(Instant::now());
  let mut waiting = Waiting::start(report, &check.service, &check.target());
  let mut warned_port = false;
  // Every 500 ms, not at every look: a scan of the tree's sockets costs. How often it runs
  // (and RealClock's sleep) set cost, not outcome: no test sees a mutant of them; bench does.
  let mut next_port_look = Duration::from_millis(500);
  let meanwhile = |waited: Duration| {
    if !warned_port && waited >= next_port_look {
      next_port_look = waited + Duration::from_millis(500);
      warned_port = warn_if_elsewhere(check, report);
    }
    waiting.still();
  };
  wait(
    &mut clock,
    &check.health,
    looks(check, state, cancel),
    meanwhile,
  )
}

/// `wait_ready` without a spinner or warnings: for a keeper, which has no terminal.
pub(crate) fn wait_quietly(check: &Check, state: &StateDir, cancel: &AtomicBool) -> Verdict {
  let looks = looks(check, state, cancel);
  wait(&mut RealClock(Instant::now()), &check.health, looks, |_| {})
}

/// One look at the service each time it is called: the probe, then whether its answer was
/// the service's own. While nothing on the machine listens on the port the probe needs to be
/// the service's own (one look at the listening table for every service awaited), it is not
/// run: it could not pass.
fn looks<'a>(
  check: &'a Check,
  state: &'a StateDir,
  cancel: &'a AtomicBool,
) -> impl FnMut() -> Look + 'a {
  let awaited = match check.probe {
    Probe::Listening => check.awaited_port(),
    _ => check.keeper.and(check.awaited_port()),
  };
  looks_with(
    move || awaited.filter(|port| !listeners::may_listen(*port)),
    || check.run_in_run(state),
    || its_own_answer(check, state),
    || check.keeper.is_some_and(|keeper| !keeper.is_alive()),
    cancel,
  )
}

/// `looks` with the probe and the questions about the service as functions, so the unit
/// tests below can answer them.
fn looks_with<'a>(
  mut unbound: impl FnMut() -> Option<u16> + 'a,
  mut probe: impl FnMut() -> Outcome + 'a,
  mut own: impl FnMut() -> bool + 'a,
  mut gone: impl FnMut() -> bool + 'a,
  cancel: &'a AtomicBool,
) -> impl FnMut() -> Look + 'a {
  move || {
    let unbound = unbound();
    let outcome = match unbound {
      Some(port) => Outcome::failed(format!("nothing listens on port {port} yet")),
      None => probe(),
    };
    Look {
      ready: outcome.ok && own(),
      gone: gone(),
      cancelled: cancel.load(Ordering::Relaxed),
      unbound,
      outcome,
    }
  }
}

/// What one look at a starting service saw.
struct Look {
  /// The probe passed, answered by the service's current run.
  ready: bool,
  /// Its keeper is gone.
  gone: bool,
  cancelled: bool,
  /// The probe was not run: nothing listens on this port, which it needs.
  unbound: Option<u16>,
  outcome: Outcome,
}

/// Time as the wait sees it: real in `dev`, made up in the unit tests.
trait Clock {
  fn elapsed(&self) -> Duration;
  fn sleep(&mut self, pause: Duration);
  /// Until something listens on `port`, at most `most`.
  fn until_listening(&mut self, port: u16, most: Duration);
}

struct RealClock(Instant);

impl Clock for RealClock {
  fn elapsed(&self) -> Duration {
    self.0.elapsed()
  }

  fn sleep(&mut self, pause: Duration) {
    std::thread::sleep(pause);
  }

  fn until_listening(&mut self, port: u16, most: Duration) {
    let _ = listeners::wait_for(port, most);
  }
}

/// Looks until the service is ready, gone, the wait cancelled, or `start_timeout` passed —
/// in that order of precedence for one look — pausing between looks by `pause`.
fn wait(
  clock: &mut impl Clock,
  health: &Health,
  mut look: impl FnMut() -> Look,
  mut meanwhile: impl FnMut(Duration),
) -> Verdict {
  let mut tries = 0;
  loop {
    let seen = look();
    tries += 1;
    if seen.ready {
      return Verdict::Ready(clock.elapsed());
    }
    if seen.gone {
      return Verdict::Gone;
    }
    if seen.cancelled {
      return Verdict::Cancelled;
    }
    if clock.elapsed() >= health.start_timeout {
      return Verdict::TimedOut(tries, seen.outcome);
    }
    meanwhile(clock.elapsed());
    match seen.unbound {
      Some(port) => clock.until_listening(port, UNBOUND_PAUSE),
      None => clock.sleep(pause(clock.elapsed(), health.interval)),
    }
  }
}

/// True when a probe that just passed was answered by the service's current run: its
/// keeper and the main process the keeper recorded are alive (a keeper backing off before a
/// restart has none; a process alive after the probe was alive while it passed), and a probed
/// port of the service's is held by its own processes (a crash-looping service's port may be
/// answered by whatever took it between two runs).
fn its_own_answer(check: &Check, state: &StateDir) -> bool {
  let Some(keeper) = check.keeper else {
    return true;
  };
  keeper.is_alive()
    && state
      .read(&check.service)
      .is_some_and(|recorded| runs_now(&recorded, keeper))
    && check.answered_by_the_service()
}

/// The state file describes a run of this keeper's that has not ended: not an older
/// keeper's, not one whose exit is recorded, not one whose main process is gone (before the
/// keeper has recorded it).
fn runs_now(recorded: &crate::state::ServiceState, keeper: ProcessId) -> bool {
  recorded.keeper == keeper
    && recorded.exit.is_none()
    && recorded.process.is_some_and(ProcessId::is_alive)
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
mod tests;
