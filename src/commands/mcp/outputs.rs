//! The JSON Schema of each tool's `structuredContent` (MCP's `outputSchema`), so that a
//! client knows the shape before it calls and can check what it gets (the Python client
//! validates every result that is not an error against it). Loose where the CLI's JSON may
//! grow, exact where an agent branches on a value (`outcome`, `ok`, `healthy`).

use serde_json::{Value, json};

/// An object with these properties, these of them required; others may come.
fn object(properties: Value, required: &[&str]) -> Value {
  json!({ "type": "object", "properties": properties, "required": required })
}

fn rows_of(row: Value) -> Value {
  json!({ "type": "array", "items": row })
}

pub(super) fn services() -> Value {
  object(
    json!({ "services": rows_of(object(
      json!({
        "service": { "type": "string" },
        "state": { "type": "string", "description": "running, exited, stopped, …" },
        "pid": { "type": ["integer", "null"] },
        "port": { "type": ["integer", "null"] },
        "url": { "type": ["string", "null"] },
        "health": { "type": ["object", "null"] },
      }),
      &["service", "state"],
    )),
    "warnings": { "type": "array", "items": { "type": "string" },
      "description": "what dev warned of, e.g. a task file it could not read" } }),
    &["services"],
  )
}

pub(super) fn health() -> Value {
  object(
    json!({
      "all_healthy": { "type": "boolean" },
      "services": rows_of(object(
        json!({ "service": { "type": "string" }, "healthy": { "type": "boolean" } }),
        &["service", "healthy"],
      )),
    }),
    &["all_healthy", "services"],
  )
}

/// start, stop, restart and force: the CLI command that ran and what it said.
pub(super) fn command() -> Value {
  object(
    json!({
      "command": { "type": "string" },
      "ok": { "type": "boolean" },
      "took_ms": { "type": "integer", "minimum": 0 },
      "output": { "type": "string" },
    }),
    &["command", "ok", "took_ms", "output"],
  )
}

pub(super) fn task() -> Value {
  object(
    json!({
      "command": { "type": "string" },
      "exit_code": { "type": ["integer", "null"], "description": "null when it was ended" },
      "timed_out": { "type": "boolean" },
      "took_ms": { "type": "integer", "minimum": 0 },
      "output": { "type": "string" },
    }),
    &["command", "exit_code", "timed_out", "took_ms", "output"],
  )
}

pub(super) fn ports() -> Value {
  object(
    json!({ "ports": { "type": "array", "description": "`dev port who --json`: per port, its holders" } }),
    &["ports"],
  )
}

pub(super) fn freed() -> Value {
  object(
    json!({
      "freed": { "type": "object", "description": "`dev port free --json`: what was stopped" },
      "notes": { "type": "string" },
    }),
    &["freed", "notes"],
  )
}

pub(super) fn change() -> Value {
  object(
    json!({
      "service": { "type": "string" },
      "outcome": { "enum": ["ready", "failed", "timeout", "no_new_run", "not_running"] },
      "took_ms": { "type": ["integer", "null"],
        "description": "from the new run's start until now; null without a new run" },
      "waited_ms": { "type": "integer", "minimum": 0, "description": "how long the call waited" },
      "detail": { "type": "string" },
      "error_lines": { "type": "array", "items": { "type": "string" } },
      "last_lines": { "type": "array", "items": { "type": "string" } },
      "run": { "type": "object" },
      "hint": { "type": "string" },
    }),
    &[
      "service",
      "outcome",
      "took_ms",
      "waited_ms",
      "detail",
      "error_lines",
      "last_lines",
    ],
  )
}
