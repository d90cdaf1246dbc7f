//! The processes `dev up` talks to: its keepers (started in sessions of their own, their
//! output relayed with prefixes) and the browser it opens on a ready URL.

use std::{
  env,
  io::{BufRead, BufReader},
  path::{Path, PathBuf},
  process::{Child, ChildStdout, Command, Stdio},
  sync::{
    Arc, Mutex, OnceLock, PoisonError,
    mpsc::{self, Receiver, Sender},
  },
  thread,
};

use super::UpEvent;
use crate::{
  error::{Error, Result},
  supervise::keeper::{EXIT_SERVICE_ENDED, Handshake},
  sys,
  ui::{
    browser,
    output::{Prefixer, Reporter, is_closed},
  },
};

/// Starts `dev __keep` in a new session; its handshake is read by `handshake`, so that
/// many keepers start side by side instead of each waiting for the one before.
pub(super) fn spawn_keeper(
  state: &Path,
  root: &Path,
  service: &str,
  detach: bool,
) -> Result<(Child, BufReader<ChildStdout>)> {
  let exe = env::current_exe().map_err(Error::io("cannot find the dev executable"))?;
  let mut command = Command::new(exe);
  command
    .arg("__keep")
    .arg(state)
    .arg(service)
    // In the project's root: a `mv` of the project takes the keeper's working directory
    // along, which is how the keeper finds its state after one.
    .current_dir(root)
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
  let stdout = BufReader::with_capacity(256 * 1024, child.stdout.take().expect("stdout is piped"));
  Ok((child, stdout))
}

/// What `spawn_keeper` gives.
pub(super) type Keeper = Result<(Child, BufReader<ChildStdout>)>;

/// Threads that start keepers, as many as may wait for a fork at once.
const SPAWNERS: usize = 4;

/// `spawn_keeper` in one of a few threads that live as long as `dev`: the fork waits until
/// the child has exec'd (on a busy machine, a wait for the scheduler), and `dev` meanwhile
/// prepares the next service. Not a thread per keeper: a keeper attached to a foreground
/// `dev` asks the kernel to signal it when its parent dies, and on Linux that parent is the
/// thread that forked it — a thread that ended would stop the service at once.
pub(super) fn spawn_keeper_soon(
  state: PathBuf,
  root: PathBuf,
  service: String,
  detach: bool,
) -> Receiver<Keeper> {
  type Job = Box<dyn FnOnce() + Send>;
  static JOBS: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
  let jobs = JOBS.get_or_init(|| {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..SPAWNERS {
      let receiver = receiver.clone();
      thread::spawn(move || {
        loop {
          let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
          match job {
            Ok(job) => job(),
            Err(_) => return,
          }
        }
      });
    }
    Mutex::new(sender)
  });
  let (done, keeper) = mpsc::channel();
  let job: Job = Box::new(move || {
    let _ = done.send(spawn_keeper(&state, &root, &service, detach));
  });
  let _ = jobs
    .lock()
    .unwrap_or_else(PoisonError::into_inner)
    .send(job);
  keeper
}

/// The keeper's first line: how its start went.
pub(super) fn handshake(child: &mut Child, stdout: &mut BufReader<ChildStdout>) -> Handshake {
  let mut line = String::new();
  let _ = stdout.read_line(&mut line);
  serde_json::from_str(line.trim()).unwrap_or_else(|_| Handshake::Failed {
    message: format!(
      "its keeper exited before reporting ({})",
      child.wait().map(|s| s.to_string()).unwrap_or_default()
    ),
  })
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
