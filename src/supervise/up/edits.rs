//! An edit of devtasks.yaml while `dev up` runs in the foreground is applied: a service
//! whose definition changed restarts (through its keeper, with the new command, environment
//! and ports), a new one starts, a removed one stops, the rest are untouched. An edit that
//! does not load is reported where it is wrong, and nothing changes.

use std::path::PathBuf;

use super::{Run, UpEvent};
use crate::{
  config::{Config, Service},
  error::Result,
  plan::{self, PortOverrides},
  ports::allocate::{Allocation, allocate},
  supervise::{
    probe::Check,
    spec::KeeperSpec,
    watch::{self, WatchSpec, Watching},
  },
  sys::{self, Signal},
};

/// Watches the task file; each save becomes an `UpEvent::Edited`.
pub(super) fn watch_task_file(run: &Run) -> Option<Watching> {
  let path = &run.project.config.path;
  let root = path.parent()?.to_path_buf();
  let name = path.file_name()?.to_string_lossy().into_owned();
  let spec = WatchSpec {
    root,
    paths: vec![path.clone()],
    globs: vec![name],
    ignore: Vec::new(),
    debounce_ms: 100,
    restart_dependents: false,
  };
  let sender = run.sender.clone();
  watch::watch(&spec, move |heard| {
    if let watch::Heard::Changed(_) = heard {
      let _ = sender.send(UpEvent::Edited);
    }
  })
  .ok()
}

impl Run<'_> {
  /// Loads the edited file and applies what changed.
  pub(super) fn edited(&mut self) {
    let path: PathBuf = self.project.config.path.clone();
    let config = match Config::load(&path) {
      Ok(config) => config,
      Err(error) => {
        let color = self.project.report.color;
        crate::ui::output::to_stderr(&error.render(color));
        self
          .project
          .report
          .warning("devtasks.yaml was not applied: nothing changed; fix it and save again");
        return;
      }
    };
    let old = std::mem::replace(&mut self.project.config, config);
    let ours = |name: &str| self.names.is_empty() || self.names.iter().any(|n| n == name);
    for service in &old.services {
      if self.project.config.service(&service.name).is_none() {
        self.remove(&service.name);
      }
    }
    let new: Vec<Service> = self.project.config.services.clone();
    for service in &new {
      match old.service(&service.name) {
        None if ours(&service.name) => {
          self.project.report.step(&format!(
            "{} was added to devtasks.yaml; starting it",
            service.name
          ));
          self.schedule.wait_for(&service.name);
        }
        None => {}
        Some(before) => {
          if let Err(error) = self.redefined(before, &old, service) {
            self
              .project
              .report
              .failure(&format!("{}: {error}", service.name));
          }
        }
      }
    }
  }

  /// A service gone from the file: its keeper (when this run started it) stops it.
  fn remove(&mut self, name: &str) {
    let Some(keeper) = self.schedule.of(name).and_then(|started| started.keeper) else {
      return;
    };
    if keeper.is_alive() {
      self.project.report.step(&format!(
        "{name} was removed from devtasks.yaml; stopping it"
      ));
      let _ = sys::signal_process(keeper.pid, Signal::Term);
    }
  }

  /// A service still in the file: restarted through its keeper when what it would run
  /// differs (command, directory, environment, ports, probes, …).
  fn redefined(&mut self, before: &Service, old: &Config, service: &Service) -> Result<()> {
    let Some(started) = self.schedule.of(&service.name) else {
      return Ok(());
    };
    let (launch, Some(keeper)) = (started.launch, started.keeper) else {
      return Ok(());
    };
    if !keeper.is_alive() {
      return Ok(());
    }
    let was = plan::keeper_spec(old, before, &self.ports, self.supervisor)?;
    let how = Allocation {
      force: false,
      avoid: &[],
      restarting: true,
    };
    let project = &self.project;
    let chosen = allocate(project, service, &PortOverrides::default(), how)?;
    self.ports.insert(service.name.clone(), chosen);
    let mut spec = plan::keeper_spec(&self.project.config, service, &self.ports, self.supervisor)?;
    spec.watch_override = self.start.watch;
    if same(&was, &spec) {
      return Ok(());
    }

    self.project.state.write_spec(
      &service.name,
      &serde_json::to_vec_pretty(&spec).unwrap_or_default(),
    )?;
    super::claim_for_keeper(&self.project, &service.name, Some(keeper), &spec.ports);
    self.project.report.step(&format!(
      "↻ {}: changed in devtasks.yaml → restarting",
      service.name
    ));
    let restarts = self
      .project
      .state
      .read(&service.name)
      .map_or(0, |state| state.restarts);
    let _ = sys::signal_process(keeper.pid, Signal::Usr1);
    // Ready again is said as after a start, once the new run is there.
    if let (Some(check), Some(started)) = (
      Check::new(service, &spec, &self.ports, Some(keeper)),
      self.schedule.of(&service.name),
    ) {
      started.ready = false;
      self.watch_after(launch, check, Some(restarts));
    }
    Ok(())
  }
}

/// Two specs run the same service the same way (the foreground view aside).
fn same(a: &KeeperSpec, b: &KeeperSpec) -> bool {
  let value = |spec: &KeeperSpec| serde_json::to_value(spec).unwrap_or_default();
  value(a) == value(b)
}
