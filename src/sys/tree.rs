//! Containment: how a keeper holds a service's whole process tree, so that every
//! descendant can be found and ended — even one that called `setsid` or forked twice.
//!
//! Two strategies fill the one interface:
//! - **subreaper** (Linux): orphans are re-parented to the keeper instead of init, so the
//!   keeper's descendants *are* the tree, and "no child left" is the kernel's exact answer;
//! - **marked** (macOS, which has no subreaper; and Linux under `DEV_TEST_CONTAINMENT=marked`,
//!   so the suite proves it here): the tree is the keeper's descendants *and* every process
//!   carrying this start's `DEV_INSTANCE` marker, which a setsid'd or double-forked grandchild
//!   keeps in its environment. Each is still ended by identity, never by name.

use std::{
  env, io,
  process::{Child, Command},
};

use super::{Pid, ProcessId, facts, os, unix, unix::wait::Children};

/// The environment variable that picks the strategy in tests.
const STRATEGY_VARIABLE: &str = "DEV_TEST_CONTAINMENT";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strategy {
  Subreaper,
  Marked,
}

impl Strategy {
  /// The platform's own, unless a test asked for the marked one.
  fn chosen() -> Self {
    match env::var(STRATEGY_VARIABLE).as_deref() {
      Ok("marked") => Self::Marked,
      _ if os::HAS_SUBREAPER => Self::Subreaper,
      _ => Self::Marked,
    }
  }
}

/// A service's process tree as its keeper holds it. `marker` names the environment variable
/// whose per-start value every process of the service inherits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tree {
  me: Pid,
  strategy: Strategy,
  marker: &'static str,
}

impl Tree {
  /// Called once, before the first service process starts.
  pub(crate) fn hold(marker: &'static str) -> io::Result<Self> {
    let strategy = Strategy::chosen();
    if strategy == Strategy::Subreaper {
      os::become_subreaper()?;
    }
    Ok(Self {
      me: std::process::id(),
      strategy,
      marker,
    })
  }

  /// Starts the service (a job must take it before it runs on Windows; nothing to do here).
  pub(crate) fn spawn(&self, command: &mut Command) -> io::Result<Child> {
    command.spawn()
  }

  /// The members found by following parentage alone (the children lists): a few reads, cheap
  /// enough to take before a stop signal. It can miss one while a sibling is being reaped,
  /// and misses an orphan that was re-parented elsewhere (marked strategy).
  pub(crate) fn first_look(&self) -> Vec<Pid> {
    let mut pids = facts::descendants(self.me);
    pids.retain(|pid| ProcessId::of(*pid).is_some());
    pids
  }

  /// The live members found by a quick look; it can miss one while a sibling is being
  /// reaped, so an empty answer is checked (`remaining`).
  pub(crate) fn members(&self, token: &str) -> Vec<Pid> {
    let mut pids = facts::descendants(self.me);
    self.add_marked(&mut pids, token);
    pids.retain(|pid| ProcessId::of(*pid).is_some());
    pids
  }

  /// The live members, found exactly (slower).
  fn members_exact(&self, token: &str) -> Vec<Pid> {
    let mut pids = os::live_descendants_exact(self.me);
    self.add_marked(&mut pids, token);
    pids
  }

  /// What is left of the tree: `None` only when provably nothing, else the members (the
  /// quick look, or the exact one when it missed a live child).
  pub(crate) fn remaining(&self, token: &str) -> Option<Vec<Pid>> {
    let found = self.members(token);
    if !found.is_empty() {
      return Some(found);
    }
    match unix::wait::own_children() {
      // No child means no descendant by parentage (and, as a subreaper, which inherits every
      // orphan, none at all); the marked strategy's orphans, re-parented to init, carry the
      // marker and were just looked for.
      Children::None => None,
      // One ended and waits for the reaper, whose news of it wakes the next look: the exact
      // walk (one read of every process on the machine) would find nothing more, at the
      // moment a cooperative stop is all but done.
      Children::Ended => Some(found),
      // A live child the quick look missed: it can skip one while a sibling is being reaped.
      Children::Running => Some(self.members_exact(token)),
    }
  }

  fn add_marked(&self, pids: &mut Vec<Pid>, token: &str) {
    for pid in self.marked(token) {
      if !pids.contains(&pid) {
        pids.push(pid);
      }
    }
  }

  /// The live processes that carry this start's marker (marked strategy only), but us.
  fn marked(&self, token: &str) -> Vec<Pid> {
    if self.strategy != Strategy::Marked || token.is_empty() {
      return Vec::new();
    }
    let mut pids = facts::processes_with_env(self.marker, token);
    pids.retain(|pid| *pid != self.me && ProcessId::of(*pid).is_some());
    pids
  }
}
