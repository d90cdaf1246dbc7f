//! The health probe's HTTP/1.1 GET: a handful of microseconds instead of an HTTP client's
//! set-up, framed as a client must (Content-Length, chunked bodies, a body left unread when
//! nobody asks about it) and bounded by one deadline for the whole probe, however slowly a
//! server drips its answer. `https://` goes through rustls: a self-signed certificate (Vite's
//! basicSsl, mkcert, `next dev --experimental-https`) is accepted on loopback addresses only,
//! where the server is on this machine anyway; anywhere else it is verified.

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

/// A body is searched in its first megabyte.
const BODY_LIMIT: usize = 1 << 20;
const HEADER_LIMIT: usize = 64 * 1024;

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

/// Sends the request and reads the answer: the headers, then the body only when asked.
fn exchange(stream: &mut impl ReadWrite, request: &str, want_body: bool) -> Result<Answer, String> {
  stream
    .write_all(request.as_bytes())
    .and_then(|()| stream.flush())
    .map_err(|error| short_error(&error))?;
  let mut reader = Buffered::new(stream);
  let head = reader.until(b"\r\n\r\n", HEADER_LIMIT)?;
  let head = String::from_utf8_lossy(&head);
  let mut lines = head.split("\r\n");
  let status = lines
    .next()
    .filter(|line| line.starts_with("HTTP/"))
    .and_then(|line| line.split_whitespace().nth(1))
    .and_then(|code| code.parse::<u16>().ok())
    .ok_or("not an HTTP response")?;
  let (mut length, mut chunked, mut location) = (None, false, None);
  for line in lines {
    let Some((name, value)) = line.split_once(':') else {
      continue;
    };
    let value = value.trim();
    match name.trim().to_ascii_lowercase().as_str() {
      "content-length" => length = value.parse::<usize>().ok(),
      "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
      "location" => location = Some(value.to_owned()),
      _ => {}
    }
  }
  let body = if !want_body {
    None
  } else if chunked {
    Some(reader.chunked()?)
  } else if let Some(length) = length {
    Some(reader.exactly(length.min(BODY_LIMIT))?)
  } else {
    Some(reader.until_closed()?)
  };
  Ok(Answer {
    status,
    location,
    body,
  })
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Reads from a stream through a buffer, for framing.
struct Buffered<'a, S: Read> {
  stream: &'a mut S,
  buffer: Vec<u8>,
}

impl<'a, S: Read> Buffered<'a, S> {
  fn new(stream: &'a mut S) -> Self {
    Self {
      stream,
      buffer: Vec::with_capacity(4096),
    }
  }

  /// Reads more; false at the end of the stream.
  fn fill(&mut self) -> Result<bool, String> {
    let mut chunk = [0u8; 8192];
    match self.stream.read(&mut chunk) {
      Ok(0) => Ok(false),
      Ok(read) => {
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(true)
      }
      Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(true),
      // A TLS server that hangs up without close_notify: the end, as for plain HTTP.
      Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
      Err(error) => Err(short_error(&error)),
    }
  }

  /// Everything up to and including `marker`.
  fn until(&mut self, marker: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut searched = 0;
    loop {
      if let Some(at) = self.buffer[searched..]
        .windows(marker.len())
        .position(|w| w == marker)
      {
        let end = searched + at + marker.len();
        return Ok(self.buffer.drain(..end).collect());
      }
      searched = self.buffer.len().saturating_sub(marker.len());
      if self.buffer.len() > limit {
        return Err(format!("no end of headers in the first {limit} bytes"));
      }
      if !self.fill()? {
        return Err(if self.buffer.is_empty() {
          "the server closed the connection without answering".into()
        } else {
          "the answer was cut short".into()
        });
      }
    }
  }

  fn exactly(&mut self, length: usize) -> Result<Vec<u8>, String> {
    while self.buffer.len() < length {
      if !self.fill()? {
        break;
      }
    }
    let end = length.min(self.buffer.len());
    Ok(self.buffer.drain(..end).collect())
  }

