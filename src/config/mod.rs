//! The task file: found, read, parsed with locations, and checked into a typed `Config`.
//! Every mistake becomes `Error::Config` with file:line:col and, for names, "did you mean".

mod duration;
mod env_file;
mod health;
pub(crate) mod interpolate;
mod log;
mod port;
mod raw;
mod service;
pub(crate) mod source;
mod task;

use std::{
  collections::HashSet,
  fs,
  path::{Path, PathBuf},
  sync::Arc,
  time::Duration,
};

use serde_saphyr::Spanned;

use self::raw::{RawFile, Text};
pub(crate) use self::{
  duration::parse_duration,
  env_file::EnvFile,
  health::{Health, Probe},
  log::LogSettings,
  port::{Fallback, PRIMARY_PORT, PortSpec, shout},
  service::{Condition, DEFAULT_GRACE, Restart, RestartPolicy, Service},
  task::{Task, TaskArg},
};
use crate::{
  config::source::{Location, Source},
  error::{Error, Result},
  ui::suggestion::{list, suggest},
};

pub(crate) const FILE_NAMES: [&str; 2] = ["devtasks.yaml", "devtasks.yml"];

/// Commands of `dev` itself (and a few it reserves); services, tasks and aliases may not
/// take these names: `dev <name>` would never reach them.
pub(crate) const BUILTIN_COMMANDS: [&str; 21] = [
  "up",
  "stop",
  "restart",
  "force",
  "status",
  "logs",
  "list",
  "health",
  "port",
  "help",
  "init",
  "doctor",
  "config",
  "ps",
  "export",
  "completions",
  "man",
  "ui",
  "mcp",
  "__names",
  "__keep",
];

/// The per-service commands derived from a service name: `backend-stop` and friends.
pub(crate) const DERIVED_SUFFIXES: [&str; 5] = ["stop", "restart", "force", "status", "logs"];

#[derive(Debug)]
pub(crate) struct Config {
  pub(crate) path: PathBuf,
  /// The directory holding the task file: `cwd:`, `.dev/` and `logs/` are relative to it.
  pub(crate) root: PathBuf,
  pub(crate) log_dir: PathBuf,
  /// The top-level `env_file`, for every service and task (read when they start).
  pub(crate) env_file: Option<EnvFile>,
  pub(crate) services: Vec<Service>,
  pub(crate) tasks: Vec<Task>,
  /// Ports no fallback takes and `dev port find` skips.
  pub(crate) reserved: Vec<u16>,
  /// What a bare `dev` runs instead of starting every service: a task or a service.
  pub(crate) default: Option<String>,
}

