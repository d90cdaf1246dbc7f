//! The keeper: one small `dev __keep` process per service, owning its process tree.
//!
//! Why a process of its own: it outlives a detached `dev`, and it is a child subreaper, so a
//! grandchild that calls setsid or double-forks is still re-parented to it, never to init.
//! Attached to a foreground `dev`, it asks the kernel for SIGTERM when `dev` dies, so even
//! `kill -9` of `dev` leaves no orphans. It writes every byte of output to the log file and
//! forwards a copy to `dev` without ever blocking the service on a slow terminal.

use std::{
  fs::{self, File, OpenOptions},
  io::{self, Write},
  os::unix::process::CommandExt,
  path::PathBuf,
  process::{Command, Stdio},
  sync::mpsc::{self, Receiver, RecvTimeoutError, Sender},
  thread,
  time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use crate::{
  config::Restart,
  state::{
    ExitRecord, INSTANCE_VARIABLE, SERVICE_VARIABLE, ServiceState, StateDir, random_token, unix_now,
  },
  supervise::{
    log_file::LogFile, probe::Check, pump::spawn_pump, reaped::ReapedStatuses, spec::KeeperSpec,
  },
  sys::{self, DirectoryId, ExitStatus, Pid, ProcessId, Signal},
  ui::{
    format::{count, status_text},
    timestamp::utc_timestamp,
  },
};

/// The first line a keeper prints, so the starter knows how the start went.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Handshake {
  Started { pid: Pid },
  Busy,
  Failed { message: String },
}

/// How long past its grace a keeper may take before `dev` ends it itself.
pub(crate) const KEEPER_SLACK: Duration = Duration::from_secs(5);

/// Keeper exit codes, read by the foreground `dev`.
pub(crate) const EXIT_STOPPED: i32 = 0;
pub(crate) const EXIT_SERVICE_ENDED: i32 = 1;
pub(crate) const EXIT_NOT_STARTED: i32 = 3;

/// Why a keeper ends its service's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
  Stop,
  Restart,
  /// The service ended by itself or was found hung: what is left of its tree goes.
  Cleanup,
}

enum Event {
  /// SIGTERM/SIGINT/SIGHUP: stop; a second one skips the grace period.
  Stop,
  /// SIGUSR1 (graceful) or SIGUSR2 (hard): restart in place.
  Restart {
    hard: bool,
  },
  Exited(Pid, ExitStatus),
  /// Once a second: time to look that the state is where `dev` will look for it.
  Tick,
  /// The liveness probe of run `run` failed `retries` times in a row; the last answer.
  Unresponsive {
    run: u64,
    failures: u32,
    detail: String,
  },
}

/// Entry point of `dev __keep <state-dir> <service>`. Returns the process exit code.
pub(crate) fn keep(state_dir: PathBuf, service: &str) -> i32 {
  let state_dir = StateDir::new(state_dir, None);
  let mut stdout = io::stdout().lock();
  let handshake = |stdout: &mut io::StdoutLock, message: &Handshake| {
    let _ = writeln!(
      stdout,
      "{}",
      serde_json::to_string(message).unwrap_or_default()
    );
    let _ = stdout.flush();
  };
  let spec = match KeeperSpec::read(&state_dir, service) {
    Ok(spec) => spec,
    Err(message) => {
      handshake(&mut stdout, &Handshake::Failed { message });
      return EXIT_NOT_STARTED;
    }
  };
  // The lock is held until this process exits, however it exits.
  let lock = match state_dir.try_lock(service) {
    Ok(Some(lock)) => lock,
    Ok(None) => {
      handshake(&mut stdout, &Handshake::Busy);
      return EXIT_NOT_STARTED;
    }
    Err(error) => {
      handshake(
        &mut stdout,
        &Handshake::Failed {
          message: error.to_string(),
        },
      );
      return EXIT_NOT_STARTED;
    }
  };
  match Keeper::start(state_dir, spec, lock) {
    Ok((mut keeper, events)) => {
      handshake(
        &mut stdout,
        &Handshake::Started {
          pid: keeper.process.pid,
        },
      );
      drop(stdout);
      if keeper.spec.supervisor.is_none() {
        sys::silence_stdout();
      }
      keeper.run(&events)
    }
    Err(message) => {
      handshake(&mut stdout, &Handshake::Failed { message });
      EXIT_NOT_STARTED
    }
  }
}

