//! Which `${…}` in a task-file string are `dev`'s: `${backend.port}` and
//! `${viewer.ports.ws}`, nothing else.
//!
//! In `run:` (and `health: {exec}`, and a task argument's default) every other `${…}` is the
//! shell's and reaches it untouched: `${f%.*}`, `${v##*.}`, `${LOG_LEVEL:-info}`. A shell
//! variable's name has no `.` (nor `-`), so a `${a.b}` is never the shell's own syntax and
//! is safe to claim. `$${` is a literal `${` for the rare clash. In `env:` values no shell
//! reads the text: `substitute` expands `$VAR` and friends there.

use crate::config::Location;
use crate::error::{Error, Result};

/// One `${service.field}` reference and where it starts in the string (byte offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
  pub(crate) service: String,
  pub(crate) field: String,
  pub(crate) offset: usize,
  pub(crate) len: usize,
}

/// Whether the inside of a `${…}` is a reference to a service's port: only name characters
/// and a dot, and either a port field (`my-api.port`, `x.ports.ws`, `my-api.url`) or a dot right after a
/// leading name (`api.prot`, a typo to report). `${HOST-localhost.local}` is the shell's
/// default-value syntax, and stays its.
pub(crate) fn split_reference(inner: &str) -> Option<(&str, &str)> {
  let inner = inner.trim();
  let name_chars = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
  if !inner.contains('.') || !inner.chars().all(name_chars) {
    return None;
  }
  for field in ["port", "url"] {
    if let Some(service) = inner.strip_suffix(field).and_then(|s| s.strip_suffix('.')) {
      return Some((service, field));
    }
  }
  // Read from the right, so that a service name may itself hold dots: `my.api.ports.ws`.
  if let Some(at) = inner.rfind(".ports.") {
    return Some((&inner[..at], &inner[at + 1..]));
  }
  let leading = inner
    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
    .unwrap_or(inner.len());
  if inner[leading..].starts_with('.') {
    return inner.split_once('.');
  }
  None
}

/// The byte offset of the `}` that closes a `${` whose inside starts at `from` (nested
/// braces counted), if any.
pub(crate) fn closing_brace(text: &str, from: usize) -> Option<usize> {
  let mut depth = 1;
  for (at, c) in text[from..].char_indices() {
    match c {
      '{' => depth += 1,
      '}' => {
        depth -= 1;
        if depth == 0 {
          return Some(from + at);
        }
      }
      _ => {}
    }
  }
  None
}

/// Every `${a.b}` of `dev`'s in a shell command (`$${…}` is not one).
pub(crate) fn references(text: &str) -> Vec<Reference> {
  let mut found = Vec::new();
  let mut at = 0;
  while let Some(start) = text[at..].find('$').map(|i| i + at) {
    let rest = &text[start..];
    if rest.starts_with("$${") || rest.starts_with("$$") {
      at = start + 2;
      continue;
    }
    if !rest.starts_with("${") {
      at = start + 1;
      continue;
    }
    let Some(end) = closing_brace(text, start + 2) else {
      break;
    };
    if let Some((service, field)) = split_reference(&text[start + 2..end]) {
      found.push(Reference {
        service: service.to_owned(),
        field: field.to_owned(),
        offset: start,
        len: end + 1 - start,
      });
      at = end + 1;
    } else {
      // A `${…}` of the shell's may hold one of ours: `${URL:-http://x:${api.port}}`.
      at = start + 2;
    }
  }
  found
}

