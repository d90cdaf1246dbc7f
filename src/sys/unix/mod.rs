//! What POSIX gives every Unix backend alike (Linux and macOS): signals, waiting for
//! children, files and their identity, the terminal, users.

pub(crate) mod files;
pub(crate) mod shell;
pub(crate) mod signals;
pub(crate) mod terminal;
pub(crate) mod users;
pub(crate) mod wait;

/// Where this thread's `errno` lives.
///
/// # Safety
/// The pointer is valid for the calling thread only.
pub(super) unsafe fn errno() -> *mut libc::c_int {
  #[cfg(target_os = "linux")]
  // SAFETY: always valid for the calling thread.
  return unsafe { libc::__errno_location() };
  #[cfg(target_os = "macos")]
  // SAFETY: always valid for the calling thread.
  return unsafe { libc::__error() };
}
