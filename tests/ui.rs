//! `dev ui` in a real terminal (tmux): what the table shows, keys that act through the CLI's
//! verbs, search through scrollback, resize, and quitting without stopping anything.

use std::time::Duration;

use crate::harness::*;

#[test]
fn the_table_shows_states_and_ports_and_keys_restart_stop_and_start() {
  let port = free_port();
  let test = Test::new().servers(&[
    server("api", port),
    server("web", free_port()).field("depends_on: [api]"),
  ]);
  test.args(&["up", "-d"]).status(0).run();
  let first = test.pid_of("api").unwrap();
  let ui = Tmux::start(&test, "ui", 150, 30);
  ui.wait_for(&format!("http://127.0.0.1:{port}"));
  ui.wait_for("└ web");
  ui.wait_until("both ready", |screen| screen.matches("ready").count() >= 2);
  ui.keys(&["r"]);
  test.wait_for_a_new_pid("api", first);
  ui.wait_for("dev api-restart: ✓");
  ui.keys(&["s"]);
  ui.wait_for("dev api-stop: ■ api stopped");
  assert!(
    !test.status_json()[0]["state"]
      .as_str()
      .unwrap()
      .contains("running")
  );
  ui.wait_until("api shown stopped", |screen| {
    screen
      .lines()
      .any(|line| line.starts_with("api") && line.contains("stopped"))
  });
  ui.keys(&["u"]);
  ui.wait_for("dev up -d api: ✓");
  assert!(test.pid_of("api").is_some());
  ui.keys(&["q"]);
  ui.wait_for("dev exited with 0");
  test.args(&["stop"]).status(0).run();
}

#[test]
fn search_finds_a_line_long_scrolled_out_of_view_and_y_copies_the_screen() {
  let test = Test::with_config(
    "services:\n  numbers:\n    run: python3 -c \"[print(f'item {i}.', flush=True) for i in range(500)]\"; sleep 60\n",
  );
  test.args(&["up", "-d"]).status(0).run();
  let ui = Tmux::start(&test, "ui", 100, 20);
  ui.wait_for("item 499.");
  assert!(!ui.screen().contains("item 17."));
  ui.keys(&["/"]);
  ui.type_text("item 17.");
  ui.keys(&["Enter"]);
  ui.wait_for("item 17.");
  ui.wait_for("paused");
  // The highlight is reverse video on the match.
  let styled = ui.screen_with_styles();
  assert!(
    styled
      .lines()
      .any(|line| line.contains("\x1b[7m") && line.ends_with("item 17.\x1b[0m\x1b[39m\x1b[49m")),
    "{styled}"
  );
  ui.keys(&["y"]);
  ui.wait_for("copied");
  assert!(ui.clipboard().contains("item 17."), "{}", ui.clipboard());
  ui.keys(&["Escape"]);
  ui.wait_until("back at the bottom", |screen| {
    screen.contains("item 499.") && !screen.contains("item 17.")
  });
  ui.keys(&["q"]);
  test.args(&["stop"]).status(0).run();
}

#[test]
fn a_resize_redraws_a_small_terminal_is_told_and_quitting_leaves_services_running() {
  let test = Test::new().servers(&[server("api", free_port())]);
  let ui = Tmux::start_with_env(&test, "NO_COLOR=1", "up --ui", 120, 24);
  ui.wait_for("SERVICE");
  ui.wait_for("ready");
  // NO_COLOR: bold and reverse video (the selection) only, no color.
  let styled = ui.screen_with_styles();
  assert!(!styled.contains("\x1b[38;5;"), "{styled}");
  assert!(
    styled.contains("\x1b[0;7m") || styled.contains("\x1b[7m"),
    "{styled}"
  );
  ui.resize(50, 10);
  ui.wait_for("terminal too small: 50×10");
  ui.resize(120, 24);
  ui.wait_for("SERVICE");
  ui.keys(&["?"]);
  ui.wait_for("any key closes");
  ui.keys(&["x"]);
  ui.wait_until("help closed", |screen| !screen.contains("any key closes"));
  ui.keys(&["q"]);
  ui.wait_for("dev exited with 0");
  assert!(test.pid_of("api").is_some(), "quitting the UI stopped api");
  test.args(&["stop"]).status(0).run();
}

