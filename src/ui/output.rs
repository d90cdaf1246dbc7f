//! Everything `dev` prints about what it does (to stderr), service output with aligned
//! colored prefixes (to stdout), and tables. Lower layers return values; this renders them.

use std::io::{self, Write};

use crate::{
  config::source::display_path,
  error::{Error, Result},
  ui::{
    color::Color,
    format::{display_width, pad_to},
    screen::above,
  },
};

/// Progress and outcome lines: `▸ backend started …`, `✗ frontend exited with code 1`.
#[derive(Clone, Copy)]
pub(crate) struct Reporter {
  pub(crate) color: Color,
}

impl Reporter {
  pub(crate) fn step(self, message: &str) {
    above(|| to_stderr(&format!("{} {message}\n", self.color.hint("▸"))));
  }

  pub(crate) fn success(self, message: &str) {
    above(|| to_stderr(&format!("{} {message}\n", self.color.good("✓"))));
  }

  pub(crate) fn stopped(self, message: &str) {
    above(|| to_stderr(&format!("{} {message}\n", self.color.dim("■"))));
  }

  pub(crate) fn failure(self, message: &str) {
    above(|| to_stderr(&format!("{} {message}\n", self.color.error("✗"))));
  }

  pub(crate) fn warning(self, message: &str) {
    above(|| to_stderr(&format!("{} {message}\n", self.color.warning("warning:"))));
  }

  /// Indented lines under a failure: `  last 20 lines of its output:` and the lines.
  pub(crate) fn details(self, header: &str, lines: &[String]) {
    above(|| {
      let mut stderr = io::stderr().lock();
      let _ = writeln!(stderr, "  {}", self.color.dim(header));
      for line in lines {
        let _ = writeln!(stderr, "  {} {line}", self.color.dim("│"));
      }
    });
  }

  pub(crate) fn path(self, path: &std::path::Path) -> String {
    display_path(path)
  }
}

/// Writes one service's output lines as `backend  │ line`, aligned across services.
#[derive(Clone)]
pub(crate) struct Prefixer {
  prefix: String,
}

impl Prefixer {
  pub(crate) fn new(color: Color, name: &str, index: usize, width: usize) -> Self {
    let padded = format!("{name:<width$}");
    Self {
      prefix: format!("{} {} ", color.service(index, &padded), color.dim("│")),
    }
  }

  /// No prefix at all: one service's log on its own.
  pub(crate) fn plain() -> Self {
    Self {
      prefix: String::new(),
    }
  }

  /// Writes a line (without its newline) under the stdout lock, so lines never interleave.
  pub(crate) fn line(&self, line: &[u8]) -> io::Result<()> {
    above(|| {
      let mut stdout = io::stdout().lock();
      stdout.write_all(self.prefix.as_bytes())?;
      stdout.write_all(line)?;
      stdout.write_all(b"\n")?;
      stdout.flush()
    })
  }
}

impl Prefixer {
  /// Several lines (`a\nb`, without the last newline), each prefixed, in one write.
  pub(crate) fn lines(&self, text: &[u8]) -> io::Result<()> {
    let mut out = Vec::with_capacity(text.len() + 64 * (self.prefix.len() + 1));
    for line in text.split(|byte| *byte == b'\n') {
      out.extend_from_slice(self.prefix.as_bytes());
      out.extend_from_slice(line);
      out.push(b'\n');
    }
    above(|| {
      let mut stdout = io::stdout().lock();
      stdout.write_all(&out)?;
      stdout.flush()
    })
  }
}

/// The `--json` rendering of a value, on stdout.
pub(crate) fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<()> {
  let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
  text.push('\n');
  print_out(&text)
}

/// Writes to stdout. A reader that went away (`dev … | head`, a closed terminal) is
/// `Error::OutputClosed`, which ends `dev` quietly with exit code 0: never a panic.
pub(crate) fn print_out(text: &str) -> Result<()> {
  let mut stdout = io::stdout().lock();
  stdout
    .write_all(text.as_bytes())
    .and_then(|()| stdout.flush())
    .map_err(output_error)
}

/// What a failed write to stdout means.
pub(crate) fn output_error(error: io::Error) -> Error {
  if is_closed(&error) {
    Error::OutputClosed
  } else {
    Error::io("cannot write to stdout")(error)
  }
}

/// A pipe whose reader exited (EPIPE) or a terminal that is gone (EIO).
pub(crate) fn is_closed(error: &io::Error) -> bool {
  error.kind() == io::ErrorKind::BrokenPipe || error.raw_os_error() == Some(crate::sys::EIO)
}

/// Writes to stderr, ignoring failure: when the terminal is gone there is nobody to tell,
/// and `dev` must go on stopping what it started.
pub(crate) fn to_stderr(text: &str) {
  let mut stderr = io::stderr().lock();
  let _ = stderr.write_all(text.as_bytes());
  let _ = stderr.flush();
}

/// A plain aligned table: a header row and data rows, columns separated by two spaces,
/// aligned by the columns cells take on screen (colors and wide characters included).
pub(crate) fn table(color: Color, header: &[&str], rows: &[Vec<String>]) -> String {
  let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
  for row in rows {
    for (i, cell) in row.iter().enumerate() {
      widths[i] = widths[i].max(display_width(cell));
    }
  }
  let render = |cells: Vec<String>| {
    let last = cells.len() - 1;
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
      if i == last {
        line.push_str(cell);
      } else {
        line.push_str(&pad_to(cell, widths[i]));
        line.push_str("  ");
      }
    }
    line.trim_end().to_owned()
  };
  let mut out = format!(
    "{}\n",
    color.bold(&render(header.iter().map(|h| (*h).to_owned()).collect()))
  );
  for row in rows {
    out.push_str(&render(row.clone()));
    out.push('\n');
  }
  out
}
