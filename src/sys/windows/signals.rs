//! Stop semantics without signals. Windows has none to send; `dev` keeps its words:
//!
//! - **to a service** ("ask to stop"): `CTRL_BREAK_EVENT` to its console group, which the
//!   keeper started with `CREATE_NEW_PROCESS_GROUP` on the keeper's own hidden console — what
//!   Ctrl+C means to a console server. KILL: `TerminateJobObject` (the whole tree at once)
//!   or `TerminateProcess`.
//! - **to another `dev` process** (a keeper asked to stop, restart, hurry): each `dev` that
//!   listens opens one named semaphore per request, `Local\dev-signal-<pid>-<number>`, and
//!   a thread turns releases into `Signal`s. A semaphore counts: two quick requests (stop,
//!   then hurry) are two, never merged.
//! - **from the console**: Ctrl+C, Ctrl+Break and closing the window come through the
//!   console control handler as INT, TERM and HUP.
//!
//! A soft request to a process that is neither ours nor listening has no Windows meaning
//! and is dropped: its grace ends with TerminateProcess, as a SIGKILL would.

use std::{
  io,
  os::windows::process::CommandExt,
  process::Command,
  sync::{Mutex, Once, PoisonError, mpsc},
  thread,
};

use windows_sys::{
  Win32::{
    Foundation::HANDLE,
    System::{
      Console::{
        CTRL_BREAK_EVENT, CTRL_C_EVENT, CTRL_CLOSE_EVENT, GenerateConsoleCtrlEvent,
        SetConsoleCtrlHandler,
      },
      Threading::{
        CREATE_NEW_PROCESS_GROUP, CREATE_NO_WINDOW, CreateSemaphoreW, INFINITE, OpenSemaphoreW,
        PROCESS_TERMINATE, ReleaseSemaphore, SEMAPHORE_MODIFY_STATE, TerminateProcess,
        WaitForMultipleObjects,
      },
    },
  },
  core::BOOL,
};

use super::handle::{Handle, NO_SECURITY, open_process, wide};
use crate::sys::{Pid, Signal};

/// The exit code of a process ended by force (what `dev` shows for "killed").
pub(crate) const KILLED_EXIT_CODE: u32 = 1;

/// Requests another `dev` may send us.
const REQUESTS: [Signal; 6] = [
  Signal::Term,
  Signal::Int,
  Signal::Hup,
  Signal::Quit,
  Signal::Usr1,
  Signal::Usr2,
];

fn request_name(pid: Pid, signal: Signal) -> Vec<u16> {
  wide(format!("Local\\dev-signal-{pid}-{}", signal.number()))
}

fn one_target(pid: Pid) -> io::Result<Pid> {
  if pid <= 4 {
    return Err(io::Error::new(
      io::ErrorKind::InvalidInput,
      format!("refusing to signal {pid}: it would not name one process"),
    ));
  }
  Ok(pid)
}

/// Sends a request to one process. A process that is already gone is not an error.
pub(crate) fn signal_process(pid: Pid, signal: Signal) -> io::Result<()> {
  let pid = one_target(pid)?;
  match signal {
    Signal::Kill => kill(pid),
    Signal::Cont => Ok(()),
    _ => {
      // SAFETY: a NUL-terminated name; the handle is owned below.
      let opened = unsafe {
        OpenSemaphoreW(
          SEMAPHORE_MODIFY_STATE,
          0,
          request_name(pid, signal).as_ptr(),
        )
      };
      if let Some(semaphore) = Handle::new(opened) {
        // SAFETY: a valid semaphore handle with SEMAPHORE_MODIFY_STATE.
        unsafe { ReleaseSemaphore(semaphore.raw(), 1, std::ptr::null_mut()) };
      }
      Ok(())
    }
  }
}

fn kill(pid: Pid) -> io::Result<()> {
  let Some(process) = open_process(pid, PROCESS_TERMINATE) else {
    // Gone (or never ours): as ESRCH on Unix, nothing to do.
    return Ok(());
  };
  // SAFETY: a valid handle with PROCESS_TERMINATE.
  if unsafe { TerminateProcess(process.raw(), KILLED_EXIT_CODE) } == 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(())
}

