//! `dev status [--json]`: one row per service, as the system shows it right now.

use std::{path::Path, time::Duration};

use serde::Serialize;

use crate::{
  config::source::display_path,
  error::Result,
  ports::ledger::Ledger,
  project::Project,
  state::{ExitRecord, Liveness, ServiceState, Transition, unix_now},
  ui::{
    color::Color,
    format::{count, elapsed, port_list, status_text},
    output::{print_json, print_out, table},
    timestamp::now_millis,
  },
};

#[derive(Serialize)]
struct Row {
  service: String,
  state: &'static str,
  pid: Option<u32>,
  port: Option<u16>,
  /// Every port by name (`{"port": 8000}` or `{"http": 8080, "ws": 8081}`).
  ports: serde_json::Map<String, serde_json::Value>,
  /// Milliseconds, as every duration of `--json`.
  uptime_ms: Option<u64>,
  #[serde(skip)]
  uptime: Option<Duration>,
  restarts: u32,
  /// Why the last run ended when it ended by itself or hung: "exited with code 1".
  last_failure: Option<String>,
  exit_code: Option<i32>,
  exit_signal: Option<i32>,
  /// `foreground` (a `dev` shows its output) or `background` (detached); for an exited
  /// service whose keeper still runs, `restarting` (a back-off) or `waiting for a change`.
  mode: Option<&'static str>,
  /// While a restart back-off runs: when the next run starts, and which restart it is.
  next_restart: Option<NextRestart>,
  /// While its keeper ends the running service for a stop or a restart (a grace can be
  /// long): `stopping` or `restarting`; the service still runs.
  transition: Option<Transition>,
  /// How long ago an exited service ended (the table's "… 3s ago").
  #[serde(skip)]
  ended_ago: Option<Duration>,
  /// False for a service the task file no longer names (renamed or removed while it ran).
  in_config: bool,
  /// `http://web.shop.localhost:7355/` while it runs with a port and the proxy runs.
  url: Option<String>,
  log: String,
  /// What its keeper cannot do right now: write the log (a full disk), watch for changes.
  #[serde(skip_serializing_if = "Vec::is_empty")]
  troubles: Vec<String>,
  /// Why its keeper did not start it again although its policy would have: "port 8123 is
  /// held by python3 (pid 4242, up 3s)".
  #[serde(skip_serializing_if = "Option::is_none")]
  not_restarted: Option<String>,
  /// While `ending`: how many of its processes are still alive.
  #[serde(skip)]
  still_ending: usize,
}

#[derive(Serialize)]
struct NextRestart {
  in_ms: u64,
  attempt: u32,
  max: u32,
}

pub(crate) fn status(project: &Project, names: &[String], json: bool) -> Result<()> {
  let names = if names.is_empty() {
    let mut all = project.service_names();
    all.extend(project.orphans());
    all
  } else {
    names.to_vec()
  };
  let mut rows: Vec<Row> = names.iter().map(|name| Row::of(project, name)).collect();
  for row in &mut rows {
    if row.state == "running" {
      row.url = crate::proxy::url_of(project.id, &row.service);
    }
  }
  if json {
    return print_json(&rows);
  }
  let color = project.color;
  let mut cells: Vec<Vec<String>> = rows.iter().map(|row| row.cells(color)).collect();
  let mut header = vec![
    "SERVICE", "STATE", "PID", "PORT", "UPTIME", "RESTARTS", "LOG",
  ];
  // The names, when the proxy gives any (a column only then: scripts read `--json`).
  if rows.iter().any(|row| row.url.is_some()) {
    header.insert(4, "URL");
    for (row, cells) in rows.iter().zip(&mut cells) {
      cells.insert(4, row.url.clone().unwrap_or_else(|| "-".into()));
    }
  }
  print_out(&table(color, &header, &cells))?;
  for note in claimed_elsewhere(project, &rows) {
    project.report.step(&note);
  }
  // Without a readable task file there is no name it gives: nothing to compare.
  if let Some(running) = project.name_in_effect().filter(|_| project.task_file_read) {
    project.report.step(&format!(
      "its services run as `{running}` (their URLs): the name devtasks.yaml gives now, `{}`, takes effect once they have all stopped",
      project.url_name()
    ));
  }
  for row in &rows {
    for trouble in &row.troubles {
      project
        .report
        .warning(&format!("{}: {trouble}", row.service));
    }
  }
  Ok(())
}

impl Row {
  /// What the system shows of one service right now.
  fn of(project: &Project, name: &str) -> Self {
    let log = project.config.log_of(name);
    let mut row = Row {
      service: name.to_owned(),
      state: "stopped",
      pid: None,
      port: None,
      ports: serde_json::Map::new(),
      uptime_ms: None,
      uptime: None,
      restarts: 0,
      last_failure: None,
      exit_code: None,
      exit_signal: None,
      mode: None,
      next_restart: None,
      transition: None,
      ended_ago: None,
      // Without a readable task file nothing is known to be missing from it.
      in_config: project.config.service(name).is_some() || !project.task_file_read,
      url: None,
      log: log.display().to_string(),
      still_ending: 0,
      troubles: Vec::new(),
      not_restarted: None,
    };
    match project.check(name) {
      // A keeper that watches for changes keeps a failed service's place until the next save.
      // Or, in a restart back-off, comes back by itself.
      Some(Liveness::Running(state)) if let Some(exit) = state.exit => {
        row.ended(&state, exit);
        row.next_restart = state.pending_restart.map(|next| NextRestart {
          in_ms: next.at_ms.saturating_sub(now_millis()),
          attempt: next.attempt,
          max: next.max,
        });
        row.mode = Some(match row.next_restart {
          Some(_) => "restarting",
          None => "waiting for a change",
        });
      }
      Some(Liveness::Running(state)) if state.main_has_ended() => row.ending(&state),
      Some(Liveness::Running(state)) => {
        row.state = "running";
        row.transition = state.transition;
        row.pid = state.process.map(|p| p.pid);
        row.port = state.port;
        row.ports = state
          .ports
          .iter()
          .map(|(name, port)| (name.clone(), (*port).into()))
          .collect();
        row.uptime_ms = Some(state.uptime().as_millis() as u64);
        row.uptime = Some(state.uptime());
        row.restarts = state.restarts;
        row.last_failure = state.last_failure.clone();
        row.troubles.extend(state.log_trouble.iter().cloned());
        row.troubles.extend(state.watch_trouble.iter().cloned());
        row.mode = Some(if state.supervisor.is_some() {
          "foreground"
        } else {
          "background"
        });
      }
      Some(Liveness::Exited(state, exit)) => row.ended(&state, exit),
      Some(Liveness::Stale(_)) | None => {}
    }
    row
  }

