//! Which kind of file `--from` names: by its name first (`compose.yaml`, `Procfile`…), by
//! its content when the name says nothing (`services:` with `image:`/`ports:` is compose,
//! `processes:` process-compose, `procs:` mprocs, `{ … "scripts" … }` package.json).

use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Format {
  Compose,
  Procfile,
  ProcessCompose,
  Mprocs,
  PackageJson,
}

impl Format {
  /// The words `dev init` and the written file use for it.
  pub(super) fn describe(self) -> &'static str {
    match self {
      Self::Compose => "a Docker Compose file",
      Self::Procfile => "a Procfile",
      Self::ProcessCompose => "a process-compose file",
      Self::Mprocs => "an mprocs file",
      Self::PackageJson => "a package.json",
    }
  }

  /// By the file's name: how each tool finds its own file.
  pub(super) fn by_name(path: &Path) -> Option<Self> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let stem = name
      .strip_suffix(".yaml")
      .or_else(|| name.strip_suffix(".yml"))
      .unwrap_or(&name);
    if name == "package.json" {
      Some(Self::PackageJson)
    } else if name == "procfile" || name.starts_with("procfile.") {
      Some(Self::Procfile)
    } else if stem.starts_with("process-compose") {
      Some(Self::ProcessCompose)
    } else if stem == "mprocs" {
      Some(Self::Mprocs)
    } else if stem.starts_with("docker-compose") || stem.starts_with("compose") {
      Some(Self::Compose)
    } else {
      None
    }
  }

  /// By what the file holds, for a name that says nothing (`dev.yml`, `services.json`).
  pub(super) fn by_content(text: &str) -> Option<Self> {
    let top_keys: Vec<&str> = text
      .lines()
      .filter(|line| !line.starts_with([' ', '\t', '#', '-']))
      .filter_map(|line| {
        line
          .split_once(':')
          .map(|(key, _)| key.trim().trim_matches('"'))
      })
      .collect();
    let has = |key: &str| top_keys.contains(&key);
    if text.trim_start().starts_with('{') && text.contains("\"scripts\"") {
      Some(Self::PackageJson)
    } else if has("processes") {
      Some(Self::ProcessCompose)
    } else if has("procs") {
      Some(Self::Mprocs)
    } else if has("services") {
      Some(Self::Compose)
    } else if !text.trim().is_empty()
      && text
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .all(is_procfile_line)
    {
      Some(Self::Procfile)
    } else {
      None
    }
  }
}

/// `web: command`: a one-word name, then a command.
fn is_procfile_line(line: &str) -> bool {
  line.split_once(':').is_some_and(|(name, command)| {
    !name.is_empty()
      && name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
      && !command.trim().is_empty()
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn names_first_then_content() {
    let by_name = |name: &str| Format::by_name(Path::new(name));
    assert_eq!(by_name("docker-compose.yml"), Some(Format::Compose));
    assert_eq!(by_name("compose.override.yaml"), Some(Format::Compose));
    assert_eq!(
      by_name("process-compose.yaml"),
      Some(Format::ProcessCompose)
    );
    assert_eq!(by_name("mprocs.yaml"), Some(Format::Mprocs));
    assert_eq!(by_name("Procfile.dev"), Some(Format::Procfile));
    assert_eq!(by_name("apps/web/package.json"), Some(Format::PackageJson));
    assert_eq!(by_name("stack.yml"), None);
    let sniff = Format::by_content;
    assert_eq!(
      sniff("services:\n  web:\n    image: x\n"),
      Some(Format::Compose)
    );
    assert_eq!(
      sniff("version: 0.5\nprocesses:\n  a: {}\n"),
      Some(Format::ProcessCompose)
    );
    assert_eq!(sniff("procs:\n  a:\n    shell: x\n"), Some(Format::Mprocs));
    assert_eq!(
      sniff("{\n  \"scripts\": {}\n}\n"),
      Some(Format::PackageJson)
    );
    assert_eq!(
      sniff("web: python3 app.py\n# w\nworker: celery\n"),
      Some(Format::Procfile)
    );
    assert_eq!(sniff("hello world\n"), None);
  }
}
