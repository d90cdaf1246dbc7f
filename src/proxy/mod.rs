//! The per-user reverse proxy behind `http://<service>.<project>.localhost:<port>/`.
//!
//! One `dev __proxy` per user, started on demand by `dev up` (`start`), in a session of its
//! own so that a terminal's Ctrl+C does not reach it. It holds a lock in the runtime
//! directory beside the ledger (one instance per user), binds 127.0.0.1 only, routes each
//! connection by its Host header to the port the ledger gives that service (`routes`),
//! splices bytes both ways (`forward`), and exits once no project has claimed a port for a
//! while: it lives exactly as long as something of `dev`'s runs, without being any one
//! `dev`'s child, so a SIGKILLed `dev` (whose keepers die with it) leaves it nothing to serve.
//!
//! HTTPS is designed for, not built: a second listener would terminate TLS with a locally
//! trusted certificate for `*.localhost` and hand the plain stream to the same `forward`.

mod forward;
mod page;
mod routes;
mod start;

use std::{
  fs::File,
  io::Write,
  net::{Ipv4Addr, TcpListener},
  path::{Path, PathBuf},
  sync::{Arc, OnceLock},
  thread,
  time::Duration,
};

use serde::{Deserialize, Serialize};

use crate::{
  ports::ledger::runtime_dir,
  state::write_atomically,
  sys::{self, ProcessId},
};
pub(crate) use start::{ensure, running_port};

/// The proxy's port unless `DEV_PROXY_PORT` says otherwise; when taken, the next ones.
pub(crate) const DEFAULT_PORT: u16 = 7355;
/// `DEV_PROXY_PORT=9000` picks another port; `DEV_PROXY=off` runs no proxy at all.
pub(crate) const PORT_VARIABLE: &str = "DEV_PROXY_PORT";
pub(crate) const SWITCH_VARIABLE: &str = "DEV_PROXY";
/// How long the proxy stays once no project uses it (a `dev restart` between a stop and a
/// start, the next `dev up` after a stop).
const IDLE_EXIT: Duration = Duration::from_secs(2);

const LOCK_FILE: &str = "proxy.lock";
const STATE_FILE: &str = "proxy.json";

/// `proxy.json`: who the proxy is and where it listens.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ProxyState {
  pub(crate) owner: ProcessId,
  pub(crate) port: u16,
}

/// The first line `dev __proxy` prints.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Handshake {
  Listening {
    port: u16,
  },
  /// Another proxy holds the lock: its `proxy.json` says where.
  Busy,
  Failed {
    message: String,
  },
}

/// `http://web.shop.localhost:7355`: an origin, like `${web.url}` and `WEB_URL` (no path).
pub(crate) fn url(service: &str, project: &str, proxy_port: u16) -> String {
  format!(
    "http://{}.{project}.localhost:{proxy_port}",
    crate::config::url_label(service)
  )
}

static LISTENING: OnceLock<u16> = OnceLock::new();

/// The port this proxy listens on (for the pages it writes).
fn listening_port() -> u16 {
  LISTENING.get().copied().unwrap_or(DEFAULT_PORT)
}

/// `dev __proxy`: serves until no project uses it. Returns the exit code.
pub(crate) fn serve() -> i32 {
  let say = |handshake: &Handshake| {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
      out,
      "{}",
      serde_json::to_string(handshake).unwrap_or_default()
    );
    let _ = out.flush();
  };
  let failed = |message: String| Handshake::Failed { message };
  let directory = match runtime_dir() {
    Ok(directory) => directory,
    Err(error) => {
      say(&failed(error.to_string()));
      return 1;
    }
  };
  let Some(_lock) = lock(&directory) else {
    say(&Handshake::Busy);
    return 0;
  };
  let (listener, port) = match bind(wanted_port()) {
    Ok(bound) => bound,
    Err(message) => {
      say(&failed(message));
      return 1;
    }
  };
  let _ = LISTENING.set(port);
  let Some(owner) = ProcessId::of(std::process::id()) else {
    say(&failed("cannot read the proxy's own start time".into()));
    return 1;
  };
  let state = ProxyState { owner, port };
  let state_path = directory.join(STATE_FILE);
  if let Err(error) = write_atomically(&state_path, &serde_json::to_vec(&state).unwrap_or_default())
  {
    say(&failed(error.to_string()));
    return 1;
  }
  say(&Handshake::Listening { port });
  sys::silence_stdout();
  let routes = Arc::new(routes::Routes::new(directory.clone()));
  spawn_accepting(listener, Arc::clone(&routes), port);
  wait_while_used(&routes);
  let _ = std::fs::remove_file(&state_path);
  0
}

/// The lock that makes this proxy the only one of this user; `None` when another holds it.
fn lock(directory: &Path) -> Option<File> {
  let file = File::options()
    .create(true)
    .truncate(false)
    .write(true)
    .open(directory.join(LOCK_FILE))
    .ok()?;
  file.try_lock().ok()?;
  Some(file)
}

fn wanted_port() -> u16 {
  std::env::var(PORT_VARIABLE)
    .ok()
    .and_then(|text| text.parse().ok())
    .unwrap_or(DEFAULT_PORT)
}

/// The wanted port, else one of the nine after it, else any free one: a program of someone
/// else's on 7355 moves the proxy, it never stops `dev up`.
fn bind(wanted: u16) -> Result<(TcpListener, u16), String> {
  let candidates = (0..10)
    .filter_map(|step| wanted.checked_add(step))
    .chain([0]);
  for port in candidates {
    if let Ok(listener) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
      let port = listener.local_addr().map_err(|e| e.to_string())?.port();
      return Ok((listener, port));
    }
  }
  Err("no port to listen on at 127.0.0.1".into())
}

fn spawn_accepting(listener: TcpListener, routes: Arc<routes::Routes>, port: u16) {
  thread::spawn(move || {
    for client in listener.incoming() {
      let Ok(client) = client else {
        // Out of descriptors or memory for a moment: do not spin on it.
        thread::sleep(Duration::from_millis(50));
        continue;
      };
      let routes = Arc::clone(&routes);
      let _ = thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || forward::handle(client, &routes, port));
    }
  });
}

/// Returns once the ledger has had no live claim for `IDLE_EXIT`.
fn wait_while_used(routes: &routes::Routes) {
  let tick = Duration::from_millis(200);
  let mut idle = Duration::ZERO;
  while idle < IDLE_EXIT {
    thread::sleep(tick);
    idle = if routes.in_use() {
      Duration::ZERO
    } else {
      idle + tick
    };
  }
}

/// The runtime directory's proxy state, when a live proxy wrote it.
fn state_in(directory: &Path) -> Option<ProxyState> {
  let bytes = std::fs::read(directory.join(STATE_FILE)).ok()?;
  let state: ProxyState = serde_json::from_slice(&bytes).ok()?;
  state.owner.is_alive().then_some(state)
}

fn directory() -> Option<PathBuf> {
  runtime_dir().ok()
}

/// `http://web.shop.localhost:7355` for a service of `project` that has a port and a claim
/// in the ledger, while the proxy runs.
pub(crate) fn url_of(project: sys::DirectoryId, service: &str) -> Option<String> {
  let port = running_port()?;
  let claims = crate::ports::ledger::live_claims(&directory()?);
  let claim = claims.iter().find(|claim| {
    claim.project_id == project && claim.service == service && !claim.ports.is_empty()
  })?;
  (!claim.name.is_empty()).then(|| url(service, &claim.name, port))
}
