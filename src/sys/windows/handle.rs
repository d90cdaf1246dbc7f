//! Owned kernel handles and the few conversions every Windows call needs.

use std::{ffi::OsStr, os::windows::ffi::OsStrExt, path::Path, ptr};

use windows_sys::Win32::{
  Foundation::{CloseHandle, FILETIME, HANDLE, INVALID_HANDLE_VALUE},
  System::Threading::{OpenProcess, PROCESS_ACCESS_RIGHTS},
};

use crate::sys::Pid;

/// A handle closed on drop. Never null nor `INVALID_HANDLE_VALUE`.
pub(crate) struct Handle(HANDLE);

// SAFETY: a kernel handle is a process-wide number; any thread may use or close it.
unsafe impl Send for Handle {}
// SAFETY: the calls made through a shared handle are thread-safe kernel calls.
unsafe impl Sync for Handle {}

impl Handle {
  /// Takes ownership of what a Win32 call returned; `None` for its failure values.
  pub(crate) fn new(raw: HANDLE) -> Option<Self> {
    (!raw.is_null() && raw != INVALID_HANDLE_VALUE).then_some(Self(raw))
  }

  pub(crate) fn raw(&self) -> HANDLE {
    self.0
  }
}

impl Drop for Handle {
  fn drop(&mut self) {
    // SAFETY: the handle is ours and closed once.
    unsafe { CloseHandle(self.0) };
  }
}

/// A process opened with `access`; `None` when it is gone or not ours to open.
pub(crate) fn open_process(pid: Pid, access: PROCESS_ACCESS_RIGHTS) -> Option<Handle> {
  if pid == 0 {
    return None;
  }
  // SAFETY: OpenProcess takes plain values and returns a new handle or null.
  Handle::new(unsafe { OpenProcess(access, 0, pid) })
}

/// A NUL-terminated UTF-16 copy, as the `W` functions take it.
pub(crate) fn wide(text: impl AsRef<OsStr>) -> Vec<u16> {
  text.as_ref().encode_wide().chain([0]).collect()
}

pub(crate) fn wide_path(path: &Path) -> Vec<u16> {
  wide(path.as_os_str())
}

/// A UTF-16 buffer up to its first NUL.
pub(crate) fn from_wide(buffer: &[u16]) -> String {
  let end = buffer.iter().position(|c| *c == 0).unwrap_or(buffer.len());
  String::from_utf16_lossy(&buffer[..end])
}

/// 100 ns intervals since 1601-01-01 (UTC).
pub(crate) fn ticks(time: FILETIME) -> u64 {
  (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime)
}

/// The difference between 1601-01-01 and 1970-01-01 in 100 ns intervals.
pub(crate) const UNIX_EPOCH_TICKS: u64 = 116_444_736_000_000_000;

pub(crate) const NO_SECURITY: *const windows_sys::Win32::Security::SECURITY_ATTRIBUTES =
  ptr::null();
