//! `dev restart`, `dev force` and `dev <svc>-restart|-force`: restart running services in
//! place through their keepers (a foreground `dev` keeps showing their output), with the
//! task file as it is now; start those that are not running.

use std::{
  sync::atomic::AtomicBool,
  time::{Duration, Instant},
};

use crate::{
  commands::stop,
  config::{Service, source::display_path},
  error::{Error, Result},
  plan::{self, PortMap, PortOverrides},
  ports::allocate::{Allocation, allocate},
  project::Project,
  state::{Liveness, ServiceState},
  supervise::{
    keeper::KEEPER_SLACK,
    log_tail::run_tail,
    probe::Check,
    readiness::{Verdict, wait_ready},
    spec::KeeperSpec,
    stops::StopNotices,
    up::{self, Start},
  },
  sys::{self, Signal},
  ui::{
    format::{count, elapsed, port_numbers},
    timestamp::now_millis,
  },
};

/// Restarts running services in place (their keeper stays, so a foreground `dev` keeps
/// showing their output); services that are not running are started.
pub(crate) fn restart(project: &Project, names: &[String], hard: bool, detach: bool) -> Result<()> {
  // A `dev stop` from now on wins over this restart: what it stopped is not started again.
  let began = now_millis();
  let stops = StopNotices::since(&project.state, began);
  // Dependencies first: a frontend restarted after its backend finds the new one.
  let mut targets = plan::restart_order(&project.config, names);
  let mut not_running = Vec::new();
  let mut moved = Vec::new();
  let mut failed: Vec<Error> = Vec::new();
  project.state.ensure()?;
  project.keep_names_reachable();
  let mut next = 0;
  while let Some(name) = targets.get(next).cloned() {
    next += 1;
    let name = &name;
    let Some(service) = project.config.service(name) else {
      continue;
    };
    if let Some(what) = stops.stopped(std::slice::from_ref(name)) {
      return Err(Error::StoppedWhileStarting {
        not_started: Some(name.clone()),
        what,
      });
    }
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
      stop::stop(project, std::slice::from_ref(name))?;
      moved.push(name.clone());
      continue;
    }
    match restart_in_place(project, service, &state, hard) {
      // Those that were given its old port are restarted after it, with the new one.
      Ok(users) => {
        let again: Vec<String> = users
          .into_iter()
          .filter(|user| !targets[next..].contains(user))
          .collect();
        targets.extend(again);
      }
      Err(error) => failed.push(error),
    }
  }
  if !moved.is_empty() {
    // In the background: the terminal that showed them is in the old place.
    let start = Start {
      quiet: true,
      detach: true,
      force: hard,
      // Its own stop of them (above) is not one to heed.
      began_ms: None,
      ..Start::default()
    };
    up::up(project, &moved, &start)?;
  }
  if !not_running.is_empty() {
    start_not_running(project, &not_running, (hard, detach), began)?;
  }
  match failed.len() {
    0 => Ok(()),
    1 => Err(failed.remove(0)),
    _ => Err(all_failed(project, &failed)),
  }
}

/// Services a restart found stopped, started the way they last ran: a restart in a script
/// (`dev api-restart && run-tests`) must not turn into a foreground `dev` that never returns.
fn start_not_running(
  project: &Project,
  not_running: &[String],
  (hard, detach): (bool, bool),
  began: u64,
) -> Result<()> {
  let detach = detach
    || !not_running
      .iter()
      .all(|name| ran_in_foreground(project, name));
  project.report.step(&format!(
    "{} not running; starting {} {}",
    count(not_running.len(), "service was", "services were"),
    not_running.join(", "),
    if detach {
      "in the background"
    } else {
      "in the foreground, as it last ran (Ctrl+C stops it; `-d` starts it in the background)"
    }
  ));
  let start = Start {
    quiet: false,
    detach,
    force: hard,
    began_ms: Some(began),
    ..Start::default()
  };
  up::up(project, not_running, &start)
}

/// Several restarts failed: each said, and one error naming them all.
fn all_failed(project: &Project, failed: &[Error]) -> Error {
  for error in failed {
    project.report.failure(&error.to_string());
  }
  let names: Vec<String> = failed
    .iter()
    .filter_map(|error| match error {
      Error::RestartFailed { service, .. } => Some(service.clone()),
      _ => None,
    })
    .collect();
  Error::RestartFailed {
    service: names.join(", "),
    reason: "did not restart".into(),
  }
}

/// Whether the service's last run was shown by a foreground `dev` (its spec stays after a
/// stop). One that never ran is started in the background, as a restart from any terminal.
fn ran_in_foreground(project: &Project, name: &str) -> bool {
  KeeperSpec::read(&project.state, name).is_ok_and(|spec| spec.supervisor.is_some())
}

