//! Procfiles, foreman's way: `web: gunicorn app:app` lines become services, with ports
//! 5000, 5100, … per process type for those that use `$PORT`.

use super::{Detected, Draft};
use crate::ui::format::yaml_quote;

/// `web: gunicorn app:app` lines: `#` comments and blank lines skipped.
pub(crate) fn entries(text: &str) -> Vec<(String, String)> {
  text
    .lines()
    .filter(|line| !line.trim_start().starts_with('#'))
    .filter_map(|line| {
      let (name, command) = line.split_once(':')?;
      let name = name.trim();
      let valid = !name.is_empty()
        && name
          .chars()
          .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
      (valid && !command.trim().is_empty()).then(|| (name.to_owned(), command.trim().to_owned()))
    })
    .collect()
}

/// The lines that are not blank, not comments and not `name: command` (1-based numbers):
/// foreman skips them; `dev` says so, since a typo there loses a process without a word.
pub(crate) fn ignored_lines(text: &str) -> Vec<(usize, &str)> {
  text
    .lines()
    .enumerate()
    .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
    .filter(|(_, line)| entries(line).is_empty())
    .map(|(index, line)| (index + 1, line.trim()))
    .collect()
}

/// `$PORT` or `${PORT}` in the command: the process listens there.
pub(crate) fn uses_port(command: &str) -> bool {
  command.contains("$PORT") || command.contains("${PORT}")
}

/// Foreman's ports: 5000 for the first process type, then +100 each.
pub(crate) fn foreman_port(index: usize) -> u16 {
  5000 + 100 * index as u16
}

/// The Procfile's processes as drafts (before any other detection: they are what the
/// project says it runs).
pub(super) fn detect(text: &str, detected: &mut Detected) {
  detected.procfile = true;
  for (index, (name, command)) in entries(text).into_iter().enumerate() {
    // A process that does not use $PORT (a worker) is not awaited on a port.
    let port = if uses_port(&command) {
      foreman_port(index)
    } else {
      0
    };
    detected.services.push(Draft {
      name,
      description: "from the Procfile".into(),
      cwd: None,
      run: command,
      port,
      health: None,
      frontend: false,
    });
  }
}

/// A task file for a project that has only a Procfile (and maybe a `.env`).
pub(crate) fn procfile_config(text: &str, has_env: bool) -> String {
  let mut out = String::new();
  if has_env {
    out.push_str("env_file: .env\n");
  }
  out.push_str("services:\n");
  for (index, (name, command)) in entries(text).into_iter().enumerate() {
    let port = foreman_port(index);
    out.push_str(&format!("  {name}:\n    run: {}\n", yaml_quote(&command)));
    // Every process gets its PORT, as with foreman; only one that uses it is awaited there.
    if uses_port(&command) {
      // Foreman would fail on a taken port; moving on is kinder.
      out.push_str(&format!("    port: {port}\n    fallback: auto\n"));
    } else {
      out.push_str(&format!("    env: {{ PORT: \"{port}\" }}\n"));
    }
  }
  out
}

/// No task file here, but a Procfile: the configuration that runs it the way foreman would
/// (lines that are not `name: command` skipped, with a warning each); `not_found` without one.
pub(crate) fn run_procfile(
  cwd: &std::path::Path,
  not_found: crate::error::Error,
  report: crate::ui::output::Reporter,
) -> crate::error::Result<crate::config::Config> {
  let Ok(procfile) = std::fs::read_to_string(cwd.join("Procfile")) else {
    return Err(not_found);
  };
  report.step(
    "no devtasks.yaml: running the Procfile (`dev init` writes a task file with health checks)",
  );
  for (line, text) in &ignored_lines(&procfile) {
    report.warning(&format!(
      "Procfile:{line}: `{text}` is not a `name: command` line: skipped, as foreman does"
    ));
  }
  if entries(&procfile).is_empty() {
    return Err(crate::error::Error::Config {
      message: "the Procfile has no `name: command` line: nothing to run".into(),
      location: None,
      hint: Some(
        "a Procfile line is `name: command`, e.g. `web: python3 -m http.server $PORT`".into(),
      ),
    });
  }
  let text = procfile_config(&procfile, cwd.join(".env").exists());
  crate::config::Config::from_procfile(cwd.join("Procfile"), &procfile, text)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn procfile_lines_become_services_with_foreman_ports() {
    let text = "# processes\nweb: gunicorn app:app --bind 127.0.0.1:$PORT\n\nworker: celery -A app worker\nbad line\n";
    assert_eq!(ignored_lines(text), [(5, "bad line")]);
    assert_eq!(
      procfile_config(text, true),
      "env_file: .env\nservices:\n  web:\n    run: \"gunicorn app:app --bind 127.0.0.1:$PORT\"\n    port: 5000\n    fallback: auto\n  worker:\n    run: \"celery -A app worker\"\n    env: { PORT: \"5100\" }\n"
    );
  }
}
