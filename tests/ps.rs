//! `dev ps`: each running service's process tree, with CPU, memory and listening ports.

use crate::harness::*;

/// A service whose shell runs a busy loop beside a preforking server: every process of
/// its tree, each under its parent, the busy one using CPU, the listeners on its port.
#[test]
fn ps_shows_the_tree_of_a_service_with_cpu_memory_and_ports() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: \"python3 -c 'while True: pass' & exec python3 -u server.py prefork\"\n    port: {port}\n"
  ));
  test.run(&["up", "-d"]).success();
  let trees = test.run(&["ps", "--json"]).json();
  let tree = &trees[0];
  assert_eq!(tree["service"], "api", "{trees}");
  let processes = tree["processes"].as_array().unwrap();
  let main = &processes[0];
  assert_eq!(main["depth"], 0, "{trees}");
  assert_eq!(main["ppid"], tree["keeper_pid"], "{trees}");
  let busy = processes
    .iter()
    .find(|p| p["command"].as_str().unwrap().contains("while True"))
    .unwrap_or_else(|| panic!("no busy loop in {trees}"));
  assert!(busy["cpu_percent"].as_f64().unwrap() > 5.0, "{busy}");
  assert!(busy["rss_bytes"].as_u64().unwrap() > 0, "{busy}");
  let listeners: Vec<&serde_json::Value> = processes
    .iter()
    .filter(|p| p["ports"].as_array().unwrap().contains(&port.into()))
    .collect();
  // The prefork parent and its 3 children share the socket.
  assert_eq!(listeners.len(), 4, "{trees}");
  let parent = listeners.iter().find(|p| p["ppid"] == main["pid"]).unwrap();
  for child in listeners.iter().filter(|p| p["ppid"] == parent["pid"]) {
    assert_eq!(
      child["depth"],
      parent["depth"].as_u64().unwrap() + 1,
      "{trees}"
    );
  }
  let table = test.run(&["ps"]).stdout();
  assert!(table.starts_with("SERVICE  PID"), "{table}");
  assert!(table.contains(&format!("└ {}", parent["pid"])), "{table}");
  test.run(&["stop"]).success();
  test
    .args(&["ps"])
    .stderr_contains("no service is running")
    .run()
    .success();
}
