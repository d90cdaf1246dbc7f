//! `env:` values and probe addresses (`health: {http, tcp}`): no shell reads them, so `dev`
//! expands them itself, the way compose does: `$VAR`, `${VAR}`, `${VAR:-default}` and
//! `${VAR-default}`, `${VAR:?message}` and `${VAR?message}`, `${VAR:+other}` and
//! `${VAR+other}` (the words may hold more of these), `${svc.port}`, and `$$` for a `$`.
//! Anything else in `${…}` is a mistake, found when the file is read (`check`), never an
//! empty value.

use super::interpolate::{Reference, closing_brace, split_reference};

/// A value, read.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
  Text(String),
  Variable {
    name: String,
    operator: Option<(Operator, Vec<Piece>)>,
  },
  Reference(Reference),
}

/// What `${VAR<op>word}` does with `word`; `colon` also counts an empty value as unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
  Default { colon: bool },
  Required { colon: bool },
  Alternative { colon: bool },
}

/// A `${…}` that `dev` cannot expand: where it is in the value, and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Mistake {
  pub(crate) offset: usize,
  pub(crate) len: usize,
  pub(crate) message: String,
}

/// The `${svc.port}` references of a value (also inside defaults), or its first mistake.
pub(crate) fn check(text: &str) -> Result<Vec<Reference>, Mistake> {
  fn collect(pieces: &[Piece], found: &mut Vec<Reference>) {
    for piece in pieces {
      match piece {
        Piece::Reference(reference) => found.push(reference.clone()),
        Piece::Variable {
          operator: Some((_, word)),
          ..
        } => collect(word, found),
        _ => {}
      }
    }
  }
  let mut found = Vec::new();
  collect(&parse(text, 0)?, &mut found);
  Ok(found)
}

