//! What users do to a project while its services run: edit the task file, move or delete
//! folders. `stop`, `status` and `logs` always work; paths are checked when something starts.

use std::{fs, time::Duration};

use crate::harness::*;

#[test]
fn stop_and_status_work_when_the_cwd_and_the_env_file_are_gone() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "env_file: .env\nservices:\n  api:\n    cwd: sub1\n    run: exec python3 -u ../server.py\n    port: {port}\n"
  ));
  fs::create_dir(test.path().join("sub1")).unwrap();
  test.write(".env", "GREETING=hi\n");
  test.run(&["up", "-d"]).success();
  fs::rename(test.path().join("sub1"), test.path().join("moved")).unwrap();
  fs::remove_file(test.path().join(".env")).unwrap();
  assert_eq!(test.status_json()[0]["state"], "running");
  test.run(&["logs", "api", "-n", "1"]).success();
  let stop = test.run(&["stop"]);
  stop.success();
  assert!(stop.stderr().contains("api stopped"), "{}", stop.stderr());
  test.wait_for_no_processes(Duration::from_secs(5));
  // Starting again is what needs them: a located error, exit 2, nothing started.
  let up = test.run(&["up", "-d"]);
  assert_eq!(up.code(), 2, "{}", up.stderr());
  assert!(
    up.stderr().contains("cannot read env file `.env`")
      && up.stderr().contains("devtasks.yaml:1:11"),
    "{}",
    up.stderr()
  );
  test.write(".env", "GREETING=hi\n");
  let up = test.run(&["up", "-d"]);
  assert_eq!(up.code(), 2, "{}", up.stderr());
  assert!(
    up.stderr().contains("directory `sub1` does not exist")
      && up.stderr().contains("devtasks.yaml:4:10"),
    "{}",
    up.stderr()
  );
  assert!(test.processes().is_empty());
}

#[test]
fn a_mistake_in_the_env_file_points_into_it() {
  let test = Test::with_config("services:\n  a:\n    run: sleep 1\n    env_file: vars.env\n");
  test.write("vars.env", "A=1\nB=\"never closed\nC=3\n");
  let up = test.run(&["up", "-d"]);
  assert_eq!(up.code(), 2, "{}", up.stderr());
  let stderr = up.stderr();
  assert!(stderr.contains("this \" quote is never closed"), "{stderr}");
  assert!(stderr.contains("vars.env:2:3"), "{stderr}");
  assert!(
    stderr.contains("read through `env_file:` at devtasks.yaml:4:15"),
    "{stderr}"
  );
}

#[test]
fn a_task_runs_in_a_directory_its_dep_creates() {
  let test = Test::with_config(
    "tasks:\n  prepare: mkdir -p build\n  inside: { run: pwd, cwd: build, deps: [prepare] }\n",
  );
  let done = test.args(&["inside"]).status(0).run();
  assert!(
    done.stdout().trim().ends_with("/build"),
    "{}",
    done.stdout()
  );
}

#[test]
fn a_renamed_service_is_still_shown_stopped_and_its_port_freed_for_the_new_name() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let old = test.pid_of("api").unwrap();
  test.write("devtasks.yaml", &server_config("api2", port, "plain", "5s"));
  // status and doctor still see it, under its old name.
  let status = test.run(&["status"]).stdout();
  assert!(
    status.contains("api (not in devtasks.yaml)  running"),
    "{status}"
  );
  let doctor = test.run(&["doctor"]).stdout();
  assert!(
    doctor.contains("api still runs") && doctor.contains("`dev stop api` stops it"),
    "{doctor}"
  );
  // Starting it under its new name stops the old one first: it is provably ours.
  let up = test.run(&["up", "-d"]);
  up.success();
  assert!(
    up.stderr()
      .contains("which is no longer in devtasks.yaml) to free port"),
    "{}",
    up.stderr()
  );
  assert!(!is_alive(old));
  let stop = test.run(&["stop"]);
  stop.success();
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn stop_covers_a_service_removed_from_the_task_file() {
  let test = Test::with_config("services:\n  a:\n    run: sleep 60\n  b:\n    run: sleep 60\n");
  test.run(&["up", "-d"]).success();
  test.write("devtasks.yaml", "services:\n  a:\n    run: sleep 60\n");
  let stop = test.run(&["stop"]);
  stop.success();
  assert!(
    stop.stderr().contains("b stopped (")
      && stop.stderr().contains("it is no longer in devtasks.yaml"),
    "{}",
    stop.stderr()
  );
  test.wait_for_no_processes(Duration::from_secs(10));
}

