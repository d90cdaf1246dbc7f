//! Tasks: deps once each, failures with the command and its exit code, arguments.

use std::{os::unix::process::CommandExt, time::Duration};

use crate::harness::*;

#[test]
fn runs_deps_once_in_order_then_the_task() {
  let test = Test::with_config(
    "tasks:\n  a: echo a >> order\n  b: { run: echo b >> order, deps: [a] }\n  c: { run: echo c >> order, deps: [a] }\n  all: { run: echo all >> order, deps: [b, c] }\n",
  );
  test.run(&["all"]).success();
  assert_eq!(
    std::fs::read_to_string(test.path().join("order")).unwrap(),
    "a\nb\nc\nall\n"
  );
}

#[test]
fn a_failing_task_names_the_command_and_exits_1() {
  let test =
    Test::with_config("tasks:\n  check:\n    run: ['true', 'exit 4', 'echo never > ran']\n");
  test
    .args(&["check"])
    .status(1)
    .stderr_contains("error: task `check` failed: `exit 4` exited with code 4")
    .run();
  assert!(
    !test.path().join("ran").exists(),
    "commands after a failure must not run"
  );
}

#[test]
fn words_after_double_dash_reach_the_task() {
  let test = Test::with_config("tasks:\n  say: printf '%s|' > said\n");
  test.run(&["say", "--", "two words", "x"]).success();
  assert_eq!(
    std::fs::read_to_string(test.path().join("said")).unwrap(),
    "two words|x|"
  );
}

#[test]
fn list_shows_services_and_tasks_with_descriptions() {
  let test = Test::with_config(
    "services:\n  backend:\n    description: The API\n    run: sleep 1\n    port: 8000\ntasks:\n  test: { description: Run tests, run: 'true' }\n",
  );
  let done = test.args(&["list"]).status(0).run();
  assert_eq!(
    done.stdout(),
    "Services:\n    backend # The API (port 8000)\nTasks:\n    test    # Run tests\n"
  );
}

#[test]
fn unknown_names_get_did_you_mean() {
  let test =
    Test::with_config("services:\n  frontend:\n    run: sleep 1\ntasks:\n  test: 'true'\n");
  let done = test.args(&["fronted"]).status(2).run();
  assert_eq!(
    done.stderr(),
    "error: no service or task named `fronted` in devtasks.yaml\nhint: Did you mean `frontend`?\n"
  );
  test
    .args(&["frontend-stpo"])
    .stderr_contains("Did you mean `frontend-stop`?")
    .run();
}

fn read(test: &Test, name: &str) -> String {
  std::fs::read_to_string(test.path().join(name)).unwrap_or_default()
}

#[test]
fn parallel_deps_run_side_by_side_with_prefixes_and_a_shared_dep_once() {
  let test = Test::with_config(
    "tasks:
  build: echo build >> order
  a: { run: 'echo a-start $(date +%s.%N) >> times; sleep 0.4; echo a-end $(date +%s.%N) >> times; echo from-a', deps: [build] }
  b: { run: 'echo b-start $(date +%s.%N) >> times; sleep 0.4; echo b-end $(date +%s.%N) >> times; echo from-b', deps: [build] }
  all: { deps: [a, b], parallel: true, run: echo all >> order }
",
  );
  let done = test.args(&["all"]).status(0).run();
  assert_eq!(read(&test, "order"), "build\nall\n");
  let time = |what: &str| -> f64 {
    let times = read(&test, "times");
    let line = times.lines().find(|l| l.starts_with(what)).unwrap();
    line.rsplit(' ').next().unwrap().parse().unwrap()
  };
  // Each started before the other ended: they overlapped.
  assert!(time("a-start") < time("b-end") && time("b-start") < time("a-end"));
  let stdout = done.stdout();
  assert!(stdout.contains("a │ from-a\n"), "{stdout}");
  assert!(stdout.contains("b │ from-b\n"), "{stdout}");
}

