//! Start, status, restart, stop, logs, and one instance per service.

use std::{thread, time::Duration};

use crate::harness::*;

#[test]
fn detached_start_status_restart_stop() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));

  let up = test.run(&["up", "-d"]);
  up.success();
  assert!(up.stderr().contains("api started (pid"), "{}", up.stderr());
  wait_until("api listens", Duration::from_secs(10), || {
    is_listening(port)
  });

  let status = test.status_json();
  let row = &status[0];
  assert_eq!(row["service"], "api");
  assert_eq!(row["state"], "running");
  assert_eq!(row["port"], port);
  assert_eq!(row["mode"], "background");
  let first = row["pid"].as_u64().unwrap() as u32;
  assert!(is_alive(first));

  test.run(&["api-restart"]).success();
  wait_until("api listens again", Duration::from_secs(10), || {
    is_listening(port)
  });
  let second = test.pid_of("api").expect("running after restart");
  assert_ne!(first, second, "restart must start a new process");
  assert!(!is_alive(first), "the old process must be gone");
  assert_eq!(test.status_json()[0]["restarts"], 1);

  let stop = test.run(&["stop"]);
  stop.success();
  assert!(stop.stderr().contains("api stopped"), "{}", stop.stderr());
  assert!(!is_alive(second));
  assert!(is_bindable(port));
  assert_eq!(test.status_json()[0]["state"], "stopped");
  assert!(
    test.processes().is_empty(),
    "left behind: {:?}",
    test.processes()
  );
}

#[test]
fn detached_service_keeps_logging_after_dev_exits() {
  let test = Test::with_config(
    "services:\n  ticker:\n    run: 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done'\n",
  );
  test.run(&["ticker", "-d"]).success();
  // `dev` has exited; the service must still be writing to its log file.
  wait_until("ticks reach the log", Duration::from_secs(10), || {
    test.log("ticker").contains("tick 5")
  });
  let before = test.log("ticker").len();
  thread::sleep(Duration::from_millis(300));
  assert!(
    test.log("ticker").len() > before,
    "log stopped growing after dev exited"
  );
  let log = test.log("ticker");
  assert!(log.starts_with("──── "), "a header line per run: {log}");
  assert!(
    log.lines().next().unwrap().contains("ticker started · pid"),
    "{log}"
  );

  let logs = test.run(&["logs", "ticker", "-n", "2"]);
  logs.success();
  assert_eq!(logs.stdout().lines().count(), 2, "{}", logs.stdout());
  assert!(
    logs.stdout().lines().all(|line| line.starts_with("tick ")),
    "{}",
    logs.stdout()
  );
  test.run(&["ticker-stop"]).success();
}

#[test]
fn second_start_of_a_running_service_is_refused() {
  let port = free_port();
  let test = Test::with_config(&server_config("backend", port, "plain", "5s"));
  test.run(&["backend", "-d"]).success();
  let again = test.run(&["backend", "-d"]);
  assert_eq!(again.code(), 1, "{}", again.stderr());
  assert!(
    again.stderr().contains("backend is already running (pid"),
    "{}",
    again.stderr()
  );
  assert!(
    again.stderr().contains("dev backend-restart"),
    "{}",
    again.stderr()
  );
  test.run(&["stop"]).success();
}

