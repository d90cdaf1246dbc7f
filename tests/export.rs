//! `dev export compose|procfile|systemd|launchd`, each read back by the tool it is for.

use std::process::Command;

use crate::harness::{Test, python_tool};

/// `systemd-analyze verify` accepts the unit (systemd, and so this check, is Linux's) (system mode: a user manager cannot start in
/// every sandbox). Checked first to refuse a broken unit, so that its silence means yes.
#[cfg(target_os = "linux")]
#[track_caller]
fn assert_verified(unit: &std::path::Path) {
  let verify = |path: &std::path::Path| {
    let output = Command::new("systemd-analyze")
      .arg("verify")
      .arg(path)
      .output()
      .expect("systemd-analyze (Debian package systemd) is needed for this test");
    (
      output.status.success(),
      String::from_utf8_lossy(&output.stderr).into_owned(),
    )
  };
  let broken = unit.with_file_name("broken-probe.service");
  std::fs::write(&broken, "[Service]\nExecStart=/bin/sh -c \"echo\nmore\"\n").unwrap();
  assert!(
    !verify(&broken).0,
    "systemd-analyze verify accepted a broken unit"
  );
  std::fs::remove_file(&broken).unwrap();
  let (ok, said) = verify(unit);
  assert!(
    ok,
    "systemd-analyze verify refused {}:\n{said}\n{}",
    unit.display(),
    std::fs::read_to_string(unit).unwrap()
  );
}

