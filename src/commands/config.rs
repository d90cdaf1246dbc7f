//! `dev config [svc…] [--explain] [--json]`: each service as it would start now (or runs),
//! like `docker compose config`: ports after overrides and fallback (a running service's
//! from its state), `run:` with `${svc.port}` filled, the whole environment dev gives it
//! (env files read, `env:` expanded), probes resolved, and the defaults of what the file
//! leaves out. `--explain` says where each value came from. The spec is the one `dev up`
//! hands the keeper (`plan::keeper_spec`), so what is shown is what would run.

use std::{collections::BTreeMap, time::Duration};

use serde_json::{Value, json};

use crate::{
  config::{DEFAULT_GRACE, Health, PRIMARY_PORT, Probe, RestartPolicy, Service, shout},
  error::Result,
  plan::{self, PortOverrides},
  project::Project,
  state::Liveness,
  ui::{format::elapsed, output::print_out},
};

/// `dev config --help`'s examples.
pub(crate) const EXAMPLES: &str = "Examples:\n  dev config                 every service, resolved\n  dev config backend --explain   where each value came from (file, default, env file, state)\n  dev config --json          the same for scripts";

/// `dev config`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
  pub(crate) services: Vec<String>,
  /// Say where each value came from: devtasks.yaml, a default, an env file, the
  /// environment, or the running service's state
  #[arg(long)]
  explain: bool,
  /// Print JSON for scripts
  #[arg(long)]
  json: bool,
}

/// One value and where it came from.
struct Entry {
  key: String,
  value: Value,
  from: String,
}

fn entry(key: &str, value: impl Into<Value>, from: impl Into<String>) -> Entry {
  Entry {
    key: key.to_owned(),
    value: value.into(),
    from: from.into(),
  }
}

pub(crate) fn config(project: &Project, options: &Options) -> Result<()> {
  let (names, explain, json) = (&options.services, options.explain, options.json);
  let ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  let mut services = Vec::new();
  for service in &project.config.services {
    if names.is_empty() || names.contains(&service.name) {
      services.push((service.name.clone(), describe(project, service, &ports)?));
    }
  }
  if json {
    let value: serde_json::Map<String, Value> = services
      .into_iter()
      .map(|(name, entries)| (name, as_json(&entries, explain)))
      .collect();
    let text = serde_json::to_string_pretty(&json!({
      "file": project.config.path.display().to_string(),
      "services": value,
    }))
    .unwrap_or_default();
    return print_out(&format!("{text}\n"));
  }
  let mut out = format!("# {}, resolved\nservices:\n", project.config.path.display());
  for (name, entries) in &services {
    out.push_str(&format!("  {name}:\n"));
    for entry in entries {
      render(&mut out, entry, explain, 4);
    }
  }
  print_out(&out)
}

fn ms(duration: Duration) -> u64 {
  duration.as_millis() as u64
}

/// A service's values in the order of the task file's documentation.
fn describe(project: &Project, service: &Service, ports: &plan::PortMap) -> Result<Vec<Entry>> {
  let spec = plan::keeper_spec(&project.config, service, ports, None)?;
  let file = "devtasks.yaml";
  let mut entries = Vec::new();
  if let Some(description) = &service.description {
    entries.push(entry("description", description.as_str(), file));
  }
  let run_from = if spec.command == service.run {
    file.to_owned()
  } else {
    format!("{file}, with ${{…port}} filled")
  };
  entries.push(entry("run", spec.command.as_str(), run_from));
  let shell_from = match &service.shell.named_at {
    Some(at) => format!("{file}:{}", at.line),
    None => "default on this OS".to_owned(),
  };
  entries.push(entry("shell", spec.shell.name(), shell_from));
  entries.push(entry("cwd", spec.cwd.display().to_string(), file));
  entries.push(port_entries(project, service, &spec.ports));
  entries.push(env_entries(project, service, &spec.env)?);
  if !service.depends_on.is_empty() {
    let depends: serde_json::Map<String, Value> = service
      .depends_on
      .iter()
      .map(|d| (d.service.clone(), d.condition.name().into()))
      .collect();
    entries.push(entry("depends_on", depends, file));
  }
  if !service.profiles.is_empty() {
    entries.push(entry("profiles", service.profiles.clone(), file));
  }
  if let Some(health) = &spec.readiness {
    entries.push(probe_entry("health", health));
  }
  if let Some(liveness) = &spec.liveness {
    entries.push(probe_entry("liveness", liveness));
  }
  let stop_default =
    service.grace == DEFAULT_GRACE && service.stop_signal == crate::sys::Signal::Term;
  entries.push(entry(
    "stop",
    json!({ "signal": spec.stop_signal, "grace_ms": ms(service.grace) }),
    if stop_default { "default" } else { file },
  ));
  let restart = service.restart;
  entries.push(entry(
    "restart",
    json!({ "when": restart_name(restart), "max": restart.max, "delay_ms": restart.delay_ms }),
    if restart == RestartPolicy::default() {
      "default"
    } else {
      file
    },
  ));
  if let Some(watch) = &service.watch {
    entries.push(entry(
      "watch",
      json!({ "paths": watch.paths, "globs": watch.globs, "debounce_ms": ms(watch.debounce) }),
      file,
    ));
  }
  entries.push(entry(
    "log",
    spec.log.display().to_string(),
    "log_dir (default logs/)",
  ));
  Ok(entries)
}

