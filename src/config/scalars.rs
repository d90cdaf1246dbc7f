//! Located scalars: a value of the task file with its line and column (`Text`), one or a
//! list of them (`Scalars`), and numbers or booleans read as their text where a string is
//! expected. The building blocks of the raw model (`raw`, `log`, `watch`).

use std::fmt;

use serde::{
  Deserialize, Deserializer,
  de::{self, SeqAccess, Visitor},
};
use serde_saphyr::Spanned;

/// A value written as a bare number or boolean (`run: 8`, `port: 8000`) is read as its text:
/// visitors forward those scalars to `visit_str`.
macro_rules! scalars_as_strings {
  () => {
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
      self.visit_str(&value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
      self.visit_str(&value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
      self.visit_str(&value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
      self.visit_str(&value.to_string())
    }
  };
}

pub(crate) use scalars_as_strings;

pub(crate) type Text = Spanned<String>;

/// One scalar or a list of them, each located: `run: cmd` or `run: [cmd1, cmd2]`;
/// `fallback: 8001-8010` or `fallback: [8001, 8005]`.
#[derive(Debug, Default)]
pub(crate) struct Scalars(pub(crate) Vec<Text>);

impl<'de> Deserialize<'de> for Scalars {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    Spanned::<OneOrMany>::deserialize(deserializer).map(|spanned| match spanned.value {
      OneOrMany::One(command) => Scalars(vec![Spanned::new(
        command,
        spanned.referenced,
        spanned.defined,
      )]),
      OneOrMany::Many(commands) => Scalars(commands),
    })
  }
}

/// Helper for `Scalars`: the lone-scalar form gets its location from the outer `Spanned`.
#[derive(Debug)]
enum OneOrMany {
  One(String),
  Many(Vec<Text>),
}

impl<'de> Deserialize<'de> for OneOrMany {
  fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
    struct OneOrManyVisitor;

    impl<'de> Visitor<'de> for OneOrManyVisitor {
      type Value = OneOrMany;

      fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a list of strings")
      }

      fn visit_str<E: de::Error>(self, command: &str) -> Result<Self::Value, E> {
        Ok(OneOrMany::One(command.to_owned()))
      }

      scalars_as_strings!();

      fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut commands = Vec::new();
        while let Some(command) = seq.next_element::<Text>()? {
          commands.push(command);
        }
        Ok(OneOrMany::Many(commands))
      }
    }

    deserializer.deserialize_any(OneOrManyVisitor)
  }
}
