//! Commands that run another command (`nice -n 10 python3 app.py`, `env -u HOME node x`,
//! `exec -a name server`): which of their words are their own — options, the values those
//! options take, assignments, a leading duration — and so where the program they run is.

use super::lexer::Token;

/// A wrapper: its name, its options that take a value as the next word, and how many
/// words it takes before the program (`timeout 5s cmd`).
struct Wrapper {
  name: &'static str,
  valued: &'static [&'static str],
  positionals: usize,
}

const WRAPPERS: [Wrapper; 12] = [
  Wrapper {
    name: "exec",
    valued: &["-a"],
    positionals: 0,
  },
  Wrapper {
    name: "env",
    valued: &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
    positionals: 0,
  },
  Wrapper {
    name: "nice",
    valued: &["-n", "--adjustment"],
    positionals: 0,
  },
  Wrapper {
    name: "nohup",
    valued: &[],
    positionals: 0,
  },
  Wrapper {
    name: "time",
    valued: &["-f", "--format", "-o", "--output"],
    positionals: 0,
  },
  Wrapper {
    name: "sudo",
    valued: &[
      "-u",
      "--user",
      "-g",
      "--group",
      "-C",
      "--close-from",
      "-D",
      "--chdir",
      "-h",
      "--host",
      "-p",
      "--prompt",
      "-r",
      "--role",
      "-t",
      "--type",
      "-U",
      "--other-user",
      "-T",
      "--command-timeout",
    ],
    positionals: 0,
  },
  Wrapper {
    name: "xargs",
    valued: &[
      "-I",
      "-n",
      "--max-args",
      "-P",
      "--max-procs",
      "-L",
      "--max-lines",
      "-s",
      "--max-chars",
      "-d",
      "--delimiter",
      "-E",
      "-a",
      "--arg-file",
    ],
    positionals: 0,
  },
  Wrapper {
    name: "timeout",
    valued: &["-s", "--signal", "-k", "--kill-after"],
    positionals: 1,
  },
  Wrapper {
    name: "stdbuf",
    valued: &["-i", "--input", "-o", "--output", "-e", "--error"],
    positionals: 0,
  },
  Wrapper {
    name: "setsid",
    valued: &[],
    positionals: 0,
  },
  Wrapper {
    name: "ionice",
    valued: &["-c", "--class", "-n", "--classdata", "-p", "--pid"],
    positionals: 0,
  },
  Wrapper {
    name: "chrt",
    valued: &[],
    positionals: 1,
  },
];

/// Whether `word` runs the command after it.
pub(super) fn is_wrapper(word: &str) -> bool {
  WRAPPERS.iter().any(|wrapper| wrapper.name == word)
}

/// The index of the word the wrapper at `index` runs (past the tokens' end when none).
pub(super) fn wrapped_program(tokens: &[Token], index: usize) -> usize {
  let Some(Token::Word { text: name, .. }) = tokens.get(index) else {
    return index + 1;
  };
  let Some(wrapper) = WRAPPERS.iter().find(|wrapper| wrapper.name == name) else {
    return index + 1;
  };
  let mut at = index + 1;
  let mut positionals = wrapper.positionals;
  while let Some(Token::Word { text, .. }) = tokens.get(at) {
    if text == "--" {
      at += 1;
      break;
    }
    if text.starts_with('-') && text.len() > 1 {
      // `-n 10` takes the next word; `-n10`, `--adjustment=10` and flags do not.
      at += if wrapper.valued.contains(&text.as_str()) {
        2
      } else {
        1
      };
    } else if name == "env" && is_assignment(text) {
      at += 1;
    } else if positionals > 0 {
      positionals -= 1;
      at += 1;
    } else {
      break;
    }
  }
  at
}

pub(super) fn is_assignment(word: &str) -> bool {
  word.split_once('=').is_some_and(|(name, _)| {
    !name.is_empty()
      && !name.starts_with(|c: char| c.is_ascii_digit())
      && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
  })
}
