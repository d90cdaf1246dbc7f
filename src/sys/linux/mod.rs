//! The Linux backend: process facts from /proc, sockets from NETLINK_SOCK_DIAG, containment
//! by a child subreaper and the parent-death signal.

pub(crate) mod containment;
pub(crate) mod net;
pub(crate) mod process;
mod relay;

pub(crate) use relay::relay;
mod sock_diag;
mod tcp;

use std::sync::OnceLock;

/// The kernel's socket table shows every socket: TIME_WAIT, and other users' (unowned).
pub(crate) const SEES_EVERY_SOCKET: bool = true;

/// Linux can re-parent orphans to a keeper (`PR_SET_CHILD_SUBREAPER`).
pub(crate) const HAS_SUBREAPER: bool = true;

pub(crate) use containment::{
  become_subreaper, grow_stdout_pipe, signal_when_parent_dies, wait_for_exit,
};
pub(crate) use net::{listening_ports, listening_ports_of, port_sockets};
pub(crate) use process::{
  all_pids, children, command_line, environment_variables, live_descendants_exact, process_cwd,
  process_info, process_uid, usage,
};

/// The desktop's "open this URL" command.
pub(crate) const URL_OPENER: &str = "xdg-open";

/// Whether a graphical session is there to show a browser.
pub(crate) fn has_display() -> bool {
  ["DISPLAY", "WAYLAND_DISPLAY"]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

/// A process's start, in this backend's terms (clock ticks since boot), and whether it is a
/// zombie already. `None` when it is gone.
pub(crate) fn process_start(pid: crate::sys::Pid) -> Option<(u64, bool)> {
  process::stat(pid).map(|(info, start)| (start, info.is_zombie()))
}

/// Now, in the terms of a process's start: clock ticks of CLOCK_BOOTTIME (which the start in
/// `/proc/<pid>/stat` counts), rounded down as the kernel rounds a start.
pub(crate) fn start_clock_now() -> u64 {
  let mut now = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
  };
  // SAFETY: a valid out-pointer; CLOCK_BOOTTIME exists since Linux 2.6.39.
  unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &raw mut now) };
  let ticks = process::clock_ticks_per_second();
  now.tv_sec as u64 * ticks + now.tv_nsec as u64 * ticks / 1_000_000_000
}

/// This boot, as a number: start times of an earlier boot mean nothing now.
pub(crate) fn boot() -> u64 {
  static BOOT: OnceLock<u64> = OnceLock::new();
  *BOOT.get_or_init(|| {
    // FNV-1a of the kernel's boot id: stable, and 0 (unknown) only by astronomical chance.
    process::boot_id()
      .bytes()
      .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
      })
  })
}

/// How long ago a process with this start began.
pub(crate) fn age_of(start: u64) -> std::time::Duration {
  process::process_age(start)
}

/// The wall-clock Unix seconds at which a process with this start began.
pub(crate) fn unix_time_of(start: u64) -> u64 {
  process::start_time_unix(start)
}
