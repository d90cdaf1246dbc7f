//! Opening a URL in the browser with the platform's opener (`xdg-open`, `open`).

use std::{
  env,
  process::{Command, Stdio},
  thread,
};

use crate::sys;

/// Opens `url` — never in CI or without a display, where a browser cannot help (and must not
/// pop up on a build machine). What happened, to say: `Ok(None)` in CI (nothing to say),
/// `Ok(Some(..))` opened or why not, `Err(..)` the opener failed.
pub(crate) fn open(url: &str) -> Result<Option<String>, String> {
  let set = |name: &str| env::var_os(name).is_some_and(|value| !value.is_empty());
  if set("CI") {
    return Ok(None);
  }
  if !sys::has_display() {
    return Ok(Some(format!("not opening {url}: no display")));
  }
  match Command::new(sys::URL_OPENER)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
  {
    Ok(mut child) => {
      thread::spawn(move || child.wait());
      Ok(Some(format!("opened {url} in the browser")))
    }
    Err(error) => Err(format!(
      "cannot open {url}: `{}` failed: {error}",
      sys::URL_OPENER
    )),
  }
}
