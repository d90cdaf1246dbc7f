//! HTTP/1.1 framing, as a client must read it: the status line and headers, then a body
//! by Content-Length, in chunks, or until the server closes — each bounded.

use std::io::{self, Read, Write};

use super::{Answer, short_error};

/// A body is searched in its first megabyte.
const BODY_LIMIT: usize = 1 << 20;
const HEADER_LIMIT: usize = 64 * 1024;

/// Sends the request and reads the answer: the headers, then the body only when asked.
pub(super) fn exchange(
  stream: &mut impl ReadWrite,
  request: &str,
  want_body: bool,
) -> Result<Answer, String> {
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

pub(super) trait ReadWrite: Read + Write {}
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
