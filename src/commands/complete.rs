//! `dev __complete`: what the shell may offer for the word under the cursor. The completion
//! scripts (`completions.rs`) only pass the command line here, so every shell completes the
//! same names in the same places: built-in commands and flags from the clap definitions (never
//! the hidden ones), services wherever a command takes services, tasks and derived names as
//! the first word, and nothing (the shell's own file completion) after a task's name.

use std::path::PathBuf;

use clap::{Command, CommandFactory};

use crate::{
  cli::Cli,
  config::{Config, DERIVED_SUFFIXES},
};

/// One thing to offer, with a few words for the shells that show them (zsh, fish).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
  pub(crate) word: String,
  pub(crate) help: String,
}

/// The names of the project the command line is about, if its task file loads.
#[derive(Debug, Default)]
pub(crate) struct Names {
  pub(crate) services: Vec<(String, String)>,
  pub(crate) tasks: Vec<(String, String)>,
  /// `profiles:` of the services, for `dev up --profile`.
  pub(crate) profiles: Vec<String>,
}

impl Names {
  /// The task file `-f` names, else the one found upward from the current directory. A
  /// broken or missing one completes built-ins only: completion never prints an error.
  pub(crate) fn of_project(file: Option<PathBuf>) -> Self {
    let path = match file {
      Some(path) => path,
      None => match std::env::current_dir()
        .ok()
        .and_then(|cwd| Config::find(&cwd).ok())
      {
        Some(path) => path,
        None => return Self::default(),
      },
    };
    let Ok(config) = Config::load(&path) else {
      return Self::default();
    };
    let services = config
      .services
      .iter()
      .map(|service| {
        let help = service.description.clone();
        (
          service.name.clone(),
          help.unwrap_or_else(|| "service".into()),
        )
      })
      .collect();
    let mut tasks = Vec::new();
    for task in config.tasks.iter().filter(|task| !task.private) {
      let help = task.description.clone().unwrap_or_else(|| "task".into());
      tasks.push((task.name.clone(), help.clone()));
      tasks.extend(
        task
          .aliases
          .iter()
          .map(|alias| (alias.clone(), help.clone())),
      );
    }
    let profiles = config.profiles();
    Self {
      services,
      tasks,
      profiles,
    }
  }
}

/// What `dev <service>-<suffix>` does, in a few words.
fn derived_help(suffix: &str) -> &'static str {
  match suffix {
    "stop" => "stop it",
    "restart" => "restart it in place",
    "force" => "hard restart, no grace",
    "status" => "its state",
    "logs" => "its log",
    _ => "",
  }
}

/// What to offer for `words[current]` (`words[0]` is `dev`; `current` may be one past the
/// end: the cursor after a space).
pub(crate) fn candidates(words: &[String], current: usize, names: &Names) -> Vec<Candidate> {
  let typed = words.get(current).map_or("", String::as_str);
  let before = &words[1.min(words.len())..current.min(words.len())];
  let mut root = Cli::command();
  // Built: arguments know their actions (unbuilt, every flag seems to take a value).
  root.build();
  let mut offered = match find_command(&root, before) {
    // `--profile <TAB>`: the task file's profiles.
    Position::Value(_) if before.last().is_some_and(|word| word == "--profile") => names
      .profiles
      .iter()
      .map(|profile| Candidate {
        word: profile.clone(),
        help: "profile".into(),
      })
      .collect(),
    Position::Value(values) => values,
    Position::Command { command, .. } if std::ptr::eq(command, &root) => {
      if typed.starts_with('-') {
        flags(command)
      } else {
        first_words(command, names, typed)
      }
    }
    Position::Command { command, taken } => {
      if typed.starts_with('-') {
        flags(command)
      } else {
        arguments(command, names, &taken)
      }
    }
    Position::Task => Vec::new(),
  };
  offered.retain(|candidate| candidate.word.starts_with(typed));
  offered
}

