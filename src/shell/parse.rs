//! How `dev` reads shell commands: the programs a `run:` line starts, found the way `sh`
//! finds them — quotes, escapes, operators glued to words (`2>&1|tee`), redirections,
//! assignments, keywords, loops, `case`, functions and here-documents.
//!
//! Hand-written: `shell-words` splits words but not operators (`a|b` is one word to it),
//! and what is needed here is which words are in command position.

pub(super) use super::wrappers::is_assignment;
use super::{
  lexer::{Token, tokenize},
  wrappers::{is_wrapper, wrapped_program},
};

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

/// A program a command starts.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Program {
  pub(crate) name: String,
  /// The simple command it heads, for messages: `python server.py`.
  pub(crate) simple: String,
  /// Where an earlier `cd` of the command moved (`cd web && npm run dev`): relative to the
  /// command's own directory; `None` where it did not move.
  pub(crate) dir: Option<String>,
}

/// The programs `command` starts, in order. Builtins, keywords, functions defined in the
/// command, words only the shell can know (`$EDITOR`) and the words of wrappers (`nice -n
/// 10`, `env -u HOME`) are left out.
pub(crate) fn programs(command: &str) -> Vec<Program> {
  let tokens = tokenize(command);
  let mut found: Vec<Program> = Vec::new();
  let mut functions: Vec<String> = Vec::new();
  let mut at_command = true;
  // The directory of each open subshell: a `cd` inside `( … )` ends with it.
  let mut dirs: Vec<Option<String>> = vec![None];
  let mut index = 0;
  while index < tokens.len() {
    match &tokens[index] {
      Token::Separator(_) => at_command = true,
      Token::Paren(paren) => {
        at_command = true;
        enter_or_leave(&mut dirs, *paren);
      }
      Token::Redirect { .. } => index += 1, // its file
      Token::Word { text, dynamic } => {
        if !at_command {
          index += 1;
          continue;
        }
        let text = text.as_str();
        if let Some(after) = skip_compound(&tokens, index, text) {
          index = after;
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
        if is_wrapper(text) {
          index = wrapped_program(&tokens, index);
          continue;
        }
        at_command = false;
        if text == "cd" {
          change_dir(&mut dirs, tokens.get(index + 1));
        }
        if !*dynamic && !BUILTINS.contains(&text) && !functions.iter().any(|f| f == text) {
          found.push(Program {
            name: text.to_owned(),
            simple: simple_command(&tokens, index),
            dir: dirs.last().cloned().flatten(),
          });
        }
      }
    }
    index += 1;
  }
  found
}

/// `for x in a b c` (up to the separator) and `case … esac` hold no commands to look at:
/// where they end, if `word` opens one.
fn skip_compound(tokens: &[Token], index: usize, word: &str) -> Option<usize> {
  match word {
    "for" | "select" => Some(skip_until(tokens, index, |t| {
      matches!(t, Token::Separator(_))
    })),
    "case" => Some(skip_until(
      tokens,
      index,
      |t| matches!(t, Token::Word { text, .. } if text == "esac"),
    )),
    _ => None,
  }
}

/// `(` opens a subshell, which starts where its parent is; `)` ends it, and its `cd`s.
fn enter_or_leave(dirs: &mut Vec<Option<String>>, paren: char) {
  if paren == '(' {
    dirs.push(dirs.last().cloned().flatten());
  } else if dirs.len() > 1 {
    dirs.pop();
  }
}

/// `cd <to>`: the current (sub)shell moves there, relative to where it was. A `cd` to a
/// place only the shell knows (`cd $X`) or with options is not followed.
fn change_dir(dirs: &mut [Option<String>], to: Option<&Token>) {
  let Some(Token::Word {
    text: to,
    dynamic: false,
  }) = to
  else {
    return;
  };
  if to.starts_with('-') {
    return;
  }
  if let Some(dir) = dirs.last_mut() {
    *dir = Some(match dir.take() {
      Some(from) if !to.starts_with('/') => format!("{from}/{to}"),
      _ => to.clone(),
    });
  }
}

/// The index of the first token from `from` on that `stop` accepts (or the end).
fn skip_until(tokens: &[Token], from: usize, stop: impl Fn(&Token) -> bool) -> usize {
  (from..tokens.len())
    .find(|i| stop(&tokens[*i]))
    .unwrap_or(tokens.len())
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
      .map(|program| program.name)
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
  fn names_the_simple_command_of_each_program_and_where_it_runs() {
    let program = |name: &str, simple: &str, dir: Option<&str>| Program {
      name: name.into(),
      simple: simple.into(),
      dir: dir.map(str::to_owned),
    };
    assert_eq!(
      programs("a=1 python3 -m http.server 8000 | tee x"),
      [
        program("python3", "python3 -m http.server 8000", None),
        program("tee", "tee x", None)
      ]
    );
    assert_eq!(
      programs("cd web && cd app && npm run dev; (cd /x; ./a); ./b"),
      [
        program("npm", "npm run dev", Some("web/app")),
        program("./a", "./a", Some("/x")),
        program("./b", "./b", Some("web/app")),
      ]
    );
  }

  #[test]
  fn wrappers_lead_to_the_program_they_run() {
    let cases: [(&str, &[&str]); 10] = [
      ("nice -n 10 python3 app.py", &["python3"]),
      ("nice -10 python3 app.py", &["python3"]),
      ("env -u HOME -i A=1 node x.js", &["node"]),
      ("exec -a myname server --port 1", &["server"]),
      ("nohup worker &", &["worker"]),
      ("time -p make", &["make"]),
      ("sudo -u www-data -E gunicorn app", &["gunicorn"]),
      ("find . | xargs -I {} -P 4 gzip {}", &["find", "gzip"]),
      ("timeout -s INT 5s pytest -q", &["pytest"]),
      ("stdbuf -oL nice -n 5 exec python3 -u x.py", &["python3"]),
    ];
    for (command, expected) in cases {
      assert_eq!(names(command), expected, "{command:?}");
    }
  }
}
