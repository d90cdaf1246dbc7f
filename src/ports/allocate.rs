//! Choosing a service's ports just before it starts.
//!
//! A port is taken as configured when a trial bind succeeds and no other service has it or
//! claims it (in this project or any other on this machine: see `ledger`). Otherwise: a
//! previous instance of this very service (proven by the markers its processes inherit) is
//! stopped without a question; a foreign holder is stopped only with force; else the
//! service's `fallback:` gives the next free port, and the user is told. The choice is
//! claimed in the machine-wide ledger under its lock, so two `dev` runs starting at the same
//! moment — in one project or in two — never pick the same port.

use std::time::Duration;

use super::{
  holders::{self, PortReport},
  is_bindable,
  ledger::Ledger,
  release::{self, Released, Targets},
  taken::{Obstacle, describe, label, taken_error},
};
use crate::{
  config::{Fallback, PortSpec, Service},
  error::Result,
  plan::PortOverrides,
  project::Project,
  state::Liveness,
  sys::{self, Pid, Signal},
};

/// How long a foreign holder gets between SIGTERM and SIGKILL under `force`.
const FOREIGN_GRACE: Duration = Duration::from_secs(5);

/// How far `fallback: auto` looks above the preferred port.
const AUTO_SPAN: u16 = 1000;

/// What `allocate` may do besides choosing.
#[derive(Clone, Copy, Default)]
pub(crate) struct Allocation<'a> {
  /// Stop foreign holders of the configured ports (`dev <svc>-force`).
  pub(crate) force: bool,
  /// Ports found taken after an earlier choice (a start that died of EADDRINUSE).
  pub(crate) avoid: &'a [u16],
  /// A restart: the ports the running instance holds count as free (its stop frees them).
  pub(crate) restarting: bool,
}

/// Ports this project's running services have, except `service`'s own: `(port, service)`.
fn running_ports(project: &Project, except: &str) -> Vec<(u16, String)> {
  let mut used = Vec::new();
  for other in &project.config.services {
    if other.name == except {
      continue;
    }
    if let Some(Liveness::Running(state)) = project.state.read(&other.name).map(|s| s.liveness()) {
      used.extend(
        state
          .ports
          .iter()
          .map(|(_, port)| (*port, other.name.clone())),
      );
    }
  }
  used
}

/// Every process of this project's running services: checked before scanning all of /proc.
pub(crate) fn dev_processes(project: &Project) -> Vec<Pid> {
  let mut pids = Vec::new();
  for service in &project.config.services {
    if let Some(Liveness::Running(state)) = project.state.read(&service.name).map(|s| s.liveness())
    {
      pids.extend(sys::descendants(state.keeper.pid));
    }
  }
  pids
}

/// Chooses every port of `service` and claims them in the machine's ledger.
pub(crate) fn allocate(
  project: &Project,
  service: &Service,
  overrides: &PortOverrides,
  how: Allocation,
) -> Result<Vec<(String, u16)>> {
  if service.ports.is_empty() {
    return Ok(Vec::new());
  }
  let ledger = Ledger::open()?;
  // Only under the lock: a `dev` that just started a sibling hands its claim over to the
  // sibling's keeper, and the sibling's state names the port, after the ledger was written.
  let own_ports: Vec<u16> = if how.restarting {
    project
      .state
      .read(&service.name)
      .map(|state| state.ports.iter().map(|(_, port)| *port).collect())
      .unwrap_or_default()
  } else {
    Vec::new()
  };
  let mut chooser = Chooser {
    project,
    service,
    how,
    siblings: running_ports(project, &service.name),
    known: std::cell::OnceCell::new(),
    own_ports,
    ledger,
    chosen: Vec::new(),
  };
  for (index, spec) in service.ports.iter().enumerate() {
    let explicit = overrides.get(&service.name, spec, index == 0)?;
    let port = chooser.choose(spec, explicit)?;
    chooser.chosen.push((spec.name.clone(), port));
  }
  let ports: Vec<u16> = chooser.chosen.iter().map(|(_, port)| *port).collect();
  chooser.ledger.reserve(
    (project.id, &project.config.root, &project.url_name()),
    &service.name,
    &ports,
  )?;
  Ok(chooser.chosen)
}

/// What one allocation knows while it chooses port after port.
struct Chooser<'a> {
  project: &'a Project,
  service: &'a Service,
  how: Allocation<'a>,
  ledger: Ledger,
  /// Ports of this project's other running services.
  siblings: Vec<(u16, String)>,
  /// Processes of this project's running services, looked up only for a port that is held:
  /// a walk of every running service's tree, which made each start of many services cost
  /// in proportion to those already started.
  known: std::cell::OnceCell<Vec<Pid>>,
  /// Ports the running instance holds, when restarting.
  own_ports: Vec<u16>,
  /// The service's ports chosen so far.
  chosen: Vec<(String, u16)>,
}

