//! Children's ends. Windows has no `waitpid(-1)`: the keeper hands each service process
//! it starts to `reap_later`, and the reaper thread waits on those.

use std::{
  process::Child,
  sync::{Mutex, PoisonError},
  thread,
  time::Duration,
};

use crate::sys::{ExitStatus, Pid};

static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// Keeps the child's handle until its end is reaped.
pub(crate) fn reap_later(child: Child) {
  CHILDREN
    .lock()
    .unwrap_or_else(PoisonError::into_inner)
    .push(child);
}

/// Blocks until a child handed to `reap_later` ends. `None` when there is none.
pub(crate) fn reap_any_child() -> Option<(Pid, ExitStatus)> {
  loop {
    {
      let mut children = CHILDREN.lock().unwrap_or_else(PoisonError::into_inner);
      if children.is_empty() {
        return None;
      }
      for child in children.iter_mut() {
        if let Ok(Some(status)) = child.try_wait() {
          let pid = child.id();
          // Ended: dropping its handle is all the reaping Windows needs.
          children.retain(|child| child.id() != pid);
          return Some((pid, super::signals::exit_status(status)));
        }
      }
    }
    thread::sleep(Duration::from_millis(10));
  }
}
