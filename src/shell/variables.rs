//! How a task file's POSIX variables (`$PORT`, `${PORT}`) read to the shells that spell
//! them differently, so one `run:` line works in each: cmd's `%PORT%` and PowerShell's
//! `$env:PORT`. Pure: its unit tests run on every OS.

/// `$NAME` and `${NAME}` (a plain variable name) as cmd spells them: `%NAME%`.
pub(crate) fn for_cmd(script: &str) -> String {
  rewrite(script, |name, _| Some(format!("%{name}%")))
}

/// `$NAME` and `${NAME}` as PowerShell reads an environment variable (`$env:NAME`,
/// `${env:NAME}`), for the variables `dev` itself sets (`names`: `PORT`, `PORT_<NAME>`,
/// `env:`, env files, a task's arguments). Every other `$name` is PowerShell's own and is
/// left alone: `$true`, `$_`, `$null`, `$args` must keep their meaning.
pub(crate) fn for_pwsh(script: &str, names: &[&str]) -> String {
  rewrite(script, |name, braced| {
    names.contains(&name).then(|| match braced {
      true => format!("${{env:{name}}}"),
      false => format!("$env:{name}"),
    })
  })
}

/// `script` with each `$NAME` / `${NAME}` that `spell(name, braced)` answers replaced by
/// the answer; anything else (`$5`, `$ `, `${a.b}`) stays as written.
fn rewrite(script: &str, spell: impl Fn(&str, bool) -> Option<String>) -> String {
  let mut out = String::with_capacity(script.len());
  let mut rest = script;
  while let Some(at) = rest.find('$') {
    out.push_str(&rest[..at]);
    let after = &rest[at + 1..];
    let (inner, used, braced) = match after.strip_prefix('{') {
      Some(braced) => match braced.find('}') {
        Some(end) => (&braced[..end], end + 2, true),
        None => ("", 0, true),
      },
      None => {
        let end = after
          .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
          .unwrap_or(after.len());
        (&after[..end], end, false)
      }
    };
    let name = !inner.is_empty()
      && !inner.starts_with(|c: char| c.is_ascii_digit())
      && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match name.then(|| spell(inner, braced)).flatten() {
      Some(spelled) => {
        out.push_str(&spelled);
        rest = &after[used..];
      }
      None => {
        out.push('$');
        rest = after;
      }
    }
  }
  out.push_str(rest);
  out
}

#[cfg(test)]
mod tests {
  use super::{for_cmd, for_pwsh};

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

  #[test]
  fn devs_variables_become_powershell_environment_reads_and_its_own_stay() {
    let names = ["PORT", "PORT_WS"];
    assert_eq!(
      for_pwsh("server --port $PORT --ws ${PORT_WS}", &names),
      "server --port $env:PORT --ws ${env:PORT_WS}"
    );
    assert_eq!(
      for_pwsh("if ($true) { $_ } $args $env:PORT $5", &names),
      "if ($true) { $_ } $args $env:PORT $5"
    );
  }
}
