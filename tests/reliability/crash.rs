//! A service that crashes mid-run with `restart: on-failure`: restarted with a growing
//! back-off, never two instances at once, given up on after `max_restarts`.

use std::time::{Duration, Instant};

use crate::harness::*;

#[test]
fn a_crashing_service_is_restarted_with_backoff_and_never_runs_twice() {
  let port = free_port();
  let test = Test::with_config(&format!(
    "services:
  api:
    run: exec python3 -u crash.py
    port: {port}
    restart: on-failure
    max_restarts: 3
    restart_delay: 100ms
"
  ));
  test.write(
    "crash.py",
    "import os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen(8)
print(f'up at {time.time():.6f}', flush=True)
time.sleep(0.3)
raise SystemExit(3)
",
  );
  test.run(&["up", "-d"]).success();
  // Sample the service's processes until the keeper gives up.
  let started = Instant::now();
  let mut most = 0;
  let mut samples = 0;
  // What ran when two instances were seen, for the failure message.
  let mut seen_twice = String::new();
  while !test.log("api").contains("gave up after 3 restarts") {
    assert!(
      started.elapsed() < Duration::from_secs(30),
      "{}",
      test.log("api")
    );
    // One instance = one DEV_INSTANCE token (a start's processes all inherit it; the python
    // launcher may run helpers of its own meanwhile).
    let members: Vec<(procs::Seen, String)> = test
      .processes()
      .into_iter()
      .filter_map(|pid| Some((procs::Seen::now(pid)?, procs::env_var(pid, "DEV_INSTANCE")?)))
      .collect();
    // Alive together: each still alive once all were read. A scan is no snapshot: one
    // preempted for longer than the back-off (CI once was) sees the old run early in it and
    // the new one late.
    let mut instances: Vec<String> = members
      .into_iter()
      .filter(|(seen, _)| seen.is_alive())
      .map(|(_, token)| token)
      .collect();
    instances.sort();
    instances.dedup();
    if instances.len() > 1 && seen_twice.is_empty() {
      seen_twice = describe(&test.processes());
    }
    most = most.max(instances.len());
    samples += 1;
    std::thread::sleep(Duration::from_millis(2));
  }
  assert_eq!(most, 1, "two instances at once:\n{seen_twice}");
  let log = test.log("api");
  let ups: Vec<f64> = log
    .lines()
    .filter_map(|line| line.strip_prefix("up at ")?.parse().ok())
    .collect();
  assert_eq!(ups.len(), 4, "{log}");
  // 0.3 s of run, then 100, 200, 400 ms of back-off before each restart.
  for (i, pair) in ups.windows(2).enumerate() {
    let gap = pair[1] - pair[0];
    let backoff = 0.1 * f64::from(1u32 << i);
    assert!(gap >= 0.3 + backoff, "restart {} after {gap:.3}s", i + 1);
  }
  eprintln!(
    "figure: 4 runs, gaps {:?} s, at most {most} instance in {samples} samples",
    ups
      .windows(2)
      .map(|p| (p[1] - p[0] * 1.0) as f32)
      .collect::<Vec<_>>()
  );
  wait_until("recorded as exited", Duration::from_secs(5), || {
    test.status_json()[0]["state"] == "exited"
  });
  assert_eq!(test.status_json()[0]["restarts"], 3);
  assert!(is_bindable(port));
}

/// Each process with its state, parent and `DEV_INSTANCE`.
fn describe(pids: &[u32]) -> String {
  pids
    .iter()
    .map(|pid| {
      let instance = procs::env_var(*pid, "DEV_INSTANCE");
      format!("{} {instance:?}\n", procs::describe(*pid))
    })
    .collect()
}

/// A `dev status` that read the state just before the keeper wrote how the service ended,
/// and looked at the keeper just after it exited (forced: a 1.5 s pause between the two),
/// took the keeper's last word for a killed keeper and deleted it: the service showed
/// "stopped" instead of "exited with code 7" (1 in 80 runs of the crash test, before the fix).
#[test]
fn a_status_racing_the_keepers_last_word_never_erases_how_the_service_ended() {
  let test = Test::with_config("services:\n  crashy:\n    run: 'sleep 0.5; exit 7'\n");
  test.run(&["up", "-d"]).success();
  test
    .args(&["status"])
    .env("DEV_TEST_CHECK_DELAY_MS", "1500")
    .status(0)
    .run();
  let status = test.status_json();
  assert_eq!(status[0]["state"], "exited", "{status}");
  assert_eq!(status[0]["exit_code"], 7, "{status}");
}
