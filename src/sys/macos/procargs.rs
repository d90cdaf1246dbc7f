//! The `KERN_PROCARGS2` buffer macOS gives for a process: its argument count (a native
//! `int`), the executable's path, NUL padding, then each argument and each environment entry,
//! NUL-terminated, the environment ending at an empty entry (or the buffer's end).
//!
//! Pure, so that its unit tests run on every platform (the Linux CI included).

/// A process's arguments and environment, as raw bytes.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ProcArgs<'a> {
  pub(crate) args: Vec<&'a [u8]>,
  pub(crate) env: Vec<&'a [u8]>,
}

/// Splits the buffer; `None` when it is too short to hold the count.
pub(crate) fn parse(buffer: &[u8]) -> Option<ProcArgs<'_>> {
  let count = i32::from_ne_bytes(buffer.get(..4)?.try_into().ok()?);
  let rest = &buffer[4..];
  // The executable's path, then the NULs that pad it.
  let path_end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
  let start = rest[path_end..]
    .iter()
    .position(|b| *b != 0)
    .map_or(rest.len(), |at| path_end + at);
  let mut entries = rest[start..].split(|b| *b == 0);
  let args: Vec<&[u8]> = entries
    .by_ref()
    .take(usize::try_from(count).unwrap_or(0))
    .collect();
  let env = entries.take_while(|entry| !entry.is_empty()).collect();
  Some(ProcArgs { args, env })
}

impl ProcArgs<'_> {
  /// The arguments joined by spaces, as `ps` shows them.
  pub(crate) fn command_line(&self) -> Option<String> {
    let words: Vec<String> = self
      .args
      .iter()
      .map(|arg| String::from_utf8_lossy(arg).into_owned())
      .collect();
    (!words.is_empty()).then(|| words.join(" "))
  }

  /// The value of one environment variable.
  pub(crate) fn variable(&self, key: &str) -> Option<String> {
    self.env.iter().find_map(|entry| {
      let value = entry.strip_prefix(key.as_bytes())?.strip_prefix(b"=")?;
      Some(String::from_utf8_lossy(value).into_owned())
    })
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn buffer(count: i32, path: &str, rest: &[&str]) -> Vec<u8> {
    let mut buffer = count.to_ne_bytes().to_vec();
    buffer.extend_from_slice(path.as_bytes());
    buffer.extend_from_slice(&[0, 0, 0, 0]);
    for entry in rest {
      buffer.extend_from_slice(entry.as_bytes());
      buffer.push(0);
    }
    buffer
  }

  #[test]
  fn arguments_and_environment_are_told_apart_by_the_count() {
    let raw = buffer(
      3,
      "/usr/bin/python3",
      &[
        "python3",
        "-m",
        "http.server",
        "DEV_INSTANCE=abc",
        "PORT=8000",
        "",
        "junk",
      ],
    );
    let parsed = parse(&raw).unwrap();
    assert_eq!(
      parsed.command_line().as_deref(),
      Some("python3 -m http.server")
    );
    assert_eq!(parsed.variable("DEV_INSTANCE").as_deref(), Some("abc"));
    assert_eq!(parsed.variable("PORT").as_deref(), Some("8000"));
    assert_eq!(
      parsed.variable("junk"),
      None,
      "the environment ends at an empty entry"
    );
    assert_eq!(parsed.variable("DEV"), None, "a prefix is not a name");
  }

  #[test]
  fn short_truncated_or_lying_buffers_do_not_panic() {
    assert_eq!(parse(&[1, 0]), None);
    let lying = buffer(5, "/bin/sh", &["sh"]);
    assert_eq!(
      parse(&lying).unwrap().args.len(),
      2,
      "sh and the empty tail"
    );
    assert!(
      parse(&buffer(-1, "/bin/sh", &["sh", "A=1"]))
        .unwrap()
        .args
        .is_empty()
    );
    assert_eq!(parse(&0i32.to_ne_bytes()).unwrap(), ProcArgs::default());
  }
}
