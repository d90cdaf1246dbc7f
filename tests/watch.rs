//! Restart on change, with real file edits: `watch:` for services (detached and in the
//! foreground), `--watch` for tasks, and edits of devtasks.yaml while `dev up` runs.

use std::{fs, time::Duration};

use crate::harness::*;

fn restarts(test: &Test, service: &str) -> u64 {
  test
    .status_json()
    .as_array()
    .unwrap()
    .iter()
    .find(|row| row["service"] == service)
    .map_or(0, |row| row["restarts"].as_u64().unwrap_or(0))
}

#[test]
fn a_saved_file_restarts_the_service_on_its_port_and_ignored_paths_never_do() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).field("watch: [app]")]);
  for dir in ["app/node_modules/lib", "app/.git", "app/__pycache__"] {
    fs::create_dir_all(test.path().join(dir)).unwrap();
  }
  test.write("app/main.py", "x = 1\n");
  test.args(&["up", "-d"]).status(0).run();
  let first = test.pid_of("api").unwrap();
  test.write("app/main.py", "x = 2\n");
  test.wait_for_a_new_pid("api", first);
  wait_until_else(
    "listening again, and said so",
    Duration::from_secs(10),
    || {
      is_listening(port)
        && test
          .log("api")
          .contains("↻ api: app/main.py changed → restarted (ready in")
    },
    || test.log("api"),
  );
  let log = test.log("api");
  assert!(!log.contains("Address already in use"), "{log}");
  let second = test.pid_of("api").unwrap();
  // What is ignored, by name or by .gitignore, never restarts it.
  test.write("app/.gitignore", "*.tmp\n");
  std::thread::sleep(Duration::from_millis(400));
  let third = test.pid_of("api").unwrap();
  for (path, text) in [
    ("app/node_modules/lib/index.js", "x"),
    ("app/.git/HEAD", "x"),
    ("app/__pycache__/main.pyc", "x"),
    ("app/notes.tmp", "x"),
    ("logs/other.log", "x"),
  ] {
    test.write(path, text);
  }
  std::thread::sleep(Duration::from_millis(800));
  assert_eq!(
    test.pid_of("api"),
    Some(third),
    "an ignored path restarted it"
  );
  assert!(third != second || restarts(&test, "api") >= 1);
  test.args(&["stop"]).status(0).run();
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn fifty_edits_of_a_server_slow_to_release_its_port_never_hit_address_in_use() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)
    .env("EXIT_DELAY", 0.1)
    .field("watch: {paths: [app], debounce: 20ms}")]);
  test.write("app/main.py", "0\n");
  test.args(&["up", "-d"]).status(0).run();
  // Counted by the server's "listening" lines: waiting for "a pid other than the last" would
  // never end if the pid counter were rewound meanwhile.
  let listeners = || test.listening_pids("api").len();
  // Ready means listening; the line saying so may reach the log a moment later.
  wait_until("the first listener", Duration::from_secs(10), || {
    listeners() == 1
  });
  for cycle in 1..=50 {
    test.write("app/main.py", &format!("{cycle}\n"));
    wait_until_else(
      &format!("cycle {cycle}: a new listener"),
      Duration::from_secs(20),
      || listeners() > cycle,
      || format!("status: {}\nlog:\n{}", test.status_json(), test.log("api")),
    );
  }
  let log = test.log("api");
  assert!(
    !log.to_lowercase().contains("address already in use"),
    "{log}"
  );
  let pids = test.listening_pids("api");
  assert!(
    pids.windows(2).all(|pair| pair[0] != pair[1]),
    "every restart is a new process: {pids:?}"
  );
  eprintln!(
    "figure: 50 edit-restart cycles, {} listeners on port {port}, each a new pid, 0 EADDRINUSE",
    pids.len()
  );
  test.args(&["stop"]).status(0).run();
}