#[test]
fn a_restart_or_stop_from_another_terminal_shows_while_the_old_run_takes_its_grace() {
  // It ignores SIGTERM, so each end takes the whole 3 s grace before SIGKILL.
  let test = Test::new().servers(&[server("slow", free_port())
    .mode("ignore-term")
    .field("stop: { grace: 3s }")]);
  test.args(&["up", "-d"]).status(0).run();
  let old = procs::Seen::now(test.pid_of("slow").unwrap()).unwrap();
  let ui = Tmux::start(&test, "ui", 120, 24);
  let row_says = |state: &'static str| {
    move |screen: &str| {
      screen
        .lines()
        .any(|line| line.starts_with("slow") && line.contains(state))
    }
  };
  ui.wait_until("slow ready", row_says("ready"));
  let mut restart = test.command(&["slow-restart"]).spawn().unwrap();
  ui.wait_until("slow restarting", row_says("restarting…"));
  assert!(old.is_alive(), "shown only once the old run was gone");
  assert_eq!(wait_child(&mut restart, Duration::from_secs(20)), 0);
  ui.wait_until("slow ready again", row_says("ready"));
  let new = procs::Seen::now(test.pid_of("slow").unwrap()).unwrap();
  let mut stop = test.command(&["slow-stop"]).spawn().unwrap();
  ui.wait_until("slow stopping", row_says("stopping…"));
  assert!(new.is_alive(), "shown only once it had stopped");
  assert_eq!(wait_child(&mut stop, Duration::from_secs(20)), 0);
  ui.wait_until("slow stopped", row_says("stopped"));
  ui.keys(&["q"]);
}

#[test]
fn without_a_terminal_ui_says_what_to_use_instead() {
  let test = Test::new().servers(&[server("api", free_port())]);
  test
    .args(&["ui"])
    .status(2)
    .stderr_contains("needs a terminal")
    .stderr_contains("dev status --json")
    .run();
}

#[test]
fn a_service_added_to_the_task_file_and_started_meanwhile_appears_with_its_log() {
  let test = Test::with_config("services:\n  first:\n    run: echo first-line; sleep 60\n");
  test.args(&["up", "-d"]).status(0).run();
  let ui = Tmux::start(&test, "ui", 120, 24);
  ui.wait_for("first-line");
  test.write(
    "devtasks.yaml",
    "services:\n  first:\n    run: echo first-line; sleep 60\n  second:\n    run: echo second-line; sleep 60\n",
  );
  test.args(&["up", "-d", "second"]).status(0).run();
  ui.wait_until("second's row and its line", |screen| {
    screen.lines().any(|line| line.starts_with("second ")) && screen.contains("second-line")
  });
  ui.keys(&["q"]);
  test.args(&["stop"]).status(0).run();
}

#[test]
fn the_pager_force_open_and_probe_keys_do_what_they_say() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)]);
  test.args(&["up", "-d"]).status(0).run();
  let first = test.pid_of("api").unwrap();
  // A pager that leaves a trace (a copy of what it was given) and ends at once: the
  // dashboard takes the screen back.
  std::fs::create_dir(test.path().join("paged")).unwrap();
  let pager = format!("PAGER='cp -t {}/paged'", test.path().display());
  let ui = Tmux::start_with_env(
    &test,
    &format!("{pager} DISPLAY= WAYLAND_DISPLAY="),
    "ui",
    120,
    24,
  );
  ui.wait_for("ready");
  ui.keys(&["p"]);
  wait_until("the pager got the log", Duration::from_secs(10), || {
    test.path().join("paged/api.log").exists()
  });
  ui.wait_until("the dashboard back after the pager", |screen| {
    screen.contains("SERVICE") && !screen.contains("cannot run the pager")
  });
  ui.keys(&["o"]);
  ui.wait_for(&format!("not opening http://127.0.0.1:{port}"));
  ui.keys(&["h"]);
  ui.wait_for("probing…");
  ui.keys(&["K"]);
  test.wait_for_a_new_pid("api", first);
  ui.wait_for("dev api-force");
  ui.keys(&["q"]);
  ui.wait_for("dev exited with 0");
  test.args(&["stop"]).status(0).run();
}

