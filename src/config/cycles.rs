//! A cycle in `depends_on` or `deps` is an error that names the whole loop. One depth-first
//! walk over every node and edge: linear, so 5,000 chained tasks cost what 5 do, times 1,000.

use std::collections::HashMap;

use super::{
  Checker, Config,
  raw::{RawFile, Text},
};
use crate::error::Result;

impl Checker<'_> {
  /// A cycle in `depends_on` or `deps` is an error that names the whole loop.
  pub(super) fn check_cycles(&self, raw: &RawFile, config: &Config) -> Result<()> {
    let services: Vec<(&str, Vec<&str>)> = config
      .services
      .iter()
      .map(|s| {
        let edges = s.depends_on.iter().map(|d| d.service.as_str()).collect();
        (s.name.as_str(), edges)
      })
      .collect();
    let tasks: Vec<(&str, Vec<&str>)> = config
      .tasks
      .iter()
      .map(|t| (t.name.as_str(), t.deps.iter().map(String::as_str).collect()))
      .collect();
    // A dep may name a task by an alias.
    let aliases: Vec<(&str, &str)> = config
      .tasks
      .iter()
      .flat_map(|t| {
        t.aliases
          .iter()
          .map(|alias| (alias.as_str(), t.name.as_str()))
      })
      .collect();
    let checks = [
      (
        "service",
        "depends_on",
        services,
        names(&raw.services.0),
        Vec::new(),
      ),
      ("task", "deps", tasks, names(&raw.tasks.0), aliases),
    ];
    for (kind, field, nodes, written, aliases) in checks {
      let Some(cycle) = find_cycle(&nodes, &aliases) else {
        continue;
      };
      let first = cycle[0].as_str();
      let name = written.iter().find(|name| name.value == first);
      let message = format!(
        "{kind}s depend on each other in a cycle: {}",
        cycle.join(" → ")
      );
      let hint = format!("remove one of these `{field}` entries");
      return Err(
        match name {
          Some(name) => self.at(name, message),
          None => self.at(written[0], message),
        }
        .with_hint(hint),
      );
    }
    Ok(())
  }
}

/// The names of a mapping as written, for locations.
fn names<V>(written: &[(Text, V)]) -> Vec<&Text> {
  written.iter().map(|(name, _)| name).collect()
}

/// A cycle among `nodes` (each a name and the names it depends on, `aliases` naming some of
/// them too), as a path `a → b → a` that starts at the first node of the loop the walk meets.
fn find_cycle(nodes: &[(&str, Vec<&str>)], aliases: &[(&str, &str)]) -> Option<Vec<String>> {
  let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len() + aliases.len());
  for (at, (name, _)) in nodes.iter().enumerate() {
    index.insert(name, at);
  }
  for (alias, name) in aliases {
    if let Some(&at) = index.get(name) {
      index.entry(alias).or_insert(at);
    }
  }
  let edges: Vec<Vec<usize>> = nodes
    .iter()
    .map(|(_, deps)| {
      deps
        .iter()
        .filter_map(|dep| index.get(dep).copied())
        .collect()
    })
    .collect();
  #[derive(Clone, Copy, PartialEq)]
  enum Mark {
    New,
    OnPath,
    Done,
  }
  let mut marks = vec![Mark::New; nodes.len()];
  for root in 0..nodes.len() {
    if marks[root] != Mark::New {
      continue;
    }
    // The path from `root`, each node with the next of its edges to follow.
    let mut path: Vec<(usize, usize)> = vec![(root, 0)];
    marks[root] = Mark::OnPath;
    while let Some((node, next)) = path.last_mut() {
      let Some(&target) = edges[*node].get(*next) else {
        marks[*node] = Mark::Done;
        path.pop();
        continue;
      };
      *next += 1;
      match marks[target] {
        Mark::New => {
          marks[target] = Mark::OnPath;
          path.push((target, 0));
        }
        Mark::OnPath => {
          let from = path.iter().position(|(node, _)| *node == target)?;
          let mut cycle: Vec<String> = path[from..]
            .iter()
            .map(|(node, _)| nodes[*node].0.to_owned())
            .collect();
          cycle.push(nodes[target].0.to_owned());
          return Some(cycle);
        }
        Mark::Done => {}
      }
    }
  }
  None
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn finds_cycles_and_names_them() {
    let nodes = [
      ("d", vec![]),
      ("a", vec!["b"]),
      ("b", vec!["c"]),
      ("c", vec!["a"]),
    ];
    assert_eq!(find_cycle(&nodes, &[]).unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(find_cycle(&nodes[..3], &[]), None);
    let through_alias = [("a", vec!["bee"]), ("b", vec!["a"])];
    assert_eq!(
      find_cycle(&through_alias, &[("bee", "b")]).unwrap(),
      ["a", "b", "a"]
    );
  }

  #[test]
  fn a_long_chain_is_walked_once() {
    let names: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let nodes: Vec<(&str, Vec<&str>)> = names
      .iter()
      .enumerate()
      .map(|(i, name)| {
        (
          name.as_str(),
          names.get(i + 1).map(String::as_str).into_iter().collect(),
        )
      })
      .collect();
    assert_eq!(find_cycle(&nodes, &[]), None);
  }
}
