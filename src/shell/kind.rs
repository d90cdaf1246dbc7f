//! Which shell a `run:` goes to (`shell:` in devtasks.yaml: sh, bash, cmd, pwsh,
//! powershell) and how each is called, so that `$PORT` means the same in every one.

use std::{path::PathBuf, process::Command};

use serde::{Deserialize, Serialize};

use super::variables::{for_cmd, for_pwsh};
use crate::sys;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ShellKind {
  Sh,
  Bash,
  Cmd,
  /// PowerShell 7.
  Pwsh,
  /// Windows PowerShell 5.1.
  Powershell,
}

impl Default for ShellKind {
  /// This OS's: `sh` on Unix, `cmd` on Windows.
  fn default() -> Self {
    Self::parse(sys::DEFAULT_SHELL).unwrap_or(Self::Sh)
  }
}

impl ShellKind {
  pub(crate) const NAMES: [&str; 5] = ["sh", "bash", "cmd", "pwsh", "powershell"];

  pub(crate) fn parse(name: &str) -> Option<Self> {
    Some(match name {
      "sh" => Self::Sh,
      "bash" => Self::Bash,
      "cmd" => Self::Cmd,
      "pwsh" => Self::Pwsh,
      "powershell" => Self::Powershell,
      _ => return None,
    })
  }

  pub(crate) fn name(self) -> &'static str {
    Self::NAMES[self as usize]
  }

  /// The program started, as looked up: `/bin/sh` on Unix, the rest on PATH.
  pub(crate) fn program(self) -> &'static str {
    match self {
      Self::Sh => sys::SH,
      other => other.name(),
    }
  }

  /// Where the program is, or `None` when this machine does not have it.
  pub(crate) fn find(self) -> Option<PathBuf> {
    which::which(self.program()).ok()
  }

  /// Whether words after the script reach it as `$0`, `$1`…, as a task's name and extra
  /// words (`dev test -- -k foo`) do in sh and bash. cmd and PowerShell would run them as
  /// part of the command (the Wine smoke caught cmd echoing the task's name).
  pub(crate) fn takes_words(self) -> bool {
    matches!(self, Self::Sh | Self::Bash)
  }

  /// The command that runs `script`. `$PORT` reaches each shell as its own spelling of the
  /// variable `dev` set: sh and bash read it as written, cmd as `%PORT%`, PowerShell as
  /// `$env:PORT` (only for `dev_variables`, the names `dev` puts in the environment).
  pub(crate) fn command(self, script: &str, dev_variables: &[&str]) -> Command {
    match self {
      Self::Sh | Self::Bash => {
        let mut command = Command::new(self.program());
        command.arg("-c").arg(script);
        command
      }
      Self::Cmd => sys::cmd_command(&for_cmd(script)),
      Self::Pwsh | Self::Powershell => {
        let mut command = Command::new(self.program());
        command
          .args(["-NoLogo", "-NoProfile", "-NonInteractive", "-Command"])
          .arg(for_pwsh(script, dev_variables));
        command
      }
    }
  }
}

#[cfg(test)]
mod tests {
  use super::ShellKind;

  #[test]
  fn every_name_parses_back_to_itself() {
    for name in ShellKind::NAMES {
      assert_eq!(ShellKind::parse(name).map(ShellKind::name), Some(name));
    }
    assert_eq!(ShellKind::parse("zsh"), None);
  }
}
