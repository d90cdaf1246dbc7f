//! The terminal and stdout: how wide, whether anyone still reads, whether it is a file.

use std::{fs, io, os::fd::AsRawFd};

/// Columns of the terminal on stderr, when it is one.
pub(crate) fn terminal_width() -> Option<usize> {
  // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails.
  let mut size: libc::winsize = unsafe { std::mem::zeroed() };
  // SAFETY: a valid out-pointer for TIOCGWINSZ on our own stderr descriptor.
  let result = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &raw mut size) };
  (result == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// A Unix terminal takes ANSI escape sequences as they are.
pub(crate) fn enable_colors() -> bool {
  true
}

/// True when stdout leads nowhere any more: a pipe whose reader exited, or a terminal that
/// hung up. Asked without writing (poll reports POLLERR / POLLHUP on the write end).
pub(crate) fn stdout_closed() -> bool {
  let mut poll = libc::pollfd {
    fd: libc::STDOUT_FILENO,
    events: 0,
    revents: 0,
  };
  // SAFETY: one valid pollfd, no waiting.
  let ready = unsafe { libc::poll(&raw mut poll, 1, 0) };
  ready > 0 && poll.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// The (device, inode) of the regular files stdout and stderr write to, if they are files:
/// `dev t --watch > out.txt` inside the watched tree must not run the task again because its
/// own output changed.
pub(crate) fn output_files() -> Vec<(u64, u64)> {
  use std::os::fd::AsFd;
  [io::stdout().as_fd(), io::stderr().as_fd()]
    .into_iter()
    .filter_map(|fd| fd.try_clone_to_owned().ok().map(fs::File::from))
    .filter(|file| file.metadata().is_ok_and(|meta| meta.is_file()))
    .filter_map(|file| super::files::file_identity(&file))
    .collect()
}

/// True when stdout is a regular file or /dev/null: a reader that always keeps up.
pub(crate) fn stdout_is_file() -> bool {
  use std::os::{fd::AsFd, unix::fs::FileTypeExt};
  let Ok(meta) = io::stdout()
    .as_fd()
    .try_clone_to_owned()
    .and_then(|fd| fs::File::from(fd).metadata())
  else {
    return false;
  };
  let file_type = meta.file_type();
  file_type.is_file()
    || (file_type.is_char_device()
      && fs::metadata("/dev/null").is_ok_and(|null| {
        use std::os::unix::fs::MetadataExt;
        null.rdev() == meta.rdev()
      }))
}

/// Points stdout at /dev/null: a detached keeper prints nothing after its handshake, and a
/// closed pipe from the long-gone starter can then never matter.
pub(crate) fn silence_stdout() {
  if let Ok(null) = fs::File::options().write(true).open("/dev/null") {
    // SAFETY: dup2 onto our own stdout descriptor.
    unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) };
  }
}

/// While a full-screen program draws, a stray line on stderr (a warning from a library
/// call) would scribble over it: stderr goes to `file` until the returned guard is dropped.
pub(crate) fn stderr_aside(file: &fs::File) -> Option<StderrAside> {
  // SAFETY: dup of our own stderr; the copy is owned by the guard.
  let saved = unsafe { libc::dup(libc::STDERR_FILENO) };
  if saved < 0 {
    return None;
  }
  // SAFETY: dup2 onto our own stderr descriptor.
  unsafe { libc::dup2(file.as_raw_fd(), libc::STDERR_FILENO) };
  Some(StderrAside { saved })
}

pub(crate) struct StderrAside {
  saved: libc::c_int,
}

impl Drop for StderrAside {
  fn drop(&mut self) {
    // SAFETY: puts back the descriptor saved by `stderr_aside`, then closes the copy.
    unsafe {
      libc::dup2(self.saved, libc::STDERR_FILENO);
      libc::close(self.saved);
    }
  }
}

/// A protocol that speaks on stdout (`dev mcp`): the returned file is the real stdout, and
/// descriptor 1 becomes a copy of stderr, so that a stray print from anywhere in the process
/// lands on stderr instead of corrupting the stream.
pub(crate) fn take_stdout() -> io::Result<fs::File> {
  use std::os::fd::FromRawFd;
  // SAFETY: dup of our own stdout; the copy is owned by the returned file.
  let transport = unsafe { libc::dup(libc::STDOUT_FILENO) };
  if transport < 0 {
    return Err(io::Error::last_os_error());
  }
  // SAFETY: dup2 onto our own stdout descriptor.
  if unsafe { libc::dup2(libc::STDERR_FILENO, libc::STDOUT_FILENO) } < 0 {
    return Err(io::Error::last_os_error());
  }
  // SAFETY: `transport` is a fresh descriptor that nothing else owns.
  Ok(unsafe { fs::File::from_raw_fd(transport) })
}
