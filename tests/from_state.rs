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

/// A server whose main process forks a child that keeps the listening socket and ignores
/// SIGTERM, then crashes once `crash` exists.
const CRASHING_PARENT: &str = r#"import os, signal, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(os.environ["PORT"])))
s.listen()
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)
print("up", flush=True)
while not os.path.exists("crash"):
    time.sleep(0.05)
sys.exit(1)
"#;

#[test]
fn a_dead_main_process_is_never_shown_running_nor_healthy_while_its_child_ends() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u parent.py\n    port: {port}\n    stop: {{ grace: 15s }}\n    health: {{ tcp: '127.0.0.1:{port}' }}\n"
  ));
  test.write("parent.py", CRASHING_PARENT);
  test.run(&["up", "-d"]).success();
  let main = test.pid_of("api").unwrap();
  test.write("crash", "");
  wait_until("the main process exited", Duration::from_secs(10), || {
    !is_alive(main)
  });
  assert!(is_listening(port), "the child still holds the port");
  let status = test.status_json();
  assert_eq!(status[0]["state"], "ending", "{status}");
  assert_eq!(status[0]["pid"], serde_json::Value::Null, "{status}");
  let table = test.run(&["status"]);
  assert!(
    table.stdout().contains("exited, 1 process still ending"),
    "{}",
    table.stdout()
  );
  let health = test.run(&["health"]);
  assert_ne!(health.code(), 0, "{}", health.stdout());
  assert!(!health.stdout().contains(" healthy"), "{}", health.stdout());
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(25));
}