impl Chooser<'_> {
  /// One port: the wanted one (given on the command line, or `port:`) when it can be had or
  /// freed as allowed, else the first candidate of its fallback.
  fn choose(&self, spec: &PortSpec, explicit: Option<u16>) -> Result<u16> {
    let (project, service) = (self.project, self.service);
    let wanted = explicit.unwrap_or(spec.preferred);
    let Some(problem) = self.obstacle(wanted) else {
      return Ok(wanted);
    };
    if let Obstacle::Held(report) = &problem
      && let Some(freed) = free_for(project, service, report, self.how.force)?
    {
      report_release(project, service, wanted, &freed);
      if freed.bindable_after.is_some() {
        return Ok(wanted);
      }
    }
    let fallback = if explicit.is_some() {
      &Fallback::None
    } else {
      &spec.fallback
    };
    let mut tried = vec![(wanted, describe(project, &problem, wanted))];
    for port in candidates(fallback, wanted, &project.config.reserved) {
      match self.obstacle(port) {
        None => {
          project.report.step(&format!(
            "{}: {wanted} {} → using {port}",
            label(service, spec),
            tried[0].1
          ));
          return Ok(port);
        }
        Some(problem) => tried.push((port, describe(project, &problem, port))),
      }
    }
    Err(taken_error(
      service,
      spec,
      &tried,
      explicit.is_some(),
      fallback,
    ))
  }

  /// Why `port` cannot be taken as it is; `None` when it can.
  fn obstacle(&self, port: u16) -> Option<Obstacle> {
    let project = self.project;
    if let Some((name, _)) = self.chosen.iter().find(|(_, p)| *p == port) {
      return Some(Obstacle::OwnSet(name.clone()));
    }
    if self.how.avoid.contains(&port) {
      return Some(Obstacle::Avoided);
    }
    // A claim of this project's orphan (renamed or removed while it ran) is not an
    // obstacle: its holder is ours to stop, as a previous instance would be.
    if let Some(claim) = self.ledger.claim_on(port, project.id, &self.service.name)
      && !(claim.project_id == project.id && project.config.service(&claim.service).is_none())
    {
      return Some(Obstacle::Claimed {
        service: claim.service.clone(),
        project: claim.project.clone(),
      });
    }
    if let Some((_, name)) = self.siblings.iter().find(|(p, _)| *p == port) {
      return Some(Obstacle::Sibling(name.clone()));
    }
    if is_bindable(port) {
      return None;
    }
    let known = self.known.get_or_init(|| dev_processes(project));
    let report = holders::inspect(port, known);
    // A restart: the running instance's hold ends with its stop. Another program that took
    // the port while the service was down (a crash backing off) holds it after that too.
    // A holder dev cannot see (another user's socket; every socket under Wine) is left to
    // the keeper, which looks again once the old run is gone and before the new one starts.
    let its_own = self.own_ports.contains(&port)
      && report.holders.iter().all(|holder| {
        holder
          .service
          .as_ref()
          .is_some_and(|s| s.project == project.config.root && s.name == self.service.name)
      });
    (!its_own && !report.status.is_free()).then_some(Obstacle::Held(report))
  }
}

/// Stops the holders when that is allowed without asking: the service's own previous
/// instance always, anything else (of this user) under force. `None` when not allowed.
fn free_for(
  project: &Project,
  service: &Service,
  report: &PortReport,
  force: bool,
) -> Result<Option<Released>> {
  if report.holders.is_empty() || !report.unseen.is_empty() {
    return Ok(None);
  }
  // Ours: a previous instance of this service, or of one the task file no longer names
  // (renamed or removed while it ran), in this project.
  let own = report.holders.iter().all(|holder| {
    holder.service.as_ref().is_some_and(|s| {
      s.project == project.config.root
        && (s.name == service.name || project.config.service(&s.name).is_none())
    })
  });
  if own {
    return Ok(Some(release::release(
      report.port,
      Targets::of(&report.holders),
      service.stop_signal,
      service.grace,
    )));
  }
  if !force
    || report
      .holders
      .iter()
      .any(|holder| release::refusal(holder, false).is_some())
  {
    return Ok(None);
  }
  let freed = release::release(
    report.port,
    Targets::of(&report.holders),
    Signal::Term,
    FOREIGN_GRACE,
  );
  if let Some(note) = release::parents_note(&freed.parents_left) {
    project.report.step(&format!("{}: {note}", service.name));
  }
  Ok(Some(freed))
}

fn report_release(project: &Project, service: &Service, port: u16, freed: &Released) {
  for stopped in &freed.stopped {
    let how = if stopped.process.killed {
      "killed"
    } else {
      "stopped"
    };
    let whose = match &stopped.service {
      Some(other) if *other != service.name => {
        format!(", of {other}, which is no longer in devtasks.yaml")
      }
      _ => String::new(),
    };
    project.report.step(&format!(
      "{}: {how} pid {} ({}{whose}) to free port {port}",
      service.name, stopped.process.pid, stopped.process.command
    ));
  }
}

fn candidates(fallback: &Fallback, wanted: u16, reserved: &[u16]) -> Vec<u16> {
  let all: Vec<u16> = match fallback {
    Fallback::None => Vec::new(),
    Fallback::Ports(ports) => ports.clone(),
    Fallback::Auto => {
      (wanted.saturating_add(1).max(1024)..=wanted.saturating_add(AUTO_SPAN)).collect()
    }
  };
  all
    .into_iter()
    .filter(|port| *port != wanted && !reserved.contains(port))
    .collect()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn auto_fallback_skips_privileged_and_reserved_ports() {
    let ports = candidates(&Fallback::Auto, 80, &[1024, 1025]);
    assert_eq!(ports.first(), Some(&1026));
    assert!(ports.iter().all(|p| *p > 1025 && *p <= 1080));
    let listed = candidates(&Fallback::Ports(vec![8000, 8001, 8002]), 8000, &[8001]);
    assert_eq!(listed, vec![8002]);
  }
}
