//! What `dev` draws on a terminal: colors decided as the clap family decides them, tables
//! aligned by what the eye sees, spinner lines that stay one line.

use std::process::Stdio;

use crate::harness::*;

const ESCAPE: char = '\x1b';

/// `dev status` with these variables (and NO_COLOR taken away), stdout not a terminal.
fn status_with(test: &Test, env: &[(&str, &str)]) -> String {
  let output = test
    .command(&["status"])
    .env_remove("NO_COLOR")
    .envs(env.iter().copied())
    .stdout(Stdio::piped())
    .output()
    .unwrap();
  String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn colors_follow_no_color_clicolor_and_force_color() {
  let test = Test::with_config("services:\n  api:\n    run: sleep 30\n");
  assert!(!status_with(&test, &[]).contains(ESCAPE), "not a terminal");
  for force in [("CLICOLOR_FORCE", "1"), ("FORCE_COLOR", "1")] {
    assert!(status_with(&test, &[force]).contains(ESCAPE), "{force:?}");
  }
  // NO_COLOR wins over everything; FORCE_COLOR=0 forces nothing.
  assert!(!status_with(&test, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESCAPE));
  assert!(!status_with(&test, &[("FORCE_COLOR", "0")]).contains(ESCAPE));
  // CLICOLOR_FORCE=0 is off, not set: it forced color into a pipe.
  assert!(!status_with(&test, &[("CLICOLOR_FORCE", "0")]).contains(ESCAPE));
}

#[test]
fn on_a_terminal_clicolor_0_and_term_dumb_mean_no_color() {
  let test = Test::with_config("services:\n  api:\n    run: sleep 30\n");
  let terminal = |env: &[(&str, &str)]| {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/terminal.py");
    let output = std::process::Command::new("python3")
      .arg(script)
      .arg(DEV)
      .arg("status")
      .current_dir(test.path())
      .env("TERM", "xterm")
      .env_remove("NO_COLOR")
      .envs(env.iter().copied())
      .output()
      .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
  };
  assert!(terminal(&[]).contains(ESCAPE), "a terminal gets colors");
  assert!(!terminal(&[("CLICOLOR", "0")]).contains(ESCAPE));
  assert!(!terminal(&[("TERM", "dumb")]).contains(ESCAPE));
  // Node's FORCE_COLOR=0: no color, even on a terminal (it colored before).
  assert!(!terminal(&[("FORCE_COLOR", "0")]).contains(ESCAPE));
}

/// Removes ANSI escape sequences.
fn plain(text: &str) -> String {
  let mut out = String::new();
  let mut chars = text.chars();
  while let Some(c) = chars.next() {
    if c == ESCAPE {
      for next in chars.by_ref() {
        if next.is_ascii_alphabetic() {
          break;
        }
      }
    } else {
      out.push(c);
    }
  }
  out
}

#[test]
fn colored_table_columns_line_up_as_seen() {
  let test =
    Test::with_config("services:\n  api:\n    run: sleep 30\n  web-frontend:\n    run: sleep 30\n");
  test.run(&["up", "-d", "api"]).success();
  let out = test.run(&["status", "--color", "always"]).stdout();
  assert!(out.contains(ESCAPE), "{out:?}");
  let lines: Vec<String> = out.lines().map(plain).collect();
  let column = |line: &str, word: &str| line.find(word).unwrap();
  // `running` is colored and `stopped` dimmed: their PID column starts where the header's does.
  let pid = column(&lines[0], "PID");
  for line in &lines[1..] {
    let after_state = line[column(&lines[0], "STATE")..].find("  ").unwrap();
    let rest = &line[column(&lines[0], "STATE") + after_state..];
    let first = column(&lines[0], "STATE") + after_state + (rest.len() - rest.trim_start().len());
    assert_eq!(first, pid, "{lines:#?}");
  }
  test.run(&["stop"]).success();
}

#[test]
fn a_multi_line_probe_keeps_its_spinner_on_one_line() {
  let test = Test::with_config(
    "services:
  slow:
    run: sleep 0.8; touch ready; sleep 30
    health:
      exec: |
        echo probing
        test -f ready
",
  );
  let (screen, code) = test.run_in_terminal(&["up"], Some("slow ready"));
  assert_eq!(code, 0, "{screen}");
  let spinner = "slow: waiting for exec `echo probing test -f ready `";
  assert!(screen.contains(spinner), "{screen:?}");
  for (at, _) in screen.match_indices("waiting for exec") {
    let rest = &screen[at..];
    let end = rest.find(['\r', ESCAPE]).unwrap_or(rest.len());
    assert!(
      !rest[..end].contains('\n'),
      "a spinner line broke: {rest:?}"
    );
  }
}
