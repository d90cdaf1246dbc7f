//! A loaded project: its config, its `.dev/` state, and how to report to the user.

mod from_state;
mod name;

pub(crate) use name::branch_of;

use crate::{
  config::Config,
  ports::ledger::Ledger,
  state::{Liveness, ServiceState, StateDir},
  supervise::terminate::terminate,
  ui::{color::Color, format::count, output::Reporter},
};

/// What identifies a project on this machine: its root directory's identity.
pub(crate) type ProjectId = crate::sys::DirectoryId;

pub(crate) struct Project {
  pub(crate) config: Config,
  pub(crate) id: ProjectId,
  /// Live keepers of this project's services by the machine's ledger, read once.
  keepers: std::sync::OnceLock<Vec<(String, crate::sys::ProcessId)>>,
  pub(crate) state: StateDir,
  pub(crate) report: Reporter,
  /// Color for stdout (service output, tables).
  pub(crate) color: Color,
  /// False when the task file could not be read and only the state is known.
  pub(crate) task_file_read: bool,
}

impl Project {
  pub(crate) fn new(config: Config, color: Color, report: Reporter) -> Self {
    let id = ProjectId::of(&config.root);
    let state = StateDir::new(config.state_dir(), Some(id));
    Self {
      id,
      keepers: std::sync::OnceLock::new(),
      config,
      state,
      report,
      color,
      task_file_read: true,
    }
  }

  /// The state of a service, checked against the system. Survivors of a keeper that died
  /// without cleaning up (a `kill -9`) are ended here, and the user is told exactly what.
  /// The service runs now (its keeper is alive).
  pub(crate) fn is_running(&self, service: &str) -> bool {
    matches!(self.check(service), Some(Liveness::Running(_)))
  }

  /// The state of a service, checked against the system, and nothing done about it: what
  /// a keeper killed without a word left is left to the next CLI command (`check`).
  pub(crate) fn look(&self, service: &str) -> Option<Liveness> {
    self.state.read(service).map(ServiceState::liveness)
  }

  /// The names stay reachable whatever happened to the proxy (a `kill -9`, a reboot of the
  /// machine's runtime directory): one is started when a service of this project with a
  /// port runs and none listens. Called by the commands that start or restart services,
  /// also when they end up starting nothing.
  pub(crate) fn keep_names_reachable(&self) {
    let runs_with_a_port = self.config.services.iter().any(|service| {
      !service.ports.is_empty() && matches!(self.check(&service.name), Some(Liveness::Running(_)))
    });
    if runs_with_a_port {
      crate::proxy::ensure(self.report);
    }
  }

  pub(crate) fn check(&self, service: &str) -> Option<Liveness> {
    let state = self
      .state
      .read(service)
      .or_else(|| self.state_recreated_by_keeper(service))?;
    crate::test_hook::delay("DEV_TEST_CHECK_DELAY_MS");
    let liveness = state.liveness();
    if let Liveness::Stale(stale) = &liveness
      && let Some(last) = self.state.read(service)
      && last.keeper == stale.keeper
      && last.exit.is_some()
    {
      // The keeper wrote how the service ended, and exited, between our read and our look
      // at it: that is its last word, not a keeper killed without one.
      return Some(last.liveness());
    }
    if let Liveness::Stale(state) = &liveness {
      let (signal, grace) = self.stop_settings(service);
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

  /// A service without a state file whose keeper still runs (`.dev/` was deleted): its
  /// keeper re-creates the state within a second; waited for, so that it is neither shown
  /// as stopped nor started a second time.
  fn state_recreated_by_keeper(&self, service: &str) -> Option<ServiceState> {
    let keeper = self.keepers().iter().find(|(name, _)| name == service)?.1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while keeper.is_alive() && std::time::Instant::now() < deadline {
      if let Some(state) = self.state.read(service) {
        return Some(state);
      }
      std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
  }

  /// The live keeper of `service` by the machine's ledger: what a stop signals when no state
  /// can be found or written (`.dev` deleted and in the way), so that none is left running.
  pub(crate) fn keeper_in_ledger(&self, service: &str) -> Option<crate::sys::ProcessId> {
    let keeper = self.keepers().iter().find(|(name, _)| name == service)?.1;
    keeper.is_alive().then_some(keeper)
  }

  /// The live keepers of this project's services by the machine's ledger, read once.
  fn keepers(&self) -> &[(String, crate::sys::ProcessId)] {
    self.keepers.get_or_init(|| running_in_ledger(self.id))
  }

  /// Services with state here, or running for this project by the machine's ledger (its
  /// `.dev/` deleted), that the task file no longer names (renamed or removed while they
  /// ran): still ours to show and stop.
  pub(crate) fn orphans(&self) -> Vec<String> {
    let mut names = self.state.services();
    names.extend(self.keepers().iter().map(|(name, _)| name.clone()));
    names.sort();
    names.dedup();
    names.retain(|name| self.config.service(name).is_none());
    names
  }

  /// How a service stops: from the task file, else (an orphan) from the spec it was
  /// started with.
  pub(crate) fn stop_settings(&self, service: &str) -> (crate::sys::Signal, std::time::Duration) {
    if let Some(service) = self.config.service(service) {
      return (service.stop_signal, service.grace);
    }
    crate::supervise::spec::KeeperSpec::read(&self.state, service).map_or(
      (crate::sys::Signal::Term, crate::config::DEFAULT_GRACE),
      |spec| {
        (
          crate::sys::Signal::parse(&spec.stop_signal).unwrap_or(crate::sys::Signal::Term),
          std::time::Duration::from_millis(spec.grace_ms),
        )
      },
    )
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

/// The services of project `id` whose keepers run, by the machine's ledger: it outlives a
/// deleted `.dev/`, so no running service of a project becomes invisible.
pub(crate) fn running_in_ledger(id: ProjectId) -> Vec<(String, crate::sys::ProcessId)> {
  Ledger::open()
    .map(|ledger| {
      ledger
        .claims
        .into_iter()
        .filter(|claim| claim.running && claim.project_id == id)
        .map(|claim| (claim.service, claim.owner))
        .collect()
    })
    .unwrap_or_default()
}