  /// The service ended by itself: no uptime, how long ago it ended.
  fn ended(&mut self, state: &ServiceState, exit: ExitRecord) {
    self.state = "exited";
    self.exit_code = exit.code;
    self.exit_signal = exit.signal;
    self.port = state.port;
    self.restarts = state.restarts;
    self.last_failure = state.last_failure.clone();
    self.not_restarted = state.not_restarted.clone();
    self.ended_ago = Some(Duration::from_secs(unix_now().saturating_sub(exit.at)));
  }

  /// The main process ended while what it started is still being ended by its keeper.
  fn ending(&mut self, state: &ServiceState) {
    self.state = "ending";
    if let Some(ended) = state.main_ended {
      self.exit_code = ended.code;
      self.exit_signal = ended.signal;
    }
    self.port = state.port;
    self.restarts = state.restarts;
    self.last_failure = state.last_failure.clone();
    self.still_ending = state.processes_left();
  }

  /// The row of the table.
  fn cells(&self, color: Color) -> Vec<String> {
    let service = if self.in_config {
      self.service.clone()
    } else {
      format!("{} {}", self.service, color.dim("(not in devtasks.yaml)"))
    };
    let ports = port_list(
      self
        .ports
        .iter()
        .map(|(name, port)| (name.as_str(), port.as_u64().unwrap_or(0) as u16)),
    )
    .or_else(|| self.port.map(|p| p.to_string()));
    let uptime = self.uptime.filter(|_| self.state == "running").map(elapsed);
    let restarts = match (self.restarts, &self.last_failure) {
      (0, _) => "-".into(),
      (count, None) => count.to_string(),
      (count, Some(why)) => format!("{count} (last: {})", short_reason(why)),
    };
    let dash = || "-".to_owned();
    vec![
      service,
      self.state_cell(color),
      self.pid.map_or_else(dash, |p| p.to_string()),
      ports.unwrap_or_else(dash),
      uptime.unwrap_or_else(dash),
      restarts,
      display_path(Path::new(&self.log)),
    ]
  }

  /// "running", "stopped", or how and how long ago it exited.
  fn state_cell(&self, color: Color) -> String {
    match self.state {
      "running" => match self.transition {
        Some(Transition::Stopping) => color.dim("running, stopping…").to_string(),
        Some(Transition::Restarting) => color.dim("running, restarting…").to_string(),
        None => color.good("running").to_string(),
      },
      "exited" => {
        let status = ExitRecord {
          code: self.exit_code,
          signal: self.exit_signal,
          at: 0,
        }
        .status();
        let ago = self.ended_ago.unwrap_or_default();
        let waiting = match (&self.next_restart, self.mode) {
          _ if let Some(why) = &self.not_restarted => format!(", not restarted: {why}"),
          (Some(next), _) => format!(
            ", restarting in {} (attempt {} of {})",
            elapsed(Duration::from_millis(next.in_ms)),
            next.attempt,
            next.max
          ),
          (None, Some(mode)) => format!(", {mode}"),
          (None, None) => String::new(),
        };
        color
          .error(&format!(
            "{} {} ago{waiting}",
            status_text(status),
            elapsed(ago)
          ))
          .to_string()
      }
      "ending" => color
        .error(&format!(
          "exited, {} still ending",
          count(self.still_ending, "process", "processes")
        ))
        .to_string(),
      other => color.dim(other).to_string(),
    }
  }
}

/// A stopped service whose port another project on this machine uses will start elsewhere
/// (or not at all): said under the table, so the next `dev up` is no surprise.
fn claimed_elsewhere(project: &Project, rows: &[Row]) -> Vec<String> {
  let Ok(ledger) = Ledger::open() else {
    return Vec::new();
  };
  let mut notes = Vec::new();
  for row in rows.iter().filter(|row| row.state != "running") {
    let Some(service) = project.config.service(&row.service) else {
      continue;
    };
    for spec in &service.ports {
      if let Some(claim) = ledger
        .claims
        .iter()
        .find(|claim| claim.project_id != project.id && claim.ports.contains(&spec.preferred))
      {
        notes.push(format!(
          "{}'s port {} is used by service `{}` of {}",
          row.service,
          spec.preferred,
          claim.service,
          display_path(&claim.project)
        ));
      }
    }
  }
  notes
}

/// "exited with code 1" as is; "was not responding (3 liveness probes …)" as "not responding".
fn short_reason(why: &str) -> &str {
  match why.split_once(" (") {
    Some((head, _)) => head.strip_prefix("was ").unwrap_or(head),
    None => why,
  }
}
