//! Splitting a command line into the pieces the shell sees: words (quotes and escapes
//! removed), separators, parentheses and redirections; comments and here-document bodies
//! dropped.

/// One piece of a command line.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Token {
  /// A word with its quotes and escapes removed; `dynamic` when it holds an expansion
  /// (`$x`, `` `…` ``) whose value only the shell knows.
  Word { text: String, dynamic: bool },
  /// `&&`, `||`, `|`, `|&`, `;`, `;;`, `&`, a newline (`"\n"`).
  Separator(&'static str),
  /// `(` or `)`: a subshell, or the `()` of a function definition.
  Paren(char),
  /// `>`, `2>&1`, `<<`, …: the next word is a file (or a here-document's delimiter).
  Redirect { here_document: bool },
}

/// The command line split into tokens.
pub(super) fn tokenize(command: &str) -> Vec<Token> {
  lex(command).tokens
}

/// A command line read: its tokens, where each ends, and whether it reads its positional
/// parameters.
pub(super) struct Lexed {
  pub(super) tokens: Vec<Token>,
  /// The byte offset just past each token in the command line.
  pub(super) ends: Vec<usize>,
  /// `$@`, `$*`, `$1`…`$9`, `$#` or a braced form of them, where the shell expands it:
  /// unquoted or in double quotes (`awk '{print $1}'` is awk's).
  pub(super) positional: bool,
}

pub(super) fn lex(command: &str) -> Lexed {
  let mut lexer = Lexer {
    chars: command.chars().collect(),
    i: 0,
    tokens: Vec::new(),
    ends: Vec::new(),
    positional: false,
    word: String::new(),
    in_word: false,
    dynamic: false,
    here_documents: Vec::new(),
  };
  while lexer.i < lexer.chars.len() {
    lexer.step();
    lexer.i += 1;
  }
  lexer.flush();
  let bytes: Vec<usize> = command
    .char_indices()
    .map(|(at, _)| at)
    .chain([command.len()])
    .collect();
  Lexed {
    tokens: lexer.tokens,
    ends: lexer
      .ends
      .iter()
      .map(|end| bytes[(*end).min(bytes.len() - 1)])
      .collect(),
    positional: lexer.positional,
  }
}

struct Lexer {
  chars: Vec<char>,
  /// The character being read.
  i: usize,
  tokens: Vec<Token>,
  /// The character index just past each token.
  ends: Vec<usize>,
  positional: bool,
  /// The word being read, and whether one is (`''` is a word too).
  word: String,
  in_word: bool,
  /// Whether the word holds an expansion.
  dynamic: bool,
  /// Delimiters of here-documents whose bodies start on the next line.
  here_documents: Vec<String>,
}

impl Lexer {
  fn next_is(&self, wanted: impl Fn(char) -> bool) -> bool {
    self.chars.get(self.i + 1).is_some_and(|c| wanted(*c))
  }

  /// A token that ends just past the character at `i`.
  fn push(&mut self, token: Token) {
    self.tokens.push(token);
    self.ends.push(self.i + 1);
  }

  /// At a `$` the shell expands: notes whether it reads the positional parameters.
  fn dollar(&mut self) {
    let at = |n: usize| self.chars.get(self.i + n).copied();
    let positional = |c: Option<char>| matches!(c, Some('@' | '*' | '#' | '1'..='9'));
    self.positional |= positional(at(1))
      || (at(1) == Some('{')
        && (matches!(at(2), Some('@' | '*' | '1'..='9'))
          || (at(2) == Some('#') && at(3) == Some('}'))));
  }

  /// Reads the character at `i` (and any that belong with it).
  fn step(&mut self) {
    let c = self.chars[self.i];
    match c {
      ' ' | '\t' => self.flush(),
      '\n' => self.newline(),
      '#' if !self.in_word => {
        while self.i + 1 < self.chars.len() && !self.next_is(|c| c == '\n') {
          self.i += 1;
        }
      }
      '\'' => self.single_quoted(),
      '"' => self.double_quoted(),
      '\\' => {
        self.in_word = true;
        if self.i + 1 < self.chars.len() {
          self.i += 1;
          if self.chars[self.i] != '\n' {
            self.word.push(self.chars[self.i]);
          }
        }
      }
      '$' | '`' => {
        if c == '$' {
          self.dollar();
        }
        (self.in_word, self.dynamic) = (true, true);
        self.word.push(c);
      }
      '(' | ')' => {
        self.flush();
        self.push(Token::Paren(c));
      }
      '&' | '|' | ';' => self.operator(c),
      '<' | '>' => self.redirect(c),
      other => {
        self.in_word = true;
        self.word.push(other);
      }
    }
  }

