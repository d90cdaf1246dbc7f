//! Choosing a service's ports just before it starts.
//!
//! A port is taken as configured when a trial bind succeeds and no other service has it or
//! claims it (in this project or any other on this machine: see `ledger`). Otherwise: a
//! previous instance of this very service (proven by the markers its processes inherit) is
//! stopped without a question; a foreign holder is stopped only with force; else the
//! service's `fallback:` gives the next free port, and the user is told. The choice is
//! claimed in the machine-wide ledger under its lock, so two `dev` runs starting at the same
//! moment — in one project or in two — never pick the same port.

use std::{path::PathBuf, time::Duration};

use super::{
  holders::{self, PortReport},
  is_bindable,
  ledger::Ledger,
  release::{self, Released},
};
use crate::{
  config::{Fallback, PortSpec, Service, source::display_path},
  error::{Error, Result},
  plan::PortOverrides,
  project::Project,
  state::Liveness,
  sys::{self, Pid, Signal},
};

/// How long a foreign holder gets between SIGTERM and SIGKILL under `force`.
const FOREIGN_GRACE: Duration = Duration::from_secs(5);

/// How far `fallback: auto` looks above the preferred port.
const AUTO_SPAN: u16 = 1000;

/// Ports taken in the port-is-taken error before "and N more".
const LISTED_TRIES: usize = 8;

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

