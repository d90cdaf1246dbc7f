//! A process proven by more than its number: pid + start time (+ the boot it belongs to).

use serde::{Deserialize, Serialize};

use super::{Pid, boot_id, process_info};

/// PIDs are reused; a pid alone never proves that a process is the one we started. The kernel's
/// start time (clock ticks since boot) and the boot id together do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProcessId {
  pub(crate) pid: Pid,
  pub(crate) start_time: u64,
}

impl ProcessId {
  /// The identity of a live process, or `None` when it is gone.
  pub(crate) fn of(pid: Pid) -> Option<Self> {
    let info = process_info(pid)?;
    (!info.is_zombie()).then_some(Self {
      pid,
      start_time: info.start_time,
    })
  }

  /// True only while the very same process still runs (not a zombie, not a reused pid).
  pub(crate) fn is_alive(self) -> bool {
    Self::of(self.pid) == Some(self)
  }

  /// True when the recorded identity came from this boot and still matches.
  pub(crate) fn is_alive_since(self, recorded_boot: &str) -> bool {
    recorded_boot == boot_id() && self.is_alive()
  }
}
