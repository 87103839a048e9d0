"""A minimal authoritative DNS responder over UDP for health-check tests
(stdlib only): every query for NAME gets one answer of the asked type (A,
AAAA or SOA); any other name gets NXDOMAIN.

    python3 dns_responder.py ADDR PORT NAME
"""
import socket
import struct
import sys

TYPE_A, TYPE_SOA, TYPE_AAAA = 1, 6, 28


def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(msg):
    pos, labels = 12, []
    while msg[pos]:
        n = msg[pos]
        labels.append(msg[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += 1 + n
    qtype, qclass = struct.unpack("!HH", msg[pos + 1:pos + 5])
    return ".".join(labels).lower(), qtype, qclass, msg[12:pos + 5]


def rdata(qtype, name):
    if qtype == TYPE_A:
        return socket.inet_aton("192.0.2.53")
    if qtype == TYPE_AAAA:
        return socket.inet_pton(socket.AF_INET6, "2001:db8::53")
    if qtype == TYPE_SOA:
        return (encode_name("ns." + name) + encode_name("hostmaster." + name)
                + struct.pack("!IIIII", 1, 3600, 600, 86400, 60))
    return None


def answer(msg, zone):
    qid, flags = struct.unpack("!HH", msg[:4])
    name, qtype, qclass, question = parse_question(msg)
    data = rdata(qtype, zone) if name == zone else None
    rcode = 0 if name == zone else 3  # NXDOMAIN
    header = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1,
                         1 if data else 0, 0, 0)
    out = header + question
    if data:
        out += b"\xc0\x0c" + struct.pack("!HHIH", qtype, qclass, 60, len(data)) + data
    return out


def main():
    addr, port, zone = sys.argv[1], int(sys.argv[2]), sys.argv[3].strip(".").lower()
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    while True:
        msg, peer = s.recvfrom(512)
        try:
            s.sendto(answer(msg, zone), peer)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue  # garbage: no answer


if __name__ == "__main__":
    main()
