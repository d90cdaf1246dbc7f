//! Process facts every backend builds from its primitives (`children`, `process_info`,
//! `all_pids`, `environment_variables`): a process's family and its `DEV_*` markers.

use super::{Pid, os};

/// What the system says about a process.
#[derive(Clone, Debug)]
pub(crate) struct ProcessInfo {
  pub(crate) ppid: Pid,
  pub(crate) pgid: Pid,
  pub(crate) session: Pid,
  /// Exited, and not yet reaped by its parent.
  pub(crate) zombie: bool,
  /// The program's short name.
  pub(crate) comm: String,
}

/// What a process has used: CPU time so far, and memory resident now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
  pub(crate) cpu: std::time::Duration,
  pub(crate) resident_bytes: u64,
}

impl std::ops::Add for Usage {
  type Output = Usage;
  fn add(self, other: Usage) -> Usage {
    Usage {
      cpu: self.cpu + other.cpu,
      resident_bytes: self.resident_bytes + other.resident_bytes,
    }
  }
}

impl Usage {
  /// CPU use between `before` and this sample, `wall` apart, as `top` shows it: 100% is
  /// one core busy the whole time.
  pub(crate) fn cpu_percent_since(self, before: Usage, wall: std::time::Duration) -> Option<f64> {
    let cpu = self.cpu.saturating_sub(before.cpu).as_secs_f64();
    let wall = wall.as_secs_f64();
    (wall > 0.0).then(|| cpu / wall * 100.0)
  }
}

impl ProcessInfo {
  pub(crate) fn is_zombie(&self) -> bool {
    self.zombie
  }
}

/// Every descendant of a process, parents before children.
pub(crate) fn descendants(root: Pid) -> Vec<Pid> {
  let mut found = Vec::new();
  let mut queue = os::children(root);
  while let Some(pid) = queue.pop() {
    if !found.contains(&pid) {
      found.push(pid);
      queue.extend(os::children(pid));
    }
  }
  found
}

/// The chain of parents from `pid` up to init, not including `pid`.
pub(crate) fn ancestors(pid: Pid) -> Vec<Pid> {
  let mut chain = Vec::new();
  let mut current = pid;
  while let Some(info) = os::process_info(current) {
    if info.ppid == 0 || chain.contains(&info.ppid) {
      break;
    }
    chain.push(info.ppid);
    current = info.ppid;
  }
  chain
}

/// Processes whose environment contains `key=value` exactly. Used to find the survivors of a
/// service whose keeper was SIGKILLed: every process of a service inherits a unique marker.
/// Processes of other users are unreadable (EACCES) and skipped, which is what we want.
pub(crate) fn processes_with_env(key: &str, value: &str) -> Vec<Pid> {
  os::all_pids()
    .into_iter()
    .filter(|pid| {
      os::environment_variables(*pid, &[key])
        .pop()
        .flatten()
        .as_deref()
        == Some(value)
    })
    .collect()
}
