//! Where a value came from in the task file, so any error can point at it.

use std::{
  fmt,
  path::{Path, PathBuf},
  sync::Arc,
};

use crate::color::Color;

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
    let number = self.line.to_string();
    let gutter = " ".repeat(number.len());
    let pad: String = text
      .chars()
      .take(self.column.saturating_sub(1))
      .map(|c| if c == '\t' { '\t' } else { ' ' })
      .collect();
    let carets = "^".repeat(self.width.max(1));
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
