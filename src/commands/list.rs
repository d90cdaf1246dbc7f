//! `dev list [--json]`: services, then tasks by group, aligned, with descriptions, arguments
//! and aliases. Private tasks are left out of the table; `--json` dumps the resolved file.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{
  config::{
    BUILTIN_COMMANDS, EnvFiles, Fallback, Health, LogSettings, Probe, Restart, Service, Task,
    TaskArg,
  },
  error::Result,
  project::Project,
  ui::color::Color,
};

/// `dev list --json`: the task file as dev resolved it. Paths are absolute; maps are JSON
/// objects; durations are milliseconds. The shape is `schemas/list.json`.
#[derive(Serialize)]
struct Listing<'a> {
  file: String,
  root: String,
  default: Option<&'a str>,
  env_file: Vec<String>,
  log_dir: String,
  reserved: &'a [u16],
  services: Vec<ServiceEntry<'a>>,
  tasks: Vec<TaskEntry<'a>>,
}

#[derive(Serialize)]
struct ServiceEntry<'a> {
  name: &'a str,
  description: Option<&'a str>,
  run: &'a str,
  cwd: String,
  /// The primary port, as configured.
  port: Option<u16>,
  /// Every port by name, the primary one as `port`.
  ports: BTreeMap<&'a str, u16>,
  /// Where each port may move: `"auto"` or a list; ports without a fallback are absent.
  fallback: BTreeMap<&'a str, Value>,
  env_file: Vec<String>,
  /// `env:` as written (expanded when the service starts).
  env: BTreeMap<&'a str, &'a str>,
  depends_on: BTreeMap<&'a str, &'static str>,
  health: Option<ProbeEntry<'a>>,
  liveness: Option<ProbeEntry<'a>>,
  restart: RestartEntry,
  stop: StopEntry,
  open: bool,
  log: LogEntry,
  /// `profiles:`: started by `dev up --profile NAME`; empty: by a bare `dev up`.
  profiles: &'a [String],
}

#[derive(Serialize)]
struct ProbeEntry<'a> {
  /// `http`, `tcp`, `exec`, `log` or `port` (its own processes listen on its port).
  probe: &'static str,
  /// The URL, address, command or pattern; null for `port`.
  target: Option<&'a str>,
  status: Option<u16>,
  body: Option<&'a str>,
  interval_ms: u64,
  timeout_ms: u64,
  start_timeout_ms: u64,
  retries: u32,
}

#[derive(Serialize)]
struct RestartEntry {
  when: &'static str,
  max: u32,
  delay_ms: u64,
}

#[derive(Serialize)]
struct StopEntry {
  signal: &'static str,
  grace_ms: u64,
}

#[derive(Serialize)]
struct LogEntry {
  max_size: u64,
  keep: u32,
  timestamps: bool,
  strip_colors: bool,
}

#[derive(Serialize)]
struct TaskEntry<'a> {
  name: &'a str,
  description: Option<&'a str>,
  run: &'a [String],
  deps: &'a [String],
  parallel: bool,
  args: &'a [TaskArg],
  aliases: &'a [String],
  private: bool,
  group: Option<&'a str>,
  platforms: Vec<&'static str>,
  confirm: Option<&'a str>,
  needs: &'a [String],
  cwd: String,
  env_file: Vec<String>,
  env: BTreeMap<&'a str, &'a str>,
}

fn absolute(path: &std::path::Path) -> String {
  path.display().to_string()
}

fn probe_entry(health: &Health) -> ProbeEntry<'_> {
  let (target, status, body) = match &health.probe {
    Probe::Http { url, status, body } => (Some(url.as_str()), *status, body.as_deref()),
    Probe::Tcp { address } => (Some(address.as_str()), None, None),
    Probe::Exec { command } => (Some(command.as_str()), None, None),
    Probe::Log { pattern } => (Some(pattern.as_str()), None, None),
    Probe::Listening => (None, None, None),
  };
  ProbeEntry {
    probe: health.probe.kind(),
    target,
    status,
    body,
    interval_ms: health.interval.as_millis() as u64,
    timeout_ms: health.timeout.as_millis() as u64,
    start_timeout_ms: health.start_timeout.as_millis() as u64,
    retries: health.retries,
  }
}

fn log_entry(log: LogSettings) -> LogEntry {
  LogEntry {
    max_size: log.max_size,
    keep: log.keep,
    timestamps: log.timestamps,
    strip_colors: log.strip_colors,
  }
}

fn service_entry(service: &Service) -> ServiceEntry<'_> {
  ServiceEntry {
    name: &service.name,
    description: service.description.as_deref(),
    run: &service.run,
    cwd: absolute(&service.cwd.path),
    port: service.port(),
    ports: service
      .ports
      .iter()
      .map(|port| (port.name.as_str(), port.preferred))
      .collect(),
    fallback: service
      .ports
      .iter()
      .filter_map(|port| {
        let value = match &port.fallback {
          Fallback::None => return None,
          Fallback::Auto => Value::from("auto"),
          Fallback::Ports(ports) => Value::from(ports.clone()),
        };
        Some((port.name.as_str(), value))
      })
      .collect(),
    env_file: env_files(&service.env_file),
    env: service
      .env
      .iter()
      .map(|(key, value)| (key.as_str(), value.as_str()))
      .collect(),
    depends_on: service
      .depends_on
      .iter()
      .map(|d| (d.service.as_str(), d.condition.name()))
      .collect(),
    health: service.health.as_ref().map(probe_entry),
    liveness: service.liveness.as_ref().map(probe_entry),
    restart: RestartEntry {
      when: match service.restart.when {
        Restart::No => "no",
        Restart::OnFailure => "on-failure",
        Restart::Always => "always",
      },
      max: service.restart.max,
      delay_ms: service.restart.delay_ms,
    },
    stop: StopEntry {
      signal: service.stop_signal.name(),
      grace_ms: service.grace.as_millis() as u64,
    },
    open: service.open,
    log: log_entry(service.log),
    profiles: &service.profiles,
  }
}

