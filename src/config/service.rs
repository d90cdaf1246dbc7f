//! `services:`: each service checked into a `Service` — its command, ports, environment,
//! dependencies, stop signal, probes and restart policy.

use crate::config::Location;
use std::{path::Path, time::Duration};

use super::{
  Checker, EnvFiles, Health, LogSettings, PortSpec, ShellChoice, Watch, WorkingDir,
  raw::{RawService, RawStop, Text},
};
use crate::{error::Result, sys::Signal};

#[derive(Clone, Debug)]
pub(crate) struct Service {
  pub(crate) name: String,
  pub(crate) description: Option<String>,
  pub(crate) run: String,
  /// What `run:` (and an `exec` probe) goes to.
  pub(crate) shell: ShellChoice,
  pub(crate) cwd: WorkingDir,
  /// `port:` first (named `port`), then the `ports:` map in file order.
  pub(crate) ports: Vec<PortSpec>,
  /// Read when it starts; its variables come before `env:`.
  pub(crate) env_file: EnvFiles,
  /// `env:` entries, not yet interpolated.
  pub(crate) env: Vec<(String, String)>,
  /// Where each of them is written.
  pub(crate) env_at: Vec<Location>,
  pub(crate) depends_on: Vec<Dependency>,
  pub(crate) stop_signal: Signal,
  pub(crate) grace: Duration,
  /// How to tell it is ready; `None` when it has neither `health:` nor a port.
  pub(crate) health: Option<Health>,
  /// Probed while it runs; `retries` failures in a row restart it.
  pub(crate) liveness: Option<Health>,
  pub(crate) restart: RestartPolicy,
  /// Open its URL in the browser once ready (`open: true`).
  pub(crate) open: bool,
  pub(crate) log: LogSettings,
  /// Restart on change (`watch:`).
  pub(crate) watch: Option<Watch>,
  /// `profiles:`: started only when one of them is asked for (`dev up --profile web`), by
  /// name, or as a dependency; empty: started by a bare `dev up`.
  pub(crate) profiles: Vec<String>,
}

/// What the keeper does when the service ends by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct RestartPolicy {
  pub(crate) when: Restart,
  /// Restarts in a row (a run longer than a minute resets the count).
  pub(crate) max: u32,
  /// Before the first restart; doubled each time, at most 30 s.
  pub(crate) delay_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Restart {
  No,
  OnFailure,
  Always,
}

impl Default for RestartPolicy {
  fn default() -> Self {
    Self {
      when: Restart::No,
      max: 5,
      delay_ms: 1000,
    }
  }
}

impl Service {
  /// The primary port as configured.
  pub(crate) fn port(&self) -> Option<u16> {
    self.ports.first().map(|p| p.preferred)
  }
}

#[derive(Clone, Debug)]
pub(crate) struct Dependency {
  pub(crate) service: String,
  pub(crate) condition: Condition,
}

/// When a dependent may start, as in docker compose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Condition {
  Started,
  Healthy,
  CompletedSuccessfully,
}

impl Condition {
  pub(crate) fn name(self) -> &'static str {
    match self {
      Self::Started => "started",
      Self::Healthy => "healthy",
      Self::CompletedSuccessfully => "completed_successfully",
    }
  }
}

pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(10);

