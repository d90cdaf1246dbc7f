//! The Windows backend: process facts from Toolhelp and limited-information handles, port
//! owners from the TCP owner tables, containment by a Job Object per keeper
//! (`JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`), stop requests as console control events and
//! named semaphores (`signals`), identity by creation time. Built and linted on Linux
//! (`.ci/cross-check`), smoke-run under Wine (`tests/windows/smoke`); RELIABILITY.md says
//! what that does and does not prove.

pub(crate) mod files;
mod handle;
pub(crate) mod job;
pub(crate) mod net;
pub(crate) mod process;
pub(crate) mod shell;
pub(crate) mod signals;
pub(crate) mod terminal;
pub(crate) mod tree;
pub(crate) mod users;
pub(crate) mod wait;

use std::{io, thread, time::Duration};

use windows_sys::Win32::{
  Foundation::WAIT_OBJECT_0,
  System::Threading::{
    INFINITE, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, WaitForSingleObject,
  },
};

pub(crate) use net::{listening_ports, listening_ports_of, port_sockets};
pub(crate) use process::{
  all_pids, children, command_line, environment_variables, process_cwd, process_info, process_uid,
  usage,
};

use crate::sys::{Pid, ProcessId, Signal};

/// The TCP owner tables list every socket, TIME_WAIT included.
pub(crate) const SEES_EVERY_SOCKET: bool = true;

/// The desktop's "open this URL" command: Explorer hands a URL to the default browser.
pub(crate) const URL_OPENER: &str = "explorer";

/// A Windows session has a desktop unless we came in over SSH.
pub(crate) fn has_display() -> bool {
  std::env::var_os("SSH_CONNECTION").is_none()
}

/// Windows has no subreaper: the keeper's job holds the tree instead (`tree`).
pub(crate) fn become_subreaper() -> io::Result<()> {
  Err(io::Error::new(
    io::ErrorKind::Unsupported,
    "Windows has no child subreaper (a job object holds the tree)",
  ))
}

/// Windows pipes take what they are given: there is nothing to grow.
pub(crate) fn grow_stdout_pipe(_bytes: usize) {}

/// A process's creation time (100 ns since 1601), and whether it has exited already.
pub(crate) fn process_start(pid: Pid) -> Option<(u64, bool)> {
  process::start(pid)
}

/// Creation times are absolute (not since boot): a pid and its creation time name one
/// process across boots, so there is no boot to tell apart.
pub(crate) fn boot() -> u64 {
  0
}

/// How long ago a process with this start began.
pub(crate) fn age_of(start: u64) -> Duration {
  let now = unix_now_ticks();
  Duration::from_nanos(now.saturating_sub(start.saturating_sub(handle::UNIX_EPOCH_TICKS)) * 100)
}

/// The wall-clock Unix seconds at which a process with this start began.
pub(crate) fn unix_time_of(start: u64) -> u64 {
  start.saturating_sub(handle::UNIX_EPOCH_TICKS) / 10_000_000
}

/// Now, in the terms of a process's start: 100 ns ticks since 1601.
pub(crate) fn start_clock_now() -> u64 {
  unix_now_ticks() + handle::UNIX_EPOCH_TICKS
}

fn unix_now_ticks() -> u64 {
  std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .map_or(0, |now| (now.as_nanos() / 100) as u64)
}

/// When our parent (the foreground `dev`) exits, `signal` comes to our listener, as Linux's
/// parent-death signal does. False when the parent is already gone. (A keeper's services
/// do not need it: they die with the keeper's job.)
pub(crate) fn signal_when_parent_dies(signal: Signal, expected_parent: Pid) -> io::Result<bool> {
  let Some(parent) = handle::open_process(expected_parent, PROCESS_SYNCHRONIZE) else {
    return Ok(false);
  };
  if process::parent_pid() != expected_parent {
    return Ok(false);
  }
  thread::spawn(move || {
    // SAFETY: a valid handle with SYNCHRONIZE, owned by this thread.
    // Nobody listening yet: end now, as an unhandled SIGTERM would (a keeper's job and
    // everything in it go with it).
    if unsafe { WaitForSingleObject(parent.raw(), INFINITE) } == WAIT_OBJECT_0
      && !signals::raise(signal)
    {
      std::process::exit(1);
    }
  });
  Ok(true)
}

/// Waits until the process is gone, up to `timeout`. True when it is gone.
pub(crate) fn wait_for_exit(process: ProcessId, timeout: Duration) -> bool {
  let Some(handle) = handle::open_process(
    process.pid,
    PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
  ) else {
    return !process.is_alive();
  };
  // The pid may have been reused before the open: the identity decides.
  if !process.is_alive() {
    return true;
  }
  let millis = u32::try_from(timeout.as_millis()).unwrap_or(INFINITE - 1);
  // SAFETY: a valid handle with SYNCHRONIZE.
  let ended = unsafe { WaitForSingleObject(handle.raw(), millis) } == WAIT_OBJECT_0;
  ended || !process.is_alive()
}
