//! Watching a service's (or a task's) source for changes: one report per burst of saves,
//! after the debounce, for paths that are not ignored and match the `watch:` globs.
//!
//! On Linux every directory is watched on its own (inotify has no recursive mode), found by
//! a walk that never enters ignored ones — so `node_modules` or `.git` cost no watch at all,
//! and a directory created later is added when it appears. macOS's FSEvents watches a tree
//! in one go; there the ignore rules filter the events instead. A watched directory that is
//! replaced (`git checkout`, `rm -rf src && mkdir src`) is watched again (`roots.rs`), and a
//! watch that cannot watch says so (`Heard::Trouble`) instead of going deaf.

mod roots;
mod rules;

use std::{
  path::{Path, PathBuf},
  sync::{
    Arc, Mutex, PoisonError, Weak,
    mpsc::{self, Receiver, RecvTimeoutError},
  },
  thread,
  time::{Duration, Instant},
};

use notify::EventKind;
use serde::{Deserialize, Serialize};

use crate::config::Watch;

use roots::Roots;
pub(crate) use rules::Rules;

/// How often the roots are looked at when no event comes: a root replaced while nothing
/// below it was watched sends none.
const RESYNC: Duration = Duration::from_secs(1);

/// Files whose rules say what is not watched (and whose edits are not changes).
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// What to watch, resolved: written into the keeper's spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WatchSpec {
  /// Paths are shown, and ignore rules and globs matched, relative to it (the `cwd`).
  pub(crate) root: PathBuf,
  /// Directories and files to watch (absolute).
  pub(crate) paths: Vec<PathBuf>,
  /// When any: a change counts only if its path matches one (`**/*.py`).
  pub(crate) globs: Vec<String>,
  /// More gitignore patterns: the user's `ignore:` and the log directory.
  pub(crate) ignore: Vec<String>,
  pub(crate) debounce_ms: u64,
  pub(crate) restart_dependents: bool,
}

impl WatchSpec {
  /// `watch:` resolved against the directory it is relative to. The log directory is
  /// never watched: the output written there would restart the service again and again.
  pub(crate) fn new(watch: &Watch, cwd: &Path, log_dir: &Path) -> Self {
    let mut ignore = watch.ignore.clone();
    if let Ok(logs) = log_dir.strip_prefix(cwd)
      && !logs.as_os_str().is_empty()
    {
      ignore.push(format!("/{}/", logs.display()));
    }
    Self {
      root: cwd.to_path_buf(),
      paths: watch.paths.iter().map(|path| cwd.join(path)).collect(),
      globs: watch.globs.clone(),
      ignore,
      debounce_ms: watch.debounce.as_millis() as u64,
      restart_dependents: watch.restart_dependents,
    }
  }

  /// What a change is called in messages: `app/main.py`, or `app/main.py and 3 more`.
  pub(crate) fn describe(changed: &[PathBuf]) -> String {
    match changed {
      [] => "a file".into(),
      [one] => one.display().to_string(),
      [first, rest @ ..] => format!("{} and {} more", first.display(), rest.len()),
    }
  }
}

/// A watch in progress: dropping it stops it.
pub(crate) struct Watching {
  _watcher: Arc<Mutex<notify::RecommendedWatcher>>,
  /// Directories with a watch of their own (Linux).
  pub(crate) watched: usize,
}

/// What a watch tells its owner, from a thread of its own.
pub(crate) enum Heard {
  /// A burst of changes: the paths (relative to the root where they can be).
  Changed(Vec<PathBuf>),
  /// Watching failed (the system's limit of watches, a directory it may not read): no
  /// change below it is seen until it works again. `None` once it does.
  Trouble(Option<String>),
}

