//! A restart onto a port another program took while the service was down: the service
//! crashed and its keeper backs off (`restart: on-failure`), and meanwhile a foreign python
//! binds its port. The restart is forced with SIGUSR1 to the keeper (what `dev restart` sends),
//! which ends the back-off at a moment the test chooses.

use std::{fs, thread, time::Duration};

use crate::{
  harness::{Test, free_port, is_alive, signal, wait_until},
  proxy::get,
};

const NAMED_PY: &str = include_str!("fixtures/named.py");

/// A server slow to exit: on SIGTERM it closes its socket at once, then cleans up for 3 s.
const SLOW_PY: &str = "import os, signal, socket, time\n\
     s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
     s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen()\n\
     def bye(*_):\n    s.close(); time.sleep(3); os._exit(0)\n\
     signal.signal(signal.SIGTERM, bye)\n\
     print('listening', flush=True)\n\
     while True:\n    c, _ = s.accept(); c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nweb'); c.close()\n";

/// `web` on `port`, with `fallback` (a line of YAML, or nothing), restarted after a crash
/// only after a minute: the test ends the wait itself.
fn config(port: u16, fallback: &str) -> String {
  format!(
    "services:\n  web:\n    run: exec python3 -u named.py\n    port: {port}\n{fallback}    restart: on-failure\n    restart_delay: 60s\n    health: {{ http: \"http://127.0.0.1:$PORT/\" }}\n"
  )
}

fn keeper_pid(test: &Test) -> u32 {
  let text = fs::read_to_string(test.path().join(".dev/state/web.state.json")).unwrap();
  let state: serde_json::Value = serde_json::from_str(&text).unwrap();
  state["keeper"]["pid"].as_u64().unwrap() as u32
}

/// Starts `web`, kills it, and waits until its keeper backs off before the restart.
fn crashed(test: &Test) -> u32 {
  test.run(&["up", "-d"]).success();
  let pid = test.status_json()[0]["pid"].as_u64().unwrap() as u32;
  signal(pid, libc::SIGKILL);
  wait_until("web backs off", Duration::from_secs(20), || {
    test.status_json()[0]["next_restart"].is_object()
  });
  keeper_pid(test)
}

#[test]
fn a_crashed_service_whose_port_was_taken_restarts_on_its_fallback_and_its_name_follows() {
  let port = free_port();
  let mut test = Test::new();
  let proxy = test.with_proxy();
  let test = test.config(&config(port, "    fallback: auto\n"));
  test.write("named.py", NAMED_PY);
  let keeper = crashed(&test);
  // It answers HTTP: a proxy that reached it would pass its answer on.
  let foreign = test.foreign_with_env(port, "127.0.0.1", "http", &[("BODY", "foreign")]);
  let host = format!("web.{}.localhost", project_name(&test));
  // A request while the service is down waits for its next run: the foreign server's
  // answer is not the service's.
  let waiting = thread::spawn(move || get(proxy, &host));
  thread::sleep(Duration::from_millis(300));
  signal(keeper, libc::SIGUSR1);
  wait_until("web runs again", Duration::from_secs(20), || {
    test.status_json()[0]["state"] == "running"
  });
  let moved = test.status_json()[0]["port"].as_u64().unwrap() as u16;
  assert_ne!(moved, port, "{}", test.log("web"));
  assert!(
    test.log("web").contains(&format!(
      "port {port} was taken while it was down → using {moved}"
    )),
    "{}",
    test.log("web")
  );
  let (status, body) = waiting.join().unwrap().unwrap();
  assert_eq!(status, 200, "{body}");
  assert!(
    body.trim_end().ends_with(&format!(" {moved}")),
    "the proxy reached {body:?}"
  );
  let done = test.run(&["port", "web"]);
  assert_eq!(done.stdout().trim(), moved.to_string());
  assert!(is_alive(foreign.id()), "the foreign server was stopped");
  test.run(&["stop"]).success();
}

#[test]
fn without_a_fallback_a_crashed_service_whose_port_was_taken_ends_saying_who_holds_it() {
  let port = free_port();
  let test = Test::with_config(&config(port, ""));
  test.write("named.py", NAMED_PY);
  let keeper = crashed(&test);
  let foreign = test.foreign(port, "127.0.0.1", "plain");
  signal(keeper, libc::SIGUSR1);
  wait_until("web's keeper ends", Duration::from_secs(20), || {
    !is_alive(keeper)
  });
  let row = &test.status_json()[0];
  let why = row["not_restarted"].as_str().unwrap_or_default();
  assert!(
    why.contains(&format!(
      "port {port} is held by python3 (pid {}",
      foreign.id()
    )),
    "{row}"
  );
  crate::json_schemas::assert_matches(&test, &["status", "--json"], "status");
  let table = test.run(&["status"]);
  assert!(
    table.stdout().contains("not restarted: port"),
    "{}",
    table.stdout()
  );
  assert!(is_alive(foreign.id()), "the foreign server was stopped");
  assert_eq!(
    test.log("web").matches("started · pid").count(),
    1,
    "it ran again"
  );
}

#[test]
fn dev_restart_of_a_crashed_service_whose_port_was_taken_moves_it_to_its_fallback() {
  let port = free_port();
  let test = Test::with_config(&config(port, "    fallback: auto\n"));
  test.write("named.py", NAMED_PY);
  crashed(&test);
  let foreign = test.foreign(port, "127.0.0.1", "plain");
  let done = test.run(&["restart", "web"]);
  done.success();
  let moved = test.status_json()[0]["port"].as_u64().unwrap() as u16;
  assert_ne!(moved, port);
  assert!(
    done
      .stderr()
      .contains(&format!("web moves from port {port} to {moved}")),
    "{}",
    done.stderr()
  );
  assert!(is_alive(foreign.id()), "the foreign server was stopped");
  test.run(&["stop"]).success();
}

