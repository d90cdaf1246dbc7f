//! `dev` or `dev up` where there is no task file: on a terminal, what `dev init` finds here
//! and one question; only a typed yes writes the file. A script, CI or a coding agent gets
//! the error it always got, at once: never a question nobody will answer.

use std::{io::IsTerminal, path::Path};

use super::{Detected, detect, write};
use crate::{
  config::FILE_NAMES,
  error::{Error, Result},
  ui::{format::pad_to, output::Reporter, output::to_stderr, prompt},
};

/// Offers to write what `dev init` would; `Err(not_found)` unless it was written.
pub(crate) fn offer(root: &Path, not_found: Error, report: Reporter) -> Result<()> {
  if !someone_can_answer() {
    return Err(not_found);
  }
  let detected = detect(root);
  if detected.services.is_empty() {
    // A file with only the example service (or only tasks) would start nothing of the
    // project's own: no question, and the error's hint names `dev init` for the example.
    let tasks = detected.task_names();
    let found = if tasks.is_empty() {
      String::new()
    } else {
      format!(" (only tasks: {})", tasks.join(", "))
    };
    report.step(&format!(
      "`dev init` finds no dev server here to start{found}"
    ));
    return Err(not_found);
  }
  to_stderr(&summary(&detected, report));
  // Asked only where the answer can be carried out.
  if !crate::sys::may_write_in(root) {
    report.step(&format!(
      "{} cannot be written here ({} is read-only to you): nothing to ask",
      FILE_NAMES[0],
      report.path(root)
    ));
    return Err(not_found);
  }
  if !prompt::yes(&format!("Create {} with these?", FILE_NAMES[0])) {
    return Err(not_found);
  }
  write(&root.join(FILE_NAMES[0]), root, &detected, report)
}

/// Stdin and stderr are a terminal, and this is not a CI job: some CI runners give jobs a
/// pseudo-terminal that nobody types into, and a question there would hang the job.
fn someone_can_answer() -> bool {
  let ci = std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"));
  std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !ci
}

/// What `dev init` finds, one line per service (what, where, which port, what it waits
/// for) and one for the tasks.
fn summary(detected: &Detected, report: Reporter) -> String {
  let gate = detected.gate().map(|gate| gate.name.as_str());
  let width = detected
    .services
    .iter()
    .map(|s| s.name.len())
    .chain((!detected.tasks.is_empty()).then_some("tasks".len()))
    .max()
    .unwrap_or(0);
  let mut out = format!(
    "{} no {} here or in a parent directory; `dev init` finds:\n",
    report.color.hint("▸"),
    FILE_NAMES[0]
  );
  for service in &detected.services {
    let place = service
      .cwd
      .as_ref()
      .map_or_else(|| "here".to_owned(), |cwd| format!("in {cwd}/"));
    let port = match service.port {
      0 => "no port".to_owned(),
      port => format!("port {port}"),
    };
    let after = match gate {
      Some(gate) if service.frontend => format!(", once {gate} is healthy"),
      _ => String::new(),
    };
    out.push_str(&format!(
      "    {}  {} {place}, {port}{after}\n",
      report.color.bold(&pad_to(&service.name, width)),
      service.description
    ));
  }
  let tasks = detected.task_names();
  if !tasks.is_empty() {
    out.push_str(&format!(
      "    {}  {}\n",
      report.color.bold(&pad_to("tasks", width)),
      tasks.join(", ")
    ));
  }
  out
}
