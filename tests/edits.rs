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
  let done = test.run(&["inside"]);
  done.success();
  assert!(
    done.stdout().trim().ends_with("/build"),
    "{}",
    done.stdout()
  );
}
