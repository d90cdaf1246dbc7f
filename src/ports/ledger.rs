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

pub(crate) use super::runtime_dir::runtime_dir;
use crate::{
  error::{Error, Result},
  state::write_atomically,
  sys::DirectoryId as ProjectId,
  sys::ProcessId,
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
  /// The project's name in URLs (`web.<name>.localhost`), unique among the projects in the
  /// ledger. Empty in a claim written by an older `dev`.
  #[serde(default)]
  pub(crate) name: String,
  /// Set by the keeper between two runs (a crash backing off): the port may be answered by
  /// another program meanwhile, so the proxy waits for the next run instead.
  #[serde(default, skip_serializing_if = "std::ops::Not::not")]
  pub(crate) down: bool,
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
    Self::open_in(&runtime_dir()?)
  }

  /// `open`, with the ledger in `directory`.
  fn open_in(directory: &Path) -> Result<Self> {
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
    let path = directory.join(LEDGER_FILE);
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
    project: (ProjectId, &Path, &str),
    service: &str,
    ports: &[u16],
  ) -> Result<()> {
    let (project, root, wanted) = project;
    let me = this_process()?;
    self
      .claims
      .retain(|claim| !(claim.is_of(project, service) && claim.owner == me));
    let name = self.unique_name(project, wanted);
    self.claims.push(Claim {
      project: root.to_path_buf(),
      project_id: project,
      service: service.to_owned(),
      ports: ports.to_vec(),
      owner: me,
      running: false,
      name,
      down: false,
    });
    self.save()
  }

  /// The service started: its keeper owns the claim from now on (and its ports, which a
  /// restart may have changed). Kept in memory until `save`: many services' hand-overs are
  /// one transaction.
  pub(crate) fn hand_over(
    &mut self,
    project: (ProjectId, &Path, &str),
    service: &str,
    keeper: ProcessId,
    ports: &[u16],
  ) -> Result<()> {
    let (project, root, wanted) = project;
    let me = this_process()?;
    self.claims.retain(|claim| {
      !(claim.is_of(project, service) && (claim.owner == me || claim.owner == keeper))
    });
    let name = self.unique_name(project, wanted);
    self.claims.push(Claim {
      project: root.to_path_buf(),
      project_id: project,
      service: service.to_owned(),
      ports: ports.to_vec(),
      owner: keeper,
      running: true,
      name,
      down: false,
    });
    Ok(())
  }

  /// The name `project` has in the ledger, or `wanted` made unique: a second checkout
  /// called `shop` (another clone, not a worktree) becomes `shop-2` while the first runs.
  pub(crate) fn unique_name(&self, project: ProjectId, wanted: &str) -> String {
    if let Some(claim) = self
      .claims
      .iter()
      .find(|claim| claim.project_id == project && !claim.name.is_empty())
    {
      return claim.name.clone();
    }
    let taken = |name: &str| self.claims.iter().any(|claim| claim.name == name);
    (1..)
      .map(|n| match n {
        1 => wanted.to_owned(),
        n => format!("{wanted}-{n}"),
      })
      .find(|name| !taken(name))
      .expect("a free name")
  }

  /// Marks `owner`'s claim for `service` of `project` down (between two runs) or up, in
  /// memory until `save`; whether it had one.
  pub(crate) fn set_down(
    &mut self,
    project: ProjectId,
    service: &str,
    owner: ProcessId,
    down: bool,
  ) -> bool {
    let mut found = false;
    for claim in &mut self.claims {
      if claim.is_of(project, service) && claim.owner == owner {
        claim.down = down;
        found = true;
      }
    }
    found
  }

  /// Drops this process's reservation for a service that did not start, in memory until
  /// `save`; whether there was one.
  pub(crate) fn release(&mut self, project: ProjectId, service: &str) -> Result<bool> {
    let me = this_process()?;
    let before = self.claims.len();
    self
      .claims
      .retain(|claim| !(claim.is_of(project, service) && claim.owner == me));
    Ok(self.claims.len() != before)
  }

  /// Writes the claims (atomically), as they are in memory.
  pub(crate) fn save(&self) -> Result<()> {
    write_atomically(
      &self.path,
      &serde_json::to_vec_pretty(&self.claims).unwrap_or_default(),
    )
  }
}

/// The live claims in the ledger of `directory`, read without its lock: the file is only
/// ever replaced whole (`write_atomically`), so a reader sees one version or the next. For
/// readers that must not wait on a `dev` holding the lock (the proxy, `dev list --all`).
pub(crate) fn live_claims(directory: &Path) -> Vec<Claim> {
  let mut claims: Vec<Claim> = fs::read(directory.join(LEDGER_FILE))
    .ok()
    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    .unwrap_or_default();
  claims.retain(|claim| claim.owner.is_alive());
  claims
}

/// The ledger's file name in the runtime directory.
pub(crate) const LEDGER_FILE: &str = "ledger.json";

