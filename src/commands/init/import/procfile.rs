//! A Procfile, read as `dev init`'s detection and `dev`'s bare-Procfile run read it
//! (`init/procfile.rs`): `name: command` lines; lines that are not are listed.

use super::{
  command_port::{literal_port, with_port_variable},
  draft::{Imported, ServiceDraft, dev_name},
};
use crate::commands::init::procfile::{entries, foreman_port, ignored_lines, uses_port};

pub(super) fn import(dir: &std::path::Path, text: &str, into: &mut Imported) {
  // foreman (and `dev` on a bare Procfile) give every process the `.env` beside it.
  let dot_env = dir.join(".env").is_file();
  for (line, ignored) in ignored_lines(text) {
    into.notes.push(format!(
      "not carried over: Procfile line {line} `{ignored}` (not `name: command`)"
    ));
  }
  for (index, (name, command)) in entries(text).into_iter().enumerate() {
    let mut service = ServiceDraft {
      name: dev_name(&name),
      run: command,
      env_file: if dot_env {
        vec![".env".into()]
      } else {
        Vec::new()
      },
      ..ServiceDraft::default()
    };
    if uses_port(&service.run) {
      service.port = Some(foreman_port(index));
      service.port_note = Some("foreman's port for this process type".into());
    } else if let Some(port) = literal_port(&service.run) {
      service.port = Some(port);
      if let Some(run) = with_port_variable(&service.run, port) {
        service.run = run;
        service.port_note = Some(format!("the command's {port} is now $PORT"));
      }
    } else {
      // As foreman does: every process gets a PORT, awaited only where it is used.
      let port = foreman_port(index).to_string();
      service.env.push(("PORT".into(), port));
    }
    into.services.push(service);
  }
}
