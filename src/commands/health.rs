//! `dev health [svc…] [--json] [--watch]`: probe every running service once, all at the
//! same time, from any terminal, wherever dev started it (here, elsewhere, detached). A
//! service that is not running is unhealthy: "not running", or how it exited — a crashed
//! service counts even when it has no probe.

use std::{collections::HashMap, thread, time::Duration};

use serde::Serialize;

use crate::{
  error::{Error, Result},
  plan::{self, PortOverrides},
  project::Project,
  state::{ExitRecord, Liveness, ServiceState},
  supervise::probe::{Check, Outcome},
  sys::ExitStatus,
  ui::{
    format::{count, elapsed, status_text},
    output::{print_json, print_out, table},
    timestamp::now_millis,
  },
};

pub(crate) const NOT_RUNNING: &str = "not running";

#[derive(Serialize)]
pub(crate) struct Row {
  pub(crate) service: String,
  probe: &'static str,
  target: String,
  pub(crate) healthy: bool,
  /// Failed probes in a row (`--watch`); unhealthy from `retries` on, before that failing.
  failures: u32,
  #[serde(skip)]
  retries: u32,
  status: Option<u16>,
  pub(crate) latency_ms: f64,
  pub(crate) detail: String,
  /// The last lines a failing `exec` probe printed.
  #[serde(skip_serializing_if = "Vec::is_empty")]
  output: Vec<String>,
}

pub(crate) fn health(project: &Project, names: &[String], json: bool, watch: bool) -> Result<()> {
  let mut failures: HashMap<String, u32> = HashMap::new();
  loop {
    let mut rows = probe_all(project, names);
    for row in &mut rows {
      let count = failures.entry(row.service.clone()).or_default();
      *count = if row.healthy { 0 } else { *count + 1 };
      row.failures = *count;
    }
    let failing: Vec<String> = rows
      .iter()
      .filter(|row| !row.healthy)
      .map(|row| row.service.clone())
      .collect();
    print(project, &rows, json, watch)?;
    if !watch {
      if rows.is_empty() {
        project
          .report
          .warning("no service has a health check or a port to probe");
      }
      return if failing.is_empty() {
        Ok(())
      } else {
        Err(Error::Unhealthy {
          summary: format!(
            "{} unhealthy: {}",
            count(failing.len(), "service is", "services are"),
            failing.join(", ")
          ),
        })
      };
    }
    // As often as the most eager `health: {interval}` asks (2 s by default).
    let interval = project
      .config
      .services
      .iter()
      .filter_map(|service| service.health.as_ref().map(|health| health.interval))
      .min()
      .unwrap_or(Duration::from_secs(2));
    thread::sleep(interval.max(Duration::from_millis(100)));
    print_out("\n")?;
  }
}

/// The probe of a running service as it was started: the spec it was started with (its
/// environment and ports), even if the task file changed since.
pub(crate) fn started_check(
  project: &Project,
  service: &crate::config::Service,
  ports: &plan::PortMap,
  state: &ServiceState,
) -> Option<Check> {
  let spec = crate::supervise::spec::KeeperSpec::read(&project.state, &service.name)
    .ok()
    .or_else(|| plan::keeper_spec(&project.config, service, ports, None).ok())?;
  Check::new(service, &spec, ports, Some(state.keeper))
}

/// Probes every running service at once. One that is not running is unhealthy, whatever
/// its probe would say: something else may answer on its port, and a `log:` probe would
/// match the last run's line.
pub(crate) fn probe_all(project: &Project, names: &[String]) -> Vec<Row> {
  probe_each(project, names, |name| project.check(name))
}

/// `probe_all` for the dashboard, which promises no side effects: a keeper killed without
/// a word is only looked at, what it left is for the next CLI command to end.
pub(crate) fn probe_all_looking(project: &Project) -> Vec<Row> {
  probe_each(project, &[], |name| project.look(name))
}

/// Every service a bare `dev up` starts, and one in a profile only while it runs (a profile
/// nobody started is not a service that is missing); else the ones named.
fn looked_at(
  service: &crate::config::Service,
  names: &[String],
  liveness: impl Fn(&str) -> Option<Liveness>,
) -> bool {
  if names.is_empty() {
    service.profiles.is_empty() || matches!(liveness(&service.name), Some(Liveness::Running(_)))
  } else {
    names.contains(&service.name)
  }
}