struct Keeper {
  state_dir: StateDir,
  /// `.dev/<svc>.lock`, held for the keeper's whole life: "locked" means "a keeper runs
  /// this service".
  lock: File,
  spec: KeeperSpec,
  me: ProcessId,
  process: ProcessId,
  state: ServiceState,
  /// Disconnects the moment the pump has written its last byte.
  pump_done: Option<Receiver<()>>,
  /// Restarts by the restart policy in a row (reset by a run longer than a minute).
  crash_restarts: u32,
  /// For the liveness watcher of each run.
  events: Sender<Event>,
  /// What the reaper took from under the liveness probe.
  reaped: ReapedStatuses,
  /// Counts the service's runs, so a late report about an earlier run is ignored.
  run: u64,
  /// Dropping it stops the current run's liveness watcher at once.
  liveness_watch: Option<Sender<()>>,
  /// How the service's main process ended, once reaped.
  ended: Option<ExitStatus>,
  /// A stop was asked for while something else (a restart) was under way: it wins.
  stop_requested: bool,
}

impl Keeper {
  fn start(
    state_dir: StateDir,
    spec: KeeperSpec,
    lock: File,
  ) -> Result<(Self, Receiver<Event>), String> {
    sys::adopt_orphans().map_err(|error| format!("cannot become a subreaper: {error}"))?;
    if let Some(supervisor) = spec.supervisor {
      // Die with the foreground `dev` (and take the service down with us, gracefully).
      match sys::end_with_parent(Signal::Term, supervisor.pid) {
        Ok(true) => {}
        Ok(false) => return Err("dev exited before the service started".into()),
        Err(error) => return Err(format!("cannot watch dev: {error}")),
      }
    }
    sys::ignore_sigpipe();
    let signals = sys::listen_for_signals(&[
      Signal::Term,
      Signal::Int,
      Signal::Hup,
      Signal::Usr1,
      Signal::Usr2,
    ])
    .map_err(|error| format!("cannot install signal handlers: {error}"))?;
    let (sender, events) = mpsc::channel();
    forward_signals(signals, sender.clone());
    let reaped = ReapedStatuses::default();
    spawn_reaper(sender.clone(), reaped.clone());
    spawn_ticker(sender.clone());

    let me = ProcessId::of(std::process::id()).ok_or("cannot read own process info")?;
    let placeholder = ProcessId::gone(0);
    let state = ServiceState {
      service: spec.service.clone(),
      root: spec.root.clone(),
      project: spec.project,
      keeper: me,
      process: None,
      pgid: None,
      token: String::new(),
      port: spec.port,
      ports: spec.ports.clone(),
      command: spec.command.clone(),
      log: spec.log.clone(),
      started_at: unix_now(),
      started_at_ms: crate::ui::timestamp::now_millis(),
      supervisor: spec.supervisor,
      restarts: 0,
      exit: None,
      last_failure: None,
    };
    let mut keeper = Self {
      state_dir,
      lock,
      spec,
      me,
      process: placeholder,
      state,
      pump_done: None,
      crash_restarts: 0,
      events: sender,
      reaped,
      run: 0,
      liveness_watch: None,
      ended: None,
      stop_requested: false,
    };
    keeper.spawn_service()?;
    Ok((keeper, events))
  }

