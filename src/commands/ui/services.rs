//! The services pane's rows, read without side effects: the state files the keepers write,
//! the processes of each tree (CPU and memory), and the last health probe's verdict.

use std::{
  collections::HashMap,
  time::{Duration, Instant},
};

use crate::{
  project::Project,
  state::{Liveness, ServiceState, Transition},
  sys::{self, Usage},
  ui::format::{elapsed, status_text},
};

/// The last probe of a service: healthy or not, how long it took, what it said.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Probed {
  pub(crate) healthy: bool,
  pub(crate) latency_ms: f64,
  pub(crate) detail: String,
  /// When the probes began (Unix ms): one from before a run started is about an earlier
  /// run, and says nothing of this one.
  pub(crate) at_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ServiceView {
  pub(crate) name: String,
  /// How deep in `depends_on` (0: depends on nothing), for the indent.
  pub(crate) depth: usize,
  pub(crate) depends_on: Vec<String>,
  /// starting, ready, unhealthy, running, exited with code N, stopped, …
  pub(crate) state: String,
  pub(crate) pid: Option<u32>,
  pub(crate) ports: String,
  pub(crate) url: Option<String>,
  pub(crate) health: Option<Probed>,
  pub(crate) restarts: u32,
  pub(crate) uptime: Option<Duration>,
  pub(crate) cpu_percent: Option<f64>,
  pub(crate) resident_bytes: Option<u64>,
  /// Why the last run ended, when it ended by itself.
  pub(crate) last_end: Option<String>,
}

impl ServiceView {
  #[cfg(test)]
  pub(crate) fn named(name: &str) -> Self {
    Self {
      name: name.into(),
      ..Self::default()
    }
  }
}

/// Reads the rows again; remembers each tree's CPU time to tell the next call's CPU %.
#[derive(Default)]
pub(crate) struct Reader {
  last: HashMap<String, (Instant, Usage)>,
  /// The run (pid) of each service last seen ready: failing after that is "unhealthy",
  /// before it "starting".
  ready_runs: HashMap<String, u32>,
}

impl Reader {
  pub(crate) fn read(
    &mut self,
    project: &Project,
    names: &[String],
    health: &HashMap<String, Probed>,
    busy: &HashMap<String, &'static str>,
  ) -> Vec<ServiceView> {
    let mut rows: Vec<ServiceView> = names
      .iter()
      .map(|name| self.row(project, name, health.get(name)))
      .collect();
    for row in &mut rows {
      if let Some(doing) = busy.get(&row.name) {
        row.state = (*doing).into();
      }
    }
    rows
  }

  fn row(&mut self, project: &Project, name: &str, probed: Option<&Probed>) -> ServiceView {
    let service = project.config.service(name);
    let mut row = ServiceView {
      name: name.into(),
      depth: depth(project, name, 0),
      depends_on: service
        .map(|s| s.depends_on.iter().map(|d| d.service.clone()).collect())
        .unwrap_or_default(),
      state: "stopped".into(),
      ..ServiceView::default()
    };
    let state = project.state.read(name).map(ServiceState::liveness);
    match state {
      Some(Liveness::Running(state)) if let Some(exit) = state.exit => {
        row.state = match state.pending_restart {
          Some(next) => format!(
            "{}, restarting ({} of {})",
            status_text(exit.status()),
            next.attempt,
            next.max
          ),
          None => format!("{}, waiting for a change", status_text(exit.status())),
        };
        row.restarts = state.restarts;
        row.last_end = state.last_failure;
      }
      Some(Liveness::Running(state)) => {
        row.pid = state.process.map(|p| p.pid);
        row.ports = ports(&state);
        // Its name through the proxy first, as `dev status` shows it.
        row.url = crate::proxy::url_of(project.id, name)
          .or_else(|| state.port.map(|port| format!("http://127.0.0.1:{port}")));
        row.restarts = state.restarts;
        row.uptime = Some(state.uptime());
        row.last_end = state.last_failure.clone();
        row.state = self.running_cell(name, &state, service, probed);
        let probed = probed.filter(|probe| probe.at_ms >= state.started_at_ms);
        // What the keeper cannot do now, said where the user looks (details: `dev status`).
        if state.log_trouble.is_some() {
          row.state.push_str(" · log not written");
        }
        if state.watch_trouble.is_some() {
          row.state.push_str(" · not watching");
        }
        row.health = probed.cloned();
        let usage = tree_usage(state.keeper.pid);
        let now = Instant::now();
        if let Some((then, before)) = self.last.insert(name.into(), (now, usage)) {
          row.cpu_percent = usage.cpu_percent_since(before, now.duration_since(then));
        }
        row.resident_bytes = Some(usage.resident_bytes);
      }
      Some(Liveness::Exited(state, exit)) => {
        let ago = Duration::from_secs(crate::state::unix_now().saturating_sub(exit.at));
        row.state = format!("{} {} ago", status_text(exit.status()), elapsed(ago));
        row.restarts = state.restarts;
        row.last_end = match state.not_restarted {
          Some(why) => Some(format!("not restarted: {why}")),
          None => state.last_failure,
        };
      }
      Some(Liveness::Stale(_)) | None => {}
    }
    if service.is_none() {
      row.state.push_str(" (not in devtasks.yaml)");
    }
    row
  }

