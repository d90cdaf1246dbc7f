//! `dev mcp`: the Model Context Protocol server, driven by the real Python MCP client (the
//! `mcp` package from PyPI, installed into the tests' virtualenv) against real services, and
//! its wire by hand where a client library would hide it (stray lines, negotiation).

use std::{
  io::{BufRead, BufReader, Write},
  process::{Command, Stdio},
  time::Duration,
};

use serde_json::{Value, json};

use crate::harness::*;

const CLIENT: &str = include_str!("fixtures/mcp_client.py");

/// An HTTP server that answers 200 on $PORT: the service an agent edits.
const APP: &str = "\
import http.server, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'ok')
    def log_message(self, *args): pass
print('serving', flush=True)
http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), Handler).serve_forever()
";

/// The same with a syntax error, as a half-done edit leaves it.
const BROKEN_APP: &str = "\
import http.server, os
class Handler(http.server.BaseHTTPRequestHandler)
    def do_GET(self): pass
";

/// A session of `steps` through the real client; its report (see the fixture's docstring).
fn session(test: &Test, read_only: bool, steps: &Value) -> Value {
  let python = python_with("mcp", "mcp>=2,<3");
  test.write("mcp_client.py", CLIENT);
  let mut args = vec!["mcp_client.py", DEV, "mcp"];
  if read_only {
    args.push("--read-only");
  }
  let mut child = Command::new(python)
    .args(&args)
    .current_dir(test.path())
    .env("DEV_TEST_ID", test.marker())
    .env("DEV_PROXY", "off")
    .env("NO_COLOR", "1")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("python3 with mcp");
  child
    .stdin
    .take()
    .unwrap()
    .write_all(steps.to_string().as_bytes())
    .unwrap();
  let (code, stderr) = wait_child_with_stderr(&mut child, Duration::from_secs(240));
  let mut stdout = String::new();
  std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
  assert_eq!(code, 0, "the MCP client failed:\n{stderr}");
  serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

fn agent_project() -> (Test, u16, u16) {
  let (api, web) = (free_port(), free_port());
  let test = Test::with_config(&format!(
    "services:
  api:
    run: python3 -u app.py
    port: {api}
    health: {{ http: 'http://127.0.0.1:$PORT/' }}
    watch: [app.py]
  web:
    run: python3 -u server.py http
    port: {web}
tasks:
  greet: {{ run: 'echo hello ${{who}}', args: [who] }}
  fails: echo boom; exit 3
  slow: sleep 30
"
  ));
  test.write("app.py", APP);
  (test, api, web)
}

fn call(tool: &str, args: Value) -> Value {
  json!({ "call": tool, "args": args })
}

/// The issue's session: every tool at least once against running services, errors
/// included, a restart, and "did my change work?" after a broken and then a fixed save.
#[test]
fn an_agent_session_calls_every_tool_and_learns_whether_each_save_worked() {
  let (test, api, web) = agent_project();
  let foreign_port = free_port();
  let foreign = test.foreign(foreign_port, "127.0.0.1", "plain");
  let steps = json!([
    call("start_service", json!({ "service": "api" })),
    call("start_service", json!({ "service": "web" })),
    call("start_service", json!({ "service": "nosuch" })),
    call("list_services", json!({})),
    call("probe_health", json!({ "services": ["api"] })),
    call("read_logs", json!({ "services": ["api"], "lines": 5, "grep": "serving" })),
    call("read_logs", json!({ "lines": "many" })),
    call("run_task", json!({ "task": "greet", "args": ["big world"] })),
    call("run_task", json!({ "task": "fails" })),
    call("run_task", json!({ "task": "slow", "timeout_seconds": 1 })),
    call("port_who", json!({ "ports": [api] })),
    call("free_port", json!({ "port": foreign_port })),
    call("nosuch_tool", json!({})),
    { "write": "app.py", "text": BROKEN_APP },
    call("await_change", json!({ "service": "api" })),
    { "write": "app.py", "text": APP },
    call("await_change", json!({ "service": "api" })),
    call("restart_service", json!({ "service": "api" })),
    call("await_change", json!({ "service": "api", "restart": true })),
    call("force_service", json!({ "service": "web" })),
    call("stop_service", json!({ "service": "web" })),
    call("await_change", json!({ "service": "web", "timeout_seconds": 2 })),
    call("await_change", json!({ "service": "apii" })),
    // 1e300 seconds is no duration: said, not a panic and a call never answered.
    call("await_change", json!({ "service": "api", "since_seconds": 1e300 })),
  ]);
  let report = session(&test, false, &steps);
  assert_eq!(report["protocol"], "2025-11-25", "{report}");
  assert_eq!(report["server"], "dev");
  assert_eq!(report["tools"].as_object().unwrap().len(), 11, "{report}");
  // Every tool that answers with structured content says its shape (the client checked
  // each result below against it: a refused one is an `invalid` step).
  for (tool, output) in report["outputs"].as_object().unwrap() {
    assert_eq!(output.is_object(), tool != "read_logs", "{tool}: {output}");
  }
  assert!(!report.to_string().contains("\"invalid\""), "{report}");
  let results = report["results"].as_array().unwrap();
  let step = |index: usize| -> &Value { &results[index] };
  let ok = |index: usize| {
    assert_eq!(
      step(index)["is_error"],
      false,
      "step {index}: {}",
      step(index)
    );
    &step(index)["structured"]
  };
  let error = |index: usize| -> String {
    assert_eq!(
      step(index)["is_error"],
      true,
      "step {index}: {}",
      step(index)
    );
    step(index)["text"].as_str().unwrap().to_owned()
  };
  ok(0);
  ok(1);
  assert!(
    error(2).contains("no service or task named `nosuch`"),
    "{}",
    error(2)
  );
  let services = ok(3)["services"].as_array().unwrap();
  let row = services.iter().find(|row| row["service"] == "api").unwrap();
  assert_eq!(row["state"], "running", "{row}");
  assert_eq!(row["port"], api);
  assert_eq!(row["url"], format!("http://127.0.0.1:{api}"), "{row}");
  assert_eq!(row["health"]["healthy"], true, "{row}");
  assert_eq!(ok(4)["all_healthy"], true);
  assert!(
    step(5)["text"].as_str().unwrap().contains("serving"),
    "{}",
    step(5)
  );
  assert!(
    error(6).contains("`lines` must be a whole number"),
    "{}",
    error(6)
  );
  assert_eq!(ok(7)["exit_code"], 0);
  assert!(
    ok(7)["output"]
      .as_str()
      .unwrap()
      .contains("hello big world"),
    "{}",
    step(7)
  );
  // As a shell would take it back: pasted, it runs the same thing.
  assert_eq!(ok(7)["command"], "dev run greet 'big world'", "{}", step(7));
  // dev's exit code (1: a task failed), and the command's own in its message.
  assert_eq!(step(8)["structured"]["exit_code"], 1, "{}", step(8));
  assert!(error(8).contains("boom"), "{}", step(8));
  assert!(error(8).contains("exited with code 3"), "{}", step(8));
  assert_eq!(step(9)["structured"]["timed_out"], true, "{}", step(9));
  let holders = &ok(10)["ports"][0]["holders"][0];
  assert_eq!(holders["service"]["name"], "api", "{}", step(10));
  // The CLI's rule: a process dev did not start is not stopped without force.
  assert!(error(11).contains("`force: true`"), "{}", error(11));
  assert!(
    is_alive(foreign.id()),
    "the foreign listener was stopped without force"
  );
  assert!(
    step(12)["raised"]
      .as_str()
      .unwrap()
      .contains("unknown tool `nosuch_tool`")
  );
  let broken = ok_or_error(step(14));
  assert_eq!(broken["outcome"], "failed", "{broken}");
  let errors = broken["error_lines"].to_string();
  assert!(errors.contains("SyntaxError"), "{broken}");
  let fixed = ok(16);
  assert_eq!(fixed["outcome"], "ready", "{fixed}");
  assert!(fixed["took_ms"].as_u64().unwrap() < 30_000, "{fixed}");
  ok(17);
  assert_eq!(ok(18)["outcome"], "ready", "{}", step(18));
  ok(19);
  assert!(
    ok(20)["output"].as_str().unwrap().contains("web stopped"),
    "{}",
    step(20)
  );
  assert_eq!(
    step(21)["structured"]["outcome"],
    "not_running",
    "{}",
    step(21)
  );
  assert!(error(22).contains("did you mean `api`?"), "{}", error(22));
  assert!(error(23).contains("from 0 to a year"), "{}", error(23));
  assert!(!is_listening(web), "web still listens after stop_service");
  test.run(&["stop"]).success();
}

/// An `isError` result's structured content (a failed run is an answer with isError set).
fn ok_or_error(step: &Value) -> &Value {
  assert!(step["structured"].is_object(), "{step}");
  &step["structured"]
}

/// The same foreign port freed when the call says force, as `dev port free --yes` does.
#[test]
fn free_port_stops_a_foreign_listener_only_when_the_call_says_force() {
  let (test, _, _) = agent_project();
  let port = free_port();
  let mut foreign = test.foreign(port, "127.0.0.1", "plain");
  let report = session(
    &test,
    false,
    &json!([call("free_port", json!({ "port": port, "force": true }))]),
  );
  let freed = &report["results"][0];
  assert_eq!(freed["is_error"], false, "{freed}");
  assert_eq!(
    freed["structured"]["freed"]["stopped"][0]["pid"],
    foreign.id()
  );
  foreign.wait_exit(Duration::from_secs(10));
}

/// `--read-only`: the tools that start, stop, run or free are neither listed nor run, and
/// await_change may not restart; looking still works.
#[test]
fn a_read_only_server_lists_and_runs_only_the_tools_that_look() {
  let (test, _, _) = agent_project();
  let report = session(
    &test,
    true,
    &json!([
      call("start_service", json!({ "service": "api" })),
      call("await_change", json!({ "service": "api", "restart": true })),
      call("list_services", json!({})),
      call("await_change", json!({ "service": "api" })),
      call("port_who", json!({ "ports": ["1-65535"] })),
    ]),
  );
  let tools: Vec<&str> = report["tools"]
    .as_object()
    .unwrap()
    .keys()
    .map(String::as_str)
    .collect();
  for changing in [
    "start_service",
    "stop_service",
    "restart_service",
    "force_service",
    "run_task",
    "free_port",
  ] {
    assert!(!tools.contains(&changing), "{changing} listed: {tools:?}");
  }
  for looking in [
    "list_services",
    "read_logs",
    "probe_health",
    "port_who",
    "await_change",
  ] {
    assert!(tools.contains(&looking), "{looking} missing: {tools:?}");
  }
  let results = &report["results"];
  assert_eq!(results[0]["is_error"], true);
  assert!(
    results[0]["text"].as_str().unwrap().contains("--read-only"),
    "{}",
    results[0]
  );
  assert_eq!(results[1]["is_error"], true);
  assert!(
    results[1]["text"].as_str().unwrap().contains("--read-only"),
    "{}",
    results[1]
  );
  assert_eq!(results[2]["is_error"], false, "{}", results[2]);
  // Hints name what the user runs, not a tool this server does not offer.
  let hint = results[3]["structured"]["hint"].as_str().unwrap();
  assert!(
    hint.contains("ask the user") && hint.contains("dev up -d api"),
    "{}",
    results[3]
  );
  assert!(!hint.contains("start_service"), "{}", results[3]);
  // Every port on the machine is no question to answer in one call.
  assert_eq!(results[4]["is_error"], true, "{}", results[4]);
  assert!(
    results[4]["text"]
      .as_str()
      .unwrap()
      .contains("at most 1024"),
    "{}",
    results[4]
  );
  assert!(
    !test.path().join(".dev/state/api.state.json").exists(),
    "read-only started api"
  );
}

/// The wire itself: every line on stdout is one JSON-RPC message (garbage in is answered
/// with a parse error, not echoed or fatal), the protocol revision is negotiated as the spec
/// says, and unknown methods are errors.
#[test]
fn every_stdout_line_is_a_json_rpc_message_and_versions_are_negotiated() {
  let (test, _, _) = agent_project();
  let mut child = test
    .command(&["mcp"])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  let mut stdin = child.stdin.take().unwrap();
  let lines = [
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    "this is not json",
    r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"no/such"}"#,
    r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_services","arguments":{}}}"#,
  ];
  for line in lines {
    writeln!(stdin, "{line}").unwrap();
  }
  let replies = lines_of(child.stdout.take().unwrap());
  let mut by_id = std::collections::HashMap::new();
  while by_id.len() < 6 {
    let line = replies
      .recv_timeout(Duration::from_secs(30))
      .expect("a reply within 30 s");
    let message: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(message["jsonrpc"], "2.0", "{line}");
    by_id.insert(message["id"].to_string(), message);
  }
  drop(stdin);
  assert_eq!(wait_child(&mut child, Duration::from_secs(20)), 0);
  assert_eq!(by_id["1"]["result"]["protocolVersion"], "2025-03-26");
  assert_eq!(by_id["null"]["error"]["code"], -32700);
  assert_eq!(by_id["2"]["result"]["protocolVersion"], "2025-11-25");
  assert_eq!(by_id["3"]["result"], json!({}));
  assert_eq!(by_id["4"]["error"]["code"], -32601);
  assert_eq!(by_id["5"]["result"]["isError"], false, "{}", by_id["5"]);
}

