//! The python server the tests run as a service or as a foreign listener, and the YAML that
//! runs it.

use std::{
  fmt::Display,
  process::{Child, Command, Stdio},
  time::Duration,
};

use super::{PYTHON, Test, wait_child};

impl Test {
  /// A listener that `dev` did not start: `python3 server.py <mode>` on `port` (address
  /// `bind`) in its own process group, carrying the test's marker for the cleanup guard.
  /// Returns once it listens (or, for `bind-only`, is bound).
  pub(crate) fn foreign(&self, port: u16, bind: &str, mode: &str) -> Foreign {
    self.foreign_with_env(port, bind, mode, &[])
  }

  pub(crate) fn foreign_with_env(
    &self,
    port: u16,
    bind: &str,
    mode: &str,
    env: &[(&str, &str)],
  ) -> Foreign {
    use std::io::{BufRead, BufReader};
    let mut command = Command::new(PYTHON);
    command
      .args(["-u", "server.py", mode])
      .current_dir(self.path())
      .env("PORT", port.to_string())
      .env("BIND", bind)
      .env("DEV_TEST_ID", &self.marker)
      .envs(env.iter().copied())
      .stdin(Stdio::null())
      .stdout(Stdio::piped());
    // Out of the test's group: a Ctrl+C a test sends to a group never reaches it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().expect("spawn python");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while line.is_empty() || line.starts_with("starting") {
      line.clear();
      if reader.read_line(&mut line).unwrap() == 0 {
        break;
      }
    }
    assert!(
      line.starts_with("listening") || line.starts_with("bound"),
      "server did not start: {line:?}"
    );
    Foreign(child)
  }
}

/// A process the test started itself; killed and reaped on drop.
pub(crate) struct Foreign(Child);

impl Foreign {
  pub(crate) fn id(&self) -> u32 {
    self.0.id()
  }

  /// Waits (bounded) for it to exit, for processes `dev` is expected to stop.
  pub(crate) fn wait_exit(&mut self, timeout: Duration) -> i32 {
    wait_child(&mut self.0, timeout)
  }
}

impl Drop for Foreign {
  fn drop(&mut self) {
    let _ = self.0.kill();
    let _ = self.0.wait();
  }
}

/// A one-service config running server.py in the given mode on the given port.
pub(crate) fn server_config(name: &str, port: u16, mode: &str, grace: &str) -> String {
  services(&[server(name, port)
    .mode(mode)
    .field(&format!("stop: {{ grace: {grace} }}"))])
}

/// A service running server.py: `server("api", port).env("DELAY", 0.4).mode("http")`, with
/// more YAML lines under it by `field`.
pub(crate) struct Server {
  name: String,
  port: u16,
  env: Vec<String>,
  mode: String,
  fields: Vec<String>,
}

pub(crate) fn server(name: &str, port: u16) -> Server {
  Server {
    name: name.to_owned(),
    port,
    env: Vec::new(),
    mode: String::new(),
    fields: Vec::new(),
  }
}

impl Server {
  /// A variable server.py reads: `DELAY` (before listening), `WARMUP` (503 until then),
  /// `STATUS`, `HANG`, `BIND`, `PORT` (to listen elsewhere than `port:`).
  pub(crate) fn env(mut self, name: &str, value: impl Display) -> Self {
    self.env.push(format!("{name}={value}"));
    self
  }

  /// `http`, `https`, `tree`, `ignore-term`…: what server.py does.
  pub(crate) fn mode(mut self, mode: &str) -> Self {
    self.mode = mode.to_owned();
    self
  }

  /// A line of the service's YAML: `health: { http: 'http://127.0.0.1:$PORT/' }`.
  pub(crate) fn field(mut self, line: &str) -> Self {
    self.fields.push(line.to_owned());
    self
  }

  fn yaml(&self) -> String {
    let env: String = self.env.iter().map(|pair| format!("{pair} ")).collect();
    let mode = if self.mode.is_empty() {
      String::new()
    } else {
      format!(" {}", self.mode)
    };
    let mut yaml = format!(
      "  {}:\n    run: {env}exec python3 -u server.py{mode}\n    port: {}\n",
      self.name, self.port
    );
    for line in &self.fields {
      yaml.push_str(&format!("    {line}\n"));
    }
    yaml
  }
}

/// `services:` with these servers.
pub(crate) fn services(servers: &[Server]) -> String {
  let mut yaml = String::from("services:\n");
  for server in servers {
    yaml.push_str(&server.yaml());
  }
  yaml
}
