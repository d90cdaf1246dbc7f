//! Users' names are theirs: a service or task may take a built-in's name (`ui`, `init`,
//! `logs`). Bare `dev <builtin>` is the built-in; the service is `dev up ui`, `dev ui-logs`…,
//! the task `dev run init`, and `dev list` says which is which.

use crate::harness::*;

const NAMED_LIKE_BUILTINS: &str = "services:
  ui: { run: 'echo ui-started; exec sleep 30', description: Frontend }
tasks:
  init: { run: touch initialised, description: Set up }
  logs: touch task-logs-ran
";

#[test]
fn a_service_named_ui_loads_and_is_reached_with_up_and_its_derived_names() {
  let test = Test::with_config(NAMED_LIKE_BUILTINS);
  test.args(&["up", "ui", "-d"]).status(0).run();
  test
    .args(&["ui-status"])
    .status(0)
    .stdout_contains("running")
    .run();
  test
    .args(&["ui-logs"])
    .status(0)
    .stdout_contains("ui-started")
    .run();
  test.args(&["ui-stop"]).status(0).run();
  test.wait_for_no_processes(std::time::Duration::from_secs(10));
}

#[test]
fn a_task_named_like_a_builtin_runs_with_dev_run_and_the_bare_name_stays_the_builtin() {
  let test = Test::with_config(NAMED_LIKE_BUILTINS);
  test.args(&["run", "init"]).status(0).run();
  assert!(test.path().join("initialised").exists());
  test.args(&["logs"]).status(0).run();
  assert!(
    !test.path().join("task-logs-ran").exists(),
    "bare `dev logs` ran the task"
  );
  test.args(&["run", "logs"]).status(0).run();
  assert!(test.path().join("task-logs-ran").exists());
}

#[test]
fn list_says_how_to_reach_a_name_a_builtin_shadows() {
  let test = Test::with_config(NAMED_LIKE_BUILTINS);
  let done = test.args(&["list"]).status(0).run();
  assert_eq!(
    done.stdout(),
    "Services:\n    ui   # Frontend [dev up ui: `dev ui` is the built-in]\nTasks:\n    init # Set up [dev run init: `dev init` is the built-in]\n    logs # [dev run logs: `dev logs` is the built-in]\n"
  );
}

#[test]
fn a_mistake_in_a_procfile_points_at_the_procfiles_own_line() {
  let test = Test::new();
  test.write(
    "Procfile",
    "# processes\nweb: python3 -m http.server $PORT\n\nweb-logs: tail -f log\n",
  );
  test
    .args(&["list"])
    .status(2)
    .stderr_contains("(in the task file `dev` made of the Procfile)")
    .stderr_contains("Procfile:4:1")
    .stderr_contains("4 │ web-logs: tail -f log")
    .run();
}

/// `web a` (no colon) was skipped without a word, like any line foreman cannot read, and a
/// Procfile of such lines said "defines no services" with advice for YAML.
#[test]
fn procfile_lines_that_are_not_name_command_are_named_not_skipped_silently() {
  let test = Test::new();
  test.write("Procfile", "web a\n# fine\nworker: sleep 1\n");
  test
    .args(&["list"])
    .status(0)
    .stdout_contains("worker")
    .stderr_contains("Procfile:1: `web a` is not a `name: command` line")
    .run();
  test.write("Procfile", "web a\n\n");
  test
    .args(&["list"])
    .status(2)
    .stderr_contains("the Procfile has no `name: command` line")
    .stderr_contains("web: python3 -m http.server $PORT")
    .run();
}

#[test]
fn a_task_file_dev_init_writes_with_a_ui_directory_loads() {
  let test = Test::new();
  for dir in ["ui", "admin"] {
    test.write(
      &format!("{dir}/package.json"),
      r#"{"scripts": {"dev": "vite"}, "devDependencies": {"vite": "5"}}"#,
    );
  }
  test.args(&["init"]).status(0).run();
  test
    .args(&["list"])
    .status(0)
    .stdout_contains("[dev up ui: `dev ui` is the built-in]")
    .run();
}

#[test]
fn dev_run_names_the_verb_for_a_service() {
  let test = Test::with_config(NAMED_LIKE_BUILTINS);
  test
    .args(&["run", "ui"])
    .status(2)
    .stderr_contains("`ui` is a service, and `dev run` runs tasks")
    .stderr_contains("usage: dev up ui")
    .run();
}
