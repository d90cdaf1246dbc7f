//! Signals, as POSIX gives them to Linux and macOS alike: sending them to one process or a
//! group (never to a number that would mean more), receiving them as values through a
//! self-pipe, and what a child inherits.

use std::{io, os::unix::process::CommandExt, process::Command};

use crate::sys::{Pid, Signal};

/// Sends a signal to one process. A process that is already gone is not an error.
pub(crate) fn signal_process(pid: Pid, signal: Signal) -> io::Result<()> {
  let pid = one_target(pid)?;
  // SAFETY: kill(2) has no memory-safety preconditions.
  check_kill(unsafe { libc::kill(pid, signal.number()) })
}

/// Sends a signal to every member of a process group.
pub(crate) fn signal_group(pgid: Pid, signal: Signal) -> io::Result<()> {
  let pgid = one_target(pgid)?;
  // SAFETY: killpg(2) has no memory-safety preconditions.
  check_kill(unsafe { libc::killpg(pgid, signal.number()) })
}

/// A pid (or group) as kill(2) takes it, when it names exactly one. 0 is our own group, 1
/// is init (or, for a group, every process), and a number above i32::MAX turns negative:
/// a whole group. None of them is ever meant.
fn one_target(pid: Pid) -> io::Result<libc::pid_t> {
  match libc::pid_t::try_from(pid) {
    Ok(pid) if pid > 1 => Ok(pid),
    _ => Err(io::Error::new(
      io::ErrorKind::InvalidInput,
      format!("refusing to signal {pid}: it would not name one process"),
    )),
  }
}

fn check_kill(result: libc::c_int) -> io::Result<()> {
  if result == 0 {
    return Ok(());
  }
  let error = io::Error::last_os_error();
  if error.raw_os_error() == Some(libc::ESRCH) {
    Ok(())
  } else {
    Err(error)
  }
}

/// Starts the command in a new session: no controlling terminal, so neither the terminal's
/// Ctrl+C nor its hang-up reach it directly; `dev` decides how it stops.
pub(crate) fn start_new_session(command: &mut Command) {
  // SAFETY: setsid is async-signal-safe, as pre_exec requires.
  unsafe {
    command.pre_exec(|| {
      if libc::setsid() == -1 {
        return Err(io::Error::last_os_error());
      }
      Ok(())
    });
  }
}

/// The child leads a process group of its own, which one signal can end whole, apart from
/// the terminal's (so Ctrl+C reaches it only through `dev`).
pub(crate) fn start_own_group(command: &mut Command) {
  command.process_group(0);
}

/// How a finished child ended, in `dev`'s terms.
pub(crate) fn exit_status(status: std::process::ExitStatus) -> crate::sys::ExitStatus {
  use std::os::unix::process::ExitStatusExt;
  match (status.code(), status.signal()) {
    (Some(code), _) => crate::sys::ExitStatus::Code(code),
    (None, signal) => crate::sys::ExitStatus::Signal(signal.unwrap_or(0)),
  }
}

/// Ignore SIGPIPE so that writing to a closed pipe is an `EPIPE` error we handle, not death.
pub(crate) fn ignore_sigpipe() {
  // SAFETY: installing SIG_IGN is always valid.
  unsafe {
    libc::signal(libc::SIGPIPE, libc::SIG_IGN);
  }
}

/// Delivers the given signals as values on a channel, through a self-pipe: the handler only
/// writes one byte, which is async-signal-safe; a thread turns bytes into `Signal`s.
pub(crate) fn listen_for_signals(
  signals: &[Signal],
) -> io::Result<std::sync::mpsc::Receiver<Signal>> {
  use std::{
    io::Read,
    sync::{Mutex, PoisonError, mpsc::Sender},
  };
  static WRITE_END: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);
  /// The newest listener: a later call (a task's `needs:` starting services, then the task
  /// itself) takes the signals over from an earlier one, whose receiver disconnects.
  static LISTENER: Mutex<Option<(Sender<Signal>, Vec<Signal>)>> = Mutex::new(None);

  extern "C" fn on_signal(number: libc::c_int) {
    let fd = WRITE_END.load(std::sync::atomic::Ordering::Relaxed);
    let byte = number as u8;
    // SAFETY: write(2) is async-signal-safe; errno is saved and restored around it.
    unsafe {
      let saved = *super::errno();
      libc::write(fd, (&raw const byte).cast(), 1);
      *super::errno() = saved;
    }
  }

  if WRITE_END.load(std::sync::atomic::Ordering::Relaxed) < 0 {
    // Both ends close on exec; the write end lives as long as the process.
    let (mut read_end, write_end) = io::pipe()?;
    WRITE_END.store(
      std::os::fd::IntoRawFd::into_raw_fd(write_end),
      std::sync::atomic::Ordering::Relaxed,
    );
    std::thread::spawn(move || {
      let mut byte = [0u8; 1];
      while read_end.read_exact(&mut byte).is_ok() {
        let listener = LISTENER.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((sender, known)) = listener.as_ref()
          && let Some(signal) = known
            .iter()
            .find(|signal| signal.number() == i32::from(byte[0]))
        {
          let _ = sender.send(*signal);
        }
      }
    });
  }
  for signal in signals {
    // SAFETY: a zeroed sigaction with a plain handler and SA_RESTART is valid.
    unsafe {
      let mut action: libc::sigaction = std::mem::zeroed();
      action.sa_sigaction = on_signal as *const () as usize;
      action.sa_flags = libc::SA_RESTART;
      libc::sigemptyset(&raw mut action.sa_mask);
      if libc::sigaction(signal.number(), &raw const action, std::ptr::null_mut()) != 0 {
        return Err(io::Error::last_os_error());
      }
    }
  }
  let (sender, receiver) = std::sync::mpsc::channel();
  *LISTENER.lock().unwrap_or_else(PoisonError::into_inner) = Some((sender, signals.to_vec()));
  Ok(receiver)
}

/// Restores the default disposition of signals in a child before it execs (a service must
/// not inherit our handlers' "ignore" state for SIGPIPE).
pub(crate) fn reset_signals_before_exec(command: &mut Command) {
  // SAFETY: signal(2) is async-signal-safe.
  unsafe {
    command.pre_exec(|| {
      for number in [
        libc::SIGPIPE,
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
      ] {
        libc::signal(number, libc::SIG_DFL);
      }
      Ok(())
    });
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn signals_never_reach_a_group_by_accident() {
    // 0 would be our own group, 1 init, and u32::MAX is -1 to kill(2): every process.
    for pid in [0, 1, u32::MAX, 1 << 31] {
      assert!(signal_process(pid, Signal::Term).is_err(), "{pid}");
      assert!(signal_group(pid, Signal::Term).is_err(), "{pid}");
    }
  }
}
