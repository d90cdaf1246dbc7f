//! No orphans: whatever happens to the service or to `dev`, nothing of the tree survives.

use std::{fs, time::Duration};

use crate::harness::*;

// Everything that ends a tree is proven under both ways a keeper can hold it.
under_both_containments!(
  stop_kills_a_service_that_ignores_sigterm_after_the_grace,
  stop_ends_a_three_level_tree_whose_grandchild_called_setsid,
  a_child_that_left_the_group_is_asked_to_stop_before_it_is_killed,
  every_process_gets_the_stop_signal_exactly_once,
  stop_ends_an_orphaned_daemon_wherever_it_was_reparented,
  kill_9_of_foreground_dev_leaves_no_orphans,
  next_dev_command_ends_survivors_when_dev_and_keeper_were_both_killed,
  a_service_that_crashes_takes_its_children_with_it,
);

fn stop_kills_a_service_that_ignores_sigterm_after_the_grace(how: Containment) {
  let port = free_port();
  let test =
    Test::new()
      .contained(how)
      .config(&server_config("stubborn", port, "ignore-term", "300ms"));
  test.run(&["up", "-d"]).success();
  wait_until("listens", Duration::from_secs(10), || is_listening(port));
  let pid = test.pid_of("stubborn").unwrap();
  test.run(&["stop"]).success();
  assert!(!is_alive(pid), "SIGKILL after the grace period must end it");
  assert!(is_bindable(port));
  assert!(test.log("stubborn").contains("stubborn stopped"));
}

