//! `profiles:` on services: `dev up --profile web` starts that subset and what it depends
//! on, across profiles; a bare `dev up` starts the services without profiles.

use crate::harness::*;

fn running(test: &Test) -> Vec<String> {
  test
    .status_json()
    .as_array()
    .unwrap()
    .iter()
    .filter(|row| row["state"] == "running")
    .map(|row| row["service"].as_str().unwrap().to_owned())
    .collect()
}

fn project() -> Test {
  Test::with_config(&format!(
    "services:
  db:
    run: exec python3 -u server.py
    port: {}
    profiles: [data]
  web:
    run: exec python3 -u server.py
    port: {}
    depends_on: {{ db: healthy }}
    profiles: [web]
  worker:
    run: sleep 300
    profiles: workers
  docs:
    run: exec python3 -u server.py
    port: {}
",
    free_port(),
    free_port(),
    free_port()
  ))
}

#[test]
fn a_profile_starts_its_services_and_their_dependencies_across_profiles() {
  let test = project();
  test.run(&["up", "-d"]).success();
  assert_eq!(
    running(&test),
    ["docs"],
    "a bare up started a service with profiles"
  );
  // What a bare `dev up` started is what a bare `dev wait` and `dev health` wait for: not
  // the profiles nobody started (`dev up -d && dev wait && npm test` must pass).
  test.run(&["wait", "--timeout", "10s"]).success();
  test.run(&["health"]).success();
  test.run(&["stop"]).success();
  test.run(&["up", "-d", "--profile", "web"]).success();
  // db is in another profile, and web depends on it.
  assert_eq!(running(&test), ["db", "web"]);
  test
    .run(&["up", "-d", "--profile", "workers", "docs"])
    .success();
  assert_eq!(running(&test), ["db", "web", "worker", "docs"]);
  test.run(&["stop"]).success();
  // By name, whatever its profiles.
  test.run(&["up", "-d", "worker"]).success();
  assert_eq!(running(&test), ["worker"]);
  test.run(&["stop"]).success();
}

#[test]
fn an_unknown_profile_or_a_bad_profile_name_is_an_error_saying_which() {
  let test = project();
  test
    .args(&["up", "-d", "--profile", "wbe"])
    .status(2)
    .stderr_contains(
      "no service has the profile `wbe` (did you mean `web`?); the profiles are data, web, workers",
    )
    .stderr_contains("usage: dev up --profile web")
    .run();
  assert!(running(&test).is_empty());
  test.write(
    "devtasks.yaml",
    "services:\n  api:\n    run: sleep 60\n    profiles: [web, -x]\n",
  );
  test
    .args(&["up", "-d"])
    .status(2)
    .stderr_contains("profile name `-x` may only contain")
    .stderr_contains("devtasks.yaml:4:21")
    .run();
  test.write(
    "devtasks.yaml",
    "services:\n  api:\n    run: sleep 60\n    profiles: [web]\n",
  );
  test
    .args(&["up", "-d"])
    .status(2)
    .stderr_contains("every service has `profiles:`")
    .stderr_contains("usage: dev up --profile web")
    .run();
}