fn restart_name(policy: RestartPolicy) -> &'static str {
  match policy.when {
    crate::config::Restart::No => "no",
    crate::config::Restart::OnFailure => "on-failure",
    crate::config::Restart::Always => "always",
  }
}

/// Every port: the one it runs on (from its state), an override, or the configured one.
fn port_entries(project: &Project, service: &Service, given: &[(String, u16)]) -> Entry {
  let running = matches!(project.look(&service.name), Some(Liveness::Running(_)));
  let nested: Vec<Entry> = given
    .iter()
    .map(|(name, port)| {
      let spec = service.ports.iter().find(|spec| spec.name == *name);
      let configured = spec.map(|spec| spec.preferred);
      let variable = if name == PRIMARY_PORT {
        format!("DEV_{}_PORT", shout(&service.name))
      } else {
        format!("DEV_{}_{}_PORT", shout(&service.name), shout(name))
      };
      let from = match (running, configured) {
        (true, Some(configured)) if configured != *port => {
          format!("running: given at start (configured {configured}; fallback or override)")
        }
        (true, _) => "running: given at start, as configured".to_owned(),
        (false, _) if std::env::var_os(&variable).is_some() => {
          format!("{variable} in the environment")
        }
        (false, _) => "devtasks.yaml (where it would start, if free)".to_owned(),
      };
      entry(name, *port, from)
    })
    .collect();
  nest("ports", nested, "")
}

/// The variables dev gives the service, each with its origin; later ones win, as at start.
fn env_entries(project: &Project, service: &Service, env: &[(String, String)]) -> Result<Entry> {
  let shared: Vec<String> = project
    .config
    .shared_env()?
    .into_iter()
    .map(|(k, _)| k)
    .collect();
  let own: Vec<String> = service
    .env_file
    .load()?
    .into_iter()
    .map(|(k, _)| k)
    .collect();
  let mut values: BTreeMap<&str, (&str, String)> = BTreeMap::new();
  for (name, value) in env {
    let from = if service.env.iter().any(|(key, _)| key == name) {
      "env: in devtasks.yaml".to_owned()
    } else if own.contains(name) {
      "the service's env_file".to_owned()
    } else if shared.contains(name) {
      "the top-level env_file".to_owned()
    } else {
      "dev: the service's ports and project".to_owned()
    };
    values.insert(name, (value, from));
  }
  let nested = values
    .into_iter()
    .map(|(name, (value, from))| entry(name, value, from))
    .collect();
  Ok(nest("env", nested, ""))
}

fn probe_entry(key: &str, health: &Health) -> Entry {
  let (kind, target) = match &health.probe {
    Probe::Http { url, .. } => ("http", Value::from(url.as_str())),
    Probe::Tcp { address } => ("tcp", Value::from(address.as_str())),
    Probe::Exec { command } => ("exec", Value::from(command.as_str())),
    Probe::Log { pattern } => ("log", Value::from(pattern.as_str())),
    Probe::Listening => ("port", Value::Null),
  };
  let from = if matches!(health.probe, Probe::Listening) {
    "default: its port listening, by its own processes"
  } else {
    "devtasks.yaml, $PORT filled"
  };
  entry(
    key,
    json!({
      "probe": kind,
      "target": target,
      "interval_ms": ms(health.interval),
      "timeout_ms": ms(health.timeout),
      "start_timeout_ms": ms(health.start_timeout),
      "retries": health.retries,
    }),
    from,
  )
}

