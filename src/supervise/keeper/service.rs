//! One run of the service: `sh -c <run>` (or its `shell:`) in a process group of its own, its output pumped
//! into the log (and to the foreground `dev`), its state written where `dev` looks, and its
//! liveness watched.

use std::{
  io::{self, Write},
  sync::{
    Arc, Mutex, PoisonError,
    mpsc::{self, RecvTimeoutError},
  },
  thread,
  time::{Duration, Instant},
};

use super::{Event, Keeper};
use crate::{
  error::{Error, Result},
  state::{INSTANCE_VARIABLE, SERVICE_VARIABLE, random_token, unix_now},
  supervise::{log_file::LogFile, probe::Check, pump::spawn_pump},
  sys::{self, ProcessId},
  ui::{
    format::one_line,
    timestamp::{now_millis, utc_timestamp},
  },
};

impl Keeper {
  /// Starts the service with its output going into our pump.
  pub(super) fn spawn_service(&mut self) -> Result<()> {
    self.follow_the_proxy();
    let place = Some((self.spec.root.clone(), self.spec.project));
    let mut log = LogFile::open(&self.spec.log, self.spec.log_settings, place).map_err(
      Error::io(format!("cannot open log `{}`", self.spec.log.display())),
    )?;
    let (reader, writer) = io::pipe().map_err(Error::io("cannot create a pipe"))?;
    let token = random_token();
    let mut names = self.spec.variable_names();
    names.extend([INSTANCE_VARIABLE, SERVICE_VARIABLE]);
    let mut command = self.spec.shell.command(&self.spec.command, &names);
    command
      .current_dir(&self.spec.cwd)
      .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
      .env(INSTANCE_VARIABLE, &token)
      .env(SERVICE_VARIABLE, &self.spec.service)
      .stdin(std::process::Stdio::null())
      .stdout(
        writer
          .try_clone()
          .map_err(Error::io("cannot create a pipe"))?,
      )
      .stderr(writer);
    sys::start_own_group(&mut command);
    sys::reset_signals_before_exec(&mut command);
    let child = self
      .tree
      .spawn(&mut command)
      .map_err(|source| Error::Spawn {
        command: self.spec.shell.program().into(),
        source,
      })?;
    // `command` holds copies of the pipe's write end: drop it so EOF arrives when the
    // service's processes are gone.
    drop(command);
    let pid = child.id();
    // The reaper thread reaps it (waitpid(-1) on Unix; on Windows it keeps the handle).
    sys::reap_later(child);
    self.process = ProcessId::of(pid).unwrap_or(ProcessId::gone(pid));
    let port = self
      .spec
      .port
      .map(|port| format!(" · port {port}"))
      .unwrap_or_default();
    // One line, whatever the command: a `run: |` block would spill into the log (and into
    // `dev logs -n` and `--grep`).
    let _ = log.write_marker(&format!(
      "──── {} · {} started · pid {pid}{port} · {}",
      utc_timestamp(unix_now()),
      self.spec.service,
      one_line(&self.spec.command)
    ));
    let view = self.spec.supervisor.map(|_| self.spec.view);
    let log = Arc::new(Mutex::new(log));
    self.log = Some(log.clone());
    self.pump_done = Some(spawn_pump(reader, log, view));
    self.record_run(pid, token)?;
    self.watch_liveness();
    Ok(())
  }

  /// The proxy came back on another port since the spec was resolved (it was killed, and
  /// its port was taken meanwhile): the names the run is given (`${api.url}` →
  /// `http://api.shop.localhost:<port>`) carry the port it listens on now. A run that is
  /// already running keeps what it was started with.
  fn follow_the_proxy(&mut self) {
    let (Some(was), Some(now)) = (self.spec.proxy_port, crate::proxy::running_port()) else {
      return;
    };
    if was == now {
      return;
    }
    let (from, to) = (format!(".localhost:{was}"), format!(".localhost:{now}"));
    for (_, value) in &mut self.spec.env {
      *value = value.replace(&from, &to);
    }
    self.spec.command = self.spec.command.replace(&from, &to);
    self.spec.proxy_port = Some(now);
    self.log_line(&format!(
      "the proxy listens on port {now} now (was {was}): the names it is given follow"
    ));
  }

  /// The new run in the state file, where `dev status` and the next `dev` look.
  fn record_run(&mut self, pid: u32, token: String) -> Result<()> {
    self.state.process = Some(self.process);
    self.state.pgid = Some(pid);
    self.state.token = token;
    self.state.port = self.spec.port;
    self.state.ports = self.spec.ports.clone();
    self.state.command = self.spec.command.clone();
    self.state.log = self.spec.log.clone();
    self.state.started_at = unix_now();
    self.state.started_at_ms = now_millis();
    self.state.exit = None;
    self.state.main_ended = None;
    self.state.transition = None;
    self.state.pending_restart = None;
    self.state.not_restarted = None;
    self.ended = None;
    self.state_dir.write(&self.state)
  }

