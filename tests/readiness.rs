//! Readiness on start and `dev health`, against real python servers on loopback: late
//! listeners, 503-until-warm, services that die during start-up, health-gated chains.

use std::time::Duration;

use crate::harness::{Test, free_port, is_listening, server, wait_until};

/// The unix time at the end of the first log line starting with `prefix`: the server prints
/// `starting at <time>` and `listening <port> pid <pid> at <time>`.
fn time_of(log: &str, prefix: &str) -> f64 {
  log
    .lines()
    .find(|line| line.starts_with(prefix))
    .and_then(|line| line.rsplit(' ').next())
    .and_then(|time| time.parse().ok())
    .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{log}"))
}

fn listened_at(log: &str) -> f64 {
  time_of(log, "listening")
}

fn started_at(log: &str) -> f64 {
  time_of(log, "starting at")
}

/// The services' logs once each says `listening`: ready means listening, and the line saying
/// so may reach the log a moment after `dev up -d` returned.
fn logs_once_listening<const N: usize>(test: &Test, services: [&str; N]) -> [String; N] {
  wait_until("every log says listening", Duration::from_secs(10), || {
    services
      .iter()
      .all(|service| test.log(service).contains("listening"))
  });
  services.map(|service| test.log(service))
}

#[test]
fn up_returns_once_a_late_listener_is_ready_and_says_how_long_it_took() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).env("DELAY", "0.4")]);
  let done = test.args(&["up", "-d"]).status(0).run();
  // Ready means listening: no waiting needed after `up -d` returns.
  assert!(is_listening(port));
  let stderr = done.stderr();
  let line = stderr
    .lines()
    .find(|line| line.contains("api ready on"))
    .unwrap_or_else(|| panic!("no ready line in:\n{stderr}"));
  assert!(line.contains(&format!("http://127.0.0.1:{port}")), "{line}");
  // `(412ms)` or `(1.2s)`: at least the server's own delay.
  let took = line.rsplit('(').next().unwrap().trim_end_matches(')');
  let millis: f64 = match took.strip_suffix("ms") {
    Some(ms) => ms.parse().unwrap(),
    None => took.trim_end_matches('s').parse::<f64>().unwrap() * 1000.0,
  };
  assert!(millis >= 400.0, "{line}");
  test.run(&["stop"]).success();
}

#[test]
fn an_http_probe_waits_until_503_turns_into_200() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .env("WARMUP", "0.5")
    .mode("http")
    .field("health: { http: 'http://127.0.0.1:$PORT/health', body: ok }")]);
  test.run(&["up", "-d"]).success();
  let log = test.log("api");
  let listened = listened_at(&log);
  let now = std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .unwrap()
    .as_secs_f64();
  assert!(
    now - listened >= 0.5,
    "ready {:.3}s after listen, before the warm-up ended",
    now - listened
  );
  let health = test.run(&["health", "--json"]);
  health.success();
  let rows = health.json();
  assert_eq!(rows[0]["healthy"], true);
  assert_eq!(rows[0]["status"], 200);
  assert_eq!(rows[0]["probe"], "http");
  test.run(&["stop"]).success();
}

#[test]
fn a_service_that_dies_during_start_up_shows_its_log_and_dependents_never_start() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  db:
    run: echo 'migrations failed, table missing'; exit 3
    port: {port}
  api:
    run: exec python3 -u server.py
    port: {}
    depends_on: {{ db: healthy }}
",
    free_port()
  ));
  let done = test.args(&["up", "-d"]).status(1).run();
  let stderr = done.stderr();
  assert!(
    stderr.contains("error: db exited with code 3 before it was ready"),
    "{stderr}"
  );
  assert!(
    stderr.contains("migrations failed, table missing"),
    "{stderr}"
  );
  assert!(!stderr.contains("api started"), "{stderr}");
  assert!(test.log("api").is_empty());
  assert!(test.processes().is_empty());
}

#[test]
fn a_health_gated_chain_starts_each_service_after_the_one_before_is_ready() {
  let ports = [free_port(), free_port(), free_port()];
  let test = Test::new().servers(&[
    server("c", ports[2])
      .env("DELAY", 0.2)
      .field("depends_on: { b: healthy }"),
    server("b", ports[1])
      .env("DELAY", 0.2)
      .field("depends_on: { a: healthy }"),
    server("a", ports[0]).env("DELAY", 0.2),
  ]);
  test.run(&["up", "-d"]).success();
  let [a, b, c] = logs_once_listening(&test, ["a", "b", "c"]);
  assert!(
    started_at(&b) >= listened_at(&a),
    "b started before a was ready"
  );
  assert!(
    started_at(&c) >= listened_at(&b),
    "c started before b was ready"
  );
  test.run(&["stop"]).success();
}

