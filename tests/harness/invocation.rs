//! One run of `dev`, said as a user story: its arguments and environment, what its output
//! must (not) say, and how it must exit — checked at once, with the whole output on failure.

use std::{
  process::{Output, Stdio},
  thread,
  time::{Duration, Instant},
};

use super::Test;

pub(crate) struct Invocation<'t> {
  test: &'t Test,
  args: Vec<String>,
  env: Vec<(String, String)>,
  /// (stream, text, whether it must be there).
  expected: Vec<(Stream, String, bool)>,
  status: Option<i32>,
}

#[derive(Clone, Copy, Debug)]
enum Stream {
  Stdout,
  Stderr,
}

impl<'t> Invocation<'t> {
  pub(super) fn new(test: &'t Test, args: &[&str]) -> Self {
    Self {
      test,
      args: args.iter().map(|arg| (*arg).to_owned()).collect(),
      env: Vec::new(),
      expected: Vec::new(),
      status: None,
    }
  }

  pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
    self.env.push((key.to_owned(), value.to_owned()));
    self
  }

  pub(crate) fn stdout_contains(mut self, text: &str) -> Self {
    self.expected.push((Stream::Stdout, text.to_owned(), true));
    self
  }

  pub(crate) fn stderr_contains(mut self, text: &str) -> Self {
    self.expected.push((Stream::Stderr, text.to_owned(), true));
    self
  }

  pub(crate) fn stdout_lacks(mut self, text: &str) -> Self {
    self.expected.push((Stream::Stdout, text.to_owned(), false));
    self
  }

  pub(crate) fn stderr_lacks(mut self, text: &str) -> Self {
    self.expected.push((Stream::Stderr, text.to_owned(), false));
    self
  }

  /// The exit code it must end with.
  pub(crate) fn status(mut self, code: i32) -> Self {
    self.status = Some(code);
    self
  }

  /// Runs `dev` to completion (bounded: 60 s) and checks everything said of it.
  #[track_caller]
  pub(crate) fn run(self) -> Done {
    let mut child = self
      .test
      .command(&self.args.iter().map(String::as_str).collect::<Vec<_>>())
      .envs(self.env.iter().map(|(key, value)| (key, value)))
      .stdout(Stdio::piped())
      .stderr(Stdio::piped())
      .spawn()
      .expect("spawn dev");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
      assert!(
        Instant::now() < deadline,
        "dev {:?} did not finish in 60 s",
        self.args
      );
      thread::sleep(Duration::from_millis(5));
    }
    let done = Done(child.wait_with_output().unwrap());
    let mut wrong = Vec::new();
    if let Some(code) = self.status
      && done.code() != code
    {
      wrong.push(format!("exit code {}, not {code}", done.code()));
    }
    for (stream, text, wanted) in &self.expected {
      let output = match stream {
        Stream::Stdout => done.stdout(),
        Stream::Stderr => done.stderr(),
      };
      if output.contains(text.as_str()) != *wanted {
        let verb = if *wanted { "lacks" } else { "has" };
        wrong.push(format!("{stream:?} {verb} `{text}`"));
      }
    }
    assert!(
      wrong.is_empty(),
      "dev {}: {}\n--- stdout\n{}--- stderr\n{}",
      self.args.join(" "),
      wrong.join("; "),
      done.stdout(),
      done.stderr()
    );
    done
  }
}

#[derive(Debug)]
pub(crate) struct Done(pub(crate) Output);

impl Done {
  pub(crate) fn stdout(&self) -> String {
    String::from_utf8_lossy(&self.0.stdout).into_owned()
  }

  pub(crate) fn stderr(&self) -> String {
    String::from_utf8_lossy(&self.0.stderr).into_owned()
  }

  /// Stdout parsed as JSON (for `--json` commands); names both streams when it is not.
  #[track_caller]
  pub(crate) fn json(&self) -> serde_json::Value {
    serde_json::from_str(&self.stdout()).unwrap_or_else(|error| {
      panic!(
        "not JSON ({error}): {}\nstderr: {}",
        self.stdout(),
        self.stderr()
      )
    })
  }

  pub(crate) fn code(&self) -> i32 {
    self.0.status.code().unwrap_or(-1)
  }

  #[track_caller]
  pub(crate) fn success(&self) -> &Self {
    assert!(
      self.0.status.success(),
      "expected success, got {}\nstdout: {}\nstderr: {}",
      self.code(),
      self.stdout(),
      self.stderr()
    );
    self
  }
}

#[test]
fn a_wrong_expectation_fails_and_shows_the_whole_output() {
  let test = Test::with_config("tasks:\n  hi: echo hello\n");
  test
    .args(&["hi"])
    .status(0)
    .stdout_contains("hello")
    .stderr_lacks("error")
    .run();
  let failure = std::panic::catch_unwind(|| {
    test
      .args(&["hi"])
      .status(3)
      .stdout_contains("goodbye")
      .run()
  })
  .expect_err("a wrong exit code and a missing text must fail the test");
  let message = failure
    .downcast_ref::<String>()
    .cloned()
    .unwrap_or_default();
  assert!(
    message.contains("exit code 0, not 3") && message.contains("Stdout lacks `goodbye`"),
    "{message}"
  );
  assert!(message.contains("--- stdout\nhello"), "{message}");
}