impl Config {
  /// The task file in `start` or its nearest ancestor. Something by that name that is
  /// not a readable file (a directory, a broken link) is an error, not a reason to use a
  /// parent's file instead.
  pub(crate) fn find(start: &Path) -> Result<PathBuf> {
    for directory in start.ancestors() {
      for name in FILE_NAMES {
        let candidate = directory.join(name);
        let Ok(meta) = fs::symlink_metadata(&candidate) else {
          continue;
        };
        if candidate.is_file() {
          return Ok(candidate);
        }
        let what = if meta.is_dir() {
          "it is a directory".to_owned()
        } else if meta.file_type().is_symlink() {
          let target = fs::read_link(&candidate).unwrap_or_default();
          format!(
            "it is a link to `{}`, which does not exist",
            target.display()
          )
        } else {
          "it is not a regular file".to_owned()
        };
        return Err(Error::ConfigRead {
          path: candidate,
          source: std::io::Error::other(what),
        });
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

  /// The variables of the top-level `env_file`, read now.
  pub(crate) fn shared_env(&self) -> Result<Vec<(String, String)>> {
    self.env_file.as_ref().map_or(Ok(Vec::new()), EnvFile::load)
  }
}

/// A service's or task's working directory, and where the task file names it.
#[derive(Clone, Debug)]
pub(crate) struct WorkingDir {
  pub(crate) path: PathBuf,
  pub(crate) named_at: Option<Location>,
}

impl WorkingDir {
  /// The directory, once it exists: a missing one is a located error at start.
  pub(crate) fn checked(&self) -> Result<&Path> {
    if self.path.is_dir() {
      return Ok(&self.path);
    }
    Err(Error::Config {
      message: format!(
        "directory `{}` does not exist",
        crate::config::source::display_path(&self.path)
      ),
      location: self.named_at.clone(),
      hint: Some("`cwd:` is relative to the directory of devtasks.yaml".into()),
    })
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

    let env_file = raw.env_file.as_ref().map(|file| self.env_file(&root, file));
    let log_dir = root.join(
      raw
        .log_dir
        .as_ref()
        .map_or("logs", |dir| dir.value.as_str()),
    );

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
    let mut names = HashSet::new();
    for (name, _) in &raw.services.0 {
      self.check_name(name, "service", &mut names, &service_names)?;
    }
    for (name, _) in &raw.tasks.0 {
      self.check_name(name, "task", &mut names, &service_names)?;
    }
    let log = self.log_settings(LogSettings::default(), raw.log.as_ref())?;
    let mut services = Vec::new();
    for (name, service) in &raw.services.0 {
      services.push(self.service(&root, name, &service.value, &service_names, log)?);
    }
    let aliases: Vec<(&str, &str)> = raw
      .tasks
      .0
      .iter()
      .flat_map(|(name, task)| match &task.value {
        raw::RawTask::Full(fields) => fields
          .aliases
          .0
          .iter()
          .map(|alias| (alias.value.as_str(), name.value.as_str()))
          .collect(),
        raw::RawTask::Command(_) => Vec::new(),
      })
      .collect();
    let mut tasks = Vec::new();
    for (name, task) in &raw.tasks.0 {
      tasks.push(self.task(&root, name, task, &task_names, &service_names, &aliases)?);
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
      env_file,
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
    crate::config::source::display_path(&self.source.path)
  }

  /// An error pointing at a value: the caret starts inside the quotes of a quoted one.
  fn at(&self, text: &Text, message: impl Into<String>) -> Error {
    Error::config(message, Some(self.at_location(text)))
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
    // The location is drawn below: only a trailing " at line N, column M" goes (an alias's
    // "(used at line …)" stays).
    if let Some(cut) = message.rfind(" at line ")
      && message[cut..]
        .trim_start_matches(" at line ")
        .split(", column ")
        .count()
        == 2
      && !message[cut..].contains(')')
    {
      message.truncate(cut);
    }
    if message.starts_with("multiple YAML documents detected") {
      message = format!(
        "{} holds several YAML documents (a `---` line starts another); keep one",
        self.file_name()
      );
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

  fn check_name(
    &self,
    name: &Text,
    kind: &str,
    seen: &mut HashSet<String>,
    services: &[&str],
  ) -> Result<()> {
    let value = &name.value;
    if value.is_empty()
      || !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
      return Err(self.at(
        name,
        format!(
          "{kind} name `{value}` may only contain ASCII letters and digits, `-`, `_` and `.`"
        ),
      ));
    }
    self.check_clash(name, kind, services)?;
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

  /// One rule for every name `dev <name>` may mean: not a built-in command, and not a
  /// command derived from a service (`api-logs` when there is an `api`).
  pub(super) fn check_clash(&self, name: &Text, kind: &str, services: &[&str]) -> Result<()> {
    let value = name.value.as_str();
    if BUILTIN_COMMANDS.contains(&value) {
      return Err(
        self
          .at(
            name,
            format!("{kind} `{value}` clashes with the built-in command `dev {value}`"),
          )
          .with_hint("rename it"),
      );
    }
    if let Some((service, suffix)) = value.rsplit_once('-')
      && services.contains(&service)
      && DERIVED_SUFFIXES.contains(&suffix)
    {
      return Err(
        self
          .at(
            name,
            format!(
              "{kind} `{value}` clashes with the command `dev {value}` derived from service `{service}`"
            ),
          )
          .with_hint("rename it"),
      );
    }
    Ok(())
  }

  /// An `env_file:`, to be read when something starts (a missing one must not stop `dev
  /// stop`).
  fn env_file(&self, base: &Path, file: &Text) -> EnvFile {
    EnvFile {
      path: base.join(&file.value),
      named_at: self.at_location(file),
    }
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

  fn duration(&self, text: &Text) -> Result<Duration> {
    parse_duration(&text.value).map_err(|reason| self.at(text, reason))
  }

  /// A duration that must be more than zero: a probe interval or timeout of 0 would spin.
  fn positive_duration(&self, text: &Text) -> Result<Duration> {
    let duration = self.duration(text)?;
    if duration.is_zero() {
      return Err(self.at(
        text,
        format!("`{}` must be more than zero", text.value.trim()),
      ));
    }
    Ok(duration)
  }

  /// A `cwd:`, checked when something starts in it (it may not exist yet, or any more).
  fn directory(&self, root: &Path, cwd: Option<&Text>) -> WorkingDir {
    match cwd {
      None => WorkingDir {
        path: root.to_path_buf(),
        named_at: None,
      },
      Some(cwd) => WorkingDir {
        path: root.join(&cwd.value),
        named_at: Some(self.at_location(cwd)),
      },
    }
  }

  /// Where a value is, the caret starting inside the quotes of a quoted one.
  fn at_location(&self, text: &Text) -> Location {
    let mut location = self.location(text, text.value.chars().count());
    if self.is_quoted(text) {
      location.column += 1;
    }
    location
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
