//! A build without the `https` feature: `https://` probes say so.

use super::Deadlined;

pub(super) fn connect<'a>(
  _host: &str,
  _loopback: bool,
  _stream: &'a mut Deadlined,
) -> Result<&'a mut Deadlined, String> {
  Err("this dev was built without the `https` feature".into())
}
