//! The words after a task's name: its named `args:` first, the rest (after `--`) for "$@".

use crate::{
  config::Task,
  error::{Error, Result},
};

/// A task's arguments as given on the command line.
#[derive(Debug, Default)]
pub(crate) struct Bound {
  /// Every declared argument with its value (given or default).
  pub(crate) values: Vec<(String, String)>,
  /// Words passed through to the commands as "$@".
  pub(crate) extra: Vec<String>,
}

/// `dev deploy prod -- --verbose`: `env=prod`, extra `--verbose`. A task without `args:`
/// passes every word through.
pub(crate) fn bind(task: &Task, words: &[String]) -> Result<Bound> {
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
        positional.join(" ")
      ),
      usage: task.usage(),
    });
  }
  let mut values = Vec::new();
  for (index, arg) in task.args.iter().enumerate() {
    let value = match (positional.get(index), &arg.default) {
      (Some(word), _) => word.clone(),
      (None, Some(default)) => default.clone(),
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
