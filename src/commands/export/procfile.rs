//! `dev export procfile`: one line per service, with its cwd, ports and environment, for
//! foreman, honcho and the like. A Procfile holds one line per process, so a value that
//! spans lines is written as `"$(printf '%b' '…\n…')"`, which the shell turns back into it.

use std::fmt::Write as _;

use super::{command, environment, relative};
use crate::{error::Result, plan::PortMap, project::Project, ui::format::shell_quote};

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

pub(super) fn procfile(project: &Project, ports: &PortMap) -> Result<String> {
  let mut out = String::new();
  for service in &project.config.services {
    let env: Vec<String> = environment(project, service, ports)?
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
