//! Error texts a person can act on: no library words (`Option<String>`, `Nodes { … }`,
//! "sequence start"), a hint where YAML's rules bite, and long commands cut short.

use crate::harness::*;

/// (task file, what the error says, a hint it gives, what it must not say)
const CASES: &[(&str, &str, &str, &str)] = &[
  (
    "services:\n  a:\n    run: x\n    env:\n      KEY: ~\n",
    "a value is missing here",
    "for an empty string write `\"\"`",
    "Option<String>",
  ),
  (
    "tasks:\n  a: { run: x, deps: b }\n  b: y\n",
    "expected a list here",
    "`[name]`",
    "sequence start",
  ),
  (
    "services:\n  a:\n    run: x\n    port: [8000]\n",
    "expected one value (a string or a number) here, found a list",
    "",
    "expected a string here",
  ),
  (
    "tasks:\n  deploy: { run: ./deploy ${env} ${region}, args: [env, region=eu] }\n",
    "devtasks.yaml:2:",
    "quote values that contain `{`, `:` or `#`",
    "panicked",
  ),
];

#[test]
fn yaml_mistakes_are_said_in_plain_words() {
  for (yaml, message, hint, never) in CASES {
    let test = Test::with_config(yaml);
    let done = test.run(&["list"]);
    let stderr = done.stderr();
    assert_eq!(done.code(), 2, "{yaml:?}\n{stderr}");
    assert!(
      stderr.contains(message),
      "{yaml:?}: want `{message}`:\n{stderr}"
    );
    assert!(
      stderr.contains(hint),
      "{yaml:?}: want hint `{hint}`:\n{stderr}"
    );
    assert!(!stderr.contains(never), "{yaml:?}: `{never}` in:\n{stderr}");
  }
}

#[test]
fn an_anchor_bomb_is_refused_in_plain_words() {
  let mut yaml = format!("x-a: &a [{}]\n", vec!["lol"; 20].join(","));
  for (previous, name) in ["a", "b", "c", "d", "e", "f"]
    .iter()
    .zip(["b", "c", "d", "e", "f", "g"])
  {
    yaml.push_str(&format!(
      "x-{name}: &{name} [{}]\n",
      vec![format!("*{previous}"); 20].join(",")
    ));
  }
  yaml.push_str("tasks: {}\n");
  let test = Test::with_config(&yaml);
  let done = test.run(&["list"]);
  let stderr = done.stderr();
  assert_eq!(done.code(), 2, "{stderr}");
  assert!(
    stderr.contains("expand to more than 250,000 values"),
    "{stderr}"
  );
  assert!(!stderr.contains("budget breached"), "{stderr}");
}

#[test]
fn the_yaml_examples_of_the_readme_are_valid_yaml() {
  let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
  let blocks = readme
    .split("```yaml\n")
    .skip(1)
    .map(|rest| rest.split("```").next().unwrap());
  for block in blocks {
    let test = Test::with_config(block);
    let stderr = test.run(&["list"]).stderr();
    // A block may name services of another; what matters is that YAML can read it.
    for syntax in ["while parsing", "while scanning", "did not find expected"] {
      assert!(
        !stderr.contains(syntax),
        "README block is not valid YAML:\n{block}\n{stderr}"
      );
    }
  }
}

// Unix only: a 2 MB line is past what Windows lets a command line be.
#[cfg(unix)]
#[test]
fn a_huge_command_is_quoted_short_when_it_fails() {
  let test = Test::with_config(&format!(
    "tasks:\n  big: \"false # {}\"\n",
    "x".repeat(2_000_000)
  ));
  let done = test.run(&["big"]);
  assert_eq!(
    done.code(),
    1,
    "{}",
    &done.stderr()[..300.min(done.stderr().len())]
  );
  let stderr = done.stderr();
  assert!(stderr.len() < 2_000, "{} bytes of stderr", stderr.len());
  assert!(stderr.contains("more characters)"), "{stderr}");
}
