//! The `.env` format, as python-dotenv and docker compose read it: `KEY=value`,
//! `export KEY=value`, a bare `KEY` (nothing to set), comments, single quotes literal, double
//! quotes with escapes, values across lines, a byte-order mark and CRLF endings. A variable
//! the shell sets keeps the shell's value, as with python-dotenv's `load_dotenv()` and
//! compose. `tests/dotenv_compat.rs` holds the cases both agree on and runs python-dotenv.
//!
//! Where they differ, compose's reading is kept, as `dev` expands values as compose does:
//! `$VAR` without braces, `${VAR:+alt}`, `${VAR-default}` and `${VAR:?message}` expand
//! (python-dotenv leaves them as written); `\$` is a plain `$` (python-dotenv keeps the
//! backslash); single-quoted values are literal (python-dotenv expands `${VAR}` in them).
//!
//! Hand-written rather than dotenvy: dotenvy 0.15.7 rejects `"$A"`, `"${HOME}"`, `"\t"` and
//! a file saved with a BOM, reads `A=#x` as empty, and its errors carry no line number.

use super::dotenv_expand::{Escapes, expand};

/// A mistake in a `.env` file, 1-based.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EnvProblem {
  pub(crate) line: usize,
  pub(crate) column: usize,
  pub(crate) message: String,
}

/// Parses a `.env` text; `shell` answers the variables already set where `dev` runs, which
/// win over the file's and are what `${VAR}` sees first.
pub(crate) fn parse_env_file(
  text: &str,
  shell: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, EnvProblem> {
  let text = text.strip_prefix('\u{feff}').unwrap_or(text);
  let lines: Vec<&str> = text
    .split('\n')
    .map(|line| line.strip_suffix('\r').unwrap_or(line))
    .collect();
  if let Some(problem) = nul_byte(&lines) {
    return Err(problem);
  }
  let mut pairs: Vec<(String, String)> = Vec::new();
  let mut index = 0;
  while index < lines.len() {
    let number = index + 1;
    let line = lines[index];
    index += 1;
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
      continue;
    }
    let problem = |at: usize, message: String| EnvProblem {
      line: number,
      column: line[..at.min(line.len())].chars().count() + 1,
      message,
    };
    let Some((key, rest, value_at)) =
      assignment(line).map_err(|(at, message)| problem(at, message))?
    else {
      continue;
    };
    let lookup = |name: &str| {
      shell(name).or_else(|| {
        pairs
          .iter()
          .rev()
          .find(|(key, _)| key == name)
          .map(|(_, value)| value.clone())
      })
    };
    let value = match rest.chars().next() {
      Some(quote @ ('\'' | '"')) => {
        let raw =
          read_quoted(&rest[1..], quote, &lines, &mut index).map_err(|after| match after {
            None => problem(value_at, format!("this {quote} quote is never closed")),
            Some(after) => EnvProblem {
              line: index.max(number),
              column: 1,
              message: format!("unexpected `{after}` after the closing quote"),
            },
          })?;
        if quote == '\'' {
          Ok(raw)
        } else {
          expand(&raw, &lookup, Escapes::DoubleQuoted)
        }
      }
      _ => expand(unquoted(line, value_at), &lookup, Escapes::Unquoted),
    }
    .map_err(|message| problem(value_at, message))?;
    let value = shell(key).unwrap_or(value);
    pairs.push((key.to_owned(), value));
  }
  Ok(pairs)
}

/// An unquoted value: up to a `#` that follows a blank (a comment, even right after the
/// `=`: `A= #x` is empty while `A=#x` is `#x`), trimmed.
fn unquoted(line: &str, value_at: usize) -> &str {
  let equals = line[..value_at].rfind('=').map_or(value_at, |at| at + 1);
  let after = &line[equals..];
  let end = after
    .char_indices()
    .find(|(at, c)| *c == '#' && after[..*at].ends_with([' ', '\t']))
    .map_or(after.len(), |(at, _)| at);
  after[..end].trim_matches([' ', '\t'])
}

/// A NUL cannot be in an environment variable: said where it is, not when the command fails.
fn nul_byte(lines: &[&str]) -> Option<EnvProblem> {
  lines.iter().enumerate().find_map(|(index, line)| {
    line.find('\0').map(|at| EnvProblem {
      line: index + 1,
      column: line[..at].chars().count() + 1,
      message: "a NUL byte cannot be part of an environment variable".into(),
    })
  })
}

/// `KEY=value` or `export KEY=value`: the key, the value's text (leading blanks skipped)
/// and the byte offset where it starts; `None` for a bare `KEY` (python-dotenv and compose
/// set nothing for it). `Err` has the offset of the mistake and what it is.
#[allow(clippy::type_complexity)]
fn assignment(line: &str) -> Result<Option<(&str, &str, usize)>, (usize, String)> {
  let trimmed = line.trim_start();
  let indent = line.len() - trimmed.len();
  let body = trimmed
    .strip_prefix("export")
    .filter(|rest| rest.starts_with([' ', '\t']))
    .map_or(trimmed, str::trim_start);
  let offset = line.len() - body.len();
  let Some((key, rest)) = body.split_once('=') else {
    if is_name(body.trim_end()) {
      return Ok(None);
    }
    return Err((
      indent,
      format!("expected KEY=value, found `{}`", trimmed.trim_end()),
    ));
  };
  let key = key.trim_end();
  if !is_name(key) {
    return Err((offset, format!("`{key}` is not a valid variable name")));
  }
  let rest = rest.trim_start_matches([' ', '\t']);
  Ok(Some((key, rest, line.len() - rest.len())))
}

