//! How a macOS keeper keeps a service's tree without a subreaper (macOS has none): the
//! marked strategy of `sys::Tree`, `kqueue` to hear of a process's exit at once, and a
//! watcher thread in place of Linux's parent-death signal.

use std::{io, ptr, thread, time::Duration};

use crate::sys::{Pid, ProcessId, Signal};

/// macOS cannot re-parent orphans to a keeper.
pub(crate) fn become_subreaper() -> io::Result<()> {
  Err(io::Error::new(
    io::ErrorKind::Unsupported,
    "macOS has no child subreaper",
  ))
}

/// macOS pipes grow by themselves (up to 64 KiB); there is nothing to ask for.
pub(crate) fn grow_stdout_pipe(_bytes: usize) {}

/// A kqueue watching one process's exit. `None` when the process is already gone (or the
/// queue cannot be made).
fn exit_watch(pid: Pid) -> Option<libc::c_int> {
  // SAFETY: kqueue takes no arguments.
  let queue = unsafe { libc::kqueue() };
  if queue < 0 {
    return None;
  }
  // SAFETY: kevent is plain data; zeroed is a valid value.
  let mut change: libc::kevent = unsafe { std::mem::zeroed() };
  change.ident = pid as libc::uintptr_t;
  change.filter = libc::EVFILT_PROC;
  change.flags = libc::EV_ADD | libc::EV_ONESHOT;
  change.fflags = libc::NOTE_EXIT;
  // SAFETY: one change, no events out.
  let added = unsafe { libc::kevent(queue, &raw const change, 1, ptr::null_mut(), 0, ptr::null()) };
  if added < 0 {
    // SAFETY: the queue is ours.
    unsafe { libc::close(queue) };
    return None;
  }
  Some(queue)
}

/// Waits on the queue for the exit, up to `timeout` (`None`: for ever). True when it came.
fn wait_on(queue: libc::c_int, timeout: Option<Duration>) -> bool {
  let limit = timeout.map(|timeout| libc::timespec {
    tv_sec: timeout.as_secs() as libc::time_t,
    tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
  });
  let limit_ptr = limit
    .as_ref()
    .map_or(ptr::null(), |limit| limit as *const _);
  // SAFETY: kevent is plain data; zeroed is a valid value.
  let mut event: libc::kevent = unsafe { std::mem::zeroed() };
  loop {
    // SAFETY: no changes, room for one event, the timeout lives across the call.
    let ready = unsafe { libc::kevent(queue, ptr::null(), 0, &raw mut event, 1, limit_ptr) };
    if ready >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
      return ready > 0;
    }
  }
}

/// When our parent (the foreground `dev`) exits, `signal` comes to us, as Linux's
/// parent-death signal does. False when the parent is already gone.
pub(crate) fn signal_when_parent_dies(signal: Signal, expected_parent: Pid) -> io::Result<bool> {
  let Some(queue) = exit_watch(expected_parent) else {
    return Ok(false);
  };
  if super::process::parent_pid() != expected_parent {
    // SAFETY: the queue is ours.
    unsafe { libc::close(queue) };
    return Ok(false);
  }
  thread::spawn(move || {
    if wait_on(queue, None) {
      // SAFETY: a signal to ourselves.
      unsafe { libc::kill(libc::getpid(), signal.number()) };
    }
  });
  Ok(true)
}

/// Waits until the process is gone (or a zombie), up to `timeout`. True when it is gone.
pub(crate) fn wait_for_exit(process: ProcessId, timeout: Duration) -> bool {
  if !process.is_alive() {
    return true;
  }
  let Some(queue) = exit_watch(process.pid) else {
    // Gone between the look and the watch.
    return true;
  };
  // The pid may have been reused just before the watch: the identity decides.
  let gone = !process.is_alive() || wait_on(queue, Some(timeout));
  // SAFETY: the queue is ours.
  unsafe { libc::close(queue) };
  gone || !process.is_alive()
}