  /// The state cell of a running service: stopping / restarting while the keeper is at it,
  /// then starting, ready or unhealthy by the probes of this run.
  fn running_cell(
    &mut self,
    name: &str,
    state: &ServiceState,
    service: Option<&crate::config::Service>,
    probed: Option<&Probed>,
  ) -> String {
    let start_timeout = service
      .and_then(|s| s.health.as_ref())
      .map_or(Duration::from_secs(60), |health| health.start_timeout);
    let pid = state.process.map_or(0, |p| p.pid);
    // A restarted run is not credited with its predecessor's probe (it said "ready"
    // before the new run listened, then "unhealthy" without ever "starting").
    let earlier_run = probed.is_some_and(|probe| probe.at_ms < state.started_at_ms);
    let probed = probed.filter(|_| !earlier_run);
    match probed {
      // First: a stop's main process may be gone long before the rest of its tree.
      _ if state.transition == Some(Transition::Stopping) => "stopping…".into(),
      // From the keeper's first signal to the new run's start (a restart from anywhere:
      // a CLI verb, a watched file, the restart policy — whose old run is already gone).
      _ if state.transition == Some(Transition::Restarting)
        || state.process.is_some_and(|process| !process.is_alive()) =>
      {
        "restarting…".into()
      }
      None if earlier_run && state.uptime() < start_timeout => "starting".into(),
      None => "running".into(),
      Some(probe) if probe.healthy => {
        self.ready_runs.insert(name.into(), pid);
        "ready".into()
      }
      // Not ready yet in this run, and still within its start timeout.
      Some(_) if self.ready_runs.get(name) != Some(&pid) && state.uptime() < start_timeout => {
        "starting".into()
      }
      Some(_) => "unhealthy".into(),
    }
  }
}

/// Every process of the service: the keeper's descendants (the keeper itself is dev's).
fn tree_usage(keeper: u32) -> Usage {
  sys::descendants(keeper)
    .into_iter()
    .filter_map(sys::usage)
    .fold(Usage::default(), |sum, one| sum + one)
}

fn ports(state: &ServiceState) -> String {
  match state.ports.as_slice() {
    [] => state.port.map(|p| p.to_string()).unwrap_or_default(),
    [(_, port)] => port.to_string(),
    many => many
      .iter()
      .map(|(name, port)| format!("{name}:{port}"))
      .collect::<Vec<_>>()
      .join(" "),
  }
}

/// Levels of `depends_on` below a service (bounded: the file was checked for cycles).
fn depth(project: &Project, name: &str, level: usize) -> usize {
  let Some(service) = project.config.service(name) else {
    return 0;
  };
  if level > 16 {
    return 0;
  }
  service
    .depends_on
    .iter()
    .map(|dep| 1 + depth(project, &dep.service, level + 1))
    .max()
    .unwrap_or(0)
}
