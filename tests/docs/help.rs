//! Everything `dev --help` offers is in the README: each command (`dev port who`, …) and each
//! long option of each, read from the help texts themselves, so a new flag cannot ship with
//! no word about it where users read first.

use std::process::Command;

use crate::harness::DEV;

fn help(path: &[String]) -> String {
  let output = Command::new(DEV)
    .args(path)
    .arg("--help")
    .env("NO_COLOR", "1")
    .output()
    .expect("run dev --help");
  String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The subcommands a help text lists, but `help` itself.
fn commands(text: &str) -> Vec<String> {
  let Some((_, listed)) = text.split_once("Commands:\n") else {
    return Vec::new();
  };
  listed
    .lines()
    .take_while(|line| !line.trim().is_empty())
    // A wrapped description is indented deeper than the command names.
    .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
    .filter_map(|line| line.split_whitespace().next())
    .filter(|name| *name != "help")
    .map(str::to_owned)
    .collect()
}

/// The long options a help text lists, but `--help` and `--version`.
fn options(text: &str) -> Vec<String> {
  text
    .lines()
    .filter_map(|line| {
      let line = line.trim_start();
      // `-f, --file <FILE>` or `--color <WHEN>`.
      let long = match line.as_bytes() {
        [b'-', short, b',', b' ', ..] if short.is_ascii_alphanumeric() => &line[4..],
        _ => line,
      };
      let name = long.split([' ', '=', '<', '[']).next()?;
      (name.starts_with("--") && name.len() > 2).then(|| name.to_owned())
    })
    .filter(|name| name != "--help" && name != "--version")
    .collect()
}

#[test]
fn every_command_and_option_in_help_is_in_the_readme() {
  let readme = include_str!("../../README.md");
  let mut missing = Vec::new();
  let mut paths: Vec<Vec<String>> = vec![Vec::new()];
  let mut seen = 0;
  while let Some(path) = paths.pop() {
    seen += 1;
    let text = help(&path);
    if !path.is_empty() && !readme.contains(&format!("dev {}", path.join(" "))) {
      missing.push(format!("the command `dev {}`", path.join(" ")));
    }
    for option in options(&text) {
      if !readme.contains(&option) {
        missing.push(format!("`{option}` of `dev {}`", path.join(" ")));
      }
    }
    for command in commands(&text) {
      paths.push(path.iter().cloned().chain([command]).collect());
    }
  }
  assert!(seen > 15, "read {seen} help texts");
  assert!(missing.is_empty(), "README.md lacks {}", missing.join(", "));
}

/// `dev --version` names the version, the target and the commit, so a bug report from an npm,
/// PyPI or Homebrew install says which build it is (build.rs stamps it).
#[test]
fn the_version_names_the_target_and_the_commit_it_was_built_from() {
  let output = Command::new(DEV)
    .arg("--version")
    .output()
    .expect("run dev --version");
  assert!(output.status.success());
  let said = String::from_utf8_lossy(&output.stdout);
  let head = Command::new("git")
    .args(["rev-parse", "HEAD"])
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .output()
    .expect("git rev-parse");
  let head = String::from_utf8_lossy(&head.stdout);
  let expected = format!(
    "dev {} ({}-unknown-linux-gnu, commit {})\n",
    env!("CARGO_PKG_VERSION"),
    std::env::consts::ARCH,
    &head.trim()[..12]
  );
  assert_eq!(said, expected);
}
