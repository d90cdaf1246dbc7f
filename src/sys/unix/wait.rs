//! Children: whether any is left (exactly), and reaping them as they end.

use std::io;

use crate::sys::{ExitStatus, Pid};

/// What one look at this process's children (of any of its threads) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Children {
  /// None at all, live or zombie.
  None,
  /// Some, none of them ended.
  Running,
  /// At least one has ended and waits to be reaped.
  Ended,
}

/// Exact, and one system call: `waitid` with WNOWAIT reaps nothing.
pub(crate) fn own_children() -> Children {
  // SAFETY: siginfo_t is plain data that waitid fills.
  let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
  // SAFETY: P_ALL with a valid out-pointer; WNOHANG and WNOWAIT: no blocking, no reaping.
  let result = unsafe {
    libc::waitid(
      libc::P_ALL,
      0,
      &raw mut info,
      libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
    )
  };
  if result == -1 {
    // ECHILD; any other error (EINTR) is not a proof of none.
    return if io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
      Children::None
    } else {
      Children::Running
    };
  }
  // SAFETY: waitid succeeded; si_pid is 0 when no child has ended (WNOHANG).
  if unsafe { info.si_pid() } == 0 {
    Children::Running
  } else {
    Children::Ended
  }
}

/// Nothing to keep: `reap_any_child` finds every child through `waitpid(-1)`.
pub(crate) fn reap_later(child: std::process::Child) {
  drop(child);
}

/// Blocks until any child ends and reaps it. `None` when there are no children at all.
pub(crate) fn reap_any_child() -> Option<(Pid, ExitStatus)> {
  loop {
    let mut status: libc::c_int = 0;
    // SAFETY: status is a valid out-pointer.
    let pid = unsafe { libc::waitpid(-1, &raw mut status, 0) };
    if pid > 0 {
      let exit = if libc::WIFSIGNALED(status) {
        ExitStatus::Signal(libc::WTERMSIG(status))
      } else {
        ExitStatus::Code(libc::WEXITSTATUS(status))
      };
      return Some((pid as Pid, exit));
    }
    if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
      return None;
    }
  }
}