/// Why a port cannot be taken as it is.
enum Obstacle {
  /// Another port of the same service already has it.
  OwnSet(String),
  /// Another service of this project runs on it.
  Sibling(String),
  /// Claimed in the machine's ledger by a service of this project or another one.
  Claimed { service: String, project: PathBuf },
  /// It was taken from under an earlier start of this service.
  Avoided,
  /// Something holds it, as the kernel says.
  Held(PortReport),
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
  let mut ledger = Ledger::open()?;
  // Only under the lock: a `dev` that just started a sibling hands its claim over to the
  // sibling's keeper, and the sibling's state names the port, after the ledger was written.
  let siblings = running_ports(project, &service.name);
  let known = dev_processes(project);
  let own_ports: Vec<u16> = if how.restarting {
    project
      .state
      .read(&service.name)
      .map(|state| state.ports.iter().map(|(_, port)| *port).collect())
      .unwrap_or_default()
  } else {
    Vec::new()
  };
  let mut chosen: Vec<(String, u16)> = Vec::new();
  for (index, spec) in service.ports.iter().enumerate() {
    let explicit = overrides.get(&service.name, spec, index == 0);
    let wanted = explicit.unwrap_or(spec.preferred);
    let obstacle = |port: u16, chosen: &[(String, u16)]| -> Option<Obstacle> {
      if let Some((name, _)) = chosen.iter().find(|(_, p)| *p == port) {
        return Some(Obstacle::OwnSet(name.clone()));
      }
      if how.avoid.contains(&port) {
        return Some(Obstacle::Avoided);
      }
      // A claim of this project's orphan (renamed or removed while it ran) is not an
      // obstacle: its holder is ours to stop, as a previous instance would be.
      if let Some(claim) = ledger.claim_on(port, project.id, &service.name)
        && !(claim.project_id == project.id && project.config.service(&claim.service).is_none())
      {
        return Some(Obstacle::Claimed {
          service: claim.service.clone(),
          project: claim.project.clone(),
        });
      }
      if let Some((_, name)) = siblings.iter().find(|(p, _)| *p == port) {
        return Some(Obstacle::Sibling(name.clone()));
      }
      if own_ports.contains(&port) || is_bindable(port) {
        return None;
      }
      let report = holders::inspect(port, &known);
      (!report.status.is_free()).then_some(Obstacle::Held(report))
    };
    let Some(problem) = obstacle(wanted, &chosen) else {
      chosen.push((spec.name.clone(), wanted));
      continue;
    };
    if let Obstacle::Held(report) = &problem
      && let Some(freed) = free_for(project, service, report, how.force)?
    {
      report_release(project, service, wanted, &freed);
      if freed.bindable_after.is_some() {
        chosen.push((spec.name.clone(), wanted));
        continue;
      }
    }
    let fallback = if explicit.is_some() {
      &Fallback::None
    } else {
      &spec.fallback
    };
    let mut tried = vec![(wanted, describe(project, &problem, wanted))];
    let mut found = None;
    for port in candidates(fallback, wanted, &project.config.reserved) {
      match obstacle(port, &chosen) {
        None => {
          found = Some(port);
          break;
        }
        Some(problem) => tried.push((port, describe(project, &problem, port))),
      }
    }
    let Some(port) = found else {
      return Err(taken_error(
        service,
        spec,
        &tried,
        explicit.is_some(),
        fallback,
      ));
    };
    project.report.step(&format!(
      "{}: {wanted} {} → using {port}",
      label(service, spec),
      tried[0].1
    ));
    chosen.push((spec.name.clone(), port));
  }
  let ports: Vec<u16> = chosen.iter().map(|(_, port)| *port).collect();
  ledger.reserve(project.id, &project.config.root, &service.name, &ports)?;
  Ok(chosen)
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
      &report.holders,
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
  Ok(Some(release::release(
    report.port,
    &report.holders,
    Signal::Term,
    FOREIGN_GRACE,
  )))
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

fn label(service: &Service, spec: &PortSpec) -> String {
  if service.ports.len() == 1 {
    service.name.clone()
  } else {
    format!("{} ({})", service.name, spec.name)
  }
}

/// `held by python3 (pid 4242, up 2h05m)`, `used by service `web` of ~/other`.
fn describe(project: &Project, problem: &Obstacle, port: u16) -> String {
  match problem {
    Obstacle::OwnSet(name) => format!("already its `{name}` port"),
    Obstacle::Sibling(name) => format!("used by service `{name}`"),
    Obstacle::Claimed {
      service,
      project: root,
    } if *root == project.config.root => {
      format!("used by service `{service}`")
    }
    Obstacle::Claimed {
      service,
      project: root,
    } => format!("used by service `{service}` of {}", display_path(root)),
    Obstacle::Avoided => "was taken while it started".into(),
    Obstacle::Held(report) => {
      if !report.holders.is_empty() {
        let holders: Vec<String> = report.holders.iter().map(|h| h.short()).collect();
        format!("held by {}", holders.join(", "))
      } else if let Some(socket) = report.unseen.first() {
        format!("held by a process of user {}", socket.user)
      } else {
        format!(
          "in use by {} connection(s) on port {port}",
          report.connections.unwrap_or(0)
        )
      }
    }
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

/// Every port tried and what holds each, then the ways out.
fn taken_error(
  service: &Service,
  spec: &PortSpec,
  tried: &[(u16, String)],
  explicit: bool,
  fallback: &Fallback,
) -> Error {
  let name = &service.name;
  let port = tried[0].0;
  let message = if tried.len() == 1 {
    format!(
      "cannot start {}: port {port} is {}",
      label(service, spec),
      tried[0].1
    )
  } else {
    format!(
      "cannot start {}: port {port} and all {} fallback ports are taken",
      label(service, spec),
      tried.len() - 1
    )
  };
  let mut details: Vec<String> = Vec::new();
  if tried.len() > 1 {
    let width = tried
      .iter()
      .take(LISTED_TRIES)
      .map(|(port, _)| port.to_string().len())
      .max()
      .unwrap_or(0);
    details.extend(
      tried
        .iter()
        .take(LISTED_TRIES)
        .map(|(port, what)| format!("{port:<width$}  {what}")),
    );
    if tried.len() > LISTED_TRIES {
      details.push(format!(
        "… and {} more",
        crate::ui::format::count(tried.len() - LISTED_TRIES, "port", "ports")
      ));
    }
  }
  let hint = if explicit {
    format!("you asked for port {port}; `dev port find {port}` lists free ports near it")
  } else if *fallback == Fallback::Auto {
    format!(
      "`dev port who {port}` shows who holds it; `dev {name}-force` stops it and starts {name}"
    )
  } else if *fallback != Fallback::None {
    format!(
      "`dev port who {port}` shows who holds it; `dev {name}-force` stops it; or widen the range: `fallback: auto`"
    )
  } else {
    format!(
      "`dev {name}-force` stops it and starts {name}; `dev port free {port}` only frees the port; or add `fallback: {}-{}` to {name} in devtasks.yaml",
      port.saturating_add(1),
      port.saturating_add(10)
    )
  };
  Error::PortsTaken {
    message,
    details,
    hint,
  }
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