/// One running service, restarted by its keeper with the task file as it is now: a new
/// command, environment or port takes effect. Waits for the new process to be ready.
fn restart_in_place(
  project: &Project,
  service: &Service,
  state: &ServiceState,
  hard: bool,
) -> Result<Vec<String>> {
  let name = &service.name;
  let (spec, ports, users) = rewrite_spec(project, service, state, hard)?;
  let since = Instant::now();
  let _ = sys::signal_process(
    state.keeper.pid,
    if hard { Signal::Usr2 } else { Signal::Usr1 },
  );
  let failure = |reason: String| Error::RestartFailed {
    service: name.clone(),
    reason,
  };
  let current =
    next_run(project, name, state, since + service.grace + KEEPER_SLACK).map_err(|reason| {
      failure(reason.unwrap_or_else(|| {
        format!(
          "did not restart within {}",
          elapsed(service.grace + KEEPER_SLACK)
        )
      }))
    })?;
  let pid = current.process.map_or(0, |p| p.pid);
  let how = if hard { "force-restarted" } else { "restarted" };
  project.report.step(&format!(
    "{name} {how} (pid {pid}, {})",
    elapsed(since.elapsed())
  ));
  let (spec, ports) = followed(project, name, spec, ports, &current);
  // Health starts over with the new process: wait for it as on a first start.
  let Some(check) = Check::new(service, &spec, &ports, Some(state.keeper)) else {
    return Ok(users);
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
      Ok(users)
    }
    // A keeper that ends on a stop removes the state; one whose service ended by itself
    // records how.
    Verdict::Gone if project.state.read(name).is_none() => Err(failure(
      "was stopped before it was ready again (by `dev stop` or a signal to its keeper)".into(),
    )),
    // Why is in its output (an EADDRINUSE when a program took the port meanwhile).
    Verdict::Gone => {
      let tail = run_tail(&current.log, 3);
      Err(failure(if tail.is_empty() {
        "exited before it was ready again".into()
      } else {
        format!(
          "exited before it was ready again; its last output:\n  {}",
          tail.join("\n  ")
        )
      }))
    }
    Verdict::TimedOut(_, last) => Err(failure(format!(
      "was not ready again: {} → {}",
      check.target(),
      last.detail
    ))),
    Verdict::Cancelled => Ok(users),
  }
}

/// The spec and ports the new run has: the keeper moves the service by its `fallback:`
/// when a program took the port while the old run was ending (after this command chose
/// it), and the readiness to wait for is then on the port it moved to.
fn followed(
  project: &Project,
  name: &str,
  spec: KeeperSpec,
  mut ports: PortMap,
  current: &ServiceState,
) -> (KeeperSpec, PortMap) {
  if current.ports.is_empty() || current.ports == spec.ports {
    return (spec, ports);
  }
  let numbers = |ports: &[(String, u16)]| port_numbers(ports.iter().map(|(_, port)| *port));
  project.report.step(&format!(
    "{name} moved from port {} to {}: its port was taken while it restarted",
    numbers(&spec.ports),
    numbers(&current.ports)
  ));
  ports.insert(name.to_owned(), current.ports.clone());
  (
    KeeperSpec::read(&project.state, name).unwrap_or(spec),
    ports,
  )
}

/// The keeper's spec for the restart, written: ports as a start would choose them (the ones
/// the service holds counting as free, so an edited `port:` is taken now), handed over in
/// the machine's ledger, a move said — with the running services that were given the old
/// port, to restart after it.
fn rewrite_spec(
  project: &Project,
  service: &Service,
  state: &ServiceState,
  hard: bool,
) -> Result<(KeeperSpec, PortMap, Vec<String>)> {
  let name = &service.name;
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
  up::claim_for_keeper(project, name, Some(state.keeper), &spec.ports);
  let mut users = Vec::new();
  if before != after && !before.is_empty() {
    users = port_users(project, name);
    project.report.step(&format!(
      "{name} moves from port {} to {}{}",
      port_numbers(before.iter().copied()),
      port_numbers(after.iter().copied()),
      users_note(&users)
    ));
  }
  Ok((spec, ports, users))
}

/// The state of the new run once the keeper has started it. `Err(Some(why))` when the
/// keeper ended meanwhile, `Err(None)` when the deadline passed.
fn next_run(
  project: &Project,
  name: &str,
  state: &ServiceState,
  deadline: Instant,
) -> std::result::Result<ServiceState, Option<String>> {
  loop {
    if let Some(current) = project
      .state
      .read(name)
      .filter(|c| c.restarts > state.restarts)
    {
      return Ok(current);
    }
    if !state.keeper.is_alive() {
      return Err(Some(match project.state.read(name) {
        None => "was stopped before it restarted (by `dev stop` or a signal to its keeper)".into(),
        Some(ended) => ended.not_restarted.map_or_else(
          || "ended while restarting".into(),
          |why| format!("not restarted: {why}"),
        ),
      }));
    }
    if Instant::now() > deadline {
      return Err(None);
    }
    std::thread::sleep(Duration::from_millis(5));
  }
}

/// The running services given the port of one that moved (`${api.port}` in their `run:`
/// or `env:`): left alone they would talk to the old port.
fn port_users(project: &Project, moved: &str) -> Vec<String> {
  let reference = format!("${{{moved}.");
  project
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
    .map(|other| other.name.clone())
    .collect()
}

/// `; restarting frontend too, it was given the old port`.
fn users_note(users: &[String]) -> String {
  match users {
    [] => String::new(),
    [one] => format!("; restarting {one} too, it was given the old port"),
    many => format!(
      "; restarting {} too, they were given the old port",
      many.join(", ")
    ),
  }
}
