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
  // The verbs derived from a service's name, and `logs`, work from the state too.
  for args in [&["api-status"][..], &["api-logs"], &["logs", "api"]] {
    let done = test.run(args);
    assert_eq!(done.code(), 0, "dev {args:?}: {}", done.stderr());
    assert!(
      done.stderr().contains("could not read the task file"),
      "dev {args:?}: {}",
      done.stderr()
    );
  }
  let stop = test.run(&["api-stop"]);
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
  wait_until("status says how it ended", Duration::from_secs(10), || {
    test.status_json()[0]["exit_code"] == 1
  });
  let again = test.run(&["up", "-d", "api"]);
  assert_ne!(again.code(), 0);
  assert!(
    again
      .stderr()
      .contains("api's last run ended; 1 of its processes is still being stopped")
      && !again.stderr().contains("already running"),
    "{}",
    again.stderr()
  );
  let doctor = test.run(&["doctor"]);
  assert!(
    !doctor.stdout().contains("api runs there"),
    "{}",
    doctor.stdout()
  );
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(25));
}

/// `dev <args>` in `dir`: (exit code, stdout, stderr).
fn run_in(test: &Test, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
  let output = test
    .command(args)
    .current_dir(dir)
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .output()
    .unwrap();
  (
    output.status.code(),
    String::from_utf8_lossy(&output.stdout).into_owned(),
    String::from_utf8_lossy(&output.stderr).into_owned(),
  )
}

fn moved_path(test: &Test) -> std::path::PathBuf {
  let original = test.path();
  original.with_file_name(format!(
    "{}-moved",
    original.file_name().unwrap().to_string_lossy()
  ))
}

#[test]
fn a_moved_project_whose_state_was_deleted_still_sees_and_stops_its_services() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  let moved = moved_path(&test);
  fs::rename(test.path(), &moved).unwrap();
  fs::remove_dir_all(moved.join(".dev")).unwrap();
  let (code, out, err) = run_in(&test, &moved, &["status"]);
  assert_eq!(code, Some(0), "{err}");
  assert!(
    out.contains("running") && out.contains(&pid.to_string()),
    "{out}"
  );
  let recreated = moved.join(".dev/state/api.state.json");
  let root = || -> Option<String> {
    let state: serde_json::Value = serde_json::from_slice(&fs::read(&recreated).ok()?).ok()?;
    Some(state["root"].as_str()?.to_owned())
  };
  wait_until(
    "the keeper re-created its state",
    Duration::from_secs(10),
    || root().is_some(),
  );
  assert_eq!(
    root().map(std::path::PathBuf::from),
    Some(fs::canonicalize(&moved).unwrap()),
    "the re-created state names the old root"
  );
  let (code, _, err) = run_in(&test, &moved, &["up", "-d"]);
  assert_eq!(code, Some(1), "{err}");
  assert!(err.contains("api is already running"), "{err}");
  let (code, _, err) = run_in(&test, &moved, &["stop"]);
  assert_eq!(code, Some(0), "{err}");
  assert!(err.contains("api stopped"), "{err}");
  fs::rename(&moved, test.path()).unwrap();
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

/// Every file under `dir` with its contents, to see that nothing was written there.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
  let mut files = Vec::new();
  for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
    let path = entry.path();
    if path.is_dir() {
      files.extend(snapshot(&path));
    } else {
      files.push((path.clone(), fs::read(&path).unwrap_or_default()));
    }
  }
  files.sort();
  files
}

#[test]
fn after_a_move_and_a_copy_back_the_original_stops_its_services_and_the_copy_is_never_written() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  let moved = moved_path(&test);
  fs::rename(test.path(), &moved).unwrap();
  let copied = std::process::Command::new("cp")
    .arg("-r")
    .arg(&moved)
    .arg(test.path())
    .status()
    .unwrap();
  assert!(copied.success());
  let before = snapshot(&test.path().join(".dev"));
  let (code, out, err) = run_in(&test, &moved, &["status"]);
  assert_eq!(code, Some(0), "{err}");
  assert!(out.contains("running"), "{out}");
  let (code, _, err) = run_in(&test, &moved, &["stop"]);
  assert_eq!(code, Some(0), "{err}");
  assert!(err.contains("api stopped"), "{err}");
  wait_until(
    "the original's service ended",
    Duration::from_secs(10),
    || !is_alive(pid),
  );
  assert!(
    snapshot(&test.path().join(".dev")) == before,
    "the original's keeper wrote into the copy's .dev/"
  );
  let (code, out, err) = run_in(&test, test.path(), &["status"]);
  assert_eq!(code, Some(0), "{err}");
  assert!(out.contains("stopped"), "{out}");
  fs::remove_dir_all(test.path()).unwrap();
  fs::rename(&moved, test.path()).unwrap();
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

#[test]
fn a_renamed_service_whose_state_was_deleted_is_still_shown_and_stopped() {
  let (test, port, pid) = api_running_with_its_state_deleted();
  test.write("devtasks.yaml", "services:\n  other:\n    run: sleep 60\n");
  let status = test.run(&["status"]);
  assert!(
    status
      .stdout()
      .contains("api (not in devtasks.yaml)  running"),
    "{}",
    status.stdout()
  );
  let stop = test.run(&["stop"]);
  stop.success();
  assert!(stop.stderr().contains("api stopped"), "{}", stop.stderr());
  wait_until("api ended", Duration::from_secs(10), || !is_alive(pid));
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

#[test]
fn stop_ends_a_service_whose_state_cannot_be_written_again() {
  let (test, port, pid) = api_running_with_its_state_deleted();
  // In the way of the keeper's re-created state: only the machine's ledger knows it now.
  test.write(".dev", "not a directory");
  let stop = test.run(&["stop"]);
  stop.success();
  assert!(stop.stderr().contains("api stopped"), "{}", stop.stderr());
  wait_until("api ended", Duration::from_secs(10), || !is_alive(pid));
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

/// `api` up in the background, then `.dev/` deleted under it: (the test, its port, its pid).
fn api_running_with_its_state_deleted() -> (Test, u16, u32) {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  fs::remove_dir_all(test.path().join(".dev")).unwrap();
  (test, port, pid)
}
