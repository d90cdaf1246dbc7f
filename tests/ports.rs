//! `dev port who|check|free|find` and the port step before every start, against real
//! listeners on loopback (IPv4, IPv6, dual-stack, pre-fork, bind-only, TIME_WAIT).

use std::{fs, io::Read, net::TcpStream, time::Duration};

use crate::harness::{
  Test, free_port, free_port_where, is_alive, is_bindable, is_listening, procs::is_stopped, signal,
  wait_child, wait_until,
};

fn holder_pids(report: &serde_json::Value) -> Vec<u64> {
  let mut pids: Vec<u64> = report["holders"]
    .as_array()
    .unwrap()
    .iter()
    .map(|h| h["pid"].as_u64().unwrap())
    .collect();
  pids.sort_unstable();
  pids
}

fn has_ipv6() -> bool {
  std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[test]
fn who_finds_ipv4_ipv6_and_dual_stack_listeners() {
  let test = Test::new();
  let (v4, v6, dual) = (free_port(), free_port(), free_port());
  let a = test.foreign(v4, "127.0.0.1", "plain");
  let mut expected = vec![(v4, a.id(), "127.0.0.1")];
  let mut children = vec![a];
  if has_ipv6() {
    let b = test.foreign(v6, "::1", "plain");
    let c = test.foreign(dual, "::", "plain");
    expected.push((v6, b.id(), "::1"));
    expected.push((dual, c.id(), "::"));
    children.extend([b, c]);
  }
  let ports: Vec<String> = expected.iter().map(|(p, _, _)| p.to_string()).collect();
  let mut args = vec!["port", "who", "--json"];
  args.extend(ports.iter().map(String::as_str));
  let done = test.run(&args);
  done.success();
  let reports = done.json();
  for (i, (port, pid, address)) in expected.iter().enumerate() {
    let report = &reports[i];
    assert_eq!(report["port"], *port);
    assert_eq!(report["status"], "listening");
    assert_eq!(holder_pids(report), vec![u64::from(*pid)]);
    let holder = &report["holders"][0];
    assert_eq!(holder["addresses"][0], *address);
    assert!(holder["command"].as_str().unwrap().contains("server.py"));
    assert_eq!(holder["cwd"], test.path().to_str().unwrap());
  }
  // The text form names the pid and the command.
  let text = test.run(&["port", "who", &ports[0]]);
  assert!(
    text.stdout().contains(&expected[0].1.to_string()),
    "{}",
    text.stdout()
  );
  assert!(text.stdout().contains("server.py"));
  drop(children);
}

#[test]
fn who_lists_every_process_sharing_a_prefork_socket() {
  let test = Test::new();
  let port = free_port();
  let parent = test.foreign(port, "127.0.0.1", "prefork");
  // The three children accept on the inherited socket.
  let mut pids = Vec::new();
  wait_until("3 pre-forked children", Duration::from_secs(5), || {
    let report = test
      .run(&["port", "who", "--json", &port.to_string()])
      .json();
    pids = holder_pids(&report[0]);
    pids.len() == 4
  });
  assert!(pids.contains(&u64::from(parent.id())));
  // Freeing stops all four, and the port is bindable afterwards. The children's parent was
  // signalled and the parent's parent is this test: no parent is left running.
  let freed = test
    .args(&["port", "free", &port.to_string(), "--yes", "--json"])
    .status(0)
    .run()
    .json();
  assert_eq!(freed["parents_left"], serde_json::json!([]), "{freed}");
  for pid in &pids {
    wait_until("pre-fork process gone", Duration::from_secs(5), || {
      !is_alive(*pid as u32)
    });
  }
  assert!(is_bindable(port));
}

#[test]
fn check_tells_free_listening_bound_and_time_wait_apart_by_exit_code() {
  let test = Test::new();
  let (listening, bound, waiting, free) = (free_port(), free_port(), free_port(), free_port());
  let _listener = test.foreign(listening, "127.0.0.1", "plain");
  let _bound = test.foreign(bound, "127.0.0.1", "bind-only");
  // A real TIME_WAIT: the server closes first (so the TIME_WAIT is on its port), then dies.
  let server = test.foreign(waiting, "127.0.0.1", "plain");
  let mut client = TcpStream::connect(("127.0.0.1", waiting)).unwrap();
  let mut rest = Vec::new();
  client.read_to_end(&mut rest).unwrap();
  drop(client);
  drop(server);

  let code = |port: u16| test.run(&["port", "check", &port.to_string()]).code();
  assert_eq!(code(free), 0);
  assert_eq!(code(listening), 1);
  assert_eq!(code(bound), 3);
  assert_eq!(code(waiting), 4);

  let done = test.run(&["port", "who", "--json", &waiting.to_string()]);
  let report = &done.json()[0];
  assert_eq!(report["status"], "time_wait");
  assert!(report["time_wait"]["count"].as_u64().unwrap() >= 1);
  assert!(report["time_wait"]["longest_ms"].as_u64().unwrap() > 0);
  // TIME_WAIT alone does not stop a server from binding.
  assert!(is_bindable(waiting));
  // Several ports: the most severe answer wins.
  let all = test.run(&[
    "port",
    "check",
    &free.to_string(),
    &waiting.to_string(),
    &listening.to_string(),
  ]);
  assert_eq!(all.code(), 1, "{}", all.stdout());
}

#[test]
fn freeing_a_port_never_touches_the_holder_of_a_longer_port_with_the_same_digits() {
  let test = Test::new();
  // `kill-port 1808` style substring matching would hit 18080's owner.
  let short = free_port_where(|p| {
    if u32::from(p) * 10 <= 65535 {
      vec![p * 10]
    } else {
      vec![0]
    }
  });
  let long = short * 10;
  let holder = test.foreign(long, "127.0.0.1", "plain");
  test
    .args(&["port", "free", &short.to_string(), "--yes"])
    .status(0)
    .stderr_contains("already free")
    .run();
  let who = test
    .run(&["port", "who", "--json", &short.to_string()])
    .json();
  assert_eq!(who[0]["status"], "free");
  assert!(who[0]["holders"].as_array().unwrap().is_empty());
  assert!(is_alive(holder.id()), "the holder of {long} was touched");
  drop(holder);
}

#[test]
fn a_foreign_listener_is_not_stopped_without_yes() {
  let test = Test::new();
  let port = free_port();
  let holder = test.foreign(port, "127.0.0.1", "plain");
  let refused = test.run(&["port", "free", &port.to_string()]);
  assert_eq!(refused.code(), 1);
  assert!(
    refused.stderr().contains("which dev did not start")
      && refused.stderr().contains(&holder.id().to_string())
      && refused.stderr().contains("--yes"),
    "{}",
    refused.stderr()
  );
  assert!(is_alive(holder.id()));
  // Its parent is this test, an ancestor of that `dev`: never a parent "left running".
  assert!(
    !refused.stderr().contains("left running"),
    "{}",
    refused.stderr()
  );

  let done = test
    .args(&["port", "free", &port.to_string(), "--yes", "--json"])
    .status(0)
    .run();
  let freed = done.json();
  assert_eq!(freed["parents_left"], serde_json::json!([]), "{freed}");
  assert_eq!(freed["stopped"][0]["pid"], holder.id());
  assert_eq!(freed["stopped"][0]["killed"], false);
  assert!(freed["bindable_after_ms"].is_u64());
  assert!(!is_alive(holder.id()));
  assert!(is_bindable(port));
}

#[test]
fn port_free_kills_a_holder_that_ignores_sigterm_after_the_grace() {
  let test = Test::new();
  let port = free_port();
  let holder = test.foreign(port, "127.0.0.1", "ignore-term");
  let done = test
    .args(&[
      "port",
      "free",
      &port.to_string(),
      "--yes",
      "--grace",
      "200ms",
      "--json",
    ])
    .status(0)
    .run();
  let freed = done.json();
  assert_eq!(freed["stopped"][0]["killed"], true);
  assert!(!is_alive(holder.id()));
  assert!(is_bindable(port));
}

#[test]
fn port_free_of_a_dev_service_stops_it_through_its_keeper() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config("api", port, "plain", "5s"));
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api").expect("api runs");
  wait_until("api listens", Duration::from_secs(5), || is_listening(port));
  // No --yes needed: dev started it.
  test
    .args(&["port", "free", &port.to_string()])
    .status(0)
    // The whole service stops, every port of it: said, since one port was asked for.
    .stderr_contains("stopped dev service api, all of it, through its keeper")
    .run();
  assert!(!is_alive(pid));
  assert_eq!(test.pid_of("api"), None);
}

