//! Port owners on Windows: `GetExtendedTcpTable` / `GetExtendedTcp6Table` with
//! `TCP_TABLE_OWNER_PID_ALL` give every TCP socket with its state and owning pid — listeners,
//! TIME_WAIT and connections alike — without parsing netstat (whose name lookups and
//! missing LISTENING filter made kill-port users end the wrong process).

use std::{
  net::{IpAddr, Ipv4Addr, Ipv6Addr},
  time::Duration,
};

use windows_sys::Win32::{
  Foundation::{ERROR_INSUFFICIENT_BUFFER, NO_ERROR},
  NetworkManagement::IpHelper::{
    GetExtendedTcpTable, MIB_TCP_STATE_CLOSED, MIB_TCP_STATE_DELETE_TCB, MIB_TCP_STATE_LISTEN,
    MIB_TCP_STATE_TIME_WAIT, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID, TCP_TABLE_OWNER_PID_ALL,
  },
  Networking::WinSock::{AF_INET, AF_INET6},
};

use crate::sys::{Pid, PortSocket, SocketScope, TcpState};

/// One row of either table.
struct Row {
  address: IpAddr,
  port: u16,
  state: TcpState,
  pid: Pid,
}

fn state_of(raw: i32) -> Option<TcpState> {
  match raw {
    MIB_TCP_STATE_LISTEN => Some(TcpState::Listen),
    MIB_TCP_STATE_TIME_WAIT => Some(TcpState::TimeWait),
    MIB_TCP_STATE_CLOSED | MIB_TCP_STATE_DELETE_TCB => None,
    _ => Some(TcpState::Connected),
  }
}

/// The raw table of one family, as the call fills it (header + rows), aligned for its rows.
fn table(family: u16) -> Vec<u64> {
  let mut buffer: Vec<u64> = vec![0; 2048];
  for _ in 0..4 {
    let mut size = (buffer.len() * 8) as u32;
    // SAFETY: a writable buffer of `size` bytes; the call says when it needs more.
    let result = unsafe {
      GetExtendedTcpTable(
        buffer.as_mut_ptr().cast(),
        &raw mut size,
        0,
        u32::from(family),
        TCP_TABLE_OWNER_PID_ALL,
        0,
      )
    };
    match result {
      NO_ERROR => return buffer,
      ERROR_INSUFFICIENT_BUFFER => buffer = vec![0; size as usize / 8 + 64],
      _ => return Vec::new(),
    }
  }
  Vec::new()
}

/// The rows of a table: a u32 count, then `T`s aligned to their own size.
fn rows<T>(buffer: &[u64]) -> &[T] {
  if buffer.is_empty() {
    return &[];
  }
  let base = buffer.as_ptr().cast::<u8>();
  // SAFETY: the call filled the count at the start of the buffer.
  let count = unsafe { base.cast::<u32>().read() } as usize;
  let offset = std::mem::align_of::<T>().max(4);
  let room = (buffer.len() * 8).saturating_sub(offset) / std::mem::size_of::<T>();
  // SAFETY: the rows follow the count, within the buffer, aligned (the buffer is u64s).
  unsafe { std::slice::from_raw_parts(base.add(offset).cast::<T>(), count.min(room)) }
}

fn all_rows() -> Vec<Row> {
  let mut found = Vec::new();
  let v4 = table(AF_INET);
  for row in rows::<MIB_TCPROW_OWNER_PID>(&v4) {
    if let Some(state) = state_of(row.dwState as i32) {
      found.push(Row {
        address: IpAddr::V4(Ipv4Addr::from(row.dwLocalAddr.to_ne_bytes())),
        port: u16::from_be(row.dwLocalPort as u16),
        state,
        pid: row.dwOwningPid,
      });
    }
  }
  let v6 = table(AF_INET6);
  for row in rows::<MIB_TCP6ROW_OWNER_PID>(&v6) {
    if let Some(state) = state_of(row.dwState as i32) {
      found.push(Row {
        address: IpAddr::V6(Ipv6Addr::from(row.ucLocalAddr)),
        port: u16::from_be(row.dwLocalPort as u16),
        state,
        pid: row.dwOwningPid,
      });
    }
  }
  found
}

/// The sockets on `port` with their owners (a TIME_WAIT row is owned by pid 0: no one).
pub(crate) fn port_sockets(port: u16, scope: SocketScope, _known: &[Pid]) -> Vec<PortSocket> {
  all_rows()
    .into_iter()
    .filter(|row| row.port == port)
    .filter(|row| scope == SocketScope::All || row.state == TcpState::Listen)
    .map(|row| {
      let owners: Vec<Pid> = (row.pid != 0).then_some(row.pid).into_iter().collect();
      PortSocket {
        address: row.address,
        state: row.state,
        uid: owners
          .first()
          .and_then(|pid| super::process::process_uid(*pid))
          .unwrap_or(super::users::ME),
        // Windows does not say when a TIME_WAIT row will go.
        expires: Duration::ZERO,
        owners,
      }
    })
    .collect()
}

/// Every port some TCP socket listens on, sorted: one read of the owner tables, however
/// many ports are awaited.
pub(crate) fn listening_ports() -> Option<Vec<u16>> {
  let mut ports: Vec<u16> = all_rows()
    .into_iter()
    .filter(|row| row.state == TcpState::Listen)
    .map(|row| row.port)
    .collect();
  ports.sort_unstable();
  ports.dedup();
  Some(ports)
}

/// The ports these processes listen on.
pub(crate) fn listening_ports_of(pids: &[Pid]) -> Vec<u16> {
  let mut ports: Vec<u16> = all_rows()
    .into_iter()
    .filter(|row| row.state == TcpState::Listen && pids.contains(&row.pid))
    .map(|row| row.port)
    .collect();
  ports.sort_unstable();
  ports.dedup();
  ports
}