#[test]
fn services_without_health_gates_start_in_parallel() {
  let test = Test::new().servers(&[
    server("one", free_port()).env("DELAY", 0.5),
    server("two", free_port()).env("DELAY", 0.5),
  ]);
  test.run(&["up", "-d"]).success();
  let [one, two] = logs_once_listening(&test, ["one", "two"]);
  // Started side by side: the second did not wait for the first's 0.5 s.
  assert!(
    started_at(&two) < listened_at(&one),
    "started one after the other"
  );
  test.run(&["stop"]).success();
}

#[test]
fn dev_health_reports_up_down_and_failing_services_with_exit_codes() {
  let (up, down, failing) = (free_port(), free_port(), free_port());
  let test = Test::new().servers(&[
    server("fine", up)
      .mode("http")
      .field("health: { http: 'http://127.0.0.1:$PORT/' }"),
    server("down", down)
      .mode("http")
      .field("health: { http: 'http://127.0.0.1:$PORT/' }"),
    server("failing", failing)
      .env("STATUS", "500")
      .mode("http")
      .field("health: { tcp: '127.0.0.1:$PORT', timeout: 500ms }"),
  ]);
  test.run(&["up", "-d", "fine", "failing"]).success();
  test.run(&["health", "fine"]).success();
  let done = test.args(&["health", "--json"]).status(1).run();
  assert!(
    done.stderr().contains("1 service is unhealthy: down"),
    "{}",
    done.stderr()
  );
  let rows = done.json();
  let row = |name: &str| {
    rows
      .as_array()
      .unwrap()
      .iter()
      .find(|row| row["service"] == name)
      .unwrap()
      .clone()
  };
  assert_eq!(row("fine")["healthy"], true);
  assert_eq!(row("down")["healthy"], false);
  // Never started: not running, whatever its probe would say.
  assert_eq!(row("down")["detail"], "not running");
  // A TCP probe does not care that the server answers 500.
  assert_eq!(row("failing")["healthy"], true);
  test.run(&["stop"]).success();

  // The same server answering 500 fails an HTTP probe, with the status in the table.
  let port = free_port();
  let test = Test::new().servers(&[server("err", port)
    .env("STATUS", "500")
    .mode("http")
    .field("health: { http: 'http://127.0.0.1:$PORT/', start_timeout: 3s }")]);
  let done = test.args(&["up", "-d"]).status(1).run();
  assert!(
    done.stderr().contains("HTTP 500 (expected 200–399)"),
    "{}",
    done.stderr()
  );
}

#[test]
fn localhost_reaches_a_server_bound_only_to_ipv6() {
  if std::net::TcpListener::bind("[::1]:0").is_err() {
    return; // no IPv6 loopback on this machine: nothing to prove
  }
  let port = free_port();
  let test = Test::new().servers(&[server("v6", port)
    .env("BIND", "::1")
    .mode("http")
    .field("health: { http: 'http://localhost:$PORT/' }")]);
  test.run(&["up", "-d"]).success();
  let health = test.run(&["health"]);
  health.success();
  assert!(health.stdout().contains("HTTP 200"), "{}", health.stdout());
  test.run(&["stop"]).success();
}

#[test]
fn a_server_that_moves_to_another_port_is_called_out() {
  let (configured, actual) = (free_port(), free_port());
  let test = Test::new().servers(&[server("vite", configured)
    .env("PORT", actual)
    .field("health: { start_timeout: 1500ms }")]);
  let done = test.args(&["up", "-d"]).status(1).run();
  assert!(
    done.stderr().contains(&format!(
      "vite listens on {actual}, not on its port {configured}"
    )),
    "{}",
    done.stderr()
  );
  // Said once, not again at every look until the deadline.
  assert_eq!(
    done.stderr().matches("not on its port").count(),
    1,
    "{}",
    done.stderr()
  );
}

/// A server that takes a second to bind is not "listening elsewhere" meanwhile: before it
/// listens anywhere there is nothing to call out (a mutant warned with an empty port list).
#[test]
fn a_server_slow_to_bind_is_not_called_out() {
  let port = free_port();
  let test = Test::new().servers(&[server("slow", port).env("DELAY", "1.2")]);
  let done = test.args(&["up", "-d"]).run();
  done.success();
  assert!(
    !done.stderr().contains("not on its port"),
    "{}",
    done.stderr()
  );
  test.run(&["stop"]).success();
}

