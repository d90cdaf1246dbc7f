//! A `dev stop` wins over whatever is starting at that moment: nothing it did not reach is
//! started behind its back, and the start says it was stopped.

use std::{fs, process::Stdio, time::Duration};

use crate::harness::*;

/// `api` needs `web` healthy; `dev stop` runs the moment `web ready` is printed, and `up`
/// is held (test hook) between that line and `api`'s start: before the fix, `api` started
/// after the stop, without the dependency it requires, and `up -d` said "running".
#[test]
fn a_stop_while_up_starts_dependents_stops_them_and_up_says_so() {
  stop_while_web_is_ready(&["stop"], "every service");
}

/// The same with `dev stop web`: `api` needs `web`, so it is not started either.
#[test]
fn a_stop_of_the_dependency_while_up_starts_its_dependent_stops_the_start() {
  stop_while_web_is_ready(&["stop", "web"], "web");
}

fn stop_while_web_is_ready(stop_args: &[&str], what: &str) {
  let (web, api) = (free_port(), free_port());
  let test = Test::new().servers(&[
    server("web", web).mode("http"),
    server("api", api).field("depends_on: { web: healthy }"),
  ]);
  let err = test.path().join("up.err");
  let mut up = test
    .command(&["up", "-d"])
    .env("DEV_TEST_LAUNCH_DELAY_MS", "1500")
    .stdout(Stdio::null())
    .stderr(fs::File::create(&err).unwrap())
    .spawn()
    .unwrap();
  let said = || fs::read_to_string(&err).unwrap_or_default();
  wait_until_else(
    "web ready",
    Duration::from_secs(20),
    || said().contains("web ready"),
    said,
  );
  test.run(stop_args).success();
  let code = wait_child(&mut up, Duration::from_secs(30));
  let said = said();
  assert_ne!(
    code, 0,
    "a start cut short by a stop is not a success: {said}"
  );
  assert!(!said.contains("running in the background"), "{said}");
  assert!(
    said.contains(&format!(
      "api was not started: `dev stop` stopped {what} while it started"
    )),
    "{said}"
  );
  assert!(!is_listening(api), "api runs without web");
  assert!(
    test.processes().is_empty(),
    "left behind: {:?}",
    test.processes()
  );
}

/// `dev restart` of three services while `dev stop` runs: the first is restarted in place
/// (slow to be ready), the stop ends all three meanwhile, and the restart must not then
/// start the two it finds stopped — they were stopped after it began, by a stop that wins.
#[test]
fn a_stop_during_a_restart_is_not_undone_by_the_restart() {
  let ports = [free_port(), free_port(), free_port()];
  let test = Test::new().servers(&[
    server("s1", ports[0]).mode("http").env("DELAY", "2"),
    server("s2", ports[1]),
    server("s3", ports[2]),
  ]);
  test.run(&["up", "-d"]).success();
  let mut restart = test.spawn(&["restart"]);
  wait_until("s1 restarted", Duration::from_secs(20), || {
    test.spawned_output().1.contains("s1 restarted")
  });
  test.run(&["stop"]).success();
  let code = wait_child(&mut restart, Duration::from_secs(60));
  let said = test.spawned_output().1;
  assert_ne!(code, 0, "{said}");
  assert!(!said.contains("starting s2"), "{said}");
  for row in test.status_json().as_array().unwrap() {
    assert_ne!(
      row["state"], "running",
      "{row} came back after the stop:\n{said}"
    );
  }
  for port in ports {
    assert!(
      !is_listening(port),
      "port {port} listens after the stop:\n{said}"
    );
  }
}
