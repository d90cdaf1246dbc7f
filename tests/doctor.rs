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

/// `nice -n 10 python3 …` runs python3, not `10`: wrappers lead to the program they run.
#[test]
fn doctor_follows_wrappers_to_the_program_they_run() {
  let test = Test::with_config(
    "services:
  a:
    run: nice -n 10 python3 -V
  b:
    run: env -u HOME -i A=1 python3 -V
  c:
    run: exec -a myname python3 -V
tasks:
  t: 'timeout -s INT 5s nohup python3 -V'
",
  );
  test.args(&["doctor"]).status(0).stdout_lacks("✗").run();
}

/// Looking for a module must not import it: importing runs the project's code.
#[test]
fn doctor_finds_modules_without_running_the_projects_code() {
  let test = Test::with_config(
    "services:\n  app:\n    run: python3 -m app.main\n  gone:\n    run: python3 -m no_such_module_xyz.sub\n",
  );
  std::fs::create_dir_all(test.path().join("app")).unwrap();
  let ran = "open('IMPORTED', 'w').write('the project ran')\n";
  test.write("app/__init__.py", ran);
  test.write("app/main.py", ran);
  let done = test.args(&["doctor"]).status(1).run();
  let out = done.stdout();
  assert!(
    !test.path().join("IMPORTED").exists(),
    "doctor ran the project's code"
  );
  assert!(!out.contains("✗ app:"), "{out}");
  assert!(
    out.contains(
      "✗ gone: `python3` has no module `no_such_module_xyz` (for `-m no_such_module_xyz.sub`)"
    ),
    "{out}"
  );
}

/// Everything wrong with a service or a task in one run, each with where it is.
#[test]
fn doctor_reports_every_problem_at_once_with_locations() {
  let test = Test::new();
  let bin = test.path().join("bin");
  let test = test.config(&format!(
    "services:
  web:
    run: cd web && npm run dev
    env_file: vars.env
    env: {{ PATH: {} }}
tasks:
  t: {{ run: 'true', env_file: [missing.env, vars.env] }}
  u: {{ run: 'true', cwd: nowhere }}
",
    bin.display()
  ));
  test.write("vars.env", "A=1\nB=\"never closed\n");
  std::fs::create_dir_all(test.path().join("bin")).unwrap();
  test.write("bin/npm", "#!/bin/sh\n");
  std::fs::set_permissions(
    test.path().join("bin/npm"),
    std::os::unix::fs::PermissionsExt::from_mode(0o755),
  )
  .unwrap();
  std::fs::create_dir_all(test.path().join("web")).unwrap();
  test.write("web/package.json", "{\"scripts\": {\"start\": \"node x\"}}");
  let done = test.args(&["doctor"]).status(1).run();
  let out = done.stdout();
  for expected in [
    "✗ web: vars.env:2:3: this \" quote is never closed",
    "✗ web: web/package.json has no script `dev` (in `npm run dev`)",
    "✗ task t: devtasks.yaml:7:",
    "cannot read env file `missing.env`",
    "✗ task t: vars.env:2:3: this \" quote is never closed",
    "! task u: its cwd `nowhere` does not exist (yet)",
  ] {
    assert!(out.contains(expected), "want `{expected}` in:\n{out}");
  }
}

/// `shell:` counts: a shell this machine lacks is a problem (as `dev up` finds it), and
/// bash's `[[` is a keyword of the shell, not a program to look for.
#[test]
fn doctor_checks_each_shell_and_reads_bash_lines_as_bash() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:\n  a:\n    run: echo hi\n    shell: pwsh\n  b:\n    shell: bash\n    run: \"if [[ -n $PORT ]]; then exec python3 -m http.server $PORT; fi\"\n    port: {port}\n"
  ));
  let done = test
    .args(&["doctor"])
    .env("PATH", "/usr/bin:/bin")
    .status(1)
    .run();
  let said = format!("{}{}", done.stdout(), done.stderr());
  assert!(said.contains("a: shell `pwsh` is not installed"), "{said}");
  assert!(!said.contains("`[[`"), "{said}");
}
