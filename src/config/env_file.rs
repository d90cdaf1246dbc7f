//! `.env` files as users expect them from python-dotenv and docker compose:
//! `KEY=value`, `export KEY=value`, `#` comments (after a space when unquoted), single quotes
//! literal, double quotes with escapes (`\n \t \r \\ \" \$`) and `${VAR}` / `$VAR` expansion
//! (from earlier lines, then the environment; `${VAR:-default}` too), unquoted values
//! expanded the same way, quoted values across lines, a byte-order mark and CRLF endings.
//!
//! Hand-written rather than dotenvy: dotenvy 0.15.7 rejects `"$A"`, `"${HOME}"`, `"\t"` and a
//! file saved with a BOM, and its errors carry no line number.
//!
//! The file is read when something starts (not when the task file is loaded), so that a
//! missing `.env` never stops `dev stop` or `dev status`.

use std::{path::PathBuf, sync::Arc};

use crate::{
  config::source::{Location, Source, display_path},
  error::{Error, Result},
};

/// An `env_file:` of the task file: where it is, and where the task file names it.
#[derive(Clone, Debug)]
pub(crate) struct EnvFile {
  pub(crate) path: PathBuf,
  pub(crate) named_at: Location,
}

impl EnvFile {
  /// Reads and parses it; errors point into the `.env` file itself.
  pub(crate) fn load(&self) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(&self.path).map_err(|error| Error::Config {
      message: format!(
        "cannot read env file `{}`: {error}",
        display_path(&self.path)
      ),
      location: Some(self.named_at.clone()),
      hint: Some("`env_file:` is relative to the directory of devtasks.yaml".into()),
    })?;
    parse_env_file(&text, &|name| std::env::var(name).ok()).map_err(|problem| {
      let source = Arc::new(Source {
        path: self.path.clone(),
        text,
      });
      Error::Config {
        message: problem.message,
        location: Some(Location::new(&source, problem.line, problem.column, 1)),
        hint: Some(format!("read through `env_file:` at {}", self.named_at)),
      }
    })
  }
}

/// A mistake in a `.env` file, 1-based.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EnvProblem {
  pub(crate) line: usize,
  pub(crate) column: usize,
  pub(crate) message: String,
}

/// Parses a `.env` text; `environment` answers variables the file does not set.
pub(crate) fn parse_env_file(
  text: &str,
  environment: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<Vec<(String, String)>, EnvProblem> {
  let text = text.strip_prefix('\u{feff}').unwrap_or(text);
  let lines: Vec<&str> = text
    .split('\n')
    .map(|line| line.strip_suffix('\r').unwrap_or(line))
    .collect();
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
    let (key, rest, value_at) = assignment(line).map_err(|(at, message)| problem(at, message))?;
    let lookup = |name: &str| {
      pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .or_else(|| environment(name))
    };
    let value = match rest.chars().next() {
      Some(quote @ ('\'' | '"')) => {
        let raw = match read_quoted(&rest[1..], quote, &lines, &mut index) {
          Ok(raw) => raw,
          Err(None) => {
            return Err(problem(
              value_at,
              format!("this {quote} quote is never closed"),
            ));
          }
          Err(Some(after)) => {
            return Err(EnvProblem {
              line: index.max(number),
              column: 1,
              message: format!("unexpected `{after}` after the closing quote"),
            });
          }
        };
        if quote == '\'' {
          raw
        } else {
          expand(&raw, &lookup, true)
        }
      }
      _ => {
        // An unquoted value ends at a `#` that follows a space (a comment), trimmed.
        let end = rest
          .char_indices()
          .find(|(at, c)| *c == '#' && (*at == 0 || rest[..*at].ends_with([' ', '\t'])))
          .map_or(rest.len(), |(at, _)| at);
        expand(rest[..end].trim_end(), &lookup, false)
      }
    };
    pairs.push((key.to_owned(), value));
  }
  Ok(pairs)
}

