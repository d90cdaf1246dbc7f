//! A `log:` probe's match is a fact of the run that printed the line: once seen, the run stays
//! ready even after the line rotated out of the log file. Remembered in `.dev/state/<svc>.seen` as
//! the identity of the run's main process, so another `dev` (a dependent started later, `dev
//! health`) recalls it, and a later run (another process) does not.

use std::fs;

use super::{Check, Outcome};
use crate::{
  config::Probe,
  state::{StateDir, write_atomically},
  sys::ProcessId,
};

impl Check {
  /// `run`, except that a `log:` probe that matched during the service's current run passes
  /// without reading the log again (and a new match is remembered).
  pub(crate) fn run_in_run(&self, state: &StateDir) -> Outcome {
    if !matches!(self.probe, Probe::Log { .. }) || self.keeper.is_none() {
      return self.run();
    }
    let run = self.current_run(state);
    if let Some(run) = run
      && recalled(state, &self.service) == Some(run)
    {
      return Outcome {
        ok: true,
        detail: "matched earlier in this run".into(),
        status: None,
        latency: std::time::Duration::ZERO,
        output: Vec::new(),
      };
    }
    let outcome = self.run();
    if outcome.ok
      && let Some(run) = run
      && let Ok(bytes) = serde_json::to_vec(&run)
    {
      let _ = write_atomically(&seen_path(state, &self.service), &bytes);
    }
    outcome
  }

  /// The main process of the run this probe's keeper holds now, while it runs.
  fn current_run(&self, state: &StateDir) -> Option<ProcessId> {
    let recorded = state.read(&self.service)?;
    (Some(recorded.keeper) == self.keeper && recorded.exit.is_none())
      .then_some(recorded.process?)
      .filter(|process| process.is_alive())
  }
}

fn seen_path(state: &StateDir, service: &str) -> std::path::PathBuf {
  state.path.join(format!("{service}.seen"))
}

/// The run whose match was remembered, if any.
fn recalled(state: &StateDir, service: &str) -> Option<ProcessId> {
  let bytes = fs::read(seen_path(state, service)).ok()?;
  serde_json::from_slice(&bytes).ok()
}
