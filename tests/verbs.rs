//! The lifecycle verbs on a project that is partly or not running: `<svc>-restart` of a
//! stopped service, `up -d` beside running services, `stop` of a stopped (SIGSTOP) one.

use std::time::Duration;

use crate::harness::*;

/// `dev api-restart && run-tests`: a restart of a service stopped after a background run
/// starts it in the background again and returns. Before, it became a foreground `dev`
/// that never returned.
#[test]
fn restart_of_a_stopped_background_service_starts_it_in_the_background_and_returns() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "plain", "5s"));
  test.run(&["api", "-d"]).success();
  test.run(&["stop"]).success();

  let mut restart = test.spawn(&["api-restart"]);
  let code = wait_child(&mut restart, Duration::from_secs(30));
  let (_, stderr) = test.spawned_output();
  assert_eq!(code, 0, "{stderr}");
  assert!(
    stderr.contains("1 service was not running; starting api in the background"),
    "{stderr}"
  );
  assert!(is_listening(port), "{stderr}");
  assert_eq!(test.status_json()[0]["mode"], "background");
  test.run(&["stop"]).success();
}

/// `dev up -d` with one of two services running starts the other and uses the running one,
/// as `docker compose up -d` does. Before, it refused: "web is already running".
#[test]
fn up_detached_on_a_partly_running_project_starts_what_is_missing() {
  let (web, api) = (free_port(), free_port());
  let test = Test::new().servers(&[server("web", web), server("api", api)]);
  test.run(&["web", "-d"]).success();
  let web_pid = test.pid_of("web").unwrap();

  let up = test.run(&["up", "-d"]);
  up.success();
  assert!(
    up.stderr().contains("web is already running (pid"),
    "{}",
    up.stderr()
  );
  wait_until("api listens", Duration::from_secs(10), || is_listening(api));
  assert_eq!(test.pid_of("web"), Some(web_pid), "web is used as it is");

  // Everything runs now: nothing to start, said as before.
  let again = test.run(&["up", "-d"]);
  assert_eq!(again.code(), 1, "{}", again.stderr());
  assert!(
    again.stderr().contains("is already running"),
    "{}",
    again.stderr()
  );
  test.run(&["stop"]).success();
}

/// A service stopped with SIGSTOP (Ctrl+Z in its terminal, a debugger) ends on its stop
/// signal at once: SIGCONT goes with it. Before, the signal stayed pending and the stop
/// waited out the whole grace, then SIGKILLed it: no graceful shutdown.
#[test]
fn stop_of_a_sigstopped_service_wakes_it_for_its_graceful_shutdown() {
  let test = Test::with_config(
    "services:\n  api:\n    run: exec python3 -u graceful.py\n    stop: { grace: 10s }\n",
  );
  test.write(
    "graceful.py",
    "import signal, sys, time\n\ndef bye(*_):\n    print('graceful shutdown', flush=True)\n    sys.exit(0)\n\nsignal.signal(signal.SIGTERM, bye)\nprint('up', flush=True)\ntime.sleep(600)\n",
  );
  test.run(&["api", "-d"]).success();
  wait_until("api runs", Duration::from_secs(10), || {
    test.log("api").contains("up")
  });
  let pid = test.pid_of("api").unwrap();
  signal(pid, libc::SIGSTOP);
  wait_until("api is stopped", Duration::from_secs(5), || {
    procs::is_stopped(pid)
  });
  test.run(&["stop"]).success();
  assert!(
    test.log("api").contains("graceful shutdown"),
    "{}",
    test.log("api")
  );
}

/// Ctrl+C starts a graceful stop and says how to hurry it; a second Ctrl+C forces it, long
/// before the grace is over. Before, nothing said so, and users reached for `kill -9`.
#[test]
fn a_second_ctrl_c_forces_the_graceful_stop_and_the_first_says_so() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "ignore-term", "60s"));
  let mut dev = test.spawn(&[]);
  wait_until("api listens", Duration::from_secs(15), || {
    is_listening(port)
  });
  signal(dev.id(), libc::SIGINT);
  wait_until_else(
    "the hint",
    Duration::from_secs(10),
    || {
      test
        .spawned_output()
        .1
        .contains("press Ctrl+C again to force")
    },
    || test.spawned_output().1,
  );
  // A person's second press; a copy of the first within milliseconds is not one.
  std::thread::sleep(Duration::from_millis(100));
  signal(dev.id(), libc::SIGINT);
  wait_child(&mut dev, Duration::from_secs(20));
  test.wait_for_no_processes(Duration::from_secs(10));
  assert!(is_bindable(port));
}

