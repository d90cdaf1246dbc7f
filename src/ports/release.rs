//! Stopping what holds a port, and nothing else: the holders and their own descendants —
//! never a holder's parent (an editor's extension host that runs a debugged server is the
//! user's, and may be their editor), PID 1, this `dev`, its ancestors (the user's shell) or,
//! unless asked by name, another user's processes. Everything that will be signalled is known
//! before it is asked about (`Targets`), so that the question and the report list exactly
//! those. A service that `dev` started is stopped through its keeper, which knows its stop
//! signal and grace and reports the stop to a foreground `dev`.

use std::time::{Duration, Instant};

use super::holders::Holder;
use crate::{
  state::StateDir,
  supervise::keeper::KEEPER_SLACK,
  supervise::terminate::{Ended, terminate},
  sys::{self, Pid, ProcessId, Signal},
};

/// Why a holder must not be stopped; `None` when it may be. Another user's process only
/// with `other_users` (`--other-users`), and only for root: `--yes` alone never reaches it.
pub(crate) fn refusal(holder: &Holder, other_users: bool) -> Option<String> {
  let me = std::process::id();
  if holder.pid == 1 {
    return Some("it is PID 1 (init)".into());
  }
  if holder.pid == me {
    return Some("it is this dev itself".into());
  }
  if sys::ancestors(me).contains(&holder.pid) {
    return Some("it is an ancestor of this dev (your shell or terminal)".into());
  }
  let euid = sys::effective_uid();
  if holder.uid != euid && !(euid == 0 && other_users) {
    return Some(if euid == 0 {
      format!(
        "it belongs to user {}, not to you (`--other-users` stops another user's process)",
        holder.user
      )
    } else {
      format!(
        "it belongs to user {} (only root can stop it, with `--other-users`)",
        holder.user
      )
    });
  }
  None
}

/// One process that was stopped, for the report.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Stopped {
  #[serde(flatten)]
  pub(crate) process: Ended,
  /// Set when it was a dev service, stopped through its keeper.
  pub(crate) service: Option<String>,
  /// That service's project (its folder): it may be another project's than the caller's.
  #[serde(skip_serializing_if = "Option::is_none")]
  pub(crate) project: Option<std::path::PathBuf>,
}

/// A process left running that may start a holder again: a holder's parent.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Parent {
  pub(crate) pid: Pid,
  pub(crate) command: String,
}

/// What a release will signal, decided before anyone is asked.
#[derive(Debug)]
pub(crate) struct Targets {
  /// Holders that are dev services, stopped through their keepers (keeper, grace, holder).
  services: Vec<(ProcessId, Duration, Stopped)>,
  /// Everything signalled directly: the other holders and their own descendants.
  processes: Vec<(ProcessId, String)>,
  /// The holders' parents, left running.
  pub(crate) parents_left: Vec<Parent>,
}

impl Targets {
  pub(crate) fn of(holders: &[Holder]) -> Self {
    let mut services: Vec<(ProcessId, Duration, Stopped)> = Vec::new();
    let mut plain: Vec<&Holder> = Vec::new();
    for holder in holders {
      match keeper_of(holder) {
        Some((keeper, grace)) => services.push((
          keeper,
          grace,
          Stopped {
            process: Ended {
              pid: holder.pid,
              command: holder.command.clone(),
              killed: false,
            },
            service: holder.service.as_ref().map(|s| s.name.clone()),
            project: holder.service.as_ref().map(|s| s.project.clone()),
          },
        )),
        None => plain.push(holder),
      }
    }
    let processes: Vec<(ProcessId, String)> = own_trees(&plain)
      .into_iter()
      .map(|process| {
        let command = sys::command_line(process.pid).unwrap_or_else(|| "?".into());
        (process, command)
      })
      .collect();
    let parents_left = parents_left(&plain, &processes);
    Targets {
      services,
      processes,
      parents_left,
    }
  }

  /// One line per process that will be signalled (or stopped through its keeper).
  pub(crate) fn lines(&self) -> Vec<String> {
    let services = self.services.iter().map(|(keeper, _, stopped)| {
      format!(
        "dev service {} (pid {}, through its keeper pid {})",
        stopped.service.as_deref().unwrap_or("?"),
        stopped.process.pid,
        keeper.pid
      )
    });
    let processes = self
      .processes
      .iter()
      .map(|(process, command)| format!("pid {} ({command})", process.pid));
    services.chain(processes).collect()
  }
}

/// A line naming the parents left running, and how to stop one that starts the holder again.
pub(crate) fn parents_note(parents: &[Parent]) -> Option<String> {
  let names: Vec<String> = parents
    .iter()
    .map(|p| format!("pid {} ({})", p.pid, p.command))
    .collect();
  let first = parents.first()?;
  Some(format!(
    "left running: its parent {} — if it starts it again, stop it yourself (`kill {}`)",
    names.join(", "),
    first.pid
  ))
}

/// What `release` did.
#[derive(Debug)]
pub(crate) struct Released {
  pub(crate) stopped: Vec<Stopped>,
  /// From the first signal until a trial bind succeeded; `None` if it never did.
  pub(crate) bindable_after: Option<Duration>,
  /// The holders' parents, which were not signalled.
  pub(crate) parents_left: Vec<Parent>,
}

