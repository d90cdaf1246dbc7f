//! Where state shared by every project of a user lives (the machine's port ledger, the
//! proxy's lock): a private directory, from the environment.

use std::path::PathBuf;

use crate::{
  error::{Error, Result},
  sys,
};

/// The private per-user directory for state shared across projects.
pub(crate) fn runtime_dir() -> Result<PathBuf> {
  let directory = runtime_dir_from(|name| std::env::var_os(name));
  sys::private_directory(&directory).map_err(|source| Error::Preflight {
    message: format!(
      "cannot use `{}` for the machine's port ledger: {source}",
      directory.display()
    ),
    hint: "set DEV_RUNTIME_DIR to a directory only you can write".into(),
  })?;
  Ok(directory)
}

/// Where the runtime directory is, by these variables: `DEV_RUNTIME_DIR` itself, else
/// `dev` in `XDG_RUNTIME_DIR`, else a per-user folder in the temporary directory. A variable
/// set to nothing counts as unset (a shell's `export XDG_RUNTIME_DIR=`).
fn runtime_dir_from(variable: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
  let set = |name| variable(name).filter(|value| !value.is_empty());
  match (set("DEV_RUNTIME_DIR"), set("XDG_RUNTIME_DIR")) {
    (Some(directory), _) => PathBuf::from(directory),
    (None, Some(runtime)) => PathBuf::from(runtime).join("dev"),
    (None, None) => std::env::temp_dir().join(format!("dev-{}", sys::effective_uid())),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  /// The variables in their order, an empty one as unset (the mutants that survived the
  /// unit tests: the order, and an empty value read as a directory).
  #[test]
  fn the_runtime_directory_comes_from_dev_runtime_dir_then_xdg_then_the_temp_dir() {
    let with = |pairs: &'static [(&'static str, &'static str)]| {
      runtime_dir_from(move |name| {
        pairs
          .iter()
          .find(|(key, _)| *key == name)
          .map(|(_, value)| (*value).into())
      })
    };
    let temp = std::env::temp_dir().join(format!("dev-{}", sys::effective_uid()));
    assert_eq!(
      with(&[("DEV_RUNTIME_DIR", "/a"), ("XDG_RUNTIME_DIR", "/x")]),
      PathBuf::from("/a")
    );
    assert_eq!(with(&[("XDG_RUNTIME_DIR", "/x")]), PathBuf::from("/x/dev"));
    assert_eq!(
      with(&[("DEV_RUNTIME_DIR", ""), ("XDG_RUNTIME_DIR", "/x")]),
      PathBuf::from("/x/dev")
    );
    assert_eq!(with(&[("XDG_RUNTIME_DIR", "")]), temp);
    assert_eq!(with(&[]), temp);
  }
}