/// A keeper that does not end within its service's grace and the slack after it (here held
/// by SIGSTOP, as a hung one would be) is ended by `dev port free`, not left behind.
#[test]
fn port_free_ends_a_keeper_that_does_not_stop_in_time() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config(
    "api", port, "plain", "300ms",
  ));
  test.run(&["up", "-d"]).success();
  wait_until("api listens", Duration::from_secs(5), || is_listening(port));
  let state: serde_json::Value = serde_json::from_str(
    &fs::read_to_string(test.path().join(".dev/state/api.state.json")).unwrap(),
  )
  .unwrap();
  let keeper = state["keeper"]["pid"].as_u64().unwrap() as u32;
  signal(keeper, libc::SIGSTOP);
  wait_until("the keeper is stopped", Duration::from_secs(5), || {
    is_stopped(keeper)
  });
  // The service outlives its keeper here, so the port may stay held: the exit code is not
  // what this test is about.
  let _ = test.run(&["port", "free", &port.to_string()]);
  wait_until("the keeper is ended", Duration::from_secs(5), || {
    !is_alive(keeper)
  });
}

/// A service whose keeper was SIGKILLed still carries its markers, and its state file still
/// names the dead keeper: `port free` stops the service itself, not through a keeper that is
/// gone (whose pid may be another process's by now).
#[test]
fn port_free_of_a_service_whose_keeper_was_killed_stops_the_service_itself() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config(
    "api", port, "plain", "300ms",
  ));
  test.run(&["up", "-d"]).success();
  wait_until("api listens", Duration::from_secs(5), || is_listening(port));
  let service = test.pid_of("api").expect("api runs");
  let state: serde_json::Value = serde_json::from_str(
    &fs::read_to_string(test.path().join(".dev/state/api.state.json")).unwrap(),
  )
  .unwrap();
  let keeper = state["keeper"]["pid"].as_u64().unwrap() as u32;
  signal(keeper, libc::SIGKILL);
  wait_until("the keeper is gone", Duration::from_secs(5), || {
    !is_alive(keeper)
  });
  let freed = test
    .args(&["port", "free", &port.to_string(), "--json"])
    .status(0)
    .run()
    .json();
  assert_eq!(freed["stopped"][0]["pid"], service, "{freed}");
  assert!(!is_alive(service));
  assert!(is_bindable(port));
}

