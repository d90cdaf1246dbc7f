//! `dev doctor`: what would stop `dev` from working here, each finding with its fix — the
//! task file, every program the services and tasks run (on PATH or relative to their cwd),
//! each port (free, ours, or held by whom), the log directory, and stale state.

use std::{fs, os::unix::fs::PermissionsExt, path::Path};

use crate::{
  error::{Error, Result},
  format::count,
  ports::holders::{self, PortStatus},
  preflight,
  project::Project,
  source::display_path,
  state::Liveness,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
  Good,
  Warning,
  Problem,
}

struct Finding {
  level: Level,
  message: String,
  fix: Option<String>,
}

/// Shell words that are not programs on PATH.
const BUILTINS: [&str; 24] = [
  "cd", "echo", "exec", "export", "set", "unset", "true", "false", "test", "[", "printf", "read",
  "wait", "while", "for", "if", "source", ".", "eval", "trap", "exit", "umask", "ulimit", "(",
];

pub(crate) fn doctor(project: &Project) -> Result<()> {
  let config = &project.config;
  let mut findings = vec![Finding {
    level: Level::Good,
    message: format!(
      "{} is valid: {}, {}",
      display_path(&config.path),
      count(config.services.len(), "service", "services"),
      count(config.tasks.len(), "task", "tasks")
    ),
    fix: None,
  }];
  let path_var = std::env::var("PATH").unwrap_or_default();
  for service in &config.services {
    findings.extend(check_commands(
      &service.name,
      &service.run,
      &service.cwd.path,
      &path_var,
    ));
  }
  for task in &config.tasks {
    for command in &task.commands {
      findings.extend(check_commands(
        &task.name,
        command,
        &task.cwd.path,
        &path_var,
      ));
    }
  }
  for service in &config.services {
    for spec in &service.ports {
      findings.push(check_port(
        project,
        &service.name,
        spec.preferred,
        spec.fallback != crate::config::Fallback::None,
      ));
    }
  }
  findings.push(check_log_dir(&config.log_dir));
  for service in &config.services {
    if let Some(Liveness::Stale(state)) = project.state.read(&service.name).map(|s| s.liveness()) {
      let survivors = state.survivors();
      findings.push(Finding {
        level: Level::Warning,
        message: format!(
          "{}: its keeper is gone without a word ({} still running)",
          service.name,
          count(survivors.len(), "process", "processes")
        ),
        fix: Some(format!(
          "`dev {}-stop` stops what is left and clears it",
          service.name
        )),
      });
    }
  }

  let color = project.color;
  let mut out = String::new();
  for finding in &findings {
    let mark = match finding.level {
      Level::Good => color.good("✓").to_string(),
      Level::Warning => color.warning("!").to_string(),
      Level::Problem => color.error("✗").to_string(),
    };
    out.push_str(&format!("{mark} {}\n", finding.message));
    if let Some(fix) = &finding.fix {
      out.push_str(&format!("  {} {fix}\n", color.hint("fix:")));
    }
  }
  crate::output::print_out(&out)?;
  let problems = findings
    .iter()
    .filter(|f| f.level == Level::Problem)
    .count();
  if problems == 0 {
    Ok(())
  } else {
    Err(Error::Unhealthy {
      summary: format!(
        "dev doctor found {}",
        count(problems, "problem", "problems")
      ),
    })
  }
}

/// Each program of `a && b | c; d` must exist: on PATH, or as a path from `cwd`.
fn check_commands(owner: &str, command: &str, cwd: &Path, path_var: &str) -> Vec<Finding> {
  if !cwd.is_dir() {
    return vec![Finding {
      level: Level::Problem,
      message: format!("{owner}: its cwd `{}` does not exist", display_path(cwd)),
      fix: Some("create it, or fix `cwd:` in the task file".into()),
    }];
  }
  let mut findings = Vec::new();
  for segment in command.split(['&', '|', ';', '\n']) {
    let Some(program) = program_of(segment) else {
      continue;
    };
    if BUILTINS.contains(&program) || program.contains('$') {
      continue;
    }
    let found = if program.contains('/') {
      is_executable(&cwd.join(program))
    } else {
      std::env::split_paths(path_var).any(|dir| is_executable(&dir.join(program)))
    };
    if !found {
      findings.push(Finding {
        level: Level::Problem,
        message: format!(
          "{owner}: `{program}` is not found (in `{}`)",
          segment.trim()
        ),
        fix: Some(if program.contains('/') {
          format!("no executable `{program}` in {}", display_path(cwd))
        } else {
          format!("install `{program}` or put it on PATH (`which {program}` finds nothing)")
        }),
      });
    }
  }
  findings
}

/// The program a shell command segment runs: after `VAR=value` words, `exec` and `env`.
fn program_of(segment: &str) -> Option<&str> {
  let is_assignment = |word: &str| word.find('=').is_some_and(|at| at > 0);
  segment
    .split_whitespace()
    .find(|word| !is_assignment(word) && !matches!(*word, "exec" | "env" | "time" | "nohup"))
    .map(|word| word.trim_matches(|c| c == '"' || c == '\''))
    .filter(|word| !word.is_empty())
}

fn is_executable(path: &Path) -> bool {
  fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn check_port(project: &Project, service: &str, port: u16, has_fallback: bool) -> Finding {
  if let Some(Liveness::Running(state)) = project.state.read(service).map(|s| s.liveness())
    && state.ports.iter().any(|(_, p)| *p == port)
  {
    return Finding {
      level: Level::Good,
      message: format!("port {port}: {service} runs there"),
      fix: None,
    };
  }
  let report = holders::inspect(port, &[]);
  let holder = report.holders.first();
  match (&report.status, holder) {
    (PortStatus::Free | PortStatus::TimeWait, _) => Finding {
      level: Level::Good,
      message: format!("port {port} ({service}) is free"),
      fix: None,
    },
    (_, holder) => {
      let who = holder.map_or_else(|| "another user's process".to_owned(), |h| h.short());
      Finding {
        level: if has_fallback {
          Level::Warning
        } else {
          Level::Problem
        },
        message: format!(
          "port {port} ({service}) is held by {who}{}",
          if has_fallback {
            "; its fallback will be used"
          } else {
            ""
          }
        ),
        fix: Some(format!(
          "`dev port who {port}` for details; `dev port free {port}` or `dev {service}-force` frees it"
        )),
      }
    }
  }
}

fn check_log_dir(dir: &Path) -> Finding {
  match preflight::write_problem(dir) {
    None => Finding {
      level: Level::Good,
      message: format!("log directory {} is writable", display_path(dir)),
      fix: None,
    },
    Some(problem) => Finding {
      level: Level::Problem,
      message: format!("log directory {} {}", display_path(dir), problem.what),
      fix: Some(if problem.disk_full {
        "free some space (old logs: `logs/*.log.*`), or point `log_dir:` elsewhere".into()
      } else {
        "fix its permissions, or point `log_dir:` elsewhere".into()
      }),
    },
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn finds_the_program_after_assignments_and_exec() {
    assert_eq!(program_of(" PORT=1 exec python3 -u x.py"), Some("python3"));
    assert_eq!(program_of("env A=b node server.js"), Some("node"));
    assert_eq!(program_of("   "), None);
  }
}
