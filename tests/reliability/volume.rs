//! A service printing 1 GB (10 million lines of 100 bytes) while the terminal reads slowly:
//! every line reaches the log file, the service is never held up, and the memory of `dev`
//! and of the keeper stays bounded. `DEV_VOLUME_LINES` changes the volume.

use std::{
  io::Read,
  process::Stdio,
  sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
  },
  thread,
  time::{Duration, Instant},
};

use crate::harness::*;

#[test]
fn a_gigabyte_with_a_slow_reader_loses_no_line_and_memory_stays_bounded() {
  let lines: u64 = std::env::var("DEV_VOLUME_LINES")
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or(10_000_000);
  let test = Test::with_config(&format!(
    "services:
  flood:
    run: yes {} | head -n {lines}; echo flood-done; sleep 30
    log: {{ max_size: 4GB }}
",
    "x".repeat(99)
  ));
  let mut dev = test
    .command(&["up"])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
  // The terminal: reads 16 KiB every 2 ms, about 8 MB/s, far slower than the service.
  let mut stdout = dev.stdout.take().unwrap();
  let stop_reading = Arc::new(AtomicBool::new(false));
  let stop = stop_reading.clone();
  let reader = thread::spawn(move || {
    let mut buffer = [0u8; 16384];
    let mut total = 0u64;
    while !stop.load(Ordering::Relaxed) {
      match stdout.read(&mut buffer) {
        Ok(0) | Err(_) => break,
        Ok(n) => total += n as u64,
      }
      thread::sleep(Duration::from_millis(2));
    }
    total
  });
  let started = Instant::now();
  // A bound on the wait, not a speed goal (bench/throughput.py measures speed).
  let deadline = started + Duration::from_secs(180);
  let (mut dev_peak, mut keeper_peak) = (0, 0);
  let log_path = test.path().join("logs/flood.log");
  let expected = lines * 100;
  loop {
    assert!(Instant::now() < deadline, "did not finish within the bound");
    dev_peak = dev_peak.max(procs::rss_kib(dev.id()));
    for pid in test.processes() {
      if procs::command_line(pid).contains("__keep") {
        keeper_peak = keeper_peak.max(procs::rss_kib(pid));
      }
    }
    let size = std::fs::metadata(&log_path).map_or(0, |m| m.len());
    if size >= expected && test.log_tail_contains("flood", "flood-done") {
      break;
    }
    thread::sleep(Duration::from_millis(50));
  }
  let took = started.elapsed();
  // Count every line of the file.
  let mut file = std::fs::File::open(&log_path).unwrap();
  let mut buffer = vec![0u8; 1 << 20];
  let (mut full, mut other) = (0u64, 0u64);
  let mut line_length = 0u64;
  loop {
    let n = file.read(&mut buffer).unwrap();
    if n == 0 {
      break;
    }
    for byte in &buffer[..n] {
      line_length += 1;
      if *byte == b'\n' {
        if line_length == 100 {
          full += 1;
        } else {
          other += 1;
        }
        line_length = 0;
      }
    }
  }
  stop_reading.store(true, Ordering::Relaxed);
  signal(dev.id(), libc::SIGINT);
  wait_child(&mut dev, Duration::from_secs(20));
  let shown = reader.join().unwrap();
  eprintln!(
    "figure: {lines} lines ({} MB) in {:.1}s, {full} whole lines in the file, the slow reader got {} MB, peak RSS dev {} KiB, keeper {} KiB",
    expected / 1_000_000,
    took.as_secs_f64(),
    shown / 1_000_000,
    dev_peak,
    keeper_peak
  );
  assert_eq!(full, lines, "{other} other lines");
  assert!(dev_peak < 32 * 1024, "dev used {dev_peak} KiB");
  // Bounded, not growing with the gigabyte: 28.6 MiB in a debug build before this round's
  // keeper changes, 31.2–32.0 MiB after (not chased yet: see RELIABILITY.md); the view's
  // queue alone may hold 16 MiB.
  assert!(keeper_peak < 40 * 1024, "the keeper used {keeper_peak} KiB");
  test.wait_for_no_processes(Duration::from_secs(10));
}
