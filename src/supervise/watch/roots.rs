//! The watches themselves, kept in step with the tree: each `watch:` path (a root) is
//! watched directory by directory, and watched again when it is replaced — `rm -rf src &&
//! mkdir src`, or a `git checkout` of another branch, ends the kernel's watch on the old
//! directory, and nothing would ever be heard from the new one. A root that is gone is
//! waited for from its nearest existing parent, and watched again as soon as it is back.

use std::path::{Path, PathBuf};

use notify::{RecursiveMode, Watcher as _};

use super::{IGNORE_FILES, Rules, rules};
use crate::sys;

/// One `watch:` path and what is watched for it now.
struct Root {
  path: PathBuf,
  /// A file is watched through its directory (editors replace files on save).
  is_file: bool,
  /// The directory watched for it, and what that directory was (its identity) when its
  /// watches were added: another identity means it was replaced.
  watched: Option<(PathBuf, (u64, u64))>,
  /// Watched once already: watched again, it was replaced.
  ever: bool,
}

impl Root {
  /// The directory that holds what this root is about.
  fn directory(&self) -> PathBuf {
    if self.is_file {
      let parent = self.path.parent().filter(|p| !p.as_os_str().is_empty());
      parent.unwrap_or(Path::new(".")).to_path_buf()
    } else {
      self.path.clone()
    }
  }
}

/// Every root of one watch.
pub(super) struct Roots {
  roots: Vec<Root>,
  /// The project's root: ignore rules and globs are relative to it.
  base: PathBuf,
}

impl Roots {
  pub(super) fn new(paths: &[PathBuf], base: &Path) -> Self {
    let roots = paths
      .iter()
      .map(|path| Root {
        path: path.clone(),
        is_file: path.exists() && !path.is_dir(),
        watched: None,
        ever: false,
      })
      .collect();
    Self {
      roots,
      base: base.to_path_buf(),
    }
  }

  /// Adds the watches each root needs now: its tree when it is new or was replaced since
  /// the last look, its nearest existing parent while it is gone. Returns the number of
  /// directories watched anew and the roots watched again after they were replaced (what
  /// was written into them before that was not seen: they count as changed), or why
  /// watching failed.
  pub(super) fn resync(
    &mut self,
    watcher: &mut notify::RecommendedWatcher,
    rules: &mut Rules,
  ) -> notify::Result<(usize, Vec<PathBuf>)> {
    let mut count = 0;
    let mut replaced = Vec::new();
    for root in &mut self.roots {
      let directory = root.directory();
      let (target, identity) = match sys::path_identity(&directory) {
        Some(identity) => (directory, identity),
        None => {
          // Gone: its nearest existing parent tells when it comes back.
          let Some(parent) = directory.ancestors().skip(1).find(|a| a.is_dir()) else {
            continue;
          };
          let Some(identity) = sys::path_identity(parent) else {
            continue;
          };
          (parent.to_path_buf(), identity)
        }
      };
      if root.watched.as_ref() == Some(&(target.clone(), identity)) {
        continue;
      }
      let itself = target == root.directory();
      count += if itself && !root.is_file {
        add(watcher, rules, &self.base, &target)?
      } else {
        watcher.watch(&target, RecursiveMode::NonRecursive)?;
        1
      };
      if itself && root.ever {
        replaced.push(root.path.clone());
      }
      root.ever |= itself;
      root.watched = Some((target, identity));
    }
    Ok((count, replaced))
  }

  /// A directory was deleted or moved away. notify drops its watch *by path* once it has
  /// passed the event on — and that may be the watch just added for a new root of the same
  /// name, when the new one was seen first (`rm -rf src && mkdir src`). A root named so is
  /// watched again now, after notify's removal.
  pub(super) fn gone(&mut self, paths: &[PathBuf]) {
    for root in &mut self.roots {
      if paths.contains(&root.directory()) {
        root.watched = None;
      }
    }
  }

  /// A directory that appeared: watched when it is below a root (not when it is a sibling
  /// seen through a parent watched while a root was gone).
  pub(super) fn appeared(
    &self,
    watcher: &mut notify::RecommendedWatcher,
    rules: &mut Rules,
    directory: &Path,
  ) -> notify::Result<usize> {
    let below_a_root = self
      .roots
      .iter()
      .any(|root| !root.is_file && directory.starts_with(&root.path) && directory != root.path);
    if below_a_root {
      add(watcher, rules, &self.base, directory)
    } else {
      Ok(0)
    }
  }
}

/// Watches `path`: on Linux each directory below it that is not ignored (reading the
/// `.gitignore` and `.ignore` files met on the way), elsewhere the tree at once. Returns the
/// number of watches added.
fn add(
  watcher: &mut notify::RecommendedWatcher,
  rules: &mut Rules,
  root: &Path,
  path: &Path,
) -> notify::Result<usize> {
  if !path.is_dir() {
    // A file is watched through its directory: editors save by writing a new file and
    // renaming it over the old one, which would end a watch on the file itself.
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty());
    watcher.watch(
      directory.unwrap_or(Path::new(".")),
      RecursiveMode::NonRecursive,
    )?;
    return Ok(1);
  }
  if !cfg!(target_os = "linux") {
    watcher.watch(path, RecursiveMode::Recursive)?;
    return Ok(1);
  }
  let mut count = 0;
  let mut queue = vec![path.to_path_buf()];
  while let Some(directory) = queue.pop() {
    let relative = directory.strip_prefix(root).unwrap_or(&directory);
    if !relative.as_os_str().is_empty() && rules.is_ignored(relative, true) {
      continue;
    }
    let base = rules::parts_of(relative);
    for name in IGNORE_FILES {
      let file = directory.join(name);
      if let Ok(text) = std::fs::read_to_string(&file) {
        rules.add_file(&file, &text, &base);
      }
    }
    watcher.watch(&directory, RecursiveMode::NonRecursive)?;
    count += 1;
    if let Ok(entries) = std::fs::read_dir(&directory) {
      queue.extend(
        entries
          .flatten()
          .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
          .map(|entry| entry.path()),
      );
    }
  }
  Ok(count)
}
