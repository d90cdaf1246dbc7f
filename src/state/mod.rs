//! What `dev` records about a started service (`ServiceState`) and what it means once
//! checked against the live system. Nothing read back is trusted: a pid counts only while
//! its start time and boot id still match. Where it is kept: `dir.rs`.

mod dir;
mod files;
mod legacy;

pub(crate) use dir::{StateDir, state_dir_of};

use std::{
  fs::{self, File},
  io::Write,
  path::{Path, PathBuf},
  time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};

use crate::{
  error::{Error, Result},
  sys::{self, DirectoryId, ExitStatus, Pid, ProcessId},
};

/// What `dev` knows about one started service.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ServiceState {
  pub(crate) service: String,
  /// The project's root when the service was started (it may have moved since), and what
  /// identifies the project.
  #[serde(default)]
  pub(crate) root: PathBuf,
  #[serde(default)]
  pub(crate) project: DirectoryId,
  /// The `dev __keep` process that owns the service's process tree.
  pub(crate) keeper: ProcessId,
  /// The service's main process (`sh -c <run>`), leader of its process group.
  pub(crate) process: Option<ProcessId>,
  pub(crate) pgid: Option<Pid>,
  /// Inherited by every process of the service as `DEV_INSTANCE`; finds escaped survivors.
  pub(crate) token: String,
  pub(crate) port: Option<u16>,
  /// Every port by name, the primary first.
  #[serde(default)]
  pub(crate) ports: Vec<(String, u16)>,
  pub(crate) command: String,
  pub(crate) log: PathBuf,
  /// Unix seconds when the current process started.
  pub(crate) started_at: u64,
  /// The same, to the millisecond (0 in state written by an older dev).
  #[serde(default)]
  pub(crate) started_at_ms: u64,
  /// The foreground `dev` that shows this service's output; `None` when detached.
  pub(crate) supervisor: Option<ProcessId>,
  #[serde(default)]
  pub(crate) restarts: u32,
  /// Set by the keeper when the service ended on its own.
  #[serde(default)]
  pub(crate) exit: Option<ExitRecord>,
  /// How the main process ended, set by the keeper the moment it does, while the rest of
  /// the tree is still being stopped (`exit` is set once that is done).
  #[serde(default, skip_serializing_if = "Option::is_none")]
  pub(crate) main_ended: Option<ExitRecord>,
  /// Why the last run ended, when it ended by itself or was found hung: "exited with code
  /// 1", "was not responding (…)".
  #[serde(default)]
  pub(crate) last_failure: Option<String>,
  /// Set by the keeper while it ends the current run, so that a look from elsewhere (the
  /// dashboard) sees the restart or stop from its first moment, not only once the run is gone.
  #[serde(default, skip_serializing_if = "Option::is_none")]
  pub(crate) transition: Option<Transition>,
  /// Set by the keeper while its watch cannot watch (why): saves are not seen.
  #[serde(default, skip_serializing_if = "Option::is_none")]
  pub(crate) watch_trouble: Option<String>,
  /// Set by the keeper while the log cannot be written (why, since when): the service
  /// runs and its output is shown, but not kept.
  #[serde(default, skip_serializing_if = "Option::is_none")]
  pub(crate) log_trouble: Option<String>,
  /// Set by the keeper while it waits out a restart back-off: when the next run starts.
  #[serde(default, skip_serializing_if = "Option::is_none")]
  pub(crate) pending_restart: Option<PendingRestart>,
  /// Set by the keeper when it did not start the service again although its policy would
  /// have: why (another program took its port while it was down, and it has no fallback).
  #[serde(default, skip_serializing_if = "Option::is_none")]
  pub(crate) not_restarted: Option<String>,
}

/// A restart the policy has scheduled: at `at_ms` (Unix milliseconds), restart `attempt` of
/// at most `max` in a row.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct PendingRestart {
  pub(crate) at_ms: u64,
  pub(crate) attempt: u32,
  pub(crate) max: u32,
}

/// What a keeper is doing to its running service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Transition {
  Restarting,
  Stopping,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct ExitRecord {
  pub(crate) code: Option<i32>,
  pub(crate) signal: Option<i32>,
  pub(crate) at: u64,
}

impl ExitRecord {
  pub(crate) fn new(status: ExitStatus) -> Self {
    let (code, signal) = match status {
      ExitStatus::Code(code) => (Some(code), None),
      ExitStatus::Signal(signal) => (None, Some(signal)),
    };
    Self {
      code,
      signal,
      at: unix_now(),
    }
  }

