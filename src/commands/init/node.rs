//! `package.json` projects: which package manager (the lockfile or `packageManager` says),
//! which dev server (Next, Vite, Create React App, an Express/Fastify/Koa/Nest server), and a
//! command that runs — a script only when the file has it, the tool itself otherwise.

use std::path::Path;

use serde_json::Value;

use super::{Detected, Draft};

/// The package manager a project uses, as its lockfile (or `packageManager`) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Manager {
  Npm,
  Pnpm,
  Yarn,
  Bun,
}

impl Manager {
  pub(crate) fn of(dir: &Path, package: &Value) -> Self {
    let declared = package["packageManager"].as_str().unwrap_or("");
    let has = |file: &str| dir.join(file).exists();
    if has("pnpm-lock.yaml") || declared.starts_with("pnpm@") {
      Self::Pnpm
    } else if has("yarn.lock") || declared.starts_with("yarn@") {
      Self::Yarn
    } else if has("bun.lockb") || has("bun.lock") || declared.starts_with("bun@") {
      Self::Bun
    } else {
      Self::Npm
    }
  }

  fn name(self) -> &'static str {
    match self {
      Self::Npm => "npm",
      Self::Pnpm => "pnpm",
      Self::Yarn => "yarn",
      Self::Bun => "bun",
    }
  }

  /// Runs a package.json script with extra arguments (npm needs `--` before them).
  pub(crate) fn run(self, script: &str, args: &str) -> String {
    let args = if args.is_empty() {
      String::new()
    } else if self == Self::Npm {
      format!(" -- {args}")
    } else {
      format!(" {args}")
    };
    match self {
      Self::Yarn => format!("yarn {script}{args}"),
      other => format!("{} run {script}{args}", other.name()),
    }
  }

  /// Runs a tool installed in the project (`node_modules/.bin`).
  fn exec(self, tool: &str, args: &str) -> String {
    match self {
      Self::Npm => format!("npx {tool} {args}"),
      Self::Pnpm => format!("pnpm exec {tool} {args}"),
      Self::Yarn => format!("yarn {tool} {args}"),
      Self::Bun => format!("bunx {tool} {args}"),
    }
  }
}

pub(super) fn detect(cwd: Option<&str>, dir: &Path, detected: &mut Detected) {
  let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else {
    return;
  };
  let Ok(package) = serde_json::from_str::<Value>(&text) else {
    return;
  };
  let manager = Manager::of(dir, &package);
  let has = |dep: &str| {
    ["dependencies", "devDependencies"]
      .iter()
      .any(|key| package[key].get(dep).is_some())
  };
  let script = |name: &str| package["scripts"].get(name).and_then(Value::as_str);
  // The dev script when there is one, else the tool itself: `npm start` without a start
  // script fails with `Missing script: "start"`.
  let server = |tool: &str, args: &str| match (script("dev"), script("start")) {
    (Some(_), _) => manager.run("dev", args),
    (None, Some(_)) if tool.is_empty() => manager.run("start", args),
    _ if !tool.is_empty() => manager.exec(tool, args).trim_end().to_owned(),
    _ => node_entry(dir, &package),
  };
  let root_url = Some("http://127.0.0.1:$PORT/");
  if !detected.procfile {
    let draft = if has("next") {
      Some((
        "Next.js",
        server("next dev", "-p $PORT -H 127.0.0.1"),
        3000,
        root_url,
        true,
      ))
    } else if has("vite") {
      // --strictPort: Vite would otherwise move to 5174 without a word.
      let args = "--port $PORT --strictPort --host 127.0.0.1";
      Some(("Vite", server("vite", args), 5173, root_url, true))
    } else if has("react-scripts") {
      let run = if script("start").is_some() {
        format!("BROWSER=none {}", manager.run("start", ""))
      } else {
        format!(
          "BROWSER=none {}",
          manager.exec("react-scripts", "start").trim_end()
        )
      };
      Some(("Create React App", run, 3000, root_url, true))
    } else if ["express", "fastify", "koa", "@nestjs/core"]
      .iter()
      .any(|d| has(d))
    {
      Some(("Node server", server("", ""), 3000, None, false))
    } else {
      None
    };
    if let Some((description, run, port, health, frontend)) = draft {
      let draft = Draft {
        health: health.map(str::to_owned),
        frontend,
        ..Draft::new(description, run, port)
      };
      detected.add_service(cwd, draft);
    }
  }
  for name in ["test", "lint", "build"] {
    if script(name).is_some() {
      let command = manager.run(name, "");
      detected.add_task(cwd, name, command.clone(), &command);
    }
  }
}

/// `node <main>` for a server without a dev or start script.
fn node_entry(dir: &Path, package: &Value) -> String {
  let main = package["main"].as_str().map(str::to_owned).or_else(|| {
    [
      "server.js",
      "index.js",
      "app.js",
      "src/index.js",
      "src/server.js",
    ]
    .iter()
    .find(|file| dir.join(file).exists())
    .map(|file| (*file).to_owned())
  });
  format!("node {}", main.as_deref().unwrap_or("index.js"))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn each_manager_passes_arguments_its_own_way() {
    assert_eq!(
      Manager::Npm.run("dev", "--port $PORT"),
      "npm run dev -- --port $PORT"
    );
    assert_eq!(
      Manager::Pnpm.run("dev", "--port $PORT"),
      "pnpm run dev --port $PORT"
    );
    assert_eq!(
      Manager::Yarn.run("dev", "--port $PORT"),
      "yarn dev --port $PORT"
    );
    assert_eq!(Manager::Bun.run("test", ""), "bun run test");
    assert_eq!(
      Manager::Pnpm.exec("vite", "--port 1"),
      "pnpm exec vite --port 1"
    );
  }
}
