//! `tools/list` and `tools/call`: each tool runs the CLI command that does the same
//! (`dev status --json`, `dev logs`, `dev up -d`, `dev port free`…), so an agent gets exactly
//! what a person typing it would, rules included (a foreign port is not freed without force).
//! A tool that fails answers `isError` with the CLI's own message and hint; an unknown tool
//! is a JSON-RPC error.

use std::{collections::HashMap, time::Duration};

use serde_json::{Value, json};

use super::{
  Context, INVALID_PARAMS,
  args::{Args, Bad},
  catalog::{TOOLS, Tool, describe},
  child::{self, Ran},
};

/// Time for a command about services (a start waits for readiness: `health: {timeout}`).
const SERVICE_TIMEOUT: Duration = Duration::from_secs(300);
/// Time for a command that only looks.
const LOOK_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) fn list(read_only: bool) -> Vec<Value> {
  TOOLS
    .iter()
    .filter(|tool| !(read_only && tool.changes_state))
    .map(describe)
    .collect()
}

/// The result of `tools/call`, or a JSON-RPC error (without its id) for an unknown tool.
pub(super) fn call(context: &Context, params: &Value) -> Result<Value, Value> {
  let name = params["name"].as_str().unwrap_or_default();
  let Some(tool) = TOOLS.iter().find(|tool| tool.name == name) else {
    let names: Vec<&str> = TOOLS.iter().map(|tool| tool.name).collect();
    return Err(json!({ "jsonrpc": "2.0", "error": {
      "code": INVALID_PARAMS,
      "message": format!("unknown tool `{name}`; dev mcp has {}", names.join(", ")),
    }}));
  };
  if context.read_only && tool.changes_state {
    return Ok(refused(tool));
  }
  let arguments = &params["arguments"];
  Ok(match run(context, tool, arguments) {
    Ok(result) => result,
    Err(bad) => error_text(&format!("bad arguments for `{}`: {bad}", tool.name)),
  })
}

fn refused(tool: &Tool) -> Value {
  error_text(&format!(
    "`{}` changes what runs, and this server was started with `dev mcp --read-only`; \
     ask the user to run it, or to register `dev mcp` without --read-only",
    tool.name
  ))
}

fn run(context: &Context, tool: &Tool, arguments: &Value) -> Result<Value, Bad> {
  match tool.name {
    "list_services" => {
      let services = Args::new(arguments, &["services"])?.names("services")?;
      Ok(list_services(context, &services))
    }
    "read_logs" => read_logs(context, arguments),
    "probe_health" => {
      let services = Args::new(arguments, &["services"])?.names("services")?;
      Ok(probe_health(context, &services))
    }
    "start_service" | "stop_service" | "restart_service" | "force_service" => {
      let service = Args::new(arguments, &["service"])?.name("service")?;
      let verb = match tool.name {
        "start_service" => vec!["up", "-d"],
        "stop_service" => vec!["stop"],
        "restart_service" => vec!["restart", "-d"],
        _ => vec!["force", "-d"],
      };
      let mut words: Vec<String> = verb.into_iter().map(String::from).collect();
      words.push(service);
      Ok(outcome(
        &child::dev(context, &words, SERVICE_TIMEOUT),
        &words,
      ))
    }
    "run_task" => run_task(context, arguments),
    "port_who" => port_who(context, arguments),
    "free_port" => free_port(context, arguments),
    _ => super::change::await_change(context, arguments),
  }
}

