//! Ending processes proven ours (pid + start time): a signal, up to a grace, then SIGKILL
//! for those left and for whatever they forked meanwhile. Used for the survivors of a
//! killed keeper and for the holders of a port.

use std::time::{Duration, Instant};

use crate::sys::{self, Pid, ProcessId, Signal};

/// One process that was ended, for the report.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Ended {
  pub(crate) pid: Pid,
  pub(crate) command: String,
  /// True when it needed SIGKILL after the grace.
  pub(crate) killed: bool,
}

pub(crate) fn terminate(processes: &[ProcessId], signal: Signal, grace: Duration) -> Vec<Ended> {
  // Command lines first: once signalled, they are gone.
  let commands: Vec<String> = processes
    .iter()
    .map(|process| sys::command_line(process.pid).unwrap_or_default())
    .collect();
  for process in processes {
    if process.is_alive() {
      let _ = sys::signal_process(process.pid, signal);
    }
  }
  let deadline = Instant::now() + grace;
  let left: Vec<ProcessId> = processes
    .iter()
    .copied()
    .filter(|process| {
      !sys::wait_for_exit(*process, deadline.saturating_duration_since(Instant::now()))
    })
    .collect();
  if !left.is_empty() {
    let mut last = left.clone();
    for process in &left {
      last.extend(
        sys::descendants(process.pid)
          .into_iter()
          .filter_map(ProcessId::of),
      );
    }
    for process in &last {
      if process.is_alive() {
        let _ = sys::signal_process(process.pid, Signal::Kill);
      }
    }
    for process in &last {
      sys::wait_for_exit(*process, Duration::from_secs(2));
    }
  }
  processes
    .iter()
    .zip(commands)
    .map(|(process, command)| Ended {
      pid: process.pid,
      command,
      killed: left.contains(process),
    })
    .collect()
}
