//! `dev doctor` on what services and tasks run: their env files (each mistake with its
//! file:line), their directories, and every program their commands start — found through
//! wrappers (`nice -n 10 python3 …`) and `cd` (`cd web && npm run dev`), with the Python
//! module and the package.json script each needs. Nothing of the project is ever run:
//! a module is looked for with `importlib.util.find_spec`, which imports nothing.

use std::path::{Path, PathBuf};

use super::{Finding, Level};
use crate::{
  config::{EnvFiles, ShellChoice, interpolate, source::display_path},
  error::Error,
  plan::{self, PortOverrides},
  project::Project,
  shell::{self, Program, ShellKind},
};

/// Every service and task: all that is wrong with each, at once.
pub(super) fn check_programs(project: &Project) -> Vec<Finding> {
  let config = &project.config;
  let (shared, mut findings) = load_env("env_file", &config.env_file);
  let ports = plan::known_ports(config, &project.state, &PortOverrides::default());
  for service in &config.services {
    let (own, problems) = load_env(&service.name, &service.env_file);
    findings.extend(problems);
    if let Some(finding) = missing_shell(&service.name, &service.shell) {
      findings.push(finding);
      continue;
    }
    if !reads_as_sh(&service.shell) {
      continue;
    }
    match plan::keeper_spec(config, service, &ports, None) {
      Ok(spec) => findings.extend(check_commands(
        &service.name,
        &spec.command,
        &spec.cwd,
        &spec.env,
      )),
      // What stopped it (an env file, the cwd) is reported on its own; the programs still
      // get looked at, in the environment that could be read.
      Err(_) => {
        let env = [shared.clone(), own].concat();
        findings.extend(check_commands(
          &service.name,
          &service.run,
          &service.cwd.path,
          &env,
        ));
      }
    }
  }
  for task in &config.tasks {
    let (own, problems) = load_env(&format!("task {}", task.name), &task.env_file);
    findings.extend(problems);
    if let Some(finding) = missing_shell(&format!("task {}", task.name), &task.shell) {
      findings.push(finding);
      continue;
    }
    if !reads_as_sh(&task.shell) {
      continue;
    }
    let mut env = [shared.clone(), own].concat();
    // A mistake in `env:` is the loader's to report; here only the values matter.
    let _ = interpolate::extend_env(&mut env, (&task.env, &task.env_at), &|_, _| None, "");
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

/// A `shell:` this machine does not have: nothing of it could start (`dev up` says the same).
fn missing_shell(owner: &str, shell: &ShellChoice) -> Option<Finding> {
  let Err(Error::Config { message, hint, .. }) = shell.checked() else {
    return None;
  };
  Some(Finding {
    level: Level::Problem,
    message: format!("{owner}: {message}"),
    fix: hint,
  })
}

/// Whether the programs of a command can be read the way `sh` reads it (sh and bash: the
/// words dev's parser knows); cmd's and PowerShell's lines are not looked into.
fn reads_as_sh(shell: &ShellChoice) -> bool {
  matches!(shell.kind, ShellKind::Sh | ShellKind::Bash)
}

/// The variables of `files` that can be read, and a finding for each that cannot, said
/// with its file:line:col.
fn load_env(owner: &str, files: &EnvFiles) -> (Vec<(String, String)>, Vec<Finding>) {
  let mut env = Vec::new();
  let mut findings = Vec::new();
  for file in &files.0 {
    match file.load() {
      Ok(pairs) => env.extend(pairs),
      Err(Error::Config {
        message,
        location,
        hint,
      }) => findings.push(Finding {
        level: Level::Problem,
        message: match location {
          Some(location) => format!("{owner}: {location}: {message}"),
          None => format!("{owner}: {message}"),
        },
        fix: hint,
      }),
      Err(error) => findings.push(Finding {
        level: Level::Problem,
        message: format!("{owner}: {error}"),
        fix: None,
      }),
    }
  }
  (env, findings)
}

/// Each program the command starts must exist, looked up as its shell will: by the
/// service's own PATH when its environment sets one, relative to where it runs for `./x`.
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
  // bash's own keywords (`[[ -n $PORT ]]`, `(( n > 1 ))`) are no programs to look for.
  for program in shell::programs(command)
    .into_iter()
    .filter(|program| !matches!(program.name.as_str(), "[[" | "(("))
  {
    let dir: PathBuf = program
      .dir
      .as_ref()
      .map_or(cwd.to_path_buf(), |dir| cwd.join(dir));
    if !dir.is_dir() {
      // `mkdir -p build && cd build && …`: made by the command itself.
      continue;
    }
    match which::which_in(&program.name, Some(&path), &dir) {
      Ok(found) => findings.extend(check_runtime(owner, &found, &program, &dir, env, &path)),
      Err(_) => findings.push(not_found(owner, &program, &dir)),
    }
  }
  findings
}

fn not_found(owner: &str, program: &Program, dir: &Path) -> Finding {
  let name = &program.name;
  Finding {
    level: Level::Problem,
    message: format!("{owner}: `{name}` is not found (in `{}`)", program.simple),
    fix: Some(if name.contains('/') {
      format!("no executable `{name}` in {}", display_path(dir))
    } else {
      format!("install `{name}` or put it on PATH (`which {name}` finds nothing)")
    }),
  }
}

/// What a found program will still miss: a module its Python cannot find (`No module
/// named uvicorn` when it lives only in the project's venv), a script package.json lacks.
fn check_runtime(
  owner: &str,
  program: &Path,
  run: &Program,
  dir: &Path,
  env: &[(String, String)],
  path: &str,
) -> Option<Finding> {
  let words: Vec<&str> = run.simple.split_whitespace().collect();
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
    return check_module(owner, program, words[0], module, dir, env, path);
  }
  let script = script_of(name, &words)?;
  let package = std::fs::read_to_string(dir.join("package.json")).ok()?;
  let package: serde_json::Value = serde_json::from_str(&package).ok()?;
  if package["scripts"].get(script).is_some() {
    return None;
  }
  Some(Finding {
    level: Level::Problem,
    message: format!(
      "{owner}: {} has no script `{script}` (in `{}`)",
      display_path(&dir.join("package.json")),
      run.simple
    ),
    fix: Some(format!(
      "add `\"{script}\": …` to its scripts, or run the tool itself in `run:`"
    )),
  })
}

