//! `dev mcp [--read-only]`: a Model Context Protocol server on stdin/stdout, for coding
//! agents and editors. JSON-RPC 2.0, one message a line (the stdio transport). The tools
//! (`tools.rs`) run the very CLI commands as child processes with their output captured
//! (`child.rs`), and "did my change work?" (`change.rs`) reads the keepers' state and probes
//! as `dev wait` does. stdout is the transport: descriptor 1 is pointed at stderr for the
//! whole session, so that nothing printed anywhere in `dev` can corrupt the stream.

/// `dev mcp --help`: how to register it, and its tools.
pub(crate) const EXAMPLES: &str = "\
Examples:
  claude mcp add dev -- dev mcp                 register with Claude Code (in the project)
  claude mcp add dev-ro -- dev mcp --read-only  an agent that may only look
  dev -f ~/app/devtasks.yaml mcp                serve another project's services

Tools: list_services, read_logs, probe_health, start_service, stop_service, restart_service,
force_service, run_task, port_who, free_port, await_change (did my change work?).";

mod args;
mod catalog;
mod change;
mod child;
mod outputs;
mod tools;

pub(crate) use child::Running;

use std::{
  io::{BufRead, Write},
  path::PathBuf,
  sync::{Arc, Mutex},
  thread,
};

use serde_json::{Value, json};

use crate::{
  error::{Error, Result},
  project::Project,
  sys::Signal,
};

/// The revisions of the initialize handshake this server speaks, newest first. A client
/// asking for another is answered with the newest, and decides (the spec's negotiation).
const VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// JSON-RPC's error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// What a tool needs from the session that started the server.
pub(crate) struct Context {
  /// `dev -f FILE mcp`: the task file every child `dev` is given.
  pub(crate) file: Option<PathBuf>,
  /// State-changing tools are neither listed nor run.
  pub(crate) read_only: bool,
  /// Loads the project afresh (the task file may change between two calls).
  pub(crate) load: Box<dyn Fn() -> Result<Project> + Send + Sync>,
  /// Process groups of the child `dev`s still running: ended when the client goes away.
  pub(crate) children: Running,
}

/// Serves until the client closes stdin.
pub(crate) fn mcp(context: Context) -> Result<()> {
  let transport =
    crate::sys::take_stdout().map_err(Error::io("cannot set stdout aside for the protocol"))?;
  let out = Arc::new(Mutex::new(transport));
  let context = Arc::new(context);
  let input = read_input();
  let mut calls = Vec::new();
  let mut interrupted = false;
  for message in input {
    let line = match message {
      Input::Line(line) => line,
      Input::End => break,
      Input::Signal => {
        interrupted = true;
        break;
      }
    };
    if line.trim().is_empty() {
      continue;
    }
    let message: Value = match serde_json::from_str(&line) {
      Ok(message) => message,
      Err(error) => {
        send(
          &out,
          &failure(Value::Null, PARSE_ERROR, &format!("not JSON: {error}")),
        );
        continue;
      }
    };
    // A batch (JSON-RPC 2.0; MCP 2025-03-26 allows them): one array of answers, once
    // every call in it is done, in a thread of its own like a call.
    if let Value::Array(batch) = message {
      let (out, context) = (Arc::clone(&out), Arc::clone(&context));
      calls.push(thread::spawn(move || {
        if let Some(replies) = answer_batch(&context, &batch) {
          send(&out, &replies);
        }
      }));
      calls.retain(|call| !call.is_finished());
      continue;
    }
    // A call may take minutes (a task, a wait): in a thread of its own, so that pings and
    // other calls are answered meanwhile.
    if message["method"] == "tools/call" && message.get("id").is_some() {
      let (out, context) = (Arc::clone(&out), Arc::clone(&context));
      calls.push(thread::spawn(move || {
        let reply = tools::call(&context, &message["params"]);
        send(&out, &reply_to(&message, reply));
      }));
      calls.retain(|call| !call.is_finished());
      continue;
    }
    if let Some(reply) = answer(&context, &message) {
      send(&out, &reply);
    }
  }
  if interrupted {
    // Killed by the client (or Ctrl+C): what runs for it ends with it.
    context.children.end_all();
    return Err(Error::Interrupted);
  }
  // The client closed its side: what still runs for it is ended, and the answers written
  // while the client may still read them (it waits a moment for the server to exit).
  context.children.end_all();
  let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
  while calls.iter().any(|call| !call.is_finished()) && std::time::Instant::now() < deadline {
    thread::sleep(std::time::Duration::from_millis(20));
  }
  Ok(())
}

/// What the main loop reads: a line from the client, or a signal to stop.
enum Input {
  Line(String),
  /// stdin closed: the client is done.
  End,
  Signal,
}

