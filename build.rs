//! Stamps `dev --version` with the target it was built for and the commit it was built from,
//! so a bug report says which binary (npm, PyPI, Homebrew and release builds all differ).

use std::path::Path;
use std::process::Command;

fn main() {
  println!(
    "cargo:rustc-env=DEV_BUILD_TARGET={}",
    std::env::var("TARGET").unwrap_or_default()
  );
  println!("cargo:rustc-env=DEV_BUILD_COMMIT={}", commit());
  println!("cargo:rerun-if-env-changed=DEV_BUILD_COMMIT");
}

/// The commit, in the order a build can know it: set by a release job, from the
/// `.cargo_vcs_info.json` that `cargo package` writes (`cargo install devtasks`), or read from
/// git in this repository's checkout; "unknown" when none is there (a source tarball).
fn commit() -> String {
  println!("cargo:rerun-if-changed=build.rs");
  if let Ok(commit) = std::env::var("DEV_BUILD_COMMIT")
    && !commit.is_empty()
  {
    return commit;
  }
  if let Ok(info) = std::fs::read_to_string(".cargo_vcs_info.json")
    && let Some(sha) = info.split("\"sha1\"").nth(1)
    && let Some(sha) = sha.split('"').nth(1)
  {
    return short(sha);
  }
  git_commit().unwrap_or_else(|| "unknown".to_owned())
}

fn git_commit() -> Option<String> {
  let git = |args: &[&str]| {
    let output = Command::new("git").args(args).output().ok()?;
    output
      .status
      .success()
      .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
  };
  // Only this repository's own checkout: a crate unpacked inside another repository (a home
  // directory kept in git) must not take that repository's commit.
  let top = git(&["rev-parse", "--show-toplevel"])?;
  let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
  if Path::new(&top).canonicalize().ok()? != Path::new(&manifest_dir).canonicalize().ok()? {
    return None;
  }
  let head = git(&["rev-parse", "HEAD"])?;
  // Build again when HEAD moves: a commit, a checkout (HEAD's file or the branch's ref).
  if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
    let git_dir = Path::new(&git_dir);
    println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
      && let Some(common) = git(&["rev-parse", "--git-common-dir"])
    {
      let common = Path::new(&common);
      let common = if common.is_absolute() {
        common.to_owned()
      } else {
        Path::new(".").join(common)
      };
      // A path that does not exist would run this script on every build.
      for path in [common.join(&reference), common.join("packed-refs")] {
        if path.exists() {
          println!("cargo:rerun-if-changed={}", path.display());
        }
      }
    }
  }
  Some(short(&head))
}

fn short(sha: &str) -> String {
  sha.chars().take(12).collect()
}
