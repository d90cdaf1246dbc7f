//! `dev export launchd`: a LaunchAgent per service (`~/Library/LaunchAgents`), as foreman
//! exports them: `/bin/sh -c <run>` in the service's directory with its environment, its
//! output appended to its log, restarted by its policy, and given its grace to stop (launchd
//! sends SIGTERM, then SIGKILL after `ExitTimeOut`, to the job's whole process group).

use std::{fmt::Write as _, path::PathBuf};

use super::{EnvOf, command};
use crate::{
  config::source::display_path,
  config::{Restart, Service},
  error::{Error, Result},
  plan::PortMap,
  project::Project,
  sys::Signal,
};

/// `dev.<project>.<service>`: the job's label, and its file name with `.plist`.
pub(super) fn label(project: &Project, service: &Service) -> String {
  let name = project
    .config
    .root
    .file_name()
    .map(|name| name.to_string_lossy().to_lowercase())
    .unwrap_or_default();
  let slug: String = name
    .chars()
    .map(|c| {
      if c.is_ascii_alphanumeric() || c == '-' {
        c
      } else {
        '-'
      }
    })
    .collect();
  format!("dev.{slug}.{}", service.name)
}

/// launchd reads no env file: an agent can only carry the values themselves, so they are
/// written only when asked (`--inline-env`).
pub(super) fn check_env_files(referenced: &[PathBuf]) -> Result<()> {
  let Some(first) = referenced.first() else {
    return Ok(());
  };
  let names: Vec<String> = referenced.iter().map(|path| display_path(path)).collect();
  Err(Error::Config {
    message: format!(
      "launchd has no env file: the agents would have to carry the values of {} themselves",
      names.join(", ")
    ),
    location: None,
    hint: Some(format!(
      "`dev export launchd --inline-env` writes them into the agents (keep those out of version control: {} holds secrets)",
      display_path(first)
    )),
  })
}

pub(super) fn launchd(
  project: &Project,
  service: &Service,
  ports: &PortMap,
  env_of: &EnvOf<'_>,
) -> Result<String> {
  let mut out = String::from(concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" ",
    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
    "<plist version=\"1.0\">\n<dict>\n",
  ));
  let string = |out: &mut String, key: &str, value: &str| {
    let _ = writeln!(out, "  <key>{key}</key>\n  <string>{}</string>", xml(value));
  };
  string(&mut out, "Label", &label(project, service));
  let _ = writeln!(
    out,
    "  <key>ProgramArguments</key>\n  <array>\n    <string>/bin/sh</string>\n    <string>-c</string>\n    <string>{}</string>\n  </array>",
    xml(&command(service, ports))
  );
  string(
    &mut out,
    "WorkingDirectory",
    &service.cwd.path.display().to_string(),
  );
  out.push_str("  <key>EnvironmentVariables</key>\n  <dict>\n");
  for (key, value) in env_of(service)?.inline {
    let _ = writeln!(
      out,
      "    <key>{}</key>\n    <string>{}</string>",
      xml(&key),
      xml(&value)
    );
  }
  out.push_str("  </dict>\n");
  let log = project.config.log_of(&service.name);
  string(&mut out, "StandardOutPath", &log.display().to_string());
  string(&mut out, "StandardErrorPath", &log.display().to_string());
  out.push_str("  <key>RunAtLoad</key>\n  <true/>\n");
  out.push_str(match service.restart.when {
    Restart::No => "  <key>KeepAlive</key>\n  <false/>\n",
    Restart::Always => "  <key>KeepAlive</key>\n  <true/>\n",
    Restart::OnFailure => {
      "  <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n"
    }
  });
  let _ = writeln!(
    out,
    "  <key>ThrottleInterval</key>\n  <integer>{}</integer>",
    service.restart.delay_ms.div_ceil(1000).max(1)
  );
  let _ = writeln!(
    out,
    "  <key>ExitTimeOut</key>\n  <integer>{}</integer>",
    service.grace.as_secs().max(1)
  );
  if service.stop_signal != Signal::Term {
    let _ = writeln!(
      out,
      "  <!-- launchd stops with SIGTERM; dev would send {} -->",
      service.stop_signal.name()
    );
  }
  if !service.depends_on.is_empty() {
    let names: Vec<&str> = service
      .depends_on
      .iter()
      .map(|d| d.service.as_str())
      .collect();
    let _ = writeln!(
      out,
      "  <!-- launchd has no start order: this job does not wait for {} -->",
      names.join(", ")
    );
  }
  out.push_str("</dict>\n</plist>\n");
  Ok(out)
}

/// Text for an XML element: `&`, `<`, `>` escaped; control characters XML 1.0 cannot carry
/// (all but tab and line breaks) left out.
fn xml(text: &str) -> String {
  let mut out = String::with_capacity(text.len());
  for c in text.chars() {
    match c {
      '&' => out.push_str("&amp;"),
      '<' => out.push_str("&lt;"),
      '>' => out.push_str("&gt;"),
      '\t' | '\n' | '\r' => out.push(c),
      c if c.is_control() => {}
      c => out.push(c),
    }
  }
  out
}