/// Whether the interpreter finds the top-level package of `module` — found, not imported:
/// `find_spec` of a top-level name runs none of the project's code.
fn check_module(
  owner: &str,
  python: &Path,
  written: &str,
  module: &str,
  dir: &Path,
  env: &[(String, String)],
  path: &str,
) -> Option<Finding> {
  const FIND: &str =
    "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 3)";
  let top = module.split('.').next()?;
  let status = std::process::Command::new(python)
    .args(["-c", FIND, top])
    .current_dir(dir)
    .envs(env.iter().map(|(k, v)| (k, v)))
    .env("PATH", path)
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .status()
    .ok()?;
  // Anything but "not there" (3) is no finding: doctor only says what it knows.
  (status.code() == Some(3)).then(|| Finding {
    level: Level::Problem,
    message: format!("{owner}: `{written}` has no module `{top}` (for `-m {module}`)"),
    fix: Some(format!(
      "install it for that interpreter: `{written} -m pip install {top}`, or run the service with the Python that has it"
    )),
  })
}

/// The package.json script a package manager's command runs, if it runs one.
fn script_of<'a>(name: &str, words: &[&'a str]) -> Option<&'a str> {
  match (name, words.get(1).copied(), words.get(2).copied()) {
    ("npm" | "pnpm" | "bun", Some("run" | "run-script"), Some(script)) => Some(script),
    ("npm" | "pnpm", Some(script @ ("start" | "test")), _) => Some(script),
    ("yarn", Some("run"), Some(script)) => Some(script),
    ("yarn", Some(script), _) if !YARN_COMMANDS.contains(&script) && !script.starts_with('-') => {
      Some(script)
    }
    _ => None,
  }
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
