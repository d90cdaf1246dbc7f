//! The task-file parser and its interpolation under mutated input: no panic, and every
//! rejection is an error with a message and exit code 2. A fixed number of cases in CI;
//! `DEV_FUZZ_SECONDS=600 cargo test fuzz -- --nocapture` runs it for ten minutes and prints
//! how many cases ran and how many distinct outcomes (the corpus) it reached.

use std::{
  collections::HashSet,
  panic::{AssertUnwindSafe, catch_unwind},
  time::{Duration, Instant},
};

const SEEDS: [&str; 5] = [
  include_str!("../../devtasks.yaml"),
  include_str!("../../templates/devtasks.yaml"),
  "log: { max_size: 1MB, timestamps: true }
reserved: [5432, 6000-6010]
default: ci
services:
  api:
    run: exec python3 -u server.py
    port: 8000
    fallback: 8001-8010
    ports: { ws: { port: 8081, fallback: auto } }
    health: { http: \"http://localhost:$PORT/health\", status: 200, body: ok, retries: 2 }
    liveness: { interval: 5s, retries: 3 }
    restart: on-failure
    max_restarts: 3
    restart_delay: 100ms
    stop: { signal: INT, grace: 2s }
    env: { URL: \"http://127.0.0.1:${api.ports.ws}\", HOME2: \"$HOME/x\", DOLLAR: \"$$\" }
  web:
    run: npm run dev -- --port $PORT
    port: 5173
    depends_on: { api: healthy }
    health: { log: \"ready in \\\\d+ ms\" }
tasks:
  build: cargo build
  test: { run: [cargo test, echo done], deps: [build], aliases: [t], args: [filter=all] }
  ci: { deps: [build, test], parallel: true, group: ci, platforms: [linux, macos] }
  e2e: { run: 'curl ${api.port}', needs: [api], confirm: Sure? }
",
  "services:\n  a:\n    run: x\n    depends_on: [b]\n  b:\n    run: y\n    health: { tcp: \"127.0.0.1:1\" }\n",
  "env_file: .env\nservices:\n  a:\n    run: x\n    env_file: .env\n    stop: { grace: 5s }\n    restart_delay: 1.5\n    log: { keep: 3, max_size: 1MB }\n",
];

/// `.env` files that mutate along with the task file (read through `env_file:`).
const ENV_SEED: &str = "\u{feff}# comment\nA=1\nexport B=\"two words\" # note\nC='lit $A \\t'\nD=\"tab\\tend ${A} $A \\\\ \\\"q\\\"\"\nE=\"multi\nline\"\nF=${HOME}x\nG= spaced  \n";

/// Pieces of YAML and of dev's own syntax that mutations splice in.
const TOKENS: [&str; 62] = [
  "${",
  "}",
  "$",
  ":",
  ": ",
  "- ",
  "\n",
  "\n  ",
  "\n    ",
  "\t",
  "\"",
  "'",
  "{",
  "}",
  "[",
  "]",
  ",",
  "#",
  "&a",
  "*a",
  "!!str ",
  "---\n",
  "...",
  "port: ",
  "99999",
  "-1",
  "0",
  "8000-7000",
  "auto",
  "fallback: ",
  "health: ",
  "http: ",
  "liveness: ",
  "depends_on: ",
  "run: ",
  "$PORT",
  "${a.port}",
  "${api.ports.x}",
  "${web.port",
  "\u{0}",
  "é",
  "🙂",
  "=",
  "retries: 0",
  "args: [a=1, b]",
  "aliases: [stop]",
  "needs: [nope]",
  "max_size: 10ZB",
  "1e20",
  "1e308",
  "10000000000000000000s10000000000000000000s",
  "99999999999999999999",
  "4294967295",
  "NaN",
  "inf",
  "-0",
  "grace: ",
  "interval: ",
  "keep: ",
  "env_file: .env",
  "\\",
  "\r\n",
];

/// xorshift64*: reproducible from its seed, no crate needed.
struct Rng(u64);

impl Rng {
  fn next(&mut self) -> u64 {
    self.0 ^= self.0 >> 12;
    self.0 ^= self.0 << 25;
    self.0 ^= self.0 >> 27;
    self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
  }

  fn below(&mut self, n: usize) -> usize {
    (self.next() % n.max(1) as u64) as usize
  }
}

fn mutate(rng: &mut Rng, text: &str) -> String {
  let mut bytes = text.as_bytes().to_vec();
  for _ in 0..=rng.below(4) {
    let at = rng.below(bytes.len() + 1);
    match rng.below(6) {
      0 => {
        let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
        bytes.splice(at..at, token.iter().copied());
      }
      1 if !bytes.is_empty() => {
        let end = (at + rng.below(16)).min(bytes.len());
        bytes.drain(at.min(end)..end);
      }
      2 if !bytes.is_empty() => {
        let index = at.min(bytes.len() - 1);
        bytes[index] = rng.next() as u8;
      }
      3 => {
        let end = (at + rng.below(40)).min(bytes.len());
        let copy: Vec<u8> = bytes[at.min(end)..end].to_vec();
        let to = rng.below(bytes.len() + 1);
        bytes.splice(to..to, copy);
      }
      4 => bytes.truncate(at),
      _ => {
        let line_start = bytes[..at]
          .iter()
          .rposition(|b| *b == b'\n')
          .map_or(0, |i| i + 1);
        bytes.splice(line_start..line_start, b"  ".iter().copied());
      }
    }
  }
  String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_task_files_never_panic_and_every_error_is_explained() {
  let seconds: u64 = std::env::var("DEV_FUZZ_SECONDS")
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or(0);
  let budget = if seconds > 0 {
    Duration::from_secs(seconds)
  } else {
    Duration::MAX
  };
  let cases_cap = if seconds > 0 { usize::MAX } else { 4000 };
  let directory = tempfile::tempdir().unwrap();
  std::fs::create_dir_all(directory.path().join("examples/demo/backend")).unwrap();
  std::fs::create_dir_all(directory.path().join("examples/demo/frontend")).unwrap();
  let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id()));
  let mut outcomes: HashSet<String> = HashSet::new();
  let (mut cases, mut accepted) = (0usize, 0usize);
  let started = Instant::now();
  // The panic hook is left alone: it is global, and silencing it would hide the messages
  // of tests running beside this one. A caught panic is reported below with its input.
  while cases < cases_cap && started.elapsed() < budget {
    let seed = SEEDS[rng.below(SEEDS.len())];
    let input = mutate(&mut rng, seed);
    let env = mutate(&mut rng, ENV_SEED);
    std::fs::write(directory.path().join(".env"), &env).unwrap();
    cases += 1;
    let result = catch_unwind(AssertUnwindSafe(|| {
      dev::check_task_file(directory.path(), &input)
    }));
    let outcome = match result {
      Err(_) => panic!("the parser panicked on:\n{input}\nwith .env:\n{env}"),
      Ok(Ok(())) => {
        accepted += 1;
        "ok".to_owned()
      }
      Ok(Err((code, rendered))) => {
        assert_eq!(
          code, 2,
          "exit {code} for:\n{input}\n{rendered}\n.env:\n{env}"
        );
        let first = rendered.lines().next().unwrap_or_default();
        assert!(
          first.starts_with("error: ") && first.len() > "error: ".len(),
          "no message for:\n{input}"
        );
        // The outcome's shape: the message without the names and numbers in it.
        first
          .chars()
          .filter(|c| c.is_alphabetic() || *c == ' ')
          .take(60)
          .collect()
      }
    };
    outcomes.insert(outcome);
  }
  eprintln!(
    "figure: {cases} mutated task files in {:.1}s, {accepted} accepted, {} distinct outcomes, 0 panics",
    started.elapsed().as_secs_f64(),
    outcomes.len()
  );
  assert!(
    outcomes.len() > 20,
    "the mutations reach too little: {outcomes:?}"
  );
}