/// The client terminates the server while a task it asked for still runs: the task ends
/// with it, not left running with nobody to answer.
#[test]
fn a_task_still_running_ends_when_the_server_is_terminated() {
  a_task_ends_with_the_server(libc::SIGTERM, Some(130));
}

/// SIGKILL leaves the server no time to end anything: the task's `dev` learns of it from
/// the kernel (its parent died) and ends the task as a closed terminal would.
#[test]
fn a_task_still_running_ends_when_the_server_is_killed() {
  a_task_ends_with_the_server(libc::SIGKILL, None);
}

fn a_task_ends_with_the_server(how: i32, code: Option<i32>) {
  let (test, _, _) = agent_project();
  let mut child = test
    .command(&["mcp"])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  let mut stdin = child.stdin.take().unwrap();
  for line in [
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_task","arguments":{"task":"slow"}}}"#,
  ] {
    writeln!(stdin, "{line}").unwrap();
  }
  let sleeping = || {
    processes_with_env("DEV_TEST_ID", test.marker())
      .into_iter()
      .filter(|pid| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
          .is_ok_and(|line| line.starts_with(b"sleep\x0030"))
      })
      .count()
  };
  wait_until("the task runs", Duration::from_secs(20), || sleeping() == 1);
  signal(child.id(), how);
  let ended = wait_child(&mut child, Duration::from_secs(20));
  if let Some(code) = code {
    assert_eq!(ended, code);
  }
  wait_until("the task ended", Duration::from_secs(20), || {
    sleeping() == 0
  });
}

