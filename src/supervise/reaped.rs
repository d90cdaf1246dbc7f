//! What the keeper's reaper took from under a thread that waits for its own child too.

use std::{
  collections::VecDeque,
  sync::{Arc, Mutex, PoisonError},
};

use crate::sys::{ExitStatus, Pid};

/// Exit statuses of children reaped by the keeper's reaper on behalf of a thread that
/// spawned them and waits for them too (a liveness `exec` probe): `waitpid(-1)` takes every
/// child, so the probe finds its status here instead.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReapedStatuses(Arc<Mutex<VecDeque<(Pid, ExitStatus)>>>);

impl ReapedStatuses {
  pub(crate) fn record(&self, pid: Pid, status: ExitStatus) {
    let mut statuses = self.0.lock().unwrap_or_else(PoisonError::into_inner);
    if statuses.len() == 64 {
      statuses.pop_front();
    }
    statuses.push_back((pid, status));
  }

  pub(crate) fn take(&self, pid: Pid) -> Option<ExitStatus> {
    let mut statuses = self.0.lock().unwrap_or_else(PoisonError::into_inner);
    let index = statuses.iter().position(|(reaped, _)| *reaped == pid)?;
    statuses.remove(index).map(|(_, status)| status)
  }
}
