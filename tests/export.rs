//! `dev export compose|procfile|systemd`, each read back.

use std::process::Command;

use crate::harness::Test;

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
  let done = test.run(&["export", "compose"]);
  done.success();
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
  let done = test.run(&["export", "procfile"]);
  done.success();
  assert_eq!(
    done.stdout(),
    "api: cd api && PORT=8000 sh -c 'exec python3 -u server.py'\n\
     web: PORT=5173 API_URL=http://127.0.0.1:8000 sh -c 'exec node server.js'\n"
  );
}

#[test]
fn systemd_units_stop_the_whole_group_like_dev() {
  let test = project();
  let dir = test.path().join("units");
  let done = test.run(&["export", "systemd", "--dir", dir.to_str().unwrap()]);
  done.success();
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
  if let Ok(out) = Command::new("systemd-analyze")
    .args(["verify", "--user"])
    .arg(dir.join("dev-api.service"))
    .output()
  {
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
      !errors.contains("Invalid") && !errors.contains("bad-setting"),
      "{errors}"
    );
  }
}
