//! The shape of the code, checked on every run: no import cycle between modules, no file
//! over 400 lines, no function over 80, and the operating system reached only through
//! `src/sys/` (no `libc::` or `unsafe` elsewhere). ARCHITECTURE.md says why.

use std::{
  collections::{BTreeMap, BTreeSet},
  fs,
  path::{Path, PathBuf},
};

const MAX_FILE_LINES: usize = 400;
const MAX_FUNCTION_LINES: usize = 80;

/// Every source file by module path (`supervise::up::launch`), its text without its unit
/// tests.
fn modules() -> BTreeMap<String, String> {
  fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
      let path = entry.path();
      if path.is_dir() {
        walk(&path, out);
      } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path);
      }
    }
  }
  let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
  let mut files = Vec::new();
  walk(&src, &mut files);
  files
    .into_iter()
    .map(|path| {
      let relative = path.strip_prefix(&src).unwrap().with_extension("");
      let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
      if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
      }
      let name = match parts.as_slice() {
        [only] if only == "lib" || only == "main" => "crate".to_owned(),
        _ => parts.join("::"),
      };
      let text = fs::read_to_string(&path).unwrap();
      let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_owned(),
        None => text,
      };
      (name, code)
    })
    .collect()
}

/// `a::{b, c::{d as e}}` → `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
  let tree = tree.trim();
  let Some(open) = tree.find('{') else {
    return vec![tree.split(" as ").next().unwrap().trim().to_owned()];
  };
  let prefix = tree[..open].trim();
  let inner = &tree[open + 1..tree.rfind('}').unwrap()];
  let (mut depth, mut start, mut items) = (0, 0, Vec::new());
  for (at, c) in inner.char_indices() {
    match c {
      '{' => depth += 1,
      '}' => depth -= 1,
      ',' if depth == 0 => {
        items.push(&inner[start..at]);
        start = at + 1;
      }
      _ => {}
    }
  }
  items.push(&inner[start..]);
  items
    .into_iter()
    .filter(|item| !item.trim().is_empty())
    .flat_map(|item| {
      expand(item)
        .into_iter()
        .map(|path| format!("{prefix}{path}"))
    })
    .collect()
}

/// The modules a module refers to: through `use` trees and `crate::` paths in its code.
fn references(module: &str, code: &str) -> Vec<String> {
  let parent = module
    .rsplit_once("::")
    .map_or("crate", |(parent, _)| parent);
  let absolute = |path: &str| -> Option<String> {
    let path = path.trim().trim_start_matches("::");
    if let Some(rest) = path.strip_prefix("crate::") {
      Some(rest.to_owned())
    } else if let Some(rest) = path.strip_prefix("super::") {
      Some(if parent == "crate" {
        rest.to_owned()
      } else {
        format!("{parent}::{rest}")
      })
    } else {
      path
        .strip_prefix("self::")
        .map(|rest| format!("{module}::{rest}"))
    }
  };
  let mut paths = Vec::new();
  for statement in code.split(';') {
    let statement = statement.trim_start();
    let statement = statement
      .strip_prefix("pub(crate) ")
      .or_else(|| statement.strip_prefix("pub(super) "))
      .unwrap_or(statement);
    if let Some(tree) = statement.strip_prefix("use ") {
      paths.extend(expand(tree).iter().filter_map(|path| absolute(path)));
    }
  }
  for (at, _) in code.match_indices("crate::") {
    let path: String = code[at..]
      .chars()
      .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
      .collect();
    paths.extend(absolute(&path));
  }
  paths
}

/// The longest module path that `path` starts with.
fn owner(modules: &BTreeMap<String, String>, path: &str) -> Option<String> {
  let parts: Vec<&str> = path.split("::").collect();
  (1..=parts.len())
    .rev()
    .map(|n| parts[..n].join("::"))
    .find(|candidate| modules.contains_key(candidate))
}

/// One module inside the other: a parent declares and re-exports its children, which is
/// nesting, not a dependency between concepts.
fn nested(a: &str, b: &str) -> bool {
  a == "crate"
    || b == "crate"
    || a.starts_with(&format!("{b}::"))
    || b.starts_with(&format!("{a}::"))
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
  let modules = modules();
  let mut graph: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
  for (module, code) in &modules {
    let edges = graph.entry(module).or_default();
    for path in references(module, code) {
      if let Some(target) = owner(&modules, &path)
        && target != *module
        && !nested(module, &target)
      {
        edges.insert(target);
      }
    }
  }
  assert!(
    graph["supervise::up::drive"].contains("supervise::up::relay"),
    "the reference finder works: {:?}",
    graph["supervise::up::drive"]
  );
  // A cycle is a path back to where it started.
  let mut cycles = Vec::new();
  for start in graph.keys() {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
      for next in graph.get(node.as_str()).into_iter().flatten() {
        if next == start {
          cycles.push(format!("{} → {start}", path.join(" → ")));
        } else if seen.insert(next.clone()) {
          let mut longer = path.clone();
          longer.push(next.clone());
          stack.push((next.clone(), longer));
        }
      }
    }
  }
  assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_file_over_400_lines_and_no_function_over_80() {
  let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
  let mut long = Vec::new();
  for (module, _) in modules() {
    let file = if module == "crate" {
      src.join("lib.rs")
    } else {
      let base = src.join(module.replace("::", "/"));
      let flat = base.with_extension("rs");
      if flat.is_file() {
        flat
      } else {
        base.join("mod.rs")
      }
    };
    let text = fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > MAX_FILE_LINES {
      long.push(format!("{} has {} lines", file.display(), lines.len()));
    }
    for (at, line) in lines.iter().enumerate() {
      let trimmed = line.trim_start();
      let signature = ["fn ", "pub(crate) fn ", "pub(super) fn ", "pub fn "]
        .iter()
        .any(|start| trimmed.starts_with(start));
      if !signature || line.trim_end().ends_with(';') {
        continue;
      }
      let indent = &line[..line.len() - trimmed.len()];
      let close = format!("{indent}}}");
      if let Some(length) = lines[at..].iter().position(|l| *l == close)
        && length + 1 > MAX_FUNCTION_LINES
      {
        long.push(format!(
          "{}:{} `{}` has {} lines",
          file.display(),
          at + 1,
          trimmed,
          length + 1
        ));
      }
    }
  }
  assert!(long.is_empty(), "{}", long.join("\n"));
}

#[test]
fn the_operating_system_is_reached_only_through_sys() {
  let mut outside = Vec::new();
  for (module, code) in modules() {
    if module == "sys" || module.starts_with("sys::") {
      continue;
    }
    for (number, line) in code.lines().enumerate() {
      let code = line.split("//").next().unwrap_or("");
      if code.contains("libc::") || code.contains("unsafe {") || code.contains("unsafe fn") {
        outside.push(format!("{module}:{}: {}", number + 1, line.trim()));
      }
    }
  }
  assert!(outside.is_empty(), "{}", outside.join("\n"));
}