  fn until_closed(&mut self) -> Result<Vec<u8>, String> {
    while self.buffer.len() < BODY_LIMIT && self.fill()? {}
    self.buffer.truncate(BODY_LIMIT);
    Ok(std::mem::take(&mut self.buffer))
  }

  /// A chunked body, decoded: `<hex size>[;ext]\r\n<data>\r\n` … `0\r\n\r\n`.
  fn chunked(&mut self) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
      let line = self.until(b"\r\n", 1024)?;
      let size = String::from_utf8_lossy(&line);
      let size = size.trim().split(';').next().unwrap_or("").trim();
      let size = usize::from_str_radix(size, 16).map_err(|_| "a malformed chunked body")?;
      if size == 0 || body.len() >= BODY_LIMIT {
        return Ok(body);
      }
      let data = self.exactly(size)?;
      if data.len() < size {
        return Err("the answer was cut short".into());
      }
      body.extend_from_slice(&data);
      self.exactly(2)?;
    }
  }
}

#[cfg(feature = "https")]
mod tls {
  //! TLS for `https://` probes.

  use std::sync::{Arc, OnceLock};

  use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, ServerName, UnixTime},
  };

  use super::Deadlined;

  /// The handshake, on a connection to `host`; any certificate on loopback.
  pub(super) fn connect<'a>(
    host: &str,
    loopback: bool,
    stream: &'a mut Deadlined,
  ) -> Result<StreamOwned<ClientConnection, &'a mut Deadlined>, String> {
    let name = ServerName::try_from(host.to_owned())
      .map_err(|_| format!("`{host}` is not a name TLS can check"))?;
    let config = if loopback { &LOOPBACK } else { &VERIFIED };
    let config = config.get_or_init(|| build(loopback)).clone();
    let mut connection =
      ClientConnection::new(config, name).map_err(|error| format!("TLS: {error}"))?;
    while connection.is_handshaking() {
      connection
        .complete_io(stream)
        .map_err(|error| format!("TLS handshake: {error}"))?;
    }
    Ok(StreamOwned::new(connection, stream))
  }

  static LOOPBACK: OnceLock<Arc<ClientConfig>> = OnceLock::new();
  static VERIFIED: OnceLock<Arc<ClientConfig>> = OnceLock::new();

  fn build(loopback: bool) -> Arc<ClientConfig> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
      .with_safe_default_protocol_versions()
      .expect("ring supports the default protocol versions");
    let config = if loopback {
      builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth()
    } else {
      let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
      builder.with_root_certificates(roots).with_no_client_auth()
    };
    Arc::new(config)
  }

  /// Accepts whatever certificate a server on this very machine shows (dev servers use
  /// self-signed ones), while still checking that the handshake is signed by its key.
  #[derive(Debug)]
  struct AnyCertificate(Arc<CryptoProvider>);

  impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
      &self,
      _end_entity: &CertificateDer<'_>,
      _intermediates: &[CertificateDer<'_>],
      _server_name: &ServerName<'_>,
      _ocsp_response: &[u8],
      _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
      Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
      &self,
      message: &[u8],
      cert: &CertificateDer<'_>,
      dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
      verify_tls12_signature(
        message,
        cert,
        dss,
        &self.0.signature_verification_algorithms,
      )
    }

    fn verify_tls13_signature(
      &self,
      message: &[u8],
      cert: &CertificateDer<'_>,
      dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
      verify_tls13_signature(
        message,
        cert,
        dss,
        &self.0.signature_verification_algorithms,
      )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
      self.0.signature_verification_algorithms.supported_schemes()
    }
  }
}

#[cfg(not(feature = "https"))]
mod tls {
  use super::Deadlined;

  pub(super) fn connect<'a>(
    _host: &str,
    _loopback: bool,
    _stream: &'a mut Deadlined,
  ) -> Result<&'a mut Deadlined, String> {
    Err("this dev was built without the `https` feature".into())
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
