//! Ending the service's tree: its stop signal to every process exactly once, a grace
//! period, then SIGKILL for what is left — while still hearing a second stop request.

use std::{
  sync::mpsc::{Receiver, RecvTimeoutError},
  thread,
  time::{Duration, Instant},
};

use super::{Event, Keeper};
use crate::{
  state::Transition,
  sys::{self, Moment, Pid, ProcessId, Signal},
};

/// Why a keeper ends its service's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ending {
  Stop,
  Restart,
  /// The service ended by itself or was found hung: what is left of its tree goes.
  Cleanup,
}

impl Keeper {
  /// Stop signal to the group and every descendant; wait the grace; SIGKILL what is left.
  /// `why` decides what a stop request arriving meanwhile means: during a restart or after
  /// the service ended by itself, it turns what follows into a stop (still graceful); during
  /// a stop, a second request hurries it.
  pub(super) fn stop_tree(&mut self, events: &Receiver<Event>, hard: bool, why: Ending) {
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

  /// Written where `dev ui` looks, as the first signal goes (a stop's grace can be long):
  /// just after it, so that the write is not in the way of a quick stop.
  fn say_transition(&mut self, why: Ending) {
    let transition = match why {
      Ending::Stop => Transition::Stopping,
      Ending::Restart => Transition::Restarting,
      // The run ended (or hung): what follows depends on the restart policy.
      Ending::Cleanup => return,
    };
    if self.state.transition != Some(transition) && self.follow_project() {
      self.state.transition = Some(transition);
      let _ = self.state_dir.write(&self.state);
    }
  }

  /// `signal` to every process of the tree exactly once — the group at once, then each
  /// member outside it (a `setsid` child, an orphan, one the first look missed) as it is
  /// found — then waits until none is left. A second signal would cut a graceful shutdown
  /// short (Python's KeyboardInterrupt cleanup, tools that take a second Ctrl+C as "force
  /// quit"). Only processes that existed when it began get a stop signal: one born after it
  /// is the service's own shutdown at work (a cleanup command its handler runs), and is ended
  /// only by the SIGKILL after the grace. False when the time ran out or a request asked to
  /// hurry.
  ///
  /// What existed is told by two cheap facts rather than a snapshot of every process on the
  /// machine before the signal (which cost more than the whole cooperative stop): the tree's
  /// first look (its children lists, a few reads), and, for a member that look missed, its
  /// start — before `began`, it existed.
  fn end_tree(
    &mut self,
    events: &Receiver<Event>,
    signal: Signal,
    timeout: Duration,
    why: Ending,
  ) -> bool {
    let token = self.state.token.clone();
    let began = Moment::now();
    // Taken before the signal, so that nothing the signal makes the service start is in it.
    let first_look = self.tree.first_look();
    let existed: Vec<ProcessId> = first_look
      .iter()
      .copied()
      .filter_map(ProcessId::of)
      .collect();
    let mut signalled = self.signal_group(signal, &first_look);
    self.say_transition(why);
    let deadline = Instant::now() + timeout;
    loop {
      let Some(found) = self.tree.remaining(&token) else {
        return true;
      };
      for pid in found {
        if !signalled.contains(&pid)
          && (signal == Signal::Kill || existed_then(&existed, began, pid))
        {
          let _ = sys::signal_process(pid, signal);
          wake(|| sys::signal_process(pid, Signal::Cont), signal);
          signalled.push(pid);
        }
      }
      let remaining = deadline.saturating_duration_since(Instant::now());
      if remaining.is_zero() {
        return false;
      }
      // Poll at least every 20 ms: a grandchild's exit is reaped by its own parent, not us.
      let event = events.recv_timeout(remaining.min(Duration::from_millis(20)));
      if self.hurried(event, signal, why) {
        return false;
      }
    }
  }

  /// `signal` to the service's process group, while it has a member of ours (of `members`,
  /// the tree's first look); the members it reached.
  ///
  /// The group's number is the leader's pid. Once every member is gone (the leader is reaped
  /// first when a service ends by itself) the kernel may give that number to an unrelated
  /// process that starts a group of its own; pid_max is 32768 on many machines, so a busy
  /// one wraps in seconds. A live member of ours keeps the number from being reused.
  ///
  /// Without the group signal `end_tree` would still reach every member one by one (why a
  /// mutation run that drops it survives): the group's is for one instant for all, so a
  /// pipeline's stages each get their own signal rather than some a broken pipe first.
  fn signal_group(&self, signal: Signal, members: &[Pid]) -> Vec<Pid> {
    let group = self.process.pid;
    let members: Vec<Pid> = members
      .iter()
      .copied()
      .filter(|pid| {
        sys::process_info(*pid).is_some_and(|info| info.pgid == group && !info.is_zombie())
      })
      .collect();
    if !members.is_empty() {
      let _ = sys::signal_group(group, signal);
      wake(|| sys::signal_group(group, Signal::Cont), signal);
    }
    members
  }

  /// What an event during the wait means: true when it asks to stop waiting.
  fn hurried(
    &mut self,
    event: Result<Event, RecvTimeoutError>,
    signal: Signal,
    why: Ending,
  ) -> bool {
    match event {
      Ok(Event::Stop) if signal != Signal::Kill => {
        if why == Ending::Stop || self.stop_requested {
          return true;
        }
        // A stop wins over the restart in progress, and stays graceful.
        self.stop_requested = true;
        false
      }
      Ok(Event::Restart { hard: true }) => {
        signal != Signal::Kill && why == Ending::Restart && !self.stop_requested
      }
      Ok(Event::Exited(pid, status)) if pid == self.process.pid => {
        self.ended = Some(status);
        false
      }
      Ok(Event::Changed(paths)) => {
        self
          .change_pending
          .get_or_insert_with(Vec::new)
          .extend(paths);
        false
      }
      Ok(_) | Err(RecvTimeoutError::Timeout) => false,
      Err(RecvTimeoutError::Disconnected) => {
        thread::sleep(Duration::from_millis(5));
        false
      }
    }
  }
}

/// True when `pid` is a process that existed when the stop `began`: seen by the first look,
/// or started before. A pid freed during the grace and given to a process born since is not.
fn existed_then(existed: &[ProcessId], began: Moment, pid: Pid) -> bool {
  ProcessId::of(pid).is_some_and(|now| existed.contains(&now) || now.started_before(began))
}

/// SIGCONT after a stop signal: a process stopped by SIGSTOP or Ctrl+Z keeps the stop signal
/// pending until it runs again, and the stop would wait its whole grace. SIGKILL needs none.
fn wake(send: impl FnOnce() -> std::io::Result<()>, after: Signal) {
  if after != Signal::Kill {
    let _ = send();
  }
}