#[test]
fn the_keepers_lines_and_a_flooding_services_lines_never_split_each_other_in_the_log() {
  // 20 lines, a millisecond's pause, forever: the pump appends all the time while the
  // keeper writes "↻ … restarted (ready in …)" into the same file, once line 200 is out.
  let test = Test::with_config(
    "services:\n  gush:\n    run: python3 -u flood.py\n    watch: {paths: [app], debounce: 20ms}\n    health: {log: 'flood 00000200 end'}\n",
  );
  test.write(
    "flood.py",
    "import itertools, time\nfor i in itertools.count():\n    print(f'flood {i:08d} end', flush=True)\n    if i % 20 == 0: time.sleep(0.001)\n",
  );
  test.write("app/main.py", "0\n");
  test.args(&["up", "-d"]).status(0).run();
  let said = || test.log("gush").matches("changed → restarted").count();
  for save in 1..=10 {
    test.write("app/main.py", &format!("{save}\n"));
    wait_until(&format!("restart {save}"), Duration::from_secs(20), || {
      said() >= save
    });
  }
  test.args(&["stop"]).status(0).run();
  let log = test.log("gush");
  let broken: Vec<&str> = log
    .lines()
    .filter(|line| {
      let keepers = line.starts_with("──── ") && !line.contains("flood ");
      let services = line.starts_with("flood ") && line.ends_with(" end") && line.len() == 18;
      !keepers && !services
    })
    .take(5)
    .collect();
  assert!(broken.is_empty(), "lines split by another: {broken:#?}");
}

#[test]
fn a_burst_of_a_hundred_saves_in_a_second_restarts_once() {
  let port = free_port();
  let test =
    Test::new().servers(&[server("api", port).field("watch: {paths: [app], debounce: 200ms}")]);
  test.write("app/main.py", "0\n");
  test.args(&["up", "-d"]).status(0).run();
  // 10 ms apart: far inside the 200 ms debounce, one burst.
  for save in 0..100 {
    test.write("app/main.py", &format!("{save}\n"));
    std::thread::sleep(Duration::from_millis(10));
  }
  wait_until("the restart", Duration::from_secs(10), || {
    restarts(&test, "api") >= 1
  });
  std::thread::sleep(Duration::from_millis(800));
  let count = restarts(&test, "api");
  eprintln!("figure: 100 saves in a burst → {count} restart(s)");
  assert!(matches!(count, 1 | 2), "{count} restarts");
  test.args(&["stop"]).status(0).run();
}

#[test]
fn dependents_restart_in_order_once_the_changed_service_is_ready() {
  let (api, web) = (free_port(), free_port());
  let test = Test::new().servers(&[
    server("api", api).env("DELAY", 0.3).field("watch: [app]"),
    server("web", web).field("depends_on: { api: healthy }"),
  ]);
  test.write("app/main.py", "0\n");
  test.args(&["up", "-d"]).status(0).run();
  test.write("app/main.py", "1\n");
  wait_until_else(
    "web's second run listens, and api said so",
    Duration::from_secs(15),
    || {
      test.log("web").matches("listening").count() >= 2
        && test.log("api").contains("↻ web: restarted after api")
    },
    || format!("api:\n{}\nweb:\n{}", test.log("api"), test.log("web")),
  );
  let time = |service: &str, prefix: &str| -> f64 {
    test
      .log(service)
      .lines()
      .rev()
      .find(|line| line.starts_with(prefix))
      .and_then(|line| line.rsplit(' ').next()?.parse().ok())
      .unwrap_or_else(|| {
        panic!(
          "no `{prefix}` in the log of {service}:\n{}",
          test.log(service)
        )
      })
  };
  assert!(
    time("web", "starting at") >= time("api", "listening"),
    "web restarted before api was ready again"
  );
  assert_eq!(restarts(&test, "api"), 1);
  test.args(&["stop"]).status(0).run();
}