#[test]
fn bad_port_arguments_are_usage_errors() {
  let test = Test::new();
  for bad in ["abc", "0", "70000", "-1", ""] {
    test
      .args(&["port", "free", bad])
      .status(2)
      .stderr_contains("port")
      .stderr_lacks("panicked")
      .run();
  }
  test
    .args(&["port", "free", "8000", "--grace", "soon"])
    .status(2)
    .stderr_contains("duration")
    .run();
  test.args(&["up", "--port", "backend"]).status(2).run();
}

#[test]
fn port_commands_work_outside_any_project() {
  let test = Test::new();
  let port = free_port();
  test
    .args(&["port", "check", &port.to_string()])
    .status(0)
    .run();
  let found = test.run(&["port", "find", "20000", "--count", "3", "--json"]);
  found.success();
  let ports = found.json();
  let ports = ports.as_array().unwrap();
  assert_eq!(ports.len(), 3);
  assert!(ports.iter().all(|p| p.as_u64().unwrap() >= 20000));
}

#[test]
fn find_skips_reserved_ports_and_ports_of_running_services() {
  let base = free_port_where(|p| (1..=4).map(|i| p + i).collect());
  let test = Test::with_config(&format!(
    "reserved: [{}]\nservices:\n  api:\n    run: exec python3 -u server.py\n    port: {}\n",
    base,
    base + 1
  ));
  test.run(&["up", "-d"]).success();
  let found = test
    .run(&["port", "find", &base.to_string(), "-n", "2", "--json"])
    .json();
  assert_eq!(found, serde_json::json!([base + 2, base + 3]));
  test.run(&["stop"]).success();
}

