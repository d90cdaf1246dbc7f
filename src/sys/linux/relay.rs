//! Bytes from one socket to another without passing through user space: splice(2) into a
//! pipe and out of it. The proxy's bodies (a 100 MB download, a source map) cost the kernel's
//! page moves instead of two copies and two system calls per 64 KiB.

use std::{
  io,
  net::TcpStream,
  os::fd::{AsRawFd, FromRawFd, OwnedFd},
  ptr,
};

/// How much one splice moves at most: the pipe is grown to it when the system allows.
const CHUNK: usize = 1 << 20;

/// Copies until `from` ends (Ok) or either side fails (Err). Falls back to a read/write loop
/// when the kernel refuses splice for these sockets.
pub(crate) fn relay(from: &TcpStream, to: &TcpStream) -> io::Result<()> {
  let Ok((pipe_out, pipe_in)) = pipe() else {
    return crate::sys::relay_copy::relay(from, to);
  };
  // SAFETY: fcntl on a pipe we own with an integer argument; failure leaves it at 64 KiB.
  unsafe {
    libc::fcntl(
      pipe_in.as_raw_fd(),
      libc::F_SETPIPE_SZ,
      CHUNK as libc::c_int,
    )
  };
  // Not SPLICE_F_MORE: like MSG_MORE it holds a small request back waiting for more, and
  // a keep-alive client sends nothing more until it is answered.
  let flags = libc::SPLICE_F_MOVE;
  loop {
    // SAFETY: splice between descriptors we hold open for the whole call, no offsets.
    let read = unsafe {
      libc::splice(
        from.as_raw_fd(),
        ptr::null_mut(),
        pipe_in.as_raw_fd(),
        ptr::null_mut(),
        CHUNK,
        flags,
      )
    };
    match read {
      0 => return Ok(()),
      n if n < 0 => {
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
          Some(libc::EINTR) => continue,
          Some(libc::EINVAL | libc::ENOSYS) => return crate::sys::relay_copy::relay(from, to),
          _ => return Err(error),
        }
      }
      n => drain(&pipe_out, to, n as usize, flags)?,
    }
  }
}

/// Moves `left` bytes from the pipe to the socket.
fn drain(
  pipe_out: &OwnedFd,
  to: &TcpStream,
  mut left: usize,
  flags: libc::c_uint,
) -> io::Result<()> {
  while left > 0 {
    // SAFETY: as above.
    let written = unsafe {
      libc::splice(
        pipe_out.as_raw_fd(),
        ptr::null_mut(),
        to.as_raw_fd(),
        ptr::null_mut(),
        left,
        flags,
      )
    };
    if written < 0 {
      let error = io::Error::last_os_error();
      if error.raw_os_error() == Some(libc::EINTR) {
        continue;
      }
      return Err(error);
    }
    if written == 0 {
      return Err(io::ErrorKind::WriteZero.into());
    }
    left -= written as usize;
  }
  Ok(())
}

/// (read end, write end), closed on exec.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
  let mut fds = [0 as libc::c_int; 2];
  // SAFETY: pipe2 fills two descriptors that we then own.
  if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
    return Err(io::Error::last_os_error());
  }
  // SAFETY: both were just opened and are owned by nothing else.
  Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
