//! macOS: the TCP sockets on a port and their owners, read from each process's descriptors
//! (`proc_pidinfo(PROC_PIDLISTFDS)` + `proc_pidfdinfo(PROC_PIDFDSOCKETINFO)`) — what lsof
//! does, without its start-up. Sockets no process holds (TIME_WAIT) and other users'
//! processes are not visible this way: the port's trial bind still tells free from taken, and
//! `dev port who` says what macOS does not show.
//!
//! The structures below follow `<sys/proc_info.h>`; their sizes are checked at compile time.

use std::{
  mem,
  net::{IpAddr, Ipv4Addr, Ipv6Addr},
  time::Duration,
};

use super::process::all_pids;
use crate::sys::{Pid, PortSocket, SocketScope, TcpState};

const PROC_PIDFDSOCKETINFO: libc::c_int = 3;
const SOCKINFO_TCP: libc::c_int = 2;
const TSI_S_CLOSED: libc::c_int = 0;
const TSI_S_LISTEN: libc::c_int = 1;
const TSI_S_TIME_WAIT: libc::c_int = 10;
const INI_IPV4: u8 = 0x1;

#[repr(C)]
struct ProcFileInfo {
  openflags: u32,
  status: u32,
  offset: i64,
  kind: i32,
  guardflags: u32,
}

#[repr(C)]
struct VinfoStat {
  dev: u32,
  mode: u16,
  nlink: u16,
  ino: u64,
  uid: u32,
  gid: u32,
  /// atime, mtime, ctime, birthtime: seconds and nanoseconds each.
  times: [i64; 8],
  size: i64,
  blocks: i64,
  blksize: i32,
  flags: u32,
  generation: u32,
  rdev: u32,
  spare: [i64; 2],
}

#[repr(C)]
struct SockbufInfo {
  counts: [u32; 5],
  flags: i16,
  timeout: i16,
}

#[repr(C)]
struct InSockinfo {
  foreign_port: libc::c_int,
  /// In network byte order.
  local_port: libc::c_int,
  generation: u64,
  flags: u32,
  flow: u32,
  version: u8,
  ttl: u8,
  reserved: u32,
  foreign_address: [u8; 16],
  /// IPv4 in the last four bytes, or IPv6.
  local_address: [u8; 16],
  v4_tos: u8,
  v6: [u32; 3],
}

#[repr(C)]
struct TcpSockinfo {
  ini: InSockinfo,
  state: libc::c_int,
  timers: [libc::c_int; 4],
  mss: libc::c_int,
  flags: u32,
  reserved: u32,
  control_block: u64,
}

/// `soi_proto`: its largest member is the Unix-domain one (528 bytes).
#[repr(C)]
union SocketProto {
  tcp: mem::ManuallyDrop<TcpSockinfo>,
  largest: [u64; 66],
}

#[repr(C)]
struct SocketInfo {
  stat: VinfoStat,
  handle: u64,
  control_block: u64,
  kind_of_socket: libc::c_int,
  protocol: libc::c_int,
  family: libc::c_int,
  shorts: [i16; 7],
  error: u16,
  oobmark: u32,
  receive: SockbufInfo,
  send: SockbufInfo,
  kind: libc::c_int,
  reserved: u32,
  proto: SocketProto,
}

#[repr(C)]
struct SocketFdInfo {
  file: ProcFileInfo,
  socket: SocketInfo,
}

const _: () = assert!(mem::size_of::<ProcFileInfo>() == 24);
const _: () = assert!(mem::size_of::<VinfoStat>() == 136);
const _: () = assert!(mem::size_of::<InSockinfo>() == 80);
const _: () = assert!(mem::size_of::<TcpSockinfo>() == 120);
const _: () = assert!(mem::size_of::<SocketInfo>() == 768);
const _: () = assert!(mem::size_of::<SocketFdInfo>() == 792);

/// One TCP socket a process holds.
struct Held {
  handle: u64,
  port: u16,
  state: TcpState,
  address: IpAddr,
  uid: u32,
}

/// The descriptors of a process (`None` for one we may not look into).
fn descriptors(pid: libc::c_int) -> Vec<libc::proc_fdinfo> {
  let entry = mem::size_of::<libc::proc_fdinfo>();
  // SAFETY: a null buffer asks for the size needed.
  let needed =
    unsafe { libc::proc_pidinfo(pid, libc::PROC_PIDLISTFDS, 0, std::ptr::null_mut(), 0) };
  let Ok(needed) = usize::try_from(needed) else {
    return Vec::new();
  };
  // Room for descriptors opened meanwhile.
  let capacity = needed / entry + 32;
  let mut fds: Vec<libc::proc_fdinfo> = Vec::with_capacity(capacity);
  // SAFETY: the buffer has room for `capacity` entries.
  let read = unsafe {
    libc::proc_pidinfo(
      pid,
      libc::PROC_PIDLISTFDS,
      0,
      fds.as_mut_ptr().cast(),
      (capacity * entry) as libc::c_int,
    )
  };
  let count = usize::try_from(read).map_or(0, |bytes| bytes / entry);
  // SAFETY: the kernel wrote `count` entries.
  unsafe { fds.set_len(count.min(capacity)) };
  fds
}

