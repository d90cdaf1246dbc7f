//! One client connection: read the first request's head, find the service by its Host,
//! connect to it (waiting while it restarts), then splice bytes both ways until either side
//! closes. Bodies stream through (nothing is buffered whole), keep-alive is the service's
//! own, and a WebSocket (or any `Upgrade`) simply goes on after the 101.
//!
//! Why splice rather than parse every request: a browser uses a connection for one origin
//! only, so every request on it has the same Host; the proxy adds nothing per request.

use std::{
  io::{Read, Write},
  net::{Shutdown, SocketAddr, TcpStream},
  thread,
  time::{Duration, Instant},
};

use super::{
  page,
  routes::{Found, Routes},
};

/// The largest request head read before giving up on a client.
const MAX_HEAD: usize = 64 * 1024;
/// How long a request waits for a service that is restarting (its port refuses meanwhile).
pub(crate) const RESTART_WAIT: Duration = Duration::from_secs(15);
const BUFFER: usize = 64 * 1024;

pub(crate) fn handle(mut client: TcpStream, routes: &Routes, proxy_port: u16) {
  let _ = client.set_nodelay(true);
  let _ = client.set_read_timeout(Some(Duration::from_secs(60)));
  let Some(head) = read_head(&mut client) else {
    return;
  };
  let _ = client.set_read_timeout(None);
  let request = Request::parse(&head);
  let Some(host) = request.host.as_deref() else {
    let _ = client.write_all(&page::response(
      "400 Bad Request",
      "dev: a request without a Host header cannot be routed by name\n",
    ));
    return;
  };
  if !is_named(host) {
    let _ = client.write_all(&page::index(&routes.all(true), proxy_port));
    return;
  }
  match connect(routes, host, &head, request.has_body) {
    Ok((backend, first)) => {
      let _ = client.write_all(&first);
      splice(client, backend);
    }
    Err(reply) => {
      let _ = client.write_all(&reply);
    }
  }
}

/// `web.shop.localhost:7355`, not `127.0.0.1:7355` or `localhost:7355` (the index page).
fn is_named(host: &str) -> bool {
  let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
  name
    .trim_end_matches('.')
    .to_ascii_lowercase()
    .ends_with(".localhost")
}

/// The bytes up to and including the end of the request head, and whatever followed them
/// in the same reads (the start of a body, a pipelined request): all of it is forwarded.
fn read_head(client: &mut TcpStream) -> Option<Vec<u8>> {
  let mut head = Vec::with_capacity(2048);
  let mut chunk = [0u8; 8192];
  loop {
    let read = client.read(&mut chunk).ok().filter(|n| *n > 0)?;
    head.extend_from_slice(&chunk[..read]);
    if head.windows(4).any(|w| w == b"\r\n\r\n") {
      return Some(head);
    }
    if head.len() > MAX_HEAD {
      let _ = client.write_all(&page::response(
        "431 Request Header Fields Too Large",
        "dev: request head over 64 KiB\n",
      ));
      return None;
    }
  }
}

struct Request {
  host: Option<String>,
  /// A body follows the head (`content-length` > 0 or chunked): the request cannot be sent
  /// again to a service that closed before answering.
  has_body: bool,
}

impl Request {
  fn parse(head: &[u8]) -> Self {
    let end = head
      .windows(4)
      .position(|w| w == b"\r\n\r\n")
      .unwrap_or(head.len());
    let text = String::from_utf8_lossy(&head[..end]);
    let mut request = Request {
      host: None,
      has_body: false,
    };
    for line in text.split("\r\n").skip(1) {
      let Some((name, value)) = line.split_once(':') else {
        continue;
      };
      let value = value.trim();
      match name.trim().to_ascii_lowercase().as_str() {
        "host" => request.host = Some(value.to_owned()),
        "content-length" => request.has_body |= value != "0",
        "transfer-encoding" => request.has_body = true,
        _ => {}
      }
    }
    request
  }
}

/// A connection to the service `host` names, with the request sent and the first bytes of
/// its answer read: a service that refuses (restarting onto its new port) is tried again
/// until `RESTART_WAIT`, the ledger read afresh each time; one that closes before answering
/// a request without a body (stopped as it arrived) gets the request again.
fn connect(
  routes: &Routes,
  host: &str,
  head: &[u8],
  has_body: bool,
) -> Result<(TcpStream, Vec<u8>), Vec<u8>> {
  let started = Instant::now();
  let mut pause = Duration::from_millis(5);
  let mut last_port = 0;
  let mut verify = false;
  while started.elapsed() < RESTART_WAIT {
    let port = match routes.find(host, verify) {
      Found::Port(port) => port,
      // Not even tried: another program may answer on its port while it is down.
      Found::Down(port) => {
        (last_port, verify) = (port, true);
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
        continue;
      }
      Found::Missing(_) if !verify => {
        verify = true;
        continue;
      }
      Found::Missing(missing) => return Err(page::missing(&missing, super::listening_port())),
    };
    // From the second try on, a claim whose keeper died is no route any more.
    verify = true;
    last_port = port;
    if let Some(mut backend) = open(port)
      && backend.write_all(head).is_ok()
    {
      if has_body {
        return Ok((backend, Vec::new()));
      }
      let mut first = vec![0u8; BUFFER];
      if let Ok(read @ 1..) = backend.read(&mut first) {
        first.truncate(read);
        return Ok((backend, first));
      }
    }
    thread::sleep(pause);
    pause = (pause * 2).min(Duration::from_millis(100));
  }
  Err(page::unreachable(host, last_port, "15 s"))
}

/// Services listen on 127.0.0.1 or on ::1 (Vite's `localhost` on some systems).
fn open(port: u16) -> Option<TcpStream> {
  let timeout = Duration::from_secs(2);
  ["127.0.0.1", "::1"].iter().find_map(|ip| {
    let address = SocketAddr::new(ip.parse().ok()?, port);
    let stream = TcpStream::connect_timeout(&address, timeout).ok()?;
    let _ = stream.set_nodelay(true);
    Some(stream)
  })
}

/// Copies both ways until both directions end; an end in one direction is passed on as a
/// half-close, so a client that sends its whole body and then waits still gets its answer.
fn splice(client: TcpStream, backend: TcpStream) {
  let (Ok(client_reader), Ok(backend_writer)) = (client.try_clone(), backend.try_clone()) else {
    return;
  };
  let Ok(client_again) = client.try_clone() else {
    return;
  };
  let upstream = thread::spawn(move || pump(client_reader, backend_writer));
  pump(backend, client);
  // The service closed: nothing the client sends now has anywhere to go.
  let _ = client_again.shutdown(Shutdown::Read);
  let _ = upstream.join();
}

fn pump(from: TcpStream, to: TcpStream) {
  if crate::sys::relay(&from, &to).is_err() {
    // One side is gone: stop reading from the other too.
    let _ = from.shutdown(Shutdown::Both);
  }
  let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
  use super::Request;

  #[test]
  fn the_head_says_where_and_whether_a_body_follows() {
    let get = Request::parse(b"GET / HTTP/1.1\r\nHost: web.shop.localhost:7355\r\n\r\n");
    assert_eq!(get.host.as_deref(), Some("web.shop.localhost:7355"));
    assert!(!get.has_body);
    let post = Request::parse(b"POST / HTTP/1.1\r\nhost: a\r\nContent-Length: 3\r\n\r\nabc");
    assert!(post.has_body);
    let chunked = Request::parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert!(chunked.has_body && chunked.host.is_none());
  }
}
