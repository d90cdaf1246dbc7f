//! The keeper: one small `dev __keep` process per service, owning its process tree.
//!
//! Why a process of its own: it outlives a detached `dev`, and it holds the service's whole
//! tree (`sys::Tree`: a subreaper on Linux), so a grandchild that calls setsid or
//! double-forks is still found and ended. Attached to a foreground `dev`, it asks to be
//! stopped when `dev` dies, so even `kill -9` of `dev` leaves no orphans. It writes every
//! byte of output to the log file and forwards a copy to `dev` without ever blocking the
//! service on a slow terminal.
//!
//! `events` feeds it; `run` acts on each event; `service` starts a run of the service;
//! `stop` ends its tree; `backoff` is the restart policy's arithmetic.

mod backoff;
mod events;
mod ports;
mod run;
mod service;
mod stop;
mod watching;

use std::{
  fs::File,
  io::{self, Write},
  path::PathBuf,
  sync::{
    Arc,
    atomic::AtomicBool,
    mpsc::{self, Receiver, Sender},
  },
  time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::{
  error::{Error, Result},
  state::{INSTANCE_VARIABLE, ServiceState, StateDir, unix_now},
  supervise::{
    pump::SharedLog,
    reaped::ReapedStatuses,
    spec::KeeperSpec,
    watch::{WatchSpec, Watching},
  },
  sys::{self, ExitStatus, Pid, ProcessId, Signal, Tree},
  ui::timestamp::now_millis,
};
use backoff::Backoff;
use events::Event;

/// The first line a keeper prints, so the starter knows how the start went.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Handshake {
  Started { pid: Pid },
  Busy,
  Failed { message: String },
}

/// A second stop request, which makes a keeper skip the rest of its grace. Not SIGTERM
/// again: two SIGTERMs that reach a keeper before it runs are one pending signal, and the
/// graceful stop went on (seen under load); a different signal is not merged with it.
pub(crate) const HURRY: Signal = Signal::Int;

/// How long past its grace a keeper may take before `dev` ends it itself.
pub(crate) const KEEPER_SLACK: Duration = Duration::from_secs(5);

/// Keeper exit codes, read by the foreground `dev`.
pub(crate) const EXIT_STOPPED: i32 = 0;
pub(crate) const EXIT_SERVICE_ENDED: i32 = 1;
pub(crate) const EXIT_NOT_STARTED: i32 = 3;

/// Entry point of `dev __keep <state-dir> <service>`. Returns the process exit code.
pub(crate) fn keep(state_dir: PathBuf, service: &str) -> i32 {
  let state_dir = StateDir::new(state_dir, None);
  let mut stdout = io::stdout().lock();
  let mut handshake = |message: &Handshake| {
    let _ = writeln!(
      stdout,
      "{}",
      serde_json::to_string(message).unwrap_or_default()
    );
    let _ = stdout.flush();
  };
  let failed = |error: Error| Handshake::Failed {
    message: error.to_string(),
  };
  let spec = match KeeperSpec::read(&state_dir, service) {
    Ok(spec) => spec,
    Err(error) => {
      handshake(&failed(error));
      return EXIT_NOT_STARTED;
    }
  };
  // The lock is held until this process exits, however it exits.
  let lock = match state_dir.try_lock(service) {
    Ok(Some(lock)) => lock,
    Ok(None) => {
      handshake(&Handshake::Busy);
      return EXIT_NOT_STARTED;
    }
    Err(error) => {
      handshake(&failed(error));
      return EXIT_NOT_STARTED;
    }
  };
  match Keeper::start(state_dir, spec, lock) {
    Ok((mut keeper, events)) => {
      handshake(&Handshake::Started {
        pid: keeper.process.pid,
      });
      drop(stdout);
      if keeper.spec.supervisor.is_none() {
        sys::silence_stdout();
      }
      keeper.run(&events)
    }
    Err(error) => {
      handshake(&failed(error));
      EXIT_NOT_STARTED
    }
  }
}

struct Keeper {
  state_dir: StateDir,
  /// `.dev/state/<svc>.lock`, held for the keeper's whole life: "locked" means "a keeper runs
  /// this service".
  lock: File,
  spec: KeeperSpec,
  me: ProcessId,
  /// Every process of the service, however it forked.
  tree: Tree,
  process: ProcessId,
  state: ServiceState,
  /// Disconnects the moment the pump has written its last byte.
  pump_done: Option<Receiver<()>>,
  /// The current run's log file, shared with its pump: the keeper's notes go in between.
  log: Option<SharedLog>,
  /// Restarts by the restart policy in a row.
  backoff: Backoff,
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
  /// The watch on the service's source, while one runs, and what it watches.
  watching: Option<Watching>,
  watched: Option<WatchSpec>,
  /// Changes that came while a restart was under way: one more restart follows.
  change_pending: Option<Vec<PathBuf>>,
  /// Cancels the wait for readiness (and the dependents' restarts) after the last change.
  follow_up: Option<Arc<AtomicBool>>,
}

impl Keeper {
  fn start(state_dir: StateDir, spec: KeeperSpec, lock: File) -> Result<(Self, Receiver<Event>)> {
    let tree =
      Tree::hold(INSTANCE_VARIABLE).map_err(Error::io("cannot hold the service's processes"))?;
    if let Some(supervisor) = spec.supervisor.or(spec.dies_with) {
      // Die with the foreground `dev`, or the task's `dev` that started us for its `needs:`
      // (and take the service down with us, gracefully).
      let watching = sys::end_with_parent(Signal::Term, supervisor.pid)
        .map_err(Error::io("cannot watch dev"))?;
      if !watching {
        return Err(Error::SupervisorGone);
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
    .map_err(Error::io("cannot install signal handlers"))?;
    let (sender, events) = mpsc::channel();
    events::forward_signals(signals, sender.clone());
    let reaped = ReapedStatuses::default();
    events::spawn_reaper(sender.clone(), reaped.clone());
    events::spawn_ticker(sender.clone());
    let me = ProcessId::of(std::process::id()).ok_or(Error::Io {
      context: "cannot read the keeper's own process".into(),
      source: io::Error::from(io::ErrorKind::NotFound),
    })?;
    let state = first_state(&spec, me);
    let mut keeper = Self {
      state_dir,
      lock,
      spec,
      me,
      tree,
      process: ProcessId::gone(0),
      state,
      pump_done: None,
      log: None,
      backoff: Backoff::default(),
      events: sender,
      reaped,
      run: 0,
      liveness_watch: None,
      ended: None,
      stop_requested: false,
      watching: None,
      watched: None,
      change_pending: None,
      follow_up: None,
    };
    keeper.spawn_service()?;
    keeper.keep_watching();
    Ok((keeper, events))
  }
}

/// The state a keeper writes before the service's first run.
fn first_state(spec: &KeeperSpec, me: ProcessId) -> ServiceState {
  ServiceState {
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
    started_at_ms: now_millis(),
    supervisor: spec.supervisor,
    restarts: 0,
    exit: None,
    main_ended: None,
    last_failure: None,
    transition: None,
    pending_restart: None,
    watch_trouble: None,
    log_trouble: None,
    not_restarted: None,
  }
}
