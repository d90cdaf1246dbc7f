//! `shell:`, at the top of devtasks.yaml (every service's and task's) or on one of them:
//! which shell its `run:` goes to, and where the file says so.

use super::{
  Checker, Service, Task,
  raw::{RawFile, RawTask, Text},
  source::Location,
};
use crate::{
  error::{Error, Result},
  shell::ShellKind,
};

/// A service's or task's shell and where the task file names it (`None`: this OS's).
#[derive(Clone, Debug, Default)]
pub(crate) struct ShellChoice {
  pub(crate) kind: ShellKind,
  pub(crate) named_at: Option<Location>,
}

impl ShellChoice {
  /// The shell, once this machine is known to have it: a missing one is a located error
  /// when something is about to start, not when the file is read (`dev stop` and
  /// `dev list` need no shell).
  pub(crate) fn checked(&self) -> Result<ShellKind> {
    if self.kind.find().is_some() {
      return Ok(self.kind);
    }
    let name = self.kind.name();
    let hint = match self.kind {
      ShellKind::Pwsh => "install PowerShell 7 (it provides `pwsh`), or choose another `shell:`: sh, bash, cmd, powershell".to_owned(),
      ShellKind::Powershell => "Windows PowerShell exists only on Windows: use `shell: pwsh` (PowerShell 7) elsewhere".to_owned(),
      ShellKind::Cmd => "cmd exists only on Windows: use `shell: sh` (the default elsewhere), or leave `shell:` out".to_owned(),
      ShellKind::Sh | ShellKind::Bash => format!("install {name} or put it on PATH, or choose another `shell:`"),
    };
    Err(
      Error::config(
        format!(
          "shell `{name}` is not installed: no `{}` on PATH",
          self.kind.program()
        ),
        self.named_at.clone(),
      )
      .with_hint(hint),
    )
  }
}

impl Checker<'_> {
  /// Each service's and task's shell: its own `shell:`, else the file's, else this OS's.
  pub(super) fn shells(
    &self,
    raw: &RawFile,
    services: &mut [Service],
    tasks: &mut [Task],
  ) -> Result<()> {
    let file_shell = self.shell(raw.shell.as_ref(), &ShellChoice::default())?;
    for ((_, service), checked) in raw.services.0.iter().zip(services) {
      checked.shell = self.shell(service.value.shell.as_ref(), &file_shell)?;
    }
    for ((_, task), checked) in raw.tasks.0.iter().zip(tasks) {
      let own = match &task.value {
        RawTask::Full(fields) => fields.shell.as_ref(),
        RawTask::Command(_) => None,
      };
      checked.shell = self.shell(own, &file_shell)?;
    }
    Ok(())
  }

  /// `shell:` if written, else what it inherits (the file's, or this OS's).
  pub(super) fn shell(&self, text: Option<&Text>, inherited: &ShellChoice) -> Result<ShellChoice> {
    let Some(text) = text else {
      return Ok(inherited.clone());
    };
    let kind = ShellKind::parse(text.value.trim())
      .ok_or_else(|| self.unknown(text, "shell", &ShellKind::NAMES))?;
    Ok(ShellChoice {
      kind,
      named_at: Some(self.at_location(text)),
    })
  }
}
