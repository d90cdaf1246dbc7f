//! Completion as a user meets it: the script `dev completions <shell>` prints, sourced into a
//! real bash, zsh and fish in a terminal (tmux), Tab pressed after what a user types.

use crate::harness::{Test, Tmux};

const PROJECT: &str = "services:
  api:
    description: The API
    run: sleep 1
  web:
    run: sleep 1
tasks:
  test: { run: 'true', aliases: [t], description: Run the tests }
";

/// What is typed, and the line the shell must show after one Tab.
const CASES: [(&str, &str); 7] = [
  ("dev sto", "dev stop"),              // a built-in
  ("dev stop a", "dev stop api"),       // a service where `stop` takes services
  ("dev logs -f w", "dev logs -f web"), // past a flag
  ("dev restart web a", "dev restart web api"),
  ("dev health w", "dev health web"),
  ("dev logs --fol", "dev logs --follow"), // a subcommand's flag
  ("dev test notes.t", "dev test notes.txt"), // a task's own words: the shell's files
];

/// `start` runs the shell; `init` is typed into it (sources the script, sets the prompt).
fn completes_in(shell: &str, start: &str, init: &str) {
  let test = Test::with_config(PROJECT);
  let script = test.run(&["completions", shell]);
  script.success();
  test.write(&format!("completion.{shell}"), &script.stdout());
  test.write("notes.txt", "");
  let tmux = Tmux::start_command(&test, start, 100, 30);
  tmux.type_text(init);
  tmux.keys(&["Enter"]);
  // The init line itself shows `ready>` too: wait for the prompt at the start of a line.
  tmux.wait_until("the prompt", |screen| {
    screen.lines().any(|line| line.starts_with("ready>"))
  });
  for (typed, shown) in CASES {
    tmux.type_text(typed);
    tmux.keys(&["Tab"]);
    tmux.wait_until(
      &format!("{shell}: `{typed}` + Tab shows `{shown}`"),
      |screen| {
        screen
          .lines()
          .any(|line| line.starts_with("ready>") && line.trim_end().ends_with(shown))
      },
    );
    tmux.keys(&["C-c"]);
    tmux.wait_until("a fresh prompt", |screen| {
      screen
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .map(str::trim_end)
        == Some("ready>")
    });
  }
}

#[test]
fn bash_completes_services_flags_and_files_where_each_belongs() {
  completes_in(
    "bash",
    "exec bash --norc --noprofile -i",
    "source ./completion.bash; PS1='ready> '",
  );
}

#[test]
fn zsh_completes_services_flags_and_files_where_each_belongs() {
  completes_in(
    "zsh",
    "exec zsh -f -i",
    "autoload -Uz compinit && compinit -u -D; source ./completion.zsh; PS1='ready> '",
  );
}

#[test]
fn fish_completes_services_flags_and_files_where_each_belongs() {
  completes_in(
    "fish",
    "exec fish --no-config -i",
    "set -g fish_autosuggestion_enabled 0; function fish_prompt; echo -n 'ready> '; end; source ./completion.fish",
  );
}
/// The names come from the project in the current directory; hidden commands never show.
#[test]
fn the_completer_offers_names_but_never_hidden_commands() {
  let test = Test::with_config(PROJECT);
  let first = test.run(&["__complete", "1", "--", "dev", ""]).stdout();
  let words: Vec<&str> = first
    .lines()
    .map(|l| l.split('\t').next().unwrap())
    .collect();
  for expected in ["up", "logs", "api", "web", "test", "t"] {
    assert!(words.contains(&expected), "{expected} not in {words:?}");
  }
  assert!(!words.iter().any(|w| w.starts_with("__")), "{words:?}");
  assert!(first.contains("api\tThe API"), "{first}");
}

/// `dev man --dir` writes every page dev.1 refers to, and never a page that is not its own.
#[test]
fn man_pages_for_every_command_and_no_foreign_page_overwritten() {
  let test = Test::new();
  test.write("man/.keep", "");
  test.run(&["man", "--dir", "man"]).success();
  let page = std::fs::read_to_string(test.path().join("man/dev.1")).unwrap();
  for referenced in ["dev-up", "dev-port", "dev-logs"] {
    let roff = referenced.replace('-', "\\-");
    assert!(page.contains(&roff), "{roff} in dev.1:\n{page}");
    assert!(
      test.path().join(format!("man/{referenced}.1")).exists(),
      "{referenced}.1 written"
    );
  }
  assert!(test.path().join("man/dev-port-free.1").exists());
  test.write("other/dev.1", ".TH OTHER 1\nanother program called dev\n");
  test
    .args(&["man", "--dir", "other"])
    .status(2)
    .stderr_contains("is not a page of this dev")
    .run();
  assert_eq!(
    std::fs::read_to_string(test.path().join("other/dev.1")).unwrap(),
    ".TH OTHER 1\nanother program called dev\n"
  );
}
