//! The keeper's life after the start: act on each event until the service is stopped, or
//! ended for good (by itself, by its restart policy giving up, or hung).

use std::{
  sync::mpsc::{Receiver, RecvTimeoutError},
  time::Instant,
};

use super::{EXIT_SERVICE_ENDED, EXIT_STOPPED, Event, Keeper, backoff, stop::Ending};
use crate::{
  state::{ExitRecord, PendingRestart},
  supervise::spec::KeeperSpec,
  sys::{self, ExitStatus, Signal},
  ui::{
    format::{count, elapsed, status_text},
    timestamp::now_millis,
  },
};

impl Keeper {
  /// Returns the keeper's exit code.
  pub(super) fn run(&mut self, events: &Receiver<Event>) -> i32 {
    loop {
      let Ok(event) = events.recv() else {
        return EXIT_STOPPED;
      };
      let done = match event {
        Event::Stop => {
          self.cancel_follow_up();
          self.stop_tree(events, false, Ending::Stop);
          Some(self.stopped())
        }
        Event::Changed(paths) => self.changed(events, paths),
        Event::WatchTrouble(trouble) => {
          self.watch_trouble(trouble);
          None
        }
        Event::Said(line) => {
          self.log_line(&line);
          self.announce(&line);
          None
        }
        Event::Restart { hard } => self.restart(events, hard),
        Event::Exited(pid, status) if pid == self.process.pid => self.exited(events, status),
        Event::Unresponsive {
          run,
          failures,
          detail,
        } if run == self.run => self.unresponsive(events, failures, &detail),
        Event::Tick => {
          self.keep_state_in_place();
          self.say_log_trouble();
          None
        }
        Event::Unresponsive { .. } | Event::Exited(..) => None,
      };
      if let Some(code) = done {
        return code;
      }
      // A save while the tree of a service that ended (crashed, hung) was being cleaned up:
      // without this the service would wait for the next save, or out its back-off.
      if let Some(paths) = self.change_pending.take()
        && let Some(code) = self.changed(events, paths)
      {
        return code;
      }
    }
  }

  /// `dev <svc>-restart` (or `-force`): the tree ends, the spec is read again (edits to
  /// devtasks.yaml take effect), and the service starts anew.
  fn restart(&mut self, events: &Receiver<Event>, hard: bool) -> Option<i32> {
    // From its first moment to the new run: whatever answers on the port meanwhile (a
    // program that took it while the old run cleaned up) is not the service.
    self.mark_down(true);
    self.stop_tree(events, hard, Ending::Restart);
    if self.stop_requested {
      return Some(self.stopped());
    }
    self.finish_output();
    self.read_spec_again();
    // Before the count goes up: `dev restart` takes a higher count for a new run.
    if let Err(why) = self.ports_to_run_on() {
      self.state.exit = Some(ExitRecord::new(
        self
          .ended
          .unwrap_or(ExitStatus::Signal(Signal::Term.number())),
      ));
      self.not_restarted(why);
      return Some(EXIT_SERVICE_ENDED);
    }
    self.state.restarts += 1;
    // Saves while the old tree was stopping are in the new run already.
    self.change_pending = None;
    if let Err(error) = self.spawn_service() {
      self.log_line(&format!("restart failed: {error}"));
      self.state_dir.remove(&self.spec.service);
      return Some(EXIT_SERVICE_ENDED);
    }
    self.mark_down(false);
    self.keep_watching();
    None
  }

  /// The spec `dev restart` wrote (its ports as it chose them, edits to devtasks.yaml),
  /// with what only this keeper knows kept.
  fn read_spec_again(&mut self) {
    match KeeperSpec::read(&self.state_dir, &self.spec.service) {
      Ok(spec) => self.adopt(spec),
      Err(error) => self.log_line(&format!("keeping the previous settings: {error}")),
    }
  }

  /// A spec written for this service (by `dev restart`, or by this keeper moving its
  /// ports), with what only this keeper knows kept: whom it reports to, whose death ends it,
  /// how its output is shown, and `up --watch`.
  pub(super) fn adopt(&mut self, spec: KeeperSpec) {
    self.spec = KeeperSpec {
      supervisor: self.spec.supervisor,
      dies_with: self.spec.dies_with,
      view: self.spec.view,
      watch_override: self.spec.watch_override,
      ..spec
    };
  }

  /// The service ended by itself: nothing of its tree may outlive it; then its restart
  /// policy decides.
  fn exited(&mut self, events: &Receiver<Event>, status: ExitStatus) -> Option<i32> {
    // Said at once: the rest of the tree may take its whole grace to end.
    if self.follow_project() {
      self.state.main_ended = Some(ExitRecord::new(status));
      let _ = self.state_dir.write(&self.state);
    }
    self.stop_tree(events, false, Ending::Cleanup);
    if self.stop_requested {
      return Some(self.stopped());
    }
    self.finish_output();
    self.state.exit = Some(ExitRecord::new(status));
    let wanted = backoff::wanted(self.spec.restart, status == ExitStatus::Code(0));
    self.recover(events, wanted, status_text(status))
  }

