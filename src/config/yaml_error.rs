//! The YAML library's errors in `dev`'s words: the same place, drawn with carets under the
//! word; plainer messages; "did you mean" for a misspelt field.

use super::{Checker, source::Location};
use crate::{
  error::Error,
  ui::suggestion::{list, suggest},
};

impl Checker<'_> {
  /// Converts the YAML library's error into ours: same place, plainer words.
  pub(super) fn yaml_error(&self, error: &serde_saphyr::Error) -> Error {
    let mut message = error.without_snippet().to_string();
    // The location is drawn below: only a trailing " at line N, column M" goes (an alias's
    // "(used at line …)" stays).
    if let Some(cut) = message.rfind(" at line ")
      && message[cut..]
        .trim_start_matches(" at line ")
        .split(", column ")
        .count()
        == 2
      && !message[cut..].contains(')')
    {
      message.truncate(cut);
    }
    if message.starts_with("multiple YAML documents detected") {
      message = format!(
        "{} holds several YAML documents (a `---` line starts another); keep one",
        self.file_name()
      );
    }
    let location = error.location().map(|location| {
      let (line, column) = (location.line() as usize, location.column() as usize);
      let width = self.token_width(line, column);
      Location::new(self.source, line, column, width)
    });
    let mut hint = None;
    if let Some(rest) = message.strip_prefix("unknown field `") {
      let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
      let expected: Vec<&str> = expected
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ")
        .split([',', ' '])
        .map(|name| name.trim_matches('`'))
        .filter(|name| !name.is_empty() && *name != "or")
        .collect();
      hint = Some(match suggest(field, expected.iter().copied()) {
        Some(name) => format!("Did you mean `{name}`?"),
        None => format!(
          "expected one of {}",
          list(
            &expected
              .iter()
              .map(|name| (*name).to_owned())
              .collect::<Vec<_>>()
          )
        ),
      });
      message = format!("unknown field `{field}`");
    } else if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
      let key = rest
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(rest);
      message = format!("duplicate key `{key}`");
      hint = Some("each name may appear once; remove or rename one of them".into());
    } else if let Some((found, expected)) = message
      .strip_prefix("invalid type: ")
      .and_then(|rest| rest.split_once(", expected "))
    {
      message = format!("expected {expected}, found a {found}");
    } else if let Some((plain, plain_hint)) = self.plain_words(&message, location.as_ref()) {
      message = plain;
      hint = plain_hint;
    }
    Error::Config {
      message,
      location,
      hint,
    }
  }

  /// The library's words for a wrong shape, a null or a too-large file, in ours, with a
  /// hint; a YAML syntax error keeps its words and gets the hint about quoting.
  fn plain_words(
    &self,
    said: &str,
    location: Option<&Location>,
  ) -> Option<(String, Option<String>)> {
    let message = match said {
      "expected string scalar" => match self.found_at(location) {
        Some(found) => format!("expected one value (a string or a number) here, found {found}"),
        None => "expected one value (a string or a number) here".into(),
      },
      "expected mapping start" => "expected a mapping (`key: value` lines) here".into(),
      "expected sequence start" => {
        let hint = "write even one item as a list: `[name]`, or `- name` on a line of its own";
        return Some(("expected a list here".into(), Some(hint.into())));
      }
      _ if said.starts_with("cannot deserialize null into") => {
        let message = "a value is missing here (`~`, `null` or nothing means none)";
        let hint = "write a value; for an empty string write `\"\"`";
        return Some((message.into(), Some(hint.into())));
      }
      _ if said.starts_with("budget breached") => {
        let message = format!(
          "{} grows too large: its aliases (`*name`) expand to more than 250,000 values",
          self.file_name()
        );
        let hint =
          "an anchor used inside another that is used many times multiplies; use it directly";
        return Some((message, Some(hint.into())));
      }
      _ if said.starts_with("while parsing") || said.starts_with("while scanning") => {
        let hint = "quote values that contain `{`, `:` or `#` (`run: \"./deploy ${env}\"`)";
        return Some((said.to_owned(), Some(hint.into())));
      }
      _ => return None,
    };
    Some((message, None))
  }

  /// What the text at a location is, when it is a list or a mapping written inline or as
  /// a block: for "expected one value, found a list".
  fn found_at(&self, location: Option<&Location>) -> Option<&'static str> {
    let location = location?;
    let line = self
      .source
      .text
      .lines()
      .nth(location.line.saturating_sub(1))?;
    let rest: String = line
      .chars()
      .skip(location.column.saturating_sub(1))
      .collect();
    match rest.trim_start().chars().next() {
      Some('[' | '-') => Some("a list"),
      Some('{') => Some("a mapping"),
      _ => None,
    }
  }

  /// How wide the word at a position is, for the carets under it.
  fn token_width(&self, line: usize, column: usize) -> usize {
    self
      .source
      .text
      .lines()
      .nth(line.saturating_sub(1))
      .map(|text| {
        text
          .chars()
          .skip(column.saturating_sub(1))
          .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
          .count()
      })
      .unwrap_or(1)
      .max(1)
  }
}
