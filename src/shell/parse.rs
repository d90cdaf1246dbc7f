//! How `dev` reads shell commands: the programs a `run:` line starts, found the way `sh`
//! finds them — quotes, escapes, operators glued to words (`2>&1|tee`), redirections,
//! assignments, keywords, loops, `case`, functions and here-documents.
//!
//! Hand-written: `shell-words` splits words but not operators (`a|b` is one word to it),
//! and what is needed here is which words are in command position.

use super::lexer::{Token, tokenize};

/// Words that are the shell's own, not programs on PATH.
const BUILTINS: [&str; 38] = [
  "cd", "echo", "exec", "export", "set", "unset", "true", "false", "test", "[", "printf", "read",
  "wait", "source", ".", "eval", "trap", "exit", "umask", "ulimit", ":", "shift", "return",
  "local", "readonly", "alias", "type", "kill", "break", "continue", "getopts", "hash", "jobs",
  "fg", "bg", "times", "pwd", "command",
];

/// Reserved words that open or continue a compound command: a command follows them.
const KEYWORDS: [&str; 14] = [
  "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "in", "esac",
];

/// Words that run the next word as the program.
const WRAPPERS: [&str; 5] = ["exec", "env", "nohup", "time", "nice"];

/// The programs `command` starts, in order, each with the simple command it heads (for
/// messages). Builtins, keywords, functions defined in the command and words only the shell
/// can know (`$EDITOR`) are left out.
pub(crate) fn programs(command: &str) -> Vec<(String, String)> {
  let tokens = tokenize(command);
  let mut found: Vec<(String, String)> = Vec::new();
  let mut functions: Vec<String> = Vec::new();
  let mut at_command = true;
  let mut index = 0;
  while index < tokens.len() {
    match &tokens[index] {
      Token::Separator(_) | Token::Paren(_) => at_command = true,
      Token::Redirect { .. } => index += 1, // its file
      Token::Word { text, dynamic } => {
        if !at_command {
          index += 1;
          continue;
        }
        let text = text.as_str();
        if text == "for" || text == "select" {
          // `for x in a b c` up to the separator: no commands there.
          index = skip_until(&tokens, index, |t| matches!(t, Token::Separator(_)));
          continue;
        }
        if text == "case" {
          index = skip_until(
            &tokens,
            index,
            |t| matches!(t, Token::Word { text, .. } if text == "esac"),
          );
          continue;
        }
        if text == "function" {
          if let Some(Token::Word { text, .. }) = tokens.get(index + 1) {
            functions.push(text.clone());
          }
          index += 2;
          continue;
        }
        if KEYWORDS.contains(&text) {
          index += 1;
          continue;
        }
        // `name() { … }`: a function, callable later.
        if tokens.get(index + 1) == Some(&Token::Paren('('))
          && tokens.get(index + 2) == Some(&Token::Paren(')'))
        {
          functions.push(text.to_owned());
          index += 3;
          continue;
        }
        if is_assignment(text) {
          index += 1;
          continue;
        }
        if WRAPPERS.contains(&text) {
          // Their options and assignments, then the program.
          index += 1;
          while let Some(Token::Word { text, .. }) = tokens.get(index)
            && (text.starts_with('-') || is_assignment(text))
          {
            index += 1;
          }
          continue;
        }
        at_command = false;
        if !*dynamic && !BUILTINS.contains(&text) && !functions.iter().any(|f| f == text) {
          found.push((text.to_owned(), simple_command(&tokens, index)));
        }
      }
    }
    index += 1;
  }
  found
}

/// The index of the first token from `from` on that `stop` accepts (or the end).
fn skip_until(tokens: &[Token], from: usize, stop: impl Fn(&Token) -> bool) -> usize {
  (from..tokens.len())
    .find(|i| stop(&tokens[*i]))
    .unwrap_or(tokens.len())
}

pub(super) fn is_assignment(word: &str) -> bool {
  word.split_once('=').is_some_and(|(name, _)| {
    !name.is_empty()
      && !name.starts_with(|c: char| c.is_ascii_digit())
      && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
  })
}

/// The words of the simple command that starts at `start`, joined: `python server.py`.
fn simple_command(tokens: &[Token], start: usize) -> String {
  tokens[start..]
    .iter()
    .map_while(|token| match token {
      Token::Word { text, .. } => Some(text.as_str()),
      _ => None,
    })
    .collect::<Vec<_>>()
    .join(" ")
}

#[cfg(test)]
mod tests {
  use super::*;

  fn names(command: &str) -> Vec<String> {
    programs(command)
      .into_iter()
      .map(|(name, _)| name)
      .collect()
  }

  #[test]
  fn finds_the_programs_a_shell_would_run() {
    let cases: [(&str, &[&str]); 16] = [
      ("python server.py 2>&1 | tee out.log", &["python", "tee"]),
      ("python server.py 2>&1|tee out.log", &["python", "tee"]),
      ("while true; do sleep 1; done", &["sleep"]),
      ("echo \"a|b\"", &[]),
      ("PORT=1 exec python3 -u x.py", &["python3"]),
      ("env -i A=b node server.js", &["node"]),
      ("cd web && npm run dev", &["npm"]),
      ("for f in a b; do cat $f; done", &["cat"]),
      (
        "if [ -f x ]; then make; else cmake .; fi",
        &["make", "cmake"],
      ),
      ("cat <<EOF\nhello world\nEOF\nls", &["cat", "ls"]),
      ("(cd x; ./run.sh)", &["./run.sh"]),
      ("f() { ls; }; f", &["ls"]),
      ("case $x in a) foo;; esac; bar", &["bar"]),
      ("$EDITOR file; \"$X\" y", &[]),
      ("uvicorn app:app > log.txt 2>&1 &", &["uvicorn"]),
      ("# just a comment\nnode a.js # trailing", &["node"]),
    ];
    for (command, expected) in cases {
      assert_eq!(names(command), expected, "{command:?}");
    }
  }

  #[test]
  fn names_the_simple_command_of_each_program() {
    assert_eq!(
      programs("a=1 python3 -m http.server 8000 | tee x"),
      [
        ("python3".into(), "python3 -m http.server 8000".into()),
        ("tee".into(), "tee x".into())
      ]
    );
  }
}