#[test]
fn ctrl_c_while_waiting_for_readiness_stops_what_started() {
  let port = free_port();
  let test = Test::new().servers(&[server("slow", port).env("DELAY", "30")]);
  let mut dev = test.spawn(&["up", "-d"]);
  wait_until("slow started", Duration::from_secs(10), || {
    test.log("slow").contains("starting at")
  });
  crate::harness::signal(dev.id(), libc::SIGINT);
  assert_eq!(
    crate::harness::wait_child(&mut dev, Duration::from_secs(10)),
    130
  );
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn a_crashing_service_is_restarted_with_backoff_then_given_up_on() {
  let test = Test::with_config(
    "services:
  crashy:
    run: python3 -c 'import time; print(\"run at\", time.time(), flush=True); raise SystemExit(4)'
    restart: on-failure
    max_restarts: 2
    restart_delay: 150ms
",
  );
  test.run(&["up", "-d"]).success();
  wait_until("crashy gave up", Duration::from_secs(20), || {
    test.log("crashy").contains("gave up after 2 restarts")
  });
  let log = test.log("crashy");
  let runs: Vec<f64> = log
    .lines()
    .filter_map(|line| line.strip_prefix("run at "))
    .map(|time| time.parse().unwrap())
    .collect();
  assert_eq!(runs.len(), 3, "{log}");
  // The back-off doubles: 150 ms, then 300 ms (plus the time to start python).
  assert!(runs[1] - runs[0] >= 0.15, "{runs:?}");
  assert!(runs[2] - runs[1] >= 0.30, "{runs:?}");
  assert!(log.contains("crashy exited with code 4; restarting in 150ms (1 of 2)"));
  // The keeper writes "gave up" just before it records the exit and leaves.
  wait_until("crashy recorded as exited", Duration::from_secs(5), || {
    test.status_json()[0]["state"] == "exited"
  });
  let status = test.status_json();
  assert_eq!(status[0]["state"], "exited");
  assert_eq!(status[0]["exit_code"], 4);
  assert_eq!(status[0]["restarts"], 2);
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn on_failure_does_not_restart_a_clean_exit_but_always_does() {
  // Both with a short delay and one restart allowed, so a wrong restart of `once` would have
  // happened, and its keeper ended, by the time both keepers are gone.
  let test = Test::with_config(
    "services:
  once:
    run: echo done
    restart: on-failure
    max_restarts: 1
    restart_delay: 10ms
  again:
    run: echo again
    restart: always
    max_restarts: 1
    restart_delay: 10ms
",
  );
  test.run(&["up", "-d"]).success();
  test.wait_for_no_processes(Duration::from_secs(10));
  let once = test.log("once");
  assert_eq!(once.matches("\ndone").count(), 1, "{once}");
  // The line that ends the keeper, whole: "…; restarting in …" also starts this way.
  assert!(once.ends_with("once exited with code 0\n"), "{once}");
  assert!(!once.contains("restarting"), "{once}");
  let again = test.log("again");
  assert_eq!(again.matches("\nagain").count(), 2, "{again}");
  assert!(again.contains("gave up after 1 restart\n"), "{again}");
  let status = test.status_json();
  let restarts = |name: &str| {
    status
      .as_array()
      .unwrap()
      .iter()
      .find(|row| row["service"] == name)
      .map(|row| row["restarts"].clone())
  };
  assert_eq!(restarts("once"), Some(0.into()), "{status}");
  assert_eq!(restarts("again"), Some(1.into()), "{status}");
}

#[test]
fn a_restart_waits_for_the_new_process_to_be_ready() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).env("DELAY", "0.3")]);
  test.run(&["up", "-d"]).success();
  let done = test.args(&["api-restart"]).status(0).run();
  assert!(
    done.stderr().contains("api ready again"),
    "{}",
    done.stderr()
  );
  assert!(is_listening(port));
  test.run(&["stop"]).success();
}

