//! `dev ps [svc…] [--json]`: each running service's process tree — pid, CPU %, resident
//! memory, the ports each process listens on, its command line — read from the system as
//! the dashboard reads it (`sys::descendants` of the keeper, `sys::usage`). CPU % is over a
//! sampling window, as `top` measures it; the keeper itself is dev's and not shown.

use std::{collections::HashMap, thread, time::Duration, time::Instant};

use serde::Serialize;

use crate::{
  error::Result,
  project::Project,
  state::Liveness,
  sys::{self, Pid, Usage},
  ui::{
    format::mebibytes,
    output::{print_json, print_out, table},
  },
};

/// Between the two samples of CPU time.
const WINDOW: Duration = Duration::from_millis(250);

#[derive(Serialize)]
struct Tree {
  service: String,
  keeper_pid: Pid,
  processes: Vec<Process>,
}

#[derive(Serialize)]
struct Process {
  pid: Pid,
  ppid: Pid,
  /// 0 for the service's main process, 1 for its children, …
  depth: usize,
  command: String,
  cpu_percent: Option<f64>,
  rss_bytes: Option<u64>,
  /// The TCP ports it listens on.
  ports: Vec<u16>,
}

pub(crate) fn ps(project: &Project, names: &[String], json: bool) -> Result<()> {
  let mut keepers = Vec::new();
  for service in &project.config.services {
    if !names.is_empty() && !names.contains(&service.name) {
      continue;
    }
    if let Some(Liveness::Running(state)) = project.check(&service.name) {
      keepers.push((service.name.clone(), state.keeper.pid));
    }
  }
  let first = sample(&keepers);
  let started = Instant::now();
  if !keepers.is_empty() {
    thread::sleep(WINDOW);
  }
  let second = sample(&keepers);
  let wall = started.elapsed();
  let trees: Vec<Tree> = keepers
    .iter()
    .map(|(service, keeper)| Tree {
      service: service.clone(),
      keeper_pid: *keeper,
      processes: processes(*keeper, &first, &second, wall),
    })
    .collect();
  if json {
    return print_json(&trees);
  }
  if trees.is_empty() {
    project
      .report
      .warning("no service is running (`dev up -d` starts them)");
    return Ok(());
  }
  print_out(&render(project, &trees))
}

/// The usage of every process of the keepers' trees now.
fn sample(keepers: &[(String, Pid)]) -> HashMap<Pid, Usage> {
  keepers
    .iter()
    .flat_map(|(_, keeper)| sys::descendants(*keeper))
    .filter_map(|pid| Some((pid, sys::usage(pid)?)))
    .collect()
}

/// The keeper's descendants as a tree, each child under its parent.
fn processes(
  keeper: Pid,
  first: &HashMap<Pid, Usage>,
  second: &HashMap<Pid, Usage>,
  wall: Duration,
) -> Vec<Process> {
  let pids = sys::descendants(keeper);
  let parents: HashMap<Pid, Pid> = pids
    .iter()
    .filter_map(|pid| Some((*pid, sys::process_info(*pid)?.ppid)))
    .collect();
  let mut ordered = Vec::new();
  place(keeper, 0, &parents, &mut ordered);
  ordered
    .into_iter()
    .map(|(pid, depth)| {
      let now = second.get(&pid).copied();
      Process {
        pid,
        ppid: parents.get(&pid).copied().unwrap_or(keeper),
        depth,
        command: sys::command_line(pid).unwrap_or_else(|| "?".into()),
        cpu_percent: now
          .zip(first.get(&pid).copied())
          .and_then(|(now, before)| now.cpu_percent_since(before, wall))
          .map(|percent| (percent * 10.0).round() / 10.0),
        rss_bytes: now.map(|usage| usage.resident_bytes),
        ports: sys::listening_ports_of(&[pid]),
      }
    })
    .collect()
}

/// Depth-first from `parent`: each process, then its children, by pid.
fn place(parent: Pid, depth: usize, parents: &HashMap<Pid, Pid>, out: &mut Vec<(Pid, usize)>) {
  let mut children: Vec<Pid> = parents
    .iter()
    .filter(|(_, of)| **of == parent)
    .map(|(pid, _)| *pid)
    .collect();
  children.sort_unstable();
  for child in children {
    if out.iter().any(|(pid, _)| *pid == child) {
      continue;
    }
    out.push((child, depth));
    place(child, depth + 1, parents, out);
  }
}

fn render(project: &Project, trees: &[Tree]) -> String {
  let color = project.color;
  let mut rows = Vec::new();
  for tree in trees {
    for process in &tree.processes {
      let indent = if process.depth == 0 {
        String::new()
      } else {
        format!("{}└ ", "  ".repeat(process.depth - 1))
      };
      let ports: Vec<String> = process.ports.iter().map(u16::to_string).collect();
      rows.push(vec![
        if process.depth == 0 {
          tree.service.clone()
        } else {
          String::new()
        },
        format!("{indent}{}", process.pid),
        process
          .cpu_percent
          .map_or("-".into(), |p| format!("{p:.1}%")),
        process.rss_bytes.map_or("-".into(), mebibytes),
        if ports.is_empty() {
          "-".into()
        } else {
          ports.join(",")
        },
        process.command.clone(),
      ]);
    }
  }
  table(
    color,
    &["SERVICE", "PID", "CPU", "RSS", "PORTS", "COMMAND"],
    &rows,
  )
}
