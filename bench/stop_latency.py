#!/usr/bin/env python3
"""Stop latency, side by side, A/B interleaved: how long until a cooperative server's port is
bindable again, for `dev stop` versus a bare killpg(SIGTERM) + wait of the same server.
Also reports the 3-level tree with a setsid grandchild, where a plain `kill` of the parent
never frees the port at all."""

import os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

DEV = sys.argv[1]
TRIALS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "server.py")


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return True
    except OSError:
        return False


def bindable(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()


def wait(cond, timeout=20):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        time.sleep(0.0005)


def dev_stop(project, port):
    subprocess.run([DEV, "up", "-d"], cwd=project, check=True, capture_output=True)
    wait(lambda: listening(port))
    t = time.perf_counter()
    subprocess.run([DEV, "stop"], cwd=project, check=True, capture_output=True)
    wait(lambda: bindable(port))
    return time.perf_counter() - t


def bare_killpg(port, via_cli=False):
    env = dict(os.environ, PORT=str(port))
    p = subprocess.Popen([sys.executable, "-u", SERVER, "plain"], env=env, start_new_session=True,
                         stdout=subprocess.DEVNULL)
    wait(lambda: listening(port))
    t = time.perf_counter()
    if via_cli:  # the same signal through a command, paying exec like `dev stop` does
        subprocess.run(["/bin/kill", "-TERM", "--", f"-{p.pid}"], check=True)
    else:
        os.killpg(p.pid, signal.SIGTERM)
    p.wait()
    wait(lambda: bindable(port))
    return time.perf_counter() - t


def main():
    port = free_port()
    project = tempfile.mkdtemp(prefix="dev-bench-")
    with open(os.path.join(project, "devtasks.yaml"), "w") as f:
        f.write(f"services:\n  api:\n    run: exec {sys.executable} -u {SERVER} plain\n    port: {port}\n")
    dev, bare, cli = [], [], []
    for _ in range(TRIALS):  # interleaved A/B/C on one port, so all see the same machine state
        dev.append(dev_stop(project, port))
        bare.append(bare_killpg(port))
        cli.append(bare_killpg(port, via_cli=True))
    md, mb, mc = (statistics.median(x) for x in (dev, bare, cli))
    print(f"stop (cooperative server, port bindable)  dev stop {md*1000:6.1f} ms | in-process killpg {mb*1000:6.1f} ms (ratio {md/mb:.2f}x) | /bin/kill -TERM -- -PGID {mc*1000:6.1f} ms (ratio {md/mc:.2f}x)")

    # The tree with a setsid grandchild holding the port: dev frees it, `kill <parent>` cannot.
    with open(os.path.join(project, "devtasks.yaml"), "w") as f:
        f.write(f"services:\n  api:\n    run: exec {sys.executable} -u {SERVER} tree\n    port: {port}\n    stop: {{ grace: 500ms }}\n")
    tree = [dev_stop(project, port) for _ in range(max(3, TRIALS // 4))]
    print(f"stop (3-level tree, setsid grandchild ignoring SIGTERM)  dev stop {statistics.median(tree)*1000:7.1f} ms (grace 500 ms)   kill <parent>: port never freed")
    shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
