//! `dev wait`: after `dev up -d`, block until the services are ready, for scripts and CI.

use std::time::Duration;

use crate::harness::*;

/// Started beside the wait, as a script does (`dev up -d & dev wait`): the wait returns once
/// the server answers, and not before.
#[test]
fn wait_returns_once_a_service_started_beside_it_is_ready() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).env("DELAY", "1").mode("http")]);
  let mut up = test.spawn(&["up", "-d"]);
  let done = test.args(&["wait", "api", "--timeout", "30s"]).run();
  done.success();
  assert!(is_listening(port), "ready said before the server listened");
  assert!(done.stderr().contains("api ready"), "{}", done.stderr());
  wait_child(&mut up, Duration::from_secs(20));
  test.run(&["stop"]).success();
}

/// A service that crashes for good while the wait runs fails it at once, naming it, with the
/// end of its output: not after the whole timeout.
#[test]
fn a_service_that_ends_for_good_fails_the_wait_with_its_output() {
  let test = Test::with_config(
    "services:\n  bad:\n    run: sleep 0.5; echo oops; exit 3\n    health: {exec: 'false'}\n",
  );
  let mut up = test.spawn(&["up", "-d"]);
  let done = test.args(&["wait", "--timeout", "60s"]).status(1).run();
  let said = done.stderr();
  assert!(said.contains("1 service not ready (ended): bad"), "{said}");
  assert!(said.contains("│ oops"), "{said}");
  wait_child(&mut up, Duration::from_secs(20));
}

/// Something else answering on a service's port is not that service being ready, and a
/// service that is not running is not ready: the wait times out naming it.
#[test]
fn a_foreign_answer_on_the_port_of_a_service_not_running_is_not_ready() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).mode("http")]);
  let _foreign = test.foreign(port, "127.0.0.1", "http");
  let done = test.args(&["wait", "--timeout", "500ms"]).status(1).run();
  assert!(
    done
      .stderr()
      .contains("1 service not ready (after 500ms): api"),
    "{}",
    done.stderr()
  );
  assert!(
    done.stderr().contains("api not ready: not running"),
    "{}",
    done.stderr()
  );
}

#[test]
fn waiting_for_an_unknown_service_is_an_error_naming_it() {
  let test = Test::new().servers(&[server("api", free_port())]);
  let done = test.args(&["wait", "apii"]).status(2).run();
  assert!(done.stderr().contains("`apii`"), "{}", done.stderr());
  assert!(done.stderr().contains("api"), "{}", done.stderr());
}

/// A running service that has not bound yet, while something else answers its health URL on
/// its port: not ready (found by an outside tester: the wait said ready, then the service died
/// of EADDRINUSE).
#[test]
fn a_foreign_answer_while_the_service_runs_but_has_not_bound_is_not_ready() {
  let port = free_port();
  let test =
    Test::new().servers(&[server("api", port)
      .env("DELAY", "30")
      .mode("http")
      .field(&format!(
        "health: {{ http: 'http://127.0.0.1:{port}/', start_timeout: 60s }}"
      ))]);
  let mut up = test.spawn(&["up", "-d"]);
  wait_until("api started", std::time::Duration::from_secs(10), || {
    test.log("api").contains("starting at")
  });
  let _foreign = test.foreign(port, "127.0.0.1", "http");
  let done = test
    .args(&["wait", "api", "--timeout", "1s"])
    .status(1)
    .run();
  assert!(
    done
      .stderr()
      .contains("api not ready: answered by another process"),
    "{}",
    done.stderr()
  );
  test.run(&["stop"]);
  wait_child(&mut up, std::time::Duration::from_secs(20));
}

/// A service that had already ended for good when the wait began fails it after a short
/// grace, not at the whole timeout.
#[test]
fn a_service_that_ended_before_the_wait_fails_it_soon() {
  let test = Test::with_config(
    "services:\n  bad:\n    run: echo oops; exit 3\n    health: {exec: 'false'}\n",
  );
  test.args(&["up", "-d"]).status(1).run();
  // Into the next second: the exit was recorded before the wait began.
  std::thread::sleep(std::time::Duration::from_millis(1100));
  let done = test.args(&["wait", "--timeout", "20s"]).status(1).run();
  assert!(
    done.stderr().contains("1 service not ready (ended): bad"),
    "{}",
    done.stderr()
  );
}

/// A service with neither a port nor a probe is ready while it runs — and not ready when it
/// is stopped or was never started: `dev wait web` must not say ready for nothing.
#[test]
fn a_service_without_a_probe_that_is_not_running_is_not_ready() {
  let test = Test::with_config(
    "services:\n  web:\n    run: sleep 300\n  worker:\n    run: sleep 301\n    profiles: [workers]\n",
  );
  test.run(&["up", "-d", "--profile", "workers"]).success();
  test
    .args(&["wait", "web", "--timeout", "1s"])
    .status(1)
    .stderr_contains("web not ready: not running")
    .run();
  test.run(&["up", "-d", "web"]).success();
  test.args(&["wait", "web"]).status(0).run();
  test.run(&["stop"]).success();
  test
    .args(&["wait", "worker", "--timeout", "1s"])
    .status(1)
    .stderr_contains("worker not ready: not running")
    .run();
}
