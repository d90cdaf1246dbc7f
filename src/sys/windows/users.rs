//! Users, in the two kinds `dev` needs on Windows: this user, whose processes we may end,
//! and anyone else (another account, or an elevated process when we are not). A number
//! stands for each, as a uid does on Unix; neither is 0, the Unix root.

pub(crate) const ME: u32 = 1;
pub(crate) const SOMEONE_ELSE: u32 = u32::MAX;

pub(crate) fn effective_uid() -> u32 {
  ME
}

pub(crate) fn user_name(uid: u32) -> Option<String> {
  match uid {
    ME => std::env::var("USERNAME").ok(),
    _ => Some("another user (or an elevated process)".into()),
  }
}

/// How to run `command` with the rights to see and stop any process, for a hint.
pub(crate) fn as_admin(command: &str) -> String {
  format!("`{command}` in a terminal run as administrator")
}
