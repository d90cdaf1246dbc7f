//! The kernel's socket table through NETLINK_SOCK_DIAG (what `ss` uses): one request per
//! address family, filtered to the port in the kernel, answered in microseconds.

use std::{
  fs,
  io::{self, Read, Write},
  net::{IpAddr, Ipv4Addr, Ipv6Addr},
  os::fd::{FromRawFd, OwnedFd},
  time::Duration,
};

use super::tcp::{TCP_LISTEN, TcpSocket};
use crate::sys::{SocketScope, TcpState};

const SOCK_DIAG_BY_FAMILY: u16 = 20;

const NLMSG_ERROR: u16 = 2;

const NLMSG_DONE: u16 = 3;

const INET_DIAG_REQ_BYTECODE: u16 = 1;

const INET_DIAG_BC_S_GE: u8 = 2;

const INET_DIAG_BC_S_LE: u8 = 3;

const NLMSG_HEADER: usize = 16;

const INET_DIAG_MSG: usize = 72;

pub(super) fn netlink_sockets(port: u16, scope: SocketScope) -> io::Result<Vec<TcpSocket>> {
  netlink_dump(Some(port), scope)
}

/// Every listening TCP socket on the machine (the listening table is small).
pub(super) fn listening_sockets() -> Vec<TcpSocket> {
  every_listening_socket().unwrap_or_default()
}

/// `listening_sockets`, saying when the kernel could not be asked.
pub(super) fn every_listening_socket() -> io::Result<Vec<TcpSocket>> {
  netlink_dump(None, SocketScope::Listening)
}

fn netlink_dump(port: Option<u16>, scope: SocketScope) -> io::Result<Vec<TcpSocket>> {
  // SAFETY: socket(2) with constant arguments; the result is checked before use.
  let fd = unsafe {
    libc::socket(
      libc::AF_NETLINK,
      libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
      libc::NETLINK_SOCK_DIAG,
    )
  };
  if fd < 0 {
    return Err(io::Error::last_os_error());
  }
  // SAFETY: fd is a fresh descriptor that nothing else owns.
  let mut socket = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
  let mut sockets = Vec::new();
  for family in [libc::AF_INET as u8, libc::AF_INET6 as u8] {
    socket.write_all(&diag_request(family, port, scope))?;
    read_dump(&mut socket, &mut sockets)?;
  }
  Ok(sockets)
}

/// A dump request for TCP sockets of one family, filtered in the kernel to the port (when
/// one is given): by the request's source port (which lets the kernel skip other listeners
/// early) and by bytecode `port <= sport <= port` (the two-comparison form works on every
/// kernel since 2.6).
fn diag_request(family: u8, port: Option<u16>, scope: SocketScope) -> Vec<u8> {
  let mut bytecode = Vec::with_capacity(16);
  if let Some(port) = port {
    for (code, yes, no) in [(INET_DIAG_BC_S_GE, 8u8, 20u16), (INET_DIAG_BC_S_LE, 8, 12)] {
      bytecode.extend([code, yes]);
      bytecode.extend(no.to_ne_bytes());
      bytecode.extend([0, 0]);
      bytecode.extend(port.to_ne_bytes());
    }
  }
  let port = port.unwrap_or(0);
  let states: u32 = match scope {
    SocketScope::Listening => 1 << TCP_LISTEN,
    SocketScope::All => u32::MAX,
  };
  let mut body = vec![family, libc::IPPROTO_TCP as u8, 0, 0];
  body.extend(states.to_ne_bytes());
  body.extend(port.to_be_bytes()); // inet_diag_sockid: source port, network order
  body.extend([0u8; 46]); // the rest of inet_diag_sockid: any address, any peer
  if !bytecode.is_empty() {
    body.extend(((4 + bytecode.len()) as u16).to_ne_bytes());
    body.extend(INET_DIAG_REQ_BYTECODE.to_ne_bytes());
    body.extend(bytecode);
  }
  let mut message = Vec::with_capacity(NLMSG_HEADER + body.len());
  message.extend(((NLMSG_HEADER + body.len()) as u32).to_ne_bytes());
  message.extend(SOCK_DIAG_BY_FAMILY.to_ne_bytes());
  message.extend(((libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16).to_ne_bytes());
  message.extend([0u8; 8]); // sequence number, port id
  message.extend(body);
  message
}

fn read_dump(socket: &mut fs::File, sockets: &mut Vec<TcpSocket>) -> io::Result<()> {
  let mut buffer = vec![0u8; 32 * 1024];
  loop {
    let length = socket.read(&mut buffer)?;
    let mut rest = &buffer[..length];
    while rest.len() >= NLMSG_HEADER {
      let message_length = u32_at(rest, 0) as usize;
      let kind = u16::from_ne_bytes([rest[4], rest[5]]);
      if message_length < NLMSG_HEADER || message_length > rest.len() {
        return Err(io::Error::other("truncated netlink message"));
      }
      match kind {
        NLMSG_DONE => return Ok(()),
        NLMSG_ERROR => {
          let errno = i32::from_ne_bytes(rest[16..20].try_into().unwrap_or_default());
          return Err(io::Error::from_raw_os_error(-errno));
        }
        SOCK_DIAG_BY_FAMILY => {
          if let Some(socket) = parse_diag_message(&rest[NLMSG_HEADER..message_length]) {
            sockets.push(socket);
          }
        }
        _ => {}
      }
      // Messages are aligned to 4 bytes.
      let advance = (message_length + 3) & !3;
      rest = rest.get(advance..).unwrap_or_default();
    }
  }
}

fn parse_diag_message(message: &[u8]) -> Option<TcpSocket> {
  if message.len() < INET_DIAG_MSG {
    return None;
  }
  let source: [u8; 16] = message[8..24].try_into().ok()?;
  let address = if i32::from(message[0]) == libc::AF_INET {
    IpAddr::V4(Ipv4Addr::new(source[0], source[1], source[2], source[3]))
  } else {
    IpAddr::V6(Ipv6Addr::from(source))
  };
  Some(TcpSocket {
    address,
    port: u16::from_be_bytes([message[4], message[5]]),
    state: TcpState::from_kernel(message[1]),
    expires: Duration::from_millis(u64::from(u32_at(message, 52))),
    uid: u32_at(message, 64),
    inode: u64::from(u32_at(message, 68)),
  })
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
  u32::from_ne_bytes(bytes[offset..offset + 4].try_into().unwrap_or_default())
}
