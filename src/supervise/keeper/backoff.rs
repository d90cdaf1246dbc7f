//! The restart policy's arithmetic, apart from any process or clock: whether a service that
//! ended goes again, after how long, and when the keeper gives up. Time comes in as the
//! ended run's uptime, so the unit tests below play hours of crash loops in microseconds.

use std::time::Duration;

use crate::config::{Restart, RestartPolicy};

/// A run this long was not a crash loop: the count of restarts in a row starts over.
const STABLE: Duration = Duration::from_secs(60);
/// The longest wait between two restarts.
const LONGEST: Duration = Duration::from_secs(30);

/// Restarts in a row, as the policy counts them.
#[derive(Debug, Default)]
pub(super) struct Backoff {
  in_a_row: u32,
}

impl Backoff {
  /// After a run that lasted `uptime` ended: the wait before the next start, or `None`
  /// when it is not `wanted` or `max` restarts in a row have been spent. The wait starts at
  /// `delay` and doubles each time, up to 30 s.
  pub(super) fn next(
    &mut self,
    policy: RestartPolicy,
    wanted: bool,
    uptime: Duration,
  ) -> Option<Duration> {
    if uptime > STABLE {
      self.in_a_row = 0;
    }
    if !wanted || self.in_a_row >= policy.max {
      return None;
    }
    let delay = Duration::from_millis(policy.delay_ms)
      .saturating_mul(1 << self.in_a_row.min(16))
      .min(LONGEST);
    self.in_a_row += 1;
    Some(delay)
  }

  /// Restarts in a row so far.
  pub(super) fn in_a_row(&self) -> u32 {
    self.in_a_row
  }
}

/// Whether the policy restarts a service that exited by itself this way.
pub(super) fn wanted(policy: RestartPolicy, succeeded: bool) -> bool {
  match policy.when {
    Restart::No => false,
    Restart::OnFailure => !succeeded,
    Restart::Always => true,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  const SECOND: Duration = Duration::from_secs(1);

  fn policy(when: Restart, max: u32, delay_ms: u64) -> RestartPolicy {
    RestartPolicy {
      when,
      max,
      delay_ms,
    }
  }

  #[test]
  fn the_wait_doubles_and_stops_at_thirty_seconds() {
    let policy = policy(Restart::Always, 10, 1000);
    let mut backoff = Backoff::default();
    let waits: Vec<u64> = (0..7)
      .map(|_| backoff.next(policy, true, SECOND).unwrap().as_secs())
      .collect();
    assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
  }

  #[test]
  fn it_gives_up_after_max_restarts_in_a_row() {
    let policy = policy(Restart::OnFailure, 3, 100);
    let mut backoff = Backoff::default();
    for _ in 0..3 {
      assert!(backoff.next(policy, true, SECOND).is_some());
    }
    assert_eq!(backoff.next(policy, true, SECOND), None);
    assert_eq!(backoff.in_a_row(), 3);
  }

  #[test]
  fn a_run_longer_than_a_minute_starts_the_count_over() {
    let policy = policy(Restart::Always, 2, 500);
    let mut backoff = Backoff::default();
    backoff.next(policy, true, SECOND);
    backoff.next(policy, true, SECOND);
    assert_eq!(backoff.next(policy, true, SECOND), None, "budget spent");
    let after_a_stable_run = backoff.next(policy, true, Duration::from_secs(61));
    assert_eq!(after_a_stable_run, Some(Duration::from_millis(500)));
  }

  #[test]
  fn no_restart_when_not_wanted_and_a_huge_delay_does_not_overflow() {
    let mut backoff = Backoff::default();
    assert_eq!(
      backoff.next(policy(Restart::Always, 5, 1000), false, SECOND),
      None
    );
    assert_eq!(backoff.in_a_row(), 0, "nothing was spent");
    let huge = policy(Restart::Always, 100, u64::MAX);
    for _ in 0..40 {
      assert_eq!(backoff.next(huge, true, SECOND), Some(LONGEST));
    }
  }

  #[test]
  fn each_policy_says_which_ends_go_again() {
    let ends = |when| {
      (
        wanted(policy(when, 5, 1), true),
        wanted(policy(when, 5, 1), false),
      )
    };
    assert_eq!(ends(Restart::No), (false, false));
    assert_eq!(ends(Restart::OnFailure), (false, true));
    assert_eq!(ends(Restart::Always), (true, true));
  }

  #[test]
  fn a_run_of_exactly_a_minute_is_still_part_of_the_loop() {
    let policy = policy(Restart::Always, 1, 500);
    let mut backoff = Backoff::default();
    assert!(backoff.next(policy, true, SECOND).is_some());
    assert_eq!(
      backoff.next(policy, true, STABLE),
      None,
      "longer than a minute resets"
    );
  }
}
