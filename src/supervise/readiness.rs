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
/// the service's own.
fn looks<'a>(
  check: &'a Check,
  state: &'a StateDir,
  cancel: &'a AtomicBool,
) -> impl FnMut() -> Look + 'a {
  looks_with(
    || check.run_in_run(state),
    || its_own_answer(check, state),
    || check.keeper.is_some_and(|keeper| !keeper.is_alive()),
    cancel,
  )
}

/// `looks` with the probe and the two questions about the service as functions, so the unit
/// tests below can answer them.
fn looks_with<'a>(
  mut probe: impl FnMut() -> Outcome + 'a,
  mut own: impl FnMut() -> bool + 'a,
  mut gone: impl FnMut() -> bool + 'a,
  cancel: &'a AtomicBool,
) -> impl FnMut() -> Look + 'a {
  move || {
    let outcome = probe();
    Look {
      ready: outcome.ok && own(),
      gone: gone(),
      cancelled: cancel.load(Ordering::Relaxed),
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
  outcome: Outcome,
}

/// Time as the wait sees it: real in `dev`, made up in the unit tests.
trait Clock {
  fn elapsed(&self) -> Duration;
  fn sleep(&mut self, pause: Duration);
}

struct RealClock(Instant);

impl Clock for RealClock {
  fn elapsed(&self) -> Duration {
    self.0.elapsed()
  }

  fn sleep(&mut self, pause: Duration) {
    std::thread::sleep(pause);
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
    clock.sleep(pause(clock.elapsed(), health.interval));
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
mod tests {
  use super::*;

  /// Time that passes only when the wait sleeps.
  struct FakeClock(Duration);

  impl Clock for FakeClock {
    fn elapsed(&self) -> Duration {
      self.0
    }

    fn sleep(&mut self, pause: Duration) {
      self.0 += pause;
    }
  }

  fn health(start_timeout: Duration) -> Health {
    Health {
      probe: Probe::Listening,
      interval: Duration::from_secs(2),
      timeout: Duration::from_secs(1),
      start_timeout,
      retries: 3,
    }
  }

  fn look(ready: bool, gone: bool, cancelled: bool) -> Look {
    Look {
      ready,
      gone,
      cancelled,
      outcome: Outcome {
        ok: ready,
        detail: "connection refused".into(),
        status: None,
        latency: Duration::ZERO,
        output: Vec::new(),
      },
    }
  }

  #[test]
  fn ready_at_the_first_look_that_passes() {
    let mut clock = FakeClock(Duration::ZERO);
    let mut looks = 0;
    let verdict = wait(
      &mut clock,
      &health(Duration::from_secs(60)),
      || {
        looks += 1;
        look(looks == 5, false, false)
      },
      |_| {},
    );
    assert!(matches!(verdict, Verdict::Ready(after) if after == Duration::from_millis(4)));
  }

  #[test]
  fn a_deadline_counts_every_probe_at_the_pace_of_pause() {
    let mut clock = FakeClock(Duration::ZERO);
    let verdict = wait(
      &mut clock,
      &health(Duration::from_secs(12)),
      || look(false, false, false),
      |_| {},
    );
    // 2000 looks 1 ms apart, 1600 looks 5 ms apart, then 100 ms apart to 12 s.
    let Verdict::TimedOut(tries, last) = verdict else {
      panic!("not a time-out");
    };
    assert_eq!(tries, 2000 + 1600 + 20 + 1);
    assert_eq!(last.detail, "connection refused");
  }

  #[test]
  fn a_dead_service_or_a_cancel_ends_the_wait_before_its_deadline() {
    let mut clock = FakeClock(Duration::ZERO);
    let deadline = health(Duration::from_secs(60));
    let verdict = wait(&mut clock, &deadline, || look(false, true, true), |_| {});
    assert!(matches!(verdict, Verdict::Gone), "gone wins over cancelled");
    let verdict = wait(&mut clock, &deadline, || look(false, false, true), |_| {});
    assert!(matches!(verdict, Verdict::Cancelled));
    assert!(clock.0 < Duration::from_millis(10));
  }

  #[test]
  fn a_pass_from_a_service_that_died_meanwhile_is_not_readiness() {
    // Every probe passes (another process answers on the port), but the answer is never the
    // service's own; after a few looks its keeper is gone too. The wait must say gone.
    let mut clock = FakeClock(Duration::ZERO);
    let cancel = AtomicBool::new(false);
    let mut looked = 0;
    let passing = || Outcome {
      ok: true,
      detail: "HTTP 200".into(),
      status: Some(200),
      latency: Duration::ZERO,
      output: Vec::new(),
    };
    let gone = || {
      looked += 1;
      looked > 3
    };
    let looks = looks_with(passing, || false, gone, &cancel);
    let verdict = wait(&mut clock, &health(Duration::from_secs(60)), looks, |_| {});
    assert!(matches!(verdict, Verdict::Gone));
    // The same passes from the service's own run are readiness, at the first look.
    let looks = looks_with(passing, || true, || false, &cancel);
    let verdict = wait(&mut clock, &health(Duration::from_secs(60)), looks, |_| {});
    assert!(matches!(verdict, Verdict::Ready(_)));
  }

  /// A state file as a keeper writes it: `keeper` and `process` as given, `exit` if ended.
  fn recorded(keeper: ProcessId, process: ProcessId, ended: bool) -> crate::state::ServiceState {
    serde_json::from_value(serde_json::json!({
      "service": "api", "keeper": keeper, "process": process, "pgid": process.pid,
      "token": "t", "port": null, "command": "serve", "log": "logs/api.log",
      "started_at": 0, "supervisor": null,
      "exit": if ended { serde_json::json!({"code": 3, "signal": null, "at": 0}) } else { serde_json::Value::Null },
    }))
    .unwrap()
  }

  #[test]
  fn only_the_current_keepers_unended_live_run_answers() {
    let me = ProcessId::of(std::process::id()).unwrap();
    /// Killed and reaped however the test ends.
    struct Sleeper(std::process::Child);
    impl Drop for Sleeper {
      fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
      }
    }
    let sleeper = || {
      Sleeper(
        std::process::Command::new("sleep")
          .arg("30")
          .spawn()
          .unwrap(),
      )
    };
    let (other, ended) = (sleeper(), sleeper());
    let other_keeper = ProcessId::of(other.0.id()).unwrap();
    let gone = ProcessId::of(ended.0.id()).unwrap();
    drop(ended);
    assert!(runs_now(&recorded(me, me, false), me), "the current run");
    assert!(
      !runs_now(&recorded(other_keeper, me, false), me),
      "another keeper's run"
    );
    assert!(
      !runs_now(&recorded(me, me, true), me),
      "a run whose exit is recorded"
    );
    assert!(
      !runs_now(&recorded(me, gone, false), me),
      "a main process that is gone"
    );
  }

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
