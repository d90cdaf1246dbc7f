//! `dev completions bash|zsh|fish` and `dev man`: generated from the clap definitions, so they
//! never drift from `--help`. Services and tasks are names in the project's task file, so the
//! scripts ask `dev __names` for them at completion time.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::{
  cli::Cli,
  error::{Error, Result},
};

pub(crate) fn completions(shell: Shell) -> Result<()> {
  let mut command = Cli::command();
  let mut out = Vec::new();
  clap_complete::generate(shell, &mut command, "dev", &mut out);
  // Names from the task file in the current directory, next to the built-in commands.
  let dynamic = match shell {
    Shell::Bash => {
      "\n_dev_with_names() {\n  _dev \"$@\"\n  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY+=( $(compgen -W \"$(dev __names 2>/dev/null)\" -- \"${COMP_WORDS[1]}\") )\n  fi\n}\ncomplete -F _dev_with_names -o bashdefault -o default dev\n"
    }
    Shell::Fish => {
      "\ncomplete -c dev -n \"__fish_use_subcommand\" -f -a \"(dev __names 2>/dev/null)\" -d 'service or task'\n"
    }
    Shell::Zsh => {
      "\n_dev_names() { local -a names; names=(${(f)\"$(dev __names 2>/dev/null)\"}); _describe 'service or task' names }\ncompdef '_dev; _dev_names' dev 2>/dev/null\n"
    }
    _ => "",
  };
  out.extend_from_slice(dynamic.as_bytes());
  io::stdout()
    .write_all(&out)
    .map_err(Error::io("cannot write to stdout"))
}

/// The man page, in roff: `dev man > dev.1`, or `dev man | man -l -`.
pub(crate) fn man() -> Result<()> {
  let page = clap_mangen::Man::new(Cli::command());
  let mut out = Vec::new();
  page
    .render(&mut out)
    .map_err(Error::io("cannot render the man page"))?;
  io::stdout()
    .write_all(&out)
    .map_err(Error::io("cannot write to stdout"))
}
