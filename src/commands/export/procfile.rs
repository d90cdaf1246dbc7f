//! `dev export procfile`: one line per service, with its cwd, ports and environment, for
//! foreman, honcho and the like. A Procfile holds one line per process, so a value that
//! spans lines is written as `"$(printf '%b' '…\n…')"`, which the shell turns back into it.
//! The env file's values are not written: foreman and honcho read `.env` themselves.

use std::fmt::Write as _;

use std::path::PathBuf;

use super::{EnvOf, command, relative};
use crate::{
  config::source::display_path,
  error::{Error, Result},
  plan::PortMap,
  project::Project,
  ui::format::shell_quote,
};

/// A shell word for `value`, on one line whatever `value` holds.
fn one_line_word(value: &str) -> String {
  if !value.contains('\n') && !value.contains('\r') {
    return shell_quote(value);
  }
  let escaped = value
    .replace('\\', "\\\\")
    .replace('\n', "\\n")
    .replace('\r', "\\r")
    .replace('\'', "'\\''");
  format!("\"$(printf '%b' '{escaped}')\"")
}

/// A Procfile has no env file of its own: foreman and honcho read `.env` in the directory
/// they run in, which for these lines (`cd <cwd> && …`) is the project's. Any other env
/// file cannot be referenced, so its values are written only when asked (`--inline-env`).
pub(super) fn check_env_files(project: &Project, referenced: &[PathBuf]) -> Result<()> {
  let beside = project.config.root.join(".env");
  let others: Vec<String> = referenced
    .iter()
    .filter(|path| **path != beside)
    .map(|path| display_path(path))
    .collect();
  if others.is_empty() {
    return Ok(());
  }
  Err(Error::Config {
    message: format!(
      "a Procfile cannot name an env file: foreman and honcho read only `.env`, not {}",
      others.join(", ")
    ),
    location: None,
    hint: Some(
      "`--inline-env` writes its values into the Procfile (keep it out of version control), or name the file `.env`"
        .into(),
    ),
  })
}

pub(super) fn procfile(project: &Project, ports: &PortMap, env_of: &EnvOf<'_>) -> Result<String> {
  let mut out = String::new();
  for service in &project.config.services {
    let env: Vec<String> = env_of(service)?
      .inline
      .into_iter()
      .map(|(key, value)| format!("{key}={}", one_line_word(&value)))
      .collect();
    let cwd = relative(project, &service.cwd.path);
    let cd = if cwd == "." {
      String::new()
    } else {
      format!("cd {} && ", shell_quote(&cwd))
    };
    let _ = writeln!(
      out,
      "{}: {cd}{}{}sh -c {}",
      service.name,
      env.join(" "),
      if env.is_empty() { "" } else { " " },
      one_line_word(&command(service, ports))
    );
  }
  Ok(out)
}
