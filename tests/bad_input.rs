//! Malformed task files: each gives a clear error, a location where one exists, exit 2,
//! and never a panic.

use crate::harness::*;

/// (task file, expected message, expected location `line:col` or "")
const CASES: &[(&str, &str, &str)] = &[
  (
    "services: [\n",
    "error: expected a mapping of names to values, found a sequence",
    "devtasks.yaml:1:",
  ),
  (
    "services:\n  api:\n    run: x\n    porrt: 3\n",
    "error: unknown field `porrt`",
    "devtasks.yaml:4:5",
  ),
  (
    "services:\n  api:\n    run: x\n    port: abc\n",
    "expected a port number between 1 and 65535, found `abc`",
    "devtasks.yaml:4:11",
  ),
  (
    "services:\n  api:\n    run: x\n    port: 70000\n",
    "found `70000`",
    "devtasks.yaml:4:11",
  ),
  (
    "services:\n  api:\n    run: x\n    port: 0\n",
    "found `0`",
    "devtasks.yaml:4:11",
  ),
  (
    "services:\n  api:\n    run: x\n    port: 8000\n    fallback: 9000-8001\n",
    "expected a port range such as `8001-8010`, found `9000-8001`",
    "devtasks.yaml:5:15",
  ),
  (
    "services:\n  api:\n    run: x\n    fallback: [8001]\n",
    "service `api` has `fallback:` but no `port:`",
    "devtasks.yaml:4:16",
  ),
  (
    "services:\n  my-api:\n    run: x\n    port: 8000\n  my_api:\n    run: x\n    port: 8001\n",
    "services `my-api` and `my_api` would share one URL",
    "devtasks.yaml:5:3",
  ),
  (
    "services:\n  api:\n    run: x\n    ports: { ws: 8081, http: 8081 }\n",
    "service `api` asks for port 8081 twice",
    "devtasks.yaml:4:24",
  ),
  (
    "services:\n  api:\n    run: x\n    ports: { ws: {port: 8081, fallbak: auto} }\n",
    "unknown field `fallbak`",
    "devtasks.yaml:4:",
  ),
  (
    "services:\n  api:\n    run: x\n    ports: { ws: 8081 }\n  web:\n    run: echo ${api.ports.wss}\n",
    "unknown field `ports.wss` in `${api.ports.wss}`",
    "devtasks.yaml:6:15",
  ),
  (
    "services:\n  api:\n    run: x\n    restart: on-failur\n",
    "unknown restart policy `on-failur`",
    "devtasks.yaml:4:14",
  ),
  (
    "services:\n  api:\n    run: x\n    health: { tcp: 'x:1', http: 'http://x/' }\n",
    "`health` has more than one probe (`tcp` too)",
    "devtasks.yaml:4:",
  ),
  (
    "services:\n  api:\n    run: x\n    health: { http: 'ftp://127.0.0.1/' }\n",
    "expected an http:// or https:// URL, found `ftp://127.0.0.1/`",
    "devtasks.yaml:4:22",
  ),
  (
    "services:\n  api:\n    run: x\n    port: 1\n    liveness: { log: ready }\n",
    "a `log` probe cannot tell that a running service hangs",
    "devtasks.yaml:5:22",
  ),
  (
    "services:\n  api:\n    run: x\n    liveness: { retries: 2 }\n",
    "`liveness` of service `api` names no probe",
    "devtasks.yaml:2:3",
  ),
  (
    "services:\n  api:\n    run: x\n    port: 1\n    liveness: { retries: 0 }\n",
    "expected a number of failed probes (1 or more), found `0`",
    "devtasks.yaml:5:26",
  ),
  (
    "services:\n  api:\n    run: x\ntasks:\n  test: { run: x, aliases: [api-stop] }\n",
    "alias `api-stop` clashes with the command `dev api-stop` derived from service `api`",
    "devtasks.yaml:5:29",
  ),
  (
    "tasks:\n  a: { run: x, aliases: [b] }\n  b: y\n",
    "alias `b` is already the name of a service, task or alias",
    "devtasks.yaml:2:26",
  ),
  (
    "services:\n  api:\n    run: x\n    shell: zsh\n",
    "unknown shell `zsh`",
    "devtasks.yaml:4:12",
  ),
  (
    "shell: powershel\ntasks:\n  a: x\n",
    "unknown shell `powershel`",
    "devtasks.yaml:1:8",
  ),
  (
    "tasks:\n  a: { run: x, platforms: [linus] }\n",
    "unknown platform `linus`",
    "devtasks.yaml:2:28",
  ),
  (
    "services:\n  api:\n    run: x\ntasks:\n  e2e: { run: x, needs: [apj] }\n",
    "unknown service `apj`",
    "devtasks.yaml:5:26",
  ),
  (
    "tasks:\n  a: { run: x, args: [b=1, c] }\n",
    "required argument `c` comes after one with a default",
    "devtasks.yaml:2:28",
  ),
  (
    "default: tset\ntasks:\n  test: x\n",
    "unknown service or task `tset`",
    "devtasks.yaml:1:10",
  ),
  (
    "reserved: [5432, abc]\nservices:\n  api:\n    run: x\n",
    "found `abc`",
    "devtasks.yaml:1:18",
  ),
  (
    "services:\n  api:\n    port: 1\n",
    "missing field `run`",
    "devtasks.yaml:3:5",
  ),
  (
    "services:\n  api:\n    run: [1, 2]\n",
    "expected one value (a string or a number) here, found a list",
    "devtasks.yaml:3:10",
  ),
  (
    "services:\n  a:\n    run: x\n    depends_on: [bakend]\n  backend:\n    run: y\n",
    "unknown service `bakend`",
    "devtasks.yaml:4:18",
  ),
  (
    "services:\n  a:\n    run: x\n    depends_on: [b]\n  b:\n    run: y\n    depends_on: [a]\n",
    "services depend on each other in a cycle: a → b → a",
    "devtasks.yaml:2:3",
  ),
  (
    "tasks:\n  a: { run: x, deps: [b] }\n  b: { run: y, deps: [a] }\n",
    "tasks depend on each other in a cycle: a → b → a",
    "devtasks.yaml:2:3",
  ),
  ("", "defines no services and no tasks", ""),
  (
    "# nothing but a comment\n",
    "defines no services and no tasks",
    "",
  ),
  (
    "services:\n  a:\n    run: x\n    stop: { grace: soon }\n",
    "expected a duration such as `10s`",
    "devtasks.yaml:4:20",
  ),
  (
    "services:\n  a:\n    run: x\n    stop: { signal: SIGFOO }\n",
    "unknown signal `SIGFOO`",
    "devtasks.yaml:4:21",
  ),
  (
    "services:\n  a:\n    run: x\n  a:\n    run: y\n",
    "duplicate key `a`",
    "devtasks.yaml:4:3",
  ),
  (
    "services:\n  a:\n    run: x\n    env:\n      URL: \"http://h:${bakend.port}\"\n  backend:\n    run: y\n    port: 1\n",
    "unknown service `bakend` in `${bakend.port}`",
    "devtasks.yaml:5:22",
  ),
  (
    "services:\n  a:\n    run: x\n  b:\n    run: echo ${a.port}\n",
    "service `a` has no `port`",
    "devtasks.yaml:5:15",
  ),
  (
    "services:\n  -x:\n    run: x\n",
    "may not start with `-`",
    "devtasks.yaml:2:3",
  ),
  (
    "services:\n  api:\n    run: x\ntasks:\n  api: y\n",
    "defined both as a service and as a task",
    "devtasks.yaml:5:3",
  ),
  (
    "services:\n  a:\n    run: x\n    depends_on: { b: healthyy }\n  b:\n    run: y\n",
    "unknown condition `healthyy`",
    "devtasks.yaml:4:22",
  ),
  (
    "tasks:\n  t: { description: nothing }\n",
    "task `t` has neither `run` nor `deps`",
    "devtasks.yaml:2:3",
  ),
  (
    "services:\n  a:\n    run: x\n\tport: 1\n",
    "found a tab",
    "devtasks.yaml:3:10",
  ),
  (
    "servces:\n  a:\n    run: x\n",
    "unknown field `servces`",
    "devtasks.yaml:1:1",
  ),
  // One rule for names: not a command derived from a service (a built-in's name is fine).
  (
    "services:\n  api:\n    run: x\n  api-logs:\n    run: y\n",
    "service `api-logs` clashes with the command `dev api-logs` derived from service `api`",
    "devtasks.yaml:4:3",
  ),
  (
    "tasks:\n  x-logs: y\nservices:\n  x:\n    run: z\n",
    "task `x-logs` clashes with the command `dev x-logs` derived from service `x`",
    "devtasks.yaml:2:3",
  ),
  (
    "services:\n  é:\n    run: x\n",
    "may only contain ASCII letters and digits",
    "devtasks.yaml:2:3",
  ),
  // Task references are checked like the services'.
  (
    "services:\n  api:\n    run: x\n    port: 1\ntasks:\n  t: curl ${ap.port}\n",
    "unknown service `ap` in `${ap.port}`",
    "devtasks.yaml:6:11",
  ),
  (
    "services:\n  api:\n    run: x\n    port: 1\ntasks:\n  t: { run: x, env: { U: \"${api.ports.ws}\" } }\n",
    "unknown field `ports.ws` in `${api.ports.ws}`",
    "devtasks.yaml:6:",
  ),
  (
    "services:\n  api:\n    run: x\ntasks:\n  t: { run: y, deps: [api] }\n",
    "`api` is a service, not a task",
    "devtasks.yaml:5:23",
  ),
  (
    "services:\n  a:\n    run: x\n---\nservices:\n  b:\n    run: y\n",
    "devtasks.yaml holds several YAML documents",
    "devtasks.yaml:5:1",
  ),
  // Numbers too big for a clock used to abort the process (exit 134).
  (
    "services:\n  a:\n    run: x\n    stop: { grace: 1e20 }\n",
    "`1e20` is too long: durations go up to a year",
    "devtasks.yaml:4:20",
  ),
  (
    "services:\n  a:\n    run: x\n    port: 8000\n    health: { interval: 10000000000000000000s10000000000000000000s }\n",
    "is too long",
    "devtasks.yaml:5:",
  ),
  (
    "services:\n  a:\n    run: x\n    port: 8000\n    health: { timeout: 0 }\n",
    "`0` must be more than zero",
    "devtasks.yaml:5:",
  ),
  (
    "services:\n  a:\n    run: x\n    restart_delay: 1e308\n",
    "is too long",
    "devtasks.yaml:4:20",
  ),
  (
    "services:\n  a:\n    run: x\n    log: { keep: 4294967295 }\n",
    "expected a number of rotated files to keep (0 to 1000)",
    "devtasks.yaml:4:",
  ),
];