/// Starts watching; `heard` is called once per burst of changes, and when watching fails
/// or works again.
pub(crate) fn watch(
  spec: &WatchSpec,
  mut heard: impl FnMut(Heard) + Send + 'static,
) -> notify::Result<Watching> {
  let (sender, events) = mpsc::channel();
  let mut watcher = notify::recommended_watcher(move |event| {
    let _ = sender.send(event);
  })?;
  let mut rules = Rules::new(&spec.ignore);
  let mut roots = Roots::new(&spec.paths, &spec.root);
  let (watched, _) = roots.resync(&mut watcher, &mut rules)?;
  let spec = spec.clone();
  let mut filter = Filter {
    spec,
    rules,
    roots,
    trouble: None,
  };
  let watcher = Arc::new(Mutex::new(watcher));
  // Weak: once `Watching` is dropped the watcher goes, its events end, and so does this.
  let adder = Arc::downgrade(&watcher);
  thread::spawn(move || {
    while let Some(batch) = next_burst(&events, &mut filter, &adder, &mut heard) {
      heard(Heard::Changed(batch));
    }
  });
  Ok(Watching {
    _watcher: watcher,
    watched,
  })
}

/// What decides whether an event counts.
struct Filter {
  spec: WatchSpec,
  rules: Rules,
  roots: Roots,
  /// What was last said about a failure to watch.
  trouble: Option<String>,
}

impl Filter {
  /// Watches what appeared (`created`, a directory) and what replaced a root; says when
  /// watching fails, once, and when it works again. Returns the roots watched again after
  /// they were replaced (relative to the root), which count as changed.
  fn keep_up(
    &mut self,
    adder: &Weak<Mutex<notify::RecommendedWatcher>>,
    created: &[PathBuf],
    heard: &mut dyn FnMut(Heard),
  ) -> Vec<PathBuf> {
    let Some(watcher) = adder.upgrade() else {
      return Vec::new();
    };
    let mut watcher = watcher.lock().unwrap_or_else(PoisonError::into_inner);
    let mut replaced = Vec::new();
    let mut result = self
      .roots
      .resync(&mut watcher, &mut self.rules)
      .map(|(_, roots)| replaced = roots);
    for directory in created.iter().filter(|path| path.is_dir()) {
      let added = self
        .roots
        .appeared(&mut watcher, &mut self.rules, directory);
      result = result.and(added.map(drop));
    }
    let trouble = match result {
      // Deleted again before its watch was added: the next look catches up.
      Err(error) if !matches!(error.kind, notify::ErrorKind::PathNotFound) => {
        Some(error.to_string())
      }
      _ => None,
    };
    if trouble != self.trouble {
      self.trouble.clone_from(&trouble);
      heard(Heard::Trouble(trouble));
    }
    let base = &self.spec.root;
    replaced
      .iter()
      .map(|path| path.strip_prefix(base).unwrap_or(path).to_path_buf())
      .collect()
  }

  /// An ignore file that was saved gives its new rules, and is no change itself.
  fn reload_ignore_files(&mut self, event: &notify::Event) {
    for path in &event.paths {
      let is_ignore_file = path
        .file_name()
        .is_some_and(|name| IGNORE_FILES.iter().any(|file| name == *file));
      if !is_ignore_file {
        continue;
      }
      let directory = path.parent().unwrap_or(path);
      let relative = directory.strip_prefix(&self.spec.root).unwrap_or(directory);
      let text = std::fs::read_to_string(path).unwrap_or_default();
      self.rules.add_file(path, &text, &rules::parts_of(relative));
    }
  }

  /// The event's paths that count, relative to the root.
  fn relevant(&self, event: &notify::Event) -> Vec<PathBuf> {
    if matches!(event.kind, EventKind::Access(_)) {
      return Vec::new();
    }
    event
      .paths
      .iter()
      .filter(|path| {
        !path
          .file_name()
          .is_some_and(|name| IGNORE_FILES.iter().any(|file| name == *file))
      })
      .filter(|path| {
        // Below a watched directory, or a watched file itself (whose directory is watched).
        self
          .spec
          .paths
          .iter()
          .any(|watched| *path == watched || (path.starts_with(watched) && watched.is_dir()))
      })
      .filter_map(|path| {
        let relative = path.strip_prefix(&self.spec.root).unwrap_or(path);
        let directory = path.is_dir();
        if self.rules.is_ignored(relative, directory) {
          return None;
        }
        let wanted = self.spec.globs.is_empty()
          || directory
          || self
            .spec
            .globs
            .iter()
            .any(|glob| rules::glob_matches(glob, relative));
        wanted.then(|| relative.to_path_buf())
      })
      .collect()
  }
}

