//! A process proven by more than its number.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Pid, os};

/// PIDs are reused; a pid alone never proves that a process is the one we started. Its start
/// (Linux: clock ticks since boot) and the boot it belongs to together do. Opaque above the
/// seam: compare, ask whether it lives, how old it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProcessId {
  pub(crate) pid: Pid,
  /// Read as `start_time` from state written by an older dev.
  #[serde(alias = "start_time")]
  start: u64,
  /// 0 when not recorded (older state): then the start alone is compared.
  #[serde(default)]
  boot: u64,
}

impl ProcessId {
  /// The identity of a live process, or `None` when it is gone (or a zombie).
  pub(crate) fn of(pid: Pid) -> Option<Self> {
    let (start, zombie) = os::process_start(pid)?;
    (!zombie).then(|| Self {
      pid,
      start,
      boot: os::boot(),
    })
  }

  /// For a process that was gone before it could be identified: alive never.
  pub(crate) fn gone(pid: Pid) -> Self {
    Self {
      pid,
      start: 0,
      boot: 0,
    }
  }

  /// True only while the very same process still runs (not a zombie, not a reused pid, not
  /// a number from an earlier boot).
  pub(crate) fn is_alive(self) -> bool {
    Self::of(self.pid)
      .is_some_and(|now| now.start == self.start && (self.boot == 0 || now.boot == self.boot))
  }

  /// True when it was recorded during this boot (or the boot is not known).
  pub(crate) fn is_this_boot(self) -> bool {
    self.boot == 0 || self.boot == os::boot()
  }

  /// How long it has been running.
  pub(crate) fn age(self) -> Duration {
    os::age_of(self.start)
  }

  /// True when it provably started before `moment`. Linux counts starts in clock ticks
  /// (10 ms): one that started in the same tick as `moment` is not known to have, and so is
  /// not counted (nor is any that started after it).
  pub(crate) fn started_before(self, moment: Moment) -> bool {
    self.start < moment.0
  }

  /// When it started, in Unix seconds.
  pub(crate) fn started_unix(self) -> u64 {
    os::unix_time_of(self.start)
  }
}

/// A moment on the clock that process starts are read from, to tell a process that existed
/// then from one born since (`ProcessId::started_before`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Moment(u64);

impl Moment {
  pub(crate) fn now() -> Self {
    Self(os::start_clock_now())
  }
}

#[cfg(test)]
mod tests {
  use std::time::{SystemTime, UNIX_EPOCH};

  use super::*;

  fn me() -> ProcessId {
    ProcessId::of(std::process::id()).expect("this process has an identity")
  }

  #[test]
  fn a_process_is_alive_only_as_the_very_same_start_in_the_same_boot() {
    let me = me();
    assert!(me.is_alive() && me.is_this_boot());
    let reused = ProcessId {
      start: me.start + 1,
      ..me
    };
    assert!(!reused.is_alive(), "the same pid with another start");
    let earlier_boot = ProcessId {
      boot: me.boot ^ 1,
      ..me
    };
    assert!(!earlier_boot.is_alive() && !earlier_boot.is_this_boot());
    let older_state = ProcessId { boot: 0, ..me };
    assert!(
      older_state.is_alive() && older_state.is_this_boot(),
      "start alone"
    );
    assert!(!ProcessId::gone(me.pid).is_alive());
  }

  #[test]
  fn a_process_born_after_a_moment_never_started_before_it() {
    let moment = Moment::now();
    let mut child = std::process::Command::new("sleep")
      .arg("5")
      .spawn()
      .expect("sleep starts");
    let born_after = ProcessId::of(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert!(!born_after.expect("the child runs").started_before(moment));
    assert!(ProcessId::of(1).expect("pid 1").started_before(moment));
  }

  #[test]
  fn its_age_and_start_agree_with_the_wall_clock() {
    let now = SystemTime::now()
      .duration_since(UNIX_EPOCH)
      .unwrap()
      .as_secs();
    // pid 1 started before this test binary was even built: seconds ago, at least.
    let init = ProcessId::of(1).expect("pid 1");
    let since = now.saturating_sub(init.started_unix());
    assert!(
      since > 2 && since < 10 * 365 * 86400,
      "started {since} s ago"
    );
    assert!(
      init.age().as_secs().abs_diff(since) <= 2,
      "{:?}",
      init.age()
    );
    assert!(me().started_unix() <= now);
  }
}
