//! The task file: found, read, parsed with locations, and checked into a typed `Config`.
//! Every mistake becomes `Error::Config` with file:line:col and, for names, "did you mean".

mod cycles;
mod dotenv;
mod dotenv_expand;
mod duration;
mod env_file;
mod file_name;
mod generated;
mod health;
pub(crate) mod interpolate;
mod log;
mod names;
mod port;
mod profiles;
mod raw;
mod references;
mod scalars;
mod service;
mod shell;
pub(crate) mod source;
pub(crate) mod substitute;
mod task;
mod url_name;
mod watch;
mod yaml_error;

use std::{
  collections::HashSet,
  fs,
  path::{Path, PathBuf},
  sync::Arc,
  time::Duration,
};

use serde_saphyr::Spanned;

use self::raw::{RawFile, Scalars, Text};
pub(crate) use self::url_name::url_label;
pub(crate) use self::{
  duration::parse_duration,
  env_file::{EnvFile, EnvFiles},
  health::{Health, Probe},
  log::LogSettings,
  names::{BUILTIN_COMMANDS, DERIVED_SUFFIXES},
  port::{Fallback, PRIMARY_PORT, PortSpec, shout},
  service::{Condition, DEFAULT_GRACE, Restart, RestartPolicy, Service},
  shell::ShellChoice,
  task::{Task, TaskArg},
  watch::Watch,
};
use crate::{
  config::source::{Location, Source},
  error::{Error, Result},
};

pub(crate) const FILE_NAMES: [&str; 2] = ["devtasks.yaml", "devtasks.yml"];

#[derive(Clone, Debug)]
pub(crate) struct Config {
  pub(crate) path: PathBuf,
  /// The directory holding the task file: `cwd:`, `.dev/` and `logs/` are relative to it.
  pub(crate) root: PathBuf,
  pub(crate) log_dir: PathBuf,
  /// The top-level `env_file`, for every service and task (read when they start).
  pub(crate) env_file: EnvFiles,
  pub(crate) services: Vec<Service>,
  pub(crate) tasks: Vec<Task>,
  /// Ports no fallback takes and `dev port find` skips.
  pub(crate) reserved: Vec<u16>,
  /// What a bare `dev` runs instead of starting every service: a task or a service.
  pub(crate) default: Option<String>,
  /// `name:`: the project's name in its URLs, instead of its folder's.
  pub(crate) name: Option<String>,
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
          return file_name::only_one(directory, candidate);
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

  /// A project whose task file cannot be read: no services, no tasks, the default places.
  pub(crate) fn without_tasks(path: PathBuf, root: PathBuf) -> Self {
    Self {
      path,
      log_dir: root.join("logs"),
      root,
      env_file: EnvFiles(Vec::new()),
      services: Vec::new(),
      tasks: Vec::new(),
      reserved: Vec::new(),
      default: None,
      name: None,
    }
  }

  /// A task file's text as if read from `path` (which names the directory it governs).
  pub(crate) fn parse(path: PathBuf, text: String) -> Result<Self> {
    let source = Arc::new(Source { path, text });
    Checker { source: &source }.check()
  }

  /// Where a service's output goes: `<log_dir>/<service>.log`.
  pub(crate) fn log_of(&self, service: &str) -> PathBuf {
    self.log_dir.join(format!("{service}.log"))
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
    crate::state::state_dir_of(&self.root)
  }

  /// The variables of the top-level `env_file`, read now.
  pub(crate) fn shared_env(&self) -> Result<Vec<(String, String)>> {
    self.env_file.load()
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
    let service_names = names::names_of(&raw.services.0);
    let task_names = names::names_of(&raw.tasks.0);
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
    // Only a service with a port has a URL.
    self.check_url_labels(
      raw
        .services
        .0
        .iter()
        .zip(&services)
        .filter(|(_, service)| !service.ports.is_empty())
        .map(|((name, _), _)| name),
    )?;
    let aliases = names::aliases(&raw);
    let mut tasks = Vec::new();
    // A set: each task's deps are looked up in it (a list made 20,000 tasks quadratic).
    let task_set: HashSet<&str> = task_names.iter().copied().collect();
    for (name, task) in &raw.tasks.0 {
      tasks.push(self.task(&root, name, task, &task_set, &service_names, &aliases)?);
    }
    self.shells(&raw, &mut services, &mut tasks)?;
    self.check_aliases(&raw, &mut names, &service_names)?;
    let mut reserved = Vec::new();
    for text in &raw.reserved.0 {
      reserved.extend(self.port_list(text)?);
    }
    let config = Config {
      path: self.source.path.clone(),
      env_file: self.env_files(&root, &raw.env_file),
      log_dir: root.join(
        raw
          .log_dir
          .as_ref()
          .map_or("logs", |dir| dir.value.as_str()),
      ),
      root,
      default: self.default_target(raw.default.as_ref(), &service_names, &tasks)?,
      name: raw
        .name
        .as_ref()
        .map(|name| self.url_name(name))
        .transpose()?,
      services,
      tasks,
      reserved,
    };
    self.check_references(&raw, &config)?;
    self.check_cycles(&raw, &config)?;
    Ok(config)
  }

  /// `default:`, which must name a service, a task or an alias.
  fn default_target(
    &self,
    default: Option<&Text>,
    services: &[&str],
    tasks: &[Task],
  ) -> Result<Option<String>> {
    let Some(text) = default else {
      return Ok(None);
    };
    let known: Vec<&str> = services
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
    Ok(Some(text.value.clone()))
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

  /// An `env_file:` (one or a list), to be read when something starts (a missing one must
  /// not stop `dev stop`).
  fn env_files(&self, base: &Path, files: &Scalars) -> EnvFiles {
    EnvFiles(
      files
        .0
        .iter()
        .map(|file| EnvFile {
          path: base.join(&file.value),
          named_at: self.at_location(file),
        })
        .collect(),
    )
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
}