#[test]
fn open_uses_the_desktop_opener_once_ready_but_never_in_ci() {
  let port = free_port();
  let test = Test::new().servers(&[server("web", port).field("open: true")]);
  // A stand-in `xdg-open` that records the URL it was given.
  test.write(
    "bin/xdg-open",
    &format!(
      "#!/bin/sh\necho \"$1\" > {}/opened\n",
      test.path().display()
    ),
  );
  let opener = test.path().join("bin/xdg-open");
  std::process::Command::new("chmod")
    .arg("+x")
    .arg(&opener)
    .status()
    .unwrap();
  let path = format!(
    "{}:{}",
    test.path().join("bin").display(),
    std::env::var("PATH").unwrap()
  );
  let run = |ci: bool| {
    let mut command = test.command(&["up", "-d"]);
    command.env("PATH", &path).env("DISPLAY", ":99");
    if ci {
      command.env("CI", "true");
    } else {
      command.env_remove("CI");
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
  };
  run(true);
  std::thread::sleep(Duration::from_millis(200));
  assert!(
    !test.path().join("opened").exists(),
    "opened a browser in CI"
  );
  test.run(&["stop"]).success();
  run(false);
  wait_until("the opener ran", Duration::from_secs(5), || {
    std::fs::read_to_string(test.path().join("opened"))
      .is_ok_and(|url| url.trim() == format!("http://127.0.0.1:{port}"))
  });
  test.run(&["stop"]).success();
}

#[test]
fn a_hung_service_is_restarted_by_its_liveness_probe_then_given_up_on() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .env("HANG", 0.3)
    .mode("http")
    .field("health: { http: 'http://127.0.0.1:$PORT/' }")
    .field("liveness: { interval: 100ms, timeout: 100ms, retries: 2 }")
    .field("max_restarts: 1")
    .field("restart_delay: 50ms")]);
  test.run(&["up", "-d"]).success();
  wait_until("api gave up", Duration::from_secs(20), || {
    test.log("api").contains("gave up after 1 restart")
  });
  let log = test.log("api");
  // Two runs, each answered, then hung, then was stopped: the probe found it alive but
  // not answering, with the readiness probe's own target.
  assert_eq!(log.matches("hanging at").count(), 2, "{log}");
  let notice = format!(
    "api was not responding (2 liveness probes failed in a row: GET http://127.0.0.1:{port}/ → timed out"
  );
  assert_eq!(log.matches(&notice).count(), 4, "{log}");
  assert_eq!(log.matches("; stopping it").count(), 2, "{log}");
  assert!(log.contains("; restarting in 50ms (1 of 1)"), "{log}");
  wait_until("api recorded as exited", Duration::from_secs(5), || {
    test.status_json()[0]["state"] == "exited"
  });
  let status = test.status_json();
  assert_eq!(status[0]["restarts"], 1);
  let why = status[0]["last_failure"].as_str().unwrap();
  assert!(
    why.starts_with("was not responding (2 liveness probes"),
    "{why}"
  );
  assert!(!is_listening(port));
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn an_exec_liveness_probe_restarts_the_service_only_while_it_fails() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .field("liveness: { exec: test -f alive, interval: 50ms, retries: 3 }")
    .field("restart_delay: 10ms")]);
  test.write("alive", "");
  test.run(&["up", "-d"]).success();
  let first = test.pid_of("api");
  // Passing probes for a while change nothing.
  std::thread::sleep(Duration::from_millis(400));
  assert_eq!(test.pid_of("api"), first);
  assert_eq!(test.status_json()[0]["restarts"], 0);

  std::fs::remove_file(test.path().join("alive")).unwrap();
  wait_until("api restarted", Duration::from_secs(10), || {
    test.status_json()[0]["restarts"] == 1
  });
  test.write("alive", "");
  // The exit code reached the probe although the keeper's reaper took the probe's shell.
  let log = test.log("api");
  assert!(
    log.contains("3 liveness probes failed in a row: exec `test -f alive` → exit code 1"),
    "{log}"
  );
  wait_until("api listening again", Duration::from_secs(10), || {
    is_listening(port)
  });
  let second = test.pid_of("api");
  assert_ne!(second, first);
  std::thread::sleep(Duration::from_millis(400));
  assert_eq!(test.pid_of("api"), second);
  let status = test.status_json();
  assert_eq!(status[0]["state"], "running");
  assert_eq!(status[0]["restarts"], 1);
  test.run(&["stop"]).success();
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn on_a_terminal_a_spinner_shows_the_wait_and_never_cuts_through_output() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  talker:
    run: while true; do echo tick; sleep 0.03; done
  slow:
    run: DELAY=0.8 exec python3 -u server.py
    port: {port}
"
  ));
  let (screen, code) = test.run_in_terminal(&["up"], Some("slow ready on"));
  assert_eq!(code, 0, "{screen}");
  let spinner = format!("slow: waiting for listening on port {port} · ");
  assert!(screen.contains(&spinner), "{screen:?}");
  // Every spinner is wiped (carriage return, erase line) before anything else is written.
  let wipe = "\r\x1b[2K";
  for (at, _) in screen.match_indices(&spinner) {
    let rest = &screen[at..];
    let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
    assert!(
      rest[end..].starts_with(wipe) || end == rest.len(),
      "{rest:?}"
    );
  }
  // Output lines and dev's own lines start at the beginning of a line, never after a spinner.
  for text in ["talker │ tick", "✓ slow ready on"] {
    let mut seen = 0;
    for (at, _) in screen.match_indices(text) {
      let before = &screen[..at];
      let ok = before.ends_with('\n') || before.ends_with(wipe);
      assert!(
        ok,
        "{text:?} after {:?}",
        &before[before.len().saturating_sub(60)..]
      );
      seen += 1;
    }
    assert!(seen > 0, "no {text:?} in {screen:?}");
  }
  test.wait_for_no_processes(Duration::from_secs(10));
}