#[test]
fn concurrent_starts_run_exactly_one_instance() {
  let port = free_port();
  let test = Test::with_config(&server_config("backend", port, "plain", "5s"));
  let children: Vec<_> = (0..4)
    .map(|_| {
      test
        .command(&["up", "-d", "backend"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    })
    .collect();
  let results: Vec<_> = children
    .into_iter()
    .map(|child| child.wait_with_output().unwrap())
    .collect();
  let winners = results
    .iter()
    .filter(|output| output.status.success())
    .count();
  assert_eq!(winners, 1, "exactly one start must win: {results:?}");
  for loser in results.iter().filter(|output| !output.status.success()) {
    let stderr = String::from_utf8_lossy(&loser.stderr);
    assert!(
      stderr.contains("already running") || stderr.contains("starting it right now"),
      "{stderr}"
    );
  }
  wait_until("backend listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  // One keeper + one server: nothing else carries the marker.
  assert_eq!(
    test.processes().len(),
    2,
    "processes: {:?}",
    test.processes()
  );
  test.run(&["stop"]).success();
}

#[test]
fn foreground_dev_prefixes_output_and_ctrl_c_stops_everything() {
  let (a, b) = (free_port(), free_port());
  let test = Test::new().servers(&[
    server("backend", a),
    server("frontend", b).field("depends_on: [backend]"),
  ]);
  let mut dev = test.spawn(&[]);
  wait_until("both listen", Duration::from_secs(15), || {
    is_listening(a) && is_listening(b)
  });
  // Listening comes before the line about it reaches our terminal: wait for both lines.
  wait_until("prefixed output", Duration::from_secs(5), || {
    let (stdout, _) = test.spawned_output();
    stdout.contains("frontend │ listening") && stdout.contains(&format!("backend  │ listening {a}"))
  });
  assert_eq!(test.status_json()[0]["mode"], "foreground");

  signal(dev.id(), libc::SIGINT);
  assert_eq!(
    wait_child(&mut dev, Duration::from_secs(20)),
    0,
    "Ctrl+C is a normal way to stop"
  );
  let (_, stderr) = test.spawned_output();
  assert!(
    stderr.contains("backend stopped") && stderr.contains("frontend stopped"),
    "{stderr}"
  );
  assert!(is_bindable(a) && is_bindable(b));
  assert!(
    test.processes().is_empty(),
    "left behind: {:?}",
    test.processes()
  );
}

#[test]
fn a_failing_service_stops_the_others_and_exits_1() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u server.py\n    port: {port}\n  worker:\n    run: 'sleep 0.5; echo boom; exit 3'\n"
  ));
  let mut dev = test.spawn(&[]);
  assert_eq!(wait_child(&mut dev, Duration::from_secs(20)), 1);
  let (stdout, stderr) = test.spawned_output();
  assert!(stdout.contains("worker │ boom"), "{stdout}");
  assert!(stderr.contains("worker exited with code 3"), "{stderr}");
  assert!(stderr.contains("api stopped"), "{stderr}");
  assert!(
    test.processes().is_empty(),
    "left behind: {:?}",
    test.processes()
  );
}

#[test]
fn stop_from_another_terminal_ends_a_foreground_dev_cleanly() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  let mut dev = test.spawn(&[]);
  wait_until("api listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  test.run(&["api-stop"]).success();
  assert_eq!(wait_child(&mut dev, Duration::from_secs(10)), 0);
  assert!(
    test.processes().is_empty(),
    "left behind: {:?}",
    test.processes()
  );
}

#[test]
fn restart_in_place_keeps_the_foreground_output_flowing() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  let mut dev = test.spawn(&[]);
  wait_until("api listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  let first = test.pid_of("api").unwrap();
  test.run(&["restart", "api"]).success();
  wait_until_else(
    "new instance prints",
    Duration::from_secs(20),
    || test.spawned_output().0.matches("api │ listening").count() == 2,
    || {
      format!(
        "dev printed {:?}\nlog: {}",
        test.spawned_output(),
        test.log("api")
      )
    },
  );
  assert_ne!(test.pid_of("api").unwrap(), first);
  signal(dev.id(), libc::SIGTERM);
  assert_eq!(wait_child(&mut dev, Duration::from_secs(20)), 0);
  assert!(test.processes().is_empty());
}

#[test]
fn env_and_port_references_reach_the_service() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  backend:\n    run: exec python3 -u server.py\n    port: {port}\n  show:\n    run: 'echo \"api=$API port=$PORT raw=${{backend.port}}\"; sleep 30'\n    port: 4999\n    health: {{ log: 'api=http' }}\n    env:\n      API: \"http://127.0.0.1:${{backend.port}}/v1\"\n"
  ));
  test.run(&["up", "-d"]).success();
  // Not just `api=`: the log's header line shows the command, which contains that too.
  wait_until("show prints", Duration::from_secs(10), || {
    test.log("show").contains("api=http")
  });
  assert!(
    test.log("show").contains(&format!(
      "api=http://127.0.0.1:{port}/v1 port=4999 raw={port}"
    )),
    "{}",
    test.log("show")
  );
  test.run(&["stop"]).success();
}

