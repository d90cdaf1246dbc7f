//! `dev export systemd`: a user unit per service that stops like `dev` does
//! (`KillMode=control-group`, the stop signal, `TimeoutStopSec` = the grace), the env files
//! read through `EnvironmentFile=`, written so that `systemd-analyze verify` takes it: quoted one-line values, `%` and `$` escaped, a
//! normalized working directory.

use std::{
  fmt::Write as _,
  path::{Component, Path, PathBuf},
};

use super::{EnvOf, command};
use crate::{
  config::{Restart, Service, source::display_path},
  error::Result,
  plan::PortMap,
  project::Project,
  ui::format::one_line,
};

pub(super) fn unit_name(service: &Service) -> String {
  format!("dev-{}.service", service.name)
}

pub(super) fn systemd(
  project: &Project,
  service: &Service,
  ports: &PortMap,
  env_of: &EnvOf<'_>,
) -> Result<String> {
  let mut out = String::from("[Unit]\n");
  let description = service.description.as_deref().unwrap_or(&service.name);
  let _ = writeln!(
    out,
    "Description={}",
    specifiers(&format!(
      "{} ({})",
      one_line(description),
      display_path(&project.config.root)
    ))
  );
  for dependency in &service.depends_on {
    let unit = project
      .config
      .service(&dependency.service)
      .map(unit_name)
      .unwrap_or_default();
    let _ = writeln!(out, "After={unit}\nRequires={unit}");
  }
  out.push_str("\n[Service]\nType=simple\n");
  let _ = writeln!(
    out,
    "WorkingDirectory={}",
    specifiers(&normalized(&service.cwd.path).display().to_string())
  );
  let env = env_of(service)?;
  for file in &env.files {
    // systemd reads KEY=VALUE lines itself; a value set here too is taken from the file.
    let _ = writeln!(
      out,
      "EnvironmentFile={}",
      specifiers(&normalized(file).display().to_string())
    );
  }
  for (key, value) in env.inline {
    let _ = writeln!(
      out,
      "Environment={}",
      quote(&specifiers(&format!("{key}={value}")))
    );
  }
  // `$$` and `%%`: systemd would expand `$VAR` and `%x` itself; the shell should.
  let run = specifiers(&command(service, ports)).replace('$', "$$");
  let _ = writeln!(out, "ExecStart=/bin/sh -c {}", quote(&run));
  out.push_str("# The same stop as dev: the signal to the whole group, the grace, then SIGKILL.\n");
  out.push_str("KillMode=control-group\n");
  let _ = writeln!(out, "KillSignal={}", service.stop_signal.name());
  let _ = writeln!(out, "TimeoutStopSec={}", service.grace.as_secs().max(1));
  let restart = match service.restart.when {
    Restart::No => "no",
    Restart::OnFailure => "on-failure",
    Restart::Always => "always",
  };
  let _ = writeln!(out, "Restart={restart}");
  let _ = writeln!(out, "RestartSec={}ms", service.restart.delay_ms);
  let log = project.config.log_of(&service.name);
  let _ = writeln!(
    out,
    "StandardOutput=append:{}\nStandardError=inherit",
    specifiers(&normalized(&log).display().to_string())
  );
  out.push_str("\n[Install]\nWantedBy=default.target\n");
  Ok(out)
}

/// A systemd double-quoted word, on one line: `"` and `\` escaped, and line breaks, tabs
/// and other control characters as C escapes (a raw newline ends the setting: "Unbalanced
/// quoting").
fn quote(text: &str) -> String {
  let mut out = String::from("\"");
  for c in text.chars() {
    match c {
      '"' => out.push_str("\\\""),
      '\\' => out.push_str("\\\\"),
      '\n' => out.push_str("\\n"),
      '\t' => out.push_str("\\t"),
      '\r' => out.push_str("\\r"),
      c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
      c => out.push(c),
    }
  }
  out.push('"');
  out
}

/// `%` doubled: systemd expands specifiers (`%h`, `%n`) in most settings, not only ExecStart.
fn specifiers(text: &str) -> String {
  text.replace('%', "%%")
}

/// An absolute path without `.` and `..` parts, which systemd refuses in WorkingDirectory.
fn normalized(path: &Path) -> PathBuf {
  if let Ok(real) = std::fs::canonicalize(path) {
    return real;
  }
  let mut out = PathBuf::new();
  for part in path.components() {
    match part {
      Component::ParentDir => {
        out.pop();
      }
      Component::CurDir => {}
      other => out.push(other),
    }
  }
  out
}
