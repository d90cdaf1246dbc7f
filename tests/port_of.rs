//! `dev port <service> [name]`: the one port a running service was given, for a script.

use crate::harness::*;

/// With its configured port held by something else, `fallback: auto` moved the service:
/// `dev port` prints where it is, its named port by name, never the configured one.
#[test]
fn dev_port_prints_the_port_a_service_was_given_not_the_configured_one() {
  let (configured, ws) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u server.py http\n    port: {configured}\n    fallback: auto\n    ports: {{ws: {ws}}}\n"
  ));
  let _holder = test.foreign(configured, "127.0.0.1", "plain");
  test.run(&["up", "-d"]).success();
  let given = test.status_json()[0]["port"].as_u64().unwrap();
  assert_ne!(given, u64::from(configured));
  test
    .args(&["port", "api"])
    .stdout_contains(&format!("{given}\n"))
    .run()
    .success();
  let named = test.run(&["port", "api", "ws"]);
  assert_eq!(named.stdout(), format!("{ws}\n"));
  test
    .args(&["port", "api", "wss"])
    .status(2)
    .stderr_contains("api has no port named `wss`; its ports: port, ws")
    .run();
  test.run(&["stop"]).success();
  test
    .args(&["port", "api"])
    .status(1)
    .stderr_contains("api is not running")
    .stderr_contains("`dev up -d api`")
    .run();
}

/// A service named like a `dev port` command: the bare word is the command (as everywhere
/// in dev), `dev port of <name>` the service.
#[test]
fn a_service_named_like_a_port_command_is_reached_with_of() {
  let port = free_port();
  let test = Test::new().servers(&[server("who", port)]);
  test.run(&["up", "-d"]).success();
  assert_eq!(
    test.run(&["port", "of", "who"]).stdout(),
    format!("{port}\n")
  );
  // `dev port who PORT` is still who listens there.
  test
    .args(&["port", "who", &port.to_string(), "--json"])
    .stdout_contains("\"holders\"")
    .run()
    .success();
  test.run(&["stop"]).success();
}

#[test]
fn dev_port_of_an_unknown_service_or_a_number_says_what_to_run() {
  let test = Test::new().servers(&[server("api", free_port())]);
  test
    .args(&["port", "apii"])
    .status(2)
    .stderr_contains("`apii`")
    .stderr_contains("Did you mean `api`?")
    .run();
  test
    .args(&["port", "8000"])
    .status(2)
    .stderr_contains("`dev port who 8000`")
    .run();
}

/// A task has no port: `dev port <task>` says so, not "no service or task named".
#[test]
fn dev_port_of_a_task_says_tasks_have_no_port() {
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u server.py http\n    port: {}\ntasks:\n  hello: echo hi\n",
    free_port()
  ));
  test
    .args(&["port", "hello"])
    .status(1)
    .stderr_contains("`hello` is a task, not a service")
    .run();
}

/// A half-typed edit of the task file: the running service's port is still known from its
/// state, as `dev status` and `dev stop` know it.
#[test]
fn dev_port_answers_from_the_state_while_the_task_file_is_broken() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)]);
  test.run(&["up", "-d"]).success();
  let good = std::fs::read_to_string(test.path().join("devtasks.yaml")).unwrap();
  test.write("devtasks.yaml", &format!("{good}services: [\n"));
  test
    .args(&["port", "api"])
    .stdout_contains(&format!("{port}\n"))
    .stderr_contains("could not read the task file")
    .run()
    .success();
  test.write("devtasks.yaml", &good);
  test.run(&["stop"]).success();
}

/// `DEV_API_PORT=abc` is a mistake to say, not an override to drop silently.
#[test]
fn a_port_variable_that_is_no_port_is_an_error() {
  let test = Test::new().servers(&[server("api", free_port())]);
  test
    .args(&["up", "-d"])
    .env("DEV_API_PORT", "abc")
    .status(1)
    .stderr_contains("DEV_API_PORT=abc")
    .stderr_contains("not a port number")
    .stderr_contains("unset DEV_API_PORT")
    .run();
  assert!(
    test
      .status_json()
      .as_array()
      .unwrap()
      .iter()
      .all(|row| row["state"] != "running")
  );
}
