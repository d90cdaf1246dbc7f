//! The keeper's instructions for one service, as `dev` writes them to
//! `.dev/state/<svc>.spec.json` before a start or a restart (a restart re-reads them, so edits to
//! devtasks.yaml take effect), with everything already resolved: ports, environment, probes.

use std::{fs, io, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::{
  config::{Health, LogSettings, RestartPolicy},
  error::{Error, Result},
  shell::ShellKind,
  state::StateDir,
  supervise::watch::WatchSpec,
  sys::{DirectoryId, ProcessId},
};

/// Everything a keeper needs, written to `.dev/state/<svc>.spec.json` by whoever starts or
/// restarts the service (a restart re-reads it, so edits to devtasks.yaml take effect).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct KeeperSpec {
  pub(crate) service: String,
  /// The project's root when the service was started, and what identifies it.
  #[serde(default)]
  pub(crate) root: PathBuf,
  #[serde(default)]
  pub(crate) project: DirectoryId,
  pub(crate) command: String,
  /// What `command` and an `exec` probe go to (this OS's default in a spec written before
  /// `shell:` existed).
  #[serde(default)]
  pub(crate) shell: ShellKind,
  pub(crate) cwd: PathBuf,
  pub(crate) env: Vec<(String, String)>,
  pub(crate) log: PathBuf,
  /// The primary port (`$PORT`).
  pub(crate) port: Option<u16>,
  /// Every port by name, the primary first: `[("port", 8000), ("ws", 8081)]`.
  #[serde(default)]
  pub(crate) ports: Vec<(String, u16)>,
  pub(crate) stop_signal: String,
  pub(crate) grace_ms: u64,
  #[serde(default)]
  pub(crate) restart: RestartPolicy,
  /// Rotation, timestamps and colors of the log file.
  #[serde(default)]
  pub(crate) log_settings: LogSettings,
  /// Probed while the service runs, with ports already resolved.
  #[serde(default)]
  pub(crate) liveness: Option<Health>,
  /// Its readiness probe, resolved: awaited after a restart on a change.
  #[serde(default)]
  pub(crate) readiness: Option<Health>,
  /// Restart on change.
  #[serde(default)]
  pub(crate) watch: Option<WatchSpec>,
  /// `dev up --watch` (`Some(true)`) or `--no-watch`: kept across restarts, whatever the
  /// task file says then.
  #[serde(default)]
  pub(crate) watch_override: Option<bool>,
  /// The services that depend on it, in start order: restarted after a change restarts it.
  #[serde(default)]
  pub(crate) dependents: Vec<String>,
  /// The foreground `dev` this keeper reports to; `None` when detached.
  pub(crate) supervisor: Option<ProcessId>,
  /// The `dev` whose death ends this keeper (and the service, gracefully) without being
  /// its supervisor: a task's `dev`, for the `needs:` it started for itself.
  #[serde(default)]
  pub(crate) dies_with: Option<ProcessId>,
  /// Where that `dev` shows the output: a file never has lines skipped.
  #[serde(default)]
  pub(crate) view: View,
  /// The proxy's port when `${svc.url}` was resolved: a run started after the proxy came
  /// back on another port gets the names with the port it has now.
  #[serde(default)]
  pub(crate) proxy_port: Option<u16>,
}

/// What the foreground `dev`'s stdout is, which decides whether a line may be skipped
/// when it falls behind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum View {
  /// A terminal or a pipe: lines are skipped (and counted) only while its reader is stuck.
  #[default]
  Reader,
  /// A regular file or /dev/null: it always drains, so every line is shown.
  File,
}

impl KeeperSpec {
  /// Whether its keeper restarts the service on a change: `up --watch` / `--no-watch` win
  /// over the task file.
  pub(crate) fn watches(&self) -> bool {
    self.watch_override.unwrap_or(self.watch.is_some())
  }

  /// The variables `dev` sets for the service, which PowerShell reads as `$env:NAME`.
  pub(crate) fn variable_names(&self) -> Vec<&str> {
    self.env.iter().map(|(name, _)| name.as_str()).collect()
  }

  /// The spec a service was (or is about to be) started with.
  pub(crate) fn read(state_dir: &StateDir, service: &str) -> Result<Self> {
    let path = state_dir.spec_to_read(service);
    let text =
      fs::read_to_string(&path).map_err(Error::io(format!("cannot read `{}`", path.display())))?;
    serde_json::from_str(&text).map_err(|error| Error::Io {
      context: format!("`{}` is corrupt", path.display()),
      source: io::Error::new(io::ErrorKind::InvalidData, error),
    })
  }
}
