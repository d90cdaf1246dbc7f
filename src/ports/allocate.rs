//! Choosing a service's ports just before it starts.
//!
//! A port is taken as configured when a trial bind succeeds and no other service has it.
//! Otherwise: a previous instance of this very service (proven by the markers its processes
//! inherit) is stopped without a question; a foreign holder is stopped only with force; else
//! the service's `fallback:` gives the next free port, and the user is told. Choices are
//! recorded in `.dev/ports.json` under a lock, so two `dev` runs starting at the same moment
//! never pick the same port; a reservation dies with the `dev` that made it.

use std::{
  fs::{self, File},
  path::PathBuf,
  time::Duration,
};

use serde::{Deserialize, Serialize};

use super::{
  holders::{self, PortReport},
  is_bindable,
  release::{self, Released},
};
use crate::{
  config::{Fallback, PortSpec, Service},
  error::{Error, Result},
  plan::PortOverrides,
  project::Project,
  state::{Liveness, StateDir, write_atomically},
  sys::{self, Pid, ProcessId, Signal},
};

/// How long a foreign holder gets between SIGTERM and SIGKILL under `force`.
const FOREIGN_GRACE: Duration = Duration::from_secs(5);

/// How far `fallback: auto` looks above the preferred port.
const AUTO_SPAN: u16 = 1000;

#[derive(Debug, Serialize, Deserialize)]
struct Reservation {
  port: u16,
  service: String,
  holder: ProcessId,
  boot_id: String,
}

/// `.dev/ports.json`, read and written only while `.dev/ports.lock` is held.
struct Ledger {
  _lock: File,
  path: PathBuf,
  entries: Vec<Reservation>,
}

impl Ledger {
  fn open(state: &StateDir) -> Result<Self> {
    state.ensure()?;
    let lock = state.lock("ports")?;
    let path = state.path.join("ports.json");
    let mut entries: Vec<Reservation> = fs::read(&path)
      .ok()
      .and_then(|bytes| serde_json::from_slice(&bytes).ok())
      .unwrap_or_default();
    entries.retain(|r| r.holder.is_alive_since(&r.boot_id));
    Ok(Self {
      _lock: lock,
      path,
      entries,
    })
  }

  fn holder_of(&self, port: u16, service: &str) -> Option<&Reservation> {
    self
      .entries
      .iter()
      .find(|r| r.port == port && r.service != service)
  }

  fn reserve(&mut self, service: &str, ports: &[(String, u16)]) -> Result<()> {
    let me = ProcessId::of(std::process::id()).ok_or_else(|| Error::Io {
      context: "cannot read this process's start time".into(),
      source: std::io::Error::other("/proc/self/stat unreadable"),
    })?;
    self.entries.retain(|r| r.service != service);
    for (_, port) in ports {
      self.entries.push(Reservation {
        port: *port,
        service: service.to_owned(),
        holder: me,
        boot_id: sys::boot_id().to_owned(),
      });
    }
    write_atomically(
      &self.path,
      &serde_json::to_vec_pretty(&self.entries).unwrap_or_default(),
    )
  }
}