/// Waits for a relevant change, then gathers the burst it starts until the debounce passes
/// without another — or, for a tree that never goes quiet, ten debounces (at least 1 s)
/// after the first. `None` once the watcher is gone.
fn next_burst(
  events: &Receiver<notify::Result<notify::Event>>,
  filter: &mut Filter,
  adder: &Weak<Mutex<notify::RecommendedWatcher>>,
  heard: &mut dyn FnMut(Heard),
) -> Option<Vec<PathBuf>> {
  let debounce = Duration::from_millis(filter.spec.debounce_ms);
  let longest = (debounce * 10).max(Duration::from_secs(1));
  let mut batch: Vec<PathBuf> = Vec::new();
  let mut quiet_until: Option<Instant> = None;
  let mut burst_ends: Option<Instant> = None;
  loop {
    let wait = quiet_until.map_or(RESYNC, |until| {
      until.saturating_duration_since(Instant::now()).min(RESYNC)
    });
    let event = match events.recv_timeout(wait) {
      Ok(event) => event,
      Err(RecvTimeoutError::Timeout) if quiet_until.is_some_and(|u| Instant::now() >= u) => {
        return Some(batch);
      }
      Err(RecvTimeoutError::Timeout) => Ok(notify::Event::new(EventKind::Other)),
      Err(RecvTimeoutError::Disconnected) => return None,
    };
    let Ok(event) = event else { continue };
    filter.reload_ignore_files(&event);
    let created: &[PathBuf] = match event.kind {
      EventKind::Create(_) => &event.paths,
      _ => &[],
    };
    if matches!(
      event.kind,
      EventKind::Remove(_) | EventKind::Modify(notify::event::ModifyKind::Name(_))
    ) {
      filter.roots.gone(&event.paths);
    }
    let replaced = filter.keep_up(adder, created, heard);
    for path in filter.relevant(&event).into_iter().chain(replaced) {
      if !batch.contains(&path) {
        batch.push(path);
      }
      let ends = *burst_ends.get_or_insert(Instant::now() + longest);
      quiet_until = Some((Instant::now() + debounce).min(ends));
    }
  }
}

#[cfg(test)]
mod tests {
  use std::{fs, sync::mpsc};

  use super::*;

  fn spec(root: &Path, globs: &[&str]) -> WatchSpec {
    WatchSpec {
      root: root.to_path_buf(),
      paths: vec![root.to_path_buf()],
      globs: globs.iter().map(|glob| (*glob).to_owned()).collect(),
      ignore: vec!["logs".into()],
      debounce_ms: 100,
      restart_dependents: true,
    }
  }

  #[test]
  fn a_burst_of_saves_is_one_change_and_ignored_trees_cost_no_watch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["src", "node_modules/a/b", ".git/objects", "logs"] {
      fs::create_dir_all(root.join(sub)).unwrap();
    }
    fs::write(root.join(".gitignore"), "*.tmp\n").unwrap();
    let (sender, changes) = mpsc::channel();
    let watching = watch(&spec(root, &["**/*.py"]), move |heard| {
      if let Heard::Changed(batch) = heard {
        let _ = sender.send(batch);
      }
    })
    .unwrap();
    // The root and src: nothing under node_modules, .git or logs.
    assert_eq!(watching.watched, 2);
    for i in 0..20 {
      fs::write(root.join("src/app.py"), format!("x = {i}\n")).unwrap();
    }
    fs::write(root.join("node_modules/a/b/index.py"), "").unwrap();
    fs::write(root.join("src/notes.tmp"), "").unwrap();
    fs::write(root.join("src/readme.md"), "").unwrap();
    let batch = changes.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(batch, vec![PathBuf::from("src/app.py")]);
    assert!(
      changes.recv_timeout(Duration::from_millis(400)).is_err(),
      "one burst, one change"
    );
    // A directory made later is watched too.
    fs::create_dir(root.join("src/new")).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let _ = changes.recv_timeout(Duration::from_millis(300));
    fs::write(root.join("src/new/mod.py"), "").unwrap();
    let batch = changes.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
      batch.contains(&PathBuf::from("src/new/mod.py")),
      "{batch:?}"
    );
  }
}
