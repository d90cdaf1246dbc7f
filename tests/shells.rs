//! `shell:` (top level, per service, per task): which shell `run:` goes to, `$PORT` reaching
//! each, and a shell this machine lacks named at start.

use crate::harness::*;

/// `[[ ]]` is bash's, not sh's (dash here): a service and a task under the file's
/// `shell: bash` run it, `$PORT` reaches the server, and a task's `shell: sh` still gets sh.
// Unix only: bash and dash (`sh`) side by side.
#[cfg(unix)]
#[test]
fn shell_bash_runs_bash_only_syntax_in_services_and_tasks() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "shell: bash
services:
  api:
    run: '[[ -n $BASH_VERSION ]] && exec python3 -u server.py http'
    port: {port}
tasks:
  which: '[[ -n $BASH_VERSION ]] && echo in-bash'
  posix:
    run: 'echo \"in-sh:${{BASH_VERSION:-none}}\"'
    shell: sh
"
  ));
  test.run(&["up", "-d"]).success();
  assert!(is_listening(port), "api is not listening on {port}");
  test.args(&["which"]).stdout_contains("in-bash").run();
  test.args(&["posix"]).stdout_contains("in-sh:none").run();
  test.run(&["stop"]).success();
}

/// A shell not on PATH is refused before anything starts: named, located, with a hint.
#[test]
fn a_shell_that_is_not_installed_is_named_at_start_with_its_line() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: exec python3 -u server.py http
    port: {port}
    shell: pwsh
tasks:
  hello: {{ run: echo hello, shell: pwsh }}
"
  ));
  // A PATH with nothing on it: no `pwsh`, whatever this machine has installed.
  let empty = test.path().join("empty-path");
  std::fs::create_dir(&empty).unwrap();
  let path = empty.display().to_string();
  for (args, line) in [
    (&["up", "-d"][..], "devtasks.yaml:5:12"),
    (&["hello"][..], "devtasks.yaml:7:36"),
  ] {
    let done = test.run_with_env(args, &[("PATH", &path)]);
    let stderr = done.stderr();
    assert_eq!(done.code(), 2, "{args:?}: {stderr}");
    assert!(stderr.contains("shell `pwsh` is not installed"), "{stderr}");
    assert!(
      stderr.contains(line),
      "{args:?}: expected {line} in {stderr}"
    );
    assert!(stderr.contains("hint: install PowerShell 7"), "{stderr}");
    assert!(
      !done.stdout().contains("hello"),
      "{args:?} ran: {}",
      done.stdout()
    );
  }
  assert!(!is_listening(port), "api started without its shell");
  assert_eq!(
    test
      .run(&["status", "--json"])
      .stdout()
      .matches("running")
      .count(),
    0
  );
}