  /// Starts `sh -c <run>` in a new process group with output into our pump.
  fn spawn_service(&mut self) -> Result<(), String> {
    let mut log = LogFile::open(&self.spec.log, self.spec.log_settings, self.place())
      .map_err(|error| format!("cannot open log `{}`: {error}", self.spec.log.display()))?;
    let (reader, writer) = io::pipe().map_err(|error| format!("cannot create a pipe: {error}"))?;
    let token = random_token();
    let mut command = Command::new("/bin/sh");
    command
      .arg("-c")
      .arg(&self.spec.command)
      .current_dir(&self.spec.cwd)
      .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
      .env(INSTANCE_VARIABLE, &token)
      .env(SERVICE_VARIABLE, &self.spec.service)
      .stdin(Stdio::null())
      .stdout(writer.try_clone().map_err(|error| error.to_string())?)
      .stderr(writer)
      .process_group(0);
    sys::reset_signals_before_exec(&mut command);
    let child = command
      .spawn()
      .map_err(|error| format!("cannot run /bin/sh: {error}"))?;
    // `command` holds copies of the pipe's write end: drop it so EOF arrives when the
    // service's processes are gone.
    drop(command);
    let pid = child.id();
    // We reap through waitpid(-1) in the reaper thread; the `Child` handle is not needed.
    drop(child);
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
      crate::ui::format::one_line(&self.spec.command)
    ));
    let view = self.spec.supervisor.map(|_| self.spec.view);
    self.pump_done = Some(spawn_pump(reader, log, view));

    self.state.process = Some(self.process);
    self.state.pgid = Some(pid);
    self.state.token = token;
    self.state.port = self.spec.port;
    self.state.ports = self.spec.ports.clone();
    self.state.command = self.spec.command.clone();
    self.state.log = self.spec.log.clone();
    self.state.started_at = unix_now();
    self.state.started_at_ms = crate::ui::timestamp::now_millis();
    self.state.exit = None;
    self.ended = None;
    self
      .state_dir
      .write(&self.state)
      .map_err(|error| error.to_string())?;
    self.watch_liveness();
    Ok(())
  }

  /// Probes the new run's liveness in a thread of its own; `retries` failures in a row
  /// report it unresponsive. Failures count once the probe has passed, or once the start
  /// deadline is over (a service that hangs while starting is hung too).
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
        if !passed && started.elapsed() < check.health.start_timeout {
          continue;
        }
        failures += 1;
        if failures >= check.health.retries {
          let detail = format!("{} → {}", check.target(), outcome.detail);
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

  fn run(&mut self, events: &Receiver<Event>) -> i32 {
    loop {
      let Ok(event) = events.recv() else {
        return EXIT_STOPPED;
      };
      match event {
        Event::Stop => {
          self.stop_tree(events, false, Ending::Stop);
          return self.stopped();
        }
        Event::Restart { hard } => {
          self.stop_tree(events, hard, Ending::Restart);
          if self.stop_requested {
            return self.stopped();
          }
          self.finish_output();
          match KeeperSpec::read(&self.state_dir, &self.spec.service) {
            Ok(spec) => {
              self.spec = KeeperSpec {
                supervisor: self.spec.supervisor,
                view: self.spec.view,
                ..spec
              }
            }
            Err(message) => self.log_line(&format!("keeping the previous settings: {message}")),
          }
          self.state.restarts += 1;
          if let Err(message) = self.spawn_service() {
            self.log_line(&format!("restart failed: {message}"));
            self.state_dir.remove(&self.spec.service);
            return EXIT_SERVICE_ENDED;
          }
        }
        Event::Exited(pid, status) if pid == self.process.pid => {
          // The service ended by itself: nothing of its tree may outlive it.
          self.stop_tree(events, false, Ending::Cleanup);
          if self.stop_requested {
            return self.stopped();
          }
          self.finish_output();
          self.state.exit = Some(ExitRecord::new(status));
          let wanted = match self.spec.restart.when {
            Restart::No => false,
            Restart::OnFailure => status != ExitStatus::Code(0),
            Restart::Always => true,
          };
          if let Some(code) = self.recover(events, wanted, status_text(status)) {
            return code;
          }
        }
        Event::Unresponsive {
          run,
          failures,
          detail,
        } if run == self.run => {
          let what =
            format!("was not responding ({failures} liveness probes failed in a row: {detail})");
          let notice = format!("{} {what}; stopping it", self.spec.service);
          self.log_line(&notice);
          self.announce(&notice);
          self.stop_tree(events, false, Ending::Cleanup);
          if self.stop_requested {
            return self.stopped();
          }
          self.finish_output();
          let status = self
            .ended
            .unwrap_or(ExitStatus::Signal(Signal::Kill.number()));
          self.state.exit = Some(ExitRecord::new(status));
          // A hung service is restarted whatever `restart:` says: that is what a
          // liveness probe is for. `max_restarts` still bounds it.
          if let Some(code) = self.recover(events, true, what) {
            return code;
          }
        }
        Event::Tick => self.keep_state_in_place(),
        Event::Unresponsive { .. } => {}
        Event::Exited(..) => {}
      }
    }
  }

  /// `.dev/` deleted while the service runs (`rm -rf .dev`, `git clean -fdx`): without its
  /// state the service would look stopped and a second one could start. The lock file no
  /// longer being the one we hold tells; the directory, the lock, the spec and the state are
  /// made again — only while the project is where it was started.
  fn keep_state_in_place(&mut self) {
    let lock_path = self
      .state_dir
      .path
      .join(format!("{}.lock", self.spec.service));
    if sys::path_identity(&lock_path) == sys::file_identity(&self.lock) || !self.project_is_here() {
      return;
    }
    if self.state_dir.ensure().is_err() {
      return;
    }
    match self.state_dir.try_lock(&self.spec.service) {
      Ok(Some(lock)) => self.lock = lock,
      // Another keeper took the new lock first: it owns the service's state from now on.
      _ => return,
    }
    let spec = serde_json::to_vec_pretty(&self.spec).unwrap_or_default();
    let _ = self.state_dir.write_spec(&self.spec.service, &spec);
    let _ = self.state_dir.write(&self.state);
    self.log_line("its state in .dev/ was deleted; re-created it");
  }

  /// The service was stopped on request: said in its log, its state cleared.
  fn stopped(&mut self) -> i32 {
    self.finish_output();
    self.log_line(&format!("{} stopped", self.spec.service));
    self.state_dir.remove(&self.spec.service);
    EXIT_STOPPED
  }

  /// After the service ended (`what`: "exited with code 1"): restart it after a back-off
  /// when `wanted` and the budget allows. `Some(exit code)` when the keeper is done.
  fn recover(&mut self, events: &Receiver<Event>, wanted: bool, what: String) -> Option<i32> {
    self.state.last_failure = Some(what.clone());
    let Some(delay) = self.restart_after(wanted) else {
      let mut message = format!("{} {what}", self.spec.service);
      if wanted && self.crash_restarts > 0 {
        message.push_str(&format!(
          "; gave up after {}",
          count(self.crash_restarts as usize, "restart", "restarts")
        ));
      }
      self.log_line(&message);
      let _ = self.state_dir.write(&self.state);
      return Some(EXIT_SERVICE_ENDED);
    };
    let notice = format!(
      "{} {what}; restarting in {} ({} of {})",
      self.spec.service,
      crate::ui::format::elapsed(delay),
      self.crash_restarts,
      self.spec.restart.max
    );
    self.log_line(&notice);
    self.announce(&notice);
    let _ = self.state_dir.write(&self.state);
    // Stay responsive while backing off: a stop ends the wait, and the keeper; a restart
    // request ends only the wait.
    let until = Instant::now() + delay;
    loop {
      match events.recv_timeout(until.saturating_duration_since(Instant::now())) {
        Ok(Event::Stop) => return Some(self.stopped()),
        Ok(Event::Tick) => self.keep_state_in_place(),
        Ok(Event::Restart { .. }) | Err(RecvTimeoutError::Timeout) => break,
        Ok(_) => {}
        Err(RecvTimeoutError::Disconnected) => return Some(EXIT_STOPPED),
      }
    }
    self.state.restarts += 1;
    if let Err(message) = self.spawn_service() {
      self.log_line(&format!("restart failed: {message}"));
      let _ = self.state_dir.write(&self.state);
      return Some(EXIT_SERVICE_ENDED);
    }
    None
  }

  /// The back-off before the next restart, when one is `wanted` and within `max_restarts`.
  fn restart_after(&mut self, wanted: bool) -> Option<Duration> {
    let policy = self.spec.restart;
    if self.state.uptime() > Duration::from_secs(60) {
      self.crash_restarts = 0;
    }
    if !wanted || self.crash_restarts >= policy.max {
      return None;
    }
    let delay = Duration::from_millis(policy.delay_ms)
      .saturating_mul(1 << self.crash_restarts.min(16))
      .min(Duration::from_secs(30));
    self.crash_restarts += 1;
    Some(delay)
  }

  /// A line for the foreground `dev` (shown with the service's prefix), when there is one.
  fn announce(&self, message: &str) {
    if self.spec.supervisor.is_some() {
      let _ = writeln!(io::stdout(), "──── {message}");
    }
  }

  /// Stop signal to the group and every descendant; wait the grace; SIGKILL what is left.
  /// `why` decides what a stop request arriving meanwhile means: during a restart or after
  /// the service ended by itself, it turns what follows into a stop (still graceful); during
  /// a stop, a second request hurries it.
  fn stop_tree(&mut self, events: &Receiver<Event>, hard: bool, why: Ending) {
    self.liveness_watch = None;
    let signal = if hard {
      Signal::Kill
    } else {
      Signal::parse(&self.spec.stop_signal).unwrap_or(Signal::Term)
    };
    let grace = Duration::from_millis(self.spec.grace_ms);
    if !self.end_tree(events, signal, grace, why) {
      self.end_tree(events, Signal::Kill, Duration::from_secs(5), why);
    }
  }

  /// `signal` to every process of the tree exactly once — the group at once, then each
  /// descendant outside it (a `setsid` child, one re-parented to us, one the quick walk
  /// missed) as it is found — then waits until none is left. A second signal would cut a
  /// graceful shutdown short (Python's KeyboardInterrupt cleanup, tools that take a second
  /// Ctrl+C as "force quit"). False when the time ran out or a request asked to hurry.
  fn end_tree(
    &mut self,
    events: &Receiver<Event>,
    signal: Signal,
    timeout: Duration,
    why: Ending,
  ) -> bool {
    // The group's number is the leader's pid. Once every member is gone (the leader is reaped
    // first when a service ends by itself) the kernel may give that number to an unrelated
    // process that starts a group of its own; pid_max is 32768 on many machines, so a busy
    // one wraps in seconds. Signal the group only while one of our own descendants is in it:
    // a live member keeps the number from being reused.
    let group = self.process.pid;
    let mut signalled: Vec<Pid> = sys::descendants(self.me.pid)
      .into_iter()
      .filter(|pid| {
        sys::process_info(*pid).is_some_and(|info| info.pgid == group && !info.is_zombie())
      })
      .collect();
    if !signalled.is_empty() {
      let _ = sys::signal_group(group, signal);
    }
    let mut signal_new = |pids: Vec<Pid>| {
      for pid in pids {
        if !signalled.contains(&pid) {
          let _ = sys::signal_process(pid, signal);
          signalled.push(pid);
        }
      }
    };
    let deadline = Instant::now() + timeout;
    loop {
      // The quick walk can skip a process while a sibling is being reaped, so emptiness is
      // believed only from the kernel's own answer: as a subreaper we inherit every orphan,
      // so no child at all means no descendant at all.
      let quick: Vec<Pid> = sys::descendants(self.me.pid)
        .into_iter()
        .filter(|pid| ProcessId::of(*pid).is_some())
        .collect();
      if quick.is_empty() {
        if !sys::has_children() {
          return true;
        }
        // Children remain: zombies about to be reaped, or one the walk missed.
        signal_new(sys::live_descendants_exact(self.me.pid));
      } else {
        signal_new(quick);
      }
      let remaining = deadline.saturating_duration_since(Instant::now());
      if remaining.is_zero() {
        return false;
      }
      // Poll at least every 20 ms: a grandchild's exit is reaped by its own parent, not us.
      match events.recv_timeout(remaining.min(Duration::from_millis(20))) {
        Ok(Event::Stop) if signal != Signal::Kill => {
          if why == Ending::Stop || self.stop_requested {
            return false;
          }
          // A stop wins over the restart in progress, and stays graceful.
          self.stop_requested = true;
        }
        Ok(Event::Restart { hard: true })
          if signal != Signal::Kill && why == Ending::Restart && !self.stop_requested =>
        {
          return false;
        }
        Ok(Event::Exited(pid, status)) if pid == self.process.pid => self.ended = Some(status),
        Ok(_) | Err(RecvTimeoutError::Timeout) => {}
        Err(RecvTimeoutError::Disconnected) => thread::sleep(Duration::from_millis(5)),
      }
    }
  }

  /// Waits (at most 2 s) for the pump to write the last bytes into the log.
  fn finish_output(&mut self) {
    if let Some(done) = self.pump_done.take() {
      let _ = done.recv_timeout(Duration::from_secs(2));
    }
  }

  /// A line of the keeper's own in the service's log. Its directory is re-created only
  /// while the project is where it was started: a moved project keeps no ghost behind.
  fn log_line(&self, message: &str) {
    if self.project_is_here()
      && let Some(parent) = self.spec.log.parent()
    {
      let _ = fs::create_dir_all(parent);
    }
    if let Ok(mut log) = OpenOptions::new().append(true).open(&self.spec.log) {
      let _ = writeln!(log, "──── {} · {message}", utc_timestamp(unix_now()));
    }
  }

  /// The project's root and identity when the service was started.
  fn place(&self) -> Option<(PathBuf, DirectoryId)> {
    Some((self.spec.root.clone(), self.spec.project))
  }

  /// True while the project is at the path it was started from (not moved, not deleted).
  fn project_is_here(&self) -> bool {
    self.spec.project.is_at(&self.spec.root)
  }
}

fn forward_signals(signals: Receiver<Signal>, sender: Sender<Event>) {
  thread::spawn(move || {
    for signal in signals {
      let event = match signal {
        Signal::Usr1 => Event::Restart { hard: false },
        Signal::Usr2 => Event::Restart { hard: true },
        _ => Event::Stop,
      };
      if sender.send(event).is_err() {
        break;
      }
    }
  });
}

/// Ticks once a second, for the keeper's look at its state.
fn spawn_ticker(sender: Sender<Event>) {
  thread::spawn(move || {
    while sender.send(Event::Tick).is_ok() {
      thread::sleep(Duration::from_secs(1));
    }
  });
}

/// Reaps every child (the service, and orphans re-parented to us as subreaper).
fn spawn_reaper(sender: Sender<Event>, reaped: ReapedStatuses) {
  thread::spawn(move || {
    loop {
      match sys::reap_any_child() {
        Some((pid, status)) => {
          reaped.record(pid, status);
          if sender.send(Event::Exited(pid, status)).is_err() {
            return;
          }
        }
        None => thread::sleep(Duration::from_millis(20)),
      }
    }
  });
}
