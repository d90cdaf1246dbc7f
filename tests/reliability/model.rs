//! A model-based walk through what users do, in a seeded random order: start (detached or
//! in the foreground), stop, restart, force, Ctrl+C, edit the task file (rename, remove,
//! change a port), delete `.dev/` or `logs/`, `kill -9` of dev or of a keeper, and two
//! commands at once. After every step the invariants must hold:
//!
//! 1. no process of the project outside a live keeper's tree;
//! 2. at most one keeper (one instance) per service;
//! 3. `dev status` names as running exactly the services whose keepers live;
//! 4. a running service's port is held by that service;
//! 5. nothing outside the project is ever signalled (a sentinel listens beside it).
//!
//! CI runs a short walk; `DEV_MODEL_STEPS=300` runs a long one, `DEV_MODEL_SEED=n` replays
//! one. A failure prints the seed and the steps so far.

use std::{
  fs,
  process::{Child, Stdio},
  thread,
  time::{Duration, Instant},
};

use super::wrong_kills::{sentinel, signals_received};
use crate::harness::*;

/// xorshift64*: reproducible from its seed.
struct Rng(u64);

impl Rng {
  fn below(&mut self, n: usize) -> usize {
    self.0 ^= self.0 >> 12;
    self.0 ^= self.0 << 25;
    self.0 ^= self.0 >> 27;
    (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
  }
}

/// The task file as the walk has edited it.
struct Model {
  /// The API's name (`api`, renamed `api2` and back) and port.
  api: String,
  api_port: u16,
  web_port: u16,
  /// Whether `worker` is in the file.
  worker: bool,
}

impl Model {
  fn yaml(&self) -> String {
    let mut yaml = format!(
      "services:
  {api}:
    run: exec python3 -u server.py http
    port: {}
    health: {{ http: 'http://127.0.0.1:$PORT/' }}
    stop: {{ grace: 2s }}
  web:
    run: exec python3 -u server.py
    port: {}
    depends_on: {{ {api}: healthy }}
    stop: {{ grace: 2s }}
",
      self.api_port,
      self.web_port,
      api = self.api
    );
    if self.worker {
      yaml.push_str("  worker:\n    run: while true; do sleep 1; done\n    stop: { grace: 2s }\n");
    }
    yaml
  }
}

#[derive(Debug, Clone, Copy)]
enum Step {
  UpDetached,
  UpOne,
  ForegroundCtrlC,
  Stop,
  StopOne,
  Restart,
  Force,
  Rename,
  ToggleWorker,
  ChangePort,
  DeleteState,
  DeleteLogs,
  KillDev,
  KillKeeper,
  UpAndStopAtOnce,
  RestartAndStopAtOnce,
}

const STEPS: [Step; 16] = [
  Step::UpDetached,
  Step::UpOne,
  Step::ForegroundCtrlC,
  Step::Stop,
  Step::StopOne,
  Step::Restart,
  Step::Force,
  Step::Rename,
  Step::ToggleWorker,
  Step::ChangePort,
  Step::DeleteState,
  Step::DeleteLogs,
  Step::KillDev,
  Step::KillKeeper,
  Step::UpAndStopAtOnce,
  Step::RestartAndStopAtOnce,
];

/// Runs `dev` quietly to its end (bounded), whatever it says.
fn quietly(test: &Test, args: &[&str]) -> Child {
  test
    .command(args)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap()
}

fn finish(mut child: Child) {
  wait_child(&mut child, Duration::from_secs(60));
}

/// A `dev` in the foreground, once its services run (or 10 s passed).
fn foreground(test: &Test) -> Child {
  let child = quietly(test, &[]);
  let deadline = Instant::now() + Duration::from_secs(10);
  while Instant::now() < deadline && keepers(test).len() < 2 {
    thread::sleep(Duration::from_millis(20));
  }
  child
}

/// The live keepers of this test: (pid, service).
fn keepers(test: &Test) -> Vec<(u32, String)> {
  test
    .processes()
    .into_iter()
    .filter_map(|pid| {
      let words = procs::arguments(pid);
      let at = words.iter().position(|w| w == "__keep")?;
      Some((pid, words.get(at + 2)?.clone()))
    })
    .collect()
}

/// Every invariant, or what breaks one.
fn broken_invariant(test: &Test) -> Option<String> {
  let keepers = keepers(test);
  // 2. One keeper per service.
  for (_, service) in &keepers {
    if keepers.iter().filter(|(_, s)| s == service).count() > 1 {
      return Some(format!("two keepers of {service}: {keepers:?}"));
    }
  }
  // 1. Every service process descends from a live keeper.
  for pid in processes_with_env("DEV_TEST_ID", test.path().file_name()?.to_str()?) {
    let is_service = procs::env_var(pid, "DEV_INSTANCE").is_some();
    if !is_service {
      continue;
    }
    let mut current = pid;
    let mut owned = false;
    while let Some(up) = procs::parent(current) {
      if keepers.iter().any(|(keeper, _)| *keeper == up) {
        owned = true;
        break;
      }
      if up <= 1 {
        break;
      }
      current = up;
    }
    if !owned && is_alive(pid) {
      return Some(format!(
        "pid {pid} ({}) runs outside any keeper",
        procs::command_line(pid)
      ));
    }
  }
  // 3. status says running exactly for those.
  let done = test.run(&["status", "--json"]);
  let rows = serde_json::from_str::<serde_json::Value>(&done.stdout()).ok()?;
  let mut running: Vec<String> = rows
    .as_array()?
    .iter()
    .filter(|row| row["state"] == "running")
    .map(|row| row["service"].as_str().unwrap_or_default().to_owned())
    .collect();
  let mut kept: Vec<String> = keepers.iter().map(|(_, s)| s.clone()).collect();
  running.sort();
  kept.sort();
  if running != kept {
    return Some(format!("status says {running:?} run, keepers are {kept:?}"));
  }
  // 4. A running service's port is its own.
  for row in rows.as_array()? {
    let (Some(port), true) = (row["port"].as_u64(), row["state"] == "running") else {
      continue;
    };
    let who = test
      .run(&["port", "who", &port.to_string(), "--json"])
      .json();
    let holders: Vec<u64> = who[0]["holders"]
      .as_array()?
      .iter()
      .filter_map(|h| h["pid"].as_u64())
      .collect();
    if !holders.iter().any(|pid| row["pid"].as_u64() == Some(*pid)) {
      return Some(format!(
        "{}'s port {port} is held by {holders:?}, not by it",
        row["service"]
      ));
    }
  }
  None
}

fn step(test: &Test, model: &mut Model, step: Step, rng: &mut Rng, spare_ports: &mut Vec<u16>) {
  let write = |model: &Model| test.write("devtasks.yaml", &model.yaml());
  match step {
    Step::UpDetached => finish(quietly(test, &["up", "-d"])),
    Step::UpOne => finish(quietly(test, &["up", "-d", "web"])),
    Step::ForegroundCtrlC => {
      let mut dev = foreground(test);
      signal(dev.id(), libc::SIGINT);
      wait_child(&mut dev, Duration::from_secs(30));
    }
    Step::Stop => finish(quietly(test, &["stop"])),
    Step::StopOne => finish(quietly(test, &["stop", "web"])),
    Step::Restart => finish(quietly(test, &["restart", "-d"])),
    Step::Force => finish(quietly(test, &["web-force", "-d"])),
    Step::Rename => {
      model.api = if model.api == "api" {
        "api2".into()
      } else {
        "api".into()
      };
      write(model);
    }
    Step::ToggleWorker => {
      model.worker = !model.worker;
      write(model);
    }
    Step::ChangePort => {
      if let Some(port) = spare_ports.pop() {
        spare_ports.insert(0, model.web_port);
        model.web_port = port;
        write(model);
      }
    }
    Step::DeleteState => {
      let _ = fs::remove_dir_all(test.path().join(".dev"));
    }
    Step::DeleteLogs => {
      let _ = fs::remove_dir_all(test.path().join("logs"));
    }
    Step::KillDev => {
      let mut dev = foreground(test);
      signal(dev.id(), libc::SIGKILL);
      wait_child(&mut dev, Duration::from_secs(5));
      // The keepers are told by the kernel and stop their services.
      let deadline = Instant::now() + Duration::from_secs(10);
      while Instant::now() < deadline && !keepers(test).is_empty() {
        thread::sleep(Duration::from_millis(20));
      }
    }
    Step::KillKeeper => {
      let all = keepers(test);
      if !all.is_empty() {
        let (pid, _) = &all[rng.below(all.len())];
        signal(*pid, libc::SIGKILL);
        thread::sleep(Duration::from_millis(50));
        // What the user does next: any dev command ends the survivors.
        test.run(&["status"]);
      }
    }
    Step::UpAndStopAtOnce => {
      let (up, stop) = (quietly(test, &["up", "-d"]), quietly(test, &["stop"]));
      finish(up);
      finish(stop);
      // Whichever came last, a stop now leaves a clean slate or a consistent start.
    }
    Step::RestartAndStopAtOnce => {
      let restart = quietly(test, &["restart", "-d"]);
      thread::sleep(Duration::from_millis(rng.below(300) as u64));
      finish(quietly(test, &["stop"]));
      finish(restart);
    }
  }
}

#[test]
fn random_walks_of_user_actions_keep_every_invariant() {
  let steps: usize = std::env::var("DEV_MODEL_STEPS")
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or(30);
  let seed: u64 = std::env::var("DEV_MODEL_SEED")
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or_else(|| u64::from(std::process::id()) * 2_654_435_761 + 1);
  let mut rng = Rng(seed);
  let ports: Vec<u16> = (0..5).map(|_| free_port()).collect();
  let mut model = Model {
    api: "api".into(),
    api_port: ports[0],
    web_port: ports[1],
    worker: true,
  };
  let mut spare_ports = ports[2..].to_vec();
  let test = Test::with_config(&model.yaml());
  let guard = sentinel(&test, free_port(), "a listener beside the project", None);
  let started = Instant::now();
  let mut history: Vec<Step> = Vec::new();
  for _ in 0..steps {
    let next = STEPS[rng.below(STEPS.len())];
    history.push(next);
    step(&test, &mut model, next, &mut rng, &mut spare_ports);
    // Teardown is asynchronous in places (a keeper's last breath): give it a moment.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut broken = broken_invariant(&test);
    while broken.is_some() && Instant::now() < deadline {
      thread::sleep(Duration::from_millis(100));
      broken = broken_invariant(&test);
    }
    if let Some(what) = broken {
      panic!(
        "seed {seed}: after {history:?}: {what}\nreplay: DEV_MODEL_SEED={seed} DEV_MODEL_STEPS={steps}"
      );
    }
  }
  test.run(&["stop"]);
  let signals = signals_received(&test, &guard, None);
  assert!(
    signals.is_empty(),
    "seed {seed}: the sentinel got signals {signals:?}"
  );
  test.wait_for_no_processes(Duration::from_secs(10));
  println!(
    "figure: {steps} random user actions (seed {seed}) in {:.1}s: every invariant held after each, 0 signals outside the project",
    started.elapsed().as_secs_f64()
  );
}
