//! A tool's arguments, checked: each wrong one is said plainly (which, what was expected,
//! what came), for the agent to correct its call.

use serde_json::{Map, Value};

pub(super) struct Args<'a> {
  map: &'a Map<String, Value>,
}

/// What a bad argument is said as.
pub(super) type Bad = String;

impl<'a> Args<'a> {
  /// The call's `arguments` (absent is none), refusing names the tool does not take.
  pub(super) fn new(arguments: &'a Value, known: &[&str]) -> Result<Self, Bad> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let map = match arguments {
      Value::Object(map) => map,
      Value::Null => EMPTY.get_or_init(Map::new),
      other => return Err(format!("`arguments` must be an object, not {other}")),
    };
    if let Some(unknown) = map.keys().find(|key| !known.contains(&key.as_str())) {
      return Err(format!(
        "unknown argument `{unknown}`; this tool takes {}",
        if known.is_empty() {
          "none".to_owned()
        } else {
          known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
        }
      ));
    }
    Ok(Self { map })
  }

  pub(super) fn string(&self, name: &str) -> Result<String, Bad> {
    self
      .optional_string(name)?
      .ok_or_else(|| format!("`{name}` is required"))
  }

  pub(super) fn optional_string(&self, name: &str) -> Result<Option<String>, Bad> {
    match self.map.get(name) {
      None | Some(Value::Null) => Ok(None),
      Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
      Some(other) => Err(format!("`{name}` must be a non-empty string, not {other}")),
    }
  }

  /// A service's or task's name: never one that `dev` would take for an option.
  pub(super) fn name(&self, name: &str) -> Result<String, Bad> {
    let value = self.string(name)?;
    refuse_option(name, &value)?;
    Ok(value)
  }

  /// Names of services; a single string is a list of one.
  pub(super) fn names(&self, name: &str) -> Result<Vec<String>, Bad> {
    let values = self.strings(name)?;
    for value in &values {
      refuse_option(name, value)?;
    }
    Ok(values)
  }

  /// A list of strings; a single string is a list of one.
  pub(super) fn strings(&self, name: &str) -> Result<Vec<String>, Bad> {
    match self.map.get(name) {
      None | Some(Value::Null) => Ok(Vec::new()),
      Some(Value::String(text)) => Ok(vec![text.clone()]),
      Some(Value::Array(items)) => items
        .iter()
        .map(|item| match item {
          Value::String(text) => Ok(text.clone()),
          other => Err(format!(
            "`{name}` must list strings, and {other} is not one"
          )),
        })
        .collect(),
      Some(other) => Err(format!("`{name}` must be a list of strings, not {other}")),
    }
  }

  /// A whole number within `range`, or `default` when absent.
  pub(super) fn integer(
    &self,
    name: &str,
    default: Option<u64>,
    range: std::ops::RangeInclusive<u64>,
  ) -> Result<Option<u64>, Bad> {
    let Some(value) = self.map.get(name).filter(|v| !v.is_null()) else {
      return Ok(default);
    };
    match value.as_u64().or_else(|| {
      value
        .as_f64()
        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
        .map(|f| f as u64)
    }) {
      Some(number) if range.contains(&number) => Ok(Some(number)),
      _ => Err(format!(
        "`{name}` must be a whole number from {} to {}, not {value}",
        range.start(),
        range.end()
      )),
    }
  }

  pub(super) fn boolean(&self, name: &str) -> Result<bool, Bad> {
    match self.map.get(name) {
      None | Some(Value::Null) => Ok(false),
      Some(Value::Bool(flag)) => Ok(*flag),
      Some(other) => Err(format!("`{name}` must be true or false, not {other}")),
    }
  }

  /// A duration as the CLI takes it (`10m`, `30s`), or a number of seconds (at most a year:
  /// 1e300 seconds is no duration, and would overflow the clock it is added to).
  pub(super) fn duration(&self, name: &str) -> Result<Option<std::time::Duration>, Bad> {
    match self.map.get(name) {
      None | Some(Value::Null) => Ok(None),
      Some(Value::Number(seconds)) => seconds
        .as_f64()
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok())
        .filter(|duration| *duration <= LONGEST)
        .map(Some)
        .ok_or_else(|| {
          format!("`{name}` must be a number of seconds from 0 to a year, not {seconds}")
        }),
      Some(Value::String(text)) => match crate::config::parse_duration(text) {
        Ok(duration) if duration <= LONGEST => Ok(Some(duration)),
        Ok(_) => Err(format!("`{name}` must be at most a year, not {text}")),
        Err(error) => Err(format!("`{name}`: {error}")),
      },
      Some(other) => Err(format!(
        "`{name}` must be a duration like \"10m\" or \"30s\", not {other}"
      )),
    }
  }
}

/// `--help` as a service would print the help and succeed: no name starts with `-`.
fn refuse_option(name: &str, value: &str) -> Result<(), Bad> {
  if value.starts_with('-') {
    return Err(format!(
      "`{name}`: `{value}` is not a service or task name (names do not start with `-`)"
    ));
  }
  Ok(())
}

/// The longest duration an argument may give.
const LONGEST: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);
