//! `env_file:` of the task file — one file or a list, at the top level (every service and
//! task), per service and per task; later files win, and a variable the shell already sets
//! wins over them all (python-dotenv's `load_dotenv()` and compose). The format is
//! `dotenv.rs`.
//!
//! The files are read when something starts (not when the task file is loaded), so that a
//! missing `.env` never stops `dev stop` or `dev status`.

use std::{path::PathBuf, sync::Arc};

use super::dotenv::parse_env_file;
use crate::{
  config::source::{Location, Source, display_path},
  error::{Error, Result},
};

/// An `env_file:` of the task file: where it is, and where the task file names it.
#[derive(Clone, Debug)]
pub(crate) struct EnvFile {
  pub(crate) path: PathBuf,
  pub(crate) named_at: Location,
}

/// The files one `env_file:` names, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct EnvFiles(pub(crate) Vec<EnvFile>);

impl EnvFiles {
  /// The variables they set that the shell does not, later files after earlier ones (so
  /// that, applied in order, a later file wins).
  pub(crate) fn load(&self) -> Result<Vec<(String, String)>> {
    let mut env = Vec::new();
    for file in &self.0 {
      env.extend(file.load()?);
    }
    Ok(env)
  }
}

impl EnvFile {
  /// Reads and parses it; errors point into the `.env` file itself. Variables the shell
  /// sets are left out: the process inherits them as they are.
  pub(crate) fn load(&self) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(&self.path).map_err(|error| Error::Config {
      message: format!(
        "cannot read env file `{}`: {error}",
        display_path(&self.path)
      ),
      location: Some(self.named_at.clone()),
      hint: Some("`env_file:` is relative to the directory of devtasks.yaml".into()),
    })?;
    let shell = |name: &str| std::env::var(name).ok();
    let pairs = parse_env_file(&text, &shell).map_err(|problem| {
      let source = Arc::new(Source {
        path: self.path.clone(),
        text,
      });
      Error::Config {
        message: problem.message,
        location: Some(Location::new(&source, problem.line, problem.column, 1)),
        hint: Some(format!("read through `env_file:` at {}", self.named_at)),
      }
    })?;
    Ok(
      pairs
        .into_iter()
        .filter(|(key, _)| std::env::var_os(key).is_none())
        .collect(),
    )
  }
}
