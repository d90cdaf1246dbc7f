//! A loaded project: its config, its `.dev/` state, and how to report to the user.

use serde::{Deserialize, Serialize};

use crate::{
  color::Color,
  config::Config,
  format::count,
  output::Reporter,
  state::{Liveness, StateDir},
  terminate::terminate,
};

/// What identifies a project on this machine: its root directory's (device, inode). The same
/// after `mv`, different in a `cp -r` copy — so a copy never takes the original's services
/// for its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProjectId {
  device: u64,
  inode: u64,
}

impl ProjectId {
  pub(crate) fn of(root: &std::path::Path) -> Self {
    crate::sys::directory_identity(root)
      .map(|(device, inode)| Self { device, inode })
      .unwrap_or_default()
  }
}

pub(crate) struct Project {
  pub(crate) config: Config,
  pub(crate) id: ProjectId,
  pub(crate) state: StateDir,
  pub(crate) report: Reporter,
  /// Color for stdout (service output, tables).
  pub(crate) color: Color,
}

impl Project {
  pub(crate) fn new(config: Config, color: Color, report: Reporter) -> Self {
    let state = StateDir::new(config.state_dir());
    Self {
      id: ProjectId::of(&config.root),
      config,
      state,
      report,
      color,
    }
  }

  /// The state of a service, checked against the system. Survivors of a keeper that died
  /// without cleaning up (a `kill -9`) are ended here, and the user is told exactly what.
  /// The service runs now (its keeper is alive).
  pub(crate) fn is_running(&self, service: &str) -> bool {
    matches!(self.check(service), Some(Liveness::Running(_)))
  }

  pub(crate) fn check(&self, service: &str) -> Option<Liveness> {
    let liveness = self.state.read(service)?.liveness();
    if let Liveness::Stale(state) = &liveness {
      let grace = self
        .config
        .service(service)
        .map_or(crate::config::DEFAULT_GRACE, |s| s.grace);
      let signal = self
        .config
        .service(service)
        .map_or(crate::sys::Signal::Term, |s| s.stop_signal);
      let ended = terminate(&state.survivors(), signal, grace);
      if !ended.is_empty() {
        let list: Vec<String> = ended
          .iter()
          .map(|ended| format!("pid {} ({})", ended.pid, ended.command))
          .collect();
        self.report.warning(&format!(
          "{service}'s keeper was killed; stopped {} it left behind: {}",
          count(ended.len(), "process", "processes"),
          list.join(", ")
        ));
      }
      self.state.remove(service);
    }
    Some(liveness)
  }

  pub(crate) fn service_names(&self) -> Vec<String> {
    self
      .config
      .services
      .iter()
      .map(|s| s.name.clone())
      .collect()
  }
}