/// The value expanded; `Err` says which required variable is missing (`${VAR:?message}`).
pub(crate) fn expand(
  text: &str,
  variable: &dyn Fn(&str) -> Option<String>,
  reference: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<String, String> {
  let pieces = parse(text, 0).map_err(|mistake| mistake.message)?;
  evaluate(&pieces, variable, reference)
}

fn evaluate(
  pieces: &[Piece],
  variable: &dyn Fn(&str) -> Option<String>,
  reference: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<String, String> {
  let mut out = String::new();
  for piece in pieces {
    match piece {
      Piece::Text(text) => out.push_str(text),
      Piece::Reference(r) => out.push_str(&reference(&r.service, &r.field).unwrap_or_default()),
      Piece::Variable { name, operator } => {
        let value = variable(name);
        let Some((operator, word)) = operator else {
          out.push_str(&value.unwrap_or_default());
          continue;
        };
        let (Operator::Default { colon }
        | Operator::Required { colon }
        | Operator::Alternative { colon }) = *operator;
        let set = value.as_ref().is_some_and(|v| !colon || !v.is_empty());
        match operator {
          Operator::Default { .. } if set => out.push_str(&value.unwrap_or_default()),
          Operator::Default { .. } => out.push_str(&evaluate(word, variable, reference)?),
          Operator::Alternative { .. } if set => {
            out.push_str(&evaluate(word, variable, reference)?);
          }
          Operator::Alternative { .. } => {}
          Operator::Required { .. } if set => out.push_str(&value.unwrap_or_default()),
          Operator::Required { .. } => {
            let message = evaluate(word, variable, reference)?;
            let unset = if colon { "not set or empty" } else { "not set" };
            return Err(if message.is_empty() {
              format!("`{name}` is {unset}")
            } else {
              format!("`{name}` is {unset}: {message}")
            });
          }
        }
      }
    }
  }
  Ok(out)
}

/// Reads `text`, which starts at byte `base` of the whole value (for the offsets).
fn parse(text: &str, base: usize) -> Result<Vec<Piece>, Mistake> {
  let mut pieces = Vec::new();
  let mut literal = String::new();
  let mut at = 0;
  while let Some(dollar) = text[at..].find('$').map(|i| i + at) {
    literal.push_str(&text[at..dollar]);
    let rest = &text[dollar + 1..];
    let name_len = rest
      .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
      .unwrap_or(rest.len());
    if rest.starts_with('$') {
      literal.push('$');
      at = dollar + 2;
    } else if rest.starts_with('{') {
      let Some(end) = closing_brace(text, dollar + 2) else {
        return Err(Mistake {
          offset: base + dollar,
          len: text.len() - dollar,
          message: "`${` without its closing `}` (write `$${` for a literal `${`)".into(),
        });
      };
      pieces.push(Piece::Text(std::mem::take(&mut literal)));
      pieces.push(braced(&text[dollar + 2..end], base + dollar)?);
      at = end + 1;
    } else if name_len > 0 && !rest.starts_with(|c: char| c.is_ascii_digit()) {
      pieces.push(Piece::Text(std::mem::take(&mut literal)));
      pieces.push(Piece::Variable {
        name: rest[..name_len].to_owned(),
        operator: None,
      });
      at = dollar + 1 + name_len;
    } else {
      literal.push('$');
      at = dollar + 1;
    }
  }
  literal.push_str(&text[at..]);
  pieces.push(Piece::Text(literal));
  pieces.retain(|piece| *piece != Piece::Text(String::new()));
  Ok(pieces)
}

/// The inside of one `${…}` that starts at byte `offset` of the value.
fn braced(inner: &str, offset: usize) -> Result<Piece, Mistake> {
  let len = inner.len() + 3;
  if let Some((service, field)) = split_reference(inner) {
    return Ok(Piece::Reference(Reference {
      service: service.to_owned(),
      field: field.to_owned(),
      offset,
      len,
    }));
  }
  let name_len = inner
    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
    .unwrap_or(inner.len());
  let name = &inner[..name_len];
  let rest = &inner[name_len..];
  let operators = [
    (":-", Operator::Default { colon: true }),
    ("-", Operator::Default { colon: false }),
    (":?", Operator::Required { colon: true }),
    ("?", Operator::Required { colon: false }),
    (":+", Operator::Alternative { colon: true }),
    ("+", Operator::Alternative { colon: false }),
  ];
  let valid_name = name_len > 0 && !name.starts_with(|c: char| c.is_ascii_digit());
  if valid_name && rest.is_empty() {
    return Ok(Piece::Variable {
      name: name.to_owned(),
      operator: None,
    });
  }
  let found = operators
    .iter()
    .find_map(|(text, operator)| Some((*operator, rest.strip_prefix(text)?, text.len())));
  match found {
    Some((operator, word, operator_len)) if valid_name => Ok(Piece::Variable {
      name: name.to_owned(),
      operator: Some((operator, parse(word, offset + 2 + name_len + operator_len)?)),
    }),
    _ => Err(Mistake {
      offset,
      len,
      message: format!(
        "`${{{inner}}}` is not something `dev` can expand here: no shell reads this value, and `dev` knows `${{VAR}}`, `${{VAR:-default}}`, `${{VAR-default}}`, `${{VAR:?message}}`, `${{VAR:+other}}` and `${{service.port}}` (write `$${{` for a literal `${{`)"
      ),
    }),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn port(service: &str, field: &str) -> Option<String> {
    (service == "backend" && field == "port").then(|| "8001".to_owned())
  }

  fn env(name: &str) -> Option<String> {
    match name {
      "PORT" => Some("5173".into()),
      "EMPTY" => Some(String::new()),
      _ => None,
    }
  }

  fn expanded(text: &str) -> Result<String, String> {
    expand(text, &env, &port)
  }

  #[test]
  fn env_values_expand_everything() {
    let text = "http://x:${backend.port}/ $PORT ${PORT} $$ $MISSING end$ $1";
    assert_eq!(
      expanded(text).unwrap(),
      "http://x:8001/ 5173 5173 $  end$ $1"
    );
  }

  #[test]
  fn defaults_and_alternatives_follow_compose() {
    let cases = [
      ("${LOG_LEVEL:-info}", "info"),
      ("${WORKERS-4}", "4"),
      ("${EMPTY-4}|${EMPTY:-4}", "|4"),
      ("${DATABASE_URL:-sqlite:///dev.db}", "sqlite:///dev.db"),
      ("${PORT:-1}", "5173"),
      ("${PORT:+set}|${MISSING:+set}|${EMPTY+set}", "set||set"),
      (
        "${API:-http://127.0.0.1:${backend.port}/}",
        "http://127.0.0.1:8001/",
      ),
      ("${A:-${B:-deep}}", "deep"),
      ("$${not.expanded}", "${not.expanded}"),
    ];
    for (text, wanted) in cases {
      assert_eq!(expanded(text).unwrap(), wanted, "{text}");
    }
  }

  #[test]
  fn a_required_variable_that_is_missing_is_an_error_never_empty() {
    assert_eq!(
      expanded("${TOKEN:?ask the team}").unwrap_err(),
      "`TOKEN` is not set or empty: ask the team"
    );
    assert!(expanded("${EMPTY?x}").is_ok());
    assert!(expanded("${EMPTY:?x}").is_err());
  }

  #[test]
  fn shell_only_syntax_is_a_located_mistake() {
    let mistake = check("x=${f%.*} y").unwrap_err();
    assert_eq!((mistake.offset, mistake.len), (2, 7));
    assert!(check("${unclosed").is_err());
    assert!(check("${1}").is_err());
    let found = check("${A:-${backend.port}} ${nope.port}").unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!((found[1].service.as_str(), found[1].offset), ("nope", 22));
  }
}
