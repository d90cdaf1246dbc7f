//! What a keeper waits for, each fed by a thread of its own: signals (stop, restart), the
//! reaper's news of an exit, a tick a second, and the liveness watcher's verdict.

use std::{
  path::PathBuf,
  sync::mpsc::{Receiver, Sender},
  thread,
  time::Duration,
};

use crate::{
  supervise::reaped::ReapedStatuses,
  sys::{self, ExitStatus, Pid, Signal},
};

pub(super) enum Event {
  /// SIGTERM/SIGINT/SIGHUP: stop; a second one skips the grace period.
  Stop,
  /// SIGUSR1 (graceful) or SIGUSR2 (hard): restart in place.
  Restart {
    hard: bool,
  },
  Exited(Pid, ExitStatus),
  /// Once a second: time to look that the state is where `dev` will look for it.
  Tick,
  /// Watched files changed (a burst, debounced): relative paths.
  Changed(Vec<PathBuf>),
  /// Watching for changes failed (`Some`: why; no save is seen meanwhile) or works again.
  WatchTrouble(Option<String>),
  /// A line from a helper thread, for the log and the foreground `dev`.
  Said(String),
  /// The liveness probe of run `run` failed `failures` times in a row; the last answer.
  Unresponsive {
    run: u64,
    failures: u32,
    detail: String,
  },
}

pub(super) fn forward_signals(signals: Receiver<Signal>, sender: Sender<Event>) {
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
pub(super) fn spawn_ticker(sender: Sender<Event>) {
  thread::spawn(move || {
    while sender.send(Event::Tick).is_ok() {
      thread::sleep(Duration::from_secs(1));
    }
  });
}

/// Reaps every child (the service, and orphans re-parented to us as subreaper).
pub(super) fn spawn_reaper(sender: Sender<Event>, reaped: ReapedStatuses) {
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