  /// Probes the new run's liveness in a thread of its own; `retries` failures in a row
  /// report it unresponsive. Before the first good answer, a probe that timed out (the
  /// service took the connection, or the command ran, and nothing came back in time) counts
  /// at once — a server that hangs from its start is hung, not starting; other failures
  /// (nothing listens yet) count only once the start deadline is over.
  fn watch_liveness(&mut self) {
    self.run += 1;
    self.liveness_watch = None;
    let Some(health) = self.spec.liveness.clone() else {
      return;
    };
    let check = Check::resolved(health, &self.spec, Some(self.me)).reaped_by(self.reaped.clone());
    let (stop, stopped) = mpsc::channel::<()>();
    self.liveness_watch = Some(stop);
    let (events, run) = (self.events.clone(), self.run);
    thread::spawn(move || {
      let started = Instant::now();
      let (mut passed, mut failures) = (false, 0);
      while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(check.health.interval) {
        let outcome = check.run();
        if outcome.ok {
          (passed, failures) = (true, 0);
          continue;
        }
        if !passed && !outcome.timed_out() && started.elapsed() < check.health.start_timeout {
          continue;
        }
        failures += 1;
        if failures >= check.health.retries {
          let mut detail = format!("{} → {}", check.target(), outcome.detail);
          // What a command probe printed last is its reason.
          if let Some(line) = outcome.output.last() {
            detail.push_str(&format!(": {line}"));
          }
          let _ = events.send(Event::Unresponsive {
            run,
            failures,
            detail,
          });
          return;
        }
      }
    });
  }

  /// Waits (at most 2 s) for the pump to write the last bytes into the log.
  pub(super) fn finish_output(&mut self) {
    if let Some(done) = self.pump_done.take() {
      let _ = done.recv_timeout(Duration::from_secs(2));
    }
  }

  /// A line of the keeper's own in the service's log, through the run's log file: between
  /// two of the service's chunks, on a line of its own even when the service is in the middle
  /// of one. (The keeper says nothing before the first run, which opens the file.)
  pub(super) fn log_line(&self, message: &str) {
    if let Some(log) = &self.log {
      let line = format!("──── {} · {message}", utc_timestamp(unix_now()));
      let _ = log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .write_note(&line);
    }
  }

  /// A log that cannot be written (a full disk) or can again: said once to the foreground
  /// `dev` and kept in the state for `dev status`; the log itself notes the gap.
  pub(super) fn say_log_trouble(&mut self) {
    let Some(log) = &self.log else {
      return;
    };
    let trouble = {
      let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
      log.retry();
      log.trouble()
    };
    if trouble == self.state.log_trouble {
      return;
    }
    match &trouble {
      Some(why) => self.announce(&format!("✗ {}: {why}", self.spec.service)),
      None => self.announce(&format!(
        "{}: its log is written again (the gap is noted in it)",
        self.spec.service
      )),
    }
    self.state.log_trouble = trouble;
    let _ = self.state_dir.write(&self.state);
  }

  /// A line for the foreground `dev` (shown with the service's prefix), when there is one.
  pub(super) fn announce(&self, message: &str) {
    if self.spec.supervisor.is_some() {
      let _ = writeln!(io::stdout(), "──── {message}");
    }
  }

  /// Points the state directory at where the project is now; false when it is nowhere to
  /// be found (deleted, or moved by an older `dev`'s keeper that did not run in its root).
  /// The keeper runs in the project's root, and a `mv` takes a process's working directory
  /// along: so a moved project keeps its keeper's state, and a copy put back at the old
  /// path (`cp -r`) is never written to.
  pub(super) fn follow_project(&mut self) -> bool {
    let Some(root) = self.project_dir() else {
      return false;
    };
    let path = crate::state::state_dir_of(&root);
    if path != self.state_dir.path {
      self.state_dir = crate::state::StateDir::new(path, None);
    }
    // What it writes from now on names where the project is, not where it was: a copy
    // put back at the old path is not told that its own path holds this service.
    self.state.root = root;
    true
  }

  fn project_dir(&self) -> Option<std::path::PathBuf> {
    let project = self.spec.project;
    if let Ok(cwd) = std::env::current_dir()
      && project.is_known()
      && crate::sys::DirectoryId::of(&cwd) == project
    {
      return Some(cwd);
    }
    project
      .is_at(&self.spec.root)
      .then(|| self.spec.root.clone())
  }
}