/// The project's name in URLs, as `dev list --all` says it.
fn project_name(test: &Test) -> String {
  let listing = test.run(&["list", "--all", "--json"]);
  listing.json()[0]["name"].as_str().unwrap().to_owned()
}

/// A service slow to exit (it closes its socket at once, then cleans up) is restarted, and a
/// foreign server takes its port in between: `dev restart` says who holds it, and the name
/// never leads to the foreign server — not during the restart, not after its keeper ended.
#[test]
fn a_restart_refused_for_a_taken_port_leaves_no_route_to_the_taker() {
  let port = free_port();
  let mut test = Test::new();
  let proxy = test.with_proxy();
  let test = test.config(&format!(
    "services:\n  web:\n    run: exec python3 -u slow.py\n    port: {port}\n    stop: {{ grace: 10s }}\n"
  ));
  test.write("slow.py", SLOW_PY);

  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost", project_name(&test));
  assert_eq!(get(proxy, &host).unwrap().1, "web");
  let mut restart = test.spawn(&["restart", "web"]);
  wait_until("web let go of its port", Duration::from_secs(20), || {
    !crate::harness::is_listening(port)
  });
  let foreign = test.foreign_with_env(port, "127.0.0.1", "http", &[("BODY", "foreign")]);
  // During the restart (web still cleaning up): the foreign server answers on web's port.
  let during = get(proxy, &host);
  assert!(
    !matches!(&during, Ok((_, body)) if body.contains("foreign")),
    "during the restart the name led to the foreign server: {during:?}"
  );
  let code = crate::harness::wait_child(&mut restart, Duration::from_secs(60));
  let said = test.spawned_output().1;
  assert_ne!(code, 0, "the restart said it worked: {said}");
  assert!(said.contains("held by python3"), "{said}");
  for _ in 0..3 {
    let answer = get(proxy, &host);
    assert!(
      !matches!(&answer, Ok((_, body)) if body.contains("foreign")),
      "the name led to the foreign server: {answer:?}"
    );
    thread::sleep(Duration::from_millis(300));
  }
  assert!(is_alive(foreign.id()), "the foreign server was stopped");
}

/// A keeper killed outright writes nothing: its claim stays in the ledger. A program that
/// then takes the port is not reached by the service's name.
#[test]
fn the_name_of_a_service_whose_keeper_was_killed_does_not_lead_to_the_ports_next_holder() {
  let port = free_port();
  let mut test = Test::new();
  let proxy = test.with_proxy();
  let test = test.config(&format!(
    "services:\n  web:\n    run: exec python3 -u named.py\n    port: {port}\n"
  ));
  test.write("named.py", NAMED_PY);
  test.run(&["up", "-d"]).success();
  let host = format!("web.{}.localhost", project_name(&test));
  assert_eq!(get(proxy, &host).unwrap().0, 200);
  // Both killed outright (the OOM killer's way): nothing is written.
  let (keeper, service) = (
    keeper_pid(&test),
    test.status_json()[0]["pid"].as_u64().unwrap(),
  );
  signal(keeper, libc::SIGKILL);
  signal(service as u32, libc::SIGKILL);
  wait_until("web let go of its port", Duration::from_secs(20), || {
    !crate::harness::is_listening(port)
  });
  let foreign = test.foreign_with_env(port, "127.0.0.1", "http", &[("BODY", "foreign")]);
  let answer = get(proxy, &host);
  assert!(
    !matches!(&answer, Ok((_, body)) if body.contains("foreign")),
    "the name led to the foreign server: {answer:?}"
  );
  assert!(is_alive(foreign.id()), "the foreign server was stopped");
  test.run(&["stop"]).success();
}

/// The same, with a `fallback:`: the keeper moves the service when the old run is gone, and
/// `dev restart` waits for it where it moved, says so, and is ready — not 60 s on the
/// foreign server's port with a warning that the service listens elsewhere.
#[test]
fn dev_restart_follows_a_move_the_keeper_made_for_a_port_taken_during_the_restart() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  web:\n    run: exec python3 -u slow.py\n    port: {port}\n    fallback: auto\n    stop: {{ grace: 10s }}\n    health: {{ tcp: '127.0.0.1:$PORT' }}\n"
  ));
  test.write("slow.py", SLOW_PY);
  test.run(&["up", "-d"]).success();
  let mut restart = test.spawn(&["restart", "web"]);
  wait_until("web let go of its port", Duration::from_secs(20), || {
    !crate::harness::is_listening(port)
  });
  let foreign = test.foreign(port, "127.0.0.1", "plain");
  let code = crate::harness::wait_child(&mut restart, Duration::from_secs(30));
  let said = test.spawned_output().1;
  assert_eq!(code, 0, "{said}");
  let moved = test.status_json()[0]["port"].as_u64().unwrap();
  assert_ne!(moved, u64::from(port));
  assert!(
    said.contains(&format!("web moved from port {port} to {moved}")),
    "{said}"
  );
  assert!(said.contains("web ready again"), "{said}");
  assert!(!said.contains("listens on"), "{said}");
  assert!(is_alive(foreign.id()), "the foreign server was stopped");
  test.run(&["stop"]).success();
}
