//! `.env` files as docker compose and foreman read them: `KEY=value`, `export KEY=value`,
//! quotes, `#` comments.

pub(crate) fn parse_env_file(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
  let mut pairs = Vec::new();
  for (index, line) in text.lines().enumerate() {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
      continue;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let Some((key, value)) = line.split_once('=') else {
      return Err((index + 1, format!("expected KEY=value, found `{line}`")));
    };
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
      return Err((index + 1, format!("`{key}` is not a valid variable name")));
    }
    pairs.push((key.to_owned(), unquote(value.trim())));
  }
  Ok(pairs)
}

fn unquote(value: &str) -> String {
  for quote in ['"', '\''] {
    if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
      let inner = &value[1..value.len() - 1];
      return if quote == '"' {
        inner.replace("\\n", "\n").replace("\\\"", "\"")
      } else {
        inner.to_owned()
      };
    }
  }
  // An unquoted value ends at ` #` (a trailing comment).
  value
    .split(" #")
    .next()
    .unwrap_or(value)
    .trim_end()
    .to_owned()
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn reads_dotenv_syntax() {
    let pairs =
      parse_env_file("# c\nA=1\nexport B=\"two words\"\nC='x' \nD=plain # note\n\n").unwrap();
    let expected = [("A", "1"), ("B", "two words"), ("C", "x"), ("D", "plain")];
    assert_eq!(pairs, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    assert_eq!(parse_env_file("NOPE").unwrap_err().0, 1);
  }
}
