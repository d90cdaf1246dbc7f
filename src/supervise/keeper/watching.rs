//! Restart on change: the keeper watches the service's source (`watch:`), and a burst of
//! saves becomes one restart — the whole tree stopped with the service's stop semantics, the
//! new run started at once (a change is not a crash: no back-off, not counted), then awaited
//! ready and followed by its dependents, in order. A change during a restart queues one
//! more; a new version that fails stays down, said, until the next save.

use std::{
  path::PathBuf,
  sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
    mpsc::Receiver,
  },
  thread,
  time::{Duration, Instant},
};

use super::{EXIT_SERVICE_ENDED, Event, KEEPER_SLACK, Keeper, backoff::Backoff, stop::Ending};
use crate::{
  config::Watch,
  state::StateDir,
  supervise::{
    probe::Check,
    readiness::{Verdict, wait_quietly},
    spec::KeeperSpec,
    watch::{self, Heard, WatchSpec},
  },
  sys::{self, Signal},
  ui::format::elapsed,
};

impl Keeper {
  /// What this keeper watches now: `up --watch` / `--no-watch` win over the task file.
  fn watch_spec(&self) -> Option<WatchSpec> {
    match self.spec.watch_override {
      Some(false) => None,
      Some(true) => self.spec.watch.clone().or_else(|| {
        let logs = self.spec.log.parent().unwrap_or(&self.spec.cwd);
        Some(WatchSpec::new(&Watch::everything(), &self.spec.cwd, logs))
      }),
      None => self.spec.watch.clone(),
    }
  }

  /// (Re)starts the watch when what is watched changed (first start, an edited `watch:`).
  pub(super) fn keep_watching(&mut self) {
    let wanted = self.watch_spec();
    if wanted == self.watched {
      return;
    }
    self.watching = None;
    self.watched = wanted.clone();
    let Some(spec) = wanted else {
      return;
    };
    let events = self.events.clone();
    match watch::watch(&spec, move |heard| {
      let _ = events.send(match heard {
        Heard::Changed(changed) => Event::Changed(changed),
        Heard::Trouble(trouble) => Event::WatchTrouble(trouble),
      });
    }) {
      Ok(watching) => {
        self.log_line(&format!(
          "watching for changes ({})",
          crate::ui::format::count(watching.watched, "directory", "directories")
        ));
        self.watching = Some(watching);
      }
      Err(error) => {
        let notice = format!("{} cannot watch for changes: {error}", self.spec.service);
        self.log_line(&notice);
        self.announce(&notice);
      }
    }
  }

  /// A watch that cannot watch any more (or can again): said in the log, to the foreground
  /// `dev`, and in the state for `dev status` and the dashboard — a deaf watch is never
  /// silent.
  pub(super) fn watch_trouble(&mut self, trouble: Option<String>) {
    let notice = match &trouble {
      Some(why) => format!(
        "✗ {}: cannot watch for changes any more: {why}; saves are not seen",
        self.spec.service
      ),
      None => format!("{}: watching for changes again", self.spec.service),
    };
    self.log_line(&notice);
    self.announce(&notice);
    self.state.watch_trouble =
      trouble.map(|why| format!("cannot watch for changes: {why}; saves are not seen"));
    let _ = self.state_dir.write(&self.state);
  }

  pub(super) fn is_watching(&self) -> bool {
    self.watching.is_some()
  }

  /// A burst of changes: restart now, and again if more came meanwhile.
  pub(super) fn changed(&mut self, events: &Receiver<Event>, paths: Vec<PathBuf>) -> Option<i32> {
    let mut what = WatchSpec::describe(&paths);
    loop {
      self.cancel_follow_up();
      let since = Instant::now();
      let notice = format!("↻ {}: {what} changed → restarting", self.spec.service);
      self.log_line(&notice);
      self.announce(&notice);
      self.change_pending = None;
      self.mark_down(true);
      self.stop_tree(events, false, Ending::Restart);
      if self.stop_requested {
        return Some(self.stopped());
      }
      self.finish_output();
      // A change is not a crash: the crash loop's count starts over.
      self.backoff = Backoff::default();
      self.state.restarts += 1;
      let started = self
        .ports_to_run_on()
        .and_then(|()| self.spawn_service().map_err(|error| error.to_string()));
      if let Err(error) = started {
        let notice = format!("{} did not start: {error}", self.spec.service);
        self.log_line(&notice);
        self.announce(&notice);
        return None;
      }
      self.mark_down(false);
      match self.change_pending.take() {
        Some(more) => what = WatchSpec::describe(&more),
        None => {
          self.follow_up(since, what);
          return None;
        }
      }
    }
  }

