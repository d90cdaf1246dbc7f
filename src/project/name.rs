//! A project's name in its URLs: `name:` from devtasks.yaml, else its folder's; a linked git
//! worktree is `<branch>.<name>`, so every checkout of one repository has URLs of its own
//! (`web.feature-login.shop.localhost` beside `web.shop.localhost`). The ledger makes the
//! name unique among the projects running (`ports::ledger`).

use std::{
  fs,
  path::{Path, PathBuf},
};

use super::Project;
use crate::config::url_label;

impl Project {
  /// The name this project asks for in its URLs.
  pub(crate) fn url_name(&self) -> String {
    url_name(&self.config.root, self.config.name.as_deref())
  }

  /// The name its running services have in the machine's ledger, when it is not the one
  /// the task file asks for now (`name:` edited while they run): every reader keeps the
  /// name they were claimed under until the last of them stops, so that no URL changes
  /// under a running browser tab or dependent. Not for `shop-2`, the name made unique.
  pub(crate) fn name_in_effect(&self) -> Option<String> {
    let claims = crate::ports::ledger::live_claims(&crate::ports::ledger::runtime_dir().ok()?);
    let running = claims
      .iter()
      .find(|claim| claim.project_id == self.id && !claim.name.is_empty())?
      .name
      .clone();
    let wanted = self.url_name();
    let made_unique = running
      .strip_prefix(&format!("{wanted}-"))
      .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
    (running != wanted && !made_unique).then_some(running)
  }
}

pub(crate) fn url_name(root: &Path, configured: Option<&str>) -> String {
  let Some(worktree) = linked_worktree(root) else {
    return configured.map_or_else(|| folder_label(root), str::to_owned);
  };
  // The same project in the main checkout: its folder names the repository.
  let relative = root.strip_prefix(&worktree.top).unwrap_or(Path::new(""));
  let base = configured.map_or_else(
    || folder_label(&worktree.main.join(relative)),
    str::to_owned,
  );
  let branch = worktree
    .branch
    .map_or_else(|| folder_label(&worktree.top), |branch| url_label(&branch));
  format!("{branch}.{base}")
}

fn folder_label(path: &Path) -> String {
  url_label(
    &path
      .file_name()
      .map(|name| name.to_string_lossy().into_owned())
      .unwrap_or_default(),
  )
}

/// A checkout made by `git worktree add`: its top folder, the main checkout's, and its
/// branch (none when detached).
pub(crate) struct Worktree {
  pub(crate) top: PathBuf,
  pub(crate) main: PathBuf,
  pub(crate) branch: Option<String>,
}

/// Read from the files git writes (`.git` is a file naming the worktree's git directory,
/// whose `commondir` leads to the main one), so no `git` needs to be installed or run.
pub(crate) fn linked_worktree(root: &Path) -> Option<Worktree> {
  let top = root.ancestors().find(|dir| dir.join(".git").exists())?;
  let pointer = fs::read_to_string(top.join(".git")).ok()?;
  let git_dir = top.join(pointer.strip_prefix("gitdir:")?.trim());
  let common = fs::read_to_string(git_dir.join("commondir")).ok()?;
  let common = fs::canonicalize(git_dir.join(common.trim())).ok()?;
  let main = common.parent()?.to_path_buf();
  let head = fs::read_to_string(git_dir.join("HEAD")).unwrap_or_default();
  let branch = head
    .trim()
    .strip_prefix("ref: refs/heads/")
    .map(str::to_owned);
  Some(Worktree {
    top: top.to_path_buf(),
    main,
    branch,
  })
}

/// The branch checked out in `root`'s repository (main checkout or worktree), for
/// `dev list --all`.
pub(crate) fn branch_of(root: &Path) -> Option<String> {
  if let Some(worktree) = linked_worktree(root) {
    return worktree.branch;
  }
  let top = root.ancestors().find(|dir| dir.join(".git").is_dir())?;
  let head = fs::read_to_string(top.join(".git/HEAD")).ok()?;
  head
    .trim()
    .strip_prefix("ref: refs/heads/")
    .map(str::to_owned)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn a_linked_worktree_is_its_branch_under_the_main_checkouts_name() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("Shop");
    let git = main.join(".git/worktrees/login");
    fs::create_dir_all(&git).unwrap();
    fs::write(git.join("commondir"), "../..\n").unwrap();
    fs::write(git.join("HEAD"), "ref: refs/heads/feature/Login\n").unwrap();
    let tree = dir.path().join("wt-login");
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join(".git"), format!("gitdir: {}\n", git.display())).unwrap();
    assert_eq!(url_name(&main, None), "shop");
    assert_eq!(url_name(&tree, None), "feature-login.shop");
    assert_eq!(url_name(&tree, Some("store")), "feature-login.store");
    assert_eq!(branch_of(&tree).as_deref(), Some("feature/Login"));
  }
}
