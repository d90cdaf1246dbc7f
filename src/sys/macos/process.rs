//! macOS process facts: libproc (`proc_pidinfo`, `proc_listchildpids`, `proc_listallpids`)
//! and `sysctl(KERN_PROCARGS2)` for the command line and the environment. Written against the
//! SDK's headers and type-checked on Linux; not run there (see RELIABILITY.md).

use std::{ffi::CStr, mem, path::PathBuf, ptr};

use super::procargs;
use crate::sys::{Pid, ProcessInfo, Usage};

/// `proc_bsdinfo` of a live (or zombie) process.
pub(super) fn bsd_info(pid: Pid) -> Option<libc::proc_bsdinfo> {
  let pid = libc::c_int::try_from(pid).ok()?;
  // SAFETY: proc_bsdinfo is plain data; zeroed is a valid value.
  let mut info: libc::proc_bsdinfo = unsafe { mem::zeroed() };
  let size = mem::size_of::<libc::proc_bsdinfo>() as libc::c_int;
  // SAFETY: the buffer is a proc_bsdinfo of the size given.
  let read =
    unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&raw mut info).cast(), size) };
  (read == size).then_some(info)
}

/// A process's start in microseconds since the epoch: unique enough, with the pid, to tell
/// a process from a later one that got its number.
pub(super) fn start_of(info: &libc::proc_bsdinfo) -> u64 {
  info.pbi_start_tvsec * 1_000_000 + info.pbi_start_tvusec
}

/// CPU time and resident memory: `proc_pidinfo(PROC_PIDTASKINFO)`, whose times are Mach
/// absolute-time units (nanoseconds on Intel, not on Apple silicon: scaled by the timebase).
pub(crate) fn usage(pid: Pid) -> Option<Usage> {
  // The SDK's layout: six u64 then twelve i32 (sys/proc_info.h).
  const _: () = assert!(mem::size_of::<libc::proc_taskinfo>() == 96);
  let pid = libc::c_int::try_from(pid).ok()?;
  // SAFETY: proc_taskinfo is plain data; zeroed is a valid value.
  let mut info: libc::proc_taskinfo = unsafe { mem::zeroed() };
  let size = mem::size_of::<libc::proc_taskinfo>() as libc::c_int;
  // SAFETY: the buffer is a proc_taskinfo of the size given.
  let read =
    unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDTASKINFO, 0, (&raw mut info).cast(), size) };
  if read != size {
    return None;
  }
  let (numer, denom) = timebase();
  let ticks = u128::from(info.pti_total_user + info.pti_total_system);
  let nanos = ticks * u128::from(numer) / u128::from(denom.max(1));
  Some(Usage {
    cpu: std::time::Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)),
    resident_bytes: info.pti_resident_size,
  })
}

/// Mach absolute-time units per nanosecond, as `numer / denom` (libc's binding of it is
/// deprecated in favour of the mach2 crate; one call does not justify a crate).
fn timebase() -> (u32, u32) {
  #[repr(C)]
  struct Timebase {
    numer: u32,
    denom: u32,
  }
  unsafe extern "C" {
    fn mach_timebase_info(info: *mut Timebase) -> libc::c_int;
  }
  let mut timebase = Timebase { numer: 1, denom: 1 };
  // SAFETY: mach_timebase_info only writes the struct it is given, of this layout.
  unsafe { mach_timebase_info(&raw mut timebase) };
  (timebase.numer, timebase.denom)
}

pub(crate) fn process_info(pid: Pid) -> Option<ProcessInfo> {
  let info = bsd_info(pid)?;
  // SAFETY: getsid has no memory-safety preconditions; -1 (another session we may not ask
  // about) is read as "none".
  let session = unsafe { libc::getsid(pid as libc::pid_t) };
  Some(ProcessInfo {
    ppid: info.pbi_ppid,
    pgid: info.pbi_pgid,
    session: Pid::try_from(session).unwrap_or(0),
    zombie: info.pbi_status == libc::SZOMB,
    comm: c_text(&info.pbi_comm),
  })
}

/// Pids from a libproc listing call, growing the buffer until it holds them all.
fn list(call: impl Fn(*mut libc::c_void, libc::c_int) -> libc::c_int) -> Vec<Pid> {
  let mut capacity = 1024;
  loop {
    let mut pids: Vec<libc::c_int> = vec![0; capacity];
    let bytes = (capacity * mem::size_of::<libc::c_int>()) as libc::c_int;
    let count = call(pids.as_mut_ptr().cast(), bytes);
    let Ok(count) = usize::try_from(count) else {
      return Vec::new();
    };
    if count < capacity {
      pids.truncate(count);
      return pids
        .into_iter()
        .filter_map(|pid| Pid::try_from(pid).ok())
        .filter(|pid| *pid != 0)
        .collect();
    }
    capacity *= 2;
  }
}

