//! Starting the proxy on demand (`dev up`) and finding the running one (`dev status`,
//! `dev env`, `dev list --all`).

use std::{
  io::{BufRead, BufReader},
  process::{Command, Stdio},
  thread,
  time::{Duration, Instant},
};

use super::{DEFAULT_PORT, Handshake, PORT_VARIABLE, SWITCH_VARIABLE, directory, state_in};
use crate::{state::INSTANCE_VARIABLE, sys, ui::output::Reporter};

/// False when the user turned the proxy off (`DEV_PROXY=off`, or `0`/`false`/`no`).
pub(crate) fn enabled() -> bool {
  !std::env::var(SWITCH_VARIABLE).is_ok_and(|value| {
    matches!(
      value.to_ascii_lowercase().as_str(),
      "off" | "0" | "false" | "no"
    )
  })
}

/// The port of this user's proxy, started when none runs; `None` (said once) when it is off
/// or could not start: names are a convenience, a service starts without them.
pub(crate) fn ensure(report: Reporter) -> Option<u16> {
  if !enabled() {
    return None;
  }
  let directory = directory()?;
  if let Some(state) = state_in(&directory) {
    return Some(state.port);
  }
  if let Ok(text) = std::env::var(PORT_VARIABLE)
    && text.parse::<u16>().is_err()
  {
    report.warning(&format!(
      "{PORT_VARIABLE}={text} is not a port: the proxy uses {DEFAULT_PORT} (or the next free one)"
    ));
  }
  match spawn() {
    Ok(Handshake::Listening { port }) => {
      let wanted = std::env::var(PORT_VARIABLE)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_PORT);
      if port != wanted {
        report.warning(&format!(
          "port {wanted} is taken: the proxy for http://<service>.<project>.localhost listens on {port} (set {PORT_VARIABLE} to choose)"
        ));
      }
      Some(port)
    }
    // Another `dev up` started one at the same moment: it is about to say where.
    Ok(Handshake::Busy) => {
      let deadline = Instant::now() + Duration::from_secs(2);
      while Instant::now() < deadline {
        if let Some(state) = state_in(&directory) {
          return Some(state.port);
        }
        thread::sleep(Duration::from_millis(10));
      }
      None
    }
    Ok(Handshake::Failed { message }) | Err(message) => {
      report.warning(&format!(
        "no URLs by name: the proxy did not start ({message})"
      ));
      None
    }
  }
}

/// Starts `dev __proxy` in a session of its own (a terminal's Ctrl+C is for `dev`, not for
/// the proxy that other projects use) and reads its first line.
fn spawn() -> Result<Handshake, String> {
  let exe = std::env::current_exe().map_err(|e| format!("cannot find the dev executable: {e}"))?;
  let mut command = Command::new(exe);
  command
    .arg("__proxy")
    // Not in a project: the proxy must not keep a folder busy or follow one.
    .current_dir("/")
    // It serves every project; it is no service's process.
    .env_remove(INSTANCE_VARIABLE)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
  sys::start_new_session(&mut command);
  let mut child = command
    .spawn()
    .map_err(|e| format!("cannot start dev __proxy: {e}"))?;
  let mut line = String::new();
  let stdout = child.stdout.take().expect("stdout is piped");
  let _ = BufReader::new(stdout).read_line(&mut line);
  let handshake = serde_json::from_str(line.trim()).map_err(|_| {
    format!(
      "it exited before reporting ({})",
      child.wait().map(|s| s.to_string()).unwrap_or_default()
    )
  })?;
  // A proxy that answered runs on; one that was busy exits at once.
  if matches!(handshake, Handshake::Busy) {
    let _ = child.wait();
  }
  Ok(handshake)
}

/// The port of the running proxy, if one runs (and the user did not turn it off).
pub(crate) fn running_port() -> Option<u16> {
  if !enabled() {
    return None;
  }
  state_in(&directory()?).map(|state| state.port)
}