  fn flush(&mut self) {
    if self.in_word {
      self.tokens.push(Token::Word {
        text: std::mem::take(&mut self.word),
        dynamic: self.dynamic,
      });
      // Flushed at the character after the word.
      self.ends.push(self.i);
    }
    (self.in_word, self.dynamic) = (false, false);
  }

  /// A separator; here-documents begin on the next line and end at their delimiter line.
  fn newline(&mut self) {
    self.flush();
    self.push(Token::Separator("\n"));
    let chars = &self.chars;
    for delimiter in self.here_documents.drain(..) {
      while self.i + 1 < chars.len() {
        let end = (self.i + 1..chars.len())
          .find(|j| chars[*j] == '\n')
          .unwrap_or(chars.len());
        let line: String = chars[self.i + 1..end].iter().collect();
        self.i = end;
        if line.trim_start_matches('\t') == delimiter {
          break;
        }
      }
    }
  }

  fn single_quoted(&mut self) {
    self.in_word = true;
    while self.i + 1 < self.chars.len() && !self.next_is(|c| c == '\'') {
      self.i += 1;
      self.word.push(self.chars[self.i]);
    }
    self.i += 1;
  }

  fn double_quoted(&mut self) {
    self.in_word = true;
    while self.i + 1 < self.chars.len() && !self.next_is(|c| c == '"') {
      self.i += 1;
      match self.chars[self.i] {
        '\\' if self.next_is(|c| "$`\"\\\n".contains(c)) => {
          self.i += 1;
          self.word.push(self.chars[self.i]);
        }
        c @ ('$' | '`') => {
          if c == '$' {
            self.dollar();
          }
          self.dynamic = true;
          self.word.push(c);
        }
        other => self.word.push(other),
      }
    }
    self.i += 1;
  }

  /// `&&`, `||`, `|&`, `;;`, `&`, `|`, `;` — or `&>file`, which is a redirection.
  fn operator(&mut self, c: char) {
    self.flush();
    if c == '&' && self.next_is(|c| c == '>') {
      self.i += if self.chars.get(self.i + 2) == Some(&'>') {
        2
      } else {
        1
      };
      self.push(Token::Redirect {
        here_document: false,
      });
      return;
    }
    let operator = match (c, self.chars.get(self.i + 1)) {
      ('&', Some('&')) => "&&",
      ('|', Some('|')) => "||",
      ('|', Some('&')) => "|&",
      (';', Some(';')) => ";;",
      ('&', _) => "&",
      ('|', _) => "|",
      _ => ";",
    };
    self.i += operator.len() - 1;
    self.push(Token::Separator(operator));
  }

  /// A redirection, with the fd digits just before it (`2>`) taken back from the word.
  fn redirect(&mut self, c: char) {
    if self.in_word && self.word.chars().all(|c| c.is_ascii_digit()) {
      self.word.clear();
      self.in_word = false;
    }
    self.flush();
    let mut operator = String::from(c);
    while self.next_is(|next| matches!(next, '<' | '>' | '&' | '|' | '-')) {
      self.i += 1;
      operator.push(self.chars[self.i]);
    }
    let descriptor = |c: char| c.is_ascii_digit() || c == '-';
    // `2>&1`, `>&-`: the target is a descriptor, not a file word.
    if operator.ends_with('&') && self.next_is(descriptor) {
      while self.next_is(descriptor) {
        self.i += 1;
      }
      self.push(Token::Redirect {
        here_document: false,
      });
      self.push(Token::Word {
        text: String::new(),
        dynamic: true,
      });
      return;
    }
    let here_document = operator == "<<" || operator == "<<-";
    self.push(Token::Redirect { here_document });
    if here_document {
      let rest: String = self.chars[self.i + 1..].iter().collect();
      let delimiter: String = rest
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && !";|&".contains(*c))
        .filter(|c| *c != '\'' && *c != '"')
        .collect();
      self.here_documents.push(delimiter);
    }
  }
}
