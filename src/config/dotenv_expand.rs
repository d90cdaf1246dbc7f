//! Variable expansion inside `.env` values, as docker compose does it: `$VAR`, `${VAR}`,
//! `${VAR:-default}` / `${VAR-default}`, `${VAR:+alt}` / `${VAR+alt}` and
//! `${VAR:?message}` / `${VAR?message}`, defaults expanded in turn. `\$` is a plain `$` in
//! every value; double-quoted values also take the escapes python-dotenv knows.

/// Which escapes a value takes: a double-quoted value has `\n \t \" …`; an unquoted one only
/// `\$` (its other backslashes are data, as in python-dotenv).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
  DoubleQuoted,
  Unquoted,
}

/// Expands `text`; `lookup` answers a variable's value. `Err` is a `${VAR:?message}` whose
/// variable is missing, said as a person would read it.
pub(crate) fn expand(
  text: &str,
  lookup: &dyn Fn(&str) -> Option<String>,
  escapes: Escapes,
) -> Result<String, String> {
  let mut out = String::with_capacity(text.len());
  let mut rest = text;
  while let Some(c) = rest.chars().next() {
    rest = &rest[c.len_utf8()..];
    match c {
      '\\' => rest = escape(rest, escapes, &mut out),
      '$' => rest = variable(rest, lookup, escapes, &mut out)?,
      other => out.push(other),
    }
  }
  Ok(out)
}

/// After a backslash: what it stands for, pushed onto `out`; returns what follows.
fn escape<'a>(rest: &'a str, escapes: Escapes, out: &mut String) -> &'a str {
  let Some(next) = rest.chars().next() else {
    out.push('\\');
    return rest;
  };
  let meant = match (escapes, next) {
    (_, '$') => Some('$'),
    (Escapes::Unquoted, _) => None,
    (Escapes::DoubleQuoted, 'n') => Some('\n'),
    (Escapes::DoubleQuoted, 'r') => Some('\r'),
    (Escapes::DoubleQuoted, 't') => Some('\t'),
    (Escapes::DoubleQuoted, 'a') => Some('\u{7}'),
    (Escapes::DoubleQuoted, 'b') => Some('\u{8}'),
    (Escapes::DoubleQuoted, 'f') => Some('\u{c}'),
    (Escapes::DoubleQuoted, 'v') => Some('\u{b}'),
    (Escapes::DoubleQuoted, quoted @ ('\\' | '"' | '\'')) => Some(quoted),
    (Escapes::DoubleQuoted, _) => None,
  };
  match meant {
    Some(meant) => {
      out.push(meant);
      &rest[next.len_utf8()..]
    }
    None => {
      out.push('\\');
      rest
    }
  }
}

/// After a `$`: the variable's expansion pushed onto `out` (or the `$` itself when no
/// variable follows); returns what follows.
fn variable<'a>(
  rest: &'a str,
  lookup: &dyn Fn(&str) -> Option<String>,
  escapes: Escapes,
  out: &mut String,
) -> Result<&'a str, String> {
  if let Some(braced) = rest.strip_prefix('{')
    && let Some(end) = matching_brace(braced)
  {
    let inside = &braced[..end];
    let name_end = name_length(inside);
    if name_end > 0 {
      let (name, operator) = inside.split_at(name_end);
      if let Some(value) = braced_value(name, operator, lookup, escapes)? {
        out.push_str(&value);
        return Ok(&braced[end + 1..]);
      }
    }
  }
  let name_end = name_length(rest);
  if name_end == 0 {
    out.push('$');
    return Ok(rest);
  }
  out.push_str(&lookup(&rest[..name_end]).unwrap_or_default());
  Ok(&rest[name_end..])
}

/// `${name<operator>}`: its value, or `None` when the operator is not one compose knows
/// (the text then stays as written).
fn braced_value(
  name: &str,
  operator: &str,
  lookup: &dyn Fn(&str) -> Option<String>,
  escapes: Escapes,
) -> Result<Option<String>, String> {
  let value = lookup(name);
  let (colon, operator) = match operator.strip_prefix(':') {
    Some(operator) => (true, operator),
    None => (false, operator),
  };
  // `:` means an empty value counts as missing.
  let set = value
    .as_ref()
    .is_some_and(|value| !colon || !value.is_empty());
  let Some(kind) = operator.chars().next() else {
    return Ok((!colon).then(|| value.unwrap_or_default()));
  };
  let word = || expand(&operator[1..], lookup, escapes);
  Ok(Some(match kind {
    '-' if set => value.unwrap_or_default(),
    '-' => word()?,
    '+' if set => word()?,
    '+' => String::new(),
    '?' if set => value.unwrap_or_default(),
    '?' => {
      let message = word()?;
      let why = if message.is_empty() {
        "it must be set".to_owned()
      } else {
        message
      };
      return Err(format!("`{name}` is not set: {why}"));
    }
    _ => return Ok(None),
  }))
}

/// The length of the variable name `text` starts with (0: none).
fn name_length(text: &str) -> usize {
  if !text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
    return 0;
  }
  text
    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
    .unwrap_or(text.len())
}

/// Where the `}` closing a `${` is in `text` (just after the `{`), nested `${…}` skipped.
fn matching_brace(text: &str) -> Option<usize> {
  let mut depth = 0usize;
  let mut previous = '\0';
  for (at, c) in text.char_indices() {
    match c {
      '{' if previous == '$' => depth += 1,
      '}' if depth == 0 => return Some(at),
      '}' => depth -= 1,
      _ => {}
    }
    previous = c;
  }
  None
}

#[cfg(test)]
mod tests {
  use super::*;

  fn lookup(name: &str) -> Option<String> {
    match name {
      "HOME" => Some("/home/me".into()),
      "EMPTY" => Some(String::new()),
      _ => None,
    }
  }

  fn unquoted(text: &str) -> String {
    expand(text, &lookup, Escapes::Unquoted).unwrap()
  }

  #[test]
  fn compose_operators() {
    assert_eq!(unquoted("${HOME:+alt}"), "alt");
    assert_eq!(unquoted("${EMPTY:+alt}|${EMPTY+alt}|${NOPE+alt}"), "|alt|");
    assert_eq!(
      unquoted("${NOPE:-d}|${EMPTY:-d}|${EMPTY-d}|${NOPE-d}"),
      "d|d||d"
    );
    assert_eq!(unquoted("${NOPE:-${HOME}/x}"), "/home/me/x");
    assert_eq!(unquoted("${HOME:?needed}"), "/home/me");
    let missing = expand("${NOPE:?set it in .env.local}", &lookup, Escapes::Unquoted);
    assert_eq!(
      missing.unwrap_err(),
      "`NOPE` is not set: set it in .env.local"
    );
  }

  #[test]
  fn what_is_not_a_variable_stays() {
    assert_eq!(unquoted("${"), "${");
    assert_eq!(unquoted("end$"), "end$");
    assert_eq!(unquoted("$9 ${9} ${A%b}"), "$9 ${9} ${A%b}");
    assert_eq!(unquoted("abc\\$def"), "abc$def");
    assert_eq!(unquoted("a\\nb\\"), "a\\nb\\");
  }
}