fn list_services(context: &Context, services: &[String]) -> Value {
  let with = |verb: &[&str]| -> Vec<String> {
    let mut words: Vec<String> = verb.iter().map(|w| (*w).to_owned()).collect();
    words.extend(services.iter().cloned());
    words
  };
  let (status, health, env) = std::thread::scope(|scope| {
    let health = scope.spawn(|| child::dev(context, &with(&["health", "--json"]), LOOK_TIMEOUT));
    let env = scope.spawn(|| child::dev(context, &with(&["env", "--json"]), LOOK_TIMEOUT));
    let status = child::dev(context, &with(&["status", "--json"]), LOOK_TIMEOUT);
    (status, health.join().ok(), env.join().ok())
  });
  let Some(Value::Array(mut rows)) = parsed(&status) else {
    return failed(&status, &with(&["status", "--json"]));
  };
  let health: HashMap<String, Value> = health
    .as_ref()
    .and_then(parsed)
    .and_then(|rows| rows.as_array().cloned())
    .unwrap_or_default()
    .into_iter()
    .filter_map(|row| Some((row["service"].as_str()?.to_owned(), row)))
    .collect();
  let env = env.as_ref().and_then(parsed).unwrap_or(Value::Null);
  for row in &mut rows {
    let name = row["service"].as_str().unwrap_or_default().to_owned();
    row["url"] = env[&name]["url"].clone();
    row["health"] = health.get(&name).map_or(Value::Null, |probe| {
      json!({
        "healthy": probe["healthy"],
        "probe": probe["probe"],
        "target": probe["target"],
        "detail": probe["detail"],
        "latency_ms": probe["latency_ms"],
      })
    });
  }
  let mut result = json!({ "services": rows });
  // What the CLI warned of (a task file that cannot be read, so the rows come from the
  // state alone): an agent is told, not left with nulls.
  let warnings: Vec<&str> = status
    .stderr
    .lines()
    .filter_map(|line| line.strip_prefix("warning: "))
    .collect();
  if !warnings.is_empty() {
    result["warnings"] = json!(warnings);
  }
  structured(result, false)
}

fn read_logs(context: &Context, arguments: &Value) -> Result<Value, Bad> {
  let args = Args::new(arguments, &["services", "lines", "since", "grep"])?;
  let mut words = vec!["logs".to_owned()];
  words.extend(args.names("services")?);
  let lines = args.integer("lines", Some(100), 1..=10_000)?.unwrap_or(100);
  words.extend(["-n".into(), lines.to_string()]);
  if let Some(since) = args.duration("since")? {
    words.push(format!("--since={}ms", since.as_millis()));
  }
  if let Some(grep) = args.optional_string("grep")? {
    // `--grep=…`: a pattern that starts with `-` is still the pattern.
    words.push(format!("--grep={grep}"));
  }
  let ran = child::dev(context, &words, LOOK_TIMEOUT);
  if !ran.ok() {
    return Ok(failed(&ran, &words));
  }
  let mut text = ran.stdout.clone();
  if text.trim().is_empty() {
    text = "(no lines)".into();
  }
  if !ran.stderr.trim().is_empty() {
    text.push_str(&format!("\n{}", ran.stderr.trim_end()));
  }
  Ok(text_result(&text, false))
}

fn probe_health(context: &Context, services: &[String]) -> Value {
  let mut words = vec!["health".to_owned(), "--json".to_owned()];
  words.extend(services.iter().cloned());
  let ran = child::dev(context, &words, LOOK_TIMEOUT);
  // Exit 1 is the verdict "unhealthy", with the table as JSON: an answer, not a failure.
  match parsed(&ran) {
    Some(rows) if matches!(ran.code, Some(0 | 1)) => {
      let healthy = rows
        .as_array()
        .is_some_and(|rows| rows.iter().all(|row| row["healthy"] == true));
      structured(json!({ "all_healthy": healthy, "services": rows }), false)
    }
    _ => failed(&ran, &words),
  }
}

fn run_task(context: &Context, arguments: &Value) -> Result<Value, Bad> {
  let args = Args::new(arguments, &["task", "args", "timeout_seconds"])?;
  let mut words = vec!["run".to_owned(), args.name("task")?];
  words.extend(args.strings("args")?);
  let timeout = args
    .integer("timeout_seconds", Some(600), 1..=3600)?
    .unwrap_or(600);
  let ran = child::dev(context, &words, Duration::from_secs(timeout));
  let result = json!({
    "command": command_line(&words),
    "exit_code": ran.code,
    "timed_out": ran.timed_out,
    "took_ms": ran.took.as_millis() as u64,
    "output": ran.text(),
  });
  Ok(structured(result, !ran.ok()))
}

