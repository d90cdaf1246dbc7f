//! Linux: the TCP sockets bound to a port, read from the kernel, and the processes that hold
//! them.
//!
//! Sockets come from NETLINK_SOCK_DIAG with a kernel-side filter on the local port (tens of
//! microseconds whatever the number of sockets); `/proc/net/tcp{,6}` is the fallback where
//! netlink is unavailable (it costs milliseconds: the kernel prints every socket). Holders are
//! found by their file descriptors (`/proc/<pid>/fd/* → socket:[inode]`); processes we may not
//! read (other users', EACCES) are skipped, and the caller is told which sockets stayed unowned.

use std::{
  fs,
  net::{IpAddr, Ipv4Addr, Ipv6Addr},
  time::Duration,
};

use super::{
  sock_diag::{every_listening_socket, listening_sockets, netlink_sockets},
  tcp::TcpSocket,
};
use crate::sys::{Pid, PortSocket, SocketScope, TcpState};

/// The TCP sockets (IPv4 and IPv6) in `scope` on `port`, each listening or bound one with the
/// processes that hold it. `known` are checked first (dev's own services): when they hold
/// every socket, the scan of all processes is skipped.
pub(crate) fn port_sockets(port: u16, scope: SocketScope, known: &[Pid]) -> Vec<PortSocket> {
  let sockets = tcp_sockets(port, scope);
  let held: Vec<u64> = sockets
    .iter()
    .filter(|s| matches!(s.state, TcpState::Listen | TcpState::Bound) && s.inode != 0)
    .map(|s| s.inode)
    .collect();
  let owners = if held.is_empty() {
    Vec::new()
  } else {
    socket_holders(&held, known)
  };
  sockets
    .into_iter()
    .map(|socket| PortSocket {
      address: socket.address,
      state: socket.state,
      uid: socket.uid,
      expires: socket.expires,
      owners: owners
        .iter()
        .filter(|(_, inode)| *inode == socket.inode && socket.inode != 0)
        .map(|(pid, _)| *pid)
        .collect(),
    })
    .collect()
}

/// The TCP sockets (IPv4 and IPv6) in `scope` whose local port is `port`.
fn tcp_sockets(port: u16, scope: SocketScope) -> Vec<TcpSocket> {
  match netlink_sockets(port, scope) {
    Ok(sockets) => sockets,
    Err(_) => proc_net_sockets(port)
      .into_iter()
      .filter(|s| scope == SocketScope::All || s.state == TcpState::Listen)
      .collect(),
  }
}

/// Which of these socket inodes each process holds: `(pid, inode)` pairs. `first` is checked
/// before the full scan; when it accounts for every inode the scan is skipped.
fn socket_holders(inodes: &[u64], first: &[Pid]) -> Vec<(Pid, u64)> {
  let mut found: Vec<(Pid, u64)> = first
    .iter()
    .flat_map(|pid| sockets_of(*pid, inodes).into_iter().map(move |i| (*pid, i)))
    .collect();
  if inodes
    .iter()
    .all(|inode| found.iter().any(|(_, i)| i == inode))
  {
    return found;
  }
  for pid in super::process::all_pids() {
    if !first.contains(&pid) {
      found.extend(sockets_of(pid, inodes).into_iter().map(|i| (pid, i)));
    }
  }
  found
}

/// Every port some TCP socket listens on (IPv4 or IPv6, any address), sorted: one look at
/// the kernel's small listening table (tens of microseconds), however many ports are awaited.
/// `None` when netlink cannot be asked: `/proc/net/tcp` would cost milliseconds a look.
pub(crate) fn listening_ports() -> Option<Vec<u16>> {
  let mut ports: Vec<u16> = every_listening_socket()
    .ok()?
    .iter()
    .map(|socket| socket.port)
    .collect();
  ports.sort_unstable();
  ports.dedup();
  Some(ports)
}

/// The ports these processes listen on (a service's tree), sorted.
pub(crate) fn listening_ports_of(pids: &[Pid]) -> Vec<u16> {
  let listening = listening_sockets();
  let inodes: Vec<u64> = listening.iter().map(|s| s.inode).collect();
  let held: Vec<u64> = pids
    .iter()
    .flat_map(|pid| sockets_of(*pid, &inodes))
    .collect();
  let mut ports: Vec<u16> = listening
    .iter()
    .filter(|s| held.contains(&s.inode))
    .map(|s| s.port)
    .collect();
  ports.sort_unstable();
  ports.dedup();
  ports
}

