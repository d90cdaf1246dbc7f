//! What `dev` fills into the task file's strings: its own `${svc.port}` everywhere, compose's
//! `${VAR:-default}` family in `env:` values and probe addresses, and nothing of the shell's.

use crate::harness::*;

fn read(test: &Test, name: &str) -> String {
  std::fs::read_to_string(test.path().join(name)).unwrap_or_default()
}

// Unix only: POSIX parameter expansions are sh's.
#[cfg(unix)]
#[test]
fn shell_parameter_expansions_in_run_reach_the_shell_untouched() {
  let test = Test::with_config(
    r#"tasks:
  stems: 'for f in a.txt b.tar.gz; do echo "${f%.*} ${f##*.} ${f%.tar.gz}"; done > out'
  escaped: 'echo "$${HOME:+home}" > escaped'
"#,
  );
  test.args(&["stems"]).status(0).run();
  assert_eq!(read(&test, "out"), "a txt a.txt\nb.tar gz b\n");
  test.args(&["escaped"]).status(0).run();
  assert_eq!(read(&test, "escaped"), "home\n");
  test.args(&["stop"]).status(0).run();
}

// Unix only: an sh `echo` line (cmd would keep the quotes and pipe at `|`).
#[cfg(unix)]
#[test]
fn env_values_take_compose_defaults_never_empty() {
  let test = Test::with_config(
    r#"tasks:
  show:
    run: echo "$LVL|$W|$DB|$ALT" > out
    env: {LVL: "${LOG_LEVEL:-info}", W: "${WORKERS-4}", DB: "${DATABASE_URL:-sqlite:///dev.db}", ALT: "${LVL:+set}"}
  need:
    run: 'true'
    env: {TOKEN: "${API_TOKEN:?ask the team for one}"}
"#,
  );
  test.args(&["show"]).status(0).run();
  assert_eq!(read(&test, "out"), "info|4|sqlite:///dev.db|set\n");
  test
    .args(&["need"])
    .status(2)
    .stderr_contains("`API_TOKEN` is not set or empty: ask the team for one")
    .run();
}

/// `${VAR:?why}` that is unset when a service starts (not when the file is read): the error
/// still says where it is written, for a service and for a task.
#[test]
fn a_required_variable_that_is_unset_points_at_its_line() {
  let test = Test::with_config(
    "services:\n  api:\n    run: python3 -c pass\n    env:\n      TOKEN: ${NEEDED_TOKEN:?ask}\ntasks:\n  t:\n    run: 'true'\n    env: {X: \"${NOPE:?needed}\"}\n",
  );
  test
    .args(&["up", "-d"])
    .status(2)
    .stderr_contains("`NEEDED_TOKEN` is not set or empty: ask")
    .stderr_contains("devtasks.yaml:5:14")
    .run();
  test
    .args(&["t"])
    .status(2)
    .stderr_contains("devtasks.yaml:9:15")
    .run();
}

#[test]
fn shell_syntax_in_an_env_value_is_a_located_error() {
  let test =
    Test::with_config("tasks:\n  t:\n    run: 'true'\n    env: {NAME: \"x-${FILE%.txt}\"}\n");
  test
    .args(&["t"])
    .status(2)
    .stderr_contains("devtasks.yaml:4:20")
    .stderr_contains("`${FILE%.txt}` is not something `dev` can expand here")
    .run();
}

// Unix only: an sh `echo` line.
#[cfg(unix)]
#[test]
fn task_arguments_are_variables_of_env_and_defaults_get_ports() {
  let port = free_port();
  let test = Test::with_config(&format!(
    r#"services:
  web: {{ run: sleep 60, port: {port} }}
tasks:
  show:
    run: echo "$URL $api" > out
    args: [region, "api=http://127.0.0.1:${{web.port}}/"]
    env: {{URL: "https://${{region}}.example.com"}}
"#
  ));
  test.args(&["show", "eu"]).status(0).run();
  assert_eq!(
    read(&test, "out"),
    format!("https://eu.example.com http://127.0.0.1:{port}/\n")
  );
}

#[test]
fn a_probe_naming_an_unknown_service_is_a_located_error_at_load() {
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: sleep 60\n    port: {}\n    health: {{http: \"http://127.0.0.1:${{nope.port}}/\"}}\n",
    free_port()
  ));
  test
    .args(&["status"])
    .status(2)
    .stderr_contains("unknown service `nope` in `${nope.port}`")
    .stderr_contains("devtasks.yaml:5:")
    .run();
}
