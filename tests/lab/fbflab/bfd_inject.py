"""Hand-made BFD Control packets sent from inside a lab node: a peer's
packet spoofed (state, discriminators, TTL) to drive a session on purpose."""
import struct
import sys


def bfd_packet(state, my_discr, your_discr, mult=3, tx_us=100_000, rx_us=100_000):
    """An RFC 5880 §4.1 Control packet, no authentication, version 1, diag 0."""
    return struct.pack("!BBBBIIIII", 1 << 5, state << 6, mult, 24, my_discr, your_discr,
                       tx_us, rx_us, 0)


SEND_SCRIPT = r"""
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, int(sys.argv[4]))
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(sys.argv[4]))
s.bind((sys.argv[1], int(sys.argv[3])))    # RFC 5881 §4: source port 49152..65535
payload = bytes.fromhex(sys.argv[5])
for _ in range(int(sys.argv[6])):
    s.sendto(payload, (sys.argv[2], 3784))
"""


def send_from(node, src, dst, ttl, payload, count=1, sport=50001):
    node.run([sys.executable, "-c", SEND_SCRIPT, src, dst, str(sport), str(ttl), payload.hex(),
              str(count)])
