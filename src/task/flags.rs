//! `dev`'s own flags among the words after a task's name: `dev reset --dry-run` must mean
//! what `dev --dry-run reset` means, never a word for the task's script to run with. Up to
//! `--`, that is: the words after it are all the task's.

use std::ffi::{OsStr, OsString};

use super::TaskOptions;
use crate::error::{Error, Result};

/// The flags `dev` gives the same meaning after a task's name as before it.
const HONOURED: [(&str, Flag); 4] = [
  ("--dry-run", Flag::DryRun),
  ("--yes", Flag::Yes),
  ("-y", Flag::Yes),
  ("--watch", Flag::Watch),
];

/// `dev`'s flags that only make sense before the task's name (they choose the task file
/// or how `dev` speaks): refused after it rather than handed to the script.
const BEFORE_ONLY: [&str; 7] = ["-f", "--file", "--color", "-h", "--help", "-V", "--version"];

#[derive(Clone, Copy)]
enum Flag {
  DryRun,
  Yes,
  Watch,
}

/// Takes `dev`'s own flags out of the words after task `task`'s name, up to `--`, into
/// `options`; the rest (with the `--` and what follows it) is the task's.
pub(crate) fn take(
  task: &str,
  words: &[OsString],
  options: &mut TaskOptions,
) -> Result<Vec<OsString>> {
  let mut rest = Vec::with_capacity(words.len());
  let mut ended = false;
  for word in words {
    if ended {
      rest.push(word.clone());
      continue;
    }
    if word == "--" {
      ended = true;
      rest.push(word.clone());
      continue;
    }
    match flag(word) {
      Some(Ok(Flag::DryRun)) => options.dry_run = true,
      Some(Ok(Flag::Yes)) => options.yes = true,
      Some(Ok(Flag::Watch)) => options.watch = true,
      Some(Err(name))
        if word
          .to_str()
          .is_some_and(|word| word.starts_with(&format!("{name}=")))
          && HONOURED.iter().any(|(flag, _)| *flag == name) =>
      {
        return Err(Error::Usage {
          message: format!(
            "`{name}` takes no value: `{}` would run the task",
            word.to_string_lossy()
          ),
          usage: format!("dev {task} {name}"),
        });
      }
      Some(Err(name)) => {
        return Err(Error::Usage {
          message: format!(
            "`{name}` is an option of `dev` itself: give it before the task's name, or after `--` to pass it to the task"
          ),
          usage: format!(
            "dev {name} … {task}   or   dev {task} -- {}",
            word.to_string_lossy()
          ),
        });
      }
      None => rest.push(word.clone()),
    }
  }
  Ok(rest)
}

/// Whether `word` is one of `dev`'s flags: `Ok` one honoured here, `Err` (its name) one
/// that is refused here. `-yy` is `-y` twice, as clap reads it; `--color=never` is `--color`.
fn flag(word: &OsStr) -> Option<std::result::Result<Flag, &'static str>> {
  let word = word.to_str()?;
  if let Some((_, flag)) = HONOURED.iter().find(|(name, _)| *name == word) {
    return Some(Ok(*flag));
  }
  let name = word.split_once('=').map_or(word, |(name, _)| name);
  // `--dry-run=true`: a flag of dev's with a value it does not take; never the task's word.
  if let Some((name, _)) = HONOURED
    .iter()
    .find(|(flag, _)| flag.starts_with("--") && *flag == name && name != word)
  {
    return Some(Err(name));
  }
  if let Some(name) = BEFORE_ONLY
    .iter()
    .find(|flag| **flag == name && (flag.starts_with("--") || name == word))
  {
    return Some(Err(name));
  }
  // A cluster of `dev`'s short flags: `-yy`, `-yf` (clap reads each letter).
  let letters = word
    .strip_prefix('-')
    .filter(|rest| !rest.starts_with('-'))?;
  if letters.is_empty() || !letters.chars().all(|c| matches!(c, 'y' | 'f' | 'h' | 'V')) {
    return None;
  }
  match letters.chars().find(|c| *c != 'y') {
    None => Some(Ok(Flag::Yes)),
    Some('f') => Some(Err("-f")),
    Some('h') => Some(Err("-h")),
    Some(_) => Some(Err("-V")),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  fn split(words: &[&str]) -> (TaskOptions, Result<Vec<OsString>>) {
    let words: Vec<OsString> = words.iter().map(OsString::from).collect();
    let mut options = TaskOptions::default();
    let rest = take("reset", &words, &mut options);
    (options, rest)
  }

  #[test]
  fn dev_flags_after_the_name_mean_what_they_mean_before_it() {
    let (options, rest) = split(&["prod", "--dry-run", "-y", "--watch", "-k"]);
    assert!(options.dry_run && options.yes && options.watch);
    assert_eq!(rest.unwrap(), ["prod", "-k"]);
  }

  #[test]
  fn words_after_double_dash_are_the_tasks() {
    let (options, rest) = split(&["--", "--dry-run", "--yes", "-f"]);
    assert!(!options.dry_run && !options.yes);
    assert_eq!(rest.unwrap(), ["--", "--dry-run", "--yes", "-f"]);
  }

  #[test]
  fn flags_that_choose_the_file_or_the_output_are_refused_after_the_name() {
    for word in [
      "-f",
      "--file=x.yaml",
      "--color",
      "--color=never",
      "-h",
      "--help",
      "-yf",
    ] {
      assert!(split(&[word]).1.is_err(), "{word}");
    }
    for word in ["--dry-run=true", "--yes=1", "--watch=no"] {
      let error = split(&[word]).1.expect_err(word).to_string();
      assert!(error.contains("takes no value"), "{word}: {error}");
    }
    for word in ["-k", "-v", "-xvf", "--colour", "-"] {
      assert_eq!(split(&[word]).1.unwrap(), [word], "{word}");
    }
  }
}
