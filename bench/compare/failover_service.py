#!/usr/bin/python3
"""The local service of a failover bench host (stdlib only).

    failover_service.py ANYCAST UDP_PORT TCP_PORT NAME

One process, so that stopping "the service" stops everything at once:
- a UDP echo server on ANYCAST:UDP_PORT answering each probe of
  tests/lab/fbflab/udp_probe.py with "<seq> <t_send> NAME" (who answered);
- a TCP listener on 127.0.0.1:TCP_PORT that accepts and closes: what the
  health check command of every setup probes.
"""
import socket
import sys
import threading


def tcp_listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        c.close()


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
    if len(argv) != 5:
        sys.exit(__doc__)
    addr, udp_port, tcp_port, name = argv[1], int(argv[2]), int(argv[3]), argv[4]
    threading.Thread(target=tcp_listener, args=(tcp_port,), daemon=True).start()
    udp_echo(addr, udp_port, name)


if __name__ == "__main__":
    main(sys.argv)
