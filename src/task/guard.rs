//! The guard of a task's shell: `dev __guard <pid>`, started beside each `sh -c` a task runs
//! (its sibling, in a session of its own, so the terminal's signals never reach it). When the
//! task's `dev` dies, even by SIGKILL, the kernel tells the guard (`sys::end_with_parent`),
//! and the guard ends the shell and everything the shell started, as a keeper does for a
//! service; when the shell ends first, the guard ends too. Not the shell's parent, so the
//! task's exit status and its terminal stay as they were.

use std::{
  process::{Child, Command, Stdio},
  time::Duration,
};

use crate::{
  supervise::terminate::terminate,
  sys::{self, Pid, ProcessId, Signal},
};

/// How long the shell's tree has to stop before SIGKILL, as for a task's leftovers.
const GRACE: Duration = Duration::from_secs(3);

/// Starts the guard of `shell`, a child of this `dev`. `None` if it cannot start: the task
/// runs all the same, unguarded (as before guards existed).
pub(crate) fn spawn(shell: Pid) -> Option<Child> {
  let exe = std::env::current_exe().ok()?;
  let mut command = Command::new(exe);
  command
    .arg("__guard")
    .arg(shell.to_string())
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
  sys::start_new_session(&mut command);
  command.spawn().ok()
}

/// The guard's life; its exit code.
pub(crate) fn guard(shell: Pid) -> i32 {
  let me = std::process::id();
  let Some(dev) = sys::process_info(me).map(|info| info.ppid) else {
    return 1;
  };
  // Only a shell that is this dev's child is ours: a pid reused meanwhile is not.
  let Some(process) = ProcessId::of(shell) else {
    return 0;
  };
  if sys::process_info(shell).map(|info| info.ppid) != Some(dev) {
    return 0;
  }
  let Ok(signals) = sys::listen_for_signals(&[Signal::Term, Signal::Hup, Signal::Int]) else {
    return 1;
  };
  match sys::end_with_parent(Signal::Term, dev) {
    Ok(true) => {}
    // dev is already gone: its shell must go too.
    _ => {
      end_tree(process);
      return 0;
    }
  }
  loop {
    if sys::wait_for_exit(process, Duration::from_millis(100)) {
      return 0;
    }
    if signals.try_recv().is_ok() {
      end_tree(process);
      return 0;
    }
  }
}

/// The shell and every descendant it has now, by identity: the signal, the grace, SIGKILL.
fn end_tree(shell: ProcessId) {
  let mut tree = vec![shell];
  tree.extend(
    sys::descendants(shell.pid)
      .into_iter()
      .filter_map(ProcessId::of),
  );
  terminate(&tree, Signal::Term, GRACE);
}
