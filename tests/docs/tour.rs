//! README's tour ("A tour (real output)") run for real: each `$ dev …` of its first console
//! block against a copy of this repo's demo project (its devtasks.yaml and examples/demo, on
//! free ports), its output compared with what the README shows once pids, ports and
//! durations are placeholders. A README that says what `dev` no longer prints fails here.

use std::{fs, path::Path, process::Child, time::Duration};

use super::normalise;
use crate::harness::{Test, free_port, signal, wait_child, wait_until_else};

/// One `$ dev …` of the tour and the lines the README shows after it.
struct Step {
  args: Vec<String>,
  shown: Vec<String>,
}

/// The README's tour: the first console block after its heading.
fn tour() -> Vec<Step> {
  let readme = include_str!("../../README.md");
  let (_, after) = readme
    .split_once("## A tour (real output)")
    .expect("README has its tour");
  let block = after
    .split_once("```console\n")
    .and_then(|(_, rest)| rest.split_once("\n```"))
    .expect("the tour is a console block")
    .0;
  let mut steps: Vec<Step> = Vec::new();
  for line in block.lines() {
    if let Some(command) = line.strip_prefix("$ ") {
      let command = command.split_once("  #").map_or(command, |(c, _)| c);
      let mut words = command.split_whitespace().map(str::to_owned);
      assert_eq!(words.next().as_deref(), Some("dev"), "{line}");
      steps.push(Step {
        args: words.collect(),
        shown: Vec::new(),
      });
    } else if !line.trim().is_empty() {
      let step = steps.last_mut().expect("output follows a command");
      step.shown.push(line.to_owned());
    }
  }
  steps
}

/// This repo's demo in a temp project: the same task file, the same servers.
fn demo() -> (Test, u16) {
  let mut test = Test::new();
  let proxy = test.with_proxy();
  let root = Path::new(env!("CARGO_MANIFEST_DIR"));
  test.write(
    "devtasks.yaml",
    &fs::read_to_string(root.join("devtasks.yaml")).unwrap(),
  );
  for server in ["backend/server.py", "frontend/server.js"] {
    let from = root.join("examples/demo").join(server);
    test.write(
      &format!("examples/demo/{server}"),
      &fs::read_to_string(from).unwrap(),
    );
  }
  (test, proxy)
}

/// `dev <args>` with both streams into one file, as a terminal shows them.
fn spawn(test: &Test, args: &[String], ports: &[(u16, u16)]) -> Child {
  let out = fs::File::create(test.path().join("tour.out")).unwrap();
  let err = out.try_clone().unwrap();
  let args: Vec<&str> = args.iter().map(String::as_str).collect();
  let mut command = test.command(&args);
  for (name, (used, _)) in ["BACKEND", "FRONTEND"].iter().zip(ports) {
    command.env(format!("DEV_{name}_PORT"), used.to_string());
  }
  command.stdout(out).stderr(err).spawn().expect("spawn dev")
}

fn output(test: &Test) -> String {
  fs::read_to_string(test.path().join("tour.out")).unwrap_or_default()
}

/// A step run in the foreground until the README's `^C`: Ctrl+C is sent once everything
/// the README shows before it has been printed.
fn interrupted(test: &Test, step: &Step, ports: &[(u16, u16)]) -> String {
  let split = step.shown.iter().position(|l| l.starts_with("^C")).unwrap();
  let before = normalise::lines(&step.shown[..split].join("\n"), ports);
  let mut dev = spawn(test, &step.args, ports);
  wait_until_else(
    "the output the README shows before Ctrl+C",
    Duration::from_secs(60),
    || normalise::contains_all(&normalise::lines(&output(test), ports), &before),
    || output(test),
  );
  signal(dev.id(), libc::SIGINT);
  assert_eq!(wait_child(&mut dev, Duration::from_secs(30)), 0);
  output(test)
}

#[test]
fn the_readme_tour_shows_what_dev_prints() {
  let (test, proxy) = demo();
  let ports = [(free_port(), 8000), (free_port(), 5173), (proxy, 7355)];
  let mut wrong = Vec::new();
  for step in tour() {
    let printed = if step.shown.iter().any(|l| l.starts_with("^C")) {
      interrupted(&test, &step, &ports)
    } else {
      let mut dev = spawn(&test, &step.args, &ports);
      wait_child(&mut dev, Duration::from_secs(60));
      output(&test)
    };
    let shown = normalise::by_source(&normalise::lines(&step.shown.join("\n"), &[]));
    let real = normalise::by_source(&normalise::lines(&printed, &ports));
    if shown != real {
      wrong.push(format!(
        "$ dev {}\n--- README shows\n{}\n--- dev printed\n{printed}",
        step.args.join(" "),
        step.shown.join("\n")
      ));
    }
  }
  assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
