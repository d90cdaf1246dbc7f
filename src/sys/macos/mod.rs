//! The macOS backend: process facts from libproc and `sysctl`, port owners from each
//! process's socket descriptors, containment by parentage and `DEV_INSTANCE` markers (there is
//! no subreaper), exits heard through `kqueue`. Type-checked on Linux for both Mac targets
//! (`.ci/cross-check`); its strategy, not its system calls, runs in the Linux suite.

pub(crate) mod containment;
pub(crate) mod net;
pub(crate) mod procargs;
pub(crate) mod process;

use std::{
  sync::OnceLock,
  time::{Duration, SystemTime, UNIX_EPOCH},
};

pub(crate) use containment::{
  become_subreaper, grow_stdout_pipe, signal_when_parent_dies, wait_for_exit,
};
pub(crate) use net::{listening_ports, listening_ports_of, port_sockets};
pub(crate) use process::{
  all_pids, children, command_line, environment_variables, live_descendants_exact, process_cwd,
  process_info, process_uid, usage,
};

use crate::sys::Pid;

/// Sockets are found through the processes that hold them: none in TIME_WAIT, none of
/// processes we may not inspect.
pub(crate) const SEES_EVERY_SOCKET: bool = false;

/// macOS cannot re-parent orphans to a keeper: `sys::Tree` uses markers.
pub(crate) const HAS_SUBREAPER: bool = false;

/// The desktop's "open this URL" command.
pub(crate) const URL_OPENER: &str = "open";

/// A Mac has a screen unless we came in over SSH.
pub(crate) fn has_display() -> bool {
  ["SSH_CONNECTION", "SSH_TTY"]
    .iter()
    .all(|name| std::env::var_os(name).is_none())
}

/// A process's start (microseconds since the epoch), and whether it is a zombie already.
pub(crate) fn process_start(pid: Pid) -> Option<(u64, bool)> {
  process::bsd_info(pid).map(|info| (process::start_of(&info), info.pbi_status == libc::SZOMB))
}

/// This boot, as a number: the kernel's boot time in microseconds.
pub(crate) fn boot() -> u64 {
  static BOOT: OnceLock<u64> = OnceLock::new();
  *BOOT.get_or_init(|| {
    let mut time = libc::timeval {
      tv_sec: 0,
      tv_usec: 0,
    };
    let mut size = std::mem::size_of::<libc::timeval>();
    // SAFETY: the name is NUL-terminated; the output is one timeval of the size given.
    let read = unsafe {
      libc::sysctlbyname(
        c"kern.boottime".as_ptr(),
        (&raw mut time).cast(),
        &raw mut size,
        std::ptr::null_mut(),
        0,
      )
    };
    if read != 0 {
      return 0;
    }
    time.tv_sec as u64 * 1_000_000 + time.tv_usec as u64
  })
}

/// Now, in the terms of a process's start: microseconds since the epoch.
pub(crate) fn start_clock_now() -> u64 {
  now_micros()
}

fn now_micros() -> u64 {
  SystemTime::now()
    .duration_since(UNIX_EPOCH)
    .map_or(0, |now| now.as_micros() as u64)
}

/// How long ago a process with this start began.
pub(crate) fn age_of(start: u64) -> Duration {
  Duration::from_micros(now_micros().saturating_sub(start))
}

/// The wall-clock Unix seconds at which a process with this start began.
pub(crate) fn unix_time_of(start: u64) -> u64 {
  start / 1_000_000
}