fn this_process() -> Result<ProcessId> {
  ProcessId::of(std::process::id()).ok_or_else(|| Error::Io {
    context: "cannot read this process's start time".into(),
    source: std::io::Error::other("the process table has no entry for dev itself"),
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  fn project(dir: &tempfile::TempDir, name: &str) -> (ProjectId, PathBuf) {
    let root = dir.path().join(name);
    fs::create_dir_all(&root).unwrap();
    (ProjectId::of(&root), root)
  }

  /// A claim by another live process: pid 1 outlives every test.
  fn claim_by_another(project: ProjectId, root: &Path, service: &str, port: u16) -> Claim {
    Claim {
      project: root.to_path_buf(),
      project_id: project,
      service: service.into(),
      ports: vec![port],
      owner: ProcessId::of(1).expect("pid 1"),
      running: true,
      name: "a".into(),
      down: false,
    }
  }

  #[test]
  fn a_reservation_is_saved_and_keeps_the_port_from_everyone_else() {
    let dir = tempfile::tempdir().unwrap();
    let (a, root_a) = project(&dir, "a");
    let (b, _) = project(&dir, "b");
    Ledger::open_in(dir.path())
      .unwrap()
      .reserve((a, &root_a, "a"), "web", &[20001, 20002])
      .unwrap();
    let ledger = Ledger::open_in(dir.path()).unwrap();
    let claim = ledger
      .claim_on(20002, b, "web")
      .expect("another project sees it");
    assert_eq!((claim.service.as_str(), claim.running), ("web", false));
    assert!(
      ledger.claim_on(20001, a, "api").is_some(),
      "another service sees it"
    );
    assert!(
      ledger.claim_on(20001, a, "web").is_none(),
      "its own service does not"
    );
    assert!(
      ledger.claim_on(20003, b, "web").is_none(),
      "another port is free"
    );
  }

  #[test]
  fn a_new_reservation_replaces_this_processs_own_and_no_one_elses() {
    let dir = tempfile::tempdir().unwrap();
    let (a, root) = project(&dir, "a");
    let mut ledger = Ledger::open_in(dir.path()).unwrap();
    ledger.claims.push(claim_by_another(a, &root, "web", 20009));
    ledger.claims.push(claim_by_another(a, &root, "api", 20010));
    ledger.reserve((a, &root, "a"), "web", &[20001]).unwrap();
    ledger.reserve((a, &root, "a"), "web", &[20002]).unwrap();
    drop(ledger);
    let ledger = Ledger::open_in(dir.path()).unwrap();
    let mut ports: Vec<u16> = ledger.claims.iter().flat_map(|c| c.ports.clone()).collect();
    ports.sort_unstable();
    assert_eq!(ports, [20002, 20009, 20010]);
  }

  #[test]
  fn a_hand_over_gives_the_claim_to_the_keeper_and_a_release_drops_only_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (a, root) = project(&dir, "a");
    let keeper = ProcessId::of(1).expect("pid 1");
    let mut ledger = Ledger::open_in(dir.path()).unwrap();
    ledger.reserve((a, &root, "a"), "web", &[20001]).unwrap();
    ledger.reserve((a, &root, "a"), "api", &[20003]).unwrap();
    ledger
      .hand_over((a, &root, "a"), "web", keeper, &[20002])
      .unwrap();
    let of = |ledger: &Ledger, service: &str| {
      ledger
        .claims
        .iter()
        .filter(|claim| claim.service == service)
        .count()
    };
    assert_eq!(
      (of(&ledger, "web"), of(&ledger, "api")),
      (1, 1),
      "{:?}",
      ledger.claims
    );
    // A second hand-over (a restart on another port) replaces the keeper's own claim.
    ledger
      .hand_over((a, &root, "a"), "web", keeper, &[20004])
      .unwrap();
    ledger.release(a, "api").unwrap();
    ledger.release(a, "web").unwrap();
    ledger.save().unwrap();
    drop(ledger);
    let ledger = Ledger::open_in(dir.path()).unwrap();
    assert_eq!(ledger.claims.len(), 1, "{:?}", ledger.claims);
    let claim = &ledger.claims[0];
    assert_eq!(
      (claim.ports.as_slice(), claim.owner, claim.running),
      (&[20004][..], keeper, true)
    );
  }

  #[test]
  fn a_release_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (a, root) = project(&dir, "a");
    Ledger::open_in(dir.path())
      .unwrap()
      .reserve((a, &root, "a"), "web", &[20001])
      .unwrap();
    let mut ledger = Ledger::open_in(dir.path()).unwrap();
    assert!(ledger.release(a, "web").unwrap());
    ledger.save().unwrap();
    drop(ledger);
    assert!(Ledger::open_in(dir.path()).unwrap().claims.is_empty());
  }

  #[test]
  fn a_claim_whose_owner_is_gone_is_dropped_by_the_next_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (a, root) = project(&dir, "a");
    let mut ledger = Ledger::open_in(dir.path()).unwrap();
    let mut dead = claim_by_another(a, &root, "web", 20001);
    dead.owner = ProcessId::gone(1);
    ledger.claims.push(dead);
    ledger.claims.push(claim_by_another(a, &root, "api", 20002));
    ledger.save().unwrap();
    drop(ledger);
    let ledger = Ledger::open_in(dir.path()).unwrap();
    let services: Vec<&str> = ledger.claims.iter().map(|c| c.service.as_str()).collect();
    assert_eq!(services, ["api"]);
  }
}