fn probe_each(
  project: &Project,
  names: &[String],
  liveness: impl Fn(&str) -> Option<Liveness>,
) -> Vec<Row> {
  let ports = plan::known_ports(&project.config, &project.state, &PortOverrides::default());
  let selected: Vec<&crate::config::Service> = project
    .config
    .services
    .iter()
    .filter(|service| looked_at(service, names, &liveness))
    .collect();
  let mut rows: Vec<Option<Row>> = Vec::new();
  let mut checks: Vec<(usize, Check)> = Vec::new();
  for service in &selected {
    let state = match liveness(&service.name) {
      Some(Liveness::Running(state)) if !state.main_has_ended() && state.exit.is_none() => state,
      // Not running, only what its ended main process left is still being ended, or
      // between runs (a crash back-off: the keeper lives, the run does not).
      ended => {
        rows.push(not_running(service, ended.as_ref()));
        continue;
      }
    };
    if let Some(check) = started_check(project, service, &ports, &state) {
      checks.push((rows.len(), check));
    }
    rows.push(None);
  }
  let probed: Vec<(usize, Row)> = thread::scope(|scope| {
    let running: Vec<_> = checks
      .iter()
      .map(|(index, check)| {
        let probe = || check.run_in_run(&project.state);
        (*index, check, scope.spawn(probe))
      })
      .collect();
    running
      .into_iter()
      .map(|(index, check, handle)| {
        let outcome: Outcome = handle.join().unwrap_or_else(|_| Outcome {
          ok: false,
          detail: "probe panicked".into(),
          status: None,
          latency: Duration::ZERO,
          output: Vec::new(),
        });
        // An answer on the service's port from a process that is not the service's (it died
        // of EADDRINUSE, or has not bound yet) is not the service healthy.
        let foreign = outcome.ok && !check.answered_by_the_service();
        let row = Row {
          service: check.service.clone(),
          probe: check.probe.kind(),
          target: check.target(),
          healthy: outcome.ok && !foreign,
          failures: 0,
          retries: check.health.retries,
          status: outcome.status,
          latency_ms: (outcome.latency.as_secs_f64() * 1e6).round() / 1e3,
          detail: if foreign {
            "answered by another process, not the service".into()
          } else {
            outcome.detail
          },
          output: outcome.output,
        };
        (index, row)
      })
      .collect()
  });
  for (index, row) in probed {
    rows[index] = Some(row);
  }
  rows.into_iter().flatten().collect()
}

/// The row of a service that is not running: unhealthy, whatever its probe would say, and
/// so is one without a probe (stopped, never started, crashed: `dev wait web` must not say
/// ready). Only a run that completed (exit 0: a one-shot's success) has no row.
fn not_running(service: &crate::config::Service, ended: Option<&Liveness>) -> Option<Row> {
  let failed = match ended {
    Some(Liveness::Exited(_, exit)) if exit.status() != ExitStatus::Code(0) => {
      Some(status_text(exit.status()))
    }
    Some(Liveness::Running(state)) => state.exit.map(|exit| between_runs(state, exit)),
    _ => None,
  };
  let probe = match &service.health {
    Some(health) => health.probe.kind(),
    None if failed.is_some() || !matches!(ended, Some(Liveness::Exited(..))) => "process",
    None => return None,
  };
  Some(Row {
    service: service.name.clone(),
    probe,
    target: "-".into(),
    healthy: false,
    failures: 0,
    retries: 0,
    status: None,
    latency_ms: 0.0,
    detail: failed.unwrap_or_else(|| NOT_RUNNING.into()),
    output: Vec::new(),
  })
}

/// A service whose keeper waits to run it again: how the last run ended, and when the
/// next one starts if one is scheduled.
fn between_runs(state: &ServiceState, exit: ExitRecord) -> String {
  let ended = status_text(exit.status());
  match state.pending_restart {
    Some(next) => format!(
      "{ended}, restarting in {}",
      elapsed(Duration::from_millis(
        next.at_ms.saturating_sub(now_millis())
      ))
    ),
    None => ended,
  }
}

fn print(project: &Project, rows: &[Row], json: bool, watch: bool) -> Result<()> {
  if json {
    return print_json(rows);
  }
  let color = project.color;
  let cells: Vec<Vec<String>> = rows
    .iter()
    .map(|row| {
      vec![
        row.service.clone(),
        row.probe.to_owned(),
        row.target.clone(),
        if row.healthy {
          color.good("healthy").to_string()
        } else if row.detail == NOT_RUNNING {
          color.dim("not running").to_string()
        } else if watch && row.failures < row.retries {
          // Watching: one failed probe is not yet a verdict.
          color
            .warning(&format!("failing {}/{}", row.failures, row.retries))
            .to_string()
        } else {
          color.error("unhealthy").to_string()
        },
        row.status.map_or("-".into(), |s| s.to_string()),
        format!("{:.1} ms", row.latency_ms),
        // The probe's last words say why: `exit code 1: connection refused`.
        match row.output.last() {
          Some(line) => format!("{}: {line}", row.detail),
          None => row.detail.clone(),
        },
      ]
    })
    .collect();
  print_out(&table(
    color,
    &[
      "SERVICE", "PROBE", "TARGET", "RESULT", "STATUS", "LATENCY", "DETAIL",
    ],
    &cells,
  ))
}
