//! The keeper's Job Object: every process of the service is in it from its first
//! instruction (started suspended, assigned, then resumed), its descendants join it by
//! themselves, and `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` ends them all when the keeper's
//! handle closes — also when the keeper is killed.

use std::{
  io, mem,
  os::windows::{io::AsRawHandle, process::CommandExt},
  process::{Child, Command},
  ptr,
  sync::{
    OnceLock,
    atomic::{AtomicU32, Ordering},
  },
};

use windows_sys::Win32::System::{
  Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, TH32CS_SNAPTHREAD, THREADENTRY32, Thread32First, Thread32Next,
  },
  JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_BASIC_PROCESS_ID_LIST, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JobObjectBasicProcessIdList, JobObjectExtendedLimitInformation, QueryInformationJobObject,
    SetInformationJobObject, TerminateJobObject,
  },
  Threading::{
    CREATE_NEW_PROCESS_GROUP, CREATE_SUSPENDED, OpenThread, ResumeThread, THREAD_SUSPEND_RESUME,
  },
};

use super::handle::{Handle, NO_SECURITY};
use crate::sys::Pid;

/// The one job of this process (a keeper has one service).
static JOB: OnceLock<Handle> = OnceLock::new();
/// The service's first process: its console group's number.
static LEADER: AtomicU32 = AtomicU32::new(0);

/// Creates the job (once): its processes die when this process's handle to it closes.
pub(crate) fn hold() -> io::Result<()> {
  if JOB.get().is_some() {
    return Ok(());
  }
  // SAFETY: an anonymous job with default security.
  let job = Handle::new(unsafe { CreateJobObjectW(NO_SECURITY, ptr::null()) })
    .ok_or_else(io::Error::last_os_error)?;
  // SAFETY: plain data; only the flag below is set.
  let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { mem::zeroed() };
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  // SAFETY: a valid job and a limits struct of the size given.
  let set = unsafe {
    SetInformationJobObject(
      job.raw(),
      JobObjectExtendedLimitInformation,
      (&raw const limits).cast(),
      mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
    )
  };
  if set == 0 {
    return Err(io::Error::last_os_error());
  }
  let _ = JOB.set(job);
  Ok(())
}

/// Starts `command` in a console group of its own, inside the job before it runs a single
/// instruction: nothing it starts can be born outside the job.
pub(crate) fn spawn(command: &mut Command) -> io::Result<Child> {
  let Some(job) = JOB.get() else {
    return command.spawn();
  };
  command.creation_flags(CREATE_NEW_PROCESS_GROUP | CREATE_SUSPENDED);
  let mut child = command.spawn()?;
  // SAFETY: a valid job and the child's process handle.
  let assigned = unsafe { AssignProcessToJobObject(job.raw(), child.as_raw_handle()) } != 0;
  let error = io::Error::last_os_error();
  resume(child.id());
  if !assigned {
    let _ = child.kill();
    let _ = child.wait();
    return Err(io::Error::other(format!(
      "cannot put the service in its job object: {error}"
    )));
  }
  LEADER.store(child.id(), Ordering::Relaxed);
  Ok(child)
}

/// Resumes every thread of a process started suspended (its one main thread).
fn resume(pid: Pid) {
  // SAFETY: a thread snapshot takes plain values.
  let Some(snap) = Handle::new(unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) }) else {
    return;
  };
  // SAFETY: plain data; dwSize set as the API requires.
  let mut entry: THREADENTRY32 = unsafe { mem::zeroed() };
  entry.dwSize = mem::size_of::<THREADENTRY32>() as u32;
  // SAFETY: a valid snapshot and entry, for First and each Next.
  let mut more = unsafe { Thread32First(snap.raw(), &raw mut entry) } != 0;
  while more {
    if entry.th32OwnerProcessID == pid {
      // SAFETY: OpenThread takes plain values; the handle is owned below.
      if let Some(thread) =
        Handle::new(unsafe { OpenThread(THREAD_SUSPEND_RESUME, 0, entry.th32ThreadID) })
      {
        // SAFETY: a valid thread handle with THREAD_SUSPEND_RESUME.
        unsafe { ResumeThread(thread.raw()) };
      }
    }
    // SAFETY: as above.
    more = unsafe { Thread32Next(snap.raw(), &raw mut entry) } != 0;
  }
}

/// The live processes in the job; `None` when this process holds no job.
pub(crate) fn members() -> Option<Vec<Pid>> {
  let job = JOB.get()?;
  // Room for 1024 pids: a header of two u32 and then usize entries.
  let mut buffer = vec![0usize; 1026];
  // SAFETY: the buffer is large, aligned and writable for its whole size.
  let read = unsafe {
    QueryInformationJobObject(
      job.raw(),
      JobObjectBasicProcessIdList,
      buffer.as_mut_ptr().cast(),
      (buffer.len() * mem::size_of::<usize>()) as u32,
      ptr::null_mut(),
    )
  };
  if read == 0 {
    return Some(Vec::new());
  }
  // SAFETY: the buffer begins with the list's header, which the call filled.
  let list = unsafe { &*buffer.as_ptr().cast::<JOBOBJECT_BASIC_PROCESS_ID_LIST>() };
  let count = list.NumberOfProcessIdsInList as usize;
  let header =
    mem::offset_of!(JOBOBJECT_BASIC_PROCESS_ID_LIST, ProcessIdList) / mem::size_of::<usize>();
  Some(
    buffer[header..header + count.min(buffer.len() - header)]
      .iter()
      .map(|pid| *pid as Pid)
      .collect(),
  )
}

/// The console group of a member of our job: the service's first process.
pub(crate) fn group_of(pid: Pid) -> Option<Pid> {
  let leader = LEADER.load(Ordering::Relaxed);
  (leader != 0 && (pid == leader || members()?.contains(&pid))).then_some(leader)
}

/// Ends every process in the job at once. False when this process holds no job.
pub(crate) fn terminate(exit_code: u32) -> bool {
  // SAFETY: a valid job handle.
  JOB
    .get()
    .is_some_and(|job| unsafe { TerminateJobObject(job.raw(), exit_code) } != 0)
}