/// An `env_file:` as absolute paths, in order (one or a list in the task file).
fn env_files(files: &EnvFiles) -> Vec<String> {
  files.0.iter().map(|file| absolute(&file.path)).collect()
}

fn task_entry(task: &Task) -> TaskEntry<'_> {
  TaskEntry {
    name: &task.name,
    description: task.description.as_deref(),
    run: &task.commands,
    deps: &task.deps,
    parallel: task.parallel,
    args: &task.args,
    aliases: &task.aliases,
    private: task.is_private(),
    group: task.group.as_deref(),
    platforms: task.platforms.iter().map(|p| p.name()).collect(),
    confirm: task.confirm.as_deref(),
    needs: &task.needs,
    cwd: absolute(&task.cwd.path),
    env_file: env_files(&task.env_file),
    env: task
      .env
      .iter()
      .map(|(key, value)| (key.as_str(), value.as_str()))
      .collect(),
  }
}

pub(crate) fn list(project: &Project, json: bool) -> Result<()> {
  let config = &project.config;
  if json {
    return crate::ui::output::print_json(&Listing {
      file: absolute(&config.path),
      root: absolute(&config.root),
      default: config.default.as_deref(),
      env_file: env_files(&config.env_file),
      log_dir: absolute(&config.log_dir),
      reserved: &config.reserved,
      services: config.services.iter().map(service_entry).collect(),
      tasks: config.tasks.iter().map(task_entry).collect(),
    });
  }
  let color = project.color;
  // (heading, rows of (name with arguments, comment)).
  let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
  if !config.services.is_empty() {
    let rows = config
      .services
      .iter()
      .map(|service| {
        let mut comment = service.description.clone().unwrap_or_default();
        if let Some(port) = service.port() {
          comment = format!("{comment} {}", color.dim(&format!("(port {port})")));
        }
        if !service.profiles.is_empty() {
          let profiles = format!("[profiles: {}]", service.profiles.join(", "));
          comment = format!("{comment} {}", color.dim(&profiles));
        }
        comment = format!("{comment} {}", shadowed(&service.name, "up", color));
        (service.name.clone(), comment.trim().to_owned())
      })
      .collect();
    sections.push(("Services:".into(), rows));
  }
  let mut groups: Vec<Option<&str>> = Vec::new();
  for task in config.tasks.iter().filter(|task| !task.is_private()) {
    if !groups.contains(&task.group.as_deref()) {
      groups.push(task.group.as_deref());
    }
  }
  // Ungrouped tasks first, then the groups in file order.
  groups.sort_by_key(Option::is_some);
  for group in groups {
    let rows = config
      .tasks
      .iter()
      .filter(|task| !task.is_private() && task.group.as_deref() == group)
      .map(|task| (task.signature(), task_comment(task, color)))
      .collect();
    let heading = match group {
      Some(group) => format!("Tasks ({group}):"),
      None => "Tasks:".into(),
    };
    sections.push((heading, rows));
  }
  crate::ui::output::print_out(&render(&sections, color))
}

/// The description, then its aliases and the platforms it is limited to, dimmed.
fn task_comment(task: &Task, color: Color) -> String {
  let mut comment = task.description.clone().unwrap_or_default();
  if !task.aliases.is_empty() {
    let noun = if task.aliases.len() == 1 {
      "alias"
    } else {
      "aliases"
    };
    comment = format!(
      "{comment} {}",
      color.dim(&format!("({noun}: {})", task.aliases.join(", ")))
    );
  }
  comment = format!("{comment} {}", shadowed(&task.name, "run", color));
  if !task.runs_here() {
    let only: Vec<&str> = task.platforms.iter().map(|p| p.name()).collect();
    comment = format!(
      "{comment} {}",
      color.dim(&format!("[{} only]", only.join(", ")))
    );
  }
  comment.trim().to_owned()
}

/// `[dev up ui: `dev ui` is the built-in]` for a name a built-in command shadows: how to
/// reach it instead. Empty for every other name.
fn shadowed(name: &str, verb: &str, color: Color) -> String {
  if !BUILTIN_COMMANDS.contains(&name) {
    return String::new();
  }
  color
    .dim(&format!(
      "[dev {verb} {name}: `dev {name}` is the built-in]"
    ))
    .to_string()
}

/// Headings with their rows, the `#` comments aligned across all sections.
fn render(sections: &[(String, Vec<(String, String)>)], color: Color) -> String {
  let width = sections
    .iter()
    .flat_map(|(_, rows)| rows.iter().map(|(name, _)| name.chars().count()))
    .max()
    .unwrap_or(0);
  let mut out = String::new();
  for (heading, rows) in sections {
    out.push_str(&format!("{}\n", color.bold(heading)));
    for (name, comment) in rows {
      let line = if comment.is_empty() {
        format!("    {name}")
      } else {
        format!("    {name:<width$} {} {comment}", color.dim("#"))
      };
      out.push_str(line.trim_end());
      out.push('\n');
    }
  }
  out
}