/// A Python server whose Ctrl+C cleanup takes 0.5 s and says whether it was cut short.
const GRACEFUL_PY: &str = "import os, sys, time
try:
    print('up', flush=True)
    while True: time.sleep(0.01)
except KeyboardInterrupt:
    try:
        print('cleanup started', flush=True)
        time.sleep(0.5)
        print('cleanup done', flush=True)
    except KeyboardInterrupt:
        print('SECOND SIGNAL: cleanup cut short', flush=True)
";

fn graceful_test() -> Test {
  let test = Test::with_config(
    "services:\n  api:\n    run: exec python3 -u graceful.py\n    stop: { signal: INT, grace: 5s }\n    health: { log: '^up' }\n",
  );
  test.write("graceful.py", GRACEFUL_PY);
  test
}

#[test]
fn the_stop_signal_reaches_each_process_once() {
  let test = graceful_test();
  for _ in 0..10 {
    test.run(&["up", "-d"]).success();
    test.run(&["stop"]).success();
  }
  let log = test.log("api");
  assert_eq!(log.matches("cleanup done").count(), 10, "{log}");
  assert!(!log.contains("SECOND SIGNAL"), "{log}");
}

#[test]
fn a_stop_during_a_restart_wins_and_stays_graceful() {
  let test = graceful_test();
  test.run(&["up", "-d"]).success();
  let restart = test
    .command(&["restart"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
  wait_until("the restart began", Duration::from_secs(5), || {
    test.log("api").contains("cleanup started")
  });
  let stop = test.run(&["stop"]);
  stop.success();
  let restart = restart.wait_with_output().unwrap();
  let said = String::from_utf8_lossy(&restart.stderr);
  assert_eq!(restart.status.code(), Some(1), "{said}");
  assert!(
    said.contains("api was stopped before it restarted"),
    "{said}"
  );
  let log = test.log("api");
  assert!(
    log.contains("cleanup done"),
    "the graceful shutdown ran: {log}"
  );
  assert!(!log.contains("SECOND SIGNAL"), "{log}");
  assert_eq!(
    log.matches("api started").count(),
    1,
    "no new instance: {log}"
  );
  assert_eq!(test.status_json()[0]["state"], "stopped");
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn a_deleted_log_directory_is_recreated_and_logging_goes_on() {
  let test = Test::with_config(
    "services:\n  ticker:\n    run: 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done'\n",
  );
  test.run(&["up", "-d"]).success();
  wait_until("ticks", Duration::from_secs(5), || {
    test.log("ticker").contains("tick 3")
  });
  fs::remove_dir_all(test.path().join("logs")).unwrap();
  wait_until("a new log", Duration::from_secs(5), || {
    test
      .log("ticker")
      .contains("the log file was deleted; logging goes on in a new one")
  });
  wait_until("ticks go on in it", Duration::from_secs(5), || {
    test
      .log("ticker")
      .lines()
      .filter(|l| l.starts_with("tick"))
      .count()
      >= 3
  });
  let logs = test.run(&["logs", "ticker", "-n", "1"]);
  assert!(logs.stdout().starts_with("tick"), "{}", logs.stdout());
  test.run(&["stop"]).success();
}

#[test]
fn a_deleted_state_directory_neither_hides_the_service_nor_lets_a_second_one_start() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  fs::remove_dir_all(test.path().join(".dev")).unwrap();
  assert_eq!(test.pid_of("api"), Some(pid), "status must not say stopped");
  let again = test.run(&["up", "-d"]);
  assert_eq!(again.code(), 1, "{}", again.stderr());
  assert!(
    again.stderr().contains("api is already running"),
    "{}",
    again.stderr()
  );
  assert_eq!(test.processes().len(), 2, "one keeper, one server");
  assert!(
    test.path().join(".dev/state/api.state.json").exists(),
    "the keeper re-created its state"
  );
  assert!(
    test
      .log("api")
      .contains("its state in .dev/ was deleted; re-created it"),
    "{}",
    test.log("api")
  );
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

#[test]
fn a_restart_takes_an_edited_port() {
  let (old, new) = (free_port(), free_port());
  let test = Test::with_config(&server_config("api", old, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  test.write("devtasks.yaml", &server_config("api", new, "plain", "5s"));
  let restart = test.run(&["api-restart"]);
  restart.success();
  assert!(
    restart
      .stderr()
      .contains(&format!("api moves from port {old} to {new}")),
    "{}",
    restart.stderr()
  );
  assert_eq!(test.status_json()[0]["port"], new);
  assert!(is_listening(new) && is_bindable(old));
  test.run(&["stop"]).success();
}

#[test]
fn a_moved_project_restarts_its_services_in_the_new_place_and_leaves_no_ghost_behind() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let old = test.pid_of("api").unwrap();
  let original = test.path().to_path_buf();
  let moved = original.with_file_name(format!(
    "{}-moved",
    original.file_name().unwrap().to_string_lossy()
  ));
  fs::rename(&original, &moved).unwrap();
  let run = |args: &[&str]| {
    let output = test
      .command(args)
      .current_dir(&moved)
      .stdout(std::process::Stdio::piped())
      .stderr(std::process::Stdio::piped())
      .output()
      .unwrap();
    (
      output.status.code(),
      String::from_utf8_lossy(&output.stderr).into_owned(),
    )
  };
  let (code, said) = run(&["api-restart"]);
  assert_eq!(code, Some(0), "{said}");
  assert!(
    said.contains("before the project moved here; stopping it to start it here"),
    "{said}"
  );
  assert!(!is_alive(old));
  assert!(!original.exists(), "the old place was re-created");
  assert!(is_listening(port));
  let (code, said) = run(&["stop"]);
  assert_eq!(code, Some(0), "{said}");
  fs::rename(&moved, &original).unwrap();
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn a_copy_of_a_project_does_not_take_the_originals_services_for_its_own() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  let copy = tempfile::Builder::new()
    .prefix("dev-copy-")
    .tempdir()
    .unwrap();
  let status = std::process::Command::new("cp")
    .arg("-r")
    .arg(format!("{}/.", test.path().display()))
    .arg(copy.path())
    .status()
    .unwrap();
  assert!(status.success());
  let in_copy = |args: &[&str]| {
    test
      .command(args)
      .current_dir(copy.path())
      .stdout(std::process::Stdio::piped())
      .stderr(std::process::Stdio::piped())
      .output()
      .unwrap()
  };
  let status = in_copy(&["status", "--json"]);
  let rows: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
  assert_eq!(rows[0]["state"], "stopped", "{rows}");
  assert!(in_copy(&["stop"]).status.success());
  assert!(is_alive(pid), "a stop in the copy stopped the original");
  assert_eq!(test.pid_of("api"), Some(pid));
  test.run(&["stop"]).success();
}

#[test]
fn a_stop_from_another_terminal_during_the_readiness_wait_is_called_a_stop() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .env("WARMUP", "30")
    .mode("http")
    .field("health: { http: 'http://127.0.0.1:$PORT/' }")]);
  let up = test
    .command(&["up", "-d"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
  wait_until("api listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  test.run(&["stop"]).success();
  let output = up.wait_with_output().unwrap();
  let said = String::from_utf8_lossy(&output.stderr);
  assert_eq!(output.status.code(), Some(1), "{said}");
  assert!(
    said.contains("error: api was stopped before it was ready (by `dev stop`"),
    "{said}"
  );
  assert!(!said.contains("exited"), "{said}");
  assert!(!said.contains("start_timeout"), "{said}");
}