/// Lines of stdin, and TERM, INT or HUP, on one channel (the loop ends when stdin does).
fn read_input() -> std::sync::mpsc::Receiver<Input> {
  let (sender, receiver) = std::sync::mpsc::channel();
  if let Ok(signals) = crate::sys::listen_for_signals(&[Signal::Term, Signal::Int, Signal::Hup]) {
    let sender = sender.clone();
    thread::spawn(move || {
      if signals.recv().is_ok() {
        let _ = sender.send(Input::Signal);
      }
    });
  }
  thread::spawn(move || {
    for line in std::io::stdin().lock().lines() {
      let Ok(line) = line else { break };
      if sender.send(Input::Line(line)).is_err() {
        break;
      }
    }
    // Said, not left to the channel closing: the signal thread holds a sender too.
    let _ = sender.send(Input::End);
  });
  receiver
}

/// The answers to a batch, side by side, in its order; `None` when it held only
/// notifications (nothing is sent then).
fn answer_batch(context: &Context, batch: &[Value]) -> Option<Value> {
  if batch.is_empty() {
    return Some(failure(Value::Null, INVALID_REQUEST, "an empty batch"));
  }
  let replies: Vec<Value> = thread::scope(|scope| {
    let answers: Vec<_> = batch
      .iter()
      .map(|message| {
        scope.spawn(move || match message {
          Value::Object(_) if message["method"] == "tools/call" && message.get("id").is_some() => {
            Some(reply_to(message, tools::call(context, &message["params"])))
          }
          Value::Object(_) => answer(context, message),
          _ => Some(failure(
            Value::Null,
            INVALID_REQUEST,
            "not a JSON-RPC 2.0 request",
          )),
        })
      })
      .collect();
    answers
      .into_iter()
      .filter_map(|answer| answer.join().ok().flatten())
      .collect()
  });
  (!replies.is_empty()).then_some(Value::Array(replies))
}

/// The reply to one message that is not a tool call; `None` for a notification.
fn answer(context: &Context, message: &Value) -> Option<Value> {
  let method = message["method"].as_str();
  let Some(id) = message.get("id").cloned() else {
    // Notifications (`initialized`, `cancelled`) need no answer; a message with neither an
    // id nor a method is a response to nothing we asked.
    return None;
  };
  if message["jsonrpc"] != "2.0" || method.is_none() {
    return Some(failure(id, INVALID_REQUEST, "not a JSON-RPC 2.0 request"));
  }
  let result = match method.unwrap_or_default() {
    "initialize" => Ok(initialize(context, &message["params"])),
    "ping" => Ok(json!({})),
    "tools/list" => Ok(json!({ "tools": tools::list(context.read_only) })),
    // Nothing else is offered (see `capabilities`): empty lists for clients that ask anyway.
    "resources/list" => Ok(json!({ "resources": [] })),
    "prompts/list" => Ok(json!({ "prompts": [] })),
    other => Err(failure(
      id.clone(),
      METHOD_NOT_FOUND,
      &format!("dev mcp has no method `{other}` (it offers tools: tools/list, tools/call)"),
    )),
  };
  Some(match result {
    Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
    Err(error) => error,
  })
}

/// The handshake: the client's revision when we speak it, else our newest.
fn initialize(context: &Context, params: &Value) -> Value {
  let asked = params["protocolVersion"].as_str().unwrap_or_default();
  let version = VERSIONS
    .iter()
    .find(|version| **version == asked)
    .unwrap_or(&VERSIONS[0]);
  let mut instructions = String::from(
    "dev runs this project's dev servers (devtasks.yaml). Start with list_services. After \
     editing code, call await_change with the service (restart: true when it does not watch \
     its files) to learn whether the new run came up or failed, with its first error lines.",
  );
  if context.read_only {
    instructions.push_str(" This server is read-only: it cannot start, stop or run anything.");
  }
  json!({
    "protocolVersion": version,
    "capabilities": { "tools": { "listChanged": false } },
    "serverInfo": { "name": "dev", "title": "dev: one-command dev servers", "version": env!("CARGO_PKG_VERSION") },
    "instructions": instructions,
  })
}

fn reply_to(message: &Value, result: std::result::Result<Value, Value>) -> Value {
  match result {
    Ok(result) => json!({ "jsonrpc": "2.0", "id": message["id"], "result": result }),
    Err(error) => {
      let mut error = error;
      error["id"] = message["id"].clone();
      error
    }
  }
}

/// A JSON-RPC error response.
fn failure(id: Value, code: i64, message: &str) -> Value {
  json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// One message, one line, whole: the lock keeps two threads' replies from interleaving.
fn send(out: &Mutex<std::fs::File>, message: &Value) {
  let mut line = message.to_string();
  line.push('\n');
  let mut out = out
    .lock()
    .unwrap_or_else(std::sync::PoisonError::into_inner);
  let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}