#[test]
fn env_file_values_reach_the_service_as_dotenv_reads_them() {
  let test = Test::with_config(
    "env_file: .env\nservices:\n  show:\n    run: 'printf \"A=[%s] B=[%s] C=[%s] D=[%s] E=[%s]\\n\" \"$A\" \"$B\" \"$C\" \"$D\" \"$E\"; sleep 30'\n    health: { log: 'A=' }\n",
  );
  // A byte-order mark, a comment after a quoted value, an escape, a literal `$`, a quoted
  // value over two lines, and expansion of an earlier variable.
  test.write(
    ".env",
    "\u{feff}A=\"x\" # c\nB=\"tab\\tend\"\nC='lit $A'\nD=\"multi\nline\"\nE=${A}-$A\n",
  );
  test.run(&["up", "-d"]).success();
  let log = test.log("show");
  assert!(
    log.contains("A=[x] B=[tab\tend] C=[lit $A] D=[multi\nline] E=[x-x]"),
    "{log}"
  );
  test.run(&["stop"]).success();
}

#[test]
fn small_things_say_what_they_mean() {
  let test =
    Test::with_config("services:\n  bin:\n    run: |\n      echo one\n      echo two; sleep 30\n");
  test.run(&["up", "-d"]).success();
  wait_until("bin printed", Duration::from_secs(5), || {
    test.log("bin").contains("two")
  });
  // The header of a run is one line, whatever the command.
  let log = test.log("bin");
  assert_eq!(
    log.lines().next().unwrap().matches("──── ").count(),
    1,
    "{log}"
  );
  assert!(
    log
      .lines()
      .next()
      .unwrap()
      .contains("echo one echo two; sleep 30"),
    "{log}"
  );
  // `dev logs bin bin` is one log, once.
  let logs = test.run(&["logs", "bin", "bin"]);
  assert_eq!(
    logs.stdout().lines().filter(|line| *line == "two").count(),
    1,
    "{}",
    logs.stdout()
  );
  // Uptime is not `0ms` a second after the start.
  thread::sleep(Duration::from_millis(1100));
  let status = test.run(&["status"]).stdout();
  assert!(!status.contains(" 0ms "), "{status}");
  test.run(&["stop"]).success();
  // Port ranges on the command line.
  let checked = test.run(&["port", "check", "1-3", "5"]);
  assert_eq!(checked.stdout().lines().count(), 4, "{}", checked.stdout());
}

/// A stop's grace can be long (a server finishing its requests): while it runs, `dev status`
/// says the service is being stopped, as the dashboard does, not a plain "running".
#[test]
fn status_says_stopping_while_a_stop_waits_out_the_grace() {
  let test = Test::with_config(
    "services:\n  api:\n    run: trap '' TERM; echo up; while true; do sleep 0.1; done\n    stop: { grace: 3s }\n",
  );
  test.run(&["up", "-d"]).success();
  wait_until("api runs", Duration::from_secs(10), || {
    test.status_json()[0]["state"] == "running"
  });
  assert_eq!(test.status_json()[0]["transition"], serde_json::Value::Null);

  let mut stop = test.spawn(&["stop", "api"]);
  wait_until("status says stopping", Duration::from_secs(10), || {
    let row = &test.status_json()[0];
    row["state"] == "running" && row["transition"] == "stopping"
  });
  let table = test.run(&["status"]);
  assert!(table.stdout().contains("stopping"), "{}", table.stdout());

  let ended = stop.wait().expect("dev stop ends");
  assert!(ended.success(), "dev stop failed: {ended:?}");
  assert_eq!(test.status_json()[0]["state"], "stopped");
}