#[test]
fn a_service_is_starting_until_its_probe_passes_then_ready_then_unhealthy_when_it_hangs() {
  let test = Test::new().servers(&[server("api", free_port())
    .mode("http")
    .env("WARMUP", 5)
    .env("HANG", 9)
    .field("health: { http: 'http://127.0.0.1:$PORT/', timeout: 500ms }")]);
  // Not waited for: the dashboard opens while the server still answers 503.
  let mut up = test.spawn(&["up", "-d"]);
  let ui = Tmux::start(&test, "ui", 140, 20);
  let state = |screen: &str| {
    screen
      .lines()
      .find(|line| line.starts_with("api "))
      .map(|line| line.split_whitespace().nth(1).unwrap_or("").to_owned())
  };
  // `h` probes now, so each state is seen as soon as it holds.
  for wanted in ["starting", "ready", "unhealthy"] {
    ui.wait_until(wanted, |screen| {
      ui.keys(&["h"]);
      state(screen).as_deref() == Some(wanted)
    });
  }
  wait_child(&mut up, Duration::from_secs(20));
  ui.keys(&["q"]);
  test.args(&["stop"]).status(0).run();
}

/// `kill` of the dashboard (TERM, INT, HUP) gives the terminal back as a quit does: main
/// screen, cursor shown, cooked mode. Before, the shell came back raw, on the alternate
/// screen, with no cursor.
#[test]
fn a_killed_dashboard_gives_the_terminal_back() {
  for (name, number) in [
    ("TERM", libc::SIGTERM),
    ("INT", libc::SIGINT),
    ("HUP", libc::SIGHUP),
  ] {
    let test = Test::with_config("services:\n  idle:\n    run: sleep 60\n");
    let ui = Tmux::start(&test, "ui", 100, 20);
    ui.wait_for("q quits");
    let dashboard = test
      .processes()
      .into_iter()
      .find(|pid| procs::command_line(*pid).ends_with(" ui"))
      .expect("the dashboard's process");
    signal(dashboard, number);
    ui.wait_for("dev exited with");
    let state = ui.terminal_state();
    assert!(
      state.starts_with("alternate screen: 0, cursor shown: 1") && state.contains(" icanon"),
      "after SIG{name}: {state}"
    );
  }
}

/// A restarted service is `starting` until its new run listens, not `ready` on the strength
/// of the previous run's probe. Before, the old probe was credited to the new pid: `ready`
/// before it listened, then `unhealthy`, never `starting`.
#[test]
fn a_restarted_service_shows_starting_until_its_new_run_is_ready() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port).env("DELAY", "$(cat delay)")]);
  test.write("delay", "0");
  test.args(&["up", "-d"]).status(0).run();
  let old = test.pid_of("api").unwrap();
  let ui = Tmux::start(&test, "ui", 120, 24);
  let row_says = |state: &'static str| {
    move |screen: &str| {
      screen
        .lines()
        // Its row, not its log lines (server.py prints "starting at …").
        .any(|line| line.starts_with("api ") && line.contains(state) && !line.contains("│"))
    }
  };
  ui.wait_until("api ready", row_says("ready"));
  // The new run takes 30 s to listen.
  test.write("delay", "30");
  let mut restart = test
    .command(&["api-restart"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
  test.wait_for_a_new_pid("api", old);
  ui.wait_until("api starting", row_says("starting"));
  assert!(
    !is_listening(port),
    "it was shown starting only after it listened"
  );
  ui.keys(&["q"]);
  // The restart waits for a readiness 30 s away: ours to end.
  let _ = restart.kill();
  let _ = restart.wait();
  test.run(&["stop"]).success();
}

/// A stop from another terminal whose main process ends at once while the rest of its tree
/// takes the grace shows `stopping…`, not `restarting…`.
#[test]
fn a_stop_whose_main_process_is_gone_shows_stopping_for_the_whole_grace() {
  // `tree`: the main process ends on SIGTERM, a setsid grandchild ignores it.
  let test = Test::new().servers(&[server("slow", free_port())
    .mode("tree")
    .field("stop: { grace: 5s }")]);
  test.args(&["up", "-d"]).status(0).run();
  let ui = Tmux::start(&test, "ui", 120, 24);
  let row_says = |state: &'static str| {
    move |screen: &str| {
      screen
        .lines()
        .any(|line| line.starts_with("slow ") && line.contains(state) && !line.contains("│"))
    }
  };
  ui.wait_until("slow ready", row_says("ready"));
  let main = test.pid_of("slow").unwrap();
  let mut stop = test.command(&["slow-stop"]).spawn().unwrap();
  wait_until("the main process is gone", Duration::from_secs(10), || {
    !is_alive(main)
  });
  ui.wait_until("slow stopping", row_says("stopping…"));
  assert!(!row_says("restarting…")(&ui.screen()), "{}", ui.screen());
  assert_eq!(wait_child(&mut stop, Duration::from_secs(20)), 0);
  ui.keys(&["q"]);
}

