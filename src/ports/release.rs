//! Stopping what holds a port, and nothing else: the holders, their wrappers and their
//! descendants; never PID 1, this `dev`, its ancestors (the user's shell) or another user's
//! processes. A service that `dev` started is stopped through its keeper, which knows its
//! stop signal and grace and reports the stop to a foreground `dev`.

use std::time::{Duration, Instant};

use super::holders::Holder;
use crate::{
  state::StateDir,
  supervise::keeper::KEEPER_SLACK,
  supervise::terminate::{Ended, terminate},
  sys::{self, Pid, ProcessId, Signal},
};

/// Why a holder must not be stopped; `None` when it may be.
pub(crate) fn refusal(holder: &Holder, other_users_allowed: bool) -> Option<String> {
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
  if holder.uid != euid && !(euid == 0 && other_users_allowed) {
    return Some(format!(
      "it belongs to user {} (only root can stop it, with --yes)",
      holder.user
    ));
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
}

/// What `release` did.
#[derive(Debug)]
pub(crate) struct Released {
  pub(crate) stopped: Vec<Stopped>,
  /// From the first signal until a trial bind succeeded; `None` if it never did.
  pub(crate) bindable_after: Option<Duration>,
}

/// How long the port may stay unbindable after its holders are gone.
const UNBIND_WAIT: Duration = Duration::from_secs(3);

/// Stops every holder (the caller checked `refusal` first): `signal` to each process of the
/// holders' groups and trees, up to `grace`, then SIGKILL; then waits for the port.
pub(crate) fn release(port: u16, holders: &[Holder], signal: Signal, grace: Duration) -> Released {
  let started = Instant::now();
  let mut stopped = Vec::new();
  let mut keepers: Vec<(ProcessId, Duration)> = Vec::new();
  let mut plain: Vec<&Holder> = Vec::new();
  for holder in holders {
    match keeper_of(holder) {
      Some((keeper, service_grace)) => {
        if !keepers.iter().any(|(k, _)| *k == keeper) {
          let _ = sys::signal_process(keeper.pid, Signal::Term);
          keepers.push((keeper, service_grace));
        }
        stopped.push(Stopped {
          process: Ended {
            pid: holder.pid,
            command: holder.command.clone(),
            killed: false,
          },
          service: holder.service.as_ref().map(|s| s.name.clone()),
        });
      }
      None => plain.push(holder),
    }
  }

  let ended = terminate(&targets(&plain), signal, grace);
  stopped.extend(ended.into_iter().map(|process| Stopped {
    process,
    service: None,
  }));

  for (keeper, service_grace) in keepers {
    if !sys::wait_for_exit(keeper, service_grace + KEEPER_SLACK) {
      let _ = sys::signal_process(keeper.pid, Signal::Kill);
    }
  }

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

/// The processes to signal: each holder, its descendants, and the chain of its ancestors
/// in the same process group (the `npm` and `sh` that wrap a `node`, which would otherwise
/// linger or respawn it). Never the group's other branches: a script that started two
/// servers in one group loses only the one that holds this port.
fn targets(holders: &[&Holder]) -> Vec<ProcessId> {
  let me = std::process::id();
  let mut untouchable = sys::ancestors(me);
  untouchable.extend([me, 1]);
  let mut pids: Vec<Pid> = Vec::new();
  for holder in holders {
    pids.push(holder.pid);
    let mut current = holder.pid;
    while let Some(parent) = sys::process_info(current).map(|info| info.ppid)
      && !untouchable.contains(&parent)
      && sys::process_info(parent).is_some_and(|info| info.pgid == holder.pgid)
      && sys::process_uid(parent) == Some(holder.uid)
    {
      pids.push(parent);
      current = parent;
    }
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
