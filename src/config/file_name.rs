//! Which task file a directory has: `devtasks.yaml` or `devtasks.yml`, never both.

use std::path::{Path, PathBuf};

use super::{FILE_NAMES, source::display_path};
use crate::error::{Error, Result};

/// `found`, unless the other name is there too: which one `dev` reads must not depend on
/// an order the user never sees.
pub(super) fn only_one(directory: &Path, found: PathBuf) -> Result<PathBuf> {
  let others: Vec<PathBuf> = FILE_NAMES
    .iter()
    .map(|name| directory.join(name))
    .filter(|other| *other != found && other.is_file())
    .collect();
  let Some(other) = others.first() else {
    return Ok(found);
  };
  Err(Error::Config {
    message: format!(
      "both {} and {} exist; dev reads one task file per directory",
      display_path(&found),
      display_path(other)
    ),
    location: None,
    hint: Some("merge them into one and remove the other".into()),
  })
}
