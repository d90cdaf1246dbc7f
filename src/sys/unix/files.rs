//! Files and directories: a private directory, what identifies a file whatever its path,
//! free space, and the errors that mean "the disk is full" or "the terminal is gone".

use std::{fs, io};

/// The error a write to a terminal that is gone returns.
pub(crate) const EIO: i32 = libc::EIO;

/// True when the error says the disk is full.
pub(crate) fn is_disk_full(error: &io::Error) -> bool {
  error.raw_os_error() == Some(libc::ENOSPC)
}

/// Creates `path` (mode 0700) if needed and makes sure it is a directory only we can use:
/// owned by us, no access for group or others (which are taken away when we own it).
pub(crate) fn private_directory(path: &std::path::Path) -> io::Result<()> {
  use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
  match fs::DirBuilder::new()
    .recursive(true)
    .mode(0o700)
    .create(path)
  {
    Ok(()) => {}
    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
    Err(error) => return Err(error),
  }
  let meta = fs::symlink_metadata(path)?;
  if !meta.is_dir() {
    return Err(io::Error::other("it is not a directory"));
  }
  if meta.uid() != super::users::effective_uid() {
    return Err(io::Error::other(format!(
      "it belongs to uid {}, not to you",
      meta.uid()
    )));
  }
  if meta.mode() & 0o077 != 0 {
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
  }
  Ok(())
}

/// What identifies a file or directory on this machine whatever its path: (device, inode).
/// A moved one keeps it; a copy gets its own.
pub(crate) fn path_identity(path: &std::path::Path) -> Option<(u64, u64)> {
  use std::os::unix::fs::MetadataExt;
  fs::metadata(path).ok().map(|meta| (meta.dev(), meta.ino()))
}

/// The same for an open file.
pub(crate) fn file_identity(file: &fs::File) -> Option<(u64, u64)> {
  use std::os::unix::fs::MetadataExt;
  file.metadata().ok().map(|meta| (meta.dev(), meta.ino()))
}

/// This user may create files in `directory` (access(2): permissions, read-only mounts).
pub(crate) fn may_write_in(directory: &std::path::Path) -> bool {
  use std::os::unix::ffi::OsStrExt;
  let Ok(path) = std::ffi::CString::new(directory.as_os_str().as_bytes()) else {
    return false;
  };
  // SAFETY: a valid NUL-terminated path.
  unsafe { libc::access(path.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// Bytes an unprivileged writer may still use on the filesystem holding `path`.
pub(crate) fn free_bytes(path: &std::path::Path) -> Option<u64> {
  use std::os::unix::ffi::OsStrExt;
  let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
  // SAFETY: statvfs is plain data; the call fills it or fails.
  let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
  // SAFETY: a valid NUL-terminated path and out-pointer.
  if unsafe { libc::statvfs(path.as_ptr(), &raw mut stats) } != 0 {
    return None;
  }
  Some(stats.f_bavail as u64 * stats.f_frsize as u64)
}

/// `from` renamed over `to` at once: a reader sees the old file or the new one, never half.
pub(crate) fn replace_file(from: &std::path::Path, to: &std::path::Path) -> io::Result<()> {
  fs::rename(from, to)
}