#[test]
fn without_a_terminal_a_slow_start_gets_a_plain_waiting_line() {
  let port = free_port();
  let test = Test::new().servers(&[server("slow", port).env("DELAY", "1.3")]);
  let done = test.args(&["up", "-d"]).status(0).run();
  let stderr = done.stderr();
  assert!(
    stderr.contains(&format!("▸ slow: waiting for listening on port {port} (1.")),
    "{stderr}"
  );
  assert!(!stderr.contains('\x1b'), "{stderr:?}");
  test.run(&["stop"]).success();
}

/// While a crashing service waits out its restart back-off, nothing of it listens: a foreign
/// server that took its port meanwhile is not the service being ready.
#[test]
fn another_process_on_the_port_is_not_readiness_while_the_service_is_down() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: echo crashing; exit 3
    port: {port}
    restart: on-failure
    max_restarts: 2
    restart_delay: 1s
"
  ));
  let mut dev = test
    .command(&["up", "-d"])
    // The watcher's first probe comes after the foreign server listens.
    .env("DEV_TEST_READINESS_DELAY_MS", "1500")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
  wait_until("api crashed once", Duration::from_secs(10), || {
    test.log("api").contains("crashing")
  });
  let _foreign = test.foreign(port, "127.0.0.1", "plain");
  let (code, stderr) = crate::harness::wait_child_with_stderr(&mut dev, Duration::from_secs(30));
  assert_eq!(code, 1, "{stderr}");
  assert!(
    stderr.contains("api exited with code 3 before it was ready"),
    "{stderr}"
  );
  assert!(!stderr.contains("api ready"), "{stderr}");
}

/// `dev up -d backend & dev up -d frontend`: the backend runs but still answers 503; the
/// frontend, which needs it healthy, must wait for its probe, not for its mere running.
#[test]
fn a_running_dependency_is_awaited_healthy_not_just_running() {
  let (api, web) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:
  backend:
    run: WARMUP=1.5 exec python3 -u server.py http
    port: {api}
    health: {{ http: 'http://127.0.0.1:$PORT/' }}
  frontend:
    run: exec python3 -u -c 'import time; print(f\"starting at {{time.time():.6f}}\", flush=True); time.sleep(60)'
    depends_on: {{ backend: healthy }}
    port: {web}
    health: {{ log: starting }}
"
  ));
  let mut first = test
    .command(&["up", "-d", "backend"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
  wait_until("backend listens", Duration::from_secs(10), || {
    is_listening(api)
  });
  let done = test.args(&["up", "-d", "frontend"]).status(0).run();
  assert!(
    done.stderr().contains("backend is already running (pid")
      && done.stderr().contains("waiting until it is healthy"),
    "{}",
    done.stderr()
  );
  let warm = listened_at(&test.log("backend")) + 1.5;
  let started = started_at(&test.log("frontend"));
  assert!(
    started >= warm,
    "frontend started {:.3}s before the backend was healthy",
    warm - started
  );
  crate::harness::wait_child(&mut first, Duration::from_secs(20));
  test.run(&["stop"]).success();
}

/// After `dev stop`, a CI gate must not pass: an unrelated server answering on the port and
/// the last run's log line both used to make `dev health` exit 0.
#[test]
fn health_of_a_stopped_service_is_not_running_whatever_answers() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: exec python3 -u server.py http
    port: {port}
    health: {{ http: 'http://127.0.0.1:$PORT/' }}
  worker:
    run: echo worker ready; sleep 60
    health: {{ log: 'worker ready' }}
"
  ));
  test.run(&["up", "-d"]).success();
  test.run(&["health"]).success();
  test.run(&["stop"]).success();
  let _impostor = test.foreign(port, "127.0.0.1", "http");
  let done = test.args(&["health", "--json"]).status(1).run();
  for row in done.json().as_array().unwrap() {
    assert_eq!(row["healthy"], false, "{row}");
    assert_eq!(row["detail"], "not running", "{row}");
  }
  assert!(
    done.stderr().contains("2 services are unhealthy"),
    "{}",
    done.stderr()
  );
}
