//! `process-compose.yaml`: `processes:` with their commands, working directories,
//! environments, dependencies, probes (`http_get`, `exec`, `ready_log_line`), restart policy,
//! shutdown and `disabled:`.

use super::{
  command_port::{literal_port, with_port_variable},
  draft::{Imported, Probe, ServiceDraft, dev_name, summary},
  tree::Node,
};

const READ: [&str; 12] = [
  "command",
  "working_dir",
  "environment",
  "depends_on",
  "readiness_probe",
  "liveness_probe",
  "availability",
  "disabled",
  "namespace",
  "ready_log_line",
  "shutdown",
  "description",
];

pub(super) fn import(root: &Node, into: &mut Imported) {
  let global: Vec<(String, String)> = pairs(root.get("environment"));
  for (key, value) in root.entries() {
    if !matches!(key.as_str(), "processes" | "environment" | "version") {
      into.notes.push(format!(
        "not carried over: top-level `{key}: {}`",
        summary(value)
      ));
    }
  }
  for (name, node) in root.get("processes").map(Node::entries).unwrap_or_default() {
    let mut service = process(name, node);
    // The file's environment first, the process's own winning.
    let mut env = global.clone();
    env.retain(|(key, _)| !service.env.iter().any(|(own, _)| own == key));
    env.append(&mut service.env);
    service.env = env;
    into.services.push(service);
  }
}

/// `environment: ["KEY=value"]` (a map is read too).
fn pairs(node: Option<&Node>) -> Vec<(String, String)> {
  match node {
    Some(Node::Map(entries)) => entries
      .iter()
      .map(|(key, value)| (key.clone(), value.text().unwrap_or("").to_owned()))
      .collect(),
    Some(Node::List(items)) => items
      .iter()
      .filter_map(Node::text)
      .filter_map(|line| line.split_once('='))
      .map(|(key, value)| (key.to_owned(), value.to_owned()))
      .collect(),
    _ => Vec::new(),
  }
}

fn process(name: &str, node: &Node) -> ServiceDraft {
  let mut service = ServiceDraft {
    name: dev_name(name),
    description: node.str("description").map(str::to_owned),
    cwd: node.str("working_dir").map(str::to_owned),
    run: node.str("command").unwrap_or("").to_owned(),
    env: pairs(node.get("environment")),
    ..ServiceDraft::default()
  };
  if service.name != name {
    service.notes.push(format!("`{name}` in process-compose"));
  }
  for (dependency, options) in node
    .get("depends_on")
    .map(Node::entries)
    .unwrap_or_default()
  {
    let condition = match options.str("condition") {
      Some("process_healthy" | "process_log_ready") => "healthy",
      Some("process_completed_successfully") => "completed_successfully",
      Some("process_completed") => {
        service.notes.push(format!(
          "depends_on `{dependency}`: process_completed (any exit) is completed_successfully here"
        ));
        "completed_successfully"
      }
      _ => "started",
    };
    service.depends_on.push((dev_name(dependency), condition));
  }
  probes(node, &mut service);
  lifecycle(node, &mut service);
  service.note_unread(node, &READ);
  service
}

/// `readiness_probe` → `health`, `liveness_probe` → `liveness`, `ready_log_line` → a log
/// probe. An `http_get` port is the service's port; without one, a port the command names.
fn probes(node: &Node, service: &mut ServiceDraft) {
  let http_port = ["readiness_probe", "liveness_probe"]
    .iter()
    .find_map(|key| node.get(key)?.get("http_get")?.str("port")?.parse().ok());
  let port = http_port.or_else(|| literal_port(&service.run));
  if let Some(port) = port {
    service.port = Some(port);
    if let Some(run) = with_port_variable(&service.run, port) {
      service.run = run;
      service.port_note = Some(format!("the command's {port} is now $PORT"));
    } else if http_port.is_none() {
      service.port_note = Some("read from the command".into());
    }
  }
  if let Some(probe) = node.get("readiness_probe") {
    service.health = probe_of(probe, service);
  }
  if let Some(line) = node.str("ready_log_line") {
    service.health = Some(Probe {
      kind: "log",
      target: regex_escape(line),
      ..Probe::default()
    });
  }
  if let Some(probe) = node.get("liveness_probe") {
    service.liveness = probe_of(probe, service);
  }
}

fn probe_of(probe: &Node, service: &mut ServiceDraft) -> Option<Probe> {
  let seconds = |key: &str| probe.str(key).map(|n| format!("{n}s"));
  let (kind, target) = if let Some(http) = probe.get("http_get") {
    let host = http
      .str("host")
      .unwrap_or("127.0.0.1")
      .replace("localhost", "127.0.0.1");
    let scheme = http.str("scheme").unwrap_or("http").to_ascii_lowercase();
    let path = http.str("path").unwrap_or("/");
    ("http", format!("{scheme}://{host}:$PORT{path}"))
  } else {
    ("exec", probe.get("exec")?.str("command")?.to_owned())
  };
  for key in ["initial_delay_seconds", "success_threshold"] {
    if let Some(value) = probe.str(key) {
      service
        .notes
        .push(format!("not carried over: probe `{key}: {value}`"));
    }
  }
  Some(Probe {
    kind,
    target,
    interval: seconds("period_seconds"),
    timeout: seconds("timeout_seconds"),
    retries: probe.str("failure_threshold").map(str::to_owned),
  })
}

/// A log line to wait for, as the regex dev's `health: {log:}` takes.
fn regex_escape(text: &str) -> String {
  let mut out = String::new();
  for c in text.chars() {
    if "\\.+*?()|[]{}^$".contains(c) {
      out.push('\\');
    }
    out.push(c);
  }
  out
}

/// `availability:`, `shutdown:`, `disabled:`, `namespace:`.
fn lifecycle(node: &Node, service: &mut ServiceDraft) {
  if let Some(availability) = node.get("availability") {
    match availability.str("restart") {
      Some("always") => service.restart = Some("always"),
      Some("on_failure") => service.restart = Some("on-failure"),
      Some("exit_on_failure") => service.notes.push(
        "not carried over: restart: exit_on_failure (dev keeps the others running; \
         `dev up` without -d ends when a service fails to start)"
          .into(),
      ),
      _ => {}
    }
    service.max_restarts = availability.str("max_restarts").map(str::to_owned);
    service.restart_delay = availability.str("backoff_seconds").map(|n| format!("{n}s"));
  }
  if let Some(shutdown) = node.get("shutdown") {
    service.stop_signal = shutdown.str("signal").map(str::to_owned);
    service.stop_grace = shutdown.str("timeout_seconds").map(|n| format!("{n}s"));
    if let Some(command) = shutdown.str("command") {
      service.notes.push(format!(
        "not carried over: shutdown command `{command}` (dev stops with a signal)"
      ));
    }
  }
  if node.is_true("disabled") {
    service.profiles.push("disabled".into());
    service.notes.push(
      "disabled: a bare `dev up` leaves it; `dev up <name>` or `--profile disabled` starts it"
        .replace("<name>", &service.name),
    );
  }
  if let Some(namespace) = node.str("namespace") {
    service.notes.push(format!(
      "not carried over: namespace `{namespace}` (dev has profiles, which a bare `dev up` skips)"
    ));
  }
}
