//! `watch:` of a service or a task: what changes restart it (or run it again).
//!
//! `watch: true` (its `cwd`), `watch: [src, "**/*.py"]` (directories or files to watch, and
//! globs a changed path must match), or `watch: {paths: […], ignore: […], debounce: 200ms,
//! restart_dependents: false}`.

use std::{fmt, time::Duration};

use serde::{
  Deserialize, Deserializer,
  de::{self, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer},
};
use serde_saphyr::Spanned;

use super::{
  Checker,
  scalars::{Scalars, Text},
};
use crate::error::Result;

/// The quiet time that ends a burst of saves.
pub(crate) const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(200);

/// What to watch, as checked (paths relative to the `cwd`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Watch {
  /// Directories or files; `.` when only globs were given.
  pub(crate) paths: Vec<String>,
  /// When any, a changed path must match one (`**/*.py`).
  pub(crate) globs: Vec<String>,
  /// gitignore patterns, besides `.gitignore`, `.ignore` and the built-in names.
  pub(crate) ignore: Vec<String>,
  pub(crate) debounce: Duration,
  /// Restart the services that depend on it once it is ready again.
  pub(crate) restart_dependents: bool,
}

impl Watch {
  /// The whole `cwd`, with the defaults: what `--watch` uses for a service without `watch:`.
  pub(crate) fn everything() -> Self {
    Self {
      paths: vec![".".into()],
      globs: Vec::new(),
      ignore: Vec::new(),
      debounce: DEFAULT_DEBOUNCE,
      restart_dependents: true,
    }
  }
}

/// `watch:` as written.
#[derive(Debug)]
pub(crate) enum RawWatch {
  Switch(bool),
  One(String),
  Many(Vec<Text>),
  Full(RawWatchFields),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWatchFields {
  #[serde(default)]
  paths: Scalars,
  #[serde(default)]
  ignore: Scalars,
  debounce: Option<Text>,
  restart_dependents: Option<bool>,
}

impl<'de> Deserialize<'de> for RawWatch {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct WatchVisitor;

    impl<'de> Visitor<'de> for WatchVisitor {
      type Value = RawWatch;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("true, paths and globs, or a mapping with `paths`, `ignore`, `debounce`")
      }

      fn visit_bool<E: de::Error>(self, on: bool) -> Result<Self::Value, E> {
        Ok(RawWatch::Switch(on))
      }

      fn visit_str<E: de::Error>(self, path: &str) -> Result<Self::Value, E> {
        Ok(RawWatch::One(path.to_owned()))
      }

      fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut paths = Vec::new();
        while let Some(path) = seq.next_element::<Text>()? {
          paths.push(path);
        }
        Ok(RawWatch::Many(paths))
      }

      fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        RawWatchFields::deserialize(MapAccessDeserializer::new(map)).map(RawWatch::Full)
      }
    }

    deserializer.deserialize_any(WatchVisitor)
  }
}

impl Checker<'_> {
  pub(super) fn watch(&self, raw: Option<&Spanned<RawWatch>>) -> Result<Option<Watch>> {
    let Some(raw) = raw else {
      return Ok(None);
    };
    let located = |text: &str| Spanned::new(text.to_owned(), raw.referenced, raw.defined);
    let (entries, ignore, debounce, restart_dependents) = match &raw.value {
      RawWatch::Switch(false) => return Ok(None),
      RawWatch::Switch(true) => return Ok(Some(Watch::everything())),
      RawWatch::One(path) => (vec![located(path)], Vec::new(), None, None),
      RawWatch::Many(paths) => (paths.clone(), Vec::new(), None, None),
      RawWatch::Full(fields) => (
        fields.paths.0.clone(),
        fields
          .ignore
          .0
          .iter()
          .map(|text| text.value.clone())
          .collect(),
        fields.debounce.as_ref(),
        fields.restart_dependents,
      ),
    };
    let mut watch = Watch {
      ignore,
      debounce: match debounce {
        Some(text) => self.duration(text)?,
        None => DEFAULT_DEBOUNCE,
      },
      restart_dependents: restart_dependents.unwrap_or(true),
      ..Watch::everything()
    };
    let (globs, paths): (Vec<&Text>, Vec<&Text>) = entries
      .iter()
      .filter(|text| !text.value.trim().is_empty())
      .partition(|text| text.value.contains(['*', '?', '[']));
    watch.globs = globs
      .iter()
      .map(|text| text.value.trim().to_owned())
      .collect();
    if !paths.is_empty() {
      watch.paths = paths
        .iter()
        .map(|text| text.value.trim().to_owned())
        .collect();
    }
    if entries.iter().all(|text| text.value.trim().is_empty()) && !entries.is_empty() {
      return Err(self.at(&entries[0], "`watch:` names no path or glob".to_owned()));
    }
    Ok(Some(watch))
  }
}
