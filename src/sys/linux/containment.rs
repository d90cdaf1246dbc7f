//! How a Linux keeper keeps a service's whole tree: a child subreaper (an orphan comes to the
//! keeper, never to init), the parent-death signal (a foreground `dev` killed with -9 takes
//! its keepers with it), and exact waits on a process's end through a pidfd.

use std::{fs, io};

use crate::sys::{Pid, Signal};

/// Orphaned descendants are re-parented to us instead of init, so a service tree can never
/// escape its keeper, not even through setsid or a double fork.
pub(crate) fn become_subreaper() -> io::Result<()> {
  // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer argument only.
  let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
  if result == 0 {
    Ok(())
  } else {
    Err(io::Error::last_os_error())
  }
}

/// Asks the kernel to send `signal` when our parent dies. Returns false when the parent is
/// already gone (its pid differs from `expected_parent`), closing the race before prctl.
pub(crate) fn signal_when_parent_dies(signal: Signal, expected_parent: Pid) -> io::Result<bool> {
  // SAFETY: prctl with PR_SET_PDEATHSIG takes an integer argument only.
  let result = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, signal.number(), 0, 0, 0) };
  if result != 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(super::process::parent_pid() == expected_parent)
}

/// Waits until the process is gone (or is a zombie), up to `timeout`. True when it is gone.
/// Uses a pidfd so the wake-up is immediate; polls every 2 ms where pidfds are unavailable.
pub(crate) fn wait_for_exit(process: crate::sys::ProcessId, timeout: std::time::Duration) -> bool {
  let deadline = std::time::Instant::now() + timeout;
  // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
  let fd =
    unsafe { libc::syscall(libc::SYS_pidfd_open, process.pid as libc::pid_t, 0) } as libc::c_int;
  if fd >= 0 {
    // The pid may have been reused between our caller's check and pidfd_open: verify identity
    // after opening, since the pidfd now pins whichever process it refers to.
    let gone = if process.is_alive() {
      let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
      };
      loop {
        let remaining = deadline.saturating_duration_since(std::time::Instant::now());
        let millis = remaining.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&raw mut poll, 1, millis) };
        if ready > 0 || !process.is_alive() {
          break true;
        }
        if ready < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
          // poll itself failed (ENOMEM…): wait by looking instead of spinning on it.
          while process.is_alive() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
          }
          break !process.is_alive();
        }
        if remaining.is_zero() {
          break false;
        }
      }
    } else {
      true
    };
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    // A zombie is readable on its pidfd; treat it as gone.
    return gone || !process.is_alive();
  }
  while process.is_alive() {
    if std::time::Instant::now() >= deadline {
      return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(2));
  }
  true
}

/// Grows stdout's pipe buffer (up to `bytes`, within the system's pipe-max-size); nothing
/// happens when stdout is not a pipe.
pub(crate) fn grow_stdout_pipe(bytes: usize) {
  let limit = fs::read_to_string("/proc/sys/fs/pipe-max-size")
    .ok()
    .and_then(|text| text.trim().parse::<usize>().ok())
    .unwrap_or(1 << 20);
  // SAFETY: fcntl on our stdout with an integer argument; failure changes nothing.
  unsafe {
    libc::fcntl(
      libc::STDOUT_FILENO,
      libc::F_SETPIPE_SZ,
      bytes.min(limit) as libc::c_int,
    )
  };
}
