//! `dev stop` and `dev status` without a readable task file (a `git checkout` that removed
//! it, a half-typed edit): what runs is known from the state alone, and "stop always works".

use std::path::{Path, PathBuf};

use super::Project;
use crate::{
  config::{Config, FILE_NAMES},
  error::Error,
  state::{StateDir, state_dir_of},
  ui::{color::Color, output::Reporter},
};

impl Project {
  /// The project whose task file could not be read (`error`), with no services or tasks
  /// but its state; `None` when there is no state to act on either.
  pub(crate) fn from_state(
    file: Option<&Path>,
    error: &Error,
    color: Color,
    report: Reporter,
  ) -> Option<Self> {
    let root = root_of(file).filter(|root| has_state(root))?;
    report.warning(&format!(
      "could not read the task file ({error}); acting on what runs, from the state in {}",
      state_dir_of(&root).display()
    ));
    let path = root.join(FILE_NAMES[0]);
    let mut project = Self::new(Config::without_tasks(path, root), color, report);
    project.task_file_read = false;
    Some(project)
  }
}

/// True when `dev` has recorded something in `root`: a state directory, state an older
/// `dev` left in `.dev/`, or a service running for it by the machine's ledger.
fn has_state(root: &Path) -> bool {
  let state = state_dir_of(root);
  state.is_dir()
    || !StateDir::new(state, None).services().is_empty()
    || !super::running_in_ledger(super::ProjectId::of(root)).is_empty()
}

/// The directory of the task file, wherever it is and whatever is in it; without one, the
/// nearest directory (from here up) that has state of `dev`'s.
fn root_of(file: Option<&Path>) -> Option<PathBuf> {
  if let Some(file) = file {
    return std::path::absolute(file)
      .ok()?
      .parent()
      .map(Path::to_path_buf);
  }
  let cwd = std::env::current_dir().ok()?;
  match Config::find(&cwd) {
    Ok(path) | Err(Error::ConfigRead { path, .. }) => path.parent().map(Path::to_path_buf),
    Err(_) => cwd
      .ancestors()
      .find(|dir| has_state(dir))
      .map(Path::to_path_buf),
  }
}
