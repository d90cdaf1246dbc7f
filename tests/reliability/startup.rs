//! A start is reported only once the service's readiness condition held while it was alive:
//! a service that exits during start-up is always reported as such, whatever the timing of
//! its exit and of the readiness watcher.

use crate::harness::*;

fn broken(port: u16) -> Test {
  Test::with_config(&format!(
    "services:\n  broken:\n    run: sh -c 'echo about-to-fail; exit 3'\n    port: {port}\n"
  ))
}

#[track_caller]
fn assert_reported_failure(done: &Done) {
  assert_eq!(done.code(), 1, "{}", done.stderr());
  let stderr = done.stderr();
  assert!(
    stderr.contains("error: broken exited with code 3 before it was ready"),
    "{stderr}"
  );
  assert!(stderr.contains("about-to-fail"), "the log tail: {stderr}");
  assert!(!stderr.contains("running in the background"), "{stderr}");
}

#[test]
fn a_service_that_exits_at_once_is_never_reported_running() {
  let test = broken(free_port());
  let runs = 200;
  for _ in 0..runs {
    assert_reported_failure(&test.run(&["up", "-d", "broken"]));
  }
  println!(
    "figure: {runs} starts of a service that exits at once: {runs} reported `exited with code 3 before it was ready`, 0 reported running"
  );
  assert!(test.processes().is_empty(), "{:?}", test.processes());
}

/// The interleaving that used to lie (the keeper's exit seen before the readiness watcher's
/// first probe), forced every time by delaying the watcher.
#[test]
fn an_exit_seen_before_the_first_probe_is_still_reported() {
  let test = broken(free_port());
  for _ in 0..3 {
    let done = test.run_with_env(
      &["up", "-d", "broken"],
      &[("DEV_TEST_READINESS_DELAY_MS", "300")],
    );
    assert_reported_failure(&done);
  }
}