#[test]
fn a_broken_version_stays_down_until_the_next_save_fixes_it() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  api:\n    run: exec python3 -u app/main.py\n    port: {port}\n    watch: {{paths: [app], debounce: 50ms}}\n"
  ));
  let good = "import os, socket, time\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen(8)\nprint('up', flush=True)\ntime.sleep(60)\n";
  test.write("app/main.py", good);
  test.args(&["up", "-d"]).status(0).run();
  test.write("app/main.py", "raise SystemExit('broken on purpose')\n");
  wait_until("it failed and waits", Duration::from_secs(10), || {
    test.status_json()[0]["mode"] == "waiting for a change"
  });
  assert!(!is_listening(port));
  test
    .args(&["status"])
    .status(0)
    .stdout_contains("waiting for a change")
    .run();
  test.write("app/main.py", good);
  wait_until("running again", Duration::from_secs(10), || {
    test.status_json()[0]["state"] == "running" && is_listening(port)
  });
  test.args(&["stop"]).status(0).run();
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn up_with_no_watch_ignores_watch_and_up_with_watch_watches_the_cwd() {
  let (one, two) = (free_port(), free_port());
  let test = Test::new().servers(&[
    server("listed", one).field("watch: [app]"),
    server("unlisted", two),
  ]);
  test.write("app/main.py", "0\n");
  test
    .args(&["up", "-d", "--no-watch", "listed"])
    .status(0)
    .run();
  test
    .args(&["up", "-d", "--watch", "unlisted"])
    .status(0)
    .run();
  test.write("app/main.py", "1\n");
  wait_until("unlisted restarted", Duration::from_secs(10), || {
    restarts(&test, "unlisted") >= 1
  });
  std::thread::sleep(Duration::from_millis(500));
  assert_eq!(restarts(&test, "listed"), 0, "--no-watch");
  // --no-watch holds across a restart (the keeper keeps it), and so does --watch.
  test.args(&["listed-restart"]).status(0).run();
  let before = restarts(&test, "listed");
  test.write("app/main.py", "2\n");
  std::thread::sleep(Duration::from_millis(800));
  assert_eq!(restarts(&test, "listed"), before);
  test.args(&["stop"]).status(0).run();
}

