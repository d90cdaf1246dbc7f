//! Ports: who holds one ([`holders`]), stopping them safely ([`release`]), choosing ports for
//! services with fallbacks and reservations ([`allocate`]), and the trial bind that decides
//! whether a port is free.

pub(crate) mod allocate;
pub(crate) mod holders;
pub(crate) mod ledger;
pub(crate) mod overrides;
pub(crate) mod ranges;
pub(crate) mod release;
mod runtime_dir;
pub(crate) mod taken;

use std::{
  io::ErrorKind,
  net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener},
};

/// A port as the user types it on the command line (clap value parser): 1–65535.
pub(crate) fn parse_port(text: &str) -> Result<u16, String> {
  match text.trim().parse::<i64>() {
    Ok(port @ 1..=65535) => Ok(port as u16),
    Ok(port) => Err(format!(
      "port {port} is out of range: ports go from 1 to 65535"
    )),
    Err(_) => Err(format!("`{text}` is not a port number (1–65535)")),
  }
}

/// The addresses dev servers bind: a port is free only if a server could bind all of them.
const TRIAL_ADDRESSES: [SocketAddr; 4] = [
  SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
  SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
  SocketAddr::new(std::net::IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
  SocketAddr::new(std::net::IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
];

/// Whether a server could bind `port` right now, decided the way servers bind: std sets
/// SO_REUSEADDR on Unix, so TIME_WAIT leftovers do not count, exactly as for uvicorn, node
/// or Vite. Addresses the machine lacks (no IPv6) and privileged ports (EACCES) are skipped:
/// they say nothing about who holds the port.
pub(crate) fn is_bindable(port: u16) -> bool {
  TRIAL_ADDRESSES.iter().all(|address| {
    let mut address = *address;
    address.set_port(port);
    match TcpListener::bind(address) {
      Ok(_) => true,
      Err(error) => error.kind() != ErrorKind::AddrInUse,
    }
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_listener_on_loopback_makes_the_port_unbindable() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(!is_bindable(port));
    drop(listener);
    assert!(is_bindable(port));
  }
}
