//! A cycle in `depends_on` or `deps` is an error that names the whole loop.

use std::collections::HashSet;

use super::{
  Checker, Config,
  raw::{RawFile, Text},
};
use crate::error::Result;

impl Checker<'_> {
  /// A cycle in `depends_on` or `deps` is an error that names the whole loop.
  pub(super) fn check_cycles(&self, raw: &RawFile, config: &Config) -> Result<()> {
    let service_edges = |name: &str| -> Vec<String> {
      config
        .service(name)
        .map(|s| s.depends_on.iter().map(|d| d.service.clone()).collect())
        .unwrap_or_default()
    };
    let task_edges = |name: &str| -> Vec<String> {
      config
        .task(name)
        .map(|t| t.deps.clone())
        .unwrap_or_default()
    };
    type Edges<'e> = &'e dyn Fn(&str) -> Vec<String>;
    let checks: [(&str, Vec<&Text>, Edges); 2] = [
      (
        "service",
        raw.services.0.iter().map(|(name, _)| name).collect(),
        &service_edges,
      ),
      (
        "task",
        raw.tasks.0.iter().map(|(name, _)| name).collect(),
        &task_edges,
      ),
    ];
    for (kind, names, edges) in checks {
      for name in names {
        if let Some(cycle) = find_cycle(&name.value, edges) {
          let field = if kind == "service" {
            "depends_on"
          } else {
            "deps"
          };
          return Err(
            self
              .at(
                name,
                format!(
                  "{kind}s depend on each other in a cycle: {}",
                  cycle.join(" → ")
                ),
              )
              .with_hint(format!("remove one of these `{field}` entries")),
          );
        }
      }
    }
    Ok(())
  }
}

/// The first cycle reachable from `start` that returns to `start`, as a path `a → b → a`.
fn find_cycle(start: &str, edges: &dyn Fn(&str) -> Vec<String>) -> Option<Vec<String>> {
  fn visit(
    node: &str,
    start: &str,
    edges: &dyn Fn(&str) -> Vec<String>,
    path: &mut Vec<String>,
    seen: &mut HashSet<String>,
  ) -> bool {
    for next in edges(node) {
      if next == start {
        path.push(next);
        return true;
      }
      if seen.insert(next.clone()) {
        path.push(next.clone());
        if visit(&next, start, edges, path, seen) {
          return true;
        }
        path.pop();
      }
    }
    false
  }
  let mut path = vec![start.to_owned()];
  visit(start, start, edges, &mut path, &mut HashSet::new()).then_some(path)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn finds_cycles_and_names_them() {
    let edges = |name: &str| -> Vec<String> {
      match name {
        "a" => vec!["b".into()],
        "b" => vec!["c".into()],
        "c" => vec!["a".into()],
        _ => vec![],
      }
    };
    assert_eq!(find_cycle("a", &edges).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(find_cycle("d", &edges), None);
  }
}