#[test]
fn a_watched_task_runs_again_on_change_and_the_run_in_progress_is_stopped() {
  let test = Test::with_config(
    "tasks:\n  check:\n    run: 'echo run $(cat src/v) $$ >> runs; sleep 30'\n    watch: [src]\n",
  );
  test.write("src/v", "1");
  let mut watcher = test.spawn(&["check", "--watch"]);
  let runs = |test: &Test| fs::read_to_string(test.path().join("runs")).unwrap_or_default();
  wait_until("the first run", Duration::from_secs(10), || {
    runs(&test).contains("run 1")
  });
  let first: u32 = runs(&test)
    .split_whitespace()
    .nth(2)
    .unwrap()
    .parse()
    .unwrap();
  test.write("src/v", "2");
  wait_until("the second run", Duration::from_secs(10), || {
    runs(&test).contains("run 2")
  });
  wait_until("the first run stopped", Duration::from_secs(5), || {
    !is_alive(first)
  });
  let (_, said) = test.spawned_output();
  assert!(said.contains("──── run 2 · src/v changed ────"), "{said}");
  assert!(
    said.contains("watching src for `check` (1 directory)"),
    "{said}"
  );
  signal(watcher.id(), libc::SIGINT);
  wait_child(&mut watcher, Duration::from_secs(10));
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn edits_of_the_task_file_apply_while_up_runs_and_a_broken_one_changes_nothing() {
  let (api, moved, web, extra) = (free_port(), free_port(), free_port(), free_port());
  let yaml = |api_port: u16, with_extra: bool| {
    let mut servers = vec![server("api", api_port), server("web", web)];
    if with_extra {
      servers.push(server("extra", extra));
    }
    services(&servers)
  };
  let test = Test::new().config(&yaml(api, false));
  let mut dev = test.spawn(&[]);
  wait_until("both up", Duration::from_secs(10), || {
    is_listening(api) && is_listening(web)
  });
  let web_pid = test.pid_of("web").unwrap();
  // The port of api changes and extra appears: api moves, extra starts, web is untouched.
  test.write("devtasks.yaml", &yaml(moved, true));
  wait_until("api on its new port", Duration::from_secs(10), || {
    is_listening(moved)
  });
  wait_until("extra started", Duration::from_secs(10), || {
    is_listening(extra)
  });
  assert!(!is_listening(api));
  assert_eq!(test.pid_of("web"), Some(web_pid), "web did not change");
  // A broken edit: said where, nothing stops.
  test.write("devtasks.yaml", "services:\n  api: {run: x, port: nope}\n");
  std::thread::sleep(Duration::from_millis(800));
  assert!(is_listening(moved) && is_listening(extra) && is_listening(web));
  // Removed from the file: stopped.
  test.write(
    "devtasks.yaml",
    &services(&[server("api", moved), server("web", web)]),
  );
  wait_until("extra stopped", Duration::from_secs(10), || {
    !is_listening(extra)
  });
  let (_, said) = test.spawned_output();
  assert!(said.contains("devtasks.yaml:2:"), "{said}");
  assert!(said.contains("nothing changed"), "{said}");
  assert!(
    said.contains("extra was removed from devtasks.yaml"),
    "{said}"
  );
  signal(dev.id(), libc::SIGINT);
  wait_child(&mut dev, Duration::from_secs(15));
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn a_service_watching_its_whole_directory_is_not_restarted_by_its_own_log() {
  let test = Test::with_config(
    "services:\n  chatty:\n    run: while true; do echo tick; sleep 0.05; done\n    watch: true\n",
  );
  test.args(&["up", "-d"]).status(0).run();
  std::thread::sleep(Duration::from_millis(1500));
  assert!(test.log("chatty").matches("tick").count() > 10);
  assert_eq!(restarts(&test, "chatty"), 0, "{}", test.log("chatty"));
  test.write("main.sh", "echo changed\n");
  wait_until("a real change restarts it", Duration::from_secs(10), || {
    restarts(&test, "chatty") == 1
  });
  test.args(&["stop"]).status(0).run();
}

#[test]
fn a_save_while_a_crashed_service_is_cleaned_up_starts_it_again() {
  // It crashes after 0.3 s; its child ignores SIGTERM, so the clean-up takes the 1 s grace.
  let test = Test::with_config(
    "services:\n  api:\n    run: (trap '' TERM; sleep 30) & sleep 0.3; exit 3\n    stop: { grace: 1s }\n    watch: {paths: [app], debounce: 20ms}\n",
  );
  test.write("app/main.py", "0\n");
  test.args(&["up", "-d"]).status(0).run();
  // Crash at 0.3 s, clean-up until about 1.3 s: the save lands in between.
  std::thread::sleep(Duration::from_millis(800));
  test.write("app/main.py", "1\n");
  wait_until_else(
    "a new run after the save",
    Duration::from_secs(20),
    || test.log("api").matches("api started").count() >= 2,
    || test.log("api"),
  );
  test.args(&["stop"]).status(0).run();
}

/// `rm -rf app && mkdir app && cp …`, as `git checkout` of another branch does: the old
/// directories' watches end with them; the new ones must be watched again.
#[test]
fn a_watch_survives_its_directories_being_replaced_as_by_a_checkout() {
  let port = free_port();
  let test =
    Test::new().servers(&[server("api", port).field("watch: {paths: [app], debounce: 50ms}")]);
  test.write("app/main.py", "0\n");
  test.write("app/lib/util.py", "0\n");
  test.args(&["up", "-d"]).status(0).run();
  let listeners = || test.listening_pids("api").len();
  wait_until("the first listener", Duration::from_secs(10), || {
    listeners() == 1
  });
  let cycles = 5;
  for cycle in 1..=cycles {
    // The whole root replaced (odd cycles), or a directory below it (even ones).
    let replaced = if cycle % 2 == 1 { "app" } else { "app/lib" };
    let before = listeners();
    fs::remove_dir_all(test.path().join(replaced)).unwrap();
    test.write("app/main.py", &format!("checkout {cycle}\n"));
    test.write("app/lib/util.py", &format!("checkout {cycle}\n"));
    wait_until_else(
      &format!("cycle {cycle}: the replacement of {replaced} restarts it"),
      Duration::from_secs(20),
      || listeners() > before,
      || test.log("api"),
    );
    // Let the restarts the replacement causes settle, then save: it must be seen.
    std::thread::sleep(Duration::from_secs(2));
    let settled = listeners();
    test.write(
      "app/lib/util.py",
      &format!("saved after checkout {cycle}\n"),
    );
    wait_until_else(
      &format!("cycle {cycle}: a save after {replaced} was replaced restarts it"),
      Duration::from_secs(20),
      || listeners() > settled,
      || format!("status: {}\nlog:\n{}", test.status_json(), test.log("api")),
    );
  }
  eprintln!(
    "figure: {cycles} of {cycles} saves after a checkout-like replacement (of the watched root or a directory below it) restarted the service"
  );
  test.args(&["stop"]).status(0).run();
}

/// `dev <task> --watch` shares the service's watch: a replaced `src` is watched again.
#[test]
fn a_watched_task_still_runs_on_a_save_after_its_directory_was_replaced() {
  let test = Test::with_config(
    "tasks:\n  check:\n    run: 'echo run $(cat src/v) >> runs'\n    watch: {paths: [src], debounce: 50ms}\n",
  );
  test.write("src/v", "1");
  let mut watcher = test.spawn(&["check", "--watch"]);
  let runs = |test: &Test| fs::read_to_string(test.path().join("runs")).unwrap_or_default();
  wait_until("the first run", Duration::from_secs(10), || {
    runs(&test).contains("run 1")
  });
  fs::remove_dir_all(test.path().join("src")).unwrap();
  test.write("src/v", "2");
  wait_until(
    "a run after the replacement",
    Duration::from_secs(10),
    || runs(&test).contains("run 2"),
  );
  // Let the runs the replacement causes settle, then save.
  std::thread::sleep(Duration::from_secs(2));
  test.write("src/v", "3");
  wait_until_else(
    "a run on the save after the replacement",
    Duration::from_secs(10),
    || runs(&test).contains("run 3"),
    || format!("{}\n{}", runs(&test), test.spawned_output().1),
  );
  signal(watcher.id(), libc::SIGINT);
  wait_child(&mut watcher, Duration::from_secs(10));
}

/// `dev t --watch > out.txt` inside the project: the task's own output changed a watched
/// file, which ran it again, which wrote again — forever (36 runs in 8 s). What dev's stdout
/// or stderr write is never a change; a real save still is.
#[test]
fn a_watched_task_whose_output_goes_into_the_project_runs_once_per_save() {
  let test =
    Test::with_config("tasks:\n  check:\n    run: echo ran\n    watch: {debounce: 50ms}\n");
  test.write("src/v", "1");
  // `spawn` sends dev's stdout and stderr to dev.out and dev.err in the project itself.
  let mut watcher = test.spawn(&["check", "--watch"]);
  let runs = |test: &Test| test.spawned_output().0.matches("ran").count();
  wait_until("the first run", Duration::from_secs(10), || {
    runs(&test) == 1
  });
  // Ten debounces: a loop on its own output would have run again many times by now.
  std::thread::sleep(Duration::from_millis(500));
  assert_eq!(runs(&test), 1, "{}", test.spawned_output().1);
  test.write("src/v", "2");
  wait_until_else(
    "a run on the save",
    Duration::from_secs(10),
    || runs(&test) == 2,
    || format!("{:?}", test.spawned_output()),
  );
  std::thread::sleep(Duration::from_millis(500));
  assert_eq!(runs(&test), 2, "{}", test.spawned_output().1);
  signal(watcher.id(), libc::SIGINT);
  wait_child(&mut watcher, Duration::from_secs(10));
}

/// The same from a subdirectory: the watch's changed paths are relative to its root (the
/// task's cwd), not to where dev was started.
#[test]
fn a_watched_task_run_from_a_subdirectory_still_ignores_its_own_output() {
  let test =
    Test::with_config("tasks:\n  check:\n    run: echo ran\n    watch: {debounce: 50ms}\n");
  test.write("sub/v", "1");
  let out = fs::File::create(test.path().join("dev.out")).unwrap();
  let mut watcher = test
    .command(&["check", "--watch"])
    .current_dir(test.path().join("sub"))
    .stdout(out)
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
  let runs = |test: &Test| test.spawned_output().0.matches("ran").count();
  wait_until("the first run", Duration::from_secs(10), || {
    runs(&test) == 1
  });
  std::thread::sleep(Duration::from_millis(500));
  assert_eq!(runs(&test), 1, "its own output ran it again");
  signal(watcher.id(), libc::SIGINT);
  wait_child(&mut watcher, Duration::from_secs(10));
}

/// `watch:` naming a file and a directory: the file's own directory is watched to see it,
/// and a save beside the file (not under the watched directory) is no change of it.
#[test]
fn a_save_beside_a_watched_file_is_not_a_change_of_it() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).field("watch: [settings.py, src]")]);
  fs::create_dir_all(test.path().join("src")).unwrap();
  test.write("settings.py", "DEBUG = True\n");
  test.args(&["up", "-d"]).status(0).run();
  let first = test.pid_of("api").unwrap();
  test.write("notes.py", "x = 1\n");
  std::thread::sleep(Duration::from_millis(800));
  assert_eq!(
    test.pid_of("api"),
    Some(first),
    "a save beside settings.py restarted it"
  );
  test.write("settings.py", "DEBUG = False\n");
  test.wait_for_a_new_pid("api", first);
  test.args(&["stop"]).status(0).run();
}