impl Checker<'_> {
  pub(super) fn service(
    &self,
    root: &Path,
    name: &Text,
    raw: &RawService,
    services: &[&str],
    log: LogSettings,
  ) -> Result<Service> {
    if raw.run.value.trim().is_empty() {
      return Err(self.at(
        &raw.run,
        format!("service `{}` has an empty `run` command", name.value),
      ));
    }
    let ports = self.ports(name, raw)?;
    let health = self.health(name, raw.health.as_ref(), !ports.is_empty())?;
    let liveness = self.liveness(
      name,
      raw.liveness.as_ref(),
      !ports.is_empty(),
      health.as_ref(),
    )?;
    let env = self.variables(&raw.env.0)?;
    let depends_on = self.depends_on(name, &raw.depends_on.0, services)?;
    let restart = self.restart_policy(raw)?;
    let (stop_signal, grace) = self.stop(raw.stop.as_ref())?;
    Ok(Service {
      name: name.value.clone(),
      description: raw.description.as_ref().map(|text| text.value.clone()),
      run: raw.run.value.clone(),
      // Filled in by `check`, which knows the file's `shell:`.
      shell: ShellChoice::default(),
      cwd: self.directory(root, raw.cwd.as_ref()),
      ports,
      env_file: self.env_files(root, &raw.env_file),
      env,
      env_at: self.variable_locations(&raw.env.0),
      depends_on,
      stop_signal,
      grace,
      health,
      liveness,
      restart,
      open: raw.open.unwrap_or(false),
      log: self.log_settings(log, raw.log.as_ref())?,
      watch: self.watch(raw.watch.as_ref())?,
      profiles: self.profiles(raw)?,
    })
  }

  /// `profiles: [web, workers]`: names as the command line takes them.
  fn profiles(&self, raw: &RawService) -> Result<Vec<String>> {
    let mut profiles: Vec<String> = Vec::new();
    for text in &raw.profiles.0 {
      let value = text.value.trim();
      self.check_word(text, value, "profile")?;
      if !profiles.iter().any(|p| p == value) {
        profiles.push(value.to_owned());
      }
    }
    Ok(profiles)
  }

  /// `depends_on:`, each with its condition (`started` when none is given).
  fn depends_on(
    &self,
    name: &Text,
    raw: &[(Text, Option<Text>)],
    services: &[&str],
  ) -> Result<Vec<Dependency>> {
    let mut depends_on = Vec::new();
    for (dependency, condition) in raw {
      self.check_known(dependency, services, "service")?;
      if dependency.value == name.value {
        return Err(self.at(
          dependency,
          format!("service `{}` depends on itself", name.value),
        ));
      }
      let condition = match condition.as_ref().map(|text| (text, text.value.trim())) {
        None => Condition::Started,
        Some((_, "started" | "service_started")) => Condition::Started,
        Some((_, "healthy" | "service_healthy")) => Condition::Healthy,
        Some((_, "completed_successfully" | "service_completed_successfully")) => {
          Condition::CompletedSuccessfully
        }
        Some((text, _)) => {
          let known = ["started", "healthy", "completed_successfully"];
          return Err(self.unknown(text, "condition", &known));
        }
      };
      depends_on.push(Dependency {
        service: dependency.value.clone(),
        condition,
      });
    }
    Ok(depends_on)
  }

  /// `stop: {signal, grace}`: SIGTERM and 10 s unless given.
  fn stop(&self, raw: Option<&RawStop>) -> Result<(Signal, Duration)> {
    let (mut signal, mut grace) = (Signal::Term, DEFAULT_GRACE);
    let Some(stop) = raw else {
      return Ok((signal, grace));
    };
    if let Some(text) = &stop.signal {
      signal =
        Signal::parse(&text.value).ok_or_else(|| self.unknown(text, "signal", Signal::NAMES))?;
    }
    if let Some(text) = &stop.grace {
      grace = self.duration(text)?;
    }
    Ok((signal, grace))
  }

  fn restart_policy(&self, raw: &RawService) -> Result<RestartPolicy> {
    let mut policy = RestartPolicy::default();
    if let Some(text) = &raw.restart {
      policy.when = match text.value.trim() {
        "no" | "never" => Restart::No,
        "on-failure" | "on_failure" => Restart::OnFailure,
        "always" => Restart::Always,
        _ => {
          let known = ["no", "on-failure", "always"];
          return Err(self.unknown(text, "restart policy", &known));
        }
      };
    }
    if let Some(text) = &raw.max_restarts {
      policy.max = text.value.trim().parse().map_err(|_| {
        self.at(
          text,
          format!("expected a number of restarts, found `{}`", text.value),
        )
      })?;
    }
    if let Some(text) = &raw.restart_delay {
      policy.delay_ms = self.duration(text)?.as_millis() as u64;
    }
    Ok(policy)
  }
}
