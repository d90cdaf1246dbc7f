//! Where a task's extra words go (`dev lint --fix`): where the script puts them (`"$@"`,
//! `$1`), else after its one command — read with the shell's own grammar, so that
//! `awk '{print $1}'` (awk's `$1`, in single quotes) still gets them, and `echo start;`,
//! `eslint . || true`, `pytest | tee log` or `server &` never run them as a command or hand
//! them to `true` or `tee`. Anything else is refused, with the fix.

use super::lexer::{Lexed, Token, lex};

/// Reserved words that open a compound command: the words would land inside it.
const COMPOUND: [&str; 9] = [
  "if", "while", "until", "for", "case", "select", "{", "!", "function",
];

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Placement {
  /// The script reads its positional parameters itself.
  Itself,
  /// `"$@"` goes at this byte offset: the end of the script's one command (before a
  /// trailing `;` or comment).
  At(usize),
  /// No one command takes them: why.
  Nowhere(String),
}

pub(crate) fn place_words(script: &str) -> Placement {
  let lexed = lex(script);
  if lexed.positional {
    return Placement::Itself;
  }
  let tokens = &lexed.tokens;
  // A trailing `;` or newline ends the one command; it does not start another.
  let mut last = tokens.len();
  while last > 0 && matches!(tokens[last - 1], Token::Separator(";" | "\n")) {
    last -= 1;
  }
  if last == 0 {
    return Placement::Nowhere("it runs no command".into());
  }
  let mut at_command = true;
  let mut index = 0;
  while index < last {
    match &tokens[index] {
      Token::Separator("&&") => at_command = true,
      Token::Separator(operator) => return Placement::Nowhere(after(&lexed, index, operator)),
      Token::Paren('(') if substitution(&lexed, index) => index = closing(tokens, index),
      Token::Paren(_) => {
        return Placement::Nowhere("it has a subshell or defines a function".into());
      }
      Token::Redirect {
        here_document: true,
      } => {
        return Placement::Nowhere("it has a here-document".into());
      }
      Token::Redirect { .. } => index += 1,
      Token::Word { text, .. } if at_command => {
        if COMPOUND.contains(&text.as_str()) {
          return Placement::Nowhere(format!("`{text}` starts a compound command"));
        }
        at_command = super::parse::is_assignment(text);
      }
      Token::Word { .. } => {}
    }
    index += 1;
  }
  if at_command {
    // `A=1 B=2 "$@"` would run the first word as the command.
    return Placement::Nowhere("it only sets variables".into());
  }
  Placement::At(lexed.ends[last - 1])
}

/// Why the words cannot go after a command followed by `operator` (at `index`).
fn after(lexed: &Lexed, index: usize, operator: &str) -> String {
  let next = lexed.tokens[index + 1..]
    .iter()
    .find_map(|token| match token {
      Token::Word { text, .. } if !super::parse::is_assignment(text) => Some(text.as_str()),
      _ => None,
    });
  let next = next.unwrap_or("the next command");
  match operator {
    "|" | "|&" => format!("it is a pipeline, and at its end they would go to `{next}`"),
    "||" => format!("at its end they would go to `{next}`, the command after `||`"),
    "&" => "it runs a command in the background (`&`)".into(),
    _ => "it runs several commands".into(),
  }
}

/// Whether the `(` at `index` opens `$(…)`: glued to a word that ends in `$`.
fn substitution(lexed: &Lexed, index: usize) -> bool {
  index > 0
    && matches!(&lexed.tokens[index - 1], Token::Word { text, .. } if text.ends_with('$'))
    && lexed.ends[index - 1] + 1 == lexed.ends[index]
}

/// The index of the `)` that closes the `(` at `open` (or the last token).
fn closing(tokens: &[Token], open: usize) -> usize {
  let mut depth = 0;
  for (index, token) in tokens.iter().enumerate().skip(open) {
    match token {
      Token::Paren('(') => depth += 1,
      Token::Paren(')') => {
        depth -= 1;
        if depth == 0 {
          return index;
        }
      }
      _ => {}
    }
  }
  tokens.len() - 1
}

#[cfg(test)]
mod tests {
  use super::*;

  fn placed(script: &str) -> String {
    match place_words(script) {
      Placement::At(at) => format!("{} \"$@\"{}", &script[..at], &script[at..]),
      other => format!("{other:?}"),
    }
  }

  #[test]
  fn words_go_after_the_one_command() {
    let cases = [
      ("awk '{print $1}'", "awk '{print $1}' \"$@\""),
      ("echo start;", "echo start \"$@\";"),
      ("pytest -q # fast", "pytest -q \"$@\" # fast"),
      ("cd web && npm test\n", "cd web && npm test \"$@\"\n"),
      ("pytest > out 2>&1", "pytest > out 2>&1 \"$@\""),
      (
        "docker run -v $(pwd):/x img",
        "docker run -v $(pwd):/x img \"$@\"",
      ),
      ("échö 'é'", "échö 'é' \"$@\""),
      ("A=1 python3 -m x", "A=1 python3 -m x \"$@\""),
    ];
    for (script, wanted) in cases {
      assert_eq!(placed(script), wanted, "{script}");
    }
  }

  #[test]
  fn a_script_that_places_them_itself_keeps_them_there() {
    for script in [
      "pytest \"$@\"",
      "echo $1",
      "echo \"${1:-x}\"",
      "[ $# -gt 0 ]",
      "exec \"${@}\"",
    ] {
      assert_eq!(place_words(script), Placement::Itself, "{script}");
    }
  }

  #[test]
  fn no_one_command_means_no_place() {
    for script in [
      "eslint . || true",
      "pytest | tee log",
      "server &",
      "echo a; echo b",
      "make\nmake test",
      "(cd x && make)",
      "for f in *; do echo $f; done",
      "if true; then make; fi",
      "cat <<EOF\nx\nEOF",
      "# only a comment",
      "A=1 B=2",
    ] {
      assert!(
        matches!(place_words(script), Placement::Nowhere(_)),
        "{script}"
      );
    }
    assert_eq!(
      place_words("eslint . || true"),
      Placement::Nowhere("at its end they would go to `true`, the command after `||`".into())
    );
  }
}
