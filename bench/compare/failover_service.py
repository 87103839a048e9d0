#!/usr/bin/python3
"""The local service of a failover bench host (stdlib only).

    failover_service.py ANYCAST UDP_PORT TCP_PORT NAME [ACCEPT_LOG]

One process, so that stopping "the service" stops everything at once:
- a UDP echo server on ANYCAST:UDP_PORT answering each probe of
  tests/lab/fbflab/udp_probe.py with "<seq> <t_send> NAME" (who answered);
- a TCP listener on 127.0.0.1:TCP_PORT that accepts and closes: what the
  health check command of every setup probes. With ACCEPT_LOG, each accepted
  connection appends its wall-clock time (epoch seconds) as one line there:
  the bench times the failure against the checker's schedule with it.
"""
import socket
import sys
import threading
import time


def tcp_listener(port, accept_log=None):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    log = open(accept_log, "a", buffering=1) if accept_log else None
    while True:
        c, _ = s.accept()
        t = time.time()
        c.close()
        if log:
            log.write(f"{t:.6f}\n")


def udp_echo(addr, port, name):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    tag = b" " + name.encode()
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data + tag, peer)


def main(argv):
    if len(argv) not in (5, 6):
        sys.exit(__doc__)
    addr, udp_port, tcp_port, name = argv[1], int(argv[2]), int(argv[3]), argv[4]
    accept_log = argv[5] if len(argv) == 6 else None
    threading.Thread(target=tcp_listener, args=(tcp_port, accept_log), daemon=True).start()
    udp_echo(addr, udp_port, name)


if __name__ == "__main__":
    main(sys.argv)
