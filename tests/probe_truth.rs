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
  let (code, stderr) = crate::harness::wait_child_with_stderr(&mut dev, Duration::from_secs(30));
  // Either a later run was alive while the foreign server answered (the case that was
  // called ready), or the keeper saw the port taken and did not start one (what it does
  // since it looks before each run): never ready either way.
  let log = test.log("api");
  assert!(
    log.matches("api started").count() >= 2 || log.contains("api not restarted: port"),
    "{log}"
  );
  assert_eq!(code, 1, "{stderr}");
  assert!(
    stderr.contains("api exited with code 3 before it was ready"),
    "{stderr}"
  );
  assert!(!stderr.contains("api ready"), "{stderr}");
}

/// A server that takes connections but never answers, from its very first request: its
/// liveness probe times out, and that counts before any good answer (the start deadline,
/// 60 s by default, is for a service that is not listening yet).
#[test]
fn a_server_that_hangs_before_its_first_answer_is_restarted_by_its_liveness_probe() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .env("HANG", 0)
    .mode("http")
    .field(
      "liveness: { http: 'http://127.0.0.1:$PORT/', interval: 200ms, timeout: 300ms, retries: 3 }",
    )
    .field("max_restarts: 1")
    .field("restart_delay: 50ms")]);
  test.run(&["up", "-d"]).success();
  wait_until("api restarted as hung", Duration::from_secs(15), || {
    test.log("api").contains("gave up after 1 restart")
  });
  let log = test.log("api");
  assert_eq!(log.matches("; stopping it").count(), 2, "{log}");
  assert!(
    log.contains("api was not responding (3 liveness probes failed in a row"),
    "{log}"
  );
  test.wait_for_no_processes(Duration::from_secs(5));
}

/// A service with neither a port nor a probe that crashed is in `dev health`'s verdict: exit
/// 1, with how it ended. One that completed (exit 0) is not a failure.
#[test]
fn health_counts_a_crashed_service_that_has_no_probe() {
  let test = Test::with_config(
    "services:
  worker:
    run: echo working; exit 3
  once:
    run: echo done
",
  );
  test.run(&["up", "-d"]).success();
  wait_until("both ended", Duration::from_secs(10), || {
    test.processes().is_empty()
  });
  let done = test.args(&["health", "--json"]).status(1).run();
  assert!(
    done.stderr().contains("1 service is unhealthy: worker"),
    "{}",
    done.stderr()
  );
  let rows = done.json();
  let rows = rows.as_array().unwrap();
  assert_eq!(rows.len(), 1, "{rows:?}");
  assert_eq!(rows[0]["service"], "worker");
  assert_eq!(rows[0]["healthy"], false);
  assert_eq!(rows[0]["detail"], "exited with code 3");
}

/// A `log:` probe matched once is a fact of that run: after its line rotated out of the log
/// file, a dependent started later does not wait for it again, and `dev health` says healthy.
#[test]
fn a_log_line_rotated_out_of_the_file_still_counts_for_its_run() {
  let test = Test::with_config(
    "services:
  logp:
    run: echo logp ready; sleep 0.5; for i in $(seq 300); do echo filler line $i; done; sleep 60
    health: { log: 'logp ready', start_timeout: 3s }
    log: { max_size: 1KB, keep: 1 }
  after:
    run: sleep 60
    depends_on: { logp: healthy }
",
  );
  test.run(&["up", "-d", "logp"]).success();
  wait_until(
    "the line rotated out of the files",
    Duration::from_secs(10),
    || {
      test.log("logp").contains("filler line 300")
        && !test.log("logp").contains("logp ready")
        && !std::fs::read_to_string(test.path().join("logs/logp.log.1"))
          .unwrap_or_default()
          .contains("logp ready")
    },
  );
  let done = test.args(&["up", "-d", "after"]).status(0).run();
  assert!(!done.stderr().contains("not ready"), "{}", done.stderr());
  let health = test.args(&["health", "--json", "logp"]).status(0).run();
  assert_eq!(health.json()[0]["healthy"], true, "{}", health.stdout());
  test.run(&["stop"]).success();
}

