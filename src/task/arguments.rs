//! The words after a task's name: its named `args:` first, the rest (after `--`) for "$@".

use std::ffi::OsString;

use crate::{
  config::Task,
  error::{Error, Result},
};

/// A task's arguments as given on the command line: bytes, as the shell would pass them
/// (a file name need not be UTF-8).
#[derive(Debug, Default)]
pub(crate) struct Bound {
  /// Every declared argument with its value (given or default).
  pub(crate) values: Vec<(String, Value)>,
  /// Words passed through to the commands as "$@".
  pub(crate) extra: Vec<OsString>,
}

/// An argument's value: a word from the command line is a value, never read by `dev`; a
/// default comes from the task file and may hold `${svc.port}`.
#[derive(Clone, Debug)]
pub(crate) enum Value {
  Given(OsString),
  Default(String),
}

/// `dev deploy prod -- --verbose`: `env=prod`, extra `--verbose`. A task without `args:`
/// passes every word through.
pub(crate) fn bind(task: &Task, words: &[OsString]) -> Result<Bound> {
  let (positional, extra) = match words.iter().position(|word| word == "--") {
    Some(split) => (&words[..split], &words[split + 1..]),
    None => (words, &[][..]),
  };
  if task.args.is_empty() {
    return Ok(Bound {
      values: Vec::new(),
      extra: positional.iter().chain(extra).cloned().collect(),
    });
  }
  if positional.len() > task.args.len() {
    return Err(Error::Usage {
      message: format!(
        "task `{}` takes at most {} but got {}: {}",
        task.name,
        crate::ui::format::count(task.args.len(), "argument", "arguments"),
        positional.len(),
        positional
          .iter()
          .map(|word| word.to_string_lossy())
          .collect::<Vec<_>>()
          .join(" ")
      ),
      usage: task.usage(),
    });
  }
  let mut values = Vec::new();
  for (index, arg) in task.args.iter().enumerate() {
    let value = match (positional.get(index), &arg.default) {
      (Some(word), _) => Value::Given(word.clone()),
      (None, Some(default)) => Value::Default(default.clone()),
      (None, None) => {
        return Err(Error::Usage {
          message: format!("task `{}` needs its argument `{}`", task.name, arg.name),
          usage: task.usage(),
        });
      }
    };
    values.push((arg.name.clone(), value));
  }
  Ok(Bound {
    values,
    extra: extra.to_vec(),
  })
}
