//! Users: who we are, and a uid's login name.

pub(crate) fn effective_uid() -> u32 {
  // SAFETY: geteuid cannot fail.
  unsafe { libc::geteuid() }
}

/// The login name for a uid, from the system's user database (files, LDAP, …).
pub(crate) fn user_name(uid: u32) -> Option<String> {
  let mut buffer = vec![0 as libc::c_char; 4096];
  // SAFETY: a zeroed passwd is a valid out-parameter; getpwuid_r writes strings into buffer.
  unsafe {
    let mut entry: libc::passwd = std::mem::zeroed();
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let status = libc::getpwuid_r(
      uid,
      &raw mut entry,
      buffer.as_mut_ptr(),
      buffer.len(),
      &raw mut result,
    );
    if status != 0 || result.is_null() {
      return None;
    }
    Some(
      std::ffi::CStr::from_ptr(entry.pw_name)
        .to_string_lossy()
        .into_owned(),
    )
  }
}

/// How to run `command` with the rights to see and stop any process, for a hint.
pub(crate) fn as_admin(command: &str) -> String {
  format!("`sudo {command}`")
}
