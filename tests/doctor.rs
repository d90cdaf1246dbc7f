//! `dev doctor` findings on a real broken project, and the generated man page.

use crate::harness::{Test, free_port};

#[test]
fn doctor_names_a_missing_program_and_a_held_port_with_their_fixes() {
  let held = free_port();
  let free = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: PORT=1 exec no-such-server-xyz --port $PORT
    port: {held}
  web:
    run: exec python3 -u server.py
    port: {free}
tasks:
  build: ./scripts/build.sh && python3 -c 'pass'
"
  ));
  let _holder = test.foreign(held, "127.0.0.1", "plain");
  let done = test.args(&["doctor"]).status(1).run();
  let out = done.stdout();
  assert!(
    out.contains("✓ devtasks.yaml is valid: 2 services, 1 task"),
    "{out}"
  );
  assert!(
    out.contains("✗ api: `no-such-server-xyz` is not found"),
    "{out}"
  );
  assert!(out.contains("which no-such-server-xyz"), "{out}");
  assert!(
    out.contains("✗ build: `./scripts/build.sh` is not found"),
    "{out}"
  );
  assert!(!out.contains("`python3` is not found"), "{out}");
  assert!(
    out.contains(&format!("✗ port {held} (api) is held by python3 (pid ")),
    "{out}"
  );
  assert!(out.contains(&format!("dev port free {held}")), "{out}");
  assert!(
    out.contains(&format!("✓ port {free} (web) is free")),
    "{out}"
  );
  assert!(out.contains("✓ log directory logs is writable"), "{out}");
  assert!(
    done.stderr().contains("dev doctor found 3 problems"),
    "{}",
    done.stderr()
  );
}

#[test]
fn the_man_page_is_roff_from_the_same_definitions() {
  let done = Test::new().run(&["man"]);
  done.success();
  let page = done.stdout();
  assert!(page.contains(".TH dev 1"), "{page}");
  assert!(
    page.contains("completions") && page.contains("doctor"),
    "{page}"
  );
}

/// Commands a shell runs happily were reported as missing programs (`1` from `2>&1`, `do`,
/// `done`, `b` from `"a|b"`), and doctor exited 1 on a project with nothing wrong.
#[test]
fn doctor_reads_commands_as_the_shell_does_and_finds_no_false_problem() {
  let test = Test::with_config(
    "services:
  a:
    run: python3 server.py 2>&1 | tee out.log
  b:
    run: 'while true; do sleep 1; done'
  c:
    run: echo \"a|b\"; cat <<EOF
      hello world
      EOF
tasks:
  t: 'for f in a b; do cat $f; done; f() { ls; }; f'
  u: { run: 'if [ -f x ]; then true; fi', env: { EDITOR: vi } }
",
  );
  test.args(&["doctor"]).status(0).stdout_lacks("✗").run();
}

/// A service's own `env: PATH` is where its shell looks, not dev's PATH.
#[test]
fn doctor_looks_programs_up_on_the_services_own_path() {
  let test = Test::with_config(
    "services:\n  a:\n    run: python3 -V\n    env: { PATH: /nonexistent }\n  b:\n    run: tools/lint\n    cwd: sub\n",
  );
  std::fs::create_dir_all(test.path().join("sub/tools")).unwrap();
  test.write("sub/tools/lint", "#!/bin/sh\n");
  let done = test
    .args(&["doctor"])
    .status(1)
    .stdout_contains("✗ a: `python3` is not found (in `python3 -V`)")
    .run();
  // Present but not executable: the shell would refuse it too.
  assert!(
    done.stdout().contains("✗ b: `tools/lint` is not found"),
    "{}",
    done.stdout()
  );
  assert!(
    done.stderr().contains("each ✗ above says how to fix it"),
    "{}",
    done.stderr()
  );
}
