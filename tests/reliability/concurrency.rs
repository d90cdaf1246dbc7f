//! Many `dev` at once: one instance per service, and distinct fallback ports.

use std::{process::Output, time::Duration};

use crate::harness::{
  Test, free_port, free_port_where, is_listening, run_together, server, wait_until,
};

/// Starts all the commands at the same moment and collects their outputs.
fn all_at_once(test: &Test, commands: Vec<Vec<&str>>) -> Vec<Output> {
  run_together(commands.iter().map(|args| test.command(args)).collect())
}

#[test]
fn eight_starts_of_one_service_run_exactly_one_and_refuse_seven_clearly() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)]);
  let outputs = all_at_once(&test, vec![vec!["up", "-d", "api"]; 8]);
  let started = outputs.iter().filter(|o| o.status.success()).count();
  let refusals: Vec<String> = outputs
    .iter()
    .filter(|o| !o.status.success())
    .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
    .collect();
  assert_eq!(started, 1, "{refusals:#?}");
  assert_eq!(refusals.len(), 7);
  for refusal in &refusals {
    assert!(
      refusal.contains("api is already running") || refusal.contains("another dev is starting it"),
      "{refusal}"
    );
  }
  assert!(is_listening(port));
  // One service process (python) and its keeper, not more.
  let status = test.status_json();
  assert_eq!(status[0]["state"], "running");
  assert_eq!(test.processes().len(), 2, "{:?}", test.processes());
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn eight_services_needing_a_fallback_at_once_get_eight_distinct_ports() {
  // A fallback range of ports given to this test alone: `fallback: auto` looks through the
  // 1000 ports above, where the other tests' ports are, and once took one that a test beside
  // it was about to use (its start was then refused: "port … is used by service `s5`").
  const SPARE: u16 = 12;
  let port = free_port_where(|p| (p + 1..=p + SPARE).collect());
  let fallback = format!("{}-{}", port + 1, port + SPARE);
  let mut yaml = String::from("services:\n");
  for i in 0..8 {
    yaml.push_str(&format!(
      "  s{i}:\n    run: exec python3 -u server.py\n    port: {port}\n    fallback: {fallback}\n"
    ));
  }
  let test = Test::with_config(&yaml);
  let _holder = test.foreign(port, "127.0.0.1", "plain");
  let names: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
  let commands = names.iter().map(|n| vec!["up", "-d", n.as_str()]).collect();
  for output in all_at_once(&test, commands) {
    assert!(
      output.status.success(),
      "{}",
      String::from_utf8_lossy(&output.stderr)
    );
  }
  let status = test.status_json();
  let mut ports: Vec<u64> = status
    .as_array()
    .unwrap()
    .iter()
    .map(|row| row["port"].as_u64().unwrap())
    .collect();
  ports.sort_unstable();
  ports.dedup();
  assert_eq!(ports.len(), 8, "{ports:?}");
  assert!(!ports.contains(&u64::from(port)));
  for port in &ports {
    assert!(is_listening(*port as u16));
  }
  eprintln!("figure: 8 concurrent fallbacks → 8 distinct ports {ports:?}");
  test.run(&["stop"]).success();
}

/// Two `dev up -d app` at once, where app needs db healthy: the one that loses the race for
/// app must not stop the db it started, which the winner's app now uses (it did: "nothing
/// half-started" pulled db from under the winner, found by an outside tester).
#[test]
fn the_loser_of_a_race_to_start_a_service_leaves_the_dependency_the_winner_uses() {
  let (db, app) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:\n  db:\n    run: exec python3 -u server.py plain\n    port: {db}\n  app:\n    run: exec python3 -u server.py plain\n    port: {app}\n    depends_on: {{db: healthy}}\n"
  ));
  // The first dev pauses before each launch: the second starts app while it waits.
  let mut first = test.command(&["up", "-d", "app"]);
  first
    .env("DEV_TEST_LAUNCH_DELAY_MS", "1500")
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
  let first = first.spawn().unwrap();
  wait_until("db listens", Duration::from_secs(15), || is_listening(db));
  test.run(&["up", "-d", "app"]).success();
  let first = first.wait_with_output().unwrap();
  let said = String::from_utf8_lossy(&first.stderr);
  assert!(!first.status.success(), "{said}");
  assert!(said.contains("leaving db running"), "{said}");
  let status = test.status_json();
  for row in status.as_array().unwrap() {
    assert_eq!(row["state"], "running", "{row}");
  }
  test.run(&["stop"]).success();
}