/// Sends a request to a console group (a process started with `start_own_group`).
pub(crate) fn signal_group(pgid: Pid, signal: Signal) -> io::Result<()> {
  let pgid = one_target(pgid)?;
  match signal {
    Signal::Cont => Ok(()),
    Signal::Kill => {
      // The service's group is its job (when we are its keeper): all of it at once.
      if super::job::group_of(pgid) == Some(pgid) && super::job::terminate(KILLED_EXIT_CODE) {
        return Ok(());
      }
      for pid in crate::sys::descendants(pgid) {
        let _ = kill(pid);
      }
      kill(pgid)
    }
    // SAFETY: GenerateConsoleCtrlEvent takes plain values. CTRL_BREAK, because a group
    // started with CREATE_NEW_PROCESS_GROUP ignores CTRL_C.
    _ => match unsafe { GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, pgid) } {
      0 => Err(io::Error::last_os_error()),
      _ => Ok(()),
    },
  }
}

/// Starts the command detached from our console: a hidden console of its own (where its
/// service's CTRL_BREAK will be sent) and a group of its own.
pub(crate) fn start_new_session(command: &mut Command) {
  command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW);
}

/// The child leads a console group of its own: CTRL_BREAK reaches it and its children,
/// and our console's Ctrl+C does not.
pub(crate) fn start_own_group(command: &mut Command) {
  command.creation_flags(CREATE_NEW_PROCESS_GROUP);
}

/// How a finished child ended: Windows has exit codes only.
pub(crate) fn exit_status(status: std::process::ExitStatus) -> crate::sys::ExitStatus {
  crate::sys::ExitStatus::Code(status.code().unwrap_or(-1))
}

/// Writing to a closed pipe is an error on Windows already.
pub(crate) fn ignore_sigpipe() {}

/// A child inherits no handlers on Windows.
pub(crate) fn reset_signals_before_exec(_command: &mut Command) {}

type Listener = Option<(mpsc::Sender<Signal>, Vec<Signal>)>;
/// The newest listener: a later call takes the requests over from an earlier one.
static LISTENER: Mutex<Listener> = Mutex::new(None);

/// Hands a request to the listener; true when it wanted it.
pub(crate) fn raise(signal: Signal) -> bool {
  let listener = LISTENER.lock().unwrap_or_else(PoisonError::into_inner);
  match listener.as_ref() {
    Some((sender, known)) if known.contains(&signal) => sender.send(signal).is_ok(),
    _ => false,
  }
}

extern "system" fn on_console(event: u32) -> BOOL {
  let signal = match event {
    CTRL_C_EVENT => Signal::Int,
    CTRL_BREAK_EVENT => Signal::Term,
    CTRL_CLOSE_EVENT => Signal::Hup,
    _ => return 0,
  };
  BOOL::from(raise(signal))
}

/// Delivers the given requests as values on a channel: from the console, and from other
/// `dev` processes through our named semaphores.
pub(crate) fn listen_for_signals(signals: &[Signal]) -> io::Result<mpsc::Receiver<Signal>> {
  static START: Once = Once::new();
  let mut failed = None;
  START.call_once(|| failed = start_listening().err());
  if let Some(error) = failed {
    return Err(error);
  }
  let (sender, receiver) = mpsc::channel();
  *LISTENER.lock().unwrap_or_else(PoisonError::into_inner) = Some((sender, signals.to_vec()));
  Ok(receiver)
}

fn start_listening() -> io::Result<()> {
  let me = std::process::id();
  let mut semaphores = Vec::new();
  for signal in REQUESTS {
    // SAFETY: a NUL-terminated name; the handle is owned below.
    let raw =
      unsafe { CreateSemaphoreW(NO_SECURITY, 0, i32::MAX, request_name(me, signal).as_ptr()) };
    semaphores.push(Handle::new(raw).ok_or_else(io::Error::last_os_error)?);
  }
  // SAFETY: a valid handler routine for the process's lifetime.
  if unsafe { SetConsoleCtrlHandler(Some(on_console), 1) } == 0 {
    return Err(io::Error::last_os_error());
  }
  thread::spawn(move || {
    let raw: Vec<HANDLE> = semaphores.iter().map(Handle::raw).collect();
    loop {
      // SAFETY: valid handles, owned by this thread for ever.
      let which = unsafe { WaitForMultipleObjects(raw.len() as u32, raw.as_ptr(), 0, INFINITE) };
      match REQUESTS.get(which as usize) {
        Some(signal) => {
          raise(*signal);
        }
        None => return,
      }
    }
  });
  Ok(())
}