/// One stop request delivered twice within milliseconds — SIGTERM to the whole process group
/// (`timeout`, `kill -- -PGID`, a closed terminal) reaching `dev` and also a wrapper that
/// passes it on (npm's launcher) — is one request: the service gets its grace. Before, the
/// copy counted as a second Ctrl+C and the service was SIGKILLed mid-shutdown.
#[test]
fn the_same_stop_request_arriving_twice_at_once_keeps_the_grace() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: python3 -u slow_stop.py {port}\n    port: {port}\n    stop: {{grace: 20s}}\n"
  ));
  test.write(
    "slow_stop.py",
    "import signal, socket, sys, time\n\
     s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
     s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n\
     def term(*_):\n    time.sleep(0.8); print('shutdown finished', flush=True); sys.exit(0)\n\
     signal.signal(signal.SIGTERM, term)\n\
     while True: time.sleep(1)\n",
  );
  let mut dev = test.spawn(&[]);
  wait_until("api listens", Duration::from_secs(15), || {
    is_listening(port)
  });
  signal(dev.id(), libc::SIGTERM);
  // Apart, so that the kernel does not merge the two into one pending signal.
  std::thread::sleep(Duration::from_millis(10));
  signal(dev.id(), libc::SIGTERM);
  // A foreground dev stopped as asked ends 0, as dev servers do (README's exit codes).
  assert_eq!(wait_child(&mut dev, Duration::from_secs(20)), 0);
  let (_, stderr) = test.spawned_output();
  assert!(!stderr.contains("stopping now"), "{stderr}");
  assert!(
    test.log("api").contains("shutdown finished"),
    "{}\n{stderr}",
    test.log("api")
  );
  test.wait_for_no_processes(Duration::from_secs(10));
}

/// A restart whose new run is stopped by `dev stop` before it is ready says it was stopped.
/// Before, it said "exited before it was ready again".
#[test]
fn a_restart_cut_short_by_a_stop_says_it_was_stopped() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).env("DELAY", "$(cat delay)")]);
  test.write("delay", "0");
  test.run(&["up", "-d"]).success();
  let old = test.pid_of("api").unwrap();
  test.write("delay", "30");
  let restart = test
    .command(&["api-restart"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
  test.wait_for_a_new_pid("api", old);
  test.run(&["stop"]).success();
  let restart = restart.wait_with_output().unwrap();
  let said = String::from_utf8_lossy(&restart.stderr);
  assert_eq!(restart.status.code(), Some(1), "{said}");
  assert!(
    said.contains("api was stopped before it was ready again"),
    "{said}"
  );
}

/// A restart that moves a service back to its primary port (free again) restarts the
/// running services that were given its old port, so they follow it. Before, they were
/// left on the old port with a warning.
#[test]
fn a_restart_back_to_the_primary_port_restarts_the_services_given_the_old_one() {
  let (port, fallback) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:
  backend:
    run: exec python3 -u server.py
    port: {port}
    fallback: [{fallback}]
  frontend:
    run: echo \"api at $API_URL\"; exec sleep 30
    env: {{ API_URL: \"http://127.0.0.1:${{backend.port}}\" }}
    depends_on: [backend]
"
  ));
  let holder = test.foreign(port, "127.0.0.1", "plain");
  test.run(&["up", "-d"]).success();
  let at = |port: u16| format!("api at http://127.0.0.1:{port}");
  wait_until(
    "frontend uses the fallback",
    Duration::from_secs(10),
    || test.log("frontend").contains(&at(fallback)),
  );
  drop(holder);
  wait_until("the primary port is free", Duration::from_secs(10), || {
    is_bindable(port)
  });
  let restart = test.run(&["backend-restart"]);
  restart.success();
  assert!(
    restart
      .stderr()
      .contains("restarting frontend too, it was given the old port"),
    "{}",
    restart.stderr()
  );
  wait_until_else(
    "frontend follows backend to its primary port",
    Duration::from_secs(10),
    || test.log("frontend").contains(&at(port)),
    || test.log("frontend"),
  );
  test.run(&["stop"]).success();
}

/// `dev stop` of a service that takes its grace says Ctrl+C forces it, and Ctrl+C does.
/// Before, Ctrl+C only killed `dev stop` and the service went on taking its whole grace.
#[test]
fn ctrl_c_during_dev_stop_forces_it() {
  let port = free_port();
  let test = Test::with_config(&server_config("api", port, "ignore-term", "60s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").unwrap();
  let mut stop = test.spawn(&["stop"]);
  wait_until_else(
    "the hint",
    Duration::from_secs(10),
    || test.spawned_output().1.contains("press Ctrl+C to force"),
    || test.spawned_output().1,
  );
  signal(stop.id(), libc::SIGINT);
  assert_eq!(wait_child(&mut stop, Duration::from_secs(20)), 0);
  let (_, stderr) = test.spawned_output();
  assert!(stderr.contains("stopping now (SIGKILL)"), "{stderr}");
  assert!(stderr.contains("api stopped"), "{stderr}");
  assert!(!is_alive(pid), "{stderr}");
  test.wait_for_no_processes(Duration::from_secs(10));
}