  /// The liveness probe failed `retries` times in a row: the service is hung. It is ended
  /// and restarted whatever `restart:` says — that is what a liveness probe is for;
  /// `max_restarts` still bounds it.
  fn unresponsive(&mut self, events: &Receiver<Event>, failures: u32, detail: &str) -> Option<i32> {
    let what = format!("was not responding ({failures} liveness probes failed in a row: {detail})");
    let notice = format!("{} {what}; stopping it", self.spec.service);
    self.log_line(&notice);
    self.announce(&notice);
    self.stop_tree(events, false, Ending::Cleanup);
    if self.stop_requested {
      return Some(self.stopped());
    }
    self.finish_output();
    let status = self
      .ended
      .unwrap_or(ExitStatus::Signal(Signal::Kill.number()));
    self.state.exit = Some(ExitRecord::new(status));
    self.recover(events, true, what)
  }

  /// The lock file at the state directory's path is still the one this keeper holds.
  fn lock_is_in_place(&self) -> bool {
    let lock_path = self.state_dir.lock_path(&self.spec.service);
    sys::path_identity(&lock_path) == sys::file_identity(&self.lock)
  }

  /// `.dev/` deleted while the service runs (`rm -rf .dev`, `git clean -fdx`): without its
  /// state the service would look stopped and a second one could start. The lock file no
  /// longer being the one we hold tells; the directory, the lock, the spec and the state are
  /// made again — where the project is now, even after a move; never in a copy.
  fn keep_state_in_place(&mut self) {
    // Every tick: the cheap look first. Only when the lock is not where it was (a move, a
    // deleted `.dev/`) is the project looked for (its cwd, stats of the root).
    if self.lock_is_in_place() || !self.follow_project() || self.lock_is_in_place() {
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
  pub(super) fn stopped(&mut self) -> i32 {
    self.finish_output();
    self.log_line(&format!("{} stopped", self.spec.service));
    if self.follow_project() {
      self.state_dir.remove(&self.spec.service);
    }
    EXIT_STOPPED
  }

  /// After the service ended (`what`: "exited with code 1"): restart it after a back-off
  /// when `wanted` and the budget allows. `Some(exit code)` when the keeper is done.
  fn recover(&mut self, events: &Receiver<Event>, wanted: bool, what: String) -> Option<i32> {
    self.state.last_failure = Some(what.clone());
    let policy = self.spec.restart;
    let Some(delay) = self.backoff.next(policy, wanted, self.state.uptime()) else {
      let mut message = format!("{} {what}", self.spec.service);
      let spent = self.backoff.in_a_row();
      if wanted && spent > 0 {
        let restarts = count(spent as usize, "restart", "restarts");
        message.push_str(&format!("; gave up after {restarts}"));
      }
      self.log_line(&message);
      let _ = self.state_dir.write(&self.state);
      return self.wait_for_a_fix(&what);
    };
    let notice = format!(
      "{} {what}; restarting in {} ({} of {})",
      self.spec.service,
      elapsed(delay),
      self.backoff.in_a_row(),
      policy.max
    );
    self.log_line(&notice);
    self.announce(&notice);
    self.mark_down(true);
    // `dev status` says the service will come back by itself, and when.
    self.state.pending_restart = Some(PendingRestart {
      at_ms: now_millis() + delay.as_millis() as u64,
      attempt: self.backoff.in_a_row(),
      max: policy.max,
    });
    let _ = self.state_dir.write(&self.state);
    // Stay responsive while backing off: a stop ends the wait, and the keeper; a restart
    // request ends only the wait.
    let until = Instant::now() + delay;
    loop {
      match events.recv_timeout(until.saturating_duration_since(Instant::now())) {
        Ok(Event::Stop) => return Some(self.stopped()),
        Ok(Event::Tick) => self.keep_state_in_place(),
        // `dev restart` wrote the spec to restart with: a port it moved to, say.
        Ok(Event::Restart { .. }) => {
          self.read_spec_again();
          break;
        }
        Err(RecvTimeoutError::Timeout) => break,
        // A change is not a crash: no back-off for it, and the crash count starts over.
        Ok(Event::Changed(_)) => {
          self.backoff = super::backoff::Backoff::default();
          break;
        }
        Ok(_) => {}
        Err(RecvTimeoutError::Disconnected) => return Some(EXIT_STOPPED),
      }
    }
    if let Err(why) = self.ports_to_run_on() {
      self.not_restarted(why.clone());
      return self.wait_for_a_fix(&why);
    }
    self.state.restarts += 1;
    if let Err(error) = self.spawn_service() {
      self.log_line(&format!("restart failed: {error}"));
      self.state.pending_restart = None;
      let _ = self.state_dir.write(&self.state);
      return Some(EXIT_SERVICE_ENDED);
    }
    self.mark_down(false);
    None
  }

  /// The service is not started again (`why`: its port is another program's now): said in
  /// its log, to the foreground `dev`, and kept in its state for `dev status`.
  fn not_restarted(&mut self, why: String) {
    let notice = format!("{} not restarted: {why}", self.spec.service);
    self.log_line(&notice);
    self.announce(&notice);
    self.state.pending_restart = None;
    self.state.not_restarted = Some(why);
    let _ = self.state_dir.write(&self.state);
  }
}