fn stop_ends_a_three_level_tree_whose_grandchild_called_setsid(how: Containment) {
  let port = free_port();
  let test = Test::new()
    .contained(how)
    .config(&server_config("tree", port, "tree", "300ms"));
  test.run(&["up", "-d"]).success();
  wait_until("grandchild listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  let tree = test.processes();
  assert!(tree.len() >= 4, "keeper + 3 levels expected, got {tree:?}");
  test.run(&["stop"]).success();
  for pid in &tree {
    assert!(!is_alive(*pid), "pid {pid} survived");
  }
  assert!(is_bindable(port));
}

/// A child in a session of its own is outside the group the stop signal goes to: it gets
/// that signal by itself, so its own clean-up runs within the grace instead of a SIGKILL.
fn a_child_that_left_the_group_is_asked_to_stop_before_it_is_killed(how: Containment) {
  let test = Test::new().contained(how).config(
    "services:\n  worker:\n    run: setsid sh -c 'trap \"echo cleaned up > cleanup.txt; exit 0\" TERM; echo child ready; while :; do sleep 0.05; done' & wait\n    stop: { grace: 5s }\n",
  );
  test.run(&["up", "-d"]).success();
  wait_until("the child runs", Duration::from_secs(10), || {
    test.log("worker").contains("child ready")
  });
  test.run(&["stop"]).success();
  let cleanup = fs::read_to_string(test.path().join("cleanup.txt")).unwrap_or_default();
  assert_eq!(
    cleanup.trim(),
    "cleaned up",
    "the setsid child got no SIGTERM"
  );
  assert!(test.processes().is_empty(), "left: {:?}", test.processes());
}

/// A second SIGTERM cuts a graceful shutdown short (Python's KeyboardInterrupt clean-up, tools
/// that read a second Ctrl+C as "force quit"): the group's signal is not repeated to each of
/// its members.
fn every_process_gets_the_stop_signal_exactly_once(how: Containment) {
  let counter = "import os, signal, sys, time\n\
    name = sys.argv[1]\n\
    def on_term(*_):\n    open(name, 'a').write('TERM\\n')\n\
    signal.signal(signal.SIGTERM, on_term)\n\
    print(name, 'ready', flush=True)\n\
    end = None\n\
    while True:\n    time.sleep(0.05)\n    \
    if os.path.exists(name) and end is None: end = time.time() + 0.5\n    \
    if end and time.time() > end: sys.exit(0)\n";
  let test = Test::new().contained(how).config(
    "services:\n  pair:\n    run: python3 counter.py child.terms & exec python3 counter.py main.terms\n    stop: { grace: 5s }\n",
  );
  test.write("counter.py", counter);
  test.run(&["up", "-d"]).success();
  wait_until("both run", Duration::from_secs(10), || {
    let log = test.log("pair");
    log.contains("child.terms ready") && log.contains("main.terms ready")
  });
  test.run(&["stop"]).success();
  for name in ["main.terms", "child.terms"] {
    let terms = fs::read_to_string(test.path().join(name)).unwrap_or_default();
    assert_eq!(terms, "TERM\n", "{name} got {:?}", terms.lines().count());
  }
}

/// A double-forked daemon: with a subreaper it is re-parented to its keeper; without one
/// (macOS) it goes to init, and the keeper finds it by its marker. Either way it is stopped.
fn stop_ends_an_orphaned_daemon_wherever_it_was_reparented(how: Containment) {
  let port = free_port();
  let test = Test::new()
    .contained(how)
    .config(&server_config("daemon", port, "daemon", "300ms"));
  test.run(&["up", "-d"]).success();
  // Ready means listening; the line saying so may reach the log a moment later.
  wait_until(
    "the daemon listens and says so",
    Duration::from_secs(10),
    || is_listening(port) && test.log("daemon").contains("listening "),
  );
  let daemon = test
    .listening_pid("daemon")
    .unwrap_or_else(|| panic!("no listening line:\n{}", test.log("daemon")));
  let state: serde_json::Value = serde_json::from_str(
    &fs::read_to_string(test.path().join(".dev/state/daemon.state.json")).unwrap(),
  )
  .unwrap();
  let keeper = state["keeper"]["pid"].as_u64().unwrap() as u32;
  let parent = procs::parent(daemon);
  match how {
    Containment::Subreaper => assert_eq!(parent, Some(keeper), "re-parented to its keeper"),
    Containment::Marked => assert_ne!(parent, Some(keeper), "no subreaper: not the keeper's"),
  }
  test.run(&["stop"]).success();
  assert!(!is_alive(daemon), "the orphaned daemon survived the stop");
  assert!(test.processes().is_empty(), "left: {:?}", test.processes());
  assert!(is_bindable(port));
}

fn kill_9_of_foreground_dev_leaves_no_orphans(how: Containment) {
  let port = free_port();
  let test = Test::new()
    .contained(how)
    .config(&server_config("tree", port, "tree", "300ms"));
  let mut dev = test.spawn(&[]);
  wait_until("listens", Duration::from_secs(10), || is_listening(port));
  signal(dev.id(), libc::SIGKILL);
  wait_child(&mut dev, Duration::from_secs(5));
  // The kernel tells each keeper that dev died; they stop their trees within the grace.
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
  let status = test.status_json();
  assert_eq!(status[0]["state"], "stopped");
}

fn next_dev_command_ends_survivors_when_dev_and_keeper_were_both_killed(how: Containment) {
  let port = free_port();
  let test = Test::new()
    .contained(how)
    .config(&server_config("tree", port, "tree", "300ms"));
  test.run(&["up", "-d"]).success();
  wait_until("listens", Duration::from_secs(10), || is_listening(port));
  let state: serde_json::Value = serde_json::from_str(
    &fs::read_to_string(test.path().join(".dev/state/tree.state.json")).unwrap(),
  )
  .unwrap();
  let keeper = state["keeper"]["pid"].as_u64().unwrap() as u32;
  signal(keeper, libc::SIGKILL);
  wait_until("keeper gone", Duration::from_secs(5), || !is_alive(keeper));
  assert!(
    is_listening(port),
    "the service outlives its SIGKILLed keeper until dev finds it"
  );

  let stop = test.run(&["stop"]);
  stop.success();
  assert!(
    stop.stderr().contains("keeper was killed; stopped"),
    "{}",
    stop.stderr()
  );
  assert!(
    stop.stderr().contains("server.py tree"),
    "must say exactly what it stopped: {}",
    stop.stderr()
  );
  wait_until("port free", Duration::from_secs(5), || is_bindable(port));
  assert!(
    test.processes().is_empty(),
    "left behind: {:?}",
    test.processes()
  );
}

#[test]
fn stale_state_whose_pid_was_reused_never_kills_the_unrelated_process() {
  let test = Test::with_config("services:\n  api:\n    run: sleep 60\n");
  // An unrelated process holds the pid the state file names, with a different start time.
  let mut unrelated = std::process::Command::new("sleep")
    .arg("60")
    .spawn()
    .unwrap();
  let pid = unrelated.id();
  fs::create_dir_all(test.path().join(".dev")).unwrap();
  let state = serde_json::json!({
    "service": "api",
    "keeper": { "pid": pid, "start_time": 1 },
    "process": { "pid": pid, "start_time": 1 },
    "pgid": pid,
    "boot_id": "written by an older dev",
    "token": "not-a-real-token",
    "port": null,
    "command": "sleep 60",
    "log": "logs/api.log",
    "started_at": 0,
    "supervisor": null
  });
  fs::write(test.path().join(".dev/api.json"), state.to_string()).unwrap();

  for args in [&["status"][..], &["stop"], &["up", "-d"], &["stop"]] {
    test.run(args).success();
    assert!(is_alive(pid), "`dev {args:?}` killed an unrelated process");
  }
  unrelated.kill().unwrap();
  unrelated.wait().unwrap();
}

fn a_service_that_crashes_takes_its_children_with_it(how: Containment) {
  let test = Test::new()
    .contained(how)
    .config("services:\n  crashy:\n    run: 'sleep 300 & sleep 0.3; exit 7'\n");
  test.run(&["up", "-d"]).success();
  let deadline = std::time::Instant::now() + Duration::from_secs(20);
  while test.status_json()[0]["state"] != "exited" {
    assert!(
      std::time::Instant::now() < deadline,
      "crashy did not exit: {}\nlog:\n{}\nprocesses: {:?}",
      test.status_json(),
      test.log("crashy"),
      test.processes()
    );
    std::thread::sleep(Duration::from_millis(10));
  }
  let status = test.status_json();
  assert_eq!(status[0]["exit_code"], 7);
  assert!(
    test.processes().is_empty(),
    "the background sleep must not survive: {:?}",
    test.processes()
  );
}

/// `dev e2e` with `needs: [api]`, SIGKILLed mid-task: the service it started for itself,
/// the task's shell and what the shell started end with it, as `dev up`'s services do; a service that was already
/// running before the task is left running.
#[test]
fn kill_9_of_a_task_ends_the_needs_it_started_and_its_shell_but_not_what_ran_before() {
  let (api, db) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:
  api:
    run: exec python3 -u server.py
    port: {api}
  db:
    run: exec python3 -u server.py
    port: {db}
tasks:
  e2e:
    run: python3 -c 'import time; time.sleep(60)' & echo $$ $! > started; wait; echo after
    needs: [api, db]
"
  ));
  test.run(&["up", "-d", "db"]).success();
  let db_pid = test.pid_of("db");
  let mut dev = test.spawn(&["e2e"]);
  wait_until("the task started", Duration::from_secs(20), || {
    test.path().join("started").exists()
  });
  let api_pid = test.pid_of("api").expect("api started for the task");
  // The task's shell, and a child it waits for.
  let pids: Vec<u32> = fs::read_to_string(test.path().join("started"))
    .unwrap()
    .split_whitespace()
    .map(|pid| pid.parse().unwrap())
    .collect();
  signal(dev.id(), libc::SIGKILL);
  wait_child(&mut dev, Duration::from_secs(5));
  wait_until_else(
    "the task's shell and api end with their dev",
    Duration::from_secs(10),
    || {
      let left: Vec<u32> = test
        .processes()
        .into_iter()
        .filter(|pid| {
          let args = procs::arguments(*pid).join(" ");
          !(args.contains("__keep") && args.ends_with(" db"))
        })
        .filter(|pid| Some(*pid) != db_pid)
        .collect();
      left.is_empty()
    },
    || {
      test
        .processes()
        .into_iter()
        .map(procs::describe)
        .collect::<Vec<_>>()
        .join("\n")
    },
  );
  assert!(!is_alive(api_pid) && !is_alive(pids[0]) && !is_alive(pids[1]));
  assert!(is_bindable(api));
  let status = test.status_json();
  let state = |name: &str| {
    status
      .as_array()
      .unwrap()
      .iter()
      .find(|row| row["service"] == name)
      .map(|row| row["state"].clone())
  };
  assert_eq!(state("api"), Some("stopped".into()), "{status:#}");
  assert_eq!(state("db"), Some("running".into()), "{status:#}");
  assert_eq!(
    test.pid_of("db"),
    db_pid,
    "db ran before the task: not its to stop"
  );
  test.run(&["stop"]).success();
}