/// The dashboard promises no side effects: what a keeper killed without a word left is
/// shown, not ended (the next CLI command ends it and says so). Before, its health probes
/// went through the CLI's check and ended it.
#[test]
fn the_dashboard_leaves_what_a_killed_keeper_left_to_the_next_cli_command() {
  let (port, web) = (free_port(), free_port());
  let test = Test::new().servers(&[server("api", port), server("web", web)]);
  test.args(&["up", "-d"]).status(0).run();
  wait_until("api listens", Duration::from_secs(10), || {
    is_listening(port)
  });
  let state: serde_json::Value = serde_json::from_str(
    &std::fs::read_to_string(test.path().join(".dev/state/api.state.json")).unwrap(),
  )
  .unwrap();
  let keeper = state["keeper"]["pid"].as_u64().unwrap() as u32;
  let api = test.listening_pid("api").unwrap();
  signal(keeper, libc::SIGKILL);
  wait_until("keeper gone", Duration::from_secs(5), || !is_alive(keeper));
  let ui = Tmux::start(&test, "ui", 120, 24);
  // web's `ready` comes from a probe of every service, api's look included.
  ui.wait_until("web ready", |screen| {
    screen
      .lines()
      .any(|line| line.starts_with("web ") && line.contains("ready"))
  });
  ui.keys(&["q"]);
  ui.wait_for("dev exited with 0");
  assert!(is_alive(api), "the dashboard ended api's survivor");
  let stop = test.run(&["stop"]);
  assert!(
    stop.stderr().contains("api's keeper was killed; stopped"),
    "{}",
    stop.stderr()
  );
}

/// A service added to devtasks.yaml while the dashboard is open, then started, is shown
/// and probed by its config. Before, the dashboard kept the file it opened with: the row
/// said "not in devtasks.yaml", in red, and was never probed.
#[test]
fn a_service_added_to_the_task_file_while_the_dashboard_is_open_is_shown_by_its_config() {
  let (api, added) = (free_port(), free_port());
  let test = Test::new().servers(&[server("api", api)]);
  test.args(&["up", "-d"]).status(0).run();
  let ui = Tmux::start(&test, "ui", 120, 24);
  ui.wait_until("api ready", |screen| {
    screen
      .lines()
      .any(|line| line.starts_with("api ") && line.contains("ready"))
  });
  test.write(
    "devtasks.yaml",
    &services(&[server("api", api), server("added", added)]),
  );
  test.args(&["up", "-d", "added"]).status(0).run();
  ui.wait_until("added ready, by its config", |screen| {
    screen.lines().any(|line| {
      line.starts_with("added ") && line.contains("ready") && !line.contains("not in devtasks")
    })
  });
  ui.keys(&["q"]);
  test.run(&["stop"]).success();
}

/// Below 120 columns the PORT column shows the port, not a URL cut to "http://".
#[test]
fn a_narrow_dashboard_shows_ports_not_cut_urls() {
  let port = free_port();
  let test = Test::new().servers(&[server("api", port)]);
  test.args(&["up", "-d"]).status(0).run();
  let ui = Tmux::start(&test, "ui", 100, 20);
  ui.wait_until("api's port", |screen| {
    screen
      .lines()
      .any(|line| line.starts_with("api ") && line.contains(&port.to_string()))
  });
  let screen = ui.screen();
  let row = screen
    .lines()
    .find(|line| line.starts_with("api "))
    .unwrap();
  assert!(!row.contains("http"), "{screen}");
  ui.keys(&["q"]);
  test.run(&["stop"]).success();
}

/// With the proxy on, the PORT column shows the service's name, as `dev status` does, whole
/// (it is longer than `http://127.0.0.1:<port>`).
#[test]
fn the_dashboard_shows_a_services_named_url() {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  let test = test.servers(&[server("api", free_port())]);
  test.args(&["up", "-d"]).status(0).run();
  let url = test.status_json()[0]["url"].as_str().unwrap().to_owned();
  assert!(url.contains(".localhost:"), "{url}");
  let env = format!(
    "DEV_PROXY=on DEV_PROXY_PORT={proxy} DEV_RUNTIME_DIR='{}'",
    test.path().join("runtime").display()
  );
  let ui = Tmux::start_with_env(&test, &env, "ui", 150, 24);
  ui.wait_for(&url);
  ui.keys(&["q"]);
  ui.wait_for("dev exited with 0");
  test.run(&["stop"]).success();
}
