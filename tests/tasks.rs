//! Tasks: deps once each, failures with the command and its exit code, arguments.

use crate::harness::*;

#[test]
fn runs_deps_once_in_order_then_the_task() {
  let test = Test::with_config(
    "tasks:\n  a: echo a >> order\n  b: { run: echo b >> order, deps: [a] }\n  c: { run: echo c >> order, deps: [a] }\n  all: { run: echo all >> order, deps: [b, c] }\n",
  );
  test.run(&["all"]).success();
  assert_eq!(
    std::fs::read_to_string(test.path().join("order")).unwrap(),
    "a\nb\nc\nall\n"
  );
}

#[test]
fn a_failing_task_names_the_command_and_exits_1() {
  let test =
    Test::with_config("tasks:\n  check:\n    run: ['true', 'exit 4', 'echo never > ran']\n");
  let done = test.run(&["check"]);
  assert_eq!(done.code(), 1);
  assert!(
    done
      .stderr()
      .contains("error: task `check` failed: `exit 4` exited with code 4"),
    "{}",
    done.stderr()
  );
  assert!(
    !test.path().join("ran").exists(),
    "commands after a failure must not run"
  );
}

#[test]
fn words_after_double_dash_reach_the_task() {
  let test = Test::with_config("tasks:\n  say: printf '%s|' > said\n");
  test.run(&["say", "--", "two words", "x"]).success();
  assert_eq!(
    std::fs::read_to_string(test.path().join("said")).unwrap(),
    "two words|x|"
  );
}

#[test]
fn list_shows_services_and_tasks_with_descriptions() {
  let test = Test::with_config(
    "services:\n  backend:\n    description: The API\n    run: sleep 1\n    port: 8000\ntasks:\n  test: { description: Run tests, run: 'true' }\n",
  );
  let done = test.run(&["list"]);
  done.success();
  assert_eq!(
    done.stdout(),
    "Services:\n    backend # The API (port 8000)\nTasks:\n    test    # Run tests\n"
  );
}

#[test]
fn unknown_names_get_did_you_mean() {
  let test =
    Test::with_config("services:\n  frontend:\n    run: sleep 1\ntasks:\n  test: 'true'\n");
  let done = test.run(&["fronted"]);
  assert_eq!(done.code(), 2);
  assert_eq!(
    done.stderr(),
    "error: no service or task named `fronted` in devtasks.yaml\nhint: Did you mean `frontend`?\n"
  );
  let done = test.run(&["frontend-stpo"]);
  assert!(
    done.stderr().contains("Did you mean `frontend-stop`?"),
    "{}",
    done.stderr()
  );
}
