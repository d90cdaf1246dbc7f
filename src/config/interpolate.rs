//! `$PORT`, `${PORT}`, `${backend.port}` and `$$` in task-file strings.
//!
//! In `run:` only dotted references (`${backend.port}`) are ours: everything else belongs to
//! the shell, which sees `PORT` in its environment. In `env:` values there is no shell, so we
//! expand `$VAR`, `${VAR}`, `${svc.port}` and `$$` ourselves.

/// One `${service.field}` reference and where it starts in the string (byte offset).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reference {
  pub(crate) service: String,
  pub(crate) field: String,
  pub(crate) offset: usize,
  pub(crate) len: usize,
}

/// Every `${a.b}` in a string.
pub(crate) fn references(text: &str) -> Vec<Reference> {
  let mut found = Vec::new();
  let mut search = 0;
  while let Some(start) = text[search..].find("${").map(|i| i + search) {
    let Some(end) = text[start..].find('}').map(|i| i + start) else {
      break;
    };
    if let Some((service, field)) = split_reference(text[start + 2..end].trim()) {
      found.push(Reference {
        service: service.to_owned(),
        field: field.to_owned(),
        offset: start,
        len: end + 1 - start,
      });
    }
    search = end + 1;
  }
  found
}

/// `api.port` → (`api`, `port`); read from the right, so that a service name may itself
/// hold dots: `my.api.port`, `my.api.ports.ws`.
fn split_reference(inner: &str) -> Option<(&str, &str)> {
  if let Some(service) = inner.strip_suffix(".port") {
    return Some((service, "port"));
  }
  if let Some(at) = inner.rfind(".ports.") {
    return Some((&inner[..at], &inner[at + 1..]));
  }
  inner.split_once('.')
}

/// Replaces dotted references only; `lookup` answers `${service.field}`.
pub(crate) fn expand_references(
  text: &str,
  lookup: &dyn Fn(&str, &str) -> Option<String>,
) -> String {
  let mut out = String::with_capacity(text.len());
  let mut last = 0;
  for reference in references(text) {
    out.push_str(&text[last..reference.offset]);
    match lookup(&reference.service, &reference.field) {
      Some(value) => out.push_str(&value),
      None => out.push_str(&text[reference.offset..reference.offset + reference.len]),
    }
    last = reference.offset + reference.len;
  }
  out.push_str(&text[last..]);
  out
}

/// Full expansion for `env:` values: `$$`, `$VAR`, `${VAR}` and `${svc.field}`.
/// Unknown plain variables expand to nothing, as in a shell.
pub(crate) fn expand_all(
  text: &str,
  variable: &dyn Fn(&str) -> Option<String>,
  reference: &dyn Fn(&str, &str) -> Option<String>,
) -> String {
  let mut out = String::with_capacity(text.len());
  let mut rest = text;
  while let Some(dollar) = rest.find('$') {
    out.push_str(&rest[..dollar]);
    let after = &rest[dollar + 1..];
    if let Some(tail) = after.strip_prefix('$') {
      out.push('$');
      rest = tail;
    } else if let Some(braced) = after.strip_prefix('{') {
      let Some(end) = braced.find('}') else {
        out.push_str(&rest[dollar..]);
        return out;
      };
      let name = &braced[..end];
      let value = match split_reference(name.trim()) {
        Some((service, field)) => reference(service, field),
        None => variable(name.trim()),
      };
      out.push_str(&value.unwrap_or_default());
      rest = &braced[end + 1..];
    } else {
      let len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
      if len == 0 {
        out.push('$');
      } else {
        out.push_str(&variable(&after[..len]).unwrap_or_default());
      }
      rest = &after[len..];
    }
  }
  out.push_str(rest);
  out
}

/// Appends `entries` to `env`, expanding each value against what is already in `env` (later
/// entries see earlier ones), then the process environment, and `${svc.field}` via `reference`.
pub(crate) fn extend_env(
  env: &mut Vec<(String, String)>,
  entries: &[(String, String)],
  reference: &dyn Fn(&str, &str) -> Option<String>,
) {
  for (key, value) in entries {
    let variable = |name: &str| {
      env
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(name).ok())
    };
    let value = expand_all(value, &variable, reference);
    env.push((key.clone(), value));
  }
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
    let found = references("${my.api.port} ${my.api.ports.ws} ${a.b}");
    let pairs: Vec<(&str, &str)> = found
      .iter()
      .map(|r| (r.service.as_str(), r.field.as_str()))
      .collect();
    assert_eq!(
      pairs,
      [("my.api", "port"), ("my.api", "ports.ws"), ("a", "b")]
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
  fn env_values_expand_everything() {
    let variable = |name: &str| (name == "PORT").then(|| "5173".to_owned());
    let text = "http://x:${backend.port}/ $PORT ${PORT} $$ $MISSING end$";
    assert_eq!(
      expand_all(text, &variable, &port),
      "http://x:8001/ 5173 5173 $  end$"
    );
  }
}
