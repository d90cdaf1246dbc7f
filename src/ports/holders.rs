//! Who holds a port: every process with a listening (or bound) socket on it, IPv4 and IPv6,
//! described well enough to decide whether to stop it, plus the TIME_WAIT leftovers.

use std::{collections::HashMap, net::IpAddr, path::PathBuf, time::Duration};

use serde::Serialize;

use crate::{
  state::{INSTANCE_VARIABLE, PROJECT_VARIABLE, SERVICE_VARIABLE},
  sys::{self, Pid, ProcessId, SocketScope, TcpState},
};

/// What a trial bind and the kernel's socket table say about a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PortStatus {
  Free,
  /// Only TIME_WAIT leftovers: free for any server that sets SO_REUSEADDR (nearly all do).
  TimeWait,
  /// Bound by a socket that does not listen (yet): a server starting up, or a client.
  Bound,
  Listening,
  /// Nothing holds it yet, but a `dev` (of any project on this machine) claimed it for a
  /// service it is starting: it will be taken in a moment.
  Claimed,
}

impl PortStatus {
  pub(crate) fn is_free(self) -> bool {
    matches!(self, Self::Free | Self::TimeWait)
  }
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct PortReport {
  pub(crate) port: u16,
  pub(crate) status: PortStatus,
  /// Processes with a listening or bound socket on the port, listeners first.
  pub(crate) holders: Vec<Holder>,
  /// Listening or bound sockets whose process we may not see (another user's).
  pub(crate) unseen: Vec<UnseenSocket>,
  /// Accepted or outgoing connections using the port (not reasons to stop anything).
  /// `None` when a listener was found: then the kernel's connection table is not walked.
  pub(crate) connections: Option<usize>,
  /// Likewise `None` when a listener was found.
  pub(crate) time_wait: Option<TimeWait>,
  /// The claim of a `dev` service on the port, in the machine's ledger (set by `dev port`).
  pub(crate) claim: Option<PortClaim>,
}

/// A service of some project that `dev` is starting (or runs) on the port.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PortClaim {
  pub(crate) service: String,
  pub(crate) project: PathBuf,
  /// False while the service is being started.
  pub(crate) running: bool,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Holder {
  pub(crate) pid: Pid,
  #[serde(skip)]
  pub(crate) process: ProcessId,
  pub(crate) pgid: Pid,
  /// Its parent: a restart loop or supervisor that may start it again.
  pub(crate) ppid: Pid,
  pub(crate) uid: u32,
  pub(crate) user: String,
  pub(crate) command: String,
  pub(crate) cwd: Option<PathBuf>,
  /// Unix seconds.
  pub(crate) started_at: u64,
  pub(crate) addresses: Vec<IpAddr>,
  pub(crate) listening: bool,
  /// Set when the process belongs to a service that `dev` started (in any project).
  pub(crate) service: Option<DevService>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct DevService {
  pub(crate) name: String,
  pub(crate) project: PathBuf,
  pub(crate) instance: String,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct UnseenSocket {
  pub(crate) address: IpAddr,
  pub(crate) uid: u32,
  pub(crate) user: String,
  pub(crate) listening: bool,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct TimeWait {
  pub(crate) count: usize,
  /// How long until the last one expires.
  pub(crate) longest_ms: u64,
}

impl Holder {
  pub(crate) fn uptime(&self) -> Duration {
    self.process.age()
  }

  /// `python3 (pid 4242, up 2h05m)`: the program name, not the whole command line.
  pub(crate) fn short(&self) -> String {
    format!(
      "{} (pid {}, up {})",
      program_name(&self.command),
      self.pid,
      crate::ui::format::elapsed(self.uptime())
    )
  }
}

/// `/usr/bin/python3 -m http.server` → `python3`.
pub(crate) fn program_name(command: &str) -> &str {
  let first = command.split_whitespace().next().unwrap_or(command);
  first.rsplit('/').next().unwrap_or(first)
}

/// Looks the port up. `known` are processes to check first (dev's own services): when they
/// hold every socket, the scan of all processes is skipped.
///
/// Listening sockets are asked for first (tens of µs); only when nothing listens is the
/// kernel's whole connection table walked, to tell TIME_WAIT from bound from free.
pub(crate) fn inspect(port: u16, known: &[Pid]) -> PortReport {
  let mut sockets = sys::port_sockets(port, SocketScope::Listening, known);
  let (mut time_wait, mut connections) = (None, None);
  if sockets.is_empty() {
    sockets = sys::port_sockets(port, SocketScope::All, known);
    let mut waiting = TimeWait::default();
    let mut connected = 0;
    for socket in &sockets {
      match socket.state {
        TcpState::TimeWait => {
          waiting.count += 1;
          waiting.longest_ms = waiting.longest_ms.max(socket.expires.as_millis() as u64);
        }
        TcpState::Connected => connected += 1,
        TcpState::Listen | TcpState::Bound => {}
      }
    }
    time_wait = Some(waiting);
    connections = Some(connected);
  }
  let held: Vec<&sys::PortSocket> = sockets
    .iter()
    .filter(|s| matches!(s.state, TcpState::Listen | TcpState::Bound))
    .collect();
  let mut users = UserNames::default();
  let mut holders: Vec<Holder> = Vec::new();
  for socket in &held {
    for pid in &socket.owners {
      add_holder(&mut holders, &mut users, *pid, socket);
    }
  }
  holders.sort_by_key(|h| (!h.listening, h.pid));
  let unseen: Vec<UnseenSocket> = held
    .iter()
    .filter(|socket| socket.owners.is_empty())
    .map(|socket| UnseenSocket {
      address: socket.address,
      uid: socket.uid,
      user: users.get(socket.uid),
      listening: socket.state == TcpState::Listen,
    })
    .collect();
  let listening = held.iter().any(|s| s.state == TcpState::Listen);
  let status = if listening {
    PortStatus::Listening
  } else if !super::is_bindable(port) {
    PortStatus::Bound
  } else if time_wait.is_some_and(|w| w.count > 0) {
    PortStatus::TimeWait
  } else {
    PortStatus::Free
  };
  PortReport {
    port,
    status,
    holders,
    unseen,
    connections,
    time_wait,
    claim: None,
  }
}

/// One more socket of `pid`: a new holder, or another address of one already found.
fn add_holder(
  holders: &mut Vec<Holder>,
  users: &mut UserNames,
  pid: Pid,
  socket: &sys::PortSocket,
) {
  let listening = socket.state == TcpState::Listen;
  if let Some(holder) = holders.iter_mut().find(|h| h.pid == pid) {
    if !holder.addresses.contains(&socket.address) {
      holder.addresses.push(socket.address);
    }
    holder.listening |= listening;
    return;
  }
  let (Some(process), Some(info)) = (ProcessId::of(pid), sys::process_info(pid)) else {
    return;
  };
  let uid = sys::process_uid(pid).unwrap_or(socket.uid);
  holders.push(Holder {
    pid,
    process,
    pgid: info.pgid,
    ppid: info.ppid,
    uid,
    user: users.get(uid),
    command: sys::command_line(pid).unwrap_or_else(|| info.comm.clone()),
    cwd: sys::process_cwd(pid),
    started_at: process.started_unix(),
    addresses: vec![socket.address],
    listening,
    service: dev_service(pid),
  });
}

/// The dev service a process belongs to, from the markers every service process inherits.
pub(crate) fn dev_service(pid: Pid) -> Option<DevService> {
  let [name, project, instance] = <[Option<String>; 3]>::try_from(sys::environment_variables(
    pid,
    &[SERVICE_VARIABLE, PROJECT_VARIABLE, INSTANCE_VARIABLE],
  ))
  .ok()?;
  Some(DevService {
    name: name?,
    project: project?.into(),
    instance: instance?,
  })
}

#[derive(Default)]
struct UserNames(HashMap<u32, String>);

impl UserNames {
  fn get(&mut self, uid: u32) -> String {
    self
      .0
      .entry(uid)
      .or_insert_with(|| sys::user_name(uid).unwrap_or_else(|| uid.to_string()))
      .clone()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn program_name_drops_the_path_and_arguments() {
    assert_eq!(
      program_name("/usr/bin/python3 -m http.server 8000"),
      "python3"
    );
    assert_eq!(program_name("node"), "node");
  }

  #[test]
  fn this_process_is_found_as_the_listener() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let report = inspect(port, &[]);
    assert_eq!(report.status, PortStatus::Listening);
    assert_eq!(report.holders.len(), 1);
    assert_eq!(report.holders[0].pid, std::process::id());
    assert!(report.holders[0].listening);
    drop(listener);
    assert_eq!(inspect(port, &[]).status, PortStatus::Free);
  }
}
