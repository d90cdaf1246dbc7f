//! How a stop ends services: a service's shutdown is left to finish its own work within the
//! grace, and a dependency is signalled only once everything that depends on it has stopped.

use std::{
  fs,
  process::{Command, Stdio},
  time::Duration,
};

use crate::harness::*;

under_both_containments!(a_process_the_shutdown_handler_starts_is_not_signalled);

/// The service's TERM handler runs a cleanup command and waits for it. Before the fix, the
/// keeper found the new child during the grace and sent it TERM too: `rc=-15`.
fn a_process_the_shutdown_handler_starts_is_not_signalled(how: Containment) {
  let test = Test::with_config("services:\n  app:\n    run: python3 -u app.py\n").contained(how);
  test.write(
    "app.py",
    "import signal, subprocess, sys, time\n\
     def h(s, f):\n\
     \x20   r = subprocess.run(['sleep', '0.3']).returncode\n\
     \x20   print(f'cleanup child rc={r}', flush=True)\n\
     \x20   sys.exit(0)\n\
     signal.signal(signal.SIGTERM, h)\n\
     print('up', flush=True)\n\
     while True:\n\
     \x20   time.sleep(1)\n",
  );
  test.run(&["up", "-d"]).success();
  wait_until("app is up", Duration::from_secs(10), || {
    test.log("app").contains("up")
  });
  test.run(&["stop"]).success();
  let log = test.log("app");
  assert!(log.contains("cleanup child rc=0"), "{log}");
  test.wait_for_no_processes(Duration::from_secs(10));
}

/// `app` depends on `db`; each writes to one shared file when its TERM arrives and when its
/// shutdown is over. Before the fix, `db` got TERM while `app` was still shutting down.
#[test]
fn a_stop_signals_a_dependency_only_after_its_dependents_stopped() {
  let test = app_on_db();
  test.run(&["up", "-d"]).success();
  test.run(&["stop"]).success();
  assert_dependents_first(&test);
}

/// The same when the task file cannot be read (mid-edit, a checkout): the order comes from
/// what the services' keepers recorded when they started. Before, every service got its
/// signal at once, the dependency first.
#[test]
fn a_stop_without_a_readable_task_file_still_takes_dependents_first() {
  let test = app_on_db();
  test.run(&["up", "-d"]).success();
  test.write("devtasks.yaml", "services: [ {{{\n");
  test.run(&["stop"]).success();
  assert_dependents_first(&test);
}

/// The same with Ctrl+C of a foreground `dev up`.
#[test]
fn ctrl_c_of_up_signals_a_dependency_only_after_its_dependents_stopped() {
  let test = app_on_db();
  let mut up = test
    .command(&["up"])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  wait_until("both run", Duration::from_secs(10), || {
    test.status_json()[1]["state"] == "running" && test.status_json()[0]["state"] == "running"
  });
  let _ = Command::new("kill")
    .args(["-INT", &up.id().to_string()])
    .status();
  wait_until("up ended", Duration::from_secs(20), || {
    up.try_wait().unwrap().is_some()
  });
  assert_dependents_first(&test);
}

fn app_on_db() -> Test {
  let test = Test::new();
  let order = test.path().join("order");
  let order = order.display();
  let service = |name: &str| {
    format!(
      "trap 'echo {name} TERM >> {order}; sleep 0.3; echo {name} done >> {order}; exit 0' TERM; \
       while :; do sleep 0.1; done"
    )
  };
  test.config(&format!(
    "services:\n  db:\n    run: \"{}\"\n  app:\n    run: \"{}\"\n    depends_on: [db]\n",
    service("db"),
    service("app"),
  ))
}

fn assert_dependents_first(test: &Test) {
  let lines = fs::read_to_string(test.path().join("order")).unwrap_or_default();
  assert_eq!(
    lines.lines().collect::<Vec<_>>(),
    ["app TERM", "app done", "db TERM", "db done"],
    "{lines}"
  );
  test.wait_for_no_processes(Duration::from_secs(10));
}
