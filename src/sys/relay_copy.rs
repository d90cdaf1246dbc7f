//! Bytes from one socket to another: a read/write loop, where the OS has no splice (macOS,
//! Windows) or splice is refused (Linux's fallback).

use std::{
  io::{self, Read, Write},
  net::TcpStream,
};

/// Copies until `from` ends (Ok) or either side fails (Err).
pub(crate) fn relay(mut from: &TcpStream, mut to: &TcpStream) -> io::Result<()> {
  let mut buffer = vec![0u8; 64 * 1024];
  loop {
    match from.read(&mut buffer) {
      Ok(0) => return Ok(()),
      Ok(read) => to.write_all(&buffer[..read])?,
      Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
      Err(error) => return Err(error),
    }
  }
}
