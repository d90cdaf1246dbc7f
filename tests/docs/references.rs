//! Every test RELIABILITY.md names as a promise's proof exists in this suite: the names are
//! checked against the test binary's own list (`--list`), so a renamed or deleted test
//! cannot leave the document pointing at nothing.

use std::process::Command;

/// The tests of this binary, as `module::…::name`.
fn listed() -> Vec<String> {
  let output = Command::new(std::env::current_exe().unwrap())
    .args(["--list", "--format", "terse"])
    .output()
    .expect("list the tests");
  String::from_utf8_lossy(&output.stdout)
    .lines()
    .filter_map(|line| line.strip_suffix(": test"))
    .map(str::to_owned)
    .collect()
}

/// `a::{b,c}::d` → `a::b::d`, `a::c::d`.
fn expand(name: &str) -> Vec<String> {
  let Some((head, rest)) = name.split_once('{') else {
    return vec![name.to_owned()];
  };
  let (choices, tail) = rest.split_once('}').unwrap();
  choices
    .split(',')
    .flat_map(|choice| expand(&format!("{head}{choice}{tail}")))
    .collect()
}

/// Whether `name` (`module::test`, or `module::*` for every test of a module) names a test.
fn exists(name: &str, tests: &[String]) -> bool {
  match name.strip_suffix("::*") {
    Some(module) => tests.iter().any(|test| {
      test.starts_with(&format!("{module}::")) || test.contains(&format!("::{module}::"))
    }),
    None => tests
      .iter()
      .any(|test| test == name || test.ends_with(&format!("::{name}"))),
  }
}

/// The names in backquotes that look like a test path: `module::name` in snake case.
fn named(text: &str) -> Vec<String> {
  text
    .split('`')
    .skip(1)
    .step_by(2)
    .filter(|quoted| {
      quoted.contains("::")
        && quoted
          .chars()
          .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:{},*".contains(c))
    })
    .flat_map(expand)
    .collect()
}

#[test]
fn every_test_reliability_md_names_exists() {
  let tests = listed();
  // A name whose first part is none of the suite's modules is the code's, not a test
  // (`sys::live_descendants_exact`).
  let modules: Vec<&str> = tests.iter().flat_map(|test| test.split("::")).collect();
  let names: Vec<String> = named(include_str!("../../RELIABILITY.md"))
    .into_iter()
    .filter(|name| modules.contains(&name.split("::").next().unwrap()))
    .collect();
  assert!(names.len() > 20, "found the names: {names:?}");
  let missing: Vec<&String> = names.iter().filter(|n| !exists(n, &tests)).collect();
  assert!(
    missing.is_empty(),
    "RELIABILITY.md names tests that do not exist: {missing:?}"
  );
}
