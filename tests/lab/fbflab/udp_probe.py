"""A numbered-probe UDP client and an echo server that says who answered, for
measuring traffic loss and movement across an anycast address.

    python3 udp_probe.py serve ADDR PORT NAME
    python3 udp_probe.py probe ADDR PORT INTERVAL_MS OUT_FILE

The client sends "<seq> <t_send>" every INTERVAL_MS (on a fixed grid, so a
slow loop turn does not thin the probes) until SIGTERM, then waits 300 ms for
stragglers and writes OUT_FILE as JSON: {"sent": N, "replies": [[seq, name,
t_send, t_recv], ...]} with times from time.monotonic(). The server answers
each probe with "<seq> <t_send> <NAME>".
"""
import json
import select
import signal
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(addr, port, name):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    tag = name.encode()
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data + b" " + tag, peer)


def probe(addr, port, interval_ms, out_file):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setblocking(False)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(time.monotonic()))
    interval = interval_ms / 1000.0
    start = time.monotonic()
    seq, replies = 0, []

    def drain_replies():
        while True:
            try:
                data = s.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            now = time.monotonic()
            f = data.decode(errors="replace").split()
            if len(f) == 3:
                replies.append([int(f[0]), f[2], float(f[1]), now])

    while not stop:
        now = time.monotonic()
        due = start + seq * interval
        if now >= due:
            try:
                s.sendto(f"{seq} {now:.6f}".encode(), (addr, port))
            except OSError:
                pass           # no route for a moment: counted as lost
            seq += 1
            continue
        r, _, _ = select.select([s], [], [], due - now)
        if r:
            drain_replies()
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
        if r:
            drain_replies()
    with open(out_file, "w") as f:
        json.dump({"sent": seq, "interval_ms": interval_ms, "replies": replies}, f)


def main(argv):
    if len(argv) == 5 and argv[1] == "serve":
        serve(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 6 and argv[1] == "probe":
        probe(argv[2], int(argv[3]), float(argv[4]), argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
