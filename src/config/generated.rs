//! A task file `dev` wrote itself, from a Procfile: its mistakes point at the Procfile's
//! line, not at a line of YAML the user never saw.

use std::{path::PathBuf, sync::Arc};

use super::{
  Config,
  source::{Location, Source},
};
use crate::error::{Error, Result};

impl Config {
  /// Reads `yaml`, generated from the Procfile at `path` (whose text is `procfile`).
  pub(crate) fn from_procfile(path: PathBuf, procfile: &str, yaml: String) -> Result<Self> {
    let generated = yaml.clone();
    Config::parse(path.clone(), yaml).map_err(|error| match error {
      Error::Config {
        message,
        location,
        hint,
      } => {
        let source = Arc::new(Source {
          path,
          text: procfile.to_owned(),
        });
        let location = location.and_then(|at| in_procfile(&generated, at.line, &source));
        Error::Config {
          message: format!("{message} (in the task file `dev` made of the Procfile)"),
          location,
          hint: hint.or_else(|| Some("`dev init` writes it as devtasks.yaml, to edit".into())),
        }
      }
      other => other,
    })
  }
}

/// The Procfile line of the process whose service holds line `line` of the generated YAML
/// (`  web:` starts each one), pointing at the process's name.
fn in_procfile(generated: &str, line: usize, procfile: &Arc<Source>) -> Option<Location> {
  let name = generated
    .lines()
    .take(line)
    .filter_map(|text| {
      let name = text.strip_prefix("  ")?.strip_suffix(':')?;
      (!name.starts_with(' ')).then_some(name)
    })
    .last()?;
  let (index, text) = procfile.text.lines().enumerate().find(|(_, text)| {
    !text.trim_start().starts_with('#')
      && text
        .split_once(':')
        .is_some_and(|(first, _)| first.trim() == name)
  })?;
  let column = text.find(name)? + 1;
  Some(Location::new(procfile, index + 1, column, name.len()))
}