#[test]
fn every_malformed_task_file_gets_a_located_error_and_exit_2() {
  for (yaml, message, location) in CASES {
    let test = Test::with_config(yaml);
    let done = test.run(&["list"]);
    let stderr = done.stderr();
    assert_eq!(done.code(), 2, "{yaml:?} → exit {}\n{stderr}", done.code());
    assert!(
      stderr.contains(message),
      "{yaml:?}: expected `{message}` in:\n{stderr}"
    );
    assert!(
      stderr.contains(location),
      "{yaml:?}: expected location `{location}` in:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{yaml:?} panicked:\n{stderr}");
  }
}

#[test]
fn unknown_field_suggests_the_right_one_and_draws_carets() {
  let test = Test::with_config("services:\n  api:\n    run: x\n    porrt: 3\n");
  let done = test.run(&["list"]);
  assert_eq!(
    done.stderr(),
    "error: unknown field `porrt`\n ——▶ devtasks.yaml:4:5\n  │\n4 │     porrt: 3\n  │     ^^^^^\nhint: Did you mean `port`?\n"
  );
}

#[test]
fn non_utf8_file_is_refused_with_the_byte_offset() {
  let test = Test::new();
  std::fs::write(
    test.path().join("devtasks.yaml"),
    b"services:\n  a:\n    run: \xff\xfe\n",
  )
  .unwrap();
  test
    .args(&["list"])
    .status(2)
    .stderr_contains("is not valid UTF-8 (byte 24)")
    .run();
}

