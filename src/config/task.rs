//! `tasks:`: make/just-style commands, checked into `Task`s.

use crate::config::Location;
use std::{collections::HashSet, path::Path};

use serde_saphyr::Spanned;

use super::{
  Checker, EnvFiles, ShellChoice, Watch, WorkingDir,
  raw::{RawFile, RawTask, Text},
};
use crate::error::{Error, Result};

#[derive(Clone, Debug)]
pub(crate) struct Task {
  pub(crate) name: String,
  pub(crate) description: Option<String>,
  /// Run in order; the first failure ends the task.
  pub(crate) commands: Vec<String>,
  /// What the commands go to.
  pub(crate) shell: ShellChoice,
  pub(crate) deps: Vec<String>,
  /// The deps run side by side.
  pub(crate) parallel: bool,
  pub(crate) cwd: WorkingDir,
  /// Read when it runs; its variables come before `env:`.
  pub(crate) env_file: EnvFiles,
  /// `env:` entries, not yet interpolated.
  pub(crate) env: Vec<(String, String)>,
  /// Where each of them is written.
  pub(crate) env_at: Vec<Location>,
  pub(crate) args: Vec<TaskArg>,
  pub(crate) aliases: Vec<String>,
  /// Not in `dev list`; still runs when named.
  pub(crate) private: bool,
  pub(crate) group: Option<String>,
  /// Empty: everywhere.
  pub(crate) platforms: Vec<Platform>,
  pub(crate) confirm: Option<String>,
  /// Services that must be running and healthy while the task runs.
  pub(crate) needs: Vec<String>,
  /// What `--watch` runs it again on; its `cwd` when `None`.
  pub(crate) watch: Option<Watch>,
}

/// A named parameter: `env` (required) or `region=eu` (with a default).
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct TaskArg {
  pub(crate) name: String,
  pub(crate) default: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Platform {
  Linux,
  Macos,
  Windows,
  Freebsd,
  /// Any of the unix-like ones.
  Unix,
}

impl Platform {
  const NAMES: [&str; 5] = ["linux", "macos", "windows", "freebsd", "unix"];

  fn parse(name: &str) -> Option<Self> {
    Some(match name {
      "linux" => Self::Linux,
      "macos" | "darwin" => Self::Macos,
      "windows" => Self::Windows,
      "freebsd" => Self::Freebsd,
      "unix" => Self::Unix,
      _ => return None,
    })
  }

  pub(crate) fn name(self) -> &'static str {
    Self::NAMES[self as usize]
  }

  fn is_current(self) -> bool {
    match self {
      Self::Unix => cfg!(unix),
      platform => platform.name() == std::env::consts::OS,
    }
  }
}

impl Task {
  /// True when the task has no `platforms:` or names this one.
  pub(crate) fn runs_here(&self) -> bool {
    self.platforms.is_empty() || self.platforms.iter().any(|p| p.is_current())
  }

  /// `deploy <env> [region=eu]`: the name and its arguments, as `dev list` shows them.
  pub(crate) fn signature(&self) -> String {
    let mut signature = self.name.clone();
    for arg in &self.args {
      match &arg.default {
        None => signature.push_str(&format!(" <{}>", arg.name)),
        Some(default) => signature.push_str(&format!(" [{}={default}]", arg.name)),
      }
    }
    signature
  }

  /// `dev deploy <env> [region=eu] [-- extra words]`.
  pub(crate) fn usage(&self) -> String {
    format!("dev {} [-- extra words]", self.signature())
  }

  /// Hidden from `dev list`: `private: true`, or a name starting with `_` (as in just).
  pub(crate) fn is_private(&self) -> bool {
    self.private || self.name.starts_with('_')
  }
}