/// A service that does not watch its files is not restarted by a save: "did my change
/// work?" says no new run at once, rather than crediting the run from before the edit; a
/// restart the agent made itself counts when the call says since when.
#[test]
fn await_change_does_not_credit_a_run_from_before_the_save_of_a_service_that_does_not_watch() {
  let (test, _, _) = agent_project();
  let report = session(
    &test,
    false,
    &json!([
      call("start_service", json!({ "service": "web" })),
      call(
        "await_change",
        json!({ "service": "web", "timeout_seconds": 30 })
      ),
      call("restart_service", json!({ "service": "web" })),
      call(
        "await_change",
        json!({ "service": "web", "since_seconds": 60 })
      ),
    ]),
  );
  let results = &report["results"];
  let first = &results[1]["structured"];
  assert_eq!(first["outcome"], "no_new_run", "{}", results[1]);
  assert!(
    first["detail"].as_str().unwrap().contains("does not watch"),
    "{first}"
  );
  assert!(
    first["waited_ms"].as_u64().unwrap() < 20_000,
    "waited out the timeout: {first}"
  );
  assert_eq!(
    results[3]["structured"]["outcome"], "ready",
    "{}",
    results[3]
  );
  test.run(&["stop"]).success();
}

/// JSON-RPC batches (MCP 2025-03-26): one array of answers in the batch's order,
/// notifications unanswered; an empty batch is an invalid request.
#[test]
fn a_batch_is_answered_with_one_array_in_its_order() {
  let (test, _, _) = agent_project();
  let mut child = test
    .command(&["mcp"])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  let mut stdin = child.stdin.take().unwrap();
  for line in [
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}}"#,
    r#"[{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_services","arguments":{}}},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":3,"method":"ping"}]"#,
    "[]",
  ] {
    writeln!(stdin, "{line}").unwrap();
  }
  let replies = lines_of(child.stdout.take().unwrap());
  let next = || -> Value {
    let line = replies
      .recv_timeout(Duration::from_secs(30))
      .expect("an answer within 30 s");
    serde_json::from_str(&line).unwrap()
  };
  let (first, second, third) = (next(), next(), next());
  drop(stdin);
  assert_eq!(wait_child(&mut child, Duration::from_secs(20)), 0);
  let mut answers = vec![first, second, third];
  answers.sort_by_key(|answer| answer.is_array());
  let (initialized, empty, batch) = if answers[0]["id"] == 1 {
    (&answers[0], &answers[1], &answers[2])
  } else {
    (&answers[1], &answers[0], &answers[2])
  };
  assert_eq!(initialized["result"]["protocolVersion"], "2025-03-26");
  assert_eq!(empty["error"]["code"], -32600, "{empty}");
  let batch = batch
    .as_array()
    .unwrap_or_else(|| panic!("no batch answer: {answers:?}"));
  assert_eq!(batch.len(), 2, "{batch:?}");
  assert_eq!(batch[0]["id"], 2);
  assert_eq!(batch[0]["result"]["isError"], false, "{batch:?}");
  assert_eq!(batch[1]["id"], 3);
  assert_eq!(batch[1]["result"], json!({}));
}

/// The lines a server writes, as they come: a reply that never comes fails the test at its
/// timeout instead of hanging it.
fn lines_of(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
  let (sender, receiver) = std::sync::mpsc::channel();
  std::thread::spawn(move || {
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
      if sender.send(line).is_err() {
        break;
      }
    }
  });
  receiver
}

/// A task file broken while services run (a half-typed edit): `list_services` still lists
/// them from the state, and says why its rows are thin, as the CLI's warning does.
#[test]
fn list_services_says_when_the_task_file_cannot_be_read() {
  let (test, _, _) = agent_project();
  test.run(&["up", "-d", "web"]).success();
  let good = std::fs::read_to_string(test.path().join("devtasks.yaml")).unwrap();
  test.write("devtasks.yaml", &format!("{good}services: [\n"));
  let report = session(&test, true, &json!([call("list_services", json!({}))]));
  let listed = &report["results"][0];
  assert_eq!(listed["is_error"], false, "{listed}");
  let warnings = listed["structured"]["warnings"].to_string();
  assert!(
    warnings.contains("could not read the task file"),
    "{listed}"
  );
  test.write("devtasks.yaml", &good);
  test.run(&["stop"]).success();
}
