//! `dev config [--explain] [--json]`: each service as it would start (or runs), resolved.

use crate::harness::*;

fn line_with<'a>(text: &'a str, start: &str) -> &'a str {
  text
    .lines()
    .find(|line| line.trim_start().starts_with(start))
    .unwrap_or_else(|| panic!("no line starting with `{start}` in:\n{text}"))
}

/// A running service moved by `fallback:`: the port it runs on, said to be the state's, the
/// dependent's `${api.port}` filled with it, env files read, defaults shown as defaults.
// Unix only: python3 servers started with `exec`.
#[cfg(unix)]
#[test]
fn config_explain_shows_the_given_port_the_filled_env_and_where_each_came_from() {
  let (configured, web) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "env_file: .env
services:
  api:
    run: exec python3 -u server.py http
    port: {configured}
    fallback: auto
  web:
    run: exec python3 -u server.py http
    port: {web}
    env: {{ API_URL: 'http://127.0.0.1:${{api.port}}' }}
    stop: {{ grace: 3s }}
"
  ));
  test.write(".env", "SECRET=s3cret\n");
  let _holder = test.foreign(configured, "127.0.0.1", "plain");
  test.run(&["up", "-d", "api"]).success();
  let given = test.status_json()[0]["port"].as_u64().unwrap();
  assert_ne!(given, u64::from(configured));
  let shown = test.run(&["config", "--explain"]);
  shown.success();
  let text = shown.stdout();
  let port = line_with(&text, &format!("port: {given}"));
  assert!(
    port.contains(&format!(
      "# running: given at start (configured {configured}"
    )),
    "{text}"
  );
  let url = line_with(&text, "API_URL:");
  assert!(url.contains(&format!("http://127.0.0.1:{given}")), "{text}");
  assert!(url.contains("# env: in devtasks.yaml"), "{text}");
  assert!(
    line_with(&text, "SECRET: s3cret").contains("# the top-level env_file"),
    "{text}"
  );
  assert!(line_with(&text, "restart:").contains("# default"), "{text}");
  assert!(
    line_with(&text, "stop: {grace: 3.0s").contains("# devtasks.yaml"),
    "{text}"
  );
  let json = test.run(&["config", "web", "--json"]).json();
  assert_eq!(
    json["services"]["web"]["env"]["API_URL"],
    format!("http://127.0.0.1:{given}")
  );
  assert!(json["services"].get("api").is_none(), "{json}");
  test.run(&["stop"]).success();
}

/// Not running: the port it would start on, the environment's override said as such.
#[test]
fn config_of_a_stopped_service_shows_the_override_from_the_environment() {
  let (configured, fixed) = (free_port(), free_port());
  let test = Test::new().servers(&[server("api", configured)]);
  let shown = test.run_with_env(
    &["config", "--explain"],
    &[("DEV_API_PORT", &fixed.to_string())],
  );
  shown.success();
  let text = shown.stdout();
  assert!(
    line_with(&text, &format!("port: {fixed}")).contains("DEV_API_PORT in the environment"),
    "{text}"
  );
  test
    .args(&["config", "apii"])
    .status(2)
    .stderr_contains("`apii`")
    .run();
}

/// The shell each service's `run:` goes to: its own `shell:`, the file's, or this OS's.
#[test]
fn config_shows_each_services_shell_and_where_it_came_from() {
  // Shells this OS has: Windows (and Wine) has neither bash nor sh.
  let (file_shell, own_shell) = if cfg!(windows) {
    ("cmd", "cmd")
  } else {
    ("bash", "sh")
  };
  let test = Test::with_config(&format!(
    "shell: {file_shell}
services:
  inherits:
    run: sleep 60
  own:
    run: sleep 60
    shell: {own_shell}
"
  ));
  let shown = test.run(&["config", "--explain"]);
  shown.success();
  let text = shown.stdout();
  let shells: Vec<&str> = text
    .lines()
    .filter(|line| line.trim_start().starts_with("shell:"))
    .collect();
  assert_eq!(shells.len(), 2, "{text}");
  assert!(
    shells[0].contains(&format!("shell: {file_shell}")) && shells[0].contains("# devtasks.yaml:1"),
    "{text}"
  );
  assert!(
    shells[1].contains(&format!("shell: {own_shell}")) && shells[1].contains("# devtasks.yaml:7"),
    "{text}"
  );
  let json = test.run(&["config", "--json"]).json();
  assert_eq!(json["services"]["inherits"]["shell"], file_shell, "{json}");
  let plain = Test::with_config("services:\n  api:\n    run: sleep 60\n");
  let text = plain.run(&["config", "--explain"]).stdout();
  let default = if cfg!(windows) { "cmd" } else { "sh" };
  assert!(
    line_with(&text, &format!("shell: {default}")).contains("# default on this OS"),
    "{text}"
  );
}