/// A mapping of entries (its values carry their own origins).
fn nest(key: &str, nested: Vec<Entry>, from: &str) -> Entry {
  let value = Value::Array(
    nested
      .into_iter()
      .map(|e| json!({ "key": e.key, "value": e.value, "from": e.from }))
      .collect(),
  );
  Entry {
    key: key.to_owned(),
    value: json!({ "__entries": value }),
    from: from.to_owned(),
  }
}

fn nested(value: &Value) -> Option<&Vec<Value>> {
  value.get("__entries").and_then(Value::as_array)
}

fn as_json(entries: &[Entry], explain: bool) -> Value {
  let map: serde_json::Map<String, Value> = entries
    .iter()
    .map(|e| (e.key.clone(), one_json(&e.value, &e.from, explain)))
    .collect();
  Value::Object(map)
}

fn one_json(value: &Value, from: &str, explain: bool) -> Value {
  let plain = match nested(value) {
    Some(items) => Value::Object(
      items
        .iter()
        .map(|item| {
          let key = item["key"].as_str().unwrap_or_default().to_owned();
          let from = item["from"].as_str().unwrap_or_default();
          (key, one_json(&item["value"], from, explain))
        })
        .collect(),
    ),
    None => value.clone(),
  };
  if explain && nested(value).is_none() {
    json!({ "value": plain, "from": from })
  } else {
    plain
  }
}

/// `key: value  # from`, YAML-shaped: a mapping indents its entries.
fn render(out: &mut String, entry: &Entry, explain: bool, indent: usize) {
  let pad = " ".repeat(indent);
  if let Some(items) = nested(&entry.value) {
    out.push_str(&format!("{pad}{}:\n", entry.key));
    for item in items {
      let child = Entry {
        key: item["key"].as_str().unwrap_or_default().to_owned(),
        value: item["value"].clone(),
        from: item["from"].as_str().unwrap_or_default().to_owned(),
      };
      render(out, &child, explain, indent + 2);
    }
    return;
  }
  let line = format!("{pad}{}: {}", entry.key, scalar(&entry.value));
  if explain && !entry.from.is_empty() {
    out.push_str(&format!("{line:<60}  # {}\n", entry.from));
  } else {
    out.push_str(&format!("{line}\n"));
  }
}

/// A YAML flow value: strings quoted only when YAML would misread them.
fn scalar(value: &Value) -> String {
  match value {
    Value::String(text) if is_plain(text) => text.clone(),
    Value::String(text) => crate::ui::format::yaml_quote(text),
    Value::Object(map) => {
      let parts: Vec<String> = map
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match (k.strip_suffix("_ms"), v.as_u64()) {
          // Durations are milliseconds in JSON, and read as `3.0s` here.
          (Some(name), Some(ms)) => format!("{name}: {}", elapsed(Duration::from_millis(ms))),
          _ => format!("{k}: {}", scalar(v)),
        })
        .collect();
      format!("{{{}}}", parts.join(", "))
    }
    Value::Array(items) => format!(
      "[{}]",
      items.iter().map(scalar).collect::<Vec<_>>().join(", ")
    ),
    other => other.to_string(),
  }
}

/// A string YAML reads back as the same string without quotes: no `: ` or ` #`, no
/// indicator first, not a number, boolean or null.
fn is_plain(text: &str) -> bool {
  let first_ok = text
    .chars()
    .next()
    .is_some_and(|c| c.is_ascii_alphanumeric() || "/._~$".contains(c));
  let reserved = ["true", "false", "yes", "no", "on", "off", "null", "~"]
    .contains(&text.to_ascii_lowercase().as_str());
  first_ok
    && !reserved
    && text.parse::<f64>().is_err()
    && !text.contains(": ")
    && !text.contains(" #")
    && !text.ends_with(':')
    && !text.ends_with(' ')
    && !text.contains(['{', '}', '[', ']', ',', '"', '\'', '\n', '\t'])
}
