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

/// Edit distance over chars, a swap of two neighbours counting as one edit (optimal string
/// alignment): `tset` is one typo away from `test`, as a person sees it.
fn edit_distance(a: &str, b: &str) -> usize {
  let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
  let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
  for (i, row) in d.iter_mut().enumerate() {
    row[0] = i;
  }
  for (j, cell) in d[0].iter_mut().enumerate() {
    *cell = j;
  }
  for i in 1..=a.len() {
    for j in 1..=b.len() {
      let cost = usize::from(a[i - 1] != b[j - 1]);
      let mut best = (d[i - 1][j] + 1)
        .min(d[i][j - 1] + 1)
        .min(d[i - 1][j - 1] + cost);
      if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
        best = best.min(d[i - 2][j - 2] + 1);
      }
      d[i][j] = best;
    }
  }
  d[a.len()][b.len()]
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
    // A swap of two letters is one typo.
    assert_eq!(suggest("tset", known), Some("test".into()));
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