#[test]
fn missing_task_file_says_how_to_get_one() {
  let test = Test::new();
  test
    .args(&["status"])
    .status(2)
    .stderr_contains("error: no devtasks.yaml in")
    .stderr_contains("dev init")
    .run();
  test
    .args(&["-f", "nope.yaml", "status"])
    .status(2)
    .stderr_contains("cannot read `nope.yaml`")
    .run();
}

#[test]
fn task_file_is_found_from_a_subdirectory() {
  let test = Test::with_config("tasks:\n  hi: echo found\n");
  std::fs::create_dir_all(test.path().join("deep/er")).unwrap();
  let done = test
    .command(&["hi"])
    .current_dir(test.path().join("deep/er"))
    .output()
    .unwrap();
  assert!(done.status.success());
  // cmd ends a line with \r\n.
  assert_eq!(
    String::from_utf8_lossy(&done.stdout).replace("\r\n", "\n"),
    "found\n"
  );
}

#[test]
fn bad_durations_on_the_command_line_are_usage_errors() {
  let test = Test::with_config("services:\n  a:\n    run: x\n");
  for since in ["1e20", "", "soon"] {
    test
      .args(&["logs", "--since", since])
      .status(2)
      .stderr_lacks("panicked")
      .run();
  }
  test
    .args(&["port", "free", "1", "--grace", "1e20"])
    .status(2)
    .stderr_contains("too long")
    .run();
}

