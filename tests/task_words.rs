//! The words after a task's name: `dev`'s own flags mean the same there as before it, and
//! the rest goes where the script says, or is refused — never run as a command.

use std::{ffi::OsStr, os::unix::ffi::OsStrExt};

use crate::harness::*;

fn read(test: &Test, name: &str) -> String {
  std::fs::read_to_string(test.path().join(name)).unwrap_or_default()
}

#[test]
fn dry_run_after_the_task_name_prints_and_runs_nothing() {
  let test = Test::with_config("tasks:\n  reset: rm -rf build && mkdir build\n");
  test.write("build/keep", "precious");
  test
    .args(&["reset", "--dry-run"])
    .status(0)
    .stdout_contains("reset: rm -rf build && mkdir build")
    .run();
  assert_eq!(
    read(&test, "build/keep"),
    "precious",
    "--dry-run ran the task"
  );
}

#[test]
fn yes_after_the_task_name_answers_confirm_and_is_no_word_of_the_script() {
  let test = Test::with_config(
    "tasks:\n  drop: { run: 'printf \"%s|\" \"$@\" > said', confirm: Drop it? }\n",
  );
  test.args(&["drop", "--yes"]).status(0).run();
  assert_eq!(read(&test, "said"), "|", "--yes reached the script");
  test.args(&["drop", "-y", "--", "--yes"]).status(0).run();
  assert_eq!(
    read(&test, "said"),
    "--yes|",
    "after `--` a word is the task's"
  );
}

#[test]
fn dev_options_that_belong_before_the_name_are_refused_after_it() {
  let test = Test::with_config("tasks:\n  say: printf '%s|' \"$@\" > said\n");
  for word in ["-f", "--color=never", "--help"] {
    test
      .args(&["say", word])
      .status(2)
      .stderr_contains("is an option of `dev` itself")
      .run();
  }
  assert_eq!(read(&test, "said"), "", "a refused word ran the task");
}

#[test]
fn words_that_are_not_utf8_reach_the_script_byte_for_byte() {
  let test = Test::with_config(
    "tasks:\n  say: printf '%s|' > said\n  greet: { run: 'printf \"%s\" \"$name\" > named', args: [name] }\n",
  );
  let word = OsStr::from_bytes(b"caf\xe9-\xff");
  let status = test.command(&["say"]).arg(word).status().unwrap();
  assert!(status.success());
  assert_eq!(
    std::fs::read(test.path().join("said")).unwrap(),
    b"caf\xe9-\xff|"
  );
  let status = test.command(&["greet"]).arg(word).status().unwrap();
  assert!(status.success());
  assert_eq!(
    std::fs::read(test.path().join("named")).unwrap(),
    b"caf\xe9-\xff"
  );
}

#[test]
fn a_single_quoted_dollar_one_is_the_programs_and_the_words_still_arrive() {
  let test = Test::with_config("tasks:\n  names: awk '{print $1}' > out\n");
  test.write("users.txt", "ada lovelace\nalan turing\n");
  test.args(&["names", "users.txt"]).status(0).run();
  assert_eq!(read(&test, "out"), "ada\nalan\n");
}

#[test]
fn extra_words_never_become_a_command_or_go_to_the_wrong_one() {
  let test = Test::with_config(
    "tasks:
  semi: echo start;
  background: sleep 0 &
  fallback: 'false || true'
  piped: echo a | cat
",
  );
  test.args(&["semi", "touch INJECTED"]).status(0).run();
  for task in ["background", "fallback", "piped"] {
    test
      .args(&[task, "touch INJECTED"])
      .status(2)
      .stderr_contains("has no one place for them")
      .stderr_contains("put \"$@\" in its `run:` where they go, or declare them with `args:`")
      .run();
  }
  assert!(
    !test.path().join("INJECTED").exists(),
    "an extra word ran as a command"
  );
}

#[test]
fn words_go_to_the_last_command_of_an_and_list() {
  let test = Test::with_config("tasks:\n  say: mkdir -p sub && cd sub && printf '%s|' > said\n");
  test.args(&["say", "a b", "c"]).status(0).run();
  assert_eq!(read(&test, "sub/said"), "a b|c|");
}

#[test]
fn color_after_a_service_name_is_refused_not_ignored() {
  let test = Test::with_config("services:\n  api:\n    run: sleep 30\n");
  test
    .args(&["api-logs", "--color", "always"])
    .status(2)
    .stderr_contains("`--color` is an option of `dev` itself: give it before the name")
    .run();
  test.args(&["api-logs", "--color", "auto"]).status(0).run();
}

/// `[npm run build, npm test]` with `-- --watch`: the words went after both commands, so the
/// build got them too. A list takes them only where one of its commands says (`"$@"`).
#[test]
fn a_run_list_never_hands_the_words_to_every_command() {
  let test = Test::with_config(
    "tasks:\n  both: { run: [\"printf 'one:%s|' >> said\", \"printf 'two:%s|' >> said\"] }\n  placed: { run: [\"printf 'build|' >> said\", \"printf 'test:%s|' \\\"$@\\\" >> said\"] }\n",
  );
  test
    .args(&["both", "--", "--watch"])
    .status(2)
    .stderr_contains("none of them says where they go")
    .run();
  assert_eq!(read(&test, "said"), "", "a refused word ran the task");
  test.args(&["placed", "--", "--watch"]).status(0).run();
  assert_eq!(read(&test, "said"), "build|test:--watch|");
}