const PROJECT: &str = "services:
  api:
    description: The API
    cwd: api
    run: exec python3 -u server.py
    port: 8000
    health: { http: \"http://127.0.0.1:$PORT/health\", interval: 3s, retries: 4 }
    restart: on-failure
    stop: { signal: INT, grace: 7s }
  web:
    run: exec node server.js
    port: 5173
    env: { API_URL: \"http://127.0.0.1:${api.port}\" }
    depends_on: { api: healthy }
";

fn project() -> Test {
  let test = Test::with_config(PROJECT);
  std::fs::create_dir_all(test.path().join("api")).unwrap();
  test
}

#[test]
fn compose_has_healthchecks_and_health_gated_dependencies() {
  let test = project();
  let done = test.args(&["export", "compose"]).status(0).run();
  let compose: serde_json::Value = serde_saphyr::from_str(&done.stdout()).unwrap();
  let api = &compose["services"]["api"];
  assert_eq!(api["image"], "python:3.12-slim");
  assert_eq!(api["working_dir"], "/app/api");
  assert_eq!(api["command"][2], "exec python3 -u server.py");
  assert_eq!(api["environment"]["PORT"], "8000");
  assert_eq!(api["ports"][0], "127.0.0.1:8000:8000");
  let check = api["healthcheck"]["test"][1].as_str().unwrap();
  assert!(check.contains("http://127.0.0.1:8000/health"), "{check}");
  assert_eq!(api["healthcheck"]["interval"], "3s");
  assert_eq!(api["healthcheck"]["retries"], 4);
  assert_eq!(api["restart"], "on-failure");
  assert_eq!(api["stop_signal"], "SIGINT");
  assert_eq!(api["stop_grace_period"], "7s");
  let web = &compose["services"]["web"];
  assert_eq!(web["depends_on"]["api"]["condition"], "service_healthy");
  // Containers reach each other by service name.
  assert_eq!(web["environment"]["API_URL"], "http://api:8000");
}

#[test]
fn procfile_lines_carry_cwd_ports_and_env() {
  let test = project();
  let done = test.args(&["export", "procfile"]).status(0).run();
  assert_eq!(
    done.stdout(),
    "api: cd api && PORT=8000 sh -c 'exec python3 -u server.py'\n\
     web: PORT=5173 API_URL=http://127.0.0.1:8000 sh -c 'exec node server.js'\n"
  );
}

#[test]
#[cfg(target_os = "linux")]
fn systemd_units_stop_the_whole_group_like_dev() {
  let test = project();
  let dir = test.path().join("units");
  test
    .args(&["export", "systemd", "--dir", dir.to_str().unwrap()])
    .status(0)
    .run();
  let api = std::fs::read_to_string(dir.join("dev-api.service")).unwrap();
  for line in [
    "KillMode=control-group",
    "KillSignal=SIGINT",
    "TimeoutStopSec=7",
    "Restart=on-failure",
    "Environment=\"PORT=8000\"",
    "ExecStart=/bin/sh -c \"exec python3 -u server.py\"",
  ] {
    assert!(api.lines().any(|l| l == line), "{line} not in\n{api}");
  }
  let web = std::fs::read_to_string(dir.join("dev-web.service")).unwrap();
  assert!(
    web.contains("After=dev-api.service\nRequires=dev-api.service\n"),
    "{web}"
  );
  // Every line is a section, a comment, or key=value.
  for line in api.lines().chain(web.lines()) {
    assert!(
      line.is_empty() || line.starts_with('[') || line.starts_with('#') || line.contains('='),
      "{line}"
    );
  }
  assert_verified(&dir.join("dev-api.service"));
  assert_verified(&dir.join("dev-web.service"));
}

/// What users' task files hold: a `run: |` block, a `$` that compose or systemd would eat,
/// a `%` systemd would expand, a value over two lines, a `cwd:` with `..`.
const AWKWARD: &str = "env_file: .env
services:
  api:
    cwd: ../PROJECT/shared
    run: |
      echo \"first line $PORT 100%\"
      echo second line
    port: 8000
";

fn awkward() -> Test {
  let test = Test::new();
  let name = test
    .path()
    .file_name()
    .unwrap()
    .to_str()
    .unwrap()
    .to_owned();
  test.write("devtasks.yaml", &AWKWARD.replace("PROJECT", &name));
  std::fs::create_dir_all(test.path().join("shared")).unwrap();
  test.write(".env", "SECRET='abc$def'\nNOTE=\"two\nlines\"\n");
  test
}

#[test]
fn compose_keeps_every_dollar_and_validates_against_the_compose_spec() {
  let test = awkward();
  let done = test
    .args(&["export", "compose", "--inline-env"])
    .status(0)
    .run();
  let text = done.stdout();
  assert!(text.contains("first line $$PORT 100%"), "{text}");
  assert!(text.contains("SECRET: \"abc$$def\""), "{text}");
  test.write("docker-compose.yml", &text);
  let checked = Command::new(python_tool("check-jsonschema", "check-jsonschema"))
    .args(["--builtin-schema", "vendor.compose-spec"])
    .arg(test.path().join("docker-compose.yml"))
    .output()
    .unwrap();
  assert!(
    checked.status.success(),
    "{}{}",
    String::from_utf8_lossy(&checked.stdout),
    String::from_utf8_lossy(&checked.stderr)
  );
}

#[test]
#[cfg(target_os = "linux")]
fn systemd_units_of_awkward_services_pass_systemd_analyze() {
  let test = awkward();
  let dir = test.path().join("units");
  test
    .run(&[
      "export",
      "systemd",
      "--inline-env",
      "--dir",
      dir.to_str().unwrap(),
    ])
    .success();
  let unit = std::fs::read_to_string(dir.join("dev-api.service")).unwrap();
  assert!(
    unit.contains(&format!(
      "WorkingDirectory={}/shared\n",
      test.path().display()
    )),
    "{unit}"
  );
  assert!(unit.contains("Environment=\"NOTE=two\\nlines\""), "{unit}");
  assert!(unit.contains("100%%"), "{unit}");
  assert_verified(&dir.join("dev-api.service"));
}

#[test]
fn a_procfile_of_awkward_services_runs_under_honcho() {
  let test = awkward();
  let done = test.args(&["export", "procfile"]).status(0).run();
  assert_eq!(done.stdout().lines().count(), 1, "{}", done.stdout());
  test.write("Procfile", &done.stdout());
  let honcho = python_tool("honcho", "honcho");
  let check = Command::new(&honcho)
    .args(["-e", "/dev/null", "check"])
    .current_dir(test.path())
    .output()
    .unwrap();
  assert!(
    check.status.success(),
    "{}",
    String::from_utf8_lossy(&check.stderr)
  );
  // Run it: both lines of the script, the value over two lines, `$PORT` from the line.
  let started = Command::new(&honcho)
    .args(["-e", "/dev/null", "start"])
    .current_dir(test.path())
    .output()
    .unwrap();
  let said = String::from_utf8_lossy(&started.stdout);
  assert!(said.contains("first line 8000 100%"), "{said}");
  assert!(said.contains("second line"), "{said}");
}

/// Runs a LaunchAgent as launchd would (its program, directory, environment and log), with
/// Python's `plistlib` as the parser — launchd itself is macOS's, not run here.
const RUN_AGENT: &str = r#"
import os, plistlib, subprocess, sys, json
with open(sys.argv[1], "rb") as f:
    job = plistlib.load(f)
env = {"PATH": os.environ["PATH"], **job.get("EnvironmentVariables", {})}
with open(job["StandardOutPath"], "ab") as out:
    subprocess.run(job["ProgramArguments"], cwd=job["WorkingDirectory"], env=env,
                   stdout=out, stderr=out, check=True)
print(json.dumps({key: job[key] for key in job if key != "ProgramArguments"}, default=str))
"#;

#[test]
fn launchd_agents_parse_as_property_lists_and_run_what_dev_runs() {
  let test = awkward();
  let dir = test.path().join("agents");
  test
    .args(&[
      "export",
      "launchd",
      "--inline-env",
      "--dir",
      dir.to_str().unwrap(),
    ])
    .status(0)
    .stderr_contains(".api.plist")
    .run();
  let agent = std::fs::read_dir(&dir)
    .unwrap()
    .flatten()
    .map(|entry| entry.path())
    .find(|path| path.extension().is_some_and(|e| e == "plist"))
    .expect("a .plist");
  std::fs::create_dir_all(test.path().join("logs")).unwrap();
  let ran = Command::new("python3")
    .args(["-c", RUN_AGENT])
    .arg(&agent)
    .output()
    .unwrap();
  assert!(
    ran.status.success(),
    "{}",
    String::from_utf8_lossy(&ran.stderr)
  );
  let job: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
  assert_eq!(job["EnvironmentVariables"]["SECRET"], "abc$def");
  assert_eq!(job["EnvironmentVariables"]["NOTE"], "two\nlines");
  assert_eq!(job["EnvironmentVariables"]["PORT"], "8000");
  assert_eq!(job["RunAtLoad"], true);
  assert_eq!(job["KeepAlive"], false, "restart: no (the default)");
  assert_eq!(job["ExitTimeOut"], 10, "the default grace");
  let label = job["Label"].as_str().unwrap();
  assert!(
    agent.ends_with(format!("{label}.plist")),
    "{label} vs {}",
    agent.display()
  );
  let log = test.log("api");
  assert_eq!(log, "first line 8000 100%\nsecond line\n");
}

#[test]
fn launchd_keep_alive_follows_the_restart_policy() {
  let test = project();
  let done = test.args(&["export", "launchd"]).status(0).run();
  let text = done.stdout();
  assert!(
    text.contains("<key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>"),
    "on-failure restarts only after a failure:\n{text}"
  );
  assert!(
    text.contains("<key>ExitTimeOut</key>\n  <integer>7</integer>"),
    "{text}"
  );
  assert!(
    text.contains("launchd stops with SIGTERM; dev would send SIGINT"),
    "{text}"
  );
  assert!(text.contains("does not wait for api"), "{text}");
}
