//! Turns at the machine's pid counter, which every test running at once shares.
//!
//! A test that rewinds it (`ns_last_pid`, to make a pid come back on purpose) hands the pids
//! other tests freed a moment ago to new processes: their "is pid N still alive?", "signal
//! pid N" would then meet a stranger (CI once saw a restarted service's new process take the
//! pid of its old one, and the orphan test report the old one as a survivor). So such a test
//! runs alone: every `Test` holds a shared turn, `alone()` waits for an exclusive one, and
//! tests arriving meanwhile wait for it (the lock prefers its writer).
// Debian's clippy 1.96, linting for Windows (.ci/cross-check), asks for the `const` both
// initializers below already have.
#![allow(clippy::missing_const_for_thread_local)]

use std::{
  cell::{Cell, RefCell},
  marker::PhantomData,
  sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

static TURNS: RwLock<()> = RwLock::new(());

thread_local! {
  /// This thread's shared turn and how many `Test`s hold it: a second `Test` in one test must
  /// not queue behind a waiting writer that waits for the first.
  static SHARED: RefCell<(usize, Option<RwLockReadGuard<'static, ()>>)> =
    const { RefCell::new((0, None)) };
  /// Set while this thread holds the exclusive turn: its own `Test`s need no other.
  static ALONE: Cell<bool> = const { Cell::new(false) };
}

/// A `Test`'s share of the turn. Not `Send`: it is released on the thread that took it.
pub(crate) struct Shared(PhantomData<*const ()>);

pub(crate) fn shared() -> Shared {
  SHARED.with(|shared| {
    let mut shared = shared.borrow_mut();
    if shared.0 == 0 && !ALONE.with(Cell::get) {
      shared.1 = Some(TURNS.read().unwrap_or_else(PoisonError::into_inner));
    }
    shared.0 += 1;
  });
  Shared(PhantomData)
}

impl Drop for Shared {
  fn drop(&mut self) {
    SHARED.with(|shared| {
      let mut shared = shared.borrow_mut();
      shared.0 -= 1;
      if shared.0 == 0 {
        shared.1 = None;
      }
    });
  }
}

/// The exclusive turn, for a test that rewinds the pid counter: no other test runs until it
/// is dropped. Take it before this test's `Test`.
pub(crate) struct Alone {
  _turn: RwLockWriteGuard<'static, ()>,
}

pub(crate) fn alone() -> Alone {
  assert_eq!(
    SHARED.with(|shared| shared.borrow().0),
    0,
    "take the exclusive turn before creating this test's `Test`"
  );
  let guard = TURNS.write().unwrap_or_else(PoisonError::into_inner);
  ALONE.with(|alone| alone.set(true));
  Alone { _turn: guard }
}

impl Drop for Alone {
  fn drop(&mut self) {
    ALONE.with(|alone| alone.set(false));
  }
}
