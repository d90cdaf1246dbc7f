//! Before anything starts: `.dev/` and the log directory must exist, take a write, and have
//! room to spare. Finding out after half the services started would leave a mess to clean.

use std::{fs, io::Write, path::Path};

use crate::{
  config::source::display_path,
  error::{Error, Result},
  project::Project,
  sys,
};

/// Less than this free on the disk of the state or log directory refuses a start.
const MIN_FREE_BYTES: u64 = 1024 * 1024;

pub(crate) fn check(project: &Project) -> Result<()> {
  let state = project.state.path.as_path();
  let logs = project.config.log_dir.as_path();
  writable(
    state,
    "state directory",
    "remove what is in the way of `.dev/`, or fix its permissions",
  )?;
  writable(
    logs,
    "log directory",
    "point `log_dir:` at a writable directory, or fix its permissions",
  )?;
  project.state.ensure()
}

fn writable(dir: &Path, what: &str, fix: &str) -> Result<()> {
  match write_problem(dir) {
    None => Ok(()),
    Some(problem) => Err(Error::Preflight {
      message: format!(
        "nothing started: the {what} {} {}",
        display_path(dir),
        problem.what
      ),
      hint: if problem.disk_full { DISK_FULL } else { fix }.to_owned(),
    }),
  }
}

const DISK_FULL: &str =
  "the disk is full: free some space (old logs: `logs/*.log.*`), or point `log_dir:` elsewhere";

/// Why `dir` cannot take `dev`'s files: "cannot be created (…)", "cannot be written (…)",
/// "is on a disk with only 12 KiB free".
pub(crate) struct WriteProblem {
  pub(crate) what: String,
  pub(crate) disk_full: bool,
}

/// Creates `dir` if needed, writes a probe file into it, and looks at the free space.
pub(crate) fn write_problem(dir: &Path) -> Option<WriteProblem> {
  if let Err(error) = fs::create_dir_all(dir) {
    return Some(WriteProblem {
      what: format!("cannot be created ({error})"),
      disk_full: false,
    });
  }
  let probe = dir.join(format!(".dev-write-check-{}", std::process::id()));
  // No fsync: file systems reserve the blocks at write(2) (ext4's delayed allocation too),
  // so a full disk answers ENOSPC here, without making every start wait for the disk.
  let written = fs::File::create(&probe).and_then(|mut file| file.write_all(b"ok"));
  let _ = fs::remove_file(&probe);
  if let Err(error) = written {
    return Some(WriteProblem {
      what: format!("cannot be written ({error})"),
      disk_full: sys::is_disk_full(&error),
    });
  }
  match sys::free_bytes(dir) {
    Some(free) if free < MIN_FREE_BYTES => Some(WriteProblem {
      what: format!("is on a disk with only {} KiB free", free / 1024),
      disk_full: true,
    }),
    _ => None,
  }
}
