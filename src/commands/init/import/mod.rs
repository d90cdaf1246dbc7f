//! `dev init --from <file>`: a devtasks.yaml from what the project already has — a compose
//! file, a Procfile, a process-compose or mprocs file, or package.json scripts. Each source's
//! keys map onto dev's; what has no meaning for dev is written as a `# not carried over: …`
//! comment where it was, never dropped without a word. The file is checked as `dev config`
//! checks it before it is written; a source that cannot be read writes nothing.

mod addresses;
mod command_port;
mod compose;
mod draft;
mod format;
mod mprocs;
mod package;
mod process_compose;
mod procfile;
mod tree;

use std::{fs, path::Path};

use draft::Imported;
use format::Format;

use crate::{
  config::{Config, source::display_path},
  error::{Error, Result},
  ui::output::Reporter,
};

pub(crate) fn import(root: &Path, from: &Path, force: bool, report: Reporter) -> Result<()> {
  let shown = display_path(from);
  let target = super::target_file(root, force, &format!("dev init --from {shown}"))?;
  let source = root.join(from);
  let text = fs::read_to_string(&source).map_err(|error| Error::Config {
    message: format!("cannot read {shown}: {error}"),
    location: None,
    hint: Some(format!(
      "`--from` takes a file of this project (docker-compose.yml, compose.yaml, Procfile, \
       process-compose.yaml, mprocs.yaml, package.json); `ls {}` shows what is there",
      display_path(source.parent().unwrap_or(root))
    )),
  })?;
  let format = Format::by_name(&source)
    .or_else(|| Format::by_content(&text))
    .ok_or_else(|| Error::Config {
      message: format!("cannot tell what kind of file {shown} is"),
      location: None,
      hint: Some(
        "`--from` reads a compose file, a Procfile, process-compose.yaml, mprocs.yaml or \
         package.json: name the file as its tool does (e.g. compose.yaml)"
          .into(),
      ),
    })?;
  let dir = source.parent().unwrap_or(root);
  let mut imported = read(format, &source, dir, &text)?;
  if imported.services.is_empty() && imported.skipped.is_empty() && imported.tasks.is_empty() {
    return Err(Error::Config {
      message: format!("{shown} ({}) has nothing dev can run", format.describe()),
      location: None,
      hint: Some(nothing_hint(format).into()),
    });
  }
  imported.drop_dangling_dependencies();
  rebase(&mut imported, root, dir);
  drop_missing_paths(&mut imported, root);
  let written = imported.render(&shown);
  check(&target, &written)?;
  fs::write(&target, &written)
    .map_err(Error::io(format!("cannot write {}", display_path(&target))))?;
  say(&imported, &shown, &target, report);
  super::ignore_logs(root, report);
  Ok(())
}

/// The source in dev's terms, by its format.
fn read(format: Format, source: &Path, dir: &Path, text: &str) -> Result<Imported> {
  let mut imported = Imported {
    format: format.describe(),
    ..Imported::default()
  };
  match format {
    Format::Procfile => procfile::import(dir, text, &mut imported),
    Format::PackageJson => {
      tree::parse(source, text, true)?;
      package::import(dir, text, &mut imported);
    }
    Format::Compose => compose::import(&tree::parse(source, text, false)?, &mut imported),
    Format::ProcessCompose => {
      process_compose::import(&tree::parse(source, text, false)?, &mut imported);
    }
    Format::Mprocs => mprocs::import(&tree::parse(source, text, false)?, &mut imported),
  }
  Ok(imported)
}

fn nothing_hint(format: Format) -> &'static str {
  match format {
    Format::Compose => "a compose file lists its containers under `services:`",
    Format::Procfile => {
      "a Procfile line is `name: command`, e.g. `web: python3 -m http.server $PORT`"
    }
    Format::ProcessCompose => "process-compose lists its commands under `processes:`",
    Format::Mprocs => "mprocs lists its commands under `procs:`",
    Format::PackageJson => "package.json lists its commands under `scripts`",
  }
}

/// A source in a subdirectory (`--from apps/web/package.json`): its commands run there, as
/// its own tool runs them.
fn rebase(imported: &mut Imported, root: &Path, dir: &Path) {
  let base = dir
    .strip_prefix(root)
    .ok()
    .and_then(Path::to_str)
    .filter(|base| !base.is_empty())
    .map(|base| base.replace('\\', "/"));
  let Some(base) = base else { return };
  let join = |cwd: &Option<String>| {
    Some(match cwd.as_deref() {
      None | Some(".") => base.clone(),
      Some(cwd) if cwd.starts_with('/') => cwd.to_owned(),
      Some(cwd) => format!("{base}/{cwd}"),
    })
  };
  for service in &mut imported.services {
    service.cwd = join(&service.cwd);
    for file in &mut service.env_file {
      if !file.starts_with('/') {
        *file = format!("{base}/{file}");
      }
    }
  }
  for task in &mut imported.tasks {
    task.cwd = join(&task.cwd);
  }
}

/// An `env_file:` or `cwd:` that is not there (yet) would make the file fail `dev config`:
/// it is a comment instead, to put back once it exists.
fn drop_missing_paths(imported: &mut Imported, root: &Path) {
  for service in &mut imported.services {
    let (present, missing): (Vec<String>, Vec<String>) = std::mem::take(&mut service.env_file)
      .into_iter()
      .partition(|file| root.join(file).is_file());
    service.env_file = present;
    for file in missing {
      service.notes.push(format!(
        "not carried over: env_file `{file}`, which is not there: add it back once it is"
      ));
    }
    if let Some(cwd) = &service.cwd
      && !root.join(cwd).is_dir()
    {
      service.notes.push(format!(
        "not carried over: cwd `{cwd}`, which is not there: add it back once it is"
      ));
      service.cwd = None;
    }
  }
}

/// The written file must load as any task file does: a failure here is dev's own mistake,
/// said as such, and nothing is written.
fn check(target: &Path, written: &str) -> Result<()> {
  Config::parse(target.to_path_buf(), written.to_owned())
    .map(|_| ())
    .map_err(|error| Error::Config {
      message: format!("the task file made from it does not pass dev's check: {error}"),
      location: None,
      hint: Some(format!(
        "nothing was written; please report this with the source file. The text was:\n{written}"
      )),
    })
}

fn say(imported: &Imported, shown: &str, target: &Path, report: Reporter) {
  let names: Vec<&str> = imported.services.iter().map(|s| s.name.as_str()).collect();
  report.step(&format!(
    "read {shown} as {}: {} service{}{}{}",
    imported.format,
    names.len(),
    if names.len() == 1 { "" } else { "s" },
    if names.is_empty() {
      String::new()
    } else {
      format!(" ({})", names.join(", "))
    },
    match imported.tasks.len() {
      0 => String::new(),
      1 => ", 1 task".into(),
      n => format!(", {n} tasks"),
    }
  ));
  for (name, why) in &imported.skipped {
    report.warning(&format!("{name} not carried over: {why}"));
  }
  let notes = imported.notes.len()
    + imported
      .services
      .iter()
      .map(|s| {
        s.notes
          .iter()
          .filter(|n| n.starts_with("not carried over"))
          .count()
      })
      .sum::<usize>();
  if notes > 0 {
    report.step(&format!(
      "{notes} `# not carried over` comment{} in the file: what dev has no place for",
      if notes == 1 { "" } else { "s" }
    ));
  }
  report.success(&format!(
    "wrote {}: `dev config` shows it, `dev` starts everything",
    display_path(target)
  ));
}
