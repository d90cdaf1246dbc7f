//! A port written literally in a command (`--port 8000`, `127.0.0.1:8000`,
//! `http.server 8000`): read it, and put `$PORT` in its place where that is safe.

/// The port a command names: after `--port`/`-p`/`PORT=`, after a host's `:`, or as the
/// last word of `python -m http.server`. `None` when it names none, or several different.
pub(super) fn literal_port(command: &str) -> Option<u16> {
  let words: Vec<&str> = command.split_whitespace().collect();
  let mut found: Vec<u16> = Vec::new();
  for (index, word) in words.iter().enumerate() {
    let next = words.get(index + 1).copied().unwrap_or("");
    let candidates: [Option<&str>; 4] = [
      matches!(*word, "--port" | "-p" | "--listen" | "http.server").then_some(next),
      word.strip_prefix("--port="),
      word.strip_prefix("PORT="),
      // `http://127.0.0.1:8000/` is a service it talks to, not where it listens.
      word
        .rsplit_once(':')
        .filter(|_| !word.contains("://"))
        .map(|(_, port)| port),
    ];
    for text in candidates.into_iter().flatten() {
      if let Ok(port) = text.trim_end_matches('/').parse::<u16>()
        && port >= 1024
        && !found.contains(&port)
      {
        found.push(port);
      }
    }
  }
  match found.as_slice() {
    [port] => Some(*port),
    _ => None,
  }
}

/// The command with its one standalone `port` (not part of a longer number) written as
/// `$PORT`. `None` when it appears more or less than once, or inside single quotes (where
/// the shell would not expand `$PORT`): the command is then kept as it was.
pub(super) fn with_port_variable(command: &str, port: u16) -> Option<String> {
  let needle = port.to_string();
  let bytes = command.as_bytes();
  let places: Vec<usize> = command
    .match_indices(&needle)
    .map(|(at, _)| at)
    .filter(|&at| {
      let before = at.checked_sub(1).map(|i| bytes[i]);
      let after = bytes.get(at + needle.len()).copied();
      !before.is_some_and(|b| b.is_ascii_digit() || b == b'$' || b == b'.')
        && !after.is_some_and(|b| b.is_ascii_digit() || b == b'.')
    })
    .collect();
  match places.as_slice() {
    [at] if !command[..*at].contains('\'') => Some(format!(
      "{}$PORT{}",
      &command[..*at],
      &command[at + needle.len()..]
    )),
    _ => None,
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn ports_are_read_from_the_usual_places() {
    assert_eq!(literal_port("python3 -m http.server 8000"), Some(8000));
    assert_eq!(literal_port("uvicorn app:app --port 8001"), Some(8001));
    assert_eq!(literal_port("gunicorn -b 127.0.0.1:8002 app"), Some(8002));
    assert_eq!(literal_port("PORT=3000 node server.js"), Some(3000));
    assert_eq!(literal_port("sleep 100"), None);
    assert_eq!(literal_port("gate.py http://127.0.0.1:8003/ x"), None);
    assert_eq!(literal_port("a --port 8000 b --port 9000"), None);
  }

  #[test]
  fn only_a_single_standalone_port_becomes_the_variable() {
    assert_eq!(
      with_port_variable("python3 -m http.server 8000 --bind 127.0.0.1", 8000).as_deref(),
      Some("python3 -m http.server $PORT --bind 127.0.0.1")
    );
    assert_eq!(with_port_variable("serve 18000", 8000), None);
    assert_eq!(with_port_variable("a 8000 b 8000", 8000), None);
    assert_eq!(with_port_variable("sh -c 'serve 8000'", 8000), None);
    assert_eq!(
      with_port_variable("curl -f http://localhost:8000/health", 8000).as_deref(),
      Some("curl -f http://localhost:$PORT/health")
    );
  }
}
