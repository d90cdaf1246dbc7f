//! The machine-wide port ledger: one per user, shared by every project on this machine, so
//! that two checkouts of one repository started at the same moment never pick one port.
//!
//! Each entry is a claim on some ports by one service of one project, owned by a process
//! proven by its identity: the `dev` that is starting the service (a reservation), then the
//! service's keeper for as long as it runs. A claim dies with its owner — whatever killed it —
//! because every reader drops the entries whose owner is gone. The file lives in a private
//! directory (`$XDG_RUNTIME_DIR/dev`, else `dev-<uid>` in the temp directory, mode 0700;
//! `DEV_RUNTIME_DIR` overrides) and is read and written only under its lock.

use std::{
  fs::{self, File},
  path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

use crate::{
  error::{Error, Result},
  state::write_atomically,
  sys::DirectoryId as ProjectId,
  sys::{self, ProcessId},
};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Claim {
  /// The project's root when the claim was made (for messages; it may have moved since).
  pub(crate) project: PathBuf,
  /// What identifies the project: the same after a move, different in a copy.
  pub(crate) project_id: ProjectId,
  pub(crate) service: String,
  pub(crate) ports: Vec<u16>,
  /// The `dev` starting the service, then its keeper.
  pub(crate) owner: ProcessId,
  /// True once the owner is the service's keeper (the service runs).
  pub(crate) running: bool,
}

impl Claim {
  fn is_of(&self, project: ProjectId, service: &str) -> bool {
    self.project_id == project && self.service == service
  }
}

/// The ledger, locked for as long as this value lives.
pub(crate) struct Ledger {
  _lock: File,
  path: PathBuf,
  pub(crate) claims: Vec<Claim>,
}

impl Ledger {
  /// Takes the lock (waiting for another `dev` that holds it) and reads the live claims.
  pub(crate) fn open() -> Result<Self> {
    let directory = runtime_dir()?;
    let lock_path = directory.join("ledger.lock");
    let lock = File::options()
      .create(true)
      .truncate(false)
      .write(true)
      .open(&lock_path)
      .map_err(Error::io(format!("cannot open `{}`", lock_path.display())))?;
    lock
      .lock()
      .map_err(Error::io(format!("cannot lock `{}`", lock_path.display())))?;
    let path = directory.join("ledger.json");
    let mut claims: Vec<Claim> = fs::read(&path)
      .ok()
      .and_then(|bytes| serde_json::from_slice(&bytes).ok())
      .unwrap_or_default();
    claims.retain(|claim| claim.owner.is_alive());
    Ok(Self {
      _lock: lock,
      path,
      claims,
    })
  }

  /// Claims on `port` by anyone but `service` of `project`.
  pub(crate) fn claim_on(&self, port: u16, project: ProjectId, service: &str) -> Option<&Claim> {
    self
      .claims
      .iter()
      .find(|claim| claim.ports.contains(&port) && !claim.is_of(project, service))
  }

  /// Reserves `ports` for a service this process is about to start, replacing its own
  /// earlier reservation for it.
  pub(crate) fn reserve(
    &mut self,
    project: ProjectId,
    root: &Path,
    service: &str,
    ports: &[u16],
  ) -> Result<()> {
    let me = this_process()?;
    self
      .claims
      .retain(|claim| !(claim.is_of(project, service) && claim.owner == me));
    self.claims.push(Claim {
      project: root.to_path_buf(),
      project_id: project,
      service: service.to_owned(),
      ports: ports.to_vec(),
      owner: me,
      running: false,
    });
    self.save()
  }

  /// The service started: its keeper owns the claim from now on (and its ports, which a
  /// restart may have changed).
  pub(crate) fn hand_over(
    &mut self,
    project: ProjectId,
    root: &Path,
    service: &str,
    keeper: ProcessId,
    ports: &[u16],
  ) -> Result<()> {
    let me = this_process()?;
    self.claims.retain(|claim| {
      !(claim.is_of(project, service) && (claim.owner == me || claim.owner == keeper))
    });
    self.claims.push(Claim {
      project: root.to_path_buf(),
      project_id: project,
      service: service.to_owned(),
      ports: ports.to_vec(),
      owner: keeper,
      running: true,
    });
    self.save()
  }

  /// Drops this process's reservation for a service that did not start.
  pub(crate) fn release(&mut self, project: ProjectId, service: &str) -> Result<()> {
    let me = this_process()?;
    let before = self.claims.len();
    self
      .claims
      .retain(|claim| !(claim.is_of(project, service) && claim.owner == me));
    if self.claims.len() == before {
      return Ok(());
    }
    self.save()
  }

  fn save(&self) -> Result<()> {
    write_atomically(
      &self.path,
      &serde_json::to_vec_pretty(&self.claims).unwrap_or_default(),
    )
  }
}

fn this_process() -> Result<ProcessId> {
  ProcessId::of(std::process::id()).ok_or_else(|| Error::Io {
    context: "cannot read this process's start time".into(),
    source: std::io::Error::other("the process table has no entry for dev itself"),
  })
}

/// The private per-user directory for state shared across projects.
fn runtime_dir() -> Result<PathBuf> {
  let directory = match std::env::var_os("DEV_RUNTIME_DIR").filter(|v| !v.is_empty()) {
    Some(directory) => PathBuf::from(directory),
    None => match std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
      Some(runtime) => PathBuf::from(runtime).join("dev"),
      None => std::env::temp_dir().join(format!("dev-{}", sys::effective_uid())),
    },
  };
  sys::private_directory(&directory).map_err(|source| Error::Preflight {
    message: format!(
      "cannot use `{}` for the machine's port ledger: {source}",
      directory.display()
    ),
    hint: "set DEV_RUNTIME_DIR to a directory only you can write".into(),
  })?;
  Ok(directory)
}
