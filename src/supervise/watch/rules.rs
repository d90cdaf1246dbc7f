//! Which changed paths matter: gitignore rules (`.gitignore`, `.ignore`, and the names never
//! worth watching) and the user's `watch:` globs, matched on paths relative to the root.
//!
//! Hand-written rather than the `ignore` crate: that crate (with `globset` and the full regex
//! engine) made the binary 1.4 MB larger — measured, see bench/README.md — for the handful of
//! gitignore features a dev server's source tree uses: `*`, `**`, `?`, `[…]`, `!`, a trailing
//! `/` for directories, and a leading or inner `/` to anchor.

use std::path::{Component, Path, PathBuf};

/// Never watched, whatever the ignore files say: version control, dependencies, build
/// output, caches, and `dev`'s own state (the log directory is added by the caller).
pub(crate) const ALWAYS_IGNORED: [&str; 12] = [
  ".git",
  ".hg",
  ".svn",
  "node_modules",
  "target",
  "__pycache__",
  ".venv",
  "venv",
  "dist",
  ".dev",
  ".mypy_cache",
  ".pytest_cache",
];

/// One gitignore line.
#[derive(Clone, Debug)]
struct Rule {
  /// The pattern's parts between `/`.
  parts: Vec<String>,
  /// Matched against the whole relative path (a `/` at its start or inside), not any name.
  anchored: bool,
  directory_only: bool,
  negated: bool,
  /// Where its ignore file was, relative to the root (rules apply below it only).
  base: Vec<String>,
  /// The ignore file it came from, so that an edit of the file replaces its rules.
  origin: Option<PathBuf>,
}

/// The rules of every ignore file read, in order: a later rule wins, as in git.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rules {
  rules: Vec<Rule>,
}

impl Rules {
  /// The built-in names and `extra` patterns (the user's `ignore:`, the log directory).
  pub(crate) fn new(extra: &[String]) -> Self {
    let mut rules = Self::default();
    for name in ALWAYS_IGNORED {
      rules.add_line(name, &[]);
    }
    for pattern in extra {
      rules.add_line(pattern, &[]);
    }
    rules
  }

  /// The lines of the ignore file `origin`, in `base` (relative to the root), in place of
  /// what it said before.
  pub(crate) fn add_file(&mut self, origin: &Path, text: &str, base: &[String]) {
    self
      .rules
      .retain(|rule| rule.origin.as_deref() != Some(origin));
    let first = self.rules.len();
    for line in text.lines() {
      self.add_line(line, base);
    }
    for rule in &mut self.rules[first..] {
      rule.origin = Some(origin.to_path_buf());
    }
  }

  fn add_line(&mut self, line: &str, base: &[String]) {
    let line = line.trim_end();
    if line.is_empty() || line.starts_with('#') {
      return;
    }
    let (negated, line) = match line.strip_prefix('!') {
      Some(rest) => (true, rest),
      None => (false, line.strip_prefix('\\').unwrap_or(line)),
    };
    let (directory_only, line) = match line.strip_suffix('/') {
      Some(rest) => (true, rest),
      None => (false, line),
    };
    let anchored = line.contains('/');
    let parts: Vec<String> = line
      .trim_start_matches('/')
      .split('/')
      .filter(|part| !part.is_empty())
      .map(str::to_owned)
      .collect();
    if parts.is_empty() {
      return;
    }
    self.rules.push(Rule {
      parts,
      anchored,
      directory_only,
      negated,
      base: base.to_vec(),
      origin: None,
    });
  }

  /// Whether a path (relative to the root) is ignored, itself or through a directory above
  /// it: a file in an ignored directory is ignored whatever a later rule says, as in git.
  pub(crate) fn is_ignored(&self, relative: &Path, is_directory: bool) -> bool {
    let parts = parts_of(relative);
    (1..=parts.len()).any(|n| {
      let directory = n < parts.len() || is_directory;
      self.decides(&parts[..n], directory)
    })
  }

  /// The last rule that matches this exact path decides.
  fn decides(&self, parts: &[String], is_directory: bool) -> bool {
    let mut ignored = false;
    for rule in &self.rules {
      if rule.directory_only && !is_directory {
        continue;
      }
      let Some(below) = parts.strip_prefix(rule.base.as_slice()) else {
        continue;
      };
      let matched = if rule.anchored {
        matches_parts(&rule.parts, below)
      } else {
        below
          .last()
          .is_some_and(|name| rule.parts.len() == 1 && glob(&rule.parts[0], name))
      };
      if matched {
        ignored = !rule.negated;
      }
    }
    ignored
  }
}

/// A path's normal components, as strings.
pub(crate) fn parts_of(path: &Path) -> Vec<String> {
  path
    .components()
    .filter_map(|part| match part {
      Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
      _ => None,
    })
    .collect()
}

/// A `watch:` glob (`**/*.py`, `src/*.ts`): matched on the whole relative path; a glob
/// without `/` matches a file's name anywhere.
pub(crate) fn glob_matches(pattern: &str, relative: &Path) -> bool {
  let parts = parts_of(relative);
  if !pattern.contains('/') {
    return parts.last().is_some_and(|name| glob(pattern, name));
  }
  let pattern: Vec<String> = pattern
    .trim_start_matches("./")
    .split('/')
    .filter(|part| !part.is_empty())
    .map(str::to_owned)
    .collect();
  matches_parts(&pattern, &parts)
}

/// Path parts against pattern parts, `**` standing for any number of directories.
fn matches_parts(pattern: &[String], path: &[String]) -> bool {
  match pattern.split_first() {
    None => path.is_empty(),
    Some((first, rest)) if first == "**" => {
      (0..=path.len()).any(|skip| matches_parts(rest, &path[skip..]))
    }
    Some((first, rest)) => path
      .split_first()
      .is_some_and(|(name, below)| glob(first, name) && matches_parts(rest, below)),
  }
}

