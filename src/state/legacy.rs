//! The layout of `dev` before `.dev/state/`: `<name>.json`, `<name>.spec.json` and
//! `<name>.lock` straight in `.dev/`, next to the user's own files, under a `.gitignore`
//! of `*` that hid those too. A file there counts as `dev`'s only when it parses as what
//! `dev` wrote for the service its name says; nothing else is read, moved or deleted.
//!
//! A keeper of an older `dev` still writes its state there while it runs: such state is
//! read where it is; the rest moves into `.dev/state/` at the next start.

use std::{
  fs,
  path::{Path, PathBuf},
};

use super::{
  ServiceState,
  files::{is_own, read_own, remove_state_if_own, spec_file, state_file},
};

/// `.dev/`, the parent of `.dev/state/`.
fn dir(state: &Path) -> Option<&Path> {
  state.parent()
}

fn state_path(state: &Path, service: &str) -> Option<PathBuf> {
  Some(dir(state)?.join(format!("{service}.json")))
}

pub(super) fn read(state: &Path, service: &str) -> Option<ServiceState> {
  read_own(&state_path(state, service)?, service)
}

/// The services an older `dev` recorded in `.dev/`.
pub(super) fn services(state: &Path) -> Vec<String> {
  let Some(dir) = dir(state) else {
    return Vec::new();
  };
  fs::read_dir(dir)
    .into_iter()
    .flatten()
    .flatten()
    .filter_map(|entry| {
      let name = entry
        .file_name()
        .to_str()?
        .strip_suffix(".json")?
        .to_owned();
      read_own(&entry.path(), &name).map(|_| name)
    })
    .collect()
}

pub(super) fn remove(state: &Path, service: &str) {
  if let Some(path) = state_path(state, service) {
    remove_state_if_own(&path, service);
  }
}

pub(super) fn spec_path(state: &Path, service: &str) -> Option<PathBuf> {
  let path = dir(state)?.join(format!("{service}.spec.json"));
  is_own(&path, service).then_some(path)
}

/// Moves what an older `dev` left in `.dev/` into `.dev/state/`: the state and spec of each
/// service whose keeper is gone (a live one still writes where it always did) with its lock
/// (empty and no longer held), then the `.gitignore` of `*` once nothing of `dev`'s is left
/// beside the user's files.
pub(super) fn migrate(state: &Path) {
  let Some(dir) = dir(state) else {
    return;
  };
  let (mut kept, mut moved) = (false, false);
  for service in services(state) {
    match read(state, &service) {
      Some(old) if old.keeper.is_alive() => kept = true,
      _ => {
        move_into(
          &dir.join(format!("{service}.json")),
          &state_file(state, &service),
        );
        moved = true;
      }
    }
  }
  for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
    let file = entry.file_name();
    let Some(service) = file
      .to_str()
      .and_then(|name| name.strip_suffix(".spec.json"))
    else {
      continue;
    };
    if read(state, service).is_some() || !is_own(&entry.path(), service) {
      continue;
    }
    move_into(&entry.path(), &spec_file(state, service));
    moved = true;
    let lock = dir.join(format!("{service}.lock"));
    if is_free_empty_lock(&lock) {
      let _ = fs::remove_file(lock);
    }
  }
  let ignore = dir.join(".gitignore");
  if moved && !kept && fs::read_to_string(&ignore).is_ok_and(|text| text == "*\n") {
    let _ = fs::remove_file(ignore);
  }
}

/// Moves `from` to `to` unless `to` is there already (a newer file wins); the old one goes.
fn move_into(from: &Path, to: &Path) {
  if to.exists() {
    let _ = fs::remove_file(from);
  } else {
    let _ = fs::rename(from, to);
  }
}

/// An empty file that nobody holds locked: an older keeper's lock, left after it ended.
fn is_free_empty_lock(path: &Path) -> bool {
  let Ok(file) = fs::OpenOptions::new().write(true).open(path) else {
    return false;
  };
  file
    .metadata()
    .is_ok_and(|meta| meta.is_file() && meta.len() == 0)
    && file.try_lock().is_ok()
}
