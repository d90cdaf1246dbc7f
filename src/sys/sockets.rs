//! TCP sockets on a port, as every backend reports them: address, state, owner.

use std::{net::IpAddr, time::Duration};

use super::Pid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpState {
  Listen,
  TimeWait,
  /// Bound but neither listening nor connected: a server between bind() and listen().
  #[cfg_attr(
    windows,
    expect(dead_code, reason = "Windows' TCP tables list no bound sockets")
  )]
  Bound,
  /// Connected, connecting or closing: a connection, not a server.
  Connected,
}

/// Which sockets to ask the kernel for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SocketScope {
  /// Listening sockets only: the kernel walks its small listening table (tens of µs).
  Listening,
  /// Every state, TIME_WAIT included: the kernel walks its whole connection table, whose
  /// size follows the machine's memory (about 2 ms per family for 256K buckets here).
  All,
}

/// One TCP socket on a port, with the processes that hold it: none for a TIME_WAIT leftover
/// or a connection, and none we may see for another user's.
#[derive(Clone, Debug)]
pub(crate) struct PortSocket {
  pub(crate) address: IpAddr,
  pub(crate) state: TcpState,
  pub(crate) uid: u32,
  /// For TIME_WAIT: how long until the kernel forgets the socket.
  pub(crate) expires: Duration,
  pub(crate) owners: Vec<Pid>,
}
