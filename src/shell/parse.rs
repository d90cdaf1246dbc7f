//! How `dev` reads shell commands: the programs a `run:` line starts, found the way `sh`
//! finds them — quotes, escapes, operators glued to words (`2>&1|tee`), redirections,
//! assignments, keywords, loops, `case`, functions and here-documents.
//!
//! Hand-written: `shell-words` splits words but not operators (`a|b` is one word to it),
//! and what is needed here is which words are in command position.

/// One piece of a command line.
#[derive(Debug, PartialEq, Eq)]
enum Token {
  /// A word with its quotes and escapes removed; `dynamic` when it holds an expansion
  /// (`$x`, `` `…` ``) whose value only the shell knows.
  Word { text: String, dynamic: bool },
  /// `&&`, `||`, `|`, `|&`, `;`, `;;`, `&`, a newline.
  Separator,
  /// `(` or `)`: a subshell, or the `()` of a function definition.
  Paren(char),
  /// `>`, `2>&1`, `<<`, …: the next word is a file (or a here-document's delimiter).
  Redirect { here_document: bool },
}

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
      Token::Separator | Token::Paren(_) => at_command = true,
      Token::Redirect { .. } => index += 1, // its file
      Token::Word { text, dynamic } => {
        if !at_command {
          index += 1;
          continue;
        }
        let text = text.as_str();
        if text == "for" || text == "select" {
          // `for x in a b c` up to the separator: no commands there.
          index = skip_until(&tokens, index, |t| *t == Token::Separator);
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

/// Where a comment starts on a one-line command (`echo hi # note` → 8), as the shell
/// reads it: a `#` that begins a word, outside quotes.
pub(crate) fn comment_start(line: &str) -> Option<usize> {
  let (mut quote, mut escaped, mut in_word) = (None::<char>, false, false);
  for (at, c) in line.char_indices() {
    if escaped {
      escaped = false;
      continue;
    }
    match (quote, c) {
      (Some(open), c) if c == open => quote = None,
      (Some('"'), '\\') => escaped = true,
      (Some(_), _) => {}
      (None, '\\') => (escaped, in_word) = (true, true),
      (None, '\'' | '"') => (quote, in_word) = (Some(c), true),
      (None, '#') if !in_word => return Some(at),
      (None, ' ' | '\t' | ';' | '&' | '|' | '(' | ')') => in_word = false,
      (None, _) => in_word = true,
    }
  }
  None
}

/// Whether a script places its positional parameters itself (`"$@"`, `$*`, `$1`).
pub(crate) fn uses_positional(script: &str) -> bool {
  ["$@", "${@", "$*", "${*"]
    .iter()
    .any(|needle| script.contains(needle))
    || (1..=9).any(|n| script.contains(&format!("${n}")) || script.contains(&format!("${{{n}")))
}

/// The index of the first token from `from` on that `stop` accepts (or the end).
fn skip_until(tokens: &[Token], from: usize, stop: impl Fn(&Token) -> bool) -> usize {
  (from..tokens.len())
    .find(|i| stop(&tokens[*i]))
    .unwrap_or(tokens.len())
}

fn is_assignment(word: &str) -> bool {
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

fn tokenize(command: &str) -> Vec<Token> {
  let chars: Vec<char> = command.chars().collect();
  let mut tokens = Vec::new();
  let mut word = String::new();
  let (mut in_word, mut dynamic) = (false, false);
  let mut here_documents: Vec<String> = Vec::new();
  let mut i = 0;
  let flush =
    |tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool, dynamic: &mut bool| {
      if *in_word {
        tokens.push(Token::Word {
          text: std::mem::take(word),
          dynamic: *dynamic,
        });
      }
      (*in_word, *dynamic) = (false, false);
    };
  while i < chars.len() {
    let c = chars[i];
    match c {
      ' ' | '\t' => flush(&mut tokens, &mut word, &mut in_word, &mut dynamic),
      '\n' => {
        flush(&mut tokens, &mut word, &mut in_word, &mut dynamic);
        tokens.push(Token::Separator);
        // Here-documents begin on the next line and end at their delimiter line.
        for delimiter in here_documents.drain(..) {
          while i + 1 < chars.len() {
            let end = (i + 1..chars.len())
              .find(|j| chars[*j] == '\n')
              .unwrap_or(chars.len());
            let line: String = chars[i + 1..end].iter().collect();
            i = end;
            if line.trim_start_matches('\t') == delimiter {
              break;
            }
          }
        }
      }
      '#' if !in_word => {
        while i + 1 < chars.len() && chars[i + 1] != '\n' {
          i += 1;
        }
      }
      '\'' => {
        in_word = true;
        while i + 1 < chars.len() && chars[i + 1] != '\'' {
          i += 1;
          word.push(chars[i]);
        }
        i += 1;
      }
      '"' => {
        in_word = true;
        while i + 1 < chars.len() && chars[i + 1] != '"' {
          i += 1;
          match chars[i] {
            '\\' if i + 1 < chars.len() && "$`\"\\\n".contains(chars[i + 1]) => {
              i += 1;
              word.push(chars[i]);
            }
            '$' | '`' => {
              dynamic = true;
              word.push(chars[i]);
            }
            other => word.push(other),
          }
        }
        i += 1;
      }
      '\\' => {
        in_word = true;
        if i + 1 < chars.len() {
          i += 1;
          if chars[i] != '\n' {
            word.push(chars[i]);
          }
        }
      }
      '$' | '`' => {
        in_word = true;
        dynamic = true;
        word.push(c);
      }
      '(' | ')' => {
        flush(&mut tokens, &mut word, &mut in_word, &mut dynamic);
        tokens.push(Token::Paren(c));
      }
      '&' | '|' | ';' => {
        flush(&mut tokens, &mut word, &mut in_word, &mut dynamic);
        if c == '&' && chars.get(i + 1) == Some(&'>') {
          // `&>file` / `&>>file`
          i += if chars.get(i + 2) == Some(&'>') { 2 } else { 1 };
          tokens.push(Token::Redirect {
            here_document: false,
          });
        } else {
          let doubled = matches!(
            (c, chars.get(i + 1)),
            ('&', Some('&')) | ('|', Some('|' | '&')) | (';', Some(';'))
          );
          i += usize::from(doubled);
          tokens.push(Token::Separator);
        }
      }
      '<' | '>' => {
        // A redirection, with the fd digits just before it (`2>`) taken back from the word.
        if in_word && word.chars().all(|c| c.is_ascii_digit()) {
          word.clear();
          in_word = false;
        }
        flush(&mut tokens, &mut word, &mut in_word, &mut dynamic);
        let mut operator = String::from(c);
        while let Some(next) = chars.get(i + 1)
          && matches!(next, '<' | '>' | '&' | '|' | '-')
        {
          operator.push(*next);
          i += 1;
        }
        // `2>&1`, `>&-`: the target is a descriptor, not a file word.
        if operator.ends_with('&')
          && chars
            .get(i + 1)
            .is_some_and(|d| d.is_ascii_digit() || *d == '-')
        {
          while chars
            .get(i + 1)
            .is_some_and(|d| d.is_ascii_digit() || *d == '-')
          {
            i += 1;
          }
          tokens.push(Token::Redirect {
            here_document: false,
          });
          tokens.push(Token::Word {
            text: String::new(),
            dynamic: true,
          });
        } else {
          let here_document = operator == "<<" || operator == "<<-";
          tokens.push(Token::Redirect { here_document });
          if here_document {
            let rest: String = chars[i + 1..].iter().collect();
            let delimiter: String = rest
              .trim_start()
              .chars()
              .take_while(|c| !c.is_whitespace() && !";|&".contains(*c))
              .filter(|c| *c != '\'' && *c != '"')
              .collect();
            here_documents.push(delimiter);
          }
        }
      }
      other => {
        in_word = true;
        word.push(other);
      }
    }
    i += 1;
  }
  flush(&mut tokens, &mut word, &mut in_word, &mut dynamic);
  tokens
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
  fn comments_start_where_the_shell_says() {
    assert_eq!(comment_start("echo hi # note"), Some(8));
    assert_eq!(comment_start("echo a#b"), None);
    assert_eq!(comment_start("echo '# not' \"# no\" \\# no"), None);
    assert_eq!(comment_start("x;# yes"), Some(2));
    assert!(uses_positional("pytest \"$@\""));
    assert!(uses_positional("echo $1"));
    assert!(!uses_positional("echo $PORT $$"));
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
