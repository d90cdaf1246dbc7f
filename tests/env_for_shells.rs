//! `dev env`: the ports and URLs of running services, for another shell or tool.

use std::process::Command;

use crate::harness::*;

/// The port a service was given, not the configured one: with its port held by something
/// else, `fallback: auto` moved it, and `eval "$(dev env)"` in a real shell sees where.
#[test]
fn a_shell_gets_the_port_a_service_was_given_not_the_configured_one() {
  let (configured, ws) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:\n  api-gw:\n    run: exec python3 -u server.py http\n    port: {configured}\n    fallback: auto\n    ports: {{ws: {ws}}}\n    health: {{http: 'http://127.0.0.1:$PORT/'}}\n"
  ));
  let _holder = test.foreign(configured, "127.0.0.1", "plain");
  test.run(&["up", "-d"]).success();
  let given = test.status_json()[0]["port"].as_u64().unwrap();
  assert_ne!(given, u64::from(configured));
  let env = test.run(&["env"]);
  env.success();
  let script = "eval \"$1\"; echo \"$API_GW_PORT $API_GW_WS_PORT $API_GW_URL\"";
  let shell = Command::new("sh")
    .args(["-c", script, "sh", &env.stdout()])
    .output()
    .unwrap();
  assert_eq!(
    String::from_utf8_lossy(&shell.stdout),
    format!("{given} {ws} http://127.0.0.1:{given}\n")
  );
  let dotenv = test.run(&["env", "--format", "dotenv"]);
  assert!(
    dotenv.stdout().contains(&format!("API_GW_PORT={given}\n")),
    "{}",
    dotenv.stdout()
  );
  test.run(&["stop"]).success();
}

/// Nothing running: nothing printed (a script's eval does nothing), and a warning says why.
#[test]
fn with_nothing_running_env_prints_nothing_and_says_so() {
  let test = Test::new().servers(&[server("api", free_port())]);
  let done = test.run(&["env"]);
  done.success();
  assert_eq!(done.stdout(), "");
  assert!(
    done.stderr().contains("no service is running"),
    "{}",
    done.stderr()
  );
}

/// Two names that become the same variable (`a-b`, `a.b`) are said, not silently merged.
#[test]
fn names_that_become_the_same_variable_are_warned_about() {
  let test = Test::with_config("services:\n  a-b:\n    run: sleep 60\n  a.b:\n    run: sleep 60\n");
  test.run(&["up", "-d"]).success();
  let done = test.run(&["env"]);
  done.success();
  assert!(
    done.stderr().contains("`a-b` and `a.b` both give A_B_*"),
    "{}",
    done.stderr()
  );
  test.run(&["stop"]).success();
}