/// Forgets this `dev`'s reservations for a service once its state file records the ports.
pub(crate) fn drop_reservations(state: &StateDir, service: &str) {
  if let Ok(mut ledger) = Ledger::open(state) {
    let before = ledger.entries.len();
    ledger.entries.retain(|r| r.service != service);
    if ledger.entries.len() != before {
      let _ = write_atomically(
        &ledger.path,
        &serde_json::to_vec_pretty(&ledger.entries).unwrap_or_default(),
      );
    }
  }
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

/// Ports this project's services run on or are being started on: `(port, service)`.
pub(crate) fn ports_in_use_by_dev(project: &Project) -> Vec<(u16, String)> {
  let mut used = running_ports(project, "");
  if project.state.path.is_dir()
    && let Ok(ledger) = Ledger::open(&project.state)
  {
    used.extend(ledger.entries.iter().map(|r| (r.port, r.service.clone())));
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
  /// Another service of this project runs on it or is being started on it.
  Sibling(String),
  /// Something holds it, as the kernel says.
  Held(PortReport),
}

/// Chooses every port of `service` and reserves them.
pub(crate) fn allocate(
  project: &Project,
  service: &Service,
  overrides: &PortOverrides,
  force: bool,
) -> Result<Vec<(String, u16)>> {
  if service.ports.is_empty() {
    return Ok(Vec::new());
  }
  let mut ledger = Ledger::open(&project.state)?;
  // Only under the lock: a `dev` that just started a sibling drops its reservation once the
  // sibling's state file names the port, so the state must be read after the ledger.
  let siblings = running_ports(project, &service.name);
  let known = dev_processes(project);
  let mut chosen: Vec<(String, u16)> = Vec::new();
  for (index, spec) in service.ports.iter().enumerate() {
    let explicit = overrides.get(&service.name, spec, index == 0);
    let wanted = explicit.unwrap_or(spec.preferred);
    let obstacle = |port: u16, chosen: &[(String, u16)]| -> Option<Obstacle> {
      if let Some((name, _)) = chosen.iter().find(|(_, p)| *p == port) {
        return Some(Obstacle::OwnSet(name.clone()));
      }
      if let Some(reservation) = ledger.holder_of(port, &service.name) {
        return Some(Obstacle::Sibling(reservation.service.clone()));
      }
      if let Some((_, name)) = siblings.iter().find(|(p, _)| *p == port) {
        return Some(Obstacle::Sibling(name.clone()));
      }
      if is_bindable(port) {
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
      && let Some(freed) = free_for(project, service, report, force)?
    {
      report_release(project, service, wanted, &freed);
      if freed.bindable_after.is_some() {
        chosen.push((spec.name.clone(), wanted));
        continue;
      }
    }
    let what = describe(&problem, wanted);
    let fallback = if explicit.is_some() {
      &Fallback::None
    } else {
      &spec.fallback
    };
    let candidates = candidates(fallback, wanted, &project.config.reserved);
    match candidates
      .into_iter()
      .find(|port| obstacle(*port, &chosen).is_none())
    {
      Some(port) => {
        project.report.step(&format!(
          "{}: {wanted} {what} → using {port}",
          label(service, spec)
        ));
        chosen.push((spec.name.clone(), port));
      }
      None => {
        return Err(held_error(
          service,
          spec,
          wanted,
          &what,
          explicit.is_some(),
          fallback,
        ));
      }
    }
  }
  ledger.reserve(&service.name, &chosen)?;
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
  let own = report.holders.iter().all(|holder| {
    holder
      .service
      .as_ref()
      .is_some_and(|s| s.name == service.name && s.project == project.config.root)
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
  for stopped in freed.stopped.iter().map(|s| &s.process) {
    let how = if stopped.killed { "killed" } else { "stopped" };
    project.report.step(&format!(
      "{}: {how} pid {} ({}) to free port {port}",
      service.name, stopped.pid, stopped.command
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

/// `held by python3 (pid 4242, up 2h05m)`.
fn describe(problem: &Obstacle, port: u16) -> String {
  match problem {
    Obstacle::OwnSet(name) => format!("already its `{name}` port"),
    Obstacle::Sibling(name) => format!("used by service `{name}`"),
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

fn held_error(
  service: &Service,
  spec: &PortSpec,
  port: u16,
  what: &str,
  explicit: bool,
  fallback: &Fallback,
) -> Error {
  let name = &service.name;
  let message = format!(
    "cannot start {}: port {port} is {what}",
    label(service, spec)
  );
  let hint = if explicit {
    format!("you asked for port {port}; `dev port find {port}` lists free ports near it")
  } else if *fallback != Fallback::None {
    format!(
      "every fallback port is taken too; `dev port who {port}` shows who holds it, `dev {name}-force` stops it"
    )
  } else {
    format!(
      "`dev {name}-force` stops it and starts {name}; `dev port free {port}` only frees the port; or add `fallback: {}-{}` to {name} in devtasks.yaml",
      port.saturating_add(1),
      port.saturating_add(10)
    )
  };
  Error::Port { message, hint }
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
