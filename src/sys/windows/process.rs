//! Process facts on Windows: the Toolhelp snapshot (every pid with its parent and image
//! name), and per process what a limited-information handle gives: creation time, exit,
//! image path, CPU time and memory.
//!
//! A Windows parent pid is never updated: once the parent exits, its number can belong to
//! a newer, unrelated process. A child is therefore only counted as such when it was
//! created after its parent.

use std::mem;

use windows_sys::Win32::{
  Foundation::{FILETIME, STILL_ACTIVE},
  System::{
    Diagnostics::ToolHelp::{
      CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW,
      TH32CS_SNAPPROCESS,
    },
    ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS},
    Threading::{
      GetExitCodeProcess, GetProcessTimes, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
      PROCESS_TERMINATE, QueryFullProcessImageNameW,
    },
  },
};

use super::handle::{Handle, from_wide, open_process, ticks};
use crate::sys::{Pid, ProcessInfo, Usage};

/// One row of the Toolhelp snapshot.
struct Entry {
  pid: Pid,
  ppid: Pid,
  name: String,
}

fn snapshot() -> Vec<Entry> {
  // SAFETY: a process snapshot takes plain values; the handle is owned below.
  let Some(snap) = Handle::new(unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) }) else {
    return Vec::new();
  };
  // SAFETY: PROCESSENTRY32W is plain data; dwSize is set as the API requires.
  let mut entry: PROCESSENTRY32W = unsafe { mem::zeroed() };
  entry.dwSize = mem::size_of::<PROCESSENTRY32W>() as u32;
  let mut found = Vec::new();
  // SAFETY: a valid snapshot and entry, for First and each Next.
  let mut more = unsafe { Process32FirstW(snap.raw(), &raw mut entry) } != 0;
  while more {
    found.push(Entry {
      pid: entry.th32ProcessID,
      ppid: entry.th32ParentProcessID,
      name: from_wide(&entry.szExeFile),
    });
    // SAFETY: as above.
    more = unsafe { Process32NextW(snap.raw(), &raw mut entry) } != 0;
  }
  found
}

/// Creation time (100 ns ticks since 1601) and whether the process has exited already.
pub(crate) fn start(pid: Pid) -> Option<(u64, bool)> {
  let process = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
  let Times { created, .. } = times(&process)?;
  let mut code = 0u32;
  // SAFETY: a valid handle and out-pointer.
  let ended =
    unsafe { GetExitCodeProcess(process.raw(), &raw mut code) } != 0 && code != STILL_ACTIVE as u32;
  Some((ticks(created), ended))
}

/// A process's creation time and CPU times, as `GetProcessTimes` gives them.
struct Times {
  created: FILETIME,
  kernel: FILETIME,
  user: FILETIME,
}

fn times(process: &Handle) -> Option<Times> {
  let zero = FILETIME {
    dwLowDateTime: 0,
    dwHighDateTime: 0,
  };
  let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
  // SAFETY: a valid handle and four out-pointers.
  let read = unsafe {
    GetProcessTimes(
      process.raw(),
      &raw mut created,
      &raw mut exited,
      &raw mut kernel,
      &raw mut user,
    )
  };
  if read == 0 {
    return None;
  }
  Some(Times {
    created,
    kernel,
    user,
  })
}

fn live_start(pid: Pid) -> Option<u64> {
  start(pid).and_then(|(created, ended)| (!ended).then_some(created))
}

pub(crate) fn all_pids() -> Vec<Pid> {
  snapshot()
    .into_iter()
    .map(|entry| entry.pid)
    .filter(|pid| *pid != 0)
    .collect()
}

/// The live children of `pid`: created after it (see the module's note on reused pids).
pub(crate) fn children(pid: Pid) -> Vec<Pid> {
  let Some(parent_start) = live_start(pid) else {
    return Vec::new();
  };
  snapshot()
    .into_iter()
    .filter(|entry| entry.ppid == pid && entry.pid != pid && entry.pid != 0)
    .filter(|entry| live_start(entry.pid).is_some_and(|start| start >= parent_start))
    .map(|entry| entry.pid)
    .collect()
}

pub(crate) fn process_info(pid: Pid) -> Option<ProcessInfo> {
  let entry = snapshot().into_iter().find(|entry| entry.pid == pid)?;
  let (_, ended) = start(pid).unwrap_or((0, false));
  Some(ProcessInfo {
    ppid: entry.ppid,
    // Windows cannot be asked for a process's console group: inside a keeper, a member of
    // the service's job is in the service's group; anything else leads its own.
    pgid: super::job::group_of(pid).unwrap_or(pid),
    // No sessions in the POSIX sense: each process is its own.
    session: pid,
    zombie: ended,
    comm: entry.name,
  })
}

/// The image's full path (the command line itself lives in the process's memory, which is
/// not read here).
pub(crate) fn command_line(pid: Pid) -> Option<String> {
  let process = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
  let mut buffer = [0u16; 1024];
  let mut size = buffer.len() as u32;
  // SAFETY: a valid handle, a buffer of `size` characters.
  let read = unsafe {
    QueryFullProcessImageNameW(
      process.raw(),
      PROCESS_NAME_WIN32,
      buffer.as_mut_ptr(),
      &raw mut size,
    )
  };
  (read != 0).then(|| from_wide(&buffer[..size as usize]))
}

/// Another process's environment is in its memory (the PEB), which this backend does not
/// read: the `DEV_*` markers are not seen. The job finds a service's processes instead.
pub(crate) fn environment_variables(_pid: Pid, keys: &[&str]) -> Vec<Option<String>> {
  vec![None; keys.len()]
}

/// The user, in `dev`'s terms: ours when we may end it, another's otherwise (see `users`).
pub(crate) fn process_uid(pid: Pid) -> Option<u32> {
  live_start(pid)?;
  Some(if open_process(pid, PROCESS_TERMINATE).is_some() {
    super::users::ME
  } else {
    super::users::SOMEONE_ELSE
  })
}

/// Another process's working directory is in its memory too: not read.
pub(crate) fn process_cwd(_pid: Pid) -> Option<std::path::PathBuf> {
  None
}

pub(crate) fn usage(pid: Pid) -> Option<Usage> {
  let process = open_process(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
  let Times { kernel, user, .. } = times(&process)?;
  // SAFETY: plain data, filled by the call below.
  let mut memory: PROCESS_MEMORY_COUNTERS = unsafe { mem::zeroed() };
  let size = mem::size_of::<PROCESS_MEMORY_COUNTERS>() as u32;
  // SAFETY: a valid handle and a counters struct of `size` bytes.
  let resident = if unsafe { K32GetProcessMemoryInfo(process.raw(), &raw mut memory, size) } != 0 {
    memory.WorkingSetSize as u64
  } else {
    0
  };
  Some(Usage {
    cpu: std::time::Duration::from_nanos((ticks(kernel) + ticks(user)) * 100),
    resident_bytes: resident,
  })
}

/// Our own parent, as the snapshot says.
pub(crate) fn parent_pid() -> Pid {
  let me = std::process::id();
  snapshot()
    .into_iter()
    .find(|entry| entry.pid == me)
    .map_or(0, |entry| entry.ppid)
}
