#!/usr/bin/env python3
"""Log throughput at volume: a child writes LINES lines of 100 bytes (~200 MB at 2,000,000).
Side by side: the child alone into a file; dev in the foreground (terminal view piped to a
file, and its log file); concurrently (npm) and honcho (PyPI) when given. Wall time, lines
received, peak RSS (the tool and what it waited for). Then the memory of dev supervising 10
idle services: RSS and PSS (shared pages counted once) of dev and its keepers.

usage: throughput.py DEV LINES [CONCURRENTLY_JS] [HONCHO]"""

import os, re, subprocess, sys, tempfile, time

DEV = os.path.abspath(sys.argv[1])
LINES = int(sys.argv[2])
CONCURRENTLY = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
HONCHO = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
GEN = (
    "import sys\n"
    "w = sys.stdout.write\n"
    "pad = 'x' * 88\n"
    f"for i in range({LINES}): w(f'{{i:010d}}{{pad}}\\n')\n"
)


def lines_in(path):
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def timed(command, cwd, stdout_path, env=None):
    """Wall seconds and peak RSS (KiB, of the command and the children it waited for)."""
    with open(stdout_path, "wb") as out:
        start = time.monotonic()
        result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=cwd, stdout=out,
                                stderr=subprocess.PIPE, env=env)
        took = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"{command} failed:\n{result.stderr.decode()}")
    rss = int(result.stderr.decode().strip().splitlines()[-1])
    return took, rss


def main():
    work = tempfile.mkdtemp()
    with open(os.path.join(work, "gen.py"), "w") as f:
        f.write(GEN)
    rows = []
    took, rss = timed(["python3", "gen.py"], work, os.path.join(work, "alone.out"))
    alone = took
    rows.append(("child alone → file", took, lines_in(os.path.join(work, "alone.out")), rss))

    with open(os.path.join(work, "devtasks.yaml"), "w") as f:
        f.write("services:\n  gen:\n    run: exec python3 gen.py\n    log: { max_size: 1GB }\n")
    env = dict(os.environ, NO_COLOR="1")
    took, rss = timed([DEV, "up", "gen"], work, os.path.join(work, "dev.out"), env)
    shown = lines_in(os.path.join(work, "dev.out"))
    logged = sum(1 for _ in open(os.path.join(work, "logs", "gen.log"), "rb")) - 2  # keeper lines
    skipped = sum(int(n) for n in re.findall(rb"skipped (\d+) lines", open(os.path.join(work, "dev.out"), "rb").read()))
    rows.append((f"dev up (view → file; log file {logged} lines)", took, shown, rss))
    if skipped:
        print(f"  (the view skipped {skipped} lines and said so; the log file has them all)")

    if CONCURRENTLY:
        took, rss = timed(["node", CONCURRENTLY, "python3 gen.py"], work,
                          os.path.join(work, "conc.out"))
        rows.append(("concurrently (prefixed)", took, lines_in(os.path.join(work, "conc.out")), rss))
    if HONCHO:
        with open(os.path.join(work, "Procfile"), "w") as f:
            f.write("gen: python3 gen.py\n")
        took, rss = timed([HONCHO, "start"], work, os.path.join(work, "honcho.out"))
        rows.append(("honcho start", took, lines_in(os.path.join(work, "honcho.out")), rss))

    print(f"{'':44} {'wall':>8} {'lines':>10} {'vs alone':>9} {'peak RSS':>10}")
    for name, took, lines, rss in rows:
        print(f"{name:44} {took:7.2f}s {lines:10d} {alone / took:8.2f}x {rss / 1024:8.1f} MiB")
    print(f"(goal: dev ≥ 0.9x the child alone, {LINES} lines in the log file, memory bounded)")

    # Memory of dev supervising 10 idle services.
    with open(os.path.join(work, "devtasks.yaml"), "w") as f:
        f.write("services:\n" + "".join(f"  s{i}:\n    run: exec sleep 60\n" for i in range(10)))
    dev = subprocess.Popen([DEV, "up"], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    pids = [dev.pid] + [int(p) for p in open(f"/proc/{dev.pid}/task/{dev.pid}/children").read().split()]

    def field(pid, path, name):
        for line in open(f"/proc/{pid}/{path}"):
            if line.startswith(name):
                return int(line.split()[1])
        return 0

    own = field(pids[0], "status", "VmRSS:")
    rss = sum(field(p, "status", "VmRSS:") for p in pids)
    pss = sum(field(p, "smaps_rollup", "Pss:") for p in pids)
    dev.terminate()
    dev.wait(timeout=30)
    print(f"dev + {len(pids) - 1} keepers for 10 idle services: RSS {rss / 1024:.1f} MiB, "
          f"PSS {pss / 1024:.1f} MiB; dev itself RSS {own / 1024:.1f} MiB (goal ≤ 10 MiB)")


if __name__ == "__main__":
    main()