enum Position<'a> {
  /// The word is the value of an option: the values it takes, if it names them.
  Value(Vec<Candidate>),
  /// The word belongs to this (sub)command: its subcommands, arguments or flags.
  Command {
    command: &'a Command,
    taken: Vec<String>,
  },
  /// After a task's name, the words are the task's own: the shell's file completion.
  Task,
}

/// Walks the words before the cursor down the clap tree.
fn find_command<'a>(root: &'a Command, before: &[String]) -> Position<'a> {
  let mut command = root;
  let mut taken = Vec::new();
  let mut index = 0;
  while let Some(word) = before.get(index) {
    index += 1;
    if word == "--" {
      return Position::Task;
    }
    if word.starts_with('-') {
      let takes_value = option(command, word).is_some_and(|arg| arg.get_action().takes_values());
      if takes_value && !word.contains('=') {
        match before.get(index) {
          Some(_) => index += 1,
          None => return Position::Value(values_of(option(command, word).expect("just found"))),
        }
      }
      continue;
    }
    match command
      .find_subcommand(word)
      .filter(|sub| !sub.is_hide_set())
    {
      Some(sub) => {
        command = sub;
        taken.clear();
      }
      // Not a built-in at the top: a service, a derived name or a task.
      None if std::ptr::eq(command, root) => return Position::Task,
      None => taken.push(word.clone()),
    }
  }
  Position::Command { command, taken }
}

fn option<'a>(command: &'a Command, word: &str) -> Option<&'a clap::Arg> {
  let name = word.split('=').next().unwrap_or(word);
  command.get_arguments().find(|arg| {
    name
      .strip_prefix("--")
      .is_some_and(|long| arg.get_long() == Some(long))
      || name.strip_prefix('-').and_then(|s| s.chars().next()) == arg.get_short()
        && !name.starts_with("--")
  })
}

fn values_of(arg: &clap::Arg) -> Vec<Candidate> {
  arg
    .get_possible_values()
    .iter()
    .filter(|value| !value.is_hide_set())
    .map(|value| Candidate {
      word: value.get_name().to_string(),
      help: value
        .get_help()
        .map(ToString::to_string)
        .unwrap_or_default(),
    })
    .collect()
}

fn flags(command: &Command) -> Vec<Candidate> {
  command
    .get_arguments()
    .filter(|arg| !arg.is_hide_set() && !arg.is_positional())
    .filter_map(|arg| {
      Some(Candidate {
        word: format!("--{}", arg.get_long()?),
        help: arg.get_help().map(ToString::to_string).unwrap_or_default(),
      })
    })
    .collect()
}

fn subcommands(command: &Command) -> Vec<Candidate> {
  command
    .get_subcommands()
    .filter(|sub| !sub.is_hide_set())
    .map(|sub| Candidate {
      word: sub.get_name().to_string(),
      help: sub.get_about().map(ToString::to_string).unwrap_or_default(),
    })
    .collect()
}

/// The first word: built-ins, services, tasks; `<service>-<suffix>` once a name is typed.
fn first_words(root: &Command, names: &Names, typed: &str) -> Vec<Candidate> {
  let mut offered = subcommands(root);
  offered.retain(|candidate| candidate.word != "help");
  for (service, help) in &names.services {
    offered.push(Candidate {
      word: service.clone(),
      help: help.clone(),
    });
    if !typed.is_empty() {
      offered.extend(DERIVED_SUFFIXES.iter().map(|suffix| Candidate {
        word: format!("{service}-{suffix}"),
        help: derived_help(suffix).to_string(),
      }));
    }
  }
  offered.extend(names.tasks.iter().map(|(task, help)| Candidate {
    word: task.clone(),
    help: help.clone(),
  }));
  offered
}

