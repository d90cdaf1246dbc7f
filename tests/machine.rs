//! Several projects on one machine: the per-user port ledger keeps their choices apart, a
//! crashed owner's claims are reclaimed, a start whose port was taken meanwhile moves on, and
//! a port that cannot be had is explained port by port.

use std::{path::Path, process::Stdio, time::Duration};

use crate::harness::*;

/// `dev up -d` in each project at the same moment, sharing one ledger directory.
fn up_at_once(tests: &[Test], runtime: &Path) -> Vec<(i32, String)> {
  let commands = tests
    .iter()
    .map(|test| {
      let mut command = test.command(&["up", "-d"]);
      command.env("DEV_RUNTIME_DIR", runtime);
      command
    })
    .collect();
  run_together(commands)
    .into_iter()
    .map(|output| {
      (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
      )
    })
    .collect()
}

#[test]
fn projects_started_at_once_with_the_same_ports_get_distinct_ports_and_all_get_ready() {
  const PROJECTS: u16 = 4;
  const SERVICES: u16 = 2;
  let first = free_port_where(|p| (p + 1..p + PROJECTS * SERVICES).collect());
  let runtime = tempfile::tempdir().unwrap();
  let yaml: String = (0..SERVICES)
    .map(|i| {
      format!(
        "  s{i}:\n    run: exec python3 -u server.py\n    port: {}\n    fallback: auto\n",
        first + i
      )
    })
    .collect();
  // Copies of one project, as two worktrees of one repository are.
  let tests: Vec<Test> = (0..PROJECTS)
    .map(|_| Test::with_config(&format!("services:\n{yaml}")))
    .collect();
  for (code, stderr) in up_at_once(&tests, runtime.path()) {
    assert_eq!(code, 0, "{stderr}");
    // The ledger keeps the choices apart up front: a retry after a collision is a repair,
    // not the ledger working.
    assert!(!stderr.contains("taken while it started"), "{stderr}");
  }
  let mut ports: Vec<u64> = Vec::new();
  for test in &tests {
    for row in test.status_json().as_array().unwrap() {
      assert_eq!(row["state"], "running", "{row}");
      ports.push(row["port"].as_u64().unwrap());
    }
  }
  let all = ports.len();
  ports.sort_unstable();
  ports.dedup();
  assert_eq!(ports.len(), all, "two services share a port: {ports:?}");
  for port in &ports {
    assert!(is_listening(*port as u16), "{port} does not listen");
  }
  println!(
    "figure: {PROJECTS} projects × {SERVICES} services with the same ports at once → {} distinct ports, all ready",
    ports.len()
  );
  for test in &tests {
    test
      .run_with_env(
        &["stop"],
        &[("DEV_RUNTIME_DIR", runtime.path().to_str().unwrap())],
      )
      .success();
  }
}

#[test]
fn a_claim_whose_owner_died_is_reclaimed() {
  let port = free_port();
  let runtime = tempfile::tempdir().unwrap();
  // The claim of a `dev` that was SIGKILLed while starting a service of another project.
  let mut dead = std::process::Command::new("true").spawn().unwrap();
  let dead_pid = dead.id();
  dead.wait().unwrap();
  std::fs::write(
    runtime.path().join("ledger.json"),
    format!(
      r#"[{{"project": "/elsewhere", "project_id": {{"device": 1, "inode": 2}}, "service": "ghost",
          "ports": [{port}], "owner": {{"pid": {dead_pid}, "start_time": 1}},
          "boot_id": "written by an older dev", "running": true}}]"#
    ),
  )
  .unwrap();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  let runtime_dir = runtime.path().to_str().unwrap();
  let done = test.run_with_env(&["up", "-d"], &[("DEV_RUNTIME_DIR", runtime_dir)]);
  done.success();
  assert!(!done.stderr().contains("ghost"), "{}", done.stderr());
  assert_eq!(test.status_json()[0]["port"], port);
  let ledger = std::fs::read_to_string(runtime.path().join("ledger.json")).unwrap();
  assert!(!ledger.contains("ghost"), "{ledger}");
  test
    .run_with_env(&["stop"], &[("DEV_RUNTIME_DIR", runtime_dir)])
    .success();
}

