//! The task file: found, read, parsed with locations, and checked into a typed `Config`.
//! Every mistake becomes `Error::Config` with file:line:col and, for names, "did you mean".

mod duration;
mod env_file;
mod health;
pub(crate) mod interpolate;
mod log;
mod raw;
mod task;

use std::{
  collections::HashSet,
  fs,
  path::{Path, PathBuf},
  sync::Arc,
  time::Duration,
};

use serde_saphyr::Spanned;

pub(crate) use self::{
  duration::parse_duration,
  health::{Health, Probe},
  log::LogSettings,
  task::{Task, TaskArg},
};
use self::{
  env_file::parse_env_file,
  raw::{RawFile, RawNamedPort, RawService, Scalars, Text},
};
use crate::{
  error::{Error, Result},
  source::{Location, Source},
  suggestion::{list, suggest},
  sys::Signal,
};

pub(crate) const FILE_NAMES: [&str; 2] = ["devtasks.yaml", "devtasks.yml"];

/// Commands of `dev` itself; services and tasks may not take these names.
pub(crate) const BUILTIN_COMMANDS: [&str; 14] = [
  "up", "stop", "restart", "force", "status", "logs", "list", "health", "port", "help", "init",
  "doctor", "config", "ps",
];

/// The per-service commands derived from a service name: `backend-stop` and friends.
pub(crate) const DERIVED_SUFFIXES: [&str; 5] = ["stop", "restart", "force", "status", "logs"];

#[derive(Debug)]
pub(crate) struct Config {
  pub(crate) path: PathBuf,
  /// The directory holding the task file: `cwd:`, `.dev/` and `logs/` are relative to it.
  pub(crate) root: PathBuf,
  pub(crate) log_dir: PathBuf,
  /// Variables from the top-level `env_file`.
  pub(crate) env: Vec<(String, String)>,
  pub(crate) services: Vec<Service>,
  pub(crate) tasks: Vec<Task>,
  /// Ports no fallback takes and `dev port find` skips.
  pub(crate) reserved: Vec<u16>,
  /// What a bare `dev` runs instead of starting every service: a task or a service.
  pub(crate) default: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Service {
  pub(crate) name: String,
  pub(crate) description: Option<String>,
  pub(crate) run: String,
  pub(crate) cwd: PathBuf,
  /// `port:` first (named `port`), then the `ports:` map in file order.
  pub(crate) ports: Vec<PortSpec>,
  /// `env_file` variables first, then `env:` entries (not yet interpolated).
  pub(crate) env: Vec<(String, String)>,
  pub(crate) depends_on: Vec<Dependency>,
  pub(crate) stop_signal: Signal,
  pub(crate) grace: Duration,
  /// How to tell it is ready; `None` when it has neither `health:` nor a port.
  pub(crate) health: Option<Health>,
  /// Probed while it runs; `retries` failures in a row restart it.
  pub(crate) liveness: Option<Health>,
  pub(crate) restart: RestartPolicy,
  /// Open its URL in the browser once ready (`open: true`).
  pub(crate) open: bool,
  pub(crate) log: LogSettings,
}

/// What the keeper does when the service ends by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RestartPolicy {
  pub(crate) when: Restart,
  /// Restarts in a row (a run longer than a minute resets the count).
  pub(crate) max: u32,
  /// Before the first restart; doubled each time, at most 30 s.
  pub(crate) delay_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Restart {
  No,
  OnFailure,
  Always,
}

impl Default for RestartPolicy {
  fn default() -> Self {
    Self {
      when: Restart::No,
      max: 5,
      delay_ms: 1000,
    }
  }
}

/// One port a service wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortSpec {
  /// `port` for the primary port (`$PORT`, `${svc.port}`); the key in `ports:` otherwise
  /// (`$PORT_WS`, `${svc.ports.ws}`).
  pub(crate) name: String,
  pub(crate) preferred: u16,
  pub(crate) fallback: Fallback,
}

/// Where a port may move when it is taken by something `dev` did not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fallback {
  /// Fail with who holds it and how to free it.
  None,
  /// These ports, in this order.
  Ports(Vec<u16>),
  /// The next free port above the preferred one.
  Auto,
}