/// A failing `exec` probe's output is its reason, and it is in no log: `dev up` shows its
/// last lines when the service is not ready in time, and `dev health` with the verdict.
#[test]
fn a_failing_exec_probe_shows_what_it_printed() {
  let test = Test::with_config(
    "services:
  api:
    run: sleep 60
    health: { exec: 'echo checking; test -f ok || { echo \"no ok file here\" >&2; exit 1; }', start_timeout: 1s }
",
  );
  let done = test.args(&["up", "-d"]).status(1).run();
  assert!(
    done
      .stderr()
      .contains("the probe's last output:\n  │ checking\n  │ no ok file here"),
    "{}",
    done.stderr()
  );
  test.write("ok", "");
  test.run(&["up", "-d"]).success();
  std::fs::remove_file(test.path().join("ok")).unwrap();
  let health = test.args(&["health", "--json"]).status(1).run();
  let row = &health.json()[0];
  assert_eq!(row["detail"], "exit code 1", "{row}");
  assert_eq!(
    row["output"],
    serde_json::json!(["checking", "no ok file here"]),
    "{row}"
  );
  let table = test.args(&["health"]).status(1).run();
  assert!(
    table.stdout().contains("exit code 1: no ok file here"),
    "{}",
    table.stdout()
  );
  test.run(&["stop"]).success();
}

/// During a restart back-off, `dev status` says the service comes back by itself, and when:
/// not "waiting for a change" (it watches nothing), and no uptime for a service that is down.
#[test]
fn status_during_a_restart_back_off_says_when_it_restarts() {
  let test = Test::with_config(
    "services:
  api:
    run: sleep 0.3; echo crashing; exit 7
    restart: on-failure
    max_restarts: 3
    restart_delay: 5s
",
  );
  test.run(&["up", "-d"]).success();
  wait_until("api backs off", Duration::from_secs(10), || {
    test.log("api").contains("restarting in 5.0s (1 of 3)")
  });
  let status = test.status_json();
  let row = &status[0];
  assert_eq!(row["state"], "exited", "{row}");
  assert_eq!(row["mode"], "restarting", "{row}");
  assert_eq!(row["uptime_ms"], serde_json::Value::Null, "{row}");
  assert_eq!(row["next_restart"]["attempt"], 1, "{row}");
  assert_eq!(row["next_restart"]["max"], 3, "{row}");
  assert!(
    row["next_restart"]["in_ms"].as_u64().unwrap() <= 5000,
    "{row}"
  );
  let table = test.run(&["status"]);
  assert!(
    table.stdout().contains("exited with code 7")
      && table.stdout().contains("(attempt 1 of 3)")
      && !table.stdout().contains("waiting for a change"),
    "{}",
    table.stdout()
  );
  test.run(&["stop"]).success();
}

/// A service without a probe or a port, in its crash back-off: its keeper lives, its run does
/// not. That is a row saying how it ended, and an unhealthy verdict.
#[test]
fn a_portless_service_in_its_crash_back_off_is_unhealthy() {
  let test = Test::with_config(
    "services:\n  api:\n    run: sleep 0.5; exit 7\n    restart: on-failure\n    max_restarts: 3\n    restart_delay: 60s\n",
  );
  test.run(&["up", "-d"]).success();
  wait_until("api is in its back-off", Duration::from_secs(15), || {
    !test.status_json()[0]["next_restart"].is_null()
  });
  let health = test.run(&["health"]);
  assert_eq!(health.code(), 1, "{}{}", health.stdout(), health.stderr());
  assert!(
    health
      .stdout()
      .contains("exited with code 7, restarting in"),
    "{}{}",
    health.stdout(),
    health.stderr()
  );
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(10));
}