/// One name against one pattern part: `*`, `?`, `[abc]`, `[a-z]`, `[!a]`, `\x`.
fn glob(pattern: &str, name: &str) -> bool {
  let pattern: Vec<char> = pattern.chars().collect();
  let name: Vec<char> = name.chars().collect();
  glob_from(&pattern, &name)
}

fn glob_from(pattern: &[char], name: &[char]) -> bool {
  let Some((&first, rest)) = pattern.split_first() else {
    return name.is_empty();
  };
  match first {
    '*' => (0..=name.len()).any(|skip| glob_from(rest, &name[skip..])),
    '?' => !name.is_empty() && glob_from(rest, &name[1..]),
    '[' => match (class(rest, name.first().copied()), name.split_first()) {
      (Some((true, after)), Some((_, below))) => glob_from(after, below),
      (Some(_), _) => false,
      // No closing `]`: a literal `[`.
      (None, _) => name.first() == Some(&'[') && glob_from(rest, &name[1..]),
    },
    '\\' if !rest.is_empty() => name.first() == Some(&rest[0]) && glob_from(&rest[1..], &name[1..]),
    literal => name.first() == Some(&literal) && glob_from(rest, &name[1..]),
  }
}

/// A character class after its `[`: whether `c` is in it, and the pattern after its `]`.
fn class(pattern: &[char], c: Option<char>) -> Option<(bool, &[char])> {
  let (negated, body) = match pattern.first() {
    Some('!' | '^') => (true, &pattern[1..]),
    _ => (false, pattern),
  };
  // A `]` first in the class is a member.
  let close = body.iter().skip(1).position(|ch| *ch == ']')? + 1;
  let members = &body[..close];
  let c = c?;
  let mut found = false;
  let mut i = 0;
  while i < members.len() {
    if i + 2 < members.len() && members[i + 1] == '-' {
      found |= (members[i]..=members[i + 2]).contains(&c);
      i += 3;
    } else {
      found |= members[i] == c;
      i += 1;
    }
  }
  Some((found != negated, &body[close + 1..]))
}

#[cfg(test)]
mod tests {
  use super::*;

  fn ignored(rules: &Rules, path: &str) -> bool {
    rules.is_ignored(Path::new(path), path.ends_with('/'))
  }

  #[test]
  fn globs_match_names_classes_and_escapes() {
    assert!(glob("*.py", "main.py"));
    assert!(!glob("*.py", "main.pyc"));
    assert!(glob("te?t_*.rs", "test_a.rs"));
    assert!(glob("[a-c]x[!0-9]", "bxz"));
    assert!(!glob("[a-c]x[!0-9]", "bx1"));
    assert!(glob("a\\*b", "a*b") && !glob("a\\*b", "axb"));
    assert!(glob("[]]", "]"));
    assert!(glob("[", "["), "an unclosed class is a literal");
  }

  #[test]
  fn watch_globs_match_relative_paths() {
    assert!(glob_matches("**/*.py", Path::new("app/api/main.py")));
    assert!(glob_matches("**/*.py", Path::new("main.py")));
    assert!(glob_matches("*.py", Path::new("deep/down/x.py")));
    assert!(glob_matches("src/*.ts", Path::new("src/a.ts")));
    assert!(!glob_matches("src/*.ts", Path::new("src/lib/a.ts")));
    assert!(glob_matches("src/**", Path::new("src/lib/a.ts")));
  }

  #[test]
  fn built_in_names_are_ignored_at_any_depth() {
    let rules = Rules::new(&["logs".into()]);
    assert!(ignored(&rules, "node_modules/react/index.js"));
    assert!(ignored(&rules, "web/node_modules/"));
    assert!(ignored(&rules, ".git/HEAD"));
    assert!(ignored(&rules, "api/__pycache__/x.pyc"));
    assert!(ignored(&rules, "logs/api.log"));
    assert!(!ignored(&rules, "src/main.py"));
  }

  #[test]
  fn gitignore_rules_anchor_negate_and_apply_below_their_file() {
    let mut rules = Rules::new(&[]);
    rules.add_file(
      Path::new(".gitignore"),
      "# build output\n*.log\n!keep.log\n/build\ntmp/\ndocs/*.html\n",
      &[],
    );
    rules.add_file(
      Path::new("api/.gitignore"),
      "generated.py\n",
      &["api".to_owned()],
    );
    assert!(ignored(&rules, "x/debug.log"));
    assert!(!ignored(&rules, "x/keep.log"), "negated");
    assert!(ignored(&rules, "build/out.js"), "anchored at the root");
    assert!(
      !ignored(&rules, "src/build/out.js"),
      "not anchored elsewhere"
    );
    assert!(ignored(&rules, "a/tmp/x"), "a directory anywhere");
    assert!(
      !ignored(&rules, "a/tmp"),
      "tmp/ means a directory, not a file"
    );
    assert!(ignored(&rules, "docs/index.html"));
    assert!(!ignored(&rules, "docs/sub/index.html"));
    assert!(ignored(&rules, "api/generated.py"));
    assert!(
      !ignored(&rules, "web/generated.py"),
      "only below its own file"
    );
  }

  #[test]
  fn a_file_in_an_ignored_directory_stays_ignored() {
    let mut rules = Rules::new(&[]);
    rules.add_file(Path::new(".gitignore"), "out/\n!out/keep.txt\n", &[]);
    assert!(
      ignored(&rules, "out/keep.txt"),
      "git cannot re-include below an ignored dir"
    );
  }
}