/// Something named devtasks.yaml that is not a file is an error naming it: it used to be
/// skipped, and the parent directory's task file silently used instead.
#[test]
fn a_task_file_that_is_a_directory_or_a_broken_link_is_named() {
  let test = Test::with_config("tasks:\n  parent: echo the parent file\n");
  let sub = test.path().join("sub");
  std::fs::create_dir_all(sub.join("devtasks.yaml")).unwrap();
  let run = |dir: &std::path::Path| {
    let output = test
      .command(&["list"])
      .current_dir(dir)
      .stderr(std::process::Stdio::piped())
      .stdout(std::process::Stdio::piped())
      .output()
      .unwrap();
    (
      output.status.code(),
      String::from_utf8_lossy(&output.stderr).into_owned(),
    )
  };
  let (code, said) = run(&sub);
  assert_eq!(code, Some(2), "{said}");
  assert!(said.contains("devtasks.yaml`: it is a directory"), "{said}");
  // A link needs a privilege on Windows: the broken link is checked on Unix.
  #[cfg(unix)]
  {
    let linked = test.path().join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink("gone.yaml", linked.join("devtasks.yaml")).unwrap();
    let (code, said) = run(&linked);
    assert_eq!(code, Some(2), "{said}");
    assert!(
      said.contains("it is a link to `gone.yaml`, which does not exist"),
      "{said}"
    );
  }
}

#[test]
fn compose_style_extension_keys_hold_anchors_for_services() {
  let test = Test::with_config(
    "x-common: &common\n  run: echo shared\n  description: from an anchor\nservices:\n  a:\n    <<: *common\n",
  );
  test
    .args(&["list"])
    .status(0)
    .stdout_contains("a # from an anchor")
    .run();
}

#[test]
fn a_mistake_on_a_huge_line_prints_a_short_snippet() {
  let long = "y".repeat(200_000);
  let test = Test::with_config(&format!(
    "services:\n  b:\n    run: {long} ${{nope.port}}\n"
  ));
  let done = test.args(&["list"]).status(2).run();
  assert!(done.stderr().len() < 1000, "{} bytes", done.stderr().len());
  assert!(done.stderr().contains("…yyy"), "{}", done.stderr());
  assert!(done.stderr().contains("${nope.port}"), "{}", done.stderr());
}