/// A quoted value, from just after its opening quote to the closing one, across lines if
/// need be (`index` moves past the lines it takes). `Err(None)` when it is never closed,
/// `Err(Some(text))` when something other than a comment follows it.
fn read_quoted(
  first: &str,
  quote: char,
  lines: &[&str],
  index: &mut usize,
) -> Result<String, Option<String>> {
  let mut raw = String::new();
  let mut current = first;
  let closed_at = loop {
    if let Some(end) = closing_quote(current, quote) {
      raw.push_str(&current[..end]);
      break end;
    }
    raw.push_str(current);
    raw.push('\n');
    current = lines.get(*index).ok_or(None)?;
    *index += 1;
  };
  let after = current[closed_at + 1..].trim_start();
  if !after.is_empty() && !after.starts_with('#') {
    return Err(Some(after.to_owned()));
  }
  Ok(raw)
}

fn is_name(key: &str) -> bool {
  key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    && key
      .chars()
      .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Where the quote that closes a value is in `text`; a `\"` inside double quotes does not.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
  let mut escaped = false;
  for (at, c) in text.char_indices() {
    match c {
      _ if escaped => escaped = false,
      '\\' if quote == '"' => escaped = true,
      c if c == quote => return Some(at),
      _ => {}
    }
  }
  None
}

#[cfg(test)]
mod tests {
  use super::*;

  fn shell(name: &str) -> Option<String> {
    match name {
      "HOME" => Some("/home/me".into()),
      "SHARED" => Some("from the shell".into()),
      _ => None,
    }
  }

  fn parse(text: &str) -> Vec<(String, String)> {
    parse_env_file(text, &shell).unwrap()
  }

  fn value(text: &str) -> String {
    parse(text).pop().unwrap().1
  }

  #[test]
  fn reads_what_users_write() {
    let pairs = parse("# c\nA=1\nexport B=\"two words\"\nC='x' \nD=plain # note\nBARE\n\n");
    let expected = [("A", "1"), ("B", "two words"), ("C", "x"), ("D", "plain")];
    assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
  }

  #[test]
  fn a_hash_starts_a_comment_only_after_a_blank() {
    assert_eq!(value("SLACK_CHANNEL=#alerts"), "#alerts");
    assert_eq!(value("BRAND_COLOR=#ff6600 # orange"), "#ff6600");
    assert_eq!(value("A= #only a comment"), "");
    assert_eq!(value("A=a#b"), "a#b");
    assert_eq!(value("A=\"x\"#c"), "x");
  }

  #[test]
  fn quotes_and_escapes() {
    assert_eq!(
      value("A=\"tab\\there \\\\ \\\"q\\\" \\n\""),
      "tab\there \\ \"q\" \n"
    );
    assert_eq!(value("A='lit $HOME \\t'"), "lit $HOME \\t");
    assert_eq!(value("A=\"multi\nline\" # c"), "multi\nline");
    assert_eq!(value("A = spaced  "), "spaced");
    assert_eq!(value("P=abc\\$def"), "abc$def");
    assert_eq!(value("B=\"cost \\$5 $9\""), "cost $5 $9");
  }

  #[test]
  fn the_shell_wins_and_is_seen_first() {
    assert_eq!(value("SHARED=from the file"), "from the shell");
    assert_eq!(value("SHARED=file\nB=${SHARED}"), "from the shell");
    assert_eq!(value("A=1\nB=\"$A-${A}\""), "1-1");
    assert_eq!(value("B=${HOME}/x"), "/home/me/x");
  }

  #[test]
  fn mistakes_say_where() {
    let problem = |text: &str| parse_env_file(text, &|_| None).unwrap_err();
    assert_eq!(problem("A=1\nNOPE NOPE").line, 2);
    assert!(problem("NO PE").message.contains("expected KEY=value"));
    let open = problem("A=1\nB=\"never closed\nC=2\n");
    assert_eq!((open.line, open.column), (2, 3));
    assert!(open.message.contains("never closed"), "{}", open.message);
    assert!(
      problem("1A=x")
        .message
        .contains("not a valid variable name")
    );
    assert!(
      problem("A=\"x\" y")
        .message
        .contains("after the closing quote")
    );
    let nul = problem("A=1\nB=x\u{0}y\n");
    assert_eq!((nul.line, nul.column), (2, 4));
    assert!(nul.message.contains("NUL"), "{}", nul.message);
    let required = problem("A=${NOPE:?set NOPE first}");
    assert_eq!((required.line, required.column), (1, 3));
    assert_eq!(required.message, "`NOPE` is not set: set NOPE first");
  }

  #[test]
  fn a_bom_and_crlf_are_invisible() {
    assert_eq!(
      parse("\u{feff}A=1\r\nB=\"2\"\r\n"),
      [("A".into(), "1".into()), ("B".into(), "2".into())]
    );
  }
}
