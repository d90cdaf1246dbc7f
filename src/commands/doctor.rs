//! `dev doctor`: what would stop `dev` from working here, each finding with its fix — the
//! task file, every program the services and tasks run (on PATH or relative to their cwd),
//! each port (free, ours, or held by whom), the log directory, and stale state.

use std::path::Path;

use crate::{
  config::source::display_path,
  error::{Error, Result},
  plan::{self, PortOverrides},
  ports::holders::{self, PortStatus},
  project::Project,
  shell,
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

/// The programs of every service and task, each in the directory and environment it runs
/// with.
fn check_programs(project: &Project) -> Vec<Finding> {
  let config = &project.config;
  let mut findings = Vec::new();
  let ports = plan::known_ports(config, &project.state, &PortOverrides::default());
  for service in &config.services {
    match plan::keeper_spec(config, service, &ports, None) {
      Ok(spec) => findings.extend(check_commands(
        &service.name,
        &spec.command,
        &spec.cwd,
        &spec.env,
      )),
      Err(error) => findings.push(Finding {
        level: Level::Problem,
        message: format!("{}: {error}", service.name),
        fix: Some("`dev up` shows where in the task file; fix the path or create it".into()),
      }),
    }
  }
  for task in &config.tasks {
    let mut env = config.shared_env().unwrap_or_default();
    env.extend(task.env_file.load().unwrap_or_default());
    crate::config::interpolate::extend_env(&mut env, &task.env, &|_, _| None);
    if !task.cwd.path.is_dir() {
      findings.push(Finding {
        level: Level::Warning,
        message: format!(
          "task {}: its cwd `{}` does not exist (yet)",
          task.name,
          display_path(&task.cwd.path)
        ),
        fix: Some("fine if a dep creates it; otherwise fix `cwd:`".into()),
      });
      continue;
    }
    for command in &task.commands {
      findings.extend(check_commands(&task.name, command, &task.cwd.path, &env));
    }
  }
  findings
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

/// Each program the command starts must exist, looked up as its shell will: by the
/// service's own PATH when its environment sets one, relative to `cwd` for `./x`.
fn check_commands(
  owner: &str,
  command: &str,
  cwd: &Path,
  env: &[(String, String)],
) -> Vec<Finding> {
  if !cwd.is_dir() {
    return vec![Finding {
      level: Level::Problem,
      message: format!("{owner}: its cwd `{}` does not exist", display_path(cwd)),
      fix: Some("create it, or fix `cwd:` in the task file".into()),
    }];
  }
  let path = env
    .iter()
    .rev()
    .find(|(key, _)| key == "PATH")
    .map(|(_, value)| value.clone())
    .or_else(|| std::env::var("PATH").ok())
    .unwrap_or_default();
  let mut findings = Vec::new();
  for (program, simple) in shell::programs(command) {
    if let Ok(found) = which::which_in(&program, Some(&path), cwd) {
      findings.extend(check_runtime(owner, &found, &simple, cwd, env, &path));
      continue;
    }
    findings.push(Finding {
      level: Level::Problem,
      message: format!("{owner}: `{program}` is not found (in `{simple}`)"),
      fix: Some(if program.contains('/') {
        format!("no executable `{program}` in {}", display_path(cwd))
      } else {
        format!("install `{program}` or put it on PATH (`which {program}` finds nothing)")
      }),
    });
  }
  findings
}

/// What a found program will still miss: a module its Python cannot import (`No module
/// named uvicorn` when it lives only in the project's venv), a script package.json lacks.
fn check_runtime(
  owner: &str,
  program: &Path,
  simple: &str,
  cwd: &Path,
  env: &[(String, String)],
  path: &str,
) -> Option<Finding> {
  let words: Vec<&str> = simple.split_whitespace().collect();
  let name = program.file_name()?.to_str()?;
  let is_python = name.starts_with("python")
    && name["python".len()..]
      .chars()
      .all(|c| c.is_ascii_digit() || c == '.');
  if is_python {
    let module = words
      .iter()
      .position(|word| *word == "-m")
      .and_then(|at| words.get(at + 1))?;
    let import = module.split('.').next()?;
    let output = std::process::Command::new(program)
      .args(["-c", &format!("import {import}")])
      .current_dir(cwd)
      .envs(env.iter().map(|(k, v)| (k, v)))
      .env("PATH", path)
      .stdin(std::process::Stdio::null())
      .output()
      .ok()?;
    if output.status.success() {
      return None;
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let why = said.lines().last().unwrap_or("it failed").trim().to_owned();
    return Some(Finding {
      level: Level::Problem,
      message: format!("{owner}: `{}` cannot import `{import}` ({why})", words[0]),
      fix: Some(format!(
        "install it for that interpreter: `{} -m pip install {import}`, or run the service with the Python that has it",
        words[0]
      )),
    });
  }
  let script = match (name, words.get(1).copied(), words.get(2).copied()) {
    ("npm" | "pnpm" | "bun", Some("run" | "run-script"), Some(script)) => script,
    ("npm" | "pnpm", Some("start" | "test"), _) => words[1],
    ("yarn", Some("run"), Some(script)) => script,
    ("yarn", Some(script), _) if !YARN_COMMANDS.contains(&script) && !script.starts_with('-') => {
      script
    }
    _ => return None,
  };
  let package = std::fs::read_to_string(cwd.join("package.json")).ok()?;
  let package: serde_json::Value = serde_json::from_str(&package).ok()?;
  if package["scripts"].get(script).is_some() {
    return None;
  }
  Some(Finding {
    level: Level::Problem,
    message: format!(
      "{owner}: {} has no script `{script}` (in `{simple}`)",
      display_path(&cwd.join("package.json"))
    ),
    fix: Some(format!(
      "add `\"{script}\": …` to its scripts, or run the tool itself in `run:`"
    )),
  })
}

/// Yarn's own commands: a word after `yarn` that is one of these is not a script.
const YARN_COMMANDS: [&str; 14] = [
  "install",
  "add",
  "remove",
  "upgrade",
  "exec",
  "dlx",
  "workspace",
  "workspaces",
  "why",
  "info",
  "init",
  "config",
  "cache",
  "node",
];

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
