"""Port look-up and port freeing, dev against the tools people use instead.

  who:  `dev port who P` vs `lsof -iTCP:P -sTCP:LISTEN`, `ss -ltnp sport = :P`, `fuser P/tcp`,
        idle and under load (~200 extra processes + 2000 loopback sockets).
  free: `dev port free P --yes` vs a bare in-process killpg + wait, and npm's kill-port,
        each timed from the start of the command until a server could bind P again.

Trials are interleaved (A B C D, A B C D, ...) so that machine noise hits every tool alike.
Usage: ports.py DEV TRIALS [KILL_PORT_JS]
"""
import os, resource, signal, socket, statistics, subprocess, sys, time

DEV, TRIALS = sys.argv[1], int(sys.argv[2])
KILL_PORT = sys.argv[3] if len(sys.argv) > 3 else None
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "tests", "fixtures", "server.py")
NULL = open(os.devnull, "w")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bindable(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def start_server(port):
    child = subprocess.Popen([sys.executable, "-u", SERVER], env={**os.environ, "PORT": str(port)},
                             stdout=subprocess.PIPE, process_group=0)
    while not child.stdout.readline().startswith(b"listening"):
        pass
    return child


def run(argv):
    start = time.perf_counter()
    subprocess.run(argv, stdout=NULL, stderr=NULL)
    return time.perf_counter() - start


def compare(title, commands, trials):
    times = {name: [] for name in commands}
    for name, argv in commands.items():  # warm the page cache
        run(argv)
    for _ in range(trials):
        for name, argv in commands.items():
            times[name].append(run(argv))
    base = statistics.median(times["dev"])
    print(title)
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<8} median {median * 1000:7.2f} ms   dev/{name} = {base / median:.2f}x")


def who(port, label, trials):
    compare(f"-- who, {label} ({len(os.listdir('/proc'))} /proc entries)", {
        "dev": [DEV, "port", "who", str(port)],
        "lsof": ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"],
        "ss": ["ss", "-ltnp", f"sport = :{port}"],
        "fuser": ["fuser", f"{port}/tcp"],
    }, trials)


def load():
    """~200 sleeping processes and 1000 loopback connections (2000 sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    sleepers = [subprocess.Popen(["sleep", "600"], process_group=0) for _ in range(200)]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    sockets = []
    for _ in range(1000):
        client = socket.create_connection(listener.getsockname())
        sockets += [client, listener.accept()[0]]
    return sleepers, sockets + [listener]


def free_trials(trials):
    def timed(stop):
        port = free_port()
        server = start_server(port)
        start = time.perf_counter()
        stop(port, server)
        while not bindable(port):
            time.sleep(0.0002)
        elapsed = time.perf_counter() - start
        server.wait()
        return elapsed

    def bare(port, server):
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()

    tools = {
        "dev": lambda port, server: subprocess.run([DEV, "port", "free", str(port), "--yes"],
                                                   stdout=NULL, stderr=NULL),
        "killpg": bare,
    }
    if KILL_PORT:
        tools["kill-port"] = lambda port, server: subprocess.run(
            ["node", KILL_PORT, str(port)], stdout=NULL, stderr=NULL)
    times = {name: [] for name in tools}
    for _ in range(trials):
        for name, stop in tools.items():
            times[name].append(timed(stop))
    base = statistics.median(times["dev"])
    print("-- free a cooperative server until its port is bindable")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<9} median {median * 1000:7.2f} ms   dev/{name} = {base / median:.2f}x")


port = free_port()
server = start_server(port)
try:
    who(port, "idle", TRIALS)
    sleepers, sockets = load()
    try:
        who(port, "loaded", TRIALS)
    finally:
        for s in sockets:
            s.close()
        for p in sleepers:
            p.kill()
            p.wait()
finally:
    server.kill()
    server.wait()
free_trials(max(10, TRIALS // 2))
