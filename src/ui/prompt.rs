//! One yes/no question on the terminal, asked the same way everywhere `dev` asks.

use std::io::{self, BufRead};

use crate::ui::output::to_stderr;

/// Writes `question [y/N] ` to stderr and reads one line: only `y` or `yes` (any case) is
/// yes; Enter, anything else and the end of input (Ctrl+D) are no. Whether to ask at all
/// (stdin a terminal, `--yes`) is the caller's decision.
pub(crate) fn yes(question: &str) -> bool {
  to_stderr(&format!("{question} [y/N] "));
  let mut answer = String::new();
  match io::stdin().lock().read_line(&mut answer) {
    Ok(0) | Err(_) => {
      // Nobody pressed Enter: what follows starts on a line of its own.
      to_stderr("\n");
      false
    }
    Ok(_) => matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"),
  }
}