/// The words after a built-in: its subcommands, the values of its first argument, or the
/// services it takes (each once).
fn arguments(command: &Command, names: &Names, taken: &[String]) -> Vec<Candidate> {
  if command.has_subcommands() {
    if !taken.is_empty() {
      return Vec::new();
    }
    let mut offered = subcommands(command);
    // `dev port <service>`: the port it was given.
    if command.get_name() == "port" {
      offered.extend(names.services.iter().map(|(name, help)| Candidate {
        word: name.clone(),
        help: help.clone(),
      }));
    }
    return offered;
  }
  let Some(positional) = command.get_arguments().find(|arg| arg.is_positional()) else {
    return Vec::new();
  };
  let from_names = |list: &[(String, String)]| {
    list
      .iter()
      .filter(|(name, _)| !taken.contains(name))
      .map(|(name, help)| Candidate {
        word: name.clone(),
        help: help.clone(),
      })
      .collect()
  };
  match positional.get_id().as_str() {
    "services" => from_names(&names.services),
    "service" if taken.is_empty() => from_names(&names.services),
    // `dev run <task> [words]`: the task, then its own words (the shell's files).
    "words" if command.get_name() == "run" && taken.is_empty() => from_names(&names.tasks),
    "words" => Vec::new(),
    _ if taken.is_empty() => values_of(positional),
    _ => Vec::new(),
  }
}

#[cfg(test)]
mod tests {
  use super::{Names, candidates};

  fn offered(line: &str, names: &Names) -> Vec<String> {
    let mut words: Vec<String> = line.split(' ').map(String::from).collect();
    let current = words.len() - 1;
    if words[current].is_empty() {
      words.pop();
    }
    candidates(&words, current, names)
      .into_iter()
      .map(|candidate| candidate.word)
      .collect()
  }

  fn project() -> Names {
    Names {
      services: vec![
        ("backend".into(), String::new()),
        ("web".into(), String::new()),
      ],
      tasks: vec![("test".into(), "Run tests".into())],
      profiles: vec!["front".into(), "workers".into()],
    }
  }

  #[test]
  fn the_first_word_offers_built_ins_services_and_tasks_but_nothing_hidden() {
    let words = offered("dev ", &project());
    for expected in ["up", "stop", "logs", "backend", "web", "test"] {
      assert!(
        words.contains(&expected.to_string()),
        "{expected} in {words:?}"
      );
    }
    assert!(
      !words.iter().any(|word| word.starts_with("__")),
      "{words:?}"
    );
    assert!(!words.contains(&"backend-stop".to_string()), "{words:?}");
  }

  #[test]
  fn a_typed_service_name_offers_its_derived_commands() {
    let words = offered("dev back", &project());
    assert!(words.contains(&"backend-restart".to_string()), "{words:?}");
    assert!(!words.contains(&"web".to_string()), "{words:?}");
  }

  #[test]
  fn commands_that_take_services_offer_them_each_once() {
    for command in ["logs", "stop", "restart", "health", "status", "up", "force"] {
      let words = offered(&format!("dev {command} "), &project());
      assert_eq!(words, ["backend", "web"], "dev {command}");
    }
    assert_eq!(offered("dev stop backend ", &project()), ["web"]);
    assert_eq!(offered("dev logs -f b", &project()), ["backend"]);
  }

  #[test]
  fn flags_values_and_subcommands_come_from_the_definitions() {
    assert!(offered("dev logs --f", &project()).contains(&"--follow".to_string()));
    let mut colors = offered("dev --color a", &project());
    colors.sort();
    assert_eq!(colors, ["always", "auto"]);
    assert!(offered("dev port ", &project()).contains(&"free".to_string()));
    assert!(offered("dev port ", &project()).contains(&"web".to_string()));
    assert_eq!(offered("dev port of w", &project()), ["web"]);
    assert_eq!(offered("dev up --profile w", &project()), ["workers"]);
    assert!(offered("dev completions ", &project()).contains(&"fish".to_string()));
    assert!(offered("dev -f other.yaml st", &project()).contains(&"status".to_string()));
  }

  #[test]
  fn after_a_task_name_the_words_are_the_tasks_own() {
    assert!(offered("dev test ", &project()).is_empty());
    assert!(offered("dev backend ", &project()).is_empty());
    assert_eq!(offered("dev run ", &project()), ["test"]);
    assert!(offered("dev run test ", &project()).is_empty());
  }
}
