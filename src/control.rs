//! `dev stop`, `dev restart`, `dev force`: act on running services through their keepers,
//! wherever they were started (this terminal, another one, or detached).

use std::{
  sync::atomic::AtomicBool,
  time::{Duration, Instant},
};

use crate::{
  config::Service,
  error::{Error, Result},
  format::{count, elapsed, status_text},
  plan::{self, PortOverrides},
  ports::allocate::{Allocation, allocate},
  probe::Check,
  project::Project,
  readiness::{Verdict, wait_ready},
  source::display_path,
  state::{Liveness, ServiceState},
  supervisor::{self, Start},
  sys::{self, Signal},
};

/// How long past its grace a keeper may take before we end it ourselves.
pub(crate) const KEEPER_SLACK: Duration = Duration::from_secs(5);

pub(crate) fn stop(project: &Project, names: &[String]) -> Result<()> {
  let mut order: Vec<String> = plan::start_order(&project.config, names)
    .into_iter()
    .map(|service| service.name.clone())
    .filter(|name| names.is_empty() || names.contains(name))
    .collect();
  // Dependents first: a frontend should not watch its backend vanish.
  order.reverse();
  // Then what the task file no longer names but still runs.
  order.extend(
    project
      .orphans()
      .into_iter()
      .filter(|name| names.is_empty() || names.contains(name)),
  );
  let mut pending = Vec::new();
  for name in &order {
    match project.check(name) {
      Some(Liveness::Running(state)) => {
        let _ = sys::signal_process(state.keeper.pid, Signal::Term);
        pending.push((name, state, Instant::now()));
      }
      Some(Liveness::Exited(_, exit)) => {
        project.state.remove(name);
        project.report.stopped(&format!(
          "{name} was not running ({})",
          status_text(exit.status())
        ));
      }
      Some(Liveness::Stale(_)) => {}
      None if !names.is_empty() => project.report.stopped(&format!("{name} is not running")),
      None => {}
    }
  }
  for (name, state, since) in pending {
    let (_, grace) = project.stop_settings(name);
    if !sys::wait_for_exit(state.keeper, grace + KEEPER_SLACK) {
      project.report.warning(&format!(
        "{name}'s keeper did not stop in time; ending it and its processes"
      ));
      let _ = sys::signal_process(state.keeper.pid, Signal::Kill);
      sys::wait_for_exit(state.keeper, Duration::from_secs(2));
    }
    // A keeper that exits cleanly removes its state; anything else is checked for survivors.
    project.check(name);
    let gone = if project.config.service(name).is_none() {
      "; it is no longer in devtasks.yaml"
    } else {
      ""
    };
    project.report.stopped(&format!(
      "{name} stopped ({}{gone})",
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
  let mut moved = Vec::new();
  let mut failed: Vec<Error> = Vec::new();
  project.state.ensure()?;
  for name in &targets {
    let Some(service) = project.config.service(name) else {
      continue;
    };
    let Some(Liveness::Running(state)) = project.check(name) else {
      not_running.push(name.clone());
      continue;
    };
    if !state.root.as_os_str().is_empty() && state.root != project.config.root {
      // Started before the project moved: its keeper's paths are the old ones. Stopped
      // through it, and started again here.
      project.report.step(&format!(
        "{name} was started in {} before the project moved here; stopping it to start it here",
        display_path(&state.root)
      ));
      stop(project, std::slice::from_ref(name))?;
      moved.push(name.clone());
      continue;
    }
    if let Err(error) = restart_in_place(project, service, &state, hard) {
      failed.push(error);
    }
  }
  if !moved.is_empty() {
    // In the background: the terminal that showed them is in the old place.
    let start = Start {
      quiet: true,
      detach: true,
      force: hard,
      overrides: PortOverrides::default(),
      open: false,
    };
    supervisor::up(project, &moved, &start)?;
  }
  if !not_running.is_empty() {
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
    supervisor::up(project, &not_running, &start)?;
  }
  match failed.len() {
    0 => Ok(()),
    1 => Err(failed.remove(0)),
    _ => {
      for error in &failed {
        project.report.failure(&error.to_string());
      }
      let names: Vec<String> = failed
        .iter()
        .filter_map(|error| match error {
          Error::RestartFailed { service, .. } => Some(service.clone()),
          _ => None,
        })
        .collect();
      Err(Error::RestartFailed {
        service: names.join(", "),
        reason: "did not restart".into(),
      })
    }
  }
}

/// One running service, restarted by its keeper with the task file as it is now: a new
/// command, environment or port takes effect. Waits for the new process to be ready.
fn restart_in_place(
  project: &Project,
  service: &Service,
  state: &ServiceState,
  hard: bool,
) -> Result<()> {
  let name = &service.name;
  // Ports as a start would choose them, the ones it holds counting as free: an edited
  // `port:` is taken now.
  let how = Allocation {
    force: hard,
    avoid: &[],
    restarting: true,
  };
  let chosen = allocate(project, service, &PortOverrides::default(), how)?;
  let before: Vec<u16> = state.ports.iter().map(|(_, port)| *port).collect();
  let after: Vec<u16> = chosen.iter().map(|(_, port)| *port).collect();
  let mut ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  ports.insert(name.clone(), chosen);
  let spec = plan::keeper_spec(&project.config, service, &ports, state.supervisor)?;
  project
    .state
    .write_spec(name, &serde_json::to_vec_pretty(&spec).unwrap_or_default())?;
  supervisor::claim_for_keeper(project, name, Some(state.keeper), &spec.ports);
  if before != after && !before.is_empty() {
    let list = |ports: &[u16]| {
      ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
    };
    project.report.step(&format!(
      "{name} moves from port {} to {}{}",
      list(&before),
      list(&after),
      dependents_note(project, name)
    ));
  }
  let since = Instant::now();
  let _ = sys::signal_process(
    state.keeper.pid,
    if hard { Signal::Usr2 } else { Signal::Usr1 },
  );
  let deadline = since + service.grace + KEEPER_SLACK;
  let failure = |reason: String| Error::RestartFailed {
    service: name.clone(),
    reason,
  };
  let current = loop {
    if let Some(current) = project
      .state
      .read(name)
      .filter(|c| c.restarts > state.restarts)
    {
      break current;
    }
    if !state.keeper.is_alive() {
      return Err(failure(if project.state.read(name).is_none() {
        "was stopped before it restarted (by `dev stop` or a signal to its keeper)".into()
      } else {
        "ended while restarting".into()
      }));
    }
    if Instant::now() > deadline {
      return Err(failure(format!(
        "did not restart within {}",
        elapsed(deadline - since)
      )));
    }
    std::thread::sleep(Duration::from_millis(5));
  };
  let pid = current.process.map_or(0, |p| p.pid);
  let how = if hard { "force-restarted" } else { "restarted" };
  project.report.step(&format!(
    "{name} {how} (pid {pid}, {})",
    elapsed(since.elapsed())
  ));
  // Health starts over with the new process: wait for it as on a first start.
  let Some(check) = Check::new(service, &spec, &ports, Some(state.keeper)) else {
    return Ok(());
  };
  match wait_ready(
    &check,
    &project.state,
    project.report,
    &AtomicBool::new(false),
  ) {
    Verdict::Ready(after) => {
      project.report.success(&format!(
        "{name} ready again ({} after the restart)",
        elapsed(since.elapsed().max(after))
      ));
      Ok(())
    }
    Verdict::Gone => Err(failure("exited before it was ready again".into())),
    Verdict::TimedOut(_, last) => Err(failure(format!(
      "was not ready again: {} → {}",
      check.target(),
      last.detail
    ))),
    Verdict::Cancelled => Ok(()),
  }
}

/// `; restart frontend too, it uses ${api.port}`, for the running services that use the
/// port of one that moved.
fn dependents_note(project: &Project, moved: &str) -> String {
  let reference = format!("${{{moved}.");
  let using: Vec<&str> = project
    .config
    .services
    .iter()
    .filter(|other| {
      other.run.contains(&reference)
        || other
          .env
          .iter()
          .any(|(_, value)| value.contains(&reference))
    })
    .filter(|other| project.is_running(&other.name))
    .map(|other| other.name.as_str())
    .collect();
  if using.is_empty() {
    return String::new();
  }
  let commands: Vec<String> = using
    .iter()
    .map(|name| format!("`dev {name}-restart`"))
    .collect();
  format!(
    "; {} still use the old port: {}",
    using.join(", "),
    commands.join(", ")
  )
}
