"""Readiness detection delay and `dev health`, against the tools people use instead.

  delay:  time from the server's listen() (it prints the time) until the waiter returns:
          `dev up -d` (returns once ready) vs npm wait-on (`wait-on tcp:127.0.0.1:P`, its
          default 250 ms interval), trials interleaved; medians and p90.
  health: `dev health` over 10 running services vs a shell loop of `curl -sf`, hyperfine.

Usage: readiness.py DEV TRIALS [WAIT_ON_JS]
"""
import os, shutil, socket, statistics, subprocess, sys, tempfile, time

DEV, TRIALS = sys.argv[1], int(sys.argv[2])
WAIT_ON = sys.argv[3] if len(sys.argv) > 3 else None
SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "server.py")
NULL = open(os.devnull, "w")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listened_at(text):
    for line in text.splitlines():
        if line.startswith("listening"):
            return float(line.rsplit(" ", 1)[1])
    raise SystemExit(f"no listening line in {text!r}")


def dev_trial(project):
    port = free_port()
    with open(os.path.join(project, "devtasks.yaml"), "w") as f:
        f.write(f"services:\n  api:\n    run: DELAY=0.3 exec python3 -u server.py\n    port: {port}\n")
    log = os.path.join(project, "logs", "api.log")
    if os.path.exists(log):
        os.remove(log)
    subprocess.run([DEV, "up", "-d"], cwd=project, stdout=NULL, stderr=NULL, check=True)
    returned = time.time()
    delay = returned - listened_at(open(log).read())
    subprocess.run([DEV, "stop"], cwd=project, stdout=NULL, stderr=NULL)
    return delay


def wait_on_trial():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-u", SERVER], env={**os.environ, "PORT": str(port), "DELAY": "0.3"},
                              stdout=subprocess.PIPE, text=True, process_group=0)
    subprocess.run(["node", WAIT_ON, f"tcp:127.0.0.1:{port}"], stdout=NULL, stderr=NULL, check=True)
    returned = time.time()
    out = ""
    while "listening" not in out:
        out += server.stdout.readline()
    server.kill()
    server.wait()
    return returned - listened_at(out)


def summary(name, samples):
    samples = sorted(samples)
    p90 = samples[int(len(samples) * 0.9) - 1]
    return f"  {name:<8} median {statistics.median(samples) * 1000:7.2f} ms   p90 {p90 * 1000:7.2f} ms"


project = tempfile.mkdtemp(prefix="dev-bench-ready-")
shutil.copy(SERVER, os.path.join(project, "server.py"))
try:
    results = {"dev": [], "wait-on": []}
    for _ in range(TRIALS):
        results["dev"].append(dev_trial(project))
        if WAIT_ON:
            results["wait-on"].append(wait_on_trial())
    print("-- readiness detection delay: listen() → the waiter returns (server listens after 0.3 s)")
    print(summary("dev", results["dev"]))
    if WAIT_ON:
        print(summary("wait-on", results["wait-on"]))
        ratio = statistics.median(results["dev"]) / statistics.median(results["wait-on"])
        print(f"  dev/wait-on = {ratio:.3f}x")

    ports = [free_port() for _ in range(10)]
    with open(os.path.join(project, "devtasks.yaml"), "w") as f:
        f.write("services:\n")
        for i, port in enumerate(ports):
            f.write(f"  s{i}:\n    run: exec python3 -u server.py http\n    port: {port}\n"
                    f"    health: {{ http: 'http://127.0.0.1:$PORT/' }}\n")
    subprocess.run([DEV, "up", "-d"], cwd=project, stdout=NULL, stderr=NULL, check=True)
    loop = "for p in " + " ".join(map(str, ports)) + "; do curl -sf http://127.0.0.1:$p/ >/dev/null || exit 1; done"
    out = os.path.join(project, "health.json")
    subprocess.run(["hyperfine", "-N", "-w", "5", "-r", str(max(20, TRIALS)), "--export-json", out,
                    "-n", "dev health", f"{DEV} -f {project}/devtasks.yaml health",
                    "-n", "curl loop", f"bash -c '{loop}'"], stdout=NULL, stderr=NULL, check=True)
    import json
    r = {x["command"]: x["median"] for x in json.load(open(out))["results"]}
    print("-- health of 10 running services")
    print(f"  dev health {r['dev health'] * 1000:.2f} ms   curl loop {r['curl loop'] * 1000:.2f} ms   "
          f"ratio {r['dev health'] / r['curl loop']:.2f}x")
    subprocess.run([DEV, "stop"], cwd=project, stdout=NULL, stderr=NULL)
finally:
    shutil.rmtree(project, ignore_errors=True)
