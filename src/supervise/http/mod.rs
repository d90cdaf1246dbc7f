//! The health probe's HTTP/1.1 GET: a handful of microseconds instead of an HTTP client's
//! set-up, framed as a client must (Content-Length, chunked bodies, a body left unread when
//! nobody asks about it) and bounded by one deadline for the whole probe, however slowly a
//! server drips its answer. `https://` goes through rustls: a self-signed certificate (Vite's
//! basicSsl, mkcert, `next dev --experimental-https`) is accepted on loopback addresses only,
//! where the server is on this machine anyway; anywhere else it is verified.

mod framing;
#[cfg(not(feature = "https"))]
#[path = "no_tls.rs"]
mod tls;
#[cfg(feature = "https")]
mod tls;

use framing::exchange;
use std::{
  io::{self, Read, Write},
  net::{SocketAddr, TcpStream},
  time::{Duration, Instant},
};

/// What a server answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Answer {
  pub(crate) status: u16,
  /// Where a 3xx points.
  pub(crate) location: Option<String>,
  /// The body, decoded, when one was asked for (cut at `BODY_LIMIT`).
  pub(crate) body: Option<Vec<u8>>,
}

/// `http://host:port/path` or `https://…`, split.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Url<'a> {
  pub(crate) secure: bool,
  pub(crate) host: &'a str,
  pub(crate) port: u16,
  pub(crate) path: &'a str,
}

impl<'a> Url<'a> {
  pub(crate) fn parse(url: &'a str) -> Result<Self, String> {
    let (secure, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
      (Some(rest), _) => (false, rest),
      (_, Some(rest)) => (true, rest),
      _ => return Err(format!("`{url}` is not an http:// or https:// URL")),
    };
    let (authority, path) = match rest.find(['/', '?']) {
      Some(at) if rest[at..].starts_with('/') => (&rest[..at], &rest[at..]),
      Some(at) => (&rest[..at], &rest[at..]),
      None => (rest, "/"),
    };
    let default = if secure { 443 } else { 80 };
    let (host, port) = match authority.rsplit_once(':') {
      Some((host, port)) if !port.contains(']') => (
        host,
        port
          .parse()
          .map_err(|_| format!("`{port}` in `{url}` is not a port"))?,
      ),
      _ => (authority, default),
    };
    if host.is_empty() {
      return Err(format!("`{url}` has no host"));
    }
    Ok(Self {
      secure,
      host,
      port,
      path: if path.starts_with('/') { path } else { "/" },
    })
  }

  /// `127.0.0.1:8000` for the `Host:` header; the port only when it is not the default.
  fn host_header(&self) -> String {
    let default = if self.secure { 443 } else { 80 };
    if self.port == default {
      self.host.to_owned()
    } else {
      format!("{}:{}", self.host, self.port)
    }
  }

  /// The host without IPv6 brackets, for resolving and for TLS.
  pub(crate) fn bare_host(&self) -> &'a str {
    self.host.trim_start_matches('[').trim_end_matches(']')
  }
}

/// GETs the URL from one of `addresses` (already resolved), all within `timeout`.
pub(crate) fn get(
  url: &Url,
  addresses: &[SocketAddr],
  timeout: Duration,
  want_body: bool,
) -> Result<Answer, String> {
  let deadline = Instant::now() + timeout;
  let (stream, address) = connect(addresses, deadline)?;
  let request = format!(
    "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: dev-health\r\nAccept: */*\r\nConnection: close\r\n\r\n",
    url.path,
    url.host_header()
  );
  let mut connection = Deadlined { stream, deadline };
  if url.secure {
    let mut tls = tls::connect(url.bare_host(), address.ip().is_loopback(), &mut connection)?;
    exchange(&mut tls, &request, want_body)
  } else {
    exchange(&mut connection, &request, want_body)
  }
}

fn connect(addresses: &[SocketAddr], deadline: Instant) -> Result<(TcpStream, SocketAddr), String> {
  let mut last = String::from("no address to connect to");
  for address in addresses {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
      return Err(format!("timed out ({last})"));
    }
    match TcpStream::connect_timeout(address, left) {
      Ok(stream) => return Ok((stream, *address)),
      Err(error) => last = format!("{address}: {}", short_error(&error)),
    }
  }
  Err(last)
}

pub(crate) fn short_error(error: &io::Error) -> String {
  match error.kind() {
    io::ErrorKind::ConnectionRefused => "connection refused".into(),
    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".into(),
    io::ErrorKind::ConnectionReset => "connection reset".into(),
    _ => error.to_string(),
  }
}

/// A socket whose every read and write is bounded by what is left of one deadline.
struct Deadlined {
  stream: TcpStream,
  deadline: Instant,
}

impl Deadlined {
  fn left(&self) -> io::Result<Duration> {
    let left = self.deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
      Err(io::Error::from(io::ErrorKind::TimedOut))
    } else {
      Ok(left)
    }
  }
}

impl Read for Deadlined {
  fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
    let left = self.left()?;
    self.stream.set_read_timeout(Some(left))?;
    self.stream.read(buffer)
  }
}

impl Write for Deadlined {
  fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
    let left = self.left()?;
    self.stream.set_write_timeout(Some(left))?;
    self.stream.write(bytes)
  }

  fn flush(&mut self) -> io::Result<()> {
    self.stream.flush()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn urls_split_with_default_ports_and_ipv6() {
    let url = Url::parse("http://127.0.0.1:8000/health?x=1").unwrap();
    assert_eq!(
      (url.secure, url.host, url.port, url.path),
      (false, "127.0.0.1", 8000, "/health?x=1")
    );
    assert_eq!(url.host_header(), "127.0.0.1:8000");
    let url = Url::parse("https://[::1]/").unwrap();
    assert_eq!(
      (url.bare_host(), url.port, url.host_header()),
      ("::1", 443, "[::1]".into())
    );
    assert_eq!(Url::parse("http://localhost").unwrap().path, "/");
    assert!(Url::parse("ftp://x").is_err());
    assert!(Url::parse("http://:80/").is_err());
  }

  fn answer(raw: &[u8], want_body: bool) -> Result<Answer, String> {
    let mut stream = io::Cursor::new(raw.to_vec());
    struct Both<'a>(&'a mut io::Cursor<Vec<u8>>);
    impl Read for Both<'_> {
      fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.0.read(b)
      }
    }
    impl Write for Both<'_> {
      fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        Ok(b.len())
      }
      fn flush(&mut self) -> io::Result<()> {
        Ok(())
      }
    }
    exchange(&mut Both(&mut stream), "GET / HTTP/1.1\r\n\r\n", want_body)
  }

  #[test]
  fn bodies_are_framed_by_length_or_chunks() {
    let framed = answer(
      b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokTRAILING",
      true,
    )
    .unwrap();
    assert_eq!(framed.body.as_deref(), Some(&b"ok"[..]));
    // The searched word split across two chunks is whole again.
    let chunked = answer(
      b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nrea\r\n2\r\ndy\r\n0\r\n\r\n",
      true,
    )
    .unwrap();
    assert_eq!(chunked.body.as_deref(), Some(&b"ready"[..]));
    let redirect = answer(b"HTTP/1.1 302 Found\r\nLocation: /login\r\n\r\n", false).unwrap();
    assert_eq!(
      (redirect.status, redirect.location.as_deref()),
      (302, Some("/login"))
    );
    assert!(answer(b"SSH-2.0-OpenSSH\r\n\r\n", false).is_err());
    assert!(answer(b"HTTP/1.1 200 OK\r\nContent-Le", false).is_err());
  }
}