#[test]
fn the_first_failing_parallel_dep_stops_the_others_and_is_named() {
  let test = Test::with_config(
    "tasks:
  slow: 'sleep 20; echo finished > slow-finished'
  fail: 'sleep 0.2; exit 3'
  ci: { deps: [slow, fail], parallel: true, run: echo never > ci-ran }
",
  );
  let done = test.args(&["ci"]).status(1).run();
  let stderr = done.stderr();
  assert!(stderr.contains("✗ fail failed first"), "{stderr}");
  assert!(
    stderr.contains("error: task `fail` failed: `sleep 0.2; exit 3` exited with code 3"),
    "{stderr}"
  );
  assert!(!test.path().join("ci-ran").exists());
  assert!(!test.path().join("slow-finished").exists());
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn arguments_take_defaults_and_extra_words_pass_through() {
  let test = Test::with_config(
    "tasks:\n  greet: { run: \"printf '%s|' ${name} ${greeting} >> said\", args: [name, greeting=hello] }\n",
  );
  test.run(&["greet", "bob"]).success();
  test
    .run(&["greet", "ann", "hi", "--", "x", "y z"])
    .success();
  assert_eq!(read(&test, "said"), "bob|hello|ann|hi|x|y z|");

  let done = test.args(&["greet"]).status(2).run();
  assert_eq!(
    done.stderr(),
    "error: task `greet` needs its argument `name`\nusage: dev greet <name> [greeting=hello] [-- extra words]\n"
  );
  test
    .args(&["greet", "a", "b", "c"])
    .status(2)
    .stderr_contains("takes at most 2 arguments but got 3: a b c")
    .run();
}

#[test]
fn aliases_private_tasks_and_groups_in_list_and_on_the_command_line() {
  let test = Test::with_config(
    "tasks:
  test: { run: echo tested > ran, description: Run the tests, aliases: [t] }
  deploy: { run: 'true', args: [env, region=eu], group: ops }
  lint: { run: 'true', group: ci }
  _helper: echo helped > helped
  hidden: { run: 'true', private: true }
",
  );
  let done = test.args(&["list"]).status(0).run();
  assert_eq!(
    done.stdout(),
    "Tasks:
    test                     # Run the tests (alias: t)
Tasks (ops):
    deploy <env> [region=eu]
Tasks (ci):
    lint
"
  );
  test.run(&["t"]).success();
  assert_eq!(read(&test, "ran"), "tested\n");
  // Private means unlisted, not unrunnable.
  test.run(&["_helper"]).success();
  assert_eq!(read(&test, "helped"), "helped\n");
  let json = test.run(&["list", "--json"]).json();
  assert_eq!(json["tasks"][0]["aliases"][0], "t");
  assert_eq!(json["tasks"][1]["args"][1]["default"], "eu");
  assert_eq!(json["tasks"][4]["private"], true);
  test
    .args(&["tst"])
    .stderr_contains("Did you mean `test`?")
    .run();
}

#[test]
fn a_task_for_another_platform_is_skipped_and_says_so() {
  let test = Test::with_config(
    "tasks:\n  mac: { run: touch mac-ran, platforms: [macos, windows] }\n  here: { run: touch here-ran, platforms: [linux, macos], deps: [mac] }\n",
  );
  test
    .args(&["here"])
    .status(0)
    .stderr_contains("mac: skipped, it is only for macos, windows")
    .run();
  assert!(!test.path().join("mac-ran").exists());
  assert!(test.path().join("here-ran").exists());
}

#[test]
fn confirm_is_refused_without_a_terminal_unless_yes_is_given() {
  let test =
    Test::with_config("tasks:\n  drop: { run: touch dropped, confirm: Drop the database? }\n");
  let done = test.args(&["drop"]).status(1).run();
  assert_eq!(
    done.stderr(),
    "error: task `drop` not run: it asks \"Drop the database?\" and there is no terminal to answer\nhint: answer y on a terminal, or run `dev --yes drop` to confirm without asking\n"
  );
  assert!(!test.path().join("dropped").exists());
  test.run(&["--yes", "drop"]).success();
  assert!(test.path().join("dropped").exists());
}

#[test]
fn dry_run_prints_the_resolved_commands_and_runs_nothing() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: exec python3 -u server.py
    port: {port}
tasks:
  build: touch built
  deploy: {{ run: 'echo ${{env}} to ${{api.port}}', args: [env], deps: [build], needs: [api], confirm: Sure? }}
"
  ));
  let done = test
    .args(&["--dry-run", "deploy", "prod", "--", "-v", "it's"])
    .status(0)
    .run();
  assert_eq!(
    done.stdout(),
    format!(
      "# start api and wait until ready (stopped after the task)\nbuild: touch built\n# deploy: asks \"Sure?\"\ndeploy: echo ${{env}} to {port} \"$@\"  # env=prod, \"$@\" = -v 'it'\\''s'\n"
    )
  );
  assert!(!test.path().join("built").exists());
  assert!(test.processes().is_empty());
}

