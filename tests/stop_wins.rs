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
