//! What running a task means, in order: each dep once, before what needs it; the deps of a
//! `parallel: true` task side by side, after whatever several of them share.

use std::collections::HashSet;

use crate::config::{Config, Task};

#[derive(Debug)]
pub(crate) enum Step<'a> {
  Run(&'a Task),
  /// Branches run at the same time; each is a sequence of its own.
  Together(Vec<Vec<Step<'a>>>),
}

/// The steps of `task`, its deps first. Cycles were refused when the file was loaded.
pub(crate) fn plan<'a>(config: &'a Config, task: &'a Task) -> Vec<Step<'a>> {
  let mut done = HashSet::new();
  let mut steps = Vec::new();
  add(config, task, &mut done, &mut steps);
  steps
}

fn add<'a>(
  config: &'a Config,
  task: &'a Task,
  done: &mut HashSet<String>,
  out: &mut Vec<Step<'a>>,
) {
  if done.contains(&task.name) {
    return;
  }
  let deps: Vec<&Task> = task
    .deps
    .iter()
    .filter_map(|name| config.task(name))
    .filter(|dep| !done.contains(&dep.name))
    .collect();
  if task.parallel && deps.len() > 1 {
    // What two branches share runs first, once; then the branches are disjoint.
    let closures: Vec<Vec<&Task>> = deps.iter().map(|dep| closure(config, dep)).collect();
    for dep in &deps {
      for shared in closure(config, dep) {
        let in_branches = closures
          .iter()
          .filter(|c| c.iter().any(|t| t.name == shared.name))
          .count();
        if in_branches > 1 && shared.name != dep.name {
          add(config, shared, done, out);
        }
      }
    }
    // A dep that another dep also needs runs in that one's branch.
    let mut branches = Vec::new();
    for dep in &deps {
      if done.contains(&dep.name) {
        continue;
      }
      let mut branch = Vec::new();
      add(config, dep, done, &mut branch);
      if !branch.is_empty() {
        branches.push(branch);
      }
    }
    match branches.len() {
      0 => {}
      1 => out.extend(branches.pop().unwrap_or_default()),
      _ => out.push(Step::Together(branches)),
    }
  } else {
    for dep in deps {
      add(config, dep, done, out);
    }
  }
  done.insert(task.name.clone());
  out.push(Step::Run(task));
}

/// `task` and everything it depends on, deps first.
fn closure<'a>(config: &'a Config, task: &'a Task) -> Vec<&'a Task> {
  fn visit<'a>(config: &'a Config, task: &'a Task, seen: &mut Vec<&'a Task>) {
    if seen.iter().any(|t| t.name == task.name) {
      return;
    }
    for dep in task.deps.iter().filter_map(|name| config.task(name)) {
      visit(config, dep, seen);
    }
    seen.push(task);
  }
  let mut seen = Vec::new();
  visit(config, task, &mut seen);
  seen
}

/// Every task the steps run, in order.
pub(crate) fn tasks<'a>(steps: &[Step<'a>]) -> Vec<&'a Task> {
  let mut found = Vec::new();
  for step in steps {
    match step {
      Step::Run(task) => found.push(*task),
      Step::Together(branches) => {
        for branch in branches {
          found.extend(tasks(branch));
        }
      }
    }
  }
  found
}

/// The tasks that run in a parallel branch (their output is prefixed).
pub(crate) fn side_by_side<'a>(steps: &[Step<'a>]) -> Vec<&'a Task> {
  steps
    .iter()
    .flat_map(|step| match step {
      Step::Run(_) => Vec::new(),
      Step::Together(branches) => branches.iter().flat_map(|branch| tasks(branch)).collect(),
    })
    .collect()
}