/// How long the port may stay unbindable after its holders are gone.
const UNBIND_WAIT: Duration = Duration::from_secs(3);

/// Stops the targets (the caller checked `refusal` first): `signal` to each, up to `grace`,
/// then SIGKILL; dev services through their keepers; then waits for the port.
pub(crate) fn release(port: u16, targets: Targets, signal: Signal, grace: Duration) -> Released {
  let started = Instant::now();
  let mut stopped = Vec::new();
  let mut keepers: Vec<(ProcessId, Duration)> = Vec::new();
  for (keeper, service_grace, holder) in targets.services {
    // Each keeper once, though several holders (a pre-fork server) share it: a second
    // SIGTERM that the keeper handles apart from the first hurries its stop past the
    // service's grace. No test catches `==` → `!=` here: two signals sent back to back are
    // mostly one pending signal by the time the keeper runs, so a test would be a race.
    if !keepers.iter().any(|(k, _)| *k == keeper) {
      let _ = sys::signal_process(keeper.pid, Signal::Term);
      keepers.push((keeper, service_grace));
    }
    stopped.push(holder);
  }
  let processes: Vec<ProcessId> = targets.processes.iter().map(|(p, _)| *p).collect();
  let ended = terminate(&processes, signal, grace);
  stopped.extend(ended.into_iter().map(|process| Stopped {
    process,
    service: None,
    project: None,
  }));

  for (keeper, service_grace) in keepers {
    if !sys::wait_for_exit(keeper, service_grace + KEEPER_SLACK) {
      let _ = sys::signal_process(keeper.pid, Signal::Kill);
    }
  }

  // Every process that had the socket has ended by now, and a listening socket closes with
  // its last process, so the first look finds the port bindable; the wait covers a kernel
  // slower than that. Hence no test sees a mutant that skips it (`+` → `-`, `>=` → `<`):
  // cost, not outcome, for any holder a test can make.
  let unbind_deadline = Instant::now() + UNBIND_WAIT;
  let bindable_after = loop {
    if super::is_bindable(port) {
      break Some(started.elapsed());
    }
    if Instant::now() >= unbind_deadline {
      break None;
    }
    std::thread::sleep(Duration::from_millis(1));
  };
  Released {
    stopped,
    bindable_after,
    parents_left: targets.parents_left,
  }
}

/// A live keeper that started this holder, proven by the instance token in the keeper's
/// state file; with the service's grace from its spec.
fn keeper_of(holder: &Holder) -> Option<(ProcessId, Duration)> {
  let service = holder.service.as_ref()?;
  let state_dir = StateDir::new(crate::state::state_dir_of(&service.project), None);
  let state = state_dir.read(&service.name)?;
  if state.token != service.instance || !state.keeper.is_alive() {
    return None;
  }
  let grace = crate::supervise::spec::KeeperSpec::read(&state_dir, &service.name)
    .map_or(crate::config::DEFAULT_GRACE, |spec| {
      Duration::from_millis(spec.grace_ms)
    });
  Some((state.keeper, grace))
}

/// The processes to signal: each holder and its own descendants. Never its ancestors, even
/// in its process group: an editor, its extension host and the server it debugs share one
/// group and one user, and only the server holds the port (a wrapper such as `npm` or
/// `sh -c` ends by itself once its child is gone).
fn own_trees(holders: &[&Holder]) -> Vec<ProcessId> {
  let me = std::process::id();
  let mut untouchable = sys::ancestors(me);
  untouchable.extend([me, 1]);
  let mut pids: Vec<Pid> = Vec::new();
  for holder in holders {
    pids.push(holder.pid);
    pids.extend(sys::descendants(holder.pid));
  }
  let mut seen = Vec::new();
  pids
    .into_iter()
    .filter(|pid| !untouchable.contains(pid))
    .filter(|pid| {
      let new = !seen.contains(pid);
      seen.push(*pid);
      new
    })
    .filter_map(|pid| {
      let process = ProcessId::of(pid)?;
      // A holder whose pid now names another process (it exited, the pid was reused) is
      // not ours to touch.
      let reused = holders.iter().any(|h| h.pid == pid && h.process != process);
      (!reused).then_some(process)
    })
    .collect()
}

/// The holders' parents that stay: not signalled, not PID 1, not this `dev` or its shell.
fn parents_left(holders: &[&Holder], signalled: &[(ProcessId, String)]) -> Vec<Parent> {
  let me = std::process::id();
  let mine = sys::ancestors(me);
  let mut parents: Vec<Parent> = Vec::new();
  for holder in holders {
    let pid = holder.ppid;
    // `mine`, this dev's ancestors, ends with PID 1: `pid <= 1` only matters where that
    // chain cannot be read to its end, so its `||` → `&&` changes nothing in the tests.
    if pid <= 1
      || pid == me
      || mine.contains(&pid)
      || signalled.iter().any(|(p, _)| p.pid == pid)
      || parents.iter().any(|p| p.pid == pid)
    {
      continue;
    }
    if let Some(command) = sys::command_line(pid) {
      parents.push(Parent { pid, command });
    }
  }
  parents
}