impl Checker<'_> {
  pub(super) fn task(
    &self,
    root: &Path,
    name: &Text,
    raw: &Spanned<RawTask>,
    tasks: &HashSet<&str>,
    services: &[&str],
    aliases: &[(&str, &str)],
  ) -> Result<Task> {
    let fields = match &raw.value {
      RawTask::Command(command) => {
        return Ok(Task {
          name: name.value.clone(),
          description: None,
          commands: vec![command.clone()],
          shell: ShellChoice::default(),
          deps: Vec::new(),
          parallel: false,
          cwd: self.directory(root, None),
          env_file: EnvFiles::default(),
          env: Vec::new(),
          env_at: Vec::new(),
          args: Vec::new(),
          aliases: Vec::new(),
          private: false,
          group: None,
          platforms: Vec::new(),
          confirm: None,
          needs: Vec::new(),
          watch: None,
        });
      }
      RawTask::Full(fields) => fields,
    };
    let deps = self.deps(name, &fields.deps, tasks, services, aliases)?;
    for service in &fields.needs {
      self.check_known(service, services, "service")?;
    }
    let env = self.variables(&fields.env.0)?;
    let commands: Vec<String> = fields
      .run
      .as_ref()
      .map(|run| run.0.iter().map(|c| c.value.clone()).collect())
      .unwrap_or_default();
    if commands.is_empty() && fields.deps.is_empty() && fields.needs.is_empty() {
      return Err(
        Error::config(
          format!("task `{}` has neither `run` nor `deps`", name.value),
          Some(self.location(name, name.value.len())),
        )
        .with_hint("add `run: <command>`"),
      );
    }
    let platforms = self.platforms(&fields.platforms.0)?;
    Ok(Task {
      name: name.value.clone(),
      description: fields.description.as_ref().map(|text| text.value.clone()),
      commands,
      // Filled in by `check`, which knows the file's `shell:`.
      shell: ShellChoice::default(),
      deps,
      parallel: fields.parallel.unwrap_or(false),
      cwd: self.directory(root, fields.cwd.as_ref()),
      env_file: self.env_files(root, &fields.env_file),
      env,
      env_at: self.variable_locations(&fields.env.0),
      args: self.task_args(&fields.args.0)?,
      aliases: fields.aliases.0.iter().map(|a| a.value.clone()).collect(),
      private: fields.private.unwrap_or(false),
      group: fields.group.as_ref().map(|text| text.value.clone()),
      platforms,
      confirm: fields.confirm.as_ref().map(|text| text.value.clone()),
      needs: fields.needs.iter().map(|s| s.value.clone()).collect(),
      watch: self.watch(fields.watch.as_ref())?,
    })
  }

  /// `platforms: [linux, macos]`: each one dev knows.
  fn platforms(&self, texts: &[Text]) -> Result<Vec<Platform>> {
    texts
      .iter()
      .map(|text| {
        Platform::parse(text.value.trim())
          .ok_or_else(|| self.unknown(text, "platform", &Platform::NAMES))
      })
      .collect()
  }

  /// `deps:`: tasks (an alias stands for its task), never a service or the task itself.
  fn deps(
    &self,
    name: &Text,
    raw: &[Text],
    tasks: &HashSet<&str>,
    services: &[&str],
    aliases: &[(&str, &str)],
  ) -> Result<Vec<String>> {
    let mut deps = Vec::new();
    for dep in raw {
      if services.contains(&dep.value.as_str()) {
        return Err(
          self
            .at(dep, format!("`{}` is a service, not a task", dep.value))
            .with_hint(format!(
              "`needs: [{}]` starts it (healthy) for the task and stops it after",
              dep.value
            )),
        );
      }
      // An alias stands for its task.
      let task = aliases
        .iter()
        .find(|(alias, _)| *alias == dep.value)
        .map_or(dep.value.as_str(), |(_, task)| task);
      if !tasks.contains(&task) {
        let mut known: Vec<&str> = tasks
          .iter()
          .copied()
          .chain(aliases.iter().map(|(alias, _)| *alias))
          .collect();
        known.sort_unstable();
        self.check_known(dep, &known, "task")?;
      }
      if task == name.value {
        return Err(self.at(dep, format!("task `{}` depends on itself", name.value)));
      }
      deps.push(task.to_owned());
    }
    Ok(deps)
  }

  /// `[env, region=eu]`: names as for variables, each once, required ones first.
  fn task_args(&self, texts: &[Text]) -> Result<Vec<TaskArg>> {
    let mut args: Vec<TaskArg> = Vec::new();
    for text in texts {
      let (name, default) = match text.value.split_once('=') {
        Some((name, default)) => (name.trim(), Some(default.to_owned())),
        None => (text.value.trim(), None),
      };
      let valid = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
      if !valid {
        return Err(
          self
            .at(text, format!("`{name}` is not a valid argument name"))
            .with_hint("write `name` for a required argument or `name=default`"),
        );
      }
      if args.iter().any(|arg| arg.name == name) {
        return Err(self.at(text, format!("argument `{name}` is declared twice")));
      }
      if default.is_none() && args.iter().any(|arg| arg.default.is_some()) {
        return Err(
          self
            .at(
              text,
              format!("required argument `{name}` comes after one with a default"),
            )
            .with_hint("put the arguments without a default first"),
        );
      }
      args.push(TaskArg {
        name: name.to_owned(),
        default,
      });
    }
    Ok(args)
  }

  /// Aliases share the one namespace of services, tasks and dev's own commands.
  pub(super) fn check_aliases(
    &self,
    raw: &RawFile,
    names: &mut HashSet<String>,
    services: &[&str],
  ) -> Result<()> {
    for (task, raw_task) in &raw.tasks.0 {
      let RawTask::Full(fields) = &raw_task.value else {
        continue;
      };
      for alias in &fields.aliases.0 {
        let value = alias.value.as_str();
        if !value.is_empty() && !value.contains(char::is_whitespace) {
          self.check_clash(alias, "alias", services)?;
        }
        let problem = if value.is_empty() || value.contains(char::is_whitespace) {
          Some(format!(
            "alias `{value}` of task `{}` is not a name",
            task.value
          ))
        } else if !names.insert(value.to_owned()) {
          Some(format!(
            "alias `{value}` is already the name of a service, task or alias"
          ))
        } else {
          None
        };
        if let Some(problem) = problem {
          return Err(self.at(alias, problem).with_hint("choose another alias"));
        }
      }
    }
    Ok(())
  }
}
