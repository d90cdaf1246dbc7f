//! The names `dev <name>` may mean: services, tasks and aliases share one namespace, none
//! may be a command derived from a service (`api-logs` beside `api`), and a reference to a
//! name must name one that exists (with "did you mean" when it does not). A name may be a
//! built-in's (`ui`, `init`, `logs`): bare `dev ui` is the built-in, the service is
//! `dev up ui` / `dev ui-logs`, the task `dev run init` (`dev list` says so).

use crate::config::Location;
use std::collections::HashSet;

use super::{
  Checker,
  raw::{RawFile, RawTask, Text},
};
use crate::{
  error::{Error, Result},
  ui::suggestion::{list, suggest},
};

/// Commands of `dev` itself. A bare `dev <name>` always means these, so that a new one
/// never breaks a task file; a service or task may still take such a name (`ui` is a
/// common frontend), and is reached as `dev up ui`, `dev ui-logs`, `dev run init`.
pub(crate) const BUILTIN_COMMANDS: [&str; 27] = [
  "up",
  "mcp",
  "config",
  "ps",
  "wait",
  "env",
  "run",
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
  "export",
  "completions",
  "man",
  "ui",
  "__names",
  "__keep",
  "__complete",
  "__guard",
  "__proxy",
];

/// The per-service commands derived from a service name: `backend-stop` and friends.
pub(crate) const DERIVED_SUFFIXES: [&str; 5] = ["stop", "restart", "force", "status", "logs"];

impl Checker<'_> {
  /// "unknown {what} `x`", with the closest known word as a hint, else all of them.
  pub(super) fn unknown(&self, text: &Text, what: &str, known: &[&str]) -> Error {
    let value = text.value.trim();
    let hint = match suggest(value, known.iter().copied()) {
      Some(name) => format!("Did you mean `{name}`?"),
      None => {
        let known: Vec<String> = known.iter().map(|word| (*word).to_owned()).collect();
        format!("use one of {}", list(&known))
      }
    };
    self
      .at(text, format!("unknown {what} `{value}`"))
      .with_hint(hint)
  }

  /// A name the command line takes as one word: ASCII letters and digits, `-`, `_`, `.`,
  /// and no leading `-` (it would be read as an option).
  pub(super) fn check_word(&self, text: &Text, value: &str, kind: &str) -> Result<()> {
    if value.is_empty()
      || value.starts_with('-')
      || !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
      return Err(self.at(
        text,
        format!(
          "{kind} name `{value}` may only contain ASCII letters and digits, `-`, `_` and `.`, and may not start with `-`"
        ),
      ));
    }
    Ok(())
  }

  pub(super) fn check_name(
    &self,
    name: &Text,
    kind: &str,
    seen: &mut HashSet<String>,
    services: &[&str],
  ) -> Result<()> {
    let value = &name.value;
    self.check_word(name, value, kind)?;
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

  /// One rule for every name `dev <name>` may mean: not a command derived from a service
  /// (`api-logs` when there is an `api`), or `dev api-logs` would mean two things.
  pub(super) fn check_clash(&self, name: &Text, kind: &str, services: &[&str]) -> Result<()> {
    let value = name.value.as_str();
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

  pub(super) fn check_known(&self, name: &Text, known: &[&str], kind: &str) -> Result<()> {
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

  /// `env:`, every name a valid variable name.
  pub(super) fn variables(&self, raw: &[(Text, Text)]) -> Result<Vec<(String, String)>> {
    let mut env = Vec::new();
    for (key, value) in raw {
      self.check_variable_name(key)?;
      env.push((key.value.clone(), value.value.clone()));
    }
    Ok(env)
  }

  /// Where each value of `variables` is written: an error found when it is expanded (an
  /// unset `${VAR:?}`) points there.
  pub(super) fn variable_locations(&self, raw: &[(Text, Text)]) -> Vec<Location> {
    raw
      .iter()
      .map(|(_, value)| self.at_location(value))
      .collect()
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
}

/// The names of a `services:` or `tasks:` section, in file order.
pub(super) fn names_of<V>(section: &[(Text, V)]) -> Vec<&str> {
  section
    .iter()
    .map(|(name, _)| name.value.as_str())
    .collect()
}

/// Every task alias, with the task it stands for.
pub(super) fn aliases(raw: &RawFile) -> Vec<(&str, &str)> {
  raw
    .tasks
    .0
    .iter()
    .flat_map(|(name, task)| match &task.value {
      RawTask::Full(fields) => fields
        .aliases
        .0
        .iter()
        .map(|alias| (alias.value.as_str(), name.value.as_str()))
        .collect(),
      RawTask::Command(_) => Vec::new(),
    })
    .collect()
}
