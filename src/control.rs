//! `dev stop`, `dev restart`, `dev force`: act on running services through their keepers,
//! wherever they were started (this terminal, another one, or detached).

use std::{
  sync::atomic::AtomicBool,
  time::{Duration, Instant},
};

use crate::{
  error::Result,
  format::{count, elapsed, status_text},
  plan::{self, PortOverrides},
  probe::Check,
  project::Project,
  readiness::{Verdict, wait_ready},
  state::Liveness,
  supervisor::{self, Start},
  sys::{self, Signal},
};

/// How long past its grace a keeper may take before we end it ourselves.
pub(crate) const KEEPER_SLACK: Duration = Duration::from_secs(5);

pub(crate) fn stop(project: &Project, names: &[String]) -> Result<()> {
  let mut order = plan::start_order(&project.config, names);
  if !names.is_empty() {
    order.retain(|service| names.contains(&service.name));
  }
  // Dependents first: a frontend should not watch its backend vanish.
  order.reverse();
  let mut pending = Vec::new();
  for service in &order {
    match project.check(&service.name) {
      Some(Liveness::Running(state)) => {
        let _ = sys::signal_process(state.keeper.pid, Signal::Term);
        pending.push((service, state, Instant::now()));
      }
      Some(Liveness::Exited(_, exit)) => {
        project.state.remove(&service.name);
        project.report.stopped(&format!(
          "{} was not running ({})",
          service.name,
          status_text(exit.status())
        ));
      }
      Some(Liveness::Stale(_)) => {}
      None if !names.is_empty() => project
        .report
        .stopped(&format!("{} is not running", service.name)),
      None => {}
    }
  }
  for (service, state, since) in pending {
    if !sys::wait_for_exit(state.keeper, service.grace + KEEPER_SLACK) {
      project.report.warning(&format!(
        "{}'s keeper did not stop in time; ending it and its processes",
        service.name
      ));
      let _ = sys::signal_process(state.keeper.pid, Signal::Kill);
      sys::wait_for_exit(state.keeper, Duration::from_secs(2));
    }
    // A keeper that exits cleanly removes its state; anything else is checked for survivors.
    project.check(&service.name);
    project.report.stopped(&format!(
      "{} stopped ({})",
      service.name,
      elapsed(since.elapsed())
    ));
  }
  Ok(())
}

/// Restarts running services in place (their keeper stays, so a foreground `dev` keeps
/// showing their output); services that are not running are started.
pub(crate) fn restart(project: &Project, names: &[String], hard: bool, detach: bool) -> Result<()> {
  let targets: Vec<String> = if names.is_empty() {
    project.service_names()
  } else {
    names.to_vec()
  };
  let mut not_running = Vec::new();
  project.state.ensure()?;
  let ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  for name in &targets {
    let Some(service) = project.config.service(name) else {
      continue;
    };
    let Some(Liveness::Running(state)) = project.check(name) else {
      not_running.push(name.clone());
      continue;
    };
    let spec = plan::keeper_spec(&project.config, service, &ports, state.supervisor)?;
    project
      .state
      .write_spec(name, &serde_json::to_vec_pretty(&spec).unwrap_or_default())?;
    let since = Instant::now();
    let _ = sys::signal_process(
      state.keeper.pid,
      if hard { Signal::Usr2 } else { Signal::Usr1 },
    );
    let deadline = since + service.grace + KEEPER_SLACK;
    loop {
      let current = project.state.read(name);
      if let Some(current) = current.filter(|c| c.restarts > state.restarts) {
        let pid = current.process.map_or(0, |p| p.pid);
        let how = if hard { "force-restarted" } else { "restarted" };
        project.report.step(&format!(
          "{name} {how} (pid {pid}, {})",
          elapsed(since.elapsed())
        ));
        // Health starts over with the new process: wait for it as on a first start.
        if let Some(check) = Check::new(service, &spec, &ports, Some(state.keeper)) {
          match wait_ready(
            &check,
            &project.state,
            project.report,
            &AtomicBool::new(false),
          ) {
            Verdict::Ready(after) => project.report.success(&format!(
              "{name} ready again ({} after the restart)",
              elapsed(since.elapsed().max(after))
            )),
            Verdict::Gone => project.report.failure(&format!(
              "{name} exited before it was ready again; `dev logs {name}` shows why"
            )),
            Verdict::TimedOut(_, last) => project.report.failure(&format!(
              "{name} was not ready again: {} → {}",
              check.target(),
              last.detail
            )),
            Verdict::Cancelled => {}
          }
        }
        break;
      }
      if Instant::now() > deadline || !state.keeper.is_alive() {
        project.report.failure(&format!(
          "{name} did not restart in time; `dev logs {name}` shows why"
        ));
        break;
      }
      std::thread::sleep(Duration::from_millis(5));
    }
  }
  if not_running.is_empty() {
    return Ok(());
  }
  project.report.step(&format!(
    "{} not running; starting {}",
    count(not_running.len(), "service was", "services were"),
    not_running.join(", ")
  ));
  let start = Start {
    quiet: false,
    detach,
    force: hard,
    overrides: PortOverrides::default(),
    open: false,
  };
  supervisor::up(project, &not_running, &start)
}
