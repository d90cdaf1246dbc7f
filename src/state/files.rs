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

/// The keys every `dev` since the first has written into a state file, `null` or not. Serde
/// would read a missing `Option` as `None`, so a near-empty object of the user's (`{"service":
/// "api"}`) would pass for state; requiring each key by name does not let it.
const ALWAYS_WRITTEN: [&str; 10] = [
  "service",
  "keeper",
  "process",
  "pgid",
  "token",
  "port",
  "command",
  "log",
  "started_at",
  "supervisor",
];

/// The state at `path` when it is the one `dev` wrote for `service`.
pub(super) fn read_own(path: &Path, service: &str) -> Option<ServiceState> {
  let text = fs::read_to_string(path).ok()?;
  let value = serde_json::from_str::<serde_json::Value>(&text).ok()?;
  let object = value.as_object()?;
  if !ALWAYS_WRITTEN.iter().all(|key| object.contains_key(*key)) {
    return None;
  }
  serde_json::from_value::<ServiceState>(value)
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

/// Removes `path` only when it is the state `dev` wrote for `service`.
pub(super) fn remove_state_if_own(path: &Path, service: &str) {
  if read_own(path, service).is_some() {
    let _ = fs::remove_file(path);
  }
}
