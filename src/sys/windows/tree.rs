//! Containment on Windows: the keeper's Job Object (`job`) is the service's tree. Every
//! descendant is in it whatever its parentage, and it cannot outlive the keeper.

use std::{
  io,
  process::{Child, Command},
};

use super::{job, process};
use crate::sys::{Pid, ProcessId, facts};

/// A service's process tree as its keeper holds it. The marker is not needed: the job
/// knows its members without reading their environments.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tree {
  me: Pid,
}

impl Tree {
  /// Called once, before the first service process starts.
  pub(crate) fn hold(_marker: &'static str) -> io::Result<Self> {
    job::hold()?;
    Ok(Self {
      me: std::process::id(),
    })
  }

  /// Starts the service inside the job.
  pub(crate) fn spawn(&self, command: &mut Command) -> io::Result<Child> {
    job::spawn(command)
  }

  /// The live members: the job's, and (should the job have lost one) our descendants.
  pub(crate) fn members(&self, _token: &str) -> Vec<Pid> {
    let mut pids = job::members().unwrap_or_default();
    for pid in facts::descendants(self.me) {
      if !pids.contains(&pid) {
        pids.push(pid);
      }
    }
    pids.retain(|pid| *pid != self.me && ProcessId::of(*pid).is_some());
    pids
  }

  /// The members to look at before a stop signal: the job's.
  pub(crate) fn first_look(&self) -> Vec<Pid> {
    self.members("")
  }

  /// What is left of the tree: `None` only when provably nothing, else the members.
  pub(crate) fn remaining(&self, token: &str) -> Option<Vec<Pid>> {
    let found = self.members(token);
    (!found.is_empty() || !process::children(self.me).is_empty()).then_some(found)
  }
}
