//! Test hooks: a pause (milliseconds from the named variable) that forces one interleaving of
//! two threads or processes, so that a race is reproduced every time instead of once in a
//! while. Unset, they cost one environment lookup.

use std::{env, thread, time::Duration};

pub(crate) fn delay(variable: &str) {
  if let Some(millis) = env::var(variable).ok().and_then(|v| v.parse().ok()) {
    thread::sleep(Duration::from_millis(millis));
  }
}
