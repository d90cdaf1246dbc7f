//! The event loop of `dev up`: start what may start, then act on the next thing that
//! happens, until everything is up (`-d`) or everything has ended.

use std::{
  sync::{atomic::Ordering, mpsc::Receiver},
  time::{Duration, Instant},
};

use super::{Run, UpEvent, relay::open_browser};
use crate::supervise::keeper::HURRY;
use crate::{
  error::{Error, Result},
  plan,
  sys::{self, ProcessId, Signal},
  ui::format::elapsed,
};

impl Run<'_> {
  pub(super) fn drive(&mut self, events: &Receiver<UpEvent>) -> Result<()> {
    loop {
      if !self.stopping
        && let Err(error) = self.start_what_may_start()
      {
        self.give_up_starting();
        return Err(error);
      }
      if self.start.detach && !self.stopping && self.schedule.settled() {
        // A stop since the start began wins: no "running" for what it stopped.
        if let Err(error) = self.heed_stops(None) {
          self.stop_all();
          return Err(error);
        }
        if !self.start.quiet {
          self.project.report.success(
            "running in the background; `dev status` to see them, `dev stop` to stop them",
          );
        }
        return Ok(());
      }
      if self.schedule.over(self.stopping) {
        break;
      }
      let Ok(event) = events.recv() else { break };
      if self.stopping {
        // A keeper may have gone: the services it needed may stop now.
        self.stop_ready();
      }
      let failure = match event {
        UpEvent::Signal => Some(self.interrupted()),
        UpEvent::Ready(launch, after, url) => {
          self.ready(launch, after, url);
          None
        }
        UpEvent::TimedOut(launch, tries, last, target) => {
          self.timed_out(launch, tries, &last, &target)
        }
        UpEvent::Gone(launch) => self.gone(launch),
        UpEvent::Ended(launch, code) => self.ended(launch, code),
        UpEvent::Edited => {
          if !self.stopping {
            self.edited();
          }
          None
        }
      };
      if let Some(error) = failure {
        self.begin_stopping(matches!(error, Error::Interrupted));
        // In the background, the keepers have been waited for: nothing is left to show.
        if self.start.detach {
          return Err(error);
        }
        self.failure.get_or_insert(error);
      }
    }
    match self.failure.take() {
      Some(Error::Interrupted) | None => Ok(()),
      Some(error) => Err(error),
    }
  }

  /// Ctrl+C and its kin: stop everything; a second request makes every keeper skip its
  /// grace period. One request can arrive twice within milliseconds — a signal to the whole
  /// process group (`kill -- -PGID`, `timeout`, a closed terminal) reaches `dev` and also a
  /// wrapper that passes it on (npm's launcher, `npx`) — and is not a second one: a person's
  /// second Ctrl+C comes a hundred milliseconds or more after the first.
  fn interrupted(&mut self) -> Error {
    const SAME_REQUEST: Duration = Duration::from_millis(50);
    self.cancel.store(true, Ordering::Relaxed);
    let again_at_once = self
      .interrupted_at
      .is_some_and(|first| first.elapsed() < SAME_REQUEST);
    self.interrupted_at.get_or_insert_with(Instant::now);
    if self.stopping && !again_at_once {
      self.project.report.step("stopping now (SIGKILL)");
      self.signal_all(HURRY);
    }
    Error::Interrupted
  }

  /// `interrupted`: by Ctrl+C or its kin, which a second one hurries — said, since a grace
  /// can be long and a user otherwise reaches for `kill -9`.
  fn begin_stopping(&mut self, interrupted: bool) {
    if !self.stopping {
      self.report_stopping(interrupted);
      self.stopping = true;
      self.stop_all();
    }
  }

  fn ready(&mut self, launch: u64, after: Duration, url: Option<String>) {
    let Some(service) = self
      .schedule
      .launch(launch)
      .filter(|s| s.completed.is_none())
    else {
      return;
    };
    service.ready = true;
    let name = service.name.clone();
    let named = crate::proxy::url_of(self.project.id, &name);
    let place = match (&named, &url) {
      (Some(named), Some(url)) => format!(" on {named} ({url}, {})", elapsed(after)),
      (Some(url), None) | (None, Some(url)) => format!(" on {url} ({})", elapsed(after)),
      (None, None) => format!(" ({})", elapsed(after)),
    };
    self.project.report.success(&format!("{name} ready{place}"));
    let wants_open = self.start.open
      || self
        .project
        .config
        .service(&name)
        .is_some_and(|service| service.open);
    // The name rather than the port: it stays the same across restarts and checkouts.
    if let (true, Some(url)) = (wants_open, named.or(url)) {
      open_browser(&url, self.project.report);
    }
  }

  fn report_stopping(&self, interrupted: bool) {
    let live: Vec<&str> = self
      .schedule
      .keepers()
      .filter(|(_, keeper)| keeper.is_alive())
      .map(|(name, _)| name)
      .collect();
    if !live.is_empty() {
      let force = if interrupted && !self.start.detach {
        " (press Ctrl+C again to force)"
      } else {
        ""
      };
      self
        .project
        .report
        .step(&format!("stopping {}…{force}", live.join(", ")));
    }
  }

  /// A start failed: what this `dev` started is stopped (nothing half-started), unless in
  /// the background another `dev` won a race to start one of these services — that start
  /// may be waiting on, or already using, the dependencies this one started, and stopping
  /// them would pull them from under it.
  fn give_up_starting(&mut self) {
    if let (true, Some(busy)) = (self.start.detach, &self.lost_a_race) {
      let started: Vec<&str> = self
        .schedule
        .keepers()
        .filter(|(_, keeper)| keeper.is_alive())
        .map(|(name, _)| name)
        .collect();
      if !started.is_empty() {
        self.project.report.step(&format!(
          "leaving {} running: another dev is starting {busy}, which may need {}",
          started.join(", "),
          if started.len() == 1 { "it" } else { "them" }
        ));
      }
      return;
    }
    self.report_stopping(false);
    self.stop_all();
  }

  /// Every keeper this `dev` started, stopped; in the background, waited for (bounded), so
  /// that a failed start never leaves its first half running.
  fn stop_all(&mut self) {
    let mut wave = self.stop_ready();
    if self.start.detach {
      while !wave.is_empty() {
        for keeper in &wave {
          sys::wait_for_exit(*keeper, Duration::from_secs(60));
        }
        wave = self.stop_ready();
      }
    }
  }

  /// The stop signal to each live keeper not yet sent it whose dependents' keepers are all
  /// gone — dependents first, as `dev stop` does; those signalled now.
  fn stop_ready(&mut self) -> Vec<ProcessId> {
    let live: Vec<(&str, ProcessId)> = self
      .schedule
      .keepers()
      .filter(|(_, keeper)| keeper.is_alive())
      .collect();
    let config = &self.project.config;
    let needed_by_live = |name: &str| {
      let dependents = plan::dependents_of(config, name);
      live
        .iter()
        .any(|(other, _)| dependents.iter().any(|dependent| dependent == other))
    };
    let ready: Vec<ProcessId> = live
      .iter()
      .filter(|(name, keeper)| !self.stop_sent.contains(keeper) && !needed_by_live(name))
      .map(|(_, keeper)| *keeper)
      .collect();
    for keeper in &ready {
      let _ = sys::signal_process(keeper.pid, Signal::Term);
    }
    self.stop_sent.extend(&ready);
    ready
  }

  /// `signal` to every live keeper this `dev` started; all of them, to wait for.
  fn signal_all(&self, signal: Signal) -> Vec<ProcessId> {
    let keepers: Vec<ProcessId> = self.schedule.keepers().map(|(_, k)| k).collect();
    for keeper in &keepers {
      if keeper.is_alive() {
        let _ = sys::signal_process(keeper.pid, signal);
      }
    }
    keepers
  }
}
