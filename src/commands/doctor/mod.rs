//! `dev doctor`: what would stop `dev` from working here, each finding with its fix — the
//! task file, every program the services and tasks run (on PATH or relative to their cwd),
//! each port (free, ours, or held by whom), the log directory, and stale state.

mod programs;

use std::path::Path;

use self::programs::check_programs;
use crate::{
  config::source::display_path,
  error::{Error, Result},
  ports::holders::{self, PortStatus},
  project::Project,
  state::Liveness,
  supervise::preflight,
  ui::{color::Color, format::count, output::print_out},
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
  findings.extend(check_programs(project));
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
  findings.extend(check_names(project));
  findings.push(check_log_dir(&config.log_dir));
  findings.extend(check_state(project));
  print_out(&render(&findings, project.color))?;
  let problems = findings
    .iter()
    .filter(|f| f.level == Level::Problem)
    .count();
  if problems == 0 {
    Ok(())
  } else {
    Err(Error::Findings {
      summary: format!(
        "dev doctor found {}",
        count(problems, "problem", "problems")
      ),
    })
  }
}

/// `${api.url}` in a service's `run:` or `env:` is a `*.localhost` name: a browser resolves
/// it by itself, a server-side call asks the system's resolver, which may not know it.
fn check_names(project: &Project) -> Option<Finding> {
  use std::net::ToSocketAddrs;
  let users: Vec<&str> = project
    .config
    .services
    .iter()
    .filter(|service| {
      service.run.contains(".url}") || service.env.iter().any(|(_, value)| value.contains(".url}"))
    })
    .map(|service| service.name.as_str())
    .collect();
  if users.is_empty() || ("dev-doctor.localhost", 80).to_socket_addrs().is_ok() {
    return None;
  }
  Some(Finding {
    level: Level::Warning,
    message: format!(
      "this system's resolver does not know *.localhost names: {} {} `${{svc.url}}` names that a browser reaches but a server-side call here does not",
      users.join(", "),
      if users.len() == 1 { "gets" } else { "get" }
    ),
    fix: Some(
      "for a call made by the server itself, use http://127.0.0.1:${svc.port}; or enable systemd-resolved (nss-resolve), which answers *.localhost".into(),
    ),
  })
}

fn render(findings: &[Finding], color: Color) -> String {
  let mut out = String::new();
  for finding in findings {
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
  out
}

/// Services still running that the task file no longer names, and keepers gone without a
/// word.
fn check_state(project: &Project) -> Vec<Finding> {
  let mut findings = Vec::new();
  for orphan in project.orphans() {
    if let Some(Liveness::Running(state)) = project.state.read(&orphan).map(|s| s.liveness()) {
      findings.push(Finding {
        level: Level::Warning,
        message: format!(
          "{orphan} still runs (pid {}) but is no longer in devtasks.yaml",
          state.process.map_or(state.keeper.pid, |p| p.pid)
        ),
        fix: Some(format!("`dev stop {orphan}` stops it")),
      });
    }
  }
  for service in &project.config.services {
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
  findings
}

fn check_port(project: &Project, service: &str, port: u16, has_fallback: bool) -> Finding {
  if let Some(Liveness::Running(state)) = project.state.read(service).map(|s| s.liveness())
    && state.ports.iter().any(|(_, p)| *p == port)
  {
    if state.main_has_ended() {
      return Finding {
        level: Level::Warning,
        message: format!(
          "port {port}: {service}'s last run ended; what is left of it still holds the port while it is stopped"
        ),
        fix: Some(format!("`dev {service}-force` ends it now")),
      };
    }
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
