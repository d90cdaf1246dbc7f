//! `wait` against a made-up clock and made-up looks; `runs_now` against real processes.

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

  fn until_listening(&mut self, _port: u16, most: Duration) {
    self.0 += most;
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
    unbound: None,
    outcome: Outcome {
      ok: ready,
      ..Outcome::failed("connection refused".into())
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
    status: Some(200),
    ..Outcome::failed("HTTP 200".into())
  };
  let gone = || {
    looked += 1;
    looked > 3
  };
  let looks = looks_with(|| None, passing, || false, gone, &cancel);
  let verdict = wait(&mut clock, &health(Duration::from_secs(60)), looks, |_| {});
  assert!(matches!(verdict, Verdict::Gone));
  // The same passes from the service's own run are readiness, at the first look.
  let looks = looks_with(|| None, passing, || true, || false, &cancel);
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
fn nothing_is_probed_until_the_port_is_listened_on_and_then_at_once() {
  let mut clock = FakeClock(Duration::ZERO);
  let cancel = AtomicBool::new(false);
  let (mut looked, mut probed) = (0, 0);
  let unbound = || {
    looked += 1;
    (looked <= 3).then_some(8000)
  };
  let probe = || {
    probed += 1;
    Outcome {
      ok: true,
      ..Outcome::failed("HTTP 200".into())
    }
  };
  let looks = looks_with(unbound, probe, || true, || false, &cancel);
  let verdict = wait(&mut clock, &health(Duration::from_secs(60)), looks, |_| {});
  // Three looks skipped, each followed by a wait for the listen; the fourth probes.
  assert!(matches!(verdict, Verdict::Ready(after) if after == UNBOUND_PAUSE * 3));
  assert_eq!(probed, 1);
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
