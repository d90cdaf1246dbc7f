//! The shell on Windows: `cmd /D /S /C "<run>"`. A task file's `$PORT` and `${PORT}` become
//! `%PORT%`, so one `run:` line works on every OS; anything else reaches cmd as written.

use std::{os::windows::process::CommandExt, process::Command};

use super::cmd::for_cmd;

/// The shell, named in messages.
pub(crate) const SHELL: &str = "cmd";

/// `cmd /D /S /C "<script>"`: /D skips AutoRun commands, /S takes the outer quotes off and
/// keeps every other character as written (std's argument quoting is for C programs, not
/// for cmd, so the line is passed raw).
pub(crate) fn shell_command(script: &str) -> Command {
  let mut command = Command::new("cmd");
  command.raw_arg(format!("/D /S /C \"{}\"", for_cmd(script)));
  command
}