/// The TCP sockets of one process.
fn tcp_sockets_of(pid: Pid) -> Vec<Held> {
  let Ok(pid) = libc::c_int::try_from(pid) else {
    return Vec::new();
  };
  let mut held = Vec::new();
  for fd in descriptors(pid) {
    if fd.proc_fdtype != libc::PROX_FDTYPE_SOCKET as u32 {
      continue;
    }
    // SAFETY: SocketFdInfo is plain data; zeroed is a valid value.
    let mut info: SocketFdInfo = unsafe { mem::zeroed() };
    let size = mem::size_of::<SocketFdInfo>() as libc::c_int;
    // SAFETY: the buffer is a SocketFdInfo of the size given.
    let read = unsafe {
      libc::proc_pidfdinfo(
        pid,
        fd.proc_fd,
        PROC_PIDFDSOCKETINFO,
        (&raw mut info).cast(),
        size,
      )
    };
    if read != size || info.socket.kind != SOCKINFO_TCP {
      continue;
    }
    // SAFETY: soi_kind says the TCP member is the one filled in.
    let tcp = unsafe { &info.socket.proto.tcp };
    let address = if tcp.ini.version & INI_IPV4 != 0 {
      let [.., a, b, c, d] = tcp.ini.local_address;
      IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    } else {
      IpAddr::V6(Ipv6Addr::from(tcp.ini.local_address))
    };
    held.push(Held {
      handle: info.socket.handle,
      port: u16::from_be(tcp.ini.local_port as u16),
      state: match tcp.state {
        TSI_S_LISTEN => TcpState::Listen,
        TSI_S_CLOSED => TcpState::Bound,
        TSI_S_TIME_WAIT => TcpState::TimeWait,
        _ => TcpState::Connected,
      },
      address,
      uid: info.socket.stat.uid,
    });
  }
  held
}

/// The TCP sockets on `port` that processes hold, each with its holders. `known` are looked
/// at first: when they listen on the port, the other processes are not.
pub(crate) fn port_sockets(port: u16, scope: SocketScope, known: &[Pid]) -> Vec<PortSocket> {
  let mut found: Vec<(u64, PortSocket)> = Vec::new();
  for pid in known {
    add_sockets(&mut found, *pid, port, scope);
  }
  let known_listen = found
    .iter()
    .any(|(_, socket)| socket.state == TcpState::Listen);
  if !known_listen {
    for pid in all_pids().into_iter().filter(|pid| !known.contains(pid)) {
      add_sockets(&mut found, pid, port, scope);
    }
  }
  found.into_iter().map(|(_, socket)| socket).collect()
}

/// The sockets of `pid` on `port` in `scope`, merged into `found` by their kernel handle (a
/// socket shared by a parent and its child is one socket with two owners).
fn add_sockets(found: &mut Vec<(u64, PortSocket)>, pid: Pid, port: u16, scope: SocketScope) {
  for socket in tcp_sockets_of(pid) {
    let wanted =
      socket.port == port && (scope == SocketScope::All || socket.state == TcpState::Listen);
    if !wanted {
      continue;
    }
    match found
      .iter_mut()
      .find(|(handle, _)| *handle == socket.handle)
    {
      Some((_, entry)) if !entry.owners.contains(&pid) => entry.owners.push(pid),
      Some(_) => {}
      None => found.push((
        socket.handle,
        PortSocket {
          address: socket.address,
          state: socket.state,
          uid: socket.uid,
          expires: Duration::ZERO,
          owners: vec![pid],
        },
      )),
    }
  }
}

/// Every port some TCP socket listens on, where one cheap look can tell: not here yet (the
/// machine-wide table is `net.inet.tcp.pcblist_n`, not read by this backend), so each
/// awaited service is probed on its own, as before.
pub(crate) fn listening_ports() -> Option<Vec<u16>> {
  None
}

/// The ports these processes listen on.
pub(crate) fn listening_ports_of(pids: &[Pid]) -> Vec<u16> {
  let mut ports: Vec<u16> = pids
    .iter()
    .flat_map(|pid| tcp_sockets_of(*pid))
    .filter(|socket| socket.state == TcpState::Listen)
    .map(|socket| socket.port)
    .collect();
  ports.sort_unstable();
  ports.dedup();
  ports
}
