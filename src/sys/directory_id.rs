//! A directory proven by more than its path: what the file system knows it by.

use serde::{Deserialize, Serialize};

/// (device, inode) of a directory: the same after `mv` (within a file system), different in
/// a `cp -r` copy. It tells a moved project from a copied one, so that a copy never takes
/// the original's services for its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DirectoryId {
  device: u64,
  inode: u64,
}

impl DirectoryId {
  /// The identity of the directory at `path`; the default (unknown) when it is not there.
  pub(crate) fn of(path: &std::path::Path) -> Self {
    super::path_identity(path)
      .map(|(device, inode)| Self { device, inode })
      .unwrap_or_default()
  }

  /// Not known (state written before identities were recorded): matches nothing for sure.
  pub(crate) fn is_known(self) -> bool {
    self != Self::default()
  }

  /// True while this directory is at `path`: not moved away, not deleted. An unknown
  /// identity is given the benefit of the doubt.
  pub(crate) fn is_at(self, path: &std::path::Path) -> bool {
    !self.is_known() || Self::of(path) == self
  }
}