/// `KEY=value` or `export KEY=value`: the key, the value's text (leading blanks skipped)
/// and the byte offset where it starts. `Err` has the offset of the mistake and what it is.
fn assignment(line: &str) -> std::result::Result<(&str, &str, usize), (usize, String)> {
  let trimmed = line.trim_start();
  let indent = line.len() - trimmed.len();
  let body = trimmed
    .strip_prefix("export")
    .filter(|rest| rest.starts_with([' ', '\t']))
    .map_or(trimmed, str::trim_start);
  let offset = line.len() - body.len();
  let Some((key, rest)) = body.split_once('=') else {
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
  Ok((key, rest, line.len() - rest.len()))
}

/// A quoted value, from just after its opening quote to the closing one, across lines if
/// need be (`index` moves past the lines it takes). `Err(None)` when it is never closed,
/// `Err(Some(text))` when something other than a comment follows it.
fn read_quoted(
  first: &str,
  quote: char,
  lines: &[&str],
  index: &mut usize,
) -> std::result::Result<String, Option<String>> {
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

/// Expands `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR-default}`, in one pass with the
/// escapes of a double-quoted value when `escapes` (`\n \r \t \\ \" \' \$`; `\$` is a
/// plain `$`, never expanded).
fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>, escapes: bool) -> String {
  let mut out = String::with_capacity(text.len());
  let mut chars = text.char_indices().peekable();
  while let Some((at, c)) = chars.next() {
    match c {
      '\\' if escapes => match chars.next().map(|(_, next)| next) {
        Some('n') => out.push('\n'),
        Some('r') => out.push('\r'),
        Some('t') => out.push('\t'),
        Some(next @ ('\\' | '"' | '\'' | '$')) => out.push(next),
        Some(other) => {
          out.push('\\');
          out.push(other);
        }
        None => out.push('\\'),
      },
      '$' => {
        let after = &text[at + 1..];
        if let Some(braced) = after.strip_prefix('{')
          && let Some(end) = braced.find('}')
        {
          let inside = &braced[..end];
          let (name, default) = match inside.split_once(":-").or_else(|| inside.split_once('-')) {
            Some((name, default)) => (name, Some(default)),
            None => (inside, None),
          };
          let value = lookup(name).filter(|value| !(value.is_empty() && inside.contains(":-")));
          out.push_str(&value.or(default.map(str::to_owned)).unwrap_or_default());
          // Skip `{`, the inside and `}`.
          for _ in 0..inside.chars().count() + 2 {
            chars.next();
          }
          continue;
        }
        let name: String = after
          .chars()
          .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
          .collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
          out.push('$');
        } else {
          out.push_str(&lookup(&name).unwrap_or_default());
          for _ in 0..name.len() {
            chars.next();
          }
        }
      }
      other => out.push(other),
    }
  }
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  fn parse(text: &str) -> Vec<(String, String)> {
    let environment = |name: &str| (name == "HOME").then(|| "/home/me".to_owned());
    parse_env_file(text, &environment).unwrap()
  }

  fn value(text: &str) -> String {
    parse(text).pop().unwrap().1
  }

  #[test]
  fn reads_what_users_write() {
    let pairs = parse("# c\nA=1\nexport B=\"two words\"\nC='x' \nD=plain # note\n\n");
    let expected = [("A", "1"), ("B", "two words"), ("C", "x"), ("D", "plain")];
    assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
  }

  #[test]
  fn quotes_comments_and_escapes_follow_dotenv() {
    assert_eq!(value("A=\"x\" # c"), "x");
    assert_eq!(value("A=a#b"), "a#b");
    assert_eq!(value("A=\"a # b\""), "a # b");
    assert_eq!(
      value("A=\"tab\\there \\\\ \\\"q\\\" \\n\""),
      "tab\there \\ \"q\" \n"
    );
    assert_eq!(value("A='lit $HOME \\t'"), "lit $HOME \\t");
    assert_eq!(value("A=\"multi\nline\" # c"), "multi\nline");
    assert_eq!(value("A='two\nlines'"), "two\nlines");
    assert_eq!(value("A = spaced  "), "spaced");
    assert_eq!(value("A="), "");
  }

  #[test]
  fn expands_variables_like_compose() {
    assert_eq!(value("A=1\nB=\"$A-${A}\""), "1-1");
    assert_eq!(value("B=${HOME}/x"), "/home/me/x");
    assert_eq!(value("B=\"cost \\$5 $9\""), "cost $5 $9");
    assert_eq!(value("B=${MISSING:-fallback}"), "fallback");
    assert_eq!(value("B=abc$def"), "abc");
    assert_eq!(value("B=end$"), "end$");
  }

  #[test]
  fn any_byte_is_just_data() {
    // A NUL once collided with an internal marker and panicked (found by the fuzzer).
    assert_eq!(value("G= spaced  \u{0}"), "spaced  \u{0}");
    assert_eq!(value("G=\"a\u{0}b \\$x\""), "a\u{0}b $x");
    assert_eq!(value("G=${"), "${");
    assert_eq!(value("G=\"\\\\\""), "\\");
  }

  #[test]
  fn a_bom_and_crlf_are_invisible() {
    assert_eq!(
      parse("\u{feff}A=1\r\nB=\"2\"\r\n"),
      [("A".into(), "1".into()), ("B".into(), "2".into())]
    );
  }

  #[test]
  fn mistakes_say_where() {
    let problem = |text: &str| parse_env_file(text, &|_| None).unwrap_err();
    assert_eq!(problem("A=1\nNOPE").line, 2);
    assert!(problem("NOPE").message.contains("expected KEY=value"));
    let open = problem("A=1\nB=\"never closed\nC=2\n");
    assert_eq!((open.line, open.column), (2, 3));
    assert!(open.message.contains("never closed"), "{}", open.message);
    assert!(
      problem("1A=x")
        .message
        .contains("not a valid variable name")
    );
    assert!(
      problem("A B=x")
        .message
        .contains("not a valid variable name")
    );
    assert!(
      problem("A=\"x\" y")
        .message
        .contains("after the closing quote")
    );
  }
}
