//! The tools `dev mcp` offers: names, what each is for (the agent reads this to choose),
//! and the JSON Schema of its arguments.

use serde_json::{Value, json};

use super::outputs;

pub(super) struct Tool {
  pub(super) name: &'static str,
  pub(super) description: &'static str,
  /// Starts, stops, runs or kills something: not offered by `dev mcp --read-only`.
  pub(super) changes_state: bool,
  pub(super) schema: fn() -> Value,
  /// The shape of its `structuredContent`; `None` for a tool that answers in text.
  pub(super) output: Option<fn() -> Value>,
}

pub(super) const TOOLS: [Tool; 11] = [
  Tool {
    name: "list_services",
    description: "Every service of the project: state (running, exited, stopped), pid, ports, URL, \
      health, restarts, why the last run ended, uptime and log file. Start here.",
    changes_state: false,
    schema: services_schema,
    output: Some(outputs::services),
  },
  Tool {
    name: "read_logs",
    description: "Lines from services' logs (logs/<service>.log), merged in time order with a \
      `service │` prefix when several: the last `lines`, optionally only those from the last \
      `since` and matching the regular expression `grep`.",
    changes_state: false,
    schema: logs_schema,
    output: None,
  },
  Tool {
    name: "probe_health",
    description: "Probes running services' health checks once, now (HTTP, TCP, exec, log line, or \
      the port listening): healthy or not, status, latency, and why not.",
    changes_state: false,
    schema: services_schema,
    output: Some(outputs::health),
  },
  Tool {
    name: "start_service",
    description: "Starts a service in the background (and what it depends on), returning once it is \
      ready or failed: `dev up -d <service>`.",
    changes_state: true,
    schema: service_schema,
    output: Some(outputs::command),
  },
  Tool {
    name: "stop_service",
    description: "Stops a service with its whole process tree (its stop signal, the grace, then \
      SIGKILL): `dev stop <service>`.",
    changes_state: true,
    schema: service_schema,
    output: Some(outputs::command),
  },
  Tool {
    name: "restart_service",
    description: "Restarts a service in place with the task file as it is now, waiting until the new \
      run is ready or failed (starts it when it is not running): `dev restart -d <service>`.",
    changes_state: true,
    schema: service_schema,
    output: Some(outputs::command),
  },
  Tool {
    name: "force_service",
    description: "Hard restart: kills the service without a grace period and starts it again, also \
      freeing its ports from processes dev did not start: `dev force -d <service>`.",
    changes_state: true,
    schema: service_schema,
    output: Some(outputs::command),
  },
  Tool {
    name: "run_task",
    description: "Runs a task of devtasks.yaml (after its deps) and returns its output and exit code; \
      ended after `timeout_seconds`.",
    changes_state: true,
    schema: task_schema,
    output: Some(outputs::task),
  },
  Tool {
    name: "port_who",
    description: "Who listens on ports: pid, user, command, cwd, since when, and whether dev started \
      it (for which project and service).",
    changes_state: false,
    schema: ports_schema,
    output: Some(outputs::ports),
  },
  Tool {
    name: "free_port",
    description: "Stops what listens on a port (SIGTERM, the grace, SIGKILL). A process dev did not \
      start is refused unless `force` is true: check with port_who first.",
    changes_state: true,
    schema: free_schema,
    output: Some(outputs::freed),
  },
  Tool {
    name: "await_change",
    description: "Did my change work? After saving a file (a service with `watch:` restarts by \
      itself) or with `restart: true`, waits for the service's new run to be ready or to fail, \
      and returns the outcome (ready, failed, timeout, no_new_run, not_running), how long it \
      took, the first error lines of its log and its last lines.",
    changes_state: false,
    schema: change_schema,
    output: Some(outputs::change),
  },
];

fn object(properties: Value, required: &[&str]) -> Value {
  json!({
    "type": "object",
    "properties": properties,
    "required": required,
    "additionalProperties": false,
  })
}

fn services_property() -> Value {
  json!({
    "type": "array",
    "items": { "type": "string" },
    "description": "Service names; all services when absent or empty.",
  })
}

fn services_schema() -> Value {
  object(json!({ "services": services_property() }), &[])
}

fn service_schema() -> Value {
  object(
    json!({ "service": { "type": "string", "description": "The service's name in devtasks.yaml." } }),
    &["service"],
  )
}

fn logs_schema() -> Value {
  object(
    json!({
      "services": services_property(),
      "lines": { "type": "integer", "minimum": 1, "maximum": 10000, "default": 100,
        "description": "Lines from the end of each log." },
      "since": { "type": "string", "description": "Only lines from this long ago on: `10m`, `30s`, `2h`." },
      "grep": { "type": "string", "description": "Only lines matching this regular expression." },
    }),
    &[],
  )
}

fn task_schema() -> Value {
  object(
    json!({
      "task": { "type": "string", "description": "The task's name (or alias) in devtasks.yaml." },
      "args": { "type": "array", "items": { "type": "string" },
        "description": "The task's arguments, then `--` and extra words for its command." },
      "timeout_seconds": { "type": "integer", "minimum": 1, "maximum": 3600, "default": 600 },
    }),
    &["task"],
  )
}

fn ports_schema() -> Value {
  object(
    json!({ "ports": { "type": "array", "minItems": 1,
      "items": { "type": ["integer", "string"] },
      "description": "Ports or ranges: [8000, \"8001-8010\"]." } }),
    &["ports"],
  )
}

fn free_schema() -> Value {
  object(
    json!({
      "port": { "type": "integer", "minimum": 1, "maximum": 65535 },
      "force": { "type": "boolean", "default": false,
        "description": "Also stop a process dev did not start (the CLI's --yes)." },
    }),
    &["port"],
  )
}

fn change_schema() -> Value {
  object(
    json!({
      "service": { "type": "string", "description": "The service whose new run is awaited." },
      "restart": { "type": "boolean", "default": false,
        "description": "Restart it first (for a service that does not watch its files)." },
      "since_seconds": { "type": "number", "minimum": 0, "default": 10,
        "description": "A run that started this long before the call counts as the new one (the save may have restarted it already)." },
      "timeout_seconds": { "type": "integer", "minimum": 1, "maximum": 600, "default": 60 },
    }),
    &["service"],
  )
}

/// The `tools/list` entry of a tool.
pub(super) fn describe(tool: &Tool) -> Value {
  let mut described = json!({
    "name": tool.name,
    "description": tool.description,
    "inputSchema": (tool.schema)(),
    "annotations": {
      "readOnlyHint": !tool.changes_state,
      "destructiveHint": tool.changes_state && tool.name != "start_service" && tool.name != "run_task",
      "openWorldHint": false,
    },
  });
  if let Some(output) = tool.output {
    described["outputSchema"] = output();
  }
  described
}