impl PortSpec {
  /// `${svc.port}` or `${svc.ports.ws}`.
  pub(crate) fn reference(&self, service: &str) -> String {
    if self.name == PRIMARY_PORT {
      format!("${{{service}.port}}")
    } else {
      format!("${{{service}.ports.{}}}", self.name)
    }
  }
}

/// The name of the port given with `port:`.
pub(crate) const PRIMARY_PORT: &str = "port";

/// `my-api` → `MY_API`: names as environment variables.
pub(crate) fn shout(name: &str) -> String {
  name
    .chars()
    .map(|c| {
      if c.is_ascii_alphanumeric() {
        c.to_ascii_uppercase()
      } else {
        '_'
      }
    })
    .collect()
}

impl Service {
  /// The primary port as configured.
  pub(crate) fn port(&self) -> Option<u16> {
    self.ports.first().map(|p| p.preferred)
  }
}

#[derive(Debug)]
pub(crate) struct Dependency {
  pub(crate) service: String,
  pub(crate) condition: Condition,
}

/// When a dependent may start, as in docker compose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Condition {
  Started,
  Healthy,
  CompletedSuccessfully,
}

impl Condition {
  pub(crate) fn name(self) -> &'static str {
    match self {
      Self::Started => "started",
      Self::Healthy => "healthy",
      Self::CompletedSuccessfully => "completed_successfully",
    }
  }
}

pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(10);

impl Config {
  /// The task file in `start` or its nearest ancestor.
  pub(crate) fn find(start: &Path) -> Result<PathBuf> {
    for directory in start.ancestors() {
      for name in FILE_NAMES {
        let candidate = directory.join(name);
        if candidate.is_file() {
          return Ok(candidate);
        }
      }
    }
    Err(Error::ConfigNotFound {
      searched_from: start.to_path_buf(),
    })
  }

  pub(crate) fn load(path: &Path) -> Result<Self> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let bytes = fs::read(&path).map_err(|source| Error::ConfigRead {
      path: path.clone(),
      source,
    })?;
    let text = String::from_utf8(bytes).map_err(|error| Error::ConfigNotUtf8 {
      path: path.clone(),
      offset: error.utf8_error().valid_up_to(),
    })?;
    Self::parse(path, text)
  }

  /// A task file's text as if read from `path` (which names the directory it governs).
  pub(crate) fn parse(path: PathBuf, text: String) -> Result<Self> {
    let source = Arc::new(Source { path, text });
    Checker { source: &source }.check()
  }

  pub(crate) fn service(&self, name: &str) -> Option<&Service> {
    self.services.iter().find(|service| service.name == name)
  }

  /// A task by its name or one of its aliases.
  pub(crate) fn task(&self, name: &str) -> Option<&Task> {
    self
      .tasks
      .iter()
      .find(|task| task.name == name)
      .or_else(|| {
        self
          .tasks
          .iter()
          .find(|task| task.aliases.iter().any(|a| a == name))
      })
  }

  pub(crate) fn service_index(&self, name: &str) -> usize {
    self
      .services
      .iter()
      .position(|service| service.name == name)
      .unwrap_or(0)
  }

  pub(crate) fn state_dir(&self) -> PathBuf {
    self.root.join(".dev")
  }
}

/// Turns the raw, located model into `Config`, checking what serde cannot.
struct Checker<'a> {
  source: &'a Arc<Source>,
}