const TWO_SERVICES: &str = "services:
  backend:
    run: exec python3 -u server.py
    port: {port}
    fallback: [{fallback}]
  frontend:
    run: echo \"api at $API_URL\"; exec sleep 30
    env: {{ API_URL: \"http://127.0.0.1:${{backend.port}}\" }}
    depends_on: [backend]
";

#[test]
fn a_fallback_port_is_chosen_announced_and_reaches_dependents() {
  let (port, fallback) = (free_port(), free_port());
  let test = Test::with_config(
    &TWO_SERVICES
      .replace("{port}", &port.to_string())
      .replace("{fallback}", &fallback.to_string())
      .replace("{{", "{")
      .replace("}}", "}"),
  );
  let holder = test.foreign(port, "127.0.0.1", "plain");
  let done = test.args(&["up", "-d"]).status(0).run();
  assert!(
    done
      .stderr()
      .contains(&format!("{port} held by python3 (pid {}", holder.id()))
      && done.stderr().contains(&format!("→ using {fallback}")),
    "{}",
    done.stderr()
  );
  wait_until("frontend printed", Duration::from_secs(5), || {
    test.log("frontend").contains("api at http")
  });
  assert!(
    test
      .log("frontend")
      .contains(&format!("api at http://127.0.0.1:{fallback}")),
    "{}",
    test.log("frontend")
  );
  let status = test.status_json();
  assert_eq!(status[0]["port"], fallback);
  assert!(is_alive(holder.id()), "fallback must not touch the holder");
  test.run(&["stop"]).success();
}

#[test]
fn a_held_port_without_fallback_fails_naming_the_holder_and_the_fixes() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config("api", port, "plain", "5s"));
  let holder = test.foreign(port, "127.0.0.1", "plain");
  let done = test.args(&["up", "-d"]).status(1).run();
  let stderr = done.stderr();
  for needle in [
    format!(
      "cannot start api: port {port} is held by python3 (pid {}",
      holder.id()
    ),
    "dev api-force".into(),
    format!("dev port free {port}"),
    "fallback:".into(),
  ] {
    assert!(stderr.contains(&needle), "missing {needle:?} in\n{stderr}");
  }
  assert!(is_alive(holder.id()));
  assert_eq!(test.pid_of("api"), None);
}

#[test]
fn service_force_stops_a_foreign_holder_says_what_and_starts() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config("api", port, "plain", "5s"));
  let mut holder = test.foreign(port, "127.0.0.1", "plain");
  let done = test.args(&["api-force", "-d"]).status(0).run();
  assert!(
    done
      .stderr()
      .contains(&format!("stopped pid {} (", holder.id()))
      && done.stderr().contains("server.py plain) to free port"),
    "{}",
    done.stderr()
  );
  holder.wait_exit(Duration::from_secs(5));
  let status = test.status_json();
  assert_eq!(status[0]["state"], "running");
  assert_eq!(status[0]["port"], port);
  test.run(&["stop"]).success();
}

#[test]
fn the_services_own_orphan_is_stopped_without_asking() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config("api", port, "plain", "5s"));
  // A previous instance whose keeper and state file are gone: its markers prove whose it is.
  let root = test.path().to_str().unwrap().to_owned();
  let mut orphan = test.foreign_with_env(
    port,
    "127.0.0.1",
    "plain",
    &[
      ("DEV_SERVICE", "api"),
      ("DEV_PROJECT", &root),
      ("DEV_INSTANCE", "old"),
    ],
  );
  test
    .args(&["up", "-d"])
    .status(0)
    .stderr_contains(&format!("stopped pid {}", orphan.id()))
    .run();
  orphan.wait_exit(Duration::from_secs(5));
  assert_eq!(test.status_json()[0]["port"], port);
  test.run(&["stop"]).success();
}

#[test]
fn a_process_of_the_same_name_in_another_project_is_foreign() {
  let port = free_port();
  let test = Test::with_config(&crate::harness::server_config("api", port, "plain", "5s"));
  let holder = test.foreign_with_env(
    port,
    "127.0.0.1",
    "plain",
    &[
      ("DEV_SERVICE", "api"),
      ("DEV_PROJECT", "/somewhere/else"),
      ("DEV_INSTANCE", "theirs"),
    ],
  );
  assert_eq!(test.run(&["up", "-d"]).code(), 1);
  assert!(is_alive(holder.id()));
}

