//! What the shell gets for one command of a task: the script with `${svc.port}` filled in
//! and `"$@"` placed, the task's arguments as variables, the extra words after `--`.

use std::ffi::OsString;

use super::{arguments::Value, runner::Runner};
use crate::{
  config::{Task, interpolate},
  error::{Error, Result},
  plan::port_reference,
  shell::{self, Placement},
  ui::format::shell_quote,
};

impl Runner<'_> {
  /// The script the shell gets for one command: `${svc.port}` filled in (a port is a
  /// number: nothing to quote), and, when extra words were given, `"$@"` after its one
  /// command unless it places them itself. Arguments and extra words are never pasted
  /// into it: they reach the shell as variables and positional parameters.
  pub(crate) fn script(&self, task: &Task, command: &str) -> Result<String> {
    let script = interpolate::expand_references(command, &port_reference(&self.ports));
    let words = self.words(task);
    if words.is_empty() {
      return Ok(script);
    }
    // Several commands: the words go where a command says (`"$@"`), never after each one
    // (`[npm run build, npm test]` would hand `--watch` to the build too).
    let several = task.commands.len() > 1;
    let placed_somewhere = || {
      task.commands.iter().any(|command| {
        let script = interpolate::expand_references(command, &port_reference(&self.ports));
        shell::place_words(&script) == Placement::Itself
      })
    };
    let placement = match shell::place_words(&script) {
      Placement::At(_) if several && placed_somewhere() => return Ok(script),
      Placement::At(_) if several => Placement::Nowhere(format!(
        "it is one of {} commands and none of them says where they go",
        task.commands.len()
      )),
      placement => placement,
    };
    match placement {
      Placement::Itself => Ok(script),
      Placement::At(at) => Ok(format!("{} \"$@\"{}", &script[..at], &script[at..])),
      Placement::Nowhere(why) => {
        let words: Vec<String> = words
          .iter()
          .map(|word| shell_quote(&word.to_string_lossy()))
          .collect();
        Err(Error::Usage {
          message: format!(
            "task `{}` was given extra words ({}), and `{}` has no one place for them: {why}; put \"$@\" in its `run:` where they go, or declare them with `args:`",
            task.name,
            words.join(" "),
            command.trim()
          ),
          usage: task.usage(),
        })
      }
    }
  }

  /// The task's arguments as shell variables: given ones for the task named on the command
  /// line, defaults for a dep (run_task made sure it has them all). A default's
  /// `${svc.port}` is filled in; a given word is passed as it is.
  pub(crate) fn arguments(&self, task: &Task) -> Vec<(String, OsString)> {
    let values: Vec<(String, Value)> = if task.name == self.invoked.name {
      self.bound.values.clone()
    } else {
      task
        .args
        .iter()
        .filter_map(|arg| Some((arg.name.clone(), Value::Default(arg.default.clone()?))))
        .collect()
    };
    let reference = port_reference(&self.ports);
    values
      .into_iter()
      .map(|(name, value)| match value {
        Value::Given(word) => (name, word),
        Value::Default(text) => (
          name,
          interpolate::expand_references(&text, &reference).into(),
        ),
      })
      .collect()
  }

  /// The words after `--` (only the task named on the command line gets them).
  pub(crate) fn words(&self, task: &Task) -> &[OsString] {
    if task.name == self.invoked.name {
      &self.bound.extra
    } else {
      &[]
    }
  }

  /// `  # env=prod region=eu, "$@" = -k slow`: what the shell gets besides the script.
  pub(crate) fn given(&self, task: &Task) -> String {
    let mut parts: Vec<String> = self
      .arguments(task)
      .iter()
      .map(|(name, value)| format!("{name}={}", shell_quote(&value.to_string_lossy())))
      .collect();
    let words = self.words(task);
    if !words.is_empty() {
      let quoted: Vec<String> = words
        .iter()
        .map(|word| shell_quote(&word.to_string_lossy()))
        .collect();
      parts.push(format!("\"$@\" = {}", quoted.join(" ")));
    }
    if parts.is_empty() {
      String::new()
    } else {
      format!("  # {}", parts.join(", "))
    }
  }
}
