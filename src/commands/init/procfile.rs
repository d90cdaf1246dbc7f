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
fn uses_port(command: &str) -> bool {
  command.contains("$PORT") || command.contains("${PORT}")
}

/// Foreman's ports: 5000 for the first process type, then +100 each.
fn port(index: usize) -> u16 {
  5000 + 100 * index as u16
}

/// The Procfile's processes as drafts (before any other detection: they are what the
/// project says it runs).
pub(super) fn detect(text: &str, detected: &mut Detected) {
  detected.procfile = true;
  for (index, (name, command)) in entries(text).into_iter().enumerate() {
    // A process that does not use $PORT (a worker) is not awaited on a port.
    let port = if uses_port(&command) { port(index) } else { 0 };
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
    let port = port(index);
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
