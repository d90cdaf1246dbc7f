//! What runs is known from the state and the machine's ledger alone: `stop` and `status`
//! work without a readable task file, and no running service of a project becomes invisible
//! when its `.dev/` is moved, copied or deleted.

use std::{fs, time::Duration};

use crate::harness::*;

fn stop_and_status_without_a_readable_task_file(break_it: impl Fn(&Test)) {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  break_it(&test);
  let status = test.run(&["status"]);
  status.success();
  assert!(
    status.stderr().contains("could not read the task file"),
    "{}",
    status.stderr()
  );
  assert!(
    status.stdout().contains("running") && status.stdout().contains(&pid.to_string()),
    "{}",
    status.stdout()
  );
  let stop = test.run(&["stop"]);
  stop.success();
  assert!(stop.stderr().contains("api stopped"), "{}", stop.stderr());
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

#[test]
fn stop_and_status_work_from_the_state_when_the_task_file_is_broken() {
  stop_and_status_without_a_readable_task_file(|test| {
    test.write("devtasks.yaml", "services: [\n");
  });
}

#[test]
fn stop_and_status_work_from_the_state_when_the_task_file_is_gone() {
  stop_and_status_without_a_readable_task_file(|test| {
    fs::remove_file(test.path().join("devtasks.yaml")).unwrap();
  });
}
