"""The test servers' python listener (same as tests/harness.rs SERVER_PY)."""
import os, signal, socket, sys, time
mode = sys.argv[1] if len(sys.argv) > 1 else "plain"
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "tree":
    # parent -> child -> grandchild that calls setsid() and holds the port
    if os.fork() != 0:
        while True: time.sleep(1)
    if os.fork() != 0:
        while True: time.sleep(1)
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
port = int(os.environ["PORT"])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(16)
print(f"listening {port} pid {os.getpid()}", flush=True)
while True:
    c, _ = s.accept(); c.close()
