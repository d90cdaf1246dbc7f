//! "Did you mean `frontend`?": the closest known name, if it is close enough to be a typo.

pub(crate) fn suggest<'a>(
  wanted: &str,
  known: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
  known
    .into_iter()
    .map(|name| (edit_distance(wanted, name), name))
    .filter(|(distance, name)| *distance < 3 && *distance * 3 <= name.chars().count())
    .min_by_key(|(distance, _)| *distance)
    .map(|(_, name)| name.to_owned())
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
  let b: Vec<char> = b.chars().collect();
  let mut previous: Vec<usize> = (0..=b.len()).collect();
  for (i, ca) in a.chars().enumerate() {
    let mut current = vec![i + 1];
    for (j, cb) in b.iter().enumerate() {
      let substitution = previous[j] + usize::from(ca != *cb);
      current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
    }
    previous = current;
  }
  previous[b.len()]
}

/// "`a`, `b`, and `c`", for listing names in messages.
pub(crate) fn list(names: &[String]) -> String {
  let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
  match quoted.as_slice() {
    [] => String::new(),
    [one] => one.clone(),
    [a, b] => format!("{a} and {b}"),
    [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn suggests_close_names_only() {
    let known = ["backend", "frontend", "test"];
    assert_eq!(suggest("fronted", known), Some("frontend".into()));
    assert_eq!(suggest("backedn", known), Some("backend".into()));
    assert_eq!(suggest("deploy", known), None);
    assert_eq!(suggest("x", ["y"]), None);
  }

  #[test]
  fn lists_names_in_english() {
    let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(list(&names(&["a"])), "`a`");
    assert_eq!(list(&names(&["a", "b"])), "`a` and `b`");
    assert_eq!(list(&names(&["a", "b", "c"])), "`a`, `b`, and `c`");
  }
}
