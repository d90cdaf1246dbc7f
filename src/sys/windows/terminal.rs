//! The console and stdout on Windows: width, colors through virtual-terminal processing,
//! whether stdout is a file, and standard handles swapped for a while.

use std::{
  fs, io,
  os::windows::io::{AsRawHandle, FromRawHandle, IntoRawHandle},
};

use windows_sys::Win32::{
  Foundation::HANDLE,
  Storage::FileSystem::{FILE_TYPE_CHAR, FILE_TYPE_DISK, GetFileType},
  System::Console::{
    CONSOLE_SCREEN_BUFFER_INFO, ENABLE_VIRTUAL_TERMINAL_PROCESSING, GetConsoleMode,
    GetConsoleScreenBufferInfo, GetStdHandle, STD_ERROR_HANDLE, STD_HANDLE, STD_OUTPUT_HANDLE,
    SetConsoleMode, SetStdHandle,
  },
};

fn std_handle(which: STD_HANDLE) -> HANDLE {
  // SAFETY: GetStdHandle takes a constant and returns a borrowed handle (or null).
  unsafe { GetStdHandle(which) }
}

/// Columns of the console window on stderr, when it is one.
pub(crate) fn terminal_width() -> Option<usize> {
  // SAFETY: plain data the call fills.
  let mut info: CONSOLE_SCREEN_BUFFER_INFO = unsafe { std::mem::zeroed() };
  // SAFETY: a borrowed standard handle and an out-pointer.
  if unsafe { GetConsoleScreenBufferInfo(std_handle(STD_ERROR_HANDLE), &raw mut info) } == 0 {
    return None;
  }
  let columns = i32::from(info.srWindow.Right) - i32::from(info.srWindow.Left) + 1;
  usize::try_from(columns).ok().filter(|columns| *columns > 0)
}

/// Turns on ANSI escape sequences on stdout's and stderr's consoles (Windows 10 and
/// later). False when either console refuses them: colors then stay off.
pub(crate) fn enable_colors() -> bool {
  [STD_OUTPUT_HANDLE, STD_ERROR_HANDLE].iter().all(|which| {
    let handle = std_handle(*which);
    let mut mode = 0;
    // SAFETY: a borrowed standard handle and an out-pointer.
    if unsafe { GetConsoleMode(handle, &raw mut mode) } == 0 {
      // Not a console (a pipe, a file): escape codes pass through untouched.
      return true;
    }
    // SAFETY: the same handle, a mode built from the one it had.
    mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0
      || unsafe { SetConsoleMode(handle, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) } != 0
  })
}

/// Windows tells of a reader gone only when a write fails.
pub(crate) fn stdout_closed() -> bool {
  false
}

/// The identities of the regular files stdout and stderr write to, if they are files.
pub(crate) fn output_files() -> Vec<(u64, u64)> {
  [io::stdout().as_raw_handle(), io::stderr().as_raw_handle()]
    .into_iter()
    // SAFETY: GetFileType on a borrowed standard handle.
    .filter(|handle| !handle.is_null() && unsafe { GetFileType(*handle) } == FILE_TYPE_DISK)
    .filter_map(super::files::identity_of_raw)
    .collect()
}

/// True when stdout is a regular file or NUL: a reader that always keeps up.
pub(crate) fn stdout_is_file() -> bool {
  let handle = std_handle(STD_OUTPUT_HANDLE);
  let mut mode = 0;
  // SAFETY: GetFileType and GetConsoleMode on a borrowed standard handle.
  match unsafe { GetFileType(handle) } {
    FILE_TYPE_DISK => true,
    // A character device that is not a console: NUL.
    FILE_TYPE_CHAR => (unsafe { GetConsoleMode(handle, &raw mut mode) }) == 0,
    _ => false,
  }
}

/// Points stdout at NUL and closes what it was (the starter's pipe, whose reader then
/// sees its end).
pub(crate) fn silence_stdout() {
  if let Ok(null) = fs::File::options().write(true).open("NUL") {
    let old = std_handle(STD_OUTPUT_HANDLE);
    // SAFETY: the new handle is leaked into the standard slot, which owns it from now on.
    if unsafe { SetStdHandle(STD_OUTPUT_HANDLE, null.into_raw_handle()) } != 0 && !old.is_null() {
      // SAFETY: the old standard handle is ours and no longer reachable through the slot.
      drop(unsafe { fs::File::from_raw_handle(old) });
    }
  }
}

/// While a full-screen program draws, stderr goes to `file` until the guard is dropped.
pub(crate) fn stderr_aside(file: &fs::File) -> Option<StderrAside> {
  let file = file.try_clone().ok()?;
  let saved = std_handle(STD_ERROR_HANDLE);
  // SAFETY: the guard keeps `file` open for as long as the slot points at it.
  if unsafe { SetStdHandle(STD_ERROR_HANDLE, file.as_raw_handle()) } == 0 {
    return None;
  }
  Some(StderrAside {
    saved: saved as usize,
    _file: file,
  })
}

pub(crate) struct StderrAside {
  saved: usize,
  _file: fs::File,
}

impl Drop for StderrAside {
  fn drop(&mut self) {
    // SAFETY: puts back the handle saved by `stderr_aside`, before the file closes.
    unsafe { SetStdHandle(STD_ERROR_HANDLE, self.saved as HANDLE) };
  }
}

/// A protocol that speaks on stdout (`dev mcp`): the returned file is the real stdout, and
/// the standard output slot becomes stderr's handle, so that a stray print from anywhere in
/// the process lands on stderr instead of corrupting the stream (std looks the slot up on
/// every write).
pub(crate) fn take_stdout() -> io::Result<fs::File> {
  let old = std_handle(STD_OUTPUT_HANDLE);
  if old.is_null() {
    return Err(io::Error::new(
      io::ErrorKind::NotFound,
      "no standard output",
    ));
  }
  // SAFETY: the slot's handle is ours; the clone is owned by the returned file.
  let transport = unsafe { std::os::windows::io::BorrowedHandle::borrow_raw(old) }
    .try_clone_to_owned()
    .map(fs::File::from)?;
  // SAFETY: stderr's handle stays open for the life of the process; the slot only borrows it.
  if unsafe { SetStdHandle(STD_OUTPUT_HANDLE, std_handle(STD_ERROR_HANDLE)) } == 0 {
    return Err(io::Error::last_os_error());
  }
  Ok(transport)
}
