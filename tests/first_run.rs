//! `dev` where there is no task file yet: on a real terminal (tmux) it shows what `dev init`
//! finds and asks; only a typed yes writes the file. Without a terminal it fails exactly
//! as it always did, at once.

use std::fs;

use crate::harness::{Test, Tmux};

/// The error `dev` gives where no task file is, with or without a terminal.
fn not_found(test: &Test) -> String {
  format!(
    "error: no devtasks.yaml in `{}` or any parent directory\n\
     hint: create one with `dev init`, or point at one with `dev -f path/to/devtasks.yaml`\n",
    test.path().display()
  )
}

/// `dev <args>` in a terminal of its own, with `env` before it; its exit code is shown
/// after it. The shell traps Ctrl+C, so that it outlives a `dev` that Ctrl+C ends (a
/// trapped signal is reset to its default in `dev`).
fn terminal(test: &Test, env: &str, args: &str) -> Tmux {
  let command = format!("trap true INT; {env} dev {args}; echo \"dev exited with $?\"; sleep 60");
  Tmux::start_command(test, &command, 100, 20)
}

/// `CI=`: the question is never asked in a CI job, and this suite may run in one.
fn on_a_terminal(test: &Test, args: &str) -> Tmux {
  terminal(test, "CI=", args)
}

const QUESTION: &str = "Create devtasks.yaml with these? [y/N]";

#[test]
fn dev_on_a_terminal_shows_what_init_finds_and_y_writes_what_init_writes() {
  let test = Test::with_project("fastapi-vite");
  let tmux = on_a_terminal(&test, "");
  tmux.wait_for(QUESTION);
  let screen = tmux.screen();
  for line in [
    "▸ no devtasks.yaml here or in a parent directory; `dev init` finds:",
    "    backend   FastAPI in backend/, port 8000",
    "    frontend  Vite in frontend/, port 5173, once backend is healthy",
    "    tasks     test, frontend-test, build",
  ] {
    assert!(screen.contains(line), "{line:?} in\n{screen}");
  }
  assert!(!test.path().join("devtasks.yaml").exists());
  tmux.type_text("y");
  tmux.keys(&["Enter"]);
  tmux.wait_for("dev exited with 0");
  let screen = tmux.screen();
  assert!(
    screen.contains("✓ wrote devtasks.yaml: `dev` starts everything, `dev list` shows it"),
    "{screen}"
  );
  // Exactly what `dev init` writes for the same project.
  let init = Test::with_project("fastapi-vite");
  init.run(&["init"]).success();
  for file in ["devtasks.yaml", ".gitignore"] {
    assert_eq!(
      fs::read_to_string(test.path().join(file)).unwrap(),
      fs::read_to_string(init.path().join(file)).unwrap(),
      "{file}"
    );
  }
  // And it runs: `dev list` reads it.
  test.run(&["list"]).success();
}

/// Enter (No is the default), `n`, Ctrl+D and Ctrl+C: nothing written, and the error (or,
/// for Ctrl+C, the signal's exit code) as before.
#[test]
fn anything_but_yes_at_the_question_writes_nothing() {
  for (keys, code) in [
    (&["Enter"][..], 2),
    (&["n", "Enter"][..], 2),
    (&["C-d"][..], 2),
    (&["C-c"][..], 130),
  ] {
    // A project (and a tmux server) per answer: a server's socket is not reused while the
    // last one may still be going away.
    let test = Test::with_project("fastapi-vite");
    let tmux = on_a_terminal(&test, "up");
    tmux.wait_for(QUESTION);
    tmux.keys(keys);
    tmux.wait_for(&format!("dev exited with {code}"));
    let screen = tmux.screen();
    if code == 2 {
      let error = format!("\n{}", not_found(&test).trim_end());
      assert!(screen.contains(&error), "{keys:?}:\n{screen}");
    }
    assert!(
      !test.path().join("devtasks.yaml").exists() && !test.path().join(".gitignore").exists(),
      "{keys:?} wrote a file"
    );
  }
}

#[test]
fn without_a_terminal_dev_fails_as_before_and_never_asks() {
  let test = Test::with_project("fastapi-vite");
  // Piped, stdin from /dev/null (the harness's way): scripts and agents.
  for args in [&[][..], &["up"], &["--yes"], &["up", "-d"]] {
    let done = test.args(args).status(2).run();
    assert_eq!(done.stderr(), not_found(&test), "dev {args:?}");
  }
  assert!(!test.path().join("devtasks.yaml").exists());
  // On a terminal, but stdin is not one, or stderr is not, or this is a CI job.
  for (env, args) in [
    ("CI=", "</dev/null"),
    ("CI=", "2>dev.err"),
    ("CI=true", ""),
    ("CI=", "--yes </dev/null"),
  ] {
    let test = Test::with_project("fastapi-vite");
    let tmux = terminal(&test, env, args);
    tmux.wait_for("dev exited with 2");
    let screen = tmux.screen();
    assert!(!screen.contains("[y/N]"), "{env} dev {args}:\n{screen}");
    let error = match fs::read_to_string(test.path().join("dev.err")) {
      Ok(redirected) => redirected,
      Err(_) => screen[..screen.find("dev exited").unwrap()].to_owned(),
    };
    assert_eq!(error, not_found(&test), "{env} dev {args}");
    assert!(!test.path().join("devtasks.yaml").exists());
  }
}

#[test]
fn with_nothing_to_start_there_is_no_question() {
  let test = Test::new();
  test.write("Cargo.toml", "[package]\nname = \"tool\"\n");
  let tmux = on_a_terminal(&test, "");
  tmux.wait_for("dev exited with 2");
  let screen = tmux.screen();
  assert!(
    screen
      .contains("▸ `dev init` finds no dev server here to start (only tasks: build, test, lint)"),
    "{screen}"
  );
  assert!(
    screen.contains("hint: create one with `dev init`"),
    "{screen}"
  );
  assert!(!screen.contains("[y/N]"), "{screen}");
  assert!(!test.path().join("devtasks.yaml").exists());
}