#[test]
fn needs_starts_a_healthy_service_and_leaves_it_as_it_was() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: DELAY=0.3 exec python3 -u server.py http
    port: {port}
    health: {{ http: 'http://127.0.0.1:$PORT/' }}
tasks:
  e2e:
    run: python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:${{api.port}}/').status)\"
    needs: [api]
"
  ));
  // Not running before: started, healthy while the task runs, stopped after.
  let done = test.args(&["e2e"]).status(0).run();
  assert_eq!(done.stdout(), "200\n");
  assert!(done.stderr().contains("api ready on"), "{}", done.stderr());
  assert_eq!(test.status_json()[0]["state"], "stopped");
  assert!(!is_listening(port));
  test.wait_for_no_processes(Duration::from_secs(5));

  // Running before: used as it is, and still running after.
  test.run(&["up", "-d"]).success();
  let pid = test.pid_of("api");
  let done = test.args(&["e2e"]).status(0).run();
  assert_eq!(done.stdout(), "200\n");
  assert!(!done.stderr().contains("api started"), "{}", done.stderr());
  assert_eq!(test.pid_of("api"), pid);
  test.run(&["stop"]).success();
}

#[test]
fn ctrl_c_mid_task_exits_130_and_leaves_no_process() {
  let test =
    Test::with_config("tasks:\n  hang: 'sleep 30 & sleep 31 & echo started > started; wait'\n");
  let mut dev = test.command(&["hang"]);
  dev.process_group(0);
  let mut dev = dev.spawn().unwrap();
  wait_until("the task started", Duration::from_secs(10), || {
    test.path().join("started").exists()
  });
  // The terminal sends SIGINT to the whole foreground group; background jobs of `sh`
  // ignore it, so dev itself must stop them.
  signal(-(dev.id() as i32) as u32, libc::SIGINT);
  assert_eq!(wait_child(&mut dev, Duration::from_secs(10)), 130);
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn sigterm_to_dev_alone_reaches_the_task() {
  let test = Test::with_config(
    "tasks:\n  serve: 'echo started > started; python3 -c \"import time; time.sleep(30)\"; echo after > after'\n",
  );
  let mut dev = test.command(&["serve"]).spawn().unwrap();
  wait_until("the task started", Duration::from_secs(10), || {
    test.path().join("started").exists()
  });
  std::thread::sleep(Duration::from_millis(100));
  signal(dev.id(), libc::SIGTERM);
  assert_eq!(wait_child(&mut dev, Duration::from_secs(10)), 130);
  assert!(!test.path().join("after").exists());
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn a_background_job_left_by_a_task_is_stopped_and_named() {
  let test = Test::with_config("tasks:\n  leave: 'sleep 40 & echo left'\n");
  let done = test.args(&["leave"]).status(0).run();
  assert!(
    done
      .stderr()
      // `sleep 40`, or the forked shell that has not yet become it.
      .contains("stopped 1 process the task left running: "),
    "{}",
    done.stderr()
  );
  assert!(test.processes().is_empty());
}

#[test]
fn default_names_what_a_bare_dev_runs() {
  let test = Test::with_config(
    "default: hello\nservices:\n  api:\n    run: sleep 30\ntasks:\n  hello: touch hello-ran\n",
  );
  test.run(&[]).success();
  assert!(test.path().join("hello-ran").exists());
  assert!(test.processes().is_empty());
}

#[test]
fn a_dep_with_a_required_argument_is_a_usage_error() {
  let test = Test::with_config(
    "tasks:\n  deploy: { run: 'true', args: [env] }\n  release: { run: 'true', deps: [deploy] }\n",
  );
  test
    .args(&["release"])
    .status(2)
    .stderr_contains(
      "task `deploy` needs its argument `env`, so it cannot run as a dep of `release`",
    )
    .run();
}

#[test]
fn confirm_on_a_terminal_runs_on_y_and_not_on_anything_else() {
  let test =
    Test::with_config("tasks:\n  drop: { run: touch dropped, confirm: Drop the database? }\n");
  let (screen, code) = test.answer_in_terminal(&["drop"], "[y/N] ", "n\n");
  assert_eq!(code, 1, "{screen}");
  assert!(screen.contains("Drop the database? [y/N] "), "{screen}");
  assert!(
    screen.contains("task `drop` not run: not confirmed"),
    "{screen}"
  );
  assert!(!test.path().join("dropped").exists());
  let (screen, code) = test.answer_in_terminal(&["drop"], "[y/N] ", "y\n");
  assert_eq!(code, 0, "{screen}");
  assert!(test.path().join("dropped").exists());
}

/// Words and arguments reach the shell as values, never as code: extra words used to be
/// pasted after the script (a `run: |` block ran them as a command of their own, a
/// trailing comment swallowed them) and `${arg}` was pasted as text.
#[test]
fn words_and_arguments_are_values_never_code() {
  let test = Test::with_config(
    "tasks:
  block: |
    echo pytest -q
  note: echo hi # a note
  greet: { run: 'echo \"hello ${name}\"', args: [name] }
  split: { run: 'for w in ${words}; do echo \"[$w]\"; done', args: [words] }
  several: |
    echo one
    echo two
  placed: |
    echo first
    echo \"[$1]\"
",
  );
  test.write("victim", "");
  let done = test.args(&["block", "rm", "victim"]).status(0).run();
  assert_eq!(done.stdout(), "pytest -q rm victim\n");
  assert!(
    test.path().join("victim").exists(),
    "an extra word ran as a command"
  );
  assert_eq!(test.run(&["note", "a", "b"]).stdout(), "hi a b\n");
  let done = test
    .args(&["greet", "x\"; touch pwned; echo \""])
    .status(0)
    .run();
  assert_eq!(done.stdout(), "hello x\"; touch pwned; echo \"\n");
  assert!(
    !test.path().join("pwned").exists(),
    "an argument ran as code"
  );
  assert_eq!(test.run(&["greet", "it's"]).stdout(), "hello it's\n");
  // Unquoted, a variable splits as the shell always splits it.
  assert_eq!(test.run(&["split", "a b"]).stdout(), "[a]\n[b]\n");
  // A script of several lines must say where the words go.
  test
    .args(&["several", "x"])
    .status(2)
    .stderr_contains("put \"$@\" in its `run:` where they go")
    .run();
  assert_eq!(
    test.run(&["placed", "--", "-k slow"]).stdout(),
    "first\n[-k slow]\n"
  );
}

/// A dep failing at once used to race its sibling's start: the sibling ran to its end (3 in
/// 30 runs) while dev said "the deps beside it were stopped".
#[test]
fn a_dep_failing_at_once_always_stops_its_sibling_and_says_only_what_is_true() {
  let test = Test::with_config(
    "tasks:
  slow: 'sleep 5; touch slow-finished'
  fail: exit 3
  ci: { deps: [slow, fail], parallel: true }
  quick: 'true'
  late: 'sleep 0.3; exit 3'
  ci2: { deps: [quick, late], parallel: true }
",
  );
  for _ in 0..40 {
    test
      .args(&["ci"])
      .status(1)
      .stderr_contains("fail failed first; the deps beside it were stopped")
      .run();
  }
  assert!(!test.path().join("slow-finished").exists());
  test
    .args(&["ci2"])
    .stderr_contains("late failed first; the deps beside it had already finished")
    .run();
  test.wait_for_no_processes(Duration::from_secs(5));
}

#[test]
fn an_alias_can_be_a_dep_and_a_dotted_service_can_be_referenced() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  my.api:\n    run: sleep 30\n    port: {port}\ntasks:\n  build: {{ run: echo building, aliases: [b] }}\n  test: {{ run: 'echo testing ${{my.api.port}} $U', deps: [b], env: {{ U: \"${{my.api.port}}\" }} }}\n"
  ));
  let done = test.args(&["test"]).status(0).run();
  assert_eq!(done.stdout(), format!("building\ntesting {port} {port}\n"));
}
