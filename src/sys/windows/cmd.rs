//! How a task file's `run:` reads to cmd: POSIX variables (`$PORT`, `${PORT}`) as cmd spells
//! them (`%PORT%`). Pure: its unit tests run on every OS.

/// `$NAME` and `${NAME}` (a plain variable name) as cmd spells them: `%NAME%`.
pub(crate) fn for_cmd(script: &str) -> String {
  let mut out = String::with_capacity(script.len());
  let mut rest = script;
  while let Some(at) = rest.find('$') {
    out.push_str(&rest[..at]);
    let after = &rest[at + 1..];
    let (inner, used) = match after.strip_prefix('{') {
      Some(braced) => match braced.find('}') {
        Some(end) => (&braced[..end], end + 2),
        None => ("", 0),
      },
      None => {
        let end = after
          .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
          .unwrap_or(after.len());
        (&after[..end], end)
      }
    };
    let name = !inner.is_empty()
      && !inner.starts_with(|c: char| c.is_ascii_digit())
      && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name {
      out.push('%');
      out.push_str(inner);
      out.push('%');
      rest = &after[used..];
    } else {
      out.push('$');
      rest = after;
    }
  }
  out.push_str(rest);
  out
}

#[cfg(test)]
mod tests {
  use super::for_cmd;

  #[test]
  fn posix_variables_become_cmd_ones() {
    assert_eq!(for_cmd("server --port $PORT"), "server --port %PORT%");
    assert_eq!(for_cmd("x ${API_PORT}/y"), "x %API_PORT%/y");
    assert_eq!(
      for_cmd("cost $5 and $ alone, ${a.b}"),
      "cost $5 and $ alone, ${a.b}"
    );
    assert_eq!(
      for_cmd("C:\\Program Files\\app.exe $PORT"),
      "C:\\Program Files\\app.exe %PORT%"
    );
  }
}