  pub(crate) fn status(self) -> ExitStatus {
    match (self.code, self.signal) {
      (_, Some(signal)) => ExitStatus::Signal(signal),
      (code, None) => ExitStatus::Code(code.unwrap_or(0)),
    }
  }
}

/// What a state file means once checked against the live system.
#[derive(Debug)]
pub(crate) enum Liveness {
  /// The keeper is alive: the service is ours and running.
  Running(ServiceState),
  /// The service ended by itself; its keeper cleaned up and recorded how.
  Exited(ServiceState, ExitRecord),
  /// The keeper is gone without a word (SIGKILLed, OOM, reboot): survivors may remain.
  Stale(ServiceState),
}

impl ServiceState {
  /// The error a second start of this running service is; while only the rest of a run
  /// that ended is being stopped, that, not "already running" with a dead pid.
  pub(crate) fn already_running(&self) -> Error {
    if self.main_has_ended() {
      return Error::StillEnding {
        service: self.service.clone(),
        left: self.processes_left(),
      };
    }
    Error::AlreadyRunning {
      service: self.service.clone(),
      pid: self.process.map_or(self.keeper.pid, |p| p.pid),
      port: self.port,
      uptime: self.uptime(),
    }
  }

  pub(crate) fn uptime(&self) -> Duration {
    if self.started_at_ms > 0 {
      return Duration::from_millis(
        crate::ui::timestamp::now_millis().saturating_sub(self.started_at_ms),
      );
    }
    Duration::from_secs(unix_now().saturating_sub(self.started_at))
  }

  pub(crate) fn liveness(self) -> Liveness {
    if self.keeper.is_alive() {
      Liveness::Running(self)
    } else if let Some(exit) = self.exit {
      Liveness::Exited(self, exit)
    } else {
      Liveness::Stale(self)
    }
  }

  /// The main process is gone while its keeper still runs and has recorded no exit yet: the
  /// keeper is ending what is left of the tree (a child that still holds the port, for up
  /// to the grace). Not running, whatever the port says.
  pub(crate) fn main_has_ended(&self) -> bool {
    self.exit.is_none() && self.process.is_some_and(|process| !process.is_alive())
  }

  /// How many processes of this run are still alive (each carries its `DEV_INSTANCE`).
  pub(crate) fn processes_left(&self) -> usize {
    sys::processes_with_env(INSTANCE_VARIABLE, &self.token).len()
  }

  /// Every live process that provably belongs to this service although its keeper is gone:
  /// members of the recorded process group while its leader is the very process we started,
  /// and any process carrying this instance's unique `DEV_INSTANCE` marker.
  pub(crate) fn survivors(&self) -> Vec<ProcessId> {
    if !self.keeper.is_this_boot() {
      return Vec::new();
    }
    let me = std::process::id();
    let mut pids = sys::processes_with_env(INSTANCE_VARIABLE, &self.token);
    if let (Some(process), Some(pgid)) = (self.process, self.pgid)
      && process.is_alive()
    {
      pids.extend(
        sys::all_pids()
          .into_iter()
          .filter(|pid| sys::process_info(*pid).is_some_and(|info| info.pgid == pgid)),
      );
    }
    pids.sort_unstable();
    pids.dedup();
    let ancestors = sys::ancestors(me);
    pids
      .into_iter()
      .filter(|pid| *pid != me && !ancestors.contains(pid))
      .filter_map(ProcessId::of)
      .collect()
  }
}

/// The environment markers every process of a service inherits: a unique token per start,
/// the service's name, and the project directory.
pub(crate) const INSTANCE_VARIABLE: &str = "DEV_INSTANCE";
pub(crate) const SERVICE_VARIABLE: &str = "DEV_SERVICE";
pub(crate) const PROJECT_VARIABLE: &str = "DEV_PROJECT";

pub(crate) fn unix_now() -> u64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map_or(0, |d| d.as_secs())
}

/// Temp file + rename: readers see the old or the new file, never half of one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
  let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
  let result = File::create(&temporary)
    .and_then(|mut file| file.write_all(bytes))
    .and_then(|()| crate::sys::replace_file(&temporary, path));
  result.map_err(|error| {
    let _ = fs::remove_file(&temporary);
    Error::io(format!("cannot write `{}`", path.display()))(error)
  })
}

/// A random token from the kernel, unique per service start.
pub(crate) fn random_token() -> String {
  let mut bytes = [0u8; 8];
  if let Ok(mut file) = File::open("/dev/urandom") {
    let _ = std::io::Read::read_exact(&mut file, &mut bytes);
  }
  let nanos = SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map_or(0, |d| d.subsec_nanos());
  format!(
    "{:016x}{:08x}",
    u64::from_ne_bytes(bytes),
    nanos ^ std::process::id()
  )
}
