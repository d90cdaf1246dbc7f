//! What a file of `dev`'s is called and how it is told from a user's: the names per service
//! in `.dev/state/`, and "this parses as what `dev` wrote for that service", the one test
//! before anything is read as state, moved or deleted.

use std::{
  fs,
  path::{Path, PathBuf},
};

use super::ServiceState;

const STATE_SUFFIX: &str = ".state.json";

pub(super) fn state_file(dir: &Path, service: &str) -> PathBuf {
  dir.join(format!("{service}{STATE_SUFFIX}"))
}

/// The service whose state file `name` is.
pub(super) fn service_of_state_file(name: &str) -> Option<&str> {
  name.strip_suffix(STATE_SUFFIX)
}

pub(super) fn spec_file(dir: &Path, service: &str) -> PathBuf {
  dir.join(format!("{service}.spec.json"))
}

/// The state at `path` when it is the one `dev` wrote for `service`.
pub(super) fn read_own(path: &Path, service: &str) -> Option<ServiceState> {
  let text = fs::read_to_string(path).ok()?;
  serde_json::from_str::<ServiceState>(&text)
    .ok()
    .filter(|state| state.service == service)
}

/// True when `path` holds a JSON object `dev` wrote for `service` (a state or a spec).
pub(super) fn is_own(path: &Path, service: &str) -> bool {
  fs::read(path)
    .ok()
    .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
    .is_some_and(|value| value.get("service").and_then(|v| v.as_str()) == Some(service))
}

/// Removes `path` only when it is `dev`'s own file for `service`.
pub(super) fn remove_if_own(path: &Path, service: &str) {
  if is_own(path, service) {
    let _ = fs::remove_file(path);
  }
}
