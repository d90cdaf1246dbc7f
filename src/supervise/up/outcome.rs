//! What the end of a start means: a probe that never passed, a service gone while awaited,
//! a keeper that ended before, after or because of a stop — and when a port taken meanwhile
//! is worth another try elsewhere.

use std::{
  path::{Path, PathBuf},
  time::Duration,
};

use super::Run;
use crate::{
  config::{Condition, Fallback},
  error::{Error, NotReadyWhy},
  ports::holders::{self, PortStatus},
  project::Project,
  state::ServiceState,
  supervise::{
    keeper::EXIT_SERVICE_ENDED, log_tail::run_tail, probe::Outcome, readiness::TAIL_LINES,
  },
  sys::ExitStatus,
  ui::format::{count, elapsed, status_text},
};

/// How many times a start whose port was taken goes again elsewhere.
const TRIES: u32 = 3;

impl Run<'_> {
  /// A launch whose probe never passed: said, and the failure it means.
  pub(super) fn timed_out(
    &mut self,
    launch: u64,
    tries: u32,
    last: &Outcome,
    target: &str,
  ) -> Option<Error> {
    let service = self
      .schedule
      .launch(launch)
      .filter(|s| s.completed.is_none())?;
    service.completed = Some(false);
    let name = service.name.clone();
    let deadline = self
      .project
      .config
      .service(&name)
      .and_then(|s| s.health.as_ref())
      .map_or(Duration::ZERO, |h| h.start_timeout);
    let mut reason = format!(
      "was not ready after {}: {target} → {} ({})",
      elapsed(deadline),
      last.detail,
      count(tries as usize, "probe", "probes")
    );
    // A command probe's reason is in what it printed, which is in no log.
    if !last.output.is_empty() {
      reason.push_str("\n  the probe's last output:");
      for line in &last.output {
        reason.push_str(&format!("\n  │ {line}"));
      }
    }
    if !self.start.detach {
      self.project.report.failure(&format!("{name} {reason}"));
    }
    Some(Error::NotReady {
      service: name,
      reason,
      why: NotReadyWhy::TimedOut,
    })
  }

  /// The keeper of a service that was running when we came ended while a dependent waited
  /// for it. (For the keepers we started, their relay's `Ended` says how.)
  pub(super) fn gone(&mut self, launch: u64) -> Option<Error> {
    let service = self
      .schedule
      .launch(launch)
      .filter(|s| s.keeper.is_none() && s.completed.is_none())?;
    service.completed = Some(false);
    Some(Error::NotReady {
      service: service.name.clone(),
      reason: "stopped while a dependent waited for it to be healthy".into(),
      why: NotReadyWhy::Stopped,
    })
  }

  /// A keeper ended: the one place that decides what a service's end means — before it was
  /// ready (whatever the readiness watcher was doing at that moment), after, or on request.
  pub(super) fn ended(&mut self, launch: u64, code: i32) -> Option<Error> {
    let (project, stopping) = (&self.project, self.stopping);
    let name = self.schedule.launch(launch)?.name.clone();
    let recorded = project.state.read(&name);
    let awaited_completion = project.config.services.iter().any(|s| {
      s.depends_on
        .iter()
        .any(|d| d.service == name && d.condition == Condition::CompletedSuccessfully)
    });
    let service = self.schedule.launch(launch)?;
    let before_ready = service.watched && !service.ready && service.completed.is_none();
    service.completed = Some(false);
    match (code, recorded.as_ref().and_then(|state| state.exit)) {
      (EXIT_SERVICE_ENDED, Some(exit)) if !stopping => {
        let status = exit.status();
        let succeeded = status == ExitStatus::Code(0);
        if before_ready && !(succeeded && awaited_completion) {
          return self.failed_before_ready(launch, &name, status, recorded.as_ref());
        }
        service.completed = Some(succeeded);
        project.state.remove(&name);
        if succeeded {
          project
            .report
            .stopped(&format!("{name} exited with code 0"));
          return None;
        }
        let why = recorded
          .and_then(|state| state.last_failure)
          .unwrap_or_else(|| status_text(status));
        project.report.failure(&format!("{name} {why}"));
        Some(Error::ServiceFailed {
          service: name,
          status,
        })
      }
      _ if before_ready && !stopping => Some(Error::NotReady {
        service: name,
        reason: "was stopped before it was ready (by `dev stop` or a signal to its keeper)".into(),
        why: NotReadyWhy::Stopped,
      }),
      _ => {
        if !self.start.detach {
          project.report.stopped(&format!("{name} stopped"));
        }
        None
      }
    }
  }

  /// A service that exited before it was ready: tried again elsewhere when its port was
  /// taken, else said with the last lines of its output. Its state file stays, so that
  /// `dev status` shows how the start failed.
  fn failed_before_ready(
    &mut self,
    launch: u64,
    name: &str,
    status: ExitStatus,
    recorded: Option<&ServiceState>,
  ) -> Option<Error> {
    let log = log_of(&self.project, name, recorded);
    if self.retry_elsewhere(launch, name, &log) {
      return None;
    }
    let project = &self.project;
    let reason = format!("{} before it was ready", status_text(status));
    if !self.start.detach {
      project.report.failure(&format!("{name} {reason}"));
    }
    let tail = run_tail(&log, TAIL_LINES);
    if !tail.is_empty() {
      let header = format!(
        "last {} of its output ({}):",
        count(tail.len(), "line", "lines"),
        project.report.path(&log)
      );
      project.report.details(&header, &tail);
    }
    Some(Error::NotReady {
      service: name.to_owned(),
      reason,
      why: NotReadyWhy::Exited,
    })
  }

  /// A start that died because one of its ports was taken meanwhile (another checkout, a
  /// server started by hand) goes again on the next free candidate, up to three times, when
  /// the port has a `fallback:`. True when it will.
  fn retry_elsewhere(&mut self, launch: u64, name: &str, log: &Path) -> bool {
    let project = &self.project;
    let Some(service) = project.config.service(name) else {
      return false;
    };
    let ours: Vec<(String, u16)> = self.ports.get(name).cloned().unwrap_or_default();
    let movable = |port: u16| {
      service
        .ports
        .iter()
        .zip(&ours)
        .any(|(spec, (_, chosen))| *chosen == port && spec.fallback != Fallback::None)
    };
    // Held now by someone (the service is gone, so not by it); or the log says so.
    let held: Vec<u16> = ours
      .iter()
      .map(|(_, port)| *port)
      .filter(|port| holders::inspect(*port, &[]).status == PortStatus::Listening)
      .collect();
    let taken = match ours.first() {
      Some((_, first)) if held.is_empty() && said_address_in_use(&run_tail(log, TAIL_LINES)) => {
        vec![*first]
      }
      _ => held,
    };
    if taken.is_empty() || !taken.iter().all(|port| movable(*port)) {
      return false;
    }
    let (tried, avoid) = self.retries.entry(name.to_owned()).or_default();
    if *tried >= TRIES {
      return false;
    }
    *tried += 1;
    avoid.extend(&taken);
    let list: Vec<String> = taken.iter().map(u16::to_string).collect();
    project.report.step(&format!(
      "{name}: port {} was taken while it started; trying another ({tried} of {TRIES})",
      list.join(", ")
    ));
    project.state.remove(name);
    self.schedule.again(launch, name);
    true
  }
}

/// Where a service's output went.
fn log_of(project: &Project, name: &str, recorded: Option<&ServiceState>) -> PathBuf {
  recorded.map_or_else(|| project.config.log_of(name), |state| state.log.clone())
}

/// The words servers use when their port is taken (Python, Node, Go, Ruby, Java, uvicorn).
fn said_address_in_use(lines: &[String]) -> bool {
  lines.iter().any(|line| {
    let line = line.to_ascii_lowercase();
    [
      "address already in use",
      "eaddrinuse",
      "address in use",
      "errno 98",
      "errno 48",
    ]
    .iter()
    .any(|phrase| line.contains(phrase))
  })
}
