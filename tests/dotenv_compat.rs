//! `.env` files read as python-dotenv reads them: a table of the cases python-dotenv and
//! docker compose agree on, each read by the real python-dotenv (`load_dotenv()`, installed
//! from PyPI) and by `dev` (the environment a task sees), compared value by value.

use serde_json::{Map, Value};

use crate::harness::{Test, python_with};

/// What people write in `.env` files, where python-dotenv and compose read the same thing.
/// (Where they differ, `src/config/dotenv.rs` says which reading `dev` keeps.)
const CASES: &[&str] = &[
  "SLACK_CHANNEL=#alerts",
  "BRAND_COLOR=#ff6600 # orange",
  "C=a#b",
  "C=plain # note",
  "C=x #one # two",
  "SHARED=from the file",
  "X=${SHARED}",
  "P=${SHARED:-fallback}",
  "P=${NOPE:-fallback}",
  "P=${NOPE}",
  "A=1\nB=${A}",
  "A=1\nB=\"${A}/x\"",
  "E=\"a\\nb\"",
  "E='a\\nb'",
  "E=a\\nb",
  "E=\"tab\\tx\"",
  "E=\"q\\\"x\"",
  "E=\"\\\\\"",
  "E=\"x\" # c",
  "E=\"x\"#c",
  "E='x' # c",
  "E = spaced  ",
  "E=",
  "E=\"\"",
  "E=''",
  "export E=1",
  "E=\"multi\nline\"",
  "E='two\nlines'",
  "E=a b c",
  "E=  lead",
  "E=end$",
  "E=a=b",
  "E=\"a'b\"",
  "E='a\"b'",
  "\u{feff}E=1",
  "E=1\r\nF=2\r\n",
  "# comment\n  INDENTED=1\n\nBARE\nAFTER=2",
  "E=${SHARED}${SHARED}",
];

/// Every variable the cases set (the tasks print only these: the whole environment 38
/// times would be more than a pipe holds).
const KEYS: [&str; 12] = [
  "SLACK_CHANNEL",
  "BRAND_COLOR",
  "C",
  "SHARED",
  "X",
  "P",
  "A",
  "B",
  "E",
  "F",
  "INDENTED",
  "AFTER",
];

/// Runs python-dotenv's `load_dotenv()` on each `case<i>.env` of `dir` with `SHARED` set in
/// the shell: for each case, every key of the file and what `os.environ` then holds.
const PYTHON: &str = r#"
import json, os, sys
from dotenv import load_dotenv, dotenv_values
results = []
for path in sys.argv[1:]:
    before = dict(os.environ)
    load_dotenv(path, override=False)
    results.append({key: os.environ.get(key) for key in dotenv_values(path)})
    os.environ.clear()
    os.environ.update(before)
print(json.dumps(results))
"#;

#[test]
fn env_files_read_as_python_dotenv_reads_them() {
  // One task per case, each printing the environment it got; one run of `dev` runs them all.
  // The interpreter itself, not a version manager's shim (which takes a second to start).
  let python3 = std::process::Command::new("python3")
    .args(["-c", "import sys; print(sys.executable)"])
    .output()
    .unwrap();
  let python3 = String::from_utf8(python3.stdout).unwrap();
  let python3 = python3.trim();
  let keys = KEYS.join(" ");
  let tasks: String = (0..CASES.len())
    .map(|i| {
      format!(
        "  case{i}: {{ run: '{python3} -c \"import os, json, sys; print(json.dumps([{i}, {{k: os.environ.get(k) for k in sys.argv[1:]}}]))\" {keys}', env_file: case{i}.env }}\n"
      )
    })
    .collect();
  let all: Vec<String> = (0..CASES.len()).map(|i| format!("case{i}")).collect();
  let tasks = format!("{tasks}  all: {{ deps: [{}] }}\n", all.join(", "));
  let test = Test::with_config(&format!("tasks:\n{tasks}"));
  let files: Vec<String> = (0..CASES.len()).map(|i| format!("case{i}.env")).collect();
  for (file, text) in files.iter().zip(CASES) {
    test.write(file, text);
  }
  let python = std::process::Command::new(python_with("dotenv", "python-dotenv"))
    .arg("-c")
    .arg(PYTHON)
    .args(&files)
    .current_dir(test.path())
    .env("SHARED", "from the shell")
    .output()
    .unwrap();
  assert!(
    python.status.success(),
    "{}",
    String::from_utf8_lossy(&python.stderr)
  );
  let expected: Vec<Map<String, Value>> = serde_json::from_slice(&python.stdout).unwrap();
  let mut wrong = Vec::new();
  let done = test.run_with_env(&["all"], &[("SHARED", "from the shell")]);
  let mut seen: Vec<Map<String, Value>> = vec![Map::new(); CASES.len()];
  for line in done.success().stdout().lines() {
    let Ok(Value::Array(pair)) = serde_json::from_str::<Value>(line) else {
      continue;
    };
    if let [Value::Number(i), Value::Object(env)] = &pair[..] {
      seen[i.as_u64().unwrap() as usize] = env.clone();
    }
  }
  for ((text, expected), seen) in CASES.iter().zip(expected).zip(&seen) {
    assert!(!seen.is_empty(), "the task of {text:?} printed nothing");
    for (key, value) in &expected {
      assert!(
        KEYS.contains(&key.as_str()) || key == "BARE",
        "add {key} to KEYS"
      );
      let got = seen.get(key).cloned().unwrap_or(Value::Null);
      if &got != value {
        wrong.push(format!(
          "{text:?}: {key} is {got} in dev, {value} in python-dotenv"
        ));
      }
    }
  }
  assert!(
    wrong.is_empty(),
    "dev differs from python-dotenv:\n{}",
    wrong.join("\n")
  );
}

#[test]
fn a_nul_byte_in_an_env_file_is_a_located_mistake() {
  let test = Test::with_config("tasks:\n  show: { run: 'echo never', env_file: vars.env }\n");
  test.write("vars.env", "A=1\nB=x\u{0}y\n");
  let done = test.run(&["show"]);
  assert_eq!(done.code(), 2, "{}", done.stderr());
  let stderr = done.stderr();
  assert!(stderr.contains("vars.env:2:4"), "{stderr}");
  assert!(stderr.contains("NUL byte"), "{stderr}");
  assert!(!stderr.contains("cannot run"), "{stderr}");
}

#[test]
fn env_files_of_a_task_and_a_service_are_one_or_a_list_and_later_wins() {
  let test = Test::with_config(
    "env_file: shared.env\ntasks:\n  show:\n    run: 'echo \"A=$A B=$B C=$C\"'\n    env_file: [one.env, two.env]\n  plain: { run: 'echo \"A=$A B=$B\"', env_file: one.env }\n",
  );
  test.write("shared.env", "A=shared\nB=shared\nC=shared\n");
  test.write("one.env", "A=one\nB=one\n");
  test.write("two.env", "B=two\n");
  test
    .args(&["show"])
    .stdout_contains("A=one B=two C=shared")
    .run();
  test.args(&["plain"]).stdout_contains("A=one B=one").run();
  // The shell wins over every file.
  let done = test.run_with_env(&["show"], &[("B", "shell")]);
  assert!(
    done.success().stdout().contains("A=one B=shell C=shared"),
    "{}",
    done.stdout()
  );
}
