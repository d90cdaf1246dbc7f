//! Probes say only what is true of the service itself: an answer from a process that took a
//! crash-looping service's port is not readiness.

use std::{process::Stdio, time::Duration};

use crate::harness::*;

/// A service with an `http` probe crash-loops (alive half a second each run) while a foreign
/// server answering 200 takes its port during the back-off: the foreign answers that come
/// while a later run is alive are not that run being ready.
#[test]
fn a_foreign_answer_while_a_crash_looping_service_runs_again_is_not_readiness() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: echo crashing; sleep 0.5; exit 3
    port: {port}
    health: {{ http: 'http://127.0.0.1:$PORT/' }}
    restart: on-failure
    max_restarts: 2
    restart_delay: 1s
"
  ));
  let mut dev = test
    .command(&["up", "-d"])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
  wait_until("api crashed once", Duration::from_secs(10), || {
    test.log("api").contains("restarting in 1.0s")
  });
  let _foreign = test.foreign(port, "127.0.0.1", "http");
  let code = wait_child(&mut dev, Duration::from_secs(30));
  let mut stderr = String::new();
  std::io::Read::read_to_string(dev.stderr.as_mut().unwrap(), &mut stderr).unwrap();
  // The foreign server answered while a run was alive: the case that was called ready.
  assert!(
    test.log("api").matches("api started").count() >= 2,
    "{}",
    test.log("api")
  );
  assert_eq!(code, 1, "{stderr}");
  assert!(
    stderr.contains("api exited with code 3 before it was ready"),
    "{stderr}"
  );
  assert!(!stderr.contains("api ready"), "{stderr}");
}
