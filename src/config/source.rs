//! Where a value came from in the task file, so any error can point at it.

use std::{
  fmt,
  path::{Path, PathBuf},
  sync::Arc,
};

use crate::ui::color::Color;

/// A task file's path and text, shared by every location that points into it.
#[derive(Debug)]
pub(crate) struct Source {
  pub(crate) path: PathBuf,
  pub(crate) text: String,
}

/// A position in a task file: 1-based line and column.
#[derive(Clone, Debug)]
pub(crate) struct Location {
  pub(crate) source: Arc<Source>,
  pub(crate) line: usize,
  pub(crate) column: usize,
  /// How many characters to underline (at least one caret is drawn).
  pub(crate) width: usize,
}

impl Location {
  pub(crate) fn new(source: &Arc<Source>, line: usize, column: usize, width: usize) -> Self {
    Self {
      source: Arc::clone(source),
      line,
      column,
      width,
    }
  }

  pub(crate) fn path(&self) -> &Path {
    &self.source.path
  }

  /// The just-style pointer:
  /// ```text
  ///  ——▶ devtasks.yaml:4:5
  ///   │
  /// 4 │     porrt: 3
  ///   │     ^^^^^
  /// ```
  pub(crate) fn render(&self, color: Color) -> String {
    let path = display_path(self.path());
    let header = format!("{path}:{}:{}", self.line, self.column);
    let mut out = format!(" {} {header}\n", color.hint("——▶"));
    let Some(text) = self.source.text.lines().nth(self.line.saturating_sub(1)) else {
      return out;
    };
    let (text, column) = clip(text, self.column);
    let number = self.line.to_string();
    let gutter = " ".repeat(number.len());
    let pad: String = text
      .chars()
      .take(column.saturating_sub(1))
      .map(|c| if c == '\t' { '\t' } else { ' ' })
      .collect();
    let carets = "^".repeat(self.width.clamp(1, SHOWN));
    out.push_str(&format!("{gutter} {}\n", color.hint("│")));
    out.push_str(&format!(
      "{} {} {text}\n",
      color.hint(&number),
      color.hint("│")
    ));
    out.push_str(&format!(
      "{gutter} {} {pad}{}",
      color.hint("│"),
      color.error(&carets)
    ));
    out
  }
}

impl fmt::Display for Location {
  fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
    write!(
      f,
      "{}:{}:{}",
      display_path(self.path()),
      self.line,
      self.column
    )
  }
}

/// At most this many characters of a source line are shown around the column pointed at.
const SHOWN: usize = 100;

/// A long line cut to `SHOWN` characters around `column` (marked `…`), and the column in
/// what is shown: a mistake on a 200 KB line must not print 200 KB.
fn clip(text: &str, column: usize) -> (String, usize) {
  let length = text.chars().count();
  if length <= SHOWN {
    return (text.to_owned(), column);
  }
  let start = column.saturating_sub(SHOWN / 3).min(length - SHOWN);
  let shown: String = text.chars().skip(start).take(SHOWN).collect();
  let head = if start > 0 { "…" } else { "" };
  let tail = if start + SHOWN < length { "…" } else { "" };
  (
    format!("{head}{shown}{tail}"),
    column - start + head.chars().count(),
  )
}

/// Paths relative to the working directory when that is shorter, as users typed them.
pub(crate) fn display_path(path: &Path) -> String {
  std::env::current_dir()
    .ok()
    .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
    .filter(|relative| !relative.as_os_str().is_empty())
    .unwrap_or_else(|| path.to_path_buf())
    .display()
    .to_string()
}
