//! Ports as typed on the command line: `8000` or a range `8000-8010`, several of them.

use super::parse_port;

/// A port or a range of them, as typed: `8000` or `8000-8010`.
#[derive(Clone, Debug)]
pub(crate) struct Ports(pub(crate) Vec<u16>);

/// Every port of the arguments, in order, each once.
pub(crate) fn all_ports(arguments: &[Ports]) -> Vec<u16> {
  // A set, not `Vec::contains`: `1024-65535` is 64 512 ports, and a quadratic pass over
  // them took most of a minute before the first port was looked at.
  let mut seen = std::collections::HashSet::new();
  arguments
    .iter()
    .flat_map(|Ports(ports)| ports)
    .copied()
    .filter(|port| seen.insert(*port))
    .collect()
}

pub(crate) fn parse_ports(text: &str) -> Result<Ports, String> {
  match text.split_once('-').filter(|(first, _)| !first.is_empty()) {
    None => parse_port(text).map(|port| Ports(vec![port])),
    Some((first, last)) => {
      let (first, last) = (parse_port(first)?, parse_port(last)?);
      if first > last {
        return Err(format!("`{text}` goes down: write the lower port first"));
      }
      Ok(Ports((first..=last).collect()))
    }
  }
}
