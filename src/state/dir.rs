//! `.dev/state/`: the one directory inside `.dev/` that is `dev`'s own. Teams keep files of
//! their own in `.dev/` (a local `config.json`); `dev` never reads, hides or deletes them.
//! Here, per service: `<name>.state.json` (written atomically), `<name>.spec.json` (the
//! keeper's spec) and `<name>.lock` (held by its keeper for as long as it lives). The three
//! suffixes end differently and a temporary file ends in its writer's pid, so no legal
//! service name's files collide with another's. A file is removed only when it parses as
//! the very file `dev` wrote for that service.

use std::{
  fs::{self, File, OpenOptions},
  path::{Path, PathBuf},
};

use super::{
  ServiceState,
  files::{read_own, remove_state_if_own, service_of_state_file, spec_file, state_file},
  legacy, write_atomically,
};
use crate::{
  error::{Error, Result},
  sys::DirectoryId,
};

/// Where a project's state lives: `<root>/.dev/state`.
pub(crate) fn state_dir_of(root: &Path) -> PathBuf {
  root.join(".dev").join("state")
}

/// The `.dev/state/` directory of a project.
#[derive(Clone, Debug)]
pub(crate) struct StateDir {
  pub(crate) path: PathBuf,
  /// The project it belongs to: state recorded by another project (the original of a
  /// `cp -r` copy) is not this one's. `None` for a keeper, which trusts its own directory.
  project: Option<DirectoryId>,
}

impl StateDir {
  pub(crate) fn new(path: PathBuf, project: Option<DirectoryId>) -> Self {
    Self { path, project }
  }

  /// Creates `.dev/state/` with a `.gitignore` inside it, so that `dev`'s files never land
  /// in a commit while the rest of `.dev/` stays the user's; moves what an older `dev` left
  /// straight in `.dev/` in here.
  pub(crate) fn ensure(&self) -> Result<()> {
    fs::create_dir_all(&self.path).map_err(Error::io(format!(
      "cannot create `{}`",
      self.path.display()
    )))?;
    let ignore = self.path.join(".gitignore");
    if !ignore.exists() {
      fs::write(&ignore, "*\n")
        .map_err(Error::io(format!("cannot write `{}`", ignore.display())))?;
    }
    legacy::migrate(&self.path);
    Ok(())
  }

  pub(crate) fn state_path(&self, service: &str) -> PathBuf {
    state_file(&self.path, service)
  }

  /// Where a start writes the service's spec.
  pub(crate) fn spec_path(&self, service: &str) -> PathBuf {
    spec_file(&self.path, service)
  }

  /// Where the service's spec is read from: here, else where an older `dev` wrote it.
  pub(crate) fn spec_to_read(&self, service: &str) -> PathBuf {
    let path = self.spec_path(service);
    if path.exists() {
      return path;
    }
    legacy::spec_path(&self.path, service).unwrap_or(path)
  }

  pub(crate) fn lock_path(&self, service: &str) -> PathBuf {
    self.path.join(format!("{service}.lock"))
  }

  /// The service's state, if any (here, else where an older `dev` wrote it). A file that
  /// cannot be parsed is left alone and proves nothing. One that another project recorded
  /// is ignored, never deleted: a copy of a project carries the original's state, whose
  /// services are the original's, not the copy's, and the file is not this project's to drop.
  pub(crate) fn read(&self, service: &str) -> Option<ServiceState> {
    let state =
      read_own(&self.state_path(service), service).or_else(|| legacy::read(&self.path, service))?;
    (!self.is_foreign(&state)).then_some(state)
  }

  fn is_foreign(&self, state: &ServiceState) -> bool {
    self
      .project
      .is_some_and(|here| state.project.is_known() && state.project != here)
  }

  /// The state names as its root a directory that is another project now (not gone, not
  /// this one): whatever it says, that file is not this project's to delete.
  fn names_another_root(&self, state: &ServiceState) -> bool {
    let Some(here) = self.project else {
      return false;
    };
    let there = DirectoryId::of(&state.root);
    there.is_known() && there != here
  }

  /// Every service with a state file, whatever the task file says now (a renamed or removed
  /// service still runs until stopped).
  pub(crate) fn services(&self) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(&self.path)
      .into_iter()
      .flatten()
      .flatten()
      .filter_map(|entry| {
        let name = service_of_state_file(entry.file_name().to_str()?)?.to_owned();
        read_own(&entry.path(), &name).map(|_| name)
      })
      .chain(legacy::services(&self.path))
      .filter(|name| self.read(name).is_some())
      .collect();
    names.sort();
    names.dedup();
    names
  }

  pub(crate) fn write(&self, state: &ServiceState) -> Result<()> {
    write_atomically(
      &self.state_path(&state.service),
      &serde_json::to_vec_pretty(state).unwrap_or_default(),
    )
  }

  /// Removes the service's state, here and where an older `dev` wrote it.
  pub(crate) fn remove(&self, service: &str) {
    let recorded =
      read_own(&self.state_path(service), service).or_else(|| legacy::read(&self.path, service));
    if recorded.is_some_and(|state| self.is_foreign(&state) || self.names_another_root(&state)) {
      return;
    }
    remove_state_if_own(&self.state_path(service), service);
    legacy::remove(&self.path, service);
  }

  pub(crate) fn write_spec(&self, service: &str, spec: &[u8]) -> Result<()> {
    write_atomically(&self.spec_path(service), spec)
  }

  /// Takes the service's lock without waiting. The lock lives as long as the returned file:
  /// the keeper holds it for its whole life, so "locked" means "a keeper runs this service".
  pub(crate) fn try_lock(&self, service: &str) -> Result<Option<File>> {
    let path = self.lock_path(service);
    let file = OpenOptions::new()
      .create(true)
      .truncate(false)
      .write(true)
      .open(&path)
      .map_err(Error::io(format!("cannot open `{}`", path.display())))?;
    match file.try_lock() {
      Ok(()) => Ok(Some(file)),
      Err(std::fs::TryLockError::WouldBlock) => Ok(None),
      Err(std::fs::TryLockError::Error(error)) => Err(Error::io(format!(
        "cannot lock `{}`",
        path.display()
      ))(error)),
    }
  }
}