fn port_who(context: &Context, arguments: &Value) -> Result<Value, Bad> {
  let args = Args::new(arguments, &["ports"])?;
  let ports = match &arguments["ports"] {
    Value::Array(items) if !items.is_empty() => items
      .iter()
      .map(|item| match item {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(text) if !text.starts_with('-') => Ok(text.clone()),
        other => Err(format!(
          "`ports` must list numbers or ranges like \"8000-8010\", not {other}"
        )),
      })
      .collect::<Result<Vec<_>, _>>()?,
    Value::Null => return args.string("ports").map(|_| Value::Null),
    other => return Err(format!("`ports` must be a non-empty list, not {other}")),
  };
  let asked: usize = ports.iter().map(|item| ports_in(item)).sum();
  if asked > MOST_PORTS_ASKED {
    return Err(format!(
      "`ports` asks about {asked} ports; at most {MOST_PORTS_ASKED} in one call (a range like \
       \"8000-8100\" or a few of them)"
    ));
  }
  let mut words = vec!["port".to_owned(), "who".to_owned(), "--json".to_owned()];
  words.extend(ports);
  let ran = child::dev(context, &words, LOOK_TIMEOUT);
  Ok(match parsed(&ran) {
    Some(value) if ran.ok() => structured(json!({ "ports": value }), false),
    _ => failed(&ran, &words),
  })
}

/// What one `port_who` call may ask: an answer an agent can read, in the time a call has.
const MOST_PORTS_ASKED: usize = 1024;

/// How many ports "8000" or "8000-8010" names (what the CLI rejects counts as one: it says why).
fn ports_in(item: &str) -> usize {
  crate::ports::ranges::parse_ports(item).map_or(1, |ports| ports.0.len())
}

fn free_port(context: &Context, arguments: &Value) -> Result<Value, Bad> {
  let args = Args::new(arguments, &["port", "force"])?;
  let port = args
    .integer("port", None, 1..=65535)?
    .ok_or("`port` is required")?;
  let mut words = vec![
    "port".into(),
    "free".into(),
    port.to_string(),
    "--json".into(),
  ];
  if args.boolean("force")? {
    words.push("--yes".into());
  }
  let ran = child::dev(context, &words, SERVICE_TIMEOUT);
  Ok(match parsed(&ran) {
    Some(value) if ran.ok() => {
      structured(json!({ "freed": value, "notes": ran.stderr.trim() }), false)
    }
    // The CLI's hint names its flag; here the same consent is an argument.
    _ if ran.text().contains("--yes") => error_text(&format!(
      "{}\nIn this tool: call free_port with `force: true` to stop it anyway (check port_who \
       first: it may be someone else's).",
      failed(&ran, &words)["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
    )),
    _ => failed(&ran, &words),
  })
}

/// A state-changing command's result: what it said, and whether it worked.
fn outcome(ran: &Ran, words: &[String]) -> Value {
  if !ran.ok() {
    return failed(ran, words);
  }
  let result = json!({
    "command": command_line(words),
    "ok": true,
    "took_ms": ran.took.as_millis() as u64,
    "output": ran.text(),
  });
  structured(result, false)
}

/// The CLI command as a shell would take it back: each word quoted where it needs to be
/// (`dev run greet 'bob; touch x'`), so that pasting it runs the same thing.
fn command_line(words: &[String]) -> String {
  std::iter::once("dev".to_owned())
    .chain(
      words
        .iter()
        .map(|word| crate::ui::format::shell_quote(word)),
    )
    .collect::<Vec<_>>()
    .join(" ")
}

/// The CLI's own error (what, where, what to run), as an `isError` result.
pub(super) fn failed(ran: &Ran, words: &[String]) -> Value {
  let how = match (ran.timed_out, ran.code) {
    (true, _) => "did not finish in time and was stopped".to_owned(),
    (false, Some(code)) => format!("failed (exit {code})"),
    (false, None) => "did not run to its end".to_owned(),
  };
  error_text(&format!("`dev {}` {how}:\n{}", words.join(" "), ran.text()))
}

fn parsed(ran: &Ran) -> Option<Value> {
  serde_json::from_str(&ran.stdout).ok()
}

/// A JSON result: as text (every client shows it) and as `structuredContent`.
pub(super) fn structured(value: Value, is_error: bool) -> Value {
  let text = serde_json::to_string_pretty(&value).unwrap_or_default();
  json!({
    "content": [{ "type": "text", "text": text }],
    "structuredContent": value,
    "isError": is_error,
  })
}

pub(super) fn text_result(text: &str, is_error: bool) -> Value {
  json!({ "content": [{ "type": "text", "text": text }], "isError": is_error })
}

pub(super) fn error_text(text: &str) -> Value {
  text_result(text, true)
}