pub(crate) fn all_pids() -> Vec<Pid> {
  // SAFETY: the buffer and its size come from `list`.
  list(|buffer, size| unsafe { libc::proc_listallpids(buffer, size) })
}

pub(crate) fn children(pid: Pid) -> Vec<Pid> {
  let Ok(parent) = libc::pid_t::try_from(pid) else {
    return Vec::new();
  };
  // SAFETY: the buffer and its size come from `list`.
  list(|buffer, size| unsafe { libc::proc_listchildpids(parent, buffer, size) })
}

/// The kernel's lists are exact: the quick walk misses nothing, zombies aside.
pub(crate) fn live_descendants_exact(root: Pid) -> Vec<Pid> {
  crate::sys::descendants(root)
    .into_iter()
    .filter(|pid| bsd_info(*pid).is_some_and(|info| info.pbi_status != libc::SZOMB))
    .collect()
}

/// The raw `KERN_PROCARGS2` buffer; `None` for another user's process (EPERM) or one gone.
fn procargs_buffer(pid: Pid) -> Option<Vec<u8>> {
  let mut mib = [libc::CTL_KERN, libc::KERN_ARGMAX];
  let mut argmax: libc::c_int = 0;
  let mut size = mem::size_of::<libc::c_int>();
  // SAFETY: the name has two entries; the output is one c_int of the size given.
  let found = unsafe {
    libc::sysctl(
      mib.as_mut_ptr(),
      2,
      (&raw mut argmax).cast(),
      &raw mut size,
      ptr::null_mut(),
      0,
    )
  };
  if found != 0 || argmax <= 0 {
    return None;
  }
  let mut buffer = vec![0u8; argmax as usize];
  let mut size = buffer.len();
  let mut mib = [
    libc::CTL_KERN,
    libc::KERN_PROCARGS2,
    libc::c_int::try_from(pid).ok()?,
  ];
  // SAFETY: the name has three entries; the output buffer has `size` bytes.
  let read = unsafe {
    libc::sysctl(
      mib.as_mut_ptr(),
      3,
      buffer.as_mut_ptr().cast(),
      &raw mut size,
      ptr::null_mut(),
      0,
    )
  };
  (read == 0).then(|| {
    buffer.truncate(size);
    buffer
  })
}

pub(crate) fn command_line(pid: Pid) -> Option<String> {
  procargs_buffer(pid)
    .and_then(|buffer| procargs::parse(&buffer)?.command_line())
    .or_else(|| bsd_info(pid).map(|info| format!("[{}]", c_text(&info.pbi_comm))))
}

pub(crate) fn environment_variables(pid: Pid, keys: &[&str]) -> Vec<Option<String>> {
  let buffer = procargs_buffer(pid).unwrap_or_default();
  let parsed = procargs::parse(&buffer).unwrap_or_default();
  keys.iter().map(|key| parsed.variable(key)).collect()
}

pub(crate) fn process_uid(pid: Pid) -> Option<u32> {
  bsd_info(pid).map(|info| info.pbi_uid)
}

pub(crate) fn process_cwd(pid: Pid) -> Option<PathBuf> {
  let pid = libc::c_int::try_from(pid).ok()?;
  // SAFETY: proc_vnodepathinfo is plain data; zeroed is a valid value.
  let mut info: libc::proc_vnodepathinfo = unsafe { mem::zeroed() };
  let size = mem::size_of::<libc::proc_vnodepathinfo>() as libc::c_int;
  // SAFETY: the buffer is a proc_vnodepathinfo of the size given.
  let read = unsafe {
    libc::proc_pidinfo(
      pid,
      libc::PROC_PIDVNODEPATHINFO,
      0,
      (&raw mut info).cast(),
      size,
    )
  };
  if read != size {
    return None;
  }
  // SAFETY: vip_path is MAXPATHLEN bytes, declared by libc as 32 × 32.
  let path: &[libc::c_char; 1024] = unsafe { &*(&raw const info.pvi_cdir.vip_path).cast() };
  let path = c_text(path);
  (!path.is_empty()).then(|| PathBuf::from(path))
}

pub(crate) fn parent_pid() -> Pid {
  // SAFETY: getppid cannot fail.
  unsafe { libc::getppid() as Pid }
}

/// A NUL-terminated C string in a fixed array.
fn c_text(chars: &[libc::c_char]) -> String {
  // SAFETY: c_char and u8 have the same size and alignment.
  let bytes: &[u8] = unsafe { std::slice::from_raw_parts(chars.as_ptr().cast(), chars.len()) };
  CStr::from_bytes_until_nul(bytes).map_or_else(
    |_| String::from_utf8_lossy(bytes).into_owned(),
    |text| text.to_string_lossy().into_owned(),
  )
}
