//! The processes `dev up` talks to: its keepers (started in sessions of their own, their
//! output relayed with prefixes) and the browser it opens on a ready URL.

use std::{
  env,
  io::{BufRead, BufReader},
  process::{Child, ChildStdout, Command, Stdio},
  sync::mpsc::Sender,
  thread,
};

use super::UpEvent;
use crate::{
  error::{Error, Result},
  project::Project,
  supervise::keeper::{EXIT_SERVICE_ENDED, Handshake},
  sys,
  ui::{
    browser,
    output::{Prefixer, Reporter, is_closed},
  },
};

/// Starts `dev __keep` in a new session and reads its handshake line.
pub(super) fn spawn_keeper(
  project: &Project,
  service: &str,
  detach: bool,
) -> Result<(Child, BufReader<ChildStdout>, Handshake)> {
  let exe = env::current_exe().map_err(Error::io("cannot find the dev executable"))?;
  let mut command = Command::new(exe);
  command
    .arg("__keep")
    .arg(&project.state.path)
    .arg(service)
    // In the project's root: a `mv` of the project takes the keeper's working directory
    // along, which is how the keeper finds its state after one.
    .current_dir(&project.config.root)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(if detach {
      Stdio::null()
    } else {
      Stdio::inherit()
    });
  sys::start_new_session(&mut command);
  let mut child = command.spawn().map_err(|source| Error::Spawn {
    command: "dev __keep".into(),
    source,
  })?;
  let mut stdout =
    BufReader::with_capacity(256 * 1024, child.stdout.take().expect("stdout is piped"));
  let mut line = String::new();
  let _ = stdout.read_line(&mut line);
  let handshake = serde_json::from_str(line.trim()).unwrap_or_else(|_| Handshake::Failed {
    message: format!(
      "its keeper exited before reporting ({})",
      child.wait().map(|s| s.to_string()).unwrap_or_default()
    ),
  });
  Ok((child, stdout, handshake))
}

/// Prefixes every line the keeper forwards (none when detached); reports the keeper's exit
/// code at EOF.
pub(super) fn relay_output(
  launch: u64,
  mut child: Child,
  mut stdout: BufReader<ChildStdout>,
  prefixer: Option<Prefixer>,
  events: Sender<UpEvent>,
) {
  thread::spawn(move || {
    crate::test_hook::delay("DEV_TEST_RELAY_DELAY_MS");
    // Whole chunks of complete lines at a time: one write per chunk, not per line, so the
    // relay keeps up with a service printing hundreds of thousands of lines a second.
    let mut pending: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut view_closed = false;
    loop {
      let chunk = match stdout.fill_buf() {
        Ok([]) | Err(_) => break,
        Ok(chunk) => chunk,
      };
      pending.extend_from_slice(chunk);
      let read = chunk.len();
      stdout.consume(read);
      if let Some(last) = pending.iter().rposition(|byte| *byte == b'\n') {
        if let Some(prefixer) = &prefixer
          && let Err(error) = prefixer.lines(&pending[..last])
          && is_closed(&error)
          && !view_closed
        {
          // `dev | head`, or a terminal that is gone: as after a hang-up, stop everything.
          view_closed = true;
          let _ = events.send(UpEvent::Signal);
        }
        pending.drain(..=last);
      }
    }
    if let (false, Some(prefixer)) = (pending.is_empty(), &prefixer) {
      let _ = prefixer.line(&pending);
    }
    let code = child
      .wait()
      .ok()
      .and_then(|status| status.code())
      .unwrap_or(EXIT_SERVICE_ENDED);
    let _ = events.send(UpEvent::Ended(launch, code));
  });
}

/// Opens the URL in the browser and says so (nothing in CI).
pub(super) fn open_browser(url: &str, report: Reporter) {
  match browser::open(url) {
    Ok(Some(done)) => report.step(&done),
    Ok(None) => {}
    Err(problem) => report.warning(&problem),
  }
}