#[test]
fn concurrent_starts_needing_a_fallback_get_different_ports() {
  let port = free_port();
  let fallbacks: Vec<u16> = (0..4).map(|_| free_port()).collect();
  let list = fallbacks
    .iter()
    .map(u16::to_string)
    .collect::<Vec<_>>()
    .join(", ");
  let service = |name: &str| {
    format!(
      "  {name}:\n    run: exec python3 -u server.py\n    port: {port}\n    fallback: [{list}]\n"
    )
  };
  let test = Test::with_config(&format!("services:\n{}{}", service("one"), service("two")));
  let _holder = test.foreign(port, "127.0.0.1", "plain");
  let mut one = test
    .command(&["up", "-d", "one"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
  let mut two = test
    .command(&["up", "-d", "two"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
  assert_eq!(wait_child(&mut one, Duration::from_secs(30)), 0);
  assert_eq!(wait_child(&mut two, Duration::from_secs(30)), 0);
  let status = test.status_json();
  let ports: Vec<u64> = status
    .as_array()
    .unwrap()
    .iter()
    .map(|row| row["port"].as_u64().unwrap())
    .collect();
  assert_eq!(ports.len(), 2);
  assert_ne!(ports[0], ports[1], "both got {}", ports[0]);
  test.run(&["stop"]).success();
}

#[test]
fn named_ports_and_overrides_reach_the_service() {
  let (http, ws, fixed, env_fixed) = (free_port(), free_port(), free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:
  viewer:
    run: echo \"PORT=$PORT WS=$PORT_WS\"; exec python3 -u server.py
    ports: {{ http: {http}, ws: {ws} }}
  client:
    run: echo \"ws at ${{viewer.ports.ws}}\"; exec sleep 30
"
  ));
  test
    .run(&["up", "-d", "--port", &format!("viewer.ws={fixed}")])
    .success();
  wait_until("both printed", Duration::from_secs(5), || {
    test.log("viewer").contains(&format!("WS={fixed}"))
      && test.log("client").contains(&format!("ws at {fixed}"))
  });
  assert!(
    test
      .log("viewer")
      .contains(&format!("PORT={http} WS={fixed}")),
    "{}",
    test.log("viewer")
  );
  assert!(test.log("client").contains(&format!("ws at {fixed}")));
  test.run(&["stop"]).success();

  let done = test
    .command(&["up", "-d", "viewer"])
    .env("DEV_VIEWER_PORT", env_fixed.to_string())
    .output()
    .unwrap();
  assert!(done.status.success());
  wait_until("viewer printed again", Duration::from_secs(5), || {
    test.log("viewer").contains(&format!("PORT={env_fixed}"))
  });
  test.run(&["stop"]).success();
  let _ = fs::remove_dir_all(test.path().join("logs"));
}

/// A holder whose parent starts it again at once (a restart loop, nodemon): `port free`
/// must not say "free" a moment before it is taken again, and names who restarts it.
#[test]
fn port_free_names_the_parent_that_starts_the_holder_again() {
  use std::process::{Command, Stdio};
  let port = free_port();
  let test = Test::new();
  test.write(
    "restarter.py",
    // A fork, not a new interpreter: the holder is back within milliseconds even on a
    // loaded machine (a new python3 took longer than dev's watch of the port under load).
    "import os, time
code = compile(open('server.py').read(), 'server.py', 'exec')
while True:
    pid = os.fork()
    if pid == 0:
        os.setsid()
        exec(code, {'__name__': '__main__'})
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.1)
",
  );
  let mut restarter = Command::new("python3")
    .arg("restarter.py")
    .current_dir(test.path())
    .env("PORT", port.to_string())
    .env("DEV_TEST_ID", test.path().file_name().unwrap())
    .stdout(Stdio::null())
    .stdin(Stdio::null())
    .spawn()
    .unwrap();
  wait_until("the server listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  let done = test
    .args(&["port", "free", &port.to_string(), "--yes"])
    .status(1)
    .run();
  assert!(
    done.stderr().contains(&format!(
      "port {port} was freed, then taken again by python3"
    )) && done
      .stderr()
      .contains(&format!("(pid {}) started it again", restarter.id())),
    "{}",
    done.stderr()
  );
  assert!(done.stderr().contains(&format!("kill {}", restarter.id())));
  let _ = restarter.kill();
  let _ = restarter.wait();
}

/// Two holders of one port (`SO_REUSEPORT`), each started by a parent of its own: both
/// parents are left running and both are named, not only the first one found.
#[test]
fn port_free_names_every_parent_it_leaves_running() {
  use std::process::{Child, Command, Stdio};
  struct Parents(Vec<Child>);
  impl Drop for Parents {
    fn drop(&mut self) {
      for child in &mut self.0 {
        let _ = child.kill();
        let _ = child.wait();
      }
    }
  }
  let port = free_port();
  let test = Test::new();
  // The holder ends by itself when its parent does, so that nothing outlives a failure.
  test.write(
    "reuseport.py",
    "import os, socket, subprocess, sys, time
if sys.argv[1:] == ['parent']:
    subprocess.Popen([sys.executable, '-u', sys.argv[0]])
    while True:
        time.sleep(1)
parent = os.getppid()
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(('127.0.0.1', int(os.environ['PORT'])))
sock.listen(8)
while os.getppid() == parent:
    time.sleep(0.1)
",
  );
  let spawn = || {
    Command::new("python3")
      .args(["-u", "reuseport.py", "parent"])
      .current_dir(test.path())
      .env("PORT", port.to_string())
      .env("DEV_TEST_ID", test.marker())
      .stdin(Stdio::null())
      .stdout(Stdio::null())
      .spawn()
      .unwrap()
  };
  let parents = Parents(vec![spawn(), spawn()]);
  wait_until("both holders listen", Duration::from_secs(10), || {
    let report = test
      .run(&["port", "who", "--json", &port.to_string()])
      .json();
    holder_pids(&report[0]).len() == 2
  });
  let freed = test
    .args(&["port", "free", &port.to_string(), "--yes", "--json"])
    .status(0)
    .run()
    .json();
  let mut left: Vec<u64> = freed["parents_left"]
    .as_array()
    .unwrap()
    .iter()
    .map(|parent| parent["pid"].as_u64().unwrap())
    .collect();
  left.sort_unstable();
  let mut expected: Vec<u64> = parents.0.iter().map(|p| u64::from(p.id())).collect();
  expected.sort_unstable();
  assert_eq!(left, expected, "{freed}");
}

#[test]
fn check_and_who_name_a_port_a_dev_is_still_starting_a_service_on() {
  let port = free_port();
  let runtime = tempfile::tempdir().unwrap();
  let runtime_dir = runtime.path().to_str().unwrap();
  // The server takes 30 s before it binds: meanwhile only the ledger knows the port is taken.
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u server.py\n    port: {port}\n    env:\n      DELAY: \"30\"\n"
  ));
  let mut up = test
    .command(&["up", "-d"])
    .env("DEV_RUNTIME_DIR", runtime_dir)
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
  let ledger = runtime.path().join("ledger.json");
  wait_until("the port claimed", Duration::from_secs(10), || {
    fs::read_to_string(&ledger).is_ok_and(|text| text.contains(&port.to_string()))
  });
  assert!(is_bindable(port), "the server bound already");
  let env = [("DEV_RUNTIME_DIR", runtime_dir)];
  let check = test.run_with_env(&["port", "check", &port.to_string()], &env);
  assert_eq!(check.code(), 5, "{}{}", check.stdout(), check.stderr());
  assert!(
    check.stdout().contains("claimed by dev for `api` of")
      && check.stdout().contains("the service is starting"),
    "{}",
    check.stdout()
  );
  let who = test.run_with_env(&["port", "who", "--json", &port.to_string()], &env);
  who.success();
  let report = &who.json()[0];
  assert_eq!(report["status"], "claimed", "{report}");
  assert_eq!(report["claim"]["service"], "api");
  test.run_with_env(&["stop"], &env).success();
  let _ = up.kill();
  let _ = up.wait();
}

#[test]
fn a_range_streams_its_reports_and_stops_quietly_when_the_reader_goes_away() {
  use std::io::{BufRead, BufReader};
  let test = Test::new();
  for json in [false, true] {
    let mut args = vec!["port", "who", "1024-65535"];
    if json {
      args.push("--json");
    }
    let mut who = test
      .command(&args)
      .stdout(std::process::Stdio::piped())
      .stderr(std::process::Stdio::piped())
      .spawn()
      .unwrap();
    // The first line, read by a thread: the 64 000 ports take minutes, the wait is bounded.
    let (lines, first_line) = std::sync::mpsc::channel();
    let stdout = who.stdout.take().unwrap();
    std::thread::spawn(move || {
      let mut reader = BufReader::new(stdout);
      let mut first = String::new();
      reader.read_line(&mut first).unwrap();
      let _ = lines.send((first, reader));
    });
    let (first, reader) = first_line
      .recv_timeout(Duration::from_secs(20))
      .expect("no output within 20 s: the reports were held until the end");
    assert!(
      first.starts_with("port 1024") || first.starts_with('['),
      "{first:?}"
    );
    // `| head -1`: the reader goes away; dev stops, quietly, with 0.
    drop(reader);
    let code = wait_child(&mut who, Duration::from_secs(10));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut who.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
  }
}