/// A shell command with `dev`'s references filled in (`lookup` answers
/// `${service.field}`) and `$${` turned into `${`; everything else left to the shell.
pub(crate) fn expand_references(
  text: &str,
  lookup: &dyn Fn(&str, &str) -> Option<String>,
) -> String {
  let mut out = String::with_capacity(text.len());
  let mut last = 0;
  let escapes = text.match_indices("$${").map(|(at, _)| (at, None));
  let references = references(text).into_iter().map(|r| (r.offset, Some(r)));
  let mut edits: Vec<(usize, Option<Reference>)> = escapes.chain(references).collect();
  edits.sort_by_key(|(at, _)| *at);
  for (at, reference) in edits {
    if at < last {
      continue;
    }
    out.push_str(&text[last..at]);
    match reference {
      // `$${` → `${`: drop the first `$`.
      None => last = at + 1,
      Some(reference) => {
        let whole = &text[at..at + reference.len];
        out.push_str(&lookup(&reference.service, &reference.field).unwrap_or_else(|| whole.into()));
        last = at + reference.len;
      }
    }
  }
  out.push_str(&text[last..]);
  out
}

/// Appends `entries` to `env`, expanding each value (see `substitute`) against what is
/// already in `env` (later entries see earlier ones), then the process environment, and
/// `${svc.field}` via `reference`.
pub(crate) fn extend_env(
  env: &mut Vec<(String, String)>,
  (entries, at): (&[(String, String)], &[Location]),
  reference: &dyn Fn(&str, &str) -> Option<String>,
  whose: &str,
) -> Result<()> {
  for (index, (key, value)) in entries.iter().enumerate() {
    let variable = |name: &str| {
      env
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(name).ok())
    };
    let value = super::substitute::expand(value, &variable, reference).map_err(|message| {
      Error::config(format!("{whose}: env `{key}`: {message}"), at.get(index).cloned())
        .with_hint("set the variable (in the environment or an `env_file:`), or give a default: `${VAR:-default}`")
    })?;
    env.push((key.clone(), value));
  }
  Ok(())
}

#[cfg(test)]
mod tests {
  use super::*;

  fn port(service: &str, field: &str) -> Option<String> {
    (service == "backend" && field == "port").then(|| "8001".to_owned())
  }

  #[test]
  fn finds_dotted_references_with_offsets() {
    let found = references("http://127.0.0.1:${backend.port}/api ${PORT}");
    assert_eq!(found.len(), 1);
    assert_eq!(
      (found[0].service.as_str(), found[0].offset, found[0].len),
      ("backend", 17, 15)
    );
  }

  #[test]
  fn dotted_service_names_are_read_from_the_right() {
    let found = references("${my.api.port} ${my.api.ports.ws} ${a.b} ${my-api.port} ${my-api.url}");
    let pairs: Vec<(&str, &str)> = found
      .iter()
      .map(|r| (r.service.as_str(), r.field.as_str()))
      .collect();
    assert_eq!(
      pairs,
      [
        ("my.api", "port"),
        ("my.api", "ports.ws"),
        ("a", "b"),
        ("my-api", "port"),
        ("my-api", "url")
      ]
    );
  }

  #[test]
  fn run_keeps_shell_variables_for_the_shell() {
    let run = "serve --port $PORT --api ${backend.port} $$";
    assert_eq!(
      expand_references(run, &port),
      "serve --port $PORT --api 8001 $$"
    );
  }

  #[test]
  fn shell_parameter_expansions_are_the_shells() {
    for run in [
      r#"for f in *.txt; do echo "${f%.*}"; done"#,
      "echo ${f##*.} ${v%.tar.gz} ${LOG_LEVEL:-info} ${WORKERS-4} ${HOST-localhost.local}",
      "echo ${#list} ${x:?unset} ${y:+set} ${z/a.b/c}",
    ] {
      assert_eq!(references(run), [], "{run}");
      assert_eq!(expand_references(run, &port), run);
    }
  }

  #[test]
  fn a_reference_inside_a_shell_default_is_ours_and_dollar_dollar_brace_escapes() {
    assert_eq!(
      expand_references("curl ${URL:-http://x:${backend.port}/}", &port),
      "curl ${URL:-http://x:8001/}"
    );
    assert_eq!(
      expand_references("echo $${backend.port} $$ ${backend.port}", &port),
      "echo ${backend.port} $$ 8001"
    );
  }
}
