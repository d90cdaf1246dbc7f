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