/// The inodes among `inodes` that a process holds. Each `/proc/<pid>/fd/<n>` link is read
/// relative to the open directory (readlinkat), which saves the kernel a path walk per
/// descriptor: this loop is where a busy machine spends its time.
fn sockets_of(pid: Pid, inodes: &[u64]) -> Vec<u64> {
  use std::os::fd::AsRawFd;
  let Ok(directory) = fs::File::open(format!("/proc/{pid}/fd")) else {
    return Vec::new();
  };
  let Ok(entries) = fs::read_dir(format!("/proc/self/fd/{}", directory.as_raw_fd())) else {
    return Vec::new();
  };
  let mut held = Vec::new();
  let mut target = [0u8; 64];
  for entry in entries.flatten() {
    let Ok(name) = std::ffi::CString::new(entry.file_name().as_encoded_bytes()) else {
      continue;
    };
    // SAFETY: a valid directory descriptor, a NUL-terminated name, and a buffer we own.
    let length = unsafe {
      libc::readlinkat(
        directory.as_raw_fd(),
        name.as_ptr(),
        target.as_mut_ptr().cast(),
        target.len(),
      )
    };
    let Ok(length) = usize::try_from(length) else {
      continue;
    };
    if let Some(inode) = target[..length]
      .strip_prefix(b"socket:[")
      .and_then(|rest| rest.strip_suffix(b"]"))
      .and_then(|digits| std::str::from_utf8(digits).ok()?.parse::<u64>().ok())
      && inodes.contains(&inode)
      && !held.contains(&inode)
    {
      held.push(inode);
    }
  }
  held
}

/// The slow path: parse `/proc/net/tcp` and `/proc/net/tcp6`.
fn proc_net_sockets(port: u16) -> Vec<TcpSocket> {
  let mut sockets = Vec::new();
  for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
    if let Ok(table) = fs::read_to_string(file) {
      sockets.extend(
        table
          .lines()
          .skip(1)
          .filter_map(|line| parse_proc_net_line(line, port)),
      );
    }
  }
  sockets
}

/// `sl local rem st tx:rx tr:when retrnsmt uid timeout inode …`, addresses as the kernel's
/// native-endian words in hex.
fn parse_proc_net_line(line: &str, port: u16) -> Option<TcpSocket> {
  let fields: Vec<&str> = line.split_whitespace().collect();
  let (address, local_port) = fields.get(1)?.split_once(':')?;
  if u16::from_str_radix(local_port, 16).ok()? != port {
    return None;
  }
  let words: Vec<u32> = (0..address.len() / 8)
    .map(|i| u32::from_str_radix(&address[i * 8..i * 8 + 8], 16))
    .collect::<Result<_, _>>()
    .ok()?;
  let bytes: Vec<u8> = words.iter().flat_map(|word| word.to_ne_bytes()).collect();
  let address = match bytes.len() {
    4 => IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
    16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?)),
    _ => return None,
  };
  let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
  let ticks = fields
    .get(5)?
    .split_once(':')
    .and_then(|(_, when)| u64::from_str_radix(when, 16).ok())
    .unwrap_or(0);
  Some(TcpSocket {
    address,
    port,
    state: TcpState::from_kernel(state),
    uid: fields.get(7)?.parse().ok()?,
    inode: fields.get(9)?.parse().ok()?,
    expires: Duration::from_millis(ticks * 1000 / super::process::clock_ticks_per_second()),
  })
}

#[cfg(test)]
mod tests {
  use std::net::TcpListener;

  use super::*;

  #[test]
  fn netlink_and_proc_agree_on_a_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fast = netlink_sockets(port, SocketScope::All).unwrap();
    let listening = netlink_sockets(port, SocketScope::Listening).unwrap();
    assert_eq!(listening.len(), 1);
    let slow = proc_net_sockets(port);
    for sockets in [&fast, &slow] {
      assert_eq!(sockets.len(), 1, "{sockets:?}");
      assert_eq!(sockets[0].state, TcpState::Listen);
      assert_eq!(sockets[0].address, IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    assert_eq!(fast[0].inode, slow[0].inode);
    let holders = socket_holders(&[fast[0].inode], &[]);
    assert_eq!(holders, vec![(std::process::id(), fast[0].inode)]);
  }

  #[test]
  fn filter_does_not_match_other_ports() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let inode = netlink_sockets(port, SocketScope::All).unwrap()[0].inode;
    let neighbour = if port > 1024 { port - 1 } else { port + 1 };
    for scope in [SocketScope::All, SocketScope::Listening] {
      let sockets = netlink_sockets(neighbour, scope).unwrap();
      assert!(sockets.iter().all(|s| s.inode != inode));
    }
  }
}