impl Checker<'_> {
  fn check(&self) -> Result<Config> {
    let raw: RawFile =
      serde_saphyr::from_str(&self.source.text).map_err(|error| self.yaml_error(&error))?;
    let root = self
      .source
      .path
      .parent()
      .map(Path::to_path_buf)
      .unwrap_or_default();

    if raw.services.0.is_empty() && raw.tasks.0.is_empty() {
      return Err(
        Error::config(
          format!("{} defines no services and no tasks", self.file_name()),
          None,
        )
        .with_hint("add a `services:` or `tasks:` section, or run `dev init` to write one"),
      );
    }

    let env = match &raw.env_file {
      Some(file) => self.read_env_file(&root, file)?,
      None => Vec::new(),
    };
    let log_dir = root.join(
      raw
        .log_dir
        .as_ref()
        .map_or("logs", |dir| dir.value.as_str()),
    );

    let mut names = HashSet::new();
    for (name, _) in &raw.services.0 {
      self.check_name(name, "service", &mut names)?;
    }
    for (name, _) in &raw.tasks.0 {
      self.check_name(name, "task", &mut names)?;
    }
    let service_names: Vec<&str> = raw
      .services
      .0
      .iter()
      .map(|(name, _)| name.value.as_str())
      .collect();
    let task_names: Vec<&str> = raw
      .tasks
      .0
      .iter()
      .map(|(name, _)| name.value.as_str())
      .collect();
    for task in &task_names {
      if let Some((service, suffix)) = task.rsplit_once('-')
        && service_names.contains(&service)
        && DERIVED_SUFFIXES.contains(&suffix)
      {
        let (key, _) = raw
          .tasks
          .0
          .iter()
          .find(|(name, _)| name.value == *task)
          .expect("task exists");
        return Err(self.at(key, format!("task `{task}` clashes with the command `dev {task}` derived from service `{service}`")).with_hint("rename the task"));
      }
    }

    let log = self.log_settings(LogSettings::default(), raw.log.as_ref())?;
    let mut services = Vec::new();
    for (name, service) in &raw.services.0 {
      services.push(self.service(&root, name, &service.value, &service_names, log)?);
    }
    let mut tasks = Vec::new();
    for (name, task) in &raw.tasks.0 {
      tasks.push(self.task(&root, name, task, &task_names, &service_names)?);
    }
    self.check_aliases(&raw, &mut names, &service_names)?;
    let default = match &raw.default {
      Some(text) => {
        let known: Vec<&str> = service_names
          .iter()
          .copied()
          .chain(tasks.iter().map(|task| task.name.as_str()))
          .chain(
            tasks
              .iter()
              .flat_map(|task| task.aliases.iter().map(String::as_str)),
          )
          .collect();
        self.check_known(text, &known, "service or task")?;
        Some(text.value.clone())
      }
      None => None,
    };

    let mut reserved = Vec::new();
    for text in &raw.reserved.0 {
      reserved.extend(self.port_list(text)?);
    }
    let config = Config {
      path: self.source.path.clone(),
      root,
      log_dir,
      env,
      services,
      tasks,
      reserved,
      default,
    };
    self.check_port_references(&raw, &config)?;
    self.check_cycles(&raw, &config)?;
    Ok(config)
  }

  fn file_name(&self) -> String {
    crate::source::display_path(&self.source.path)
  }

  /// An error pointing at a value: the caret starts inside the quotes of a quoted one.
  fn at(&self, text: &Text, message: impl Into<String>) -> Error {
    let mut location = self.location(text, text.value.chars().count());
    if self.is_quoted(text) {
      location.column += 1;
    }
    Error::config(message, Some(location))
  }

  fn location<T>(&self, spanned: &Spanned<T>, width: usize) -> Location {
    let location = spanned.referenced;
    Location::new(
      self.source,
      location.line() as usize,
      location.column() as usize,
      width,
    )
  }

  /// Converts the YAML library's error into ours: same place, plainer words.
  fn yaml_error(&self, error: &serde_saphyr::Error) -> Error {
    let mut message = error.without_snippet().to_string();
    if let Some(cut) = message.rfind(" at line ") {
      message.truncate(cut);
    }
    let location = error.location().map(|location| {
      let (line, column) = (location.line() as usize, location.column() as usize);
      let width = self.token_width(line, column);
      Location::new(self.source, line, column, width)
    });
    let mut hint = None;
    if let Some(rest) = message.strip_prefix("unknown field `") {
      let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
      let expected: Vec<&str> = expected
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ")
        .split([',', ' '])
        .map(|name| name.trim_matches('`'))
        .filter(|name| !name.is_empty() && *name != "or")
        .collect();
      hint = Some(match suggest(field, expected.iter().copied()) {
        Some(name) => format!("Did you mean `{name}`?"),
        None => format!(
          "expected one of {}",
          list(
            &expected
              .iter()
              .map(|name| (*name).to_owned())
              .collect::<Vec<_>>()
          )
        ),
      });
      message = format!("unknown field `{field}`");
    } else if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
      let key = rest
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(rest);
      message = format!("duplicate key `{key}`");
      hint = Some("each name may appear once; remove or rename one of them".into());
    } else if let Some((found, expected)) = message
      .strip_prefix("invalid type: ")
      .and_then(|rest| rest.split_once(", expected "))
    {
      message = format!("expected {expected}, found a {found}");
    } else if message == "expected string scalar" {
      message = "expected a string here".into();
    } else if message == "expected mapping start" {
      message = "expected a mapping (`key: value` lines) here".into();
    }
    Error::Config {
      message,
      location,
      hint,
    }
  }

  /// How wide the word at a position is, for the carets under it.
  fn token_width(&self, line: usize, column: usize) -> usize {
    self
      .source
      .text
      .lines()
      .nth(line.saturating_sub(1))
      .map(|text| {
        text
          .chars()
          .skip(column.saturating_sub(1))
          .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
          .count()
      })
      .unwrap_or(1)
      .max(1)
  }

  fn check_name(&self, name: &Text, kind: &str, seen: &mut HashSet<String>) -> Result<()> {
    let value = &name.value;
    if value.is_empty()
      || !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
      return Err(self.at(
        name,
        format!("{kind} name `{value}` may only contain letters, digits, `-`, `_` and `.`"),
      ));
    }
    if BUILTIN_COMMANDS.contains(&value.as_str()) {
      return Err(
        self
          .at(
            name,
            format!("{kind} name `{value}` clashes with the built-in command `dev {value}`"),
          )
          .with_hint("rename it"),
      );
    }
    if !seen.insert(value.clone()) {
      return Err(
        self
          .at(
            name,
            format!("`{value}` is defined both as a service and as a task"),
          )
          .with_hint("services and tasks share one namespace: `dev <name>` must mean one thing"),
      );
    }
    Ok(())
  }

  fn read_env_file(&self, base: &Path, file: &Text) -> Result<Vec<(String, String)>> {
    let path = base.join(&file.value);
    let text = fs::read_to_string(&path).map_err(|error| {
      self.at(
        file,
        format!("cannot read env file `{}`: {error}", file.value),
      )
    })?;
    parse_env_file(&text)
      .map_err(|(line, message)| self.at(file, format!("{}:{line}: {message}", file.value)))
  }

  fn service(
    &self,
    root: &Path,
    name: &Text,
    raw: &RawService,
    services: &[&str],
    log: LogSettings,
  ) -> Result<Service> {
    if raw.run.value.trim().is_empty() {
      return Err(self.at(
        &raw.run,
        format!("service `{}` has an empty `run` command", name.value),
      ));
    }
    let ports = self.ports(name, raw)?;
    let health = self.health(name, raw.health.as_ref(), !ports.is_empty())?;
    let liveness = self.liveness(
      name,
      raw.liveness.as_ref(),
      !ports.is_empty(),
      health.as_ref(),
    )?;
    let mut env = match &raw.env_file {
      Some(file) => self.read_env_file(root, file)?,
      None => Vec::new(),
    };
    for (key, value) in &raw.env.0 {
      self.check_variable_name(key)?;
      env.push((key.value.clone(), value.value.clone()));
    }
    let mut depends_on = Vec::new();
    for (dependency, condition) in &raw.depends_on.0 {
      self.check_known(dependency, services, "service")?;
      if dependency.value == name.value {
        return Err(self.at(
          dependency,
          format!("service `{}` depends on itself", name.value),
        ));
      }
      let condition = match condition {
        None => Condition::Started,
        Some(text) => match text.value.as_str() {
          "started" | "service_started" => Condition::Started,
          "healthy" | "service_healthy" => Condition::Healthy,
          "completed_successfully" | "service_completed_successfully" => {
            Condition::CompletedSuccessfully
          }
          other => {
            let known = ["started", "healthy", "completed_successfully"];
            let hint = match suggest(other, known) {
              Some(name) => format!("Did you mean `{name}`?"),
              None => "use `started`, `healthy` or `completed_successfully`".into(),
            };
            return Err(
              self
                .at(text, format!("unknown condition `{other}`"))
                .with_hint(hint),
            );
          }
        },
      };
      depends_on.push(Dependency {
        service: dependency.value.clone(),
        condition,
      });
    }
    let restart = self.restart_policy(raw)?;
    let (mut stop_signal, mut grace) = (Signal::Term, DEFAULT_GRACE);
    if let Some(stop) = &raw.stop {
      if let Some(text) = &stop.signal {
        stop_signal = Signal::parse(&text.value).ok_or_else(|| {
          self
            .at(text, format!("unknown signal `{}`", text.value))
            .with_hint(format!(
              "use one of {}",
              list(
                &Signal::NAMES
                  .iter()
                  .map(|s| (*s).to_owned())
                  .collect::<Vec<_>>()
              )
            ))
        })?;
      }
      if let Some(text) = &stop.grace {
        grace = self.duration(text)?;
      }
    }
    Ok(Service {
      name: name.value.clone(),
      description: raw.description.as_ref().map(|text| text.value.clone()),
      run: raw.run.value.clone(),
      cwd: self.directory(root, raw.cwd.as_ref())?,
      ports,
      env,
      depends_on,
      stop_signal,
      grace,
      health,
      liveness,
      restart,
      open: raw.open.unwrap_or(false),
      log: self.log_settings(log, raw.log.as_ref())?,
    })
  }

  fn restart_policy(&self, raw: &RawService) -> Result<RestartPolicy> {
    let mut policy = RestartPolicy::default();
    if let Some(text) = &raw.restart {
      policy.when = match text.value.trim() {
        "no" | "never" => Restart::No,
        "on-failure" | "on_failure" => Restart::OnFailure,
        "always" => Restart::Always,
        other => {
          let hint = match suggest(other, ["no", "on-failure", "always"]) {
            Some(name) => format!("Did you mean `{name}`?"),
            None => "use `no`, `on-failure` or `always`".into(),
          };
          return Err(
            self
              .at(text, format!("unknown restart policy `{other}`"))
              .with_hint(hint),
          );
        }
      };
    }
    if let Some(text) = &raw.max_restarts {
      policy.max = text.value.trim().parse().map_err(|_| {
        self.at(
          text,
          format!("expected a number of restarts, found `{}`", text.value),
        )
      })?;
    }
    if let Some(text) = &raw.restart_delay {
      policy.delay_ms = self.duration(text)?.as_millis() as u64;
    }
    Ok(policy)
  }

  fn check_known(&self, name: &Text, known: &[&str], kind: &str) -> Result<()> {
    if known.contains(&name.value.as_str()) {
      return Ok(());
    }
    let hint = match suggest(&name.value, known.iter().copied()) {
      Some(suggestion) => format!("Did you mean `{suggestion}`?"),
      None => format!(
        "known {kind}s: {}",
        list(&known.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>())
      ),
    };
    Err(
      self
        .at(name, format!("unknown {kind} `{}`", name.value))
        .with_hint(hint),
    )
  }

  fn check_variable_name(&self, key: &Text) -> Result<()> {
    let valid = !key.value.is_empty()
      && !key.value.starts_with(|c: char| c.is_ascii_digit())
      && key
        .value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
      Ok(())
    } else {
      Err(self.at(
        key,
        format!("`{}` is not a valid environment variable name", key.value),
      ))
    }
  }

  fn port(&self, text: &Text) -> Result<u16> {
    match text.value.trim().parse::<u32>() {
      Ok(port @ 1..=65535) => Ok(port as u16),
      _ => Err(self.at(
        text,
        format!(
          "expected a port number between 1 and 65535, found `{}`",
          text.value
        ),
      )),
    }
  }

  /// `port:` with the service's `fallback:`, then each `ports:` entry with its own.
  fn ports(&self, service: &Text, raw: &RawService) -> Result<Vec<PortSpec>> {
    let mut ports = Vec::new();
    match (&raw.port, &raw.fallback) {
      (Some(port), fallback) => ports.push(PortSpec {
        name: PRIMARY_PORT.into(),
        preferred: self.port(port)?,
        fallback: self.fallback(fallback.as_ref())?,
      }),
      (None, Some(fallback)) => {
        let first = fallback.0.first().map_or(&raw.run, |text| text);
        return Err(
          self
            .at(
              first,
              format!("service `{}` has `fallback:` but no `port:`", service.value),
            )
            .with_hint(
              "add `port: <preferred port>`, or give each `ports:` entry its own fallback",
            ),
        );
      }
      (None, None) => {}
    }
    for (name, entry) in &raw.ports.0 {
      if name.value == PRIMARY_PORT
        || name.value.is_empty()
        || !name
          .value
          .chars()
          .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
      {
        return Err(
          self
            .at(name, format!("`{}` cannot name a port", name.value))
            .with_hint("use letters, digits, `_` or `-`, and not `port` (that is `port:`)"),
        );
      }
      let (preferred, fallback) = match &entry.value {
        RawNamedPort::Port(text) => {
          let located = Spanned::new(text.clone(), entry.referenced, entry.defined);
          (self.port(&located)?, Fallback::None)
        }
        RawNamedPort::Full(fields) => (
          self.port(&fields.port)?,
          self.fallback(fields.fallback.as_ref())?,
        ),
      };
      ports.push(PortSpec {
        name: name.value.clone(),
        preferred,
        fallback,
      });
    }
    for (i, port) in ports.iter().enumerate() {
      if ports[..i].iter().any(|p| p.preferred == port.preferred) {
        let text = raw
          .ports
          .0
          .iter()
          .find(|(name, _)| name.value == port.name)
          .map_or(service, |(name, _)| name);
        return Err(self.at(
          text,
          format!(
            "service `{}` asks for port {} twice",
            service.value, port.preferred
          ),
        ));
      }
    }
    Ok(ports)
  }

  fn fallback(&self, raw: Option<&Scalars>) -> Result<Fallback> {
    let Some(raw) = raw else {
      return Ok(Fallback::None);
    };
    if let [only] = raw.0.as_slice()
      && only.value.trim() == "auto"
    {
      return Ok(Fallback::Auto);
    }
    let mut ports = Vec::new();
    for text in &raw.0 {
      ports.extend(self.port_list(text)?);
    }
    Ok(Fallback::Ports(ports))
  }

  /// `8001` or `8001-8010`.
  fn port_list(&self, text: &Text) -> Result<Vec<u16>> {
    let Some((first, last)) = text.value.split_once('-') else {
      return Ok(vec![self.port(text)?]);
    };
    let bound = |value: &str| match value.trim().parse::<u32>() {
      Ok(port @ 1..=65535) => Some(port as u16),
      _ => None,
    };
    match (bound(first), bound(last)) {
      (Some(first), Some(last)) if first <= last => Ok((first..=last).collect()),
      _ => Err(
        self
          .at(
            text,
            format!(
              "expected a port range such as `8001-8010`, found `{}`",
              text.value
            ),
          )
          .with_hint("ranges go from low to high, within 1-65535; or write `auto`"),
      ),
    }
  }

  fn duration(&self, text: &Text) -> Result<Duration> {
    parse_duration(&text.value).ok_or_else(|| {
      self.at(
        text,
        format!(
          "expected a duration such as `10s` or `500ms`, found `{}`",
          text.value
        ),
      )
    })
  }

  fn directory(&self, root: &Path, cwd: Option<&Text>) -> Result<PathBuf> {
    let Some(cwd) = cwd else {
      return Ok(root.to_path_buf());
    };
    let path = root.join(&cwd.value);
    if path.is_dir() {
      Ok(path)
    } else {
      Err(
        self
          .at(cwd, format!("directory `{}` does not exist", cwd.value))
          .with_hint("`cwd:` is relative to the directory of devtasks.yaml"),
      )
    }
  }

  /// `${backend.port}` and `${viewer.ports.ws}` must name ports that exist.
  fn check_port_references(&self, raw: &RawFile, config: &Config) -> Result<()> {
    let names: Vec<&str> = config
      .services
      .iter()
      .map(|service| service.name.as_str())
      .collect();
    let texts = raw.services.0.iter().flat_map(|(_, service)| {
      std::iter::once(&service.value.run).chain(service.value.env.0.iter().map(|(_, value)| value))
    });
    for text in texts {
      for reference in interpolate::references(&text.value) {
        let location = {
          let base = text.referenced;
          // Point at the reference itself when the value sits on one line.
          let column = base.column() as usize
            + text.value[..reference.offset].chars().count()
            + usize::from(self.is_quoted(text));
          Location::new(self.source, base.line() as usize, column, reference.len)
        };
        let Some(service) = config.service(&reference.service) else {
          let hint = match suggest(&reference.service, names.iter().copied()) {
            Some(name) => format!("Did you mean `{name}`?"),
            None => format!(
              "known services: {}",
              list(&names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            ),
          };
          return Err(
            Error::config(
              format!(
                "unknown service `{}` in `${{{}.{}}}`",
                reference.service, reference.service, reference.field
              ),
              Some(location),
            )
            .with_hint(hint),
          );
        };
        let known = if reference.field == PRIMARY_PORT {
          !service.ports.is_empty()
        } else {
          service
            .ports
            .iter()
            .any(|port| format!("ports.{}", port.name) == reference.field)
        };
        if known {
          continue;
        }
        let (message, hint) = if reference.field == PRIMARY_PORT {
          (
            format!(
              "service `{}` has no `port`, so `${{{}.port}}` has no value",
              service.name, service.name
            ),
            format!("add `port:` to service `{}`", service.name),
          )
        } else {
          let references: Vec<String> = service
            .ports
            .iter()
            .map(|port| format!("`{}`", port.reference(&service.name)))
            .collect();
          (
            format!(
              "unknown field `{}` in `${{{}.{}}}`",
              reference.field, reference.service, reference.field
            ),
            if references.is_empty() {
              "only ports can be referenced: `${service.port}` or `${service.ports.NAME}`".into()
            } else {
              format!("`{}` has {}", service.name, references.join(", "))
            },
          )
        };
        return Err(Error::config(message, Some(location)).with_hint(hint));
      }
    }
    Ok(())
  }

  fn is_quoted(&self, text: &Text) -> bool {
    let offset = text.referenced.span().byte_offset().unwrap_or(0) as usize;
    matches!(self.source.text.as_bytes().get(offset), Some(b'"' | b'\''))
  }

  /// A cycle in `depends_on` or `deps` is an error that names the whole loop.
  fn check_cycles(&self, raw: &RawFile, config: &Config) -> Result<()> {
    let service_edges = |name: &str| -> Vec<String> {
      config
        .service(name)
        .map(|s| s.depends_on.iter().map(|d| d.service.clone()).collect())
        .unwrap_or_default()
    };
    let task_edges = |name: &str| -> Vec<String> {
      config
        .task(name)
        .map(|t| t.deps.clone())
        .unwrap_or_default()
    };
    type Edges<'e> = &'e dyn Fn(&str) -> Vec<String>;
    let checks: [(&str, Vec<&Text>, Edges); 2] = [
      (
        "service",
        raw.services.0.iter().map(|(name, _)| name).collect(),
        &service_edges,
      ),
      (
        "task",
        raw.tasks.0.iter().map(|(name, _)| name).collect(),
        &task_edges,
      ),
    ];
    for (kind, names, edges) in checks {
      for name in names {
        if let Some(cycle) = find_cycle(&name.value, edges) {
          let field = if kind == "service" {
            "depends_on"
          } else {
            "deps"
          };
          return Err(
            self
              .at(
                name,
                format!(
                  "{kind}s depend on each other in a cycle: {}",
                  cycle.join(" → ")
                ),
              )
              .with_hint(format!("remove one of these `{field}` entries")),
          );
        }
      }
    }
    Ok(())
  }
}

/// The first cycle reachable from `start` that returns to `start`, as a path `a → b → a`.
fn find_cycle(start: &str, edges: &dyn Fn(&str) -> Vec<String>) -> Option<Vec<String>> {
  fn visit(
    node: &str,
    start: &str,
    edges: &dyn Fn(&str) -> Vec<String>,
    path: &mut Vec<String>,
    seen: &mut HashSet<String>,
  ) -> bool {
    for next in edges(node) {
      if next == start {
        path.push(next);
        return true;
      }
      if seen.insert(next.clone()) {
        path.push(next.clone());
        if visit(&next, start, edges, path, seen) {
          return true;
        }
        path.pop();
      }
    }
    false
  }
  let mut path = vec![start.to_owned()];
  visit(start, start, edges, &mut path, &mut HashSet::new()).then_some(path)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn finds_cycles_and_names_them() {
    let edges = |name: &str| -> Vec<String> {
      match name {
        "a" => vec!["b".into()],
        "b" => vec!["c".into()],
        "c" => vec!["a".into()],
        _ => vec![],
      }
    };
    assert_eq!(find_cycle("a", &edges).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(find_cycle("d", &edges), None);
  }
}
