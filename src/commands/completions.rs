//! `dev completions <shell>` and `dev man`: generated from the clap definitions, so they never
//! drift from `--help`. Bash, zsh and fish ask `dev __complete` for every word (the names of
//! the project in the current directory included, see `complete.rs`); elvish and PowerShell
//! get clap's static script (built-in commands and flags only).

use std::{
  io::{self, Write},
  path::{Path, PathBuf},
};

use clap::CommandFactory;
use clap_complete::Shell;

use super::complete::{self, Names};
use crate::{
  cli::Cli,
  error::{Error, Result},
};

/// Bash: the words and the cursor's index, as bash splits them; an empty answer falls back
/// to file names (a task's own arguments).
const BASH: &str = r#"# dev completion for bash: source it, or put it in ~/.local/share/bash-completion/completions/dev
_dev() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    COMPREPLY+=("${line%%$'\t'*}")
  done < <(dev __complete "$COMP_CWORD" -- "${COMP_WORDS[@]}" 2>/dev/null)
}
complete -F _dev -o bashdefault -o default dev
"#;

/// Zsh: described candidates; files when there is nothing to offer.
const ZSH: &str = r#"#compdef dev
# dev completion for zsh: put it in a directory of $fpath as _dev, or source it after compinit
_dev() {
  local -a described
  local line
  for line in "${(@f)$(dev __complete $((CURRENT - 1)) -- "${words[@]}" 2>/dev/null)}"; do
    [[ -n $line ]] && described+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
  done
  if (( ${#described} )); then
    _describe 'dev' described
  else
    _files
  fi
}
compdef _dev dev
"#;

/// Fish: tokens before the cursor plus the one under it; files only when dev offers nothing.
const FISH: &str = r#"# dev completion for fish: put it in ~/.config/fish/completions/dev.fish
function __dev_complete
  set -l words (commandline -opc)
  dev __complete (count $words) -- $words (commandline -ct) 2>/dev/null
end
function __dev_wants_files
  set -l offered (__dev_complete)
  test (count $offered) -eq 0
end
complete -c dev -f -n 'not __dev_wants_files' -a '(__dev_complete)'
complete -c dev -F -n '__dev_wants_files'
"#;

pub(crate) fn completions(shell: Shell) -> Result<()> {
  let script = match shell {
    Shell::Bash => BASH.as_bytes().to_vec(),
    Shell::Zsh => ZSH.as_bytes().to_vec(),
    Shell::Fish => FISH.as_bytes().to_vec(),
    _ => {
      let mut out = Vec::new();
      clap_complete::generate(shell, &mut Cli::command(), "dev", &mut out);
      out
    }
  };
  write_out(&script)
}

/// `dev __complete CURRENT -- WORDS…`: one `word<TAB>help` line per candidate.
pub(crate) fn complete(current: usize, words: &[String]) -> Result<()> {
  // `dev -f other.yaml …`: only before the command (`dev logs -f` is `--follow`).
  let mut file = None;
  let mut top = words.iter().skip(1);
  while let Some(word) = top.next().filter(|word| word.starts_with('-')) {
    if word == "-f" || word == "--file" {
      file = top.next().map(PathBuf::from);
    } else if let Some(path) = word.strip_prefix("--file=") {
      file = Some(PathBuf::from(path));
    }
  }
  let names = Names::of_project(file);
  let text: String = complete::candidates(words, current, &names)
    .into_iter()
    .map(|candidate| {
      let help = candidate.help.replace(['\t', '\n'], " ");
      format!("{}\t{help}\n", candidate.word)
    })
    .collect();
  write_out(text.as_bytes())
}

/// The man page, in roff: `dev man > dev.1`, or `dev man | man -l -`; with a directory, a
/// page for every command, so the references in dev.1 (`dev-up(1)`, …) resolve.
pub(crate) fn man(dir: Option<&Path>) -> Result<()> {
  if let Some(dir) = dir {
    refuse_foreign_pages(dir)?;
    std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    return clap_mangen::generate_to(Cli::command(), dir).map_err(Error::io(format!(
      "cannot write the man pages into {}",
      dir.display()
    )));
  }
  let page = clap_mangen::Man::new(Cli::command());
  let mut out = Vec::new();
  page
    .render(&mut out)
    .map_err(Error::io("cannot render the man page"))?;
  write_out(&out)
}

/// A `dev.1` or `dev-*.1` that is not one of these pages (another program called dev) is
/// the user's: never overwritten.
fn refuse_foreign_pages(dir: &Path) -> Result<()> {
  let Ok(entries) = std::fs::read_dir(dir) else {
    return Ok(()); // a missing directory is reported by the write itself
  };
  for entry in entries.flatten() {
    let name = entry.file_name().to_string_lossy().into_owned();
    let ours = |text: &str| text.contains(".TH dev");
    if (name == "dev.1" || name.starts_with("dev-") && name.ends_with(".1"))
      && !std::fs::read_to_string(entry.path()).is_ok_and(|text| ours(&text))
    {
      return Err(Error::Config {
        message: format!(
          "{} exists and is not a page of this dev: not overwritten",
          entry.path().display()
        ),
        location: None,
        hint: Some("move it away yourself, or give `--dir` another directory".into()),
      });
    }
  }
  Ok(())
}

fn write_out(bytes: &[u8]) -> Result<()> {
  io::stdout()
    .write_all(bytes)
    .map_err(Error::io("cannot write to stdout"))
}
