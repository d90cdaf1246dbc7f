//! Files and directories on Windows: identity is (volume serial, file index), free space
//! from `GetDiskFreeSpaceExW`, and the errors that mean "disk full" or "reader gone".

use std::{
  fs, io,
  os::windows::{fs::OpenOptionsExt, io::AsRawHandle},
  path::Path,
  ptr,
};

use windows_sys::Win32::{
  Foundation::{ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL, ERROR_NO_DATA, HANDLE},
  Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_DELETE_ON_CLOSE,
    GetDiskFreeSpaceExW, GetFileInformationByHandle,
  },
};

use super::handle::wide_path;

/// The error a write to a console or pipe whose reader is gone returns ("the pipe is being
/// closed").
pub(crate) const EIO: i32 = ERROR_NO_DATA as i32;

pub(crate) fn is_disk_full(error: &io::Error) -> bool {
  matches!(error.raw_os_error(), Some(code) if code == ERROR_DISK_FULL as i32 || code == ERROR_HANDLE_DISK_FULL as i32)
}

/// Creates `path` if needed and makes sure it is a directory. Its privacy comes from where
/// it is (the project, or the user's own %TEMP%): ACLs are not changed.
pub(crate) fn private_directory(path: &Path) -> io::Result<()> {
  fs::create_dir_all(path)?;
  if !fs::symlink_metadata(path)?.is_dir() {
    return Err(io::Error::other("it is not a directory"));
  }
  Ok(())
}

pub(crate) fn identity_of_raw(handle: HANDLE) -> Option<(u64, u64)> {
  // SAFETY: plain data the call fills.
  let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
  // SAFETY: a valid open handle and out-pointer.
  if unsafe { GetFileInformationByHandle(handle, &raw mut info) } == 0 {
    return None;
  }
  let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
  Some((u64::from(info.dwVolumeSerialNumber), index))
}

/// What identifies a file or directory whatever its path: (volume serial, file index).
pub(crate) fn path_identity(path: &Path) -> Option<(u64, u64)> {
  // Directories open only with backup semantics; no access right is needed to ask.
  let file = fs::OpenOptions::new()
    .access_mode(0)
    .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
    .open(path)
    .ok()?;
  identity_of_raw(file.as_raw_handle())
}

pub(crate) fn file_identity(file: &fs::File) -> Option<(u64, u64)> {
  identity_of_raw(file.as_raw_handle())
}

/// This user may create files in `directory`: asked by creating one that is deleted when
/// closed (Windows permissions are ACLs; trying is the only exact answer).
pub(crate) fn may_write_in(directory: &Path) -> bool {
  let probe = directory.join(format!(".dev-write-check-{}", std::process::id()));
  fs::OpenOptions::new()
    .write(true)
    .create_new(true)
    .custom_flags(FILE_FLAG_DELETE_ON_CLOSE)
    .open(probe)
    .is_ok()
}

/// Bytes this user may still use on the volume holding `path`.
pub(crate) fn free_bytes(path: &Path) -> Option<u64> {
  let mut available = 0u64;
  // SAFETY: a NUL-terminated path and one out-pointer; the others may be null.
  let read = unsafe {
    GetDiskFreeSpaceExW(
      wide_path(path).as_ptr(),
      &raw mut available,
      ptr::null_mut(),
      ptr::null_mut(),
    )
  };
  (read != 0).then_some(available)
}

/// `from` renamed over `to`. Windows refuses to replace a file another process has open at
/// that instant (a `dev status` reading the state, "Access denied"): such reads are short,
/// so the rename is tried again for up to a second rather than failing a keeper's write.
pub(crate) fn replace_file(from: &Path, to: &Path) -> io::Result<()> {
  let mut tries = 0;
  loop {
    match fs::rename(from, to) {
      Err(error) if error.kind() == io::ErrorKind::PermissionDenied && tries < 100 => {
        tries += 1;
        std::thread::sleep(std::time::Duration::from_millis(10));
      }
      result => return result,
    }
  }
}