#[test]
fn a_live_claim_of_another_project_is_respected_and_named() {
  let port = free_port_where(|p| vec![p + 1]);
  let runtime = tempfile::tempdir().unwrap();
  let runtime_dir = runtime.path().to_str().unwrap();
  let config = format!("services:\n  api:\n    run: exec python3 -u server.py\n    port: {port}\n");
  let (one, two) = (Test::with_config(&config), Test::with_config(&config));
  // `one` claims the port by running on it; `two` has no fallback.
  one
    .run_with_env(&["up", "-d"], &[("DEV_RUNTIME_DIR", runtime_dir)])
    .success();
  let done = two.run_with_env(&["up", "-d"], &[("DEV_RUNTIME_DIR", runtime_dir)]);
  assert_eq!(done.code(), 1, "{}", done.stderr());
  assert!(
    done.stderr().contains(&format!(
      "port {port} is used by service `api` of {}",
      one.path().display()
    )),
    "{}",
    done.stderr()
  );
  let status = two.run_with_env(&["status"], &[("DEV_RUNTIME_DIR", runtime_dir)]);
  assert!(
    status.stderr().contains(&format!(
      "api's port {port} is used by service `api` of {}",
      one.path().display()
    )),
    "{}",
    status.stderr()
  );
  // `dev port find` skips it and says whose it is.
  let find = two.run_with_env(
    &["port", "find", &port.to_string()],
    &[("DEV_RUNTIME_DIR", runtime_dir)],
  );
  find.success();
  assert_eq!(find.stdout().trim(), (port + 1).to_string());
  assert!(
    find
      .stderr()
      .contains(&format!("{port} (api of {})", one.path().display())),
    "{}",
    find.stderr()
  );
  one
    .run_with_env(&["stop"], &[("DEV_RUNTIME_DIR", runtime_dir)])
    .success();
}

#[test]
fn a_start_whose_port_is_taken_meanwhile_moves_to_the_next_one() {
  let port = free_port_where(|p| vec![p + 1]);
  // The server binds only once `go` exists: after the foreign server took its port.
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: echo waiting; while [ ! -e go ]; do sleep 0.02; done; exec python3 -u server.py\n    port: {port}\n    fallback: auto\n"
  ));
  let dev = test
    .command(&["up", "-d"])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
  wait_until("api started", Duration::from_secs(10), || {
    test.log("api").contains("waiting")
  });
  let _foreign = test.foreign(port, "127.0.0.1", "plain");
  test.write("go", "");
  let output = dev.wait_with_output().unwrap();
  let stderr = String::from_utf8_lossy(&output.stderr);
  assert!(output.status.success(), "{stderr}");
  assert!(
    stderr.contains(&format!(
      "api: port {port} was taken while it started; trying another (1 of 3)"
    )),
    "{stderr}"
  );
  assert!(stderr.contains("api ready"), "{stderr}");
  assert_eq!(test.status_json()[0]["port"], port + 1);
  test.run(&["stop"]).success();
}

#[test]
fn when_every_fallback_is_taken_each_port_is_listed_with_its_holder() {
  let port = free_port_where(|p| vec![p + 1, p + 2]);
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u server.py\n    port: {port}\n    fallback: {}-{}\n",
    port + 1,
    port + 2
  ));
  let holders = [
    test.foreign(port, "127.0.0.1", "plain"),
    test.foreign(port + 1, "127.0.0.1", "plain"),
    test.foreign(port + 2, "127.0.0.1", "plain"),
  ];
  let done = test.args(&["up", "-d"]).status(1).run();
  let stderr = done.stderr();
  assert!(
    stderr.contains(&format!(
      "cannot start api: port {port} and all 2 fallback ports are taken"
    )),
    "{stderr}"
  );
  for (offset, holder) in holders.iter().enumerate() {
    let line = format!(
      "{}  held by python3 (pid {}",
      port + offset as u16,
      holder.id()
    );
    assert!(stderr.contains(&line), "missing {line:?} in\n{stderr}");
  }
  assert!(stderr.contains("fallback: auto"), "{stderr}");
}
