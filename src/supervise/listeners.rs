//! One look at the machine's listening sockets for every service this process awaits, instead
//! of a connect per service per millisecond.
//!
//! Why: an `http`/`tcp` probe of a service's own port can only count once that port is
//! listened on (`probe::ownership`), and until the server has bound, every probe is a
//! refused connect plus a look at the keeper. Sixty services starting at once on 2 cores made
//! sixty threads do that a thousand times a second each, competing with the very servers they
//! waited for. Here one thread asks the kernel for its listening table (tens of µs) each
//! millisecond while anyone waits, and wakes the waiters whose port appeared; it sleeps when
//! no one waits. Where the OS cannot say cheaply (`sys::listening_ports` is `None`), nobody
//! waits here and every look probes, as before.

use std::{
  sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError},
  thread,
  time::{Duration, Instant},
};

use crate::sys;

/// How often the table is looked at while someone waits: as often as a lone probe polls.
const LOOK_EVERY: Duration = Duration::from_millis(1);

struct Table {
  /// The ports listened on at the last look, sorted; `None` before the first look.
  ports: Option<Vec<u16>>,
  /// The OS cannot tell: every caller probes.
  unknown: bool,
  waiting: usize,
  looking: bool,
}

struct Gate {
  table: Mutex<Table>,
  /// A look was made (the waiters check their port) or a waiter came (the looker wakes).
  changed: Condvar,
}

fn gate() -> &'static Gate {
  static GATE: OnceLock<Gate> = OnceLock::new();
  GATE.get_or_init(|| Gate {
    table: Mutex::new(Table {
      ports: None,
      unknown: false,
      waiting: 0,
      looking: false,
    }),
    changed: Condvar::new(),
  })
}

impl Gate {
  fn lock(&self) -> MutexGuard<'_, Table> {
    self.table.lock().unwrap_or_else(PoisonError::into_inner)
  }
}

/// False only when a look at the table saw nothing listen on `port`: the looker's last one
/// (at most about a millisecond old) while anyone waits, else one made now. True when
/// something did, or when the OS cannot tell.
pub(crate) fn may_listen(port: u16) -> bool {
  {
    let table = gate().lock();
    if table.unknown {
      return true;
    }
    if let Some(ports) = &table.ports {
      return ports.binary_search(&port).is_ok();
    }
  }
  sys::listening_ports().is_none_or(|ports| ports.binary_search(&port).is_ok())
}

/// Waits until a look sees something listen on `port`, at most `most`; whether it did (or
/// the table cannot be read, when every port may be listened on).
pub(crate) fn wait_for(port: u16, most: Duration) -> bool {
  let gate = gate();
  let deadline = Instant::now() + most;
  let mut table = gate.lock();
  table.waiting += 1;
  if !table.looking {
    table.looking = true;
    thread::spawn(look);
  }
  gate.changed.notify_all();
  let seen = loop {
    let seen = table.unknown
      || table
        .ports
        .as_ref()
        .is_some_and(|ports| ports.binary_search(&port).is_ok());
    let left = deadline.saturating_duration_since(Instant::now());
    if seen || left.is_zero() {
      break seen;
    }
    table = gate
      .changed
      .wait_timeout(table, left)
      .unwrap_or_else(PoisonError::into_inner)
      .0;
  };
  table.waiting -= 1;
  seen
}

/// The looker: a look a millisecond while anyone waits, asleep otherwise.
fn look() {
  let gate = gate();
  loop {
    {
      let mut table = gate.lock();
      while table.waiting == 0 {
        // Asleep: nothing is awaited; an old table would only delay a probe by one look.
        table.ports = None;
        table = gate
          .changed
          .wait(table)
          .unwrap_or_else(PoisonError::into_inner);
      }
    }
    let ports = sys::listening_ports();
    {
      let mut table = gate.lock();
      table.unknown = ports.is_none();
      table.ports = ports;
      gate.changed.notify_all();
      if table.unknown {
        table.looking = false;
        return;
      }
    }
    thread::sleep(LOOK_EVERY);
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_wait_lasts_until_the_port_is_listened_on_and_no_longer() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free = unused.local_addr().unwrap().port();
    drop(unused);
    let readable = sys::listening_ports().is_some();
    assert!(!wait_for(free, Duration::from_millis(30)) || !readable);
    assert!(!may_listen(free) || !readable);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(wait_for(port, Duration::from_secs(10)), "never seen");
    assert!(may_listen(port));
  }
}
