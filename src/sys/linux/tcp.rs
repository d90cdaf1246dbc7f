//! The kernel's view of a TCP socket, as both of its sources (sock_diag, /proc/net/tcp)
//! read it.

use std::{net::IpAddr, time::Duration};

/// TCP states as numbered by the kernel (include/net/tcp_states.h).
pub(super) const TCP_TIME_WAIT: u8 = 6;

pub(super) const TCP_CLOSE: u8 = 7;

pub(super) const TCP_LISTEN: u8 = 10;

use crate::sys::TcpState;

impl TcpState {
  pub(super) fn from_kernel(state: u8) -> Self {
    match state {
      TCP_LISTEN => Self::Listen,
      TCP_TIME_WAIT => Self::TimeWait,
      TCP_CLOSE => Self::Bound,
      _ => Self::Connected,
    }
  }
}

/// One TCP socket whose local port is the one asked about.
#[derive(Clone, Debug)]
pub(super) struct TcpSocket {
  pub(crate) address: IpAddr,
  pub(crate) port: u16,
  pub(crate) state: TcpState,
  pub(crate) uid: u32,
  /// 0 for TIME_WAIT sockets, which no process holds any more.
  pub(crate) inode: u64,
  /// For TIME_WAIT: how long until the kernel forgets the socket.
  pub(crate) expires: Duration,
}