  /// After a restart on a change: waits (in a thread) for the new run to be ready, says so,
  /// then restarts the dependents one after the other.
  fn follow_up(&mut self, since: Instant, what: String) {
    let cancel = Arc::new(AtomicBool::new(false));
    self.follow_up = Some(cancel.clone());
    let check = self
      .spec
      .readiness
      .clone()
      .map(|health| Check::resolved(health, &self.spec, Some(self.me)));
    let dependents = if self.watched.as_ref().is_some_and(|w| w.restart_dependents) {
      self.spec.dependents.clone()
    } else {
      Vec::new()
    };
    let (state_dir, events) = (self.state_dir.clone(), self.events.clone());
    let name = self.spec.service.clone();
    thread::spawn(move || {
      let say = |line: String| {
        let _ = events.send(Event::Said(line));
      };
      let ready = match check.map(|check| wait_quietly(&check, &state_dir, &cancel)) {
        None | Some(Verdict::Ready(_)) => true,
        Some(Verdict::TimedOut(_, last)) => {
          say(format!(
            "✗ {name}: {what} changed → not ready: {}",
            last.detail
          ));
          false
        }
        Some(Verdict::Gone | Verdict::Cancelled) => false,
      };
      if !ready {
        return;
      }
      say(format!(
        "↻ {name}: {what} changed → restarted (ready in {})",
        elapsed(since.elapsed())
      ));
      for dependent in dependents {
        if cancel.load(Ordering::Relaxed) {
          return;
        }
        if let Some(line) = restart_dependent(&state_dir, &dependent, &name, &cancel) {
          say(line);
        }
      }
    });
  }

  /// A new change or a stop: the follow-up of the last restart has nothing more to do.
  pub(super) fn cancel_follow_up(&mut self) {
    if let Some(cancel) = self.follow_up.take() {
      cancel.store(true, Ordering::Relaxed);
    }
  }

  /// The service failed and its policy will not restart it: while watching, the keeper
  /// stays, so that the next save starts it again. `None` when it does.
  pub(super) fn wait_for_a_fix(&mut self, what: &str) -> Option<i32> {
    if !self.is_watching() {
      return Some(EXIT_SERVICE_ENDED);
    }
    let notice = format!(
      "{} {what}; waiting for a change to start it again",
      self.spec.service
    );
    self.log_line(&notice);
    self.announce(&notice);
    let _ = self.state_dir.write(&self.state);
    None
  }
}

/// Restarts one running dependent through its keeper (as `dev <svc>-restart` does) and
/// waits until it is ready; the line to say.
fn restart_dependent(
  state_dir: &StateDir,
  name: &str,
  because: &str,
  cancel: &AtomicBool,
) -> Option<String> {
  let state = state_dir.read(name).filter(|s| s.keeper.is_alive())?;
  let since = Instant::now();
  let spec = KeeperSpec::read(state_dir, name).ok()?;
  let _ = sys::signal_process(state.keeper.pid, Signal::Usr1);
  let deadline = since + Duration::from_millis(spec.grace_ms) + KEEPER_SLACK;
  while state_dir
    .read(name)
    .is_none_or(|now| now.restarts <= state.restarts)
  {
    if Instant::now() > deadline || !state.keeper.is_alive() || cancel.load(Ordering::Relaxed) {
      return Some(format!("✗ {name} (after {because}) did not restart"));
    }
    thread::sleep(Duration::from_millis(5));
  }
  let ready = match spec.readiness.clone() {
    Some(health) => {
      let check = Check::resolved(health, &spec, Some(state.keeper));
      matches!(wait_quietly(&check, state_dir, cancel), Verdict::Ready(_))
    }
    None => true,
  };
  Some(if ready {
    format!(
      "↻ {name}: restarted after {because} (ready in {})",
      elapsed(since.elapsed())
    )
  } else {
    format!("✗ {name}: restarted after {because}, not ready")
  })
}
