"""Record every BFD Control packet a namespace *receives* (stdlib only), for
tests/lab/test_soak.py: did a BFD session that went down under the soak's
random loss really go without packets for its detection time?

    python3 soak_sniff.py OUT_FILE

Runs inside a lab namespace: an AF_PACKET socket on every interface, kernel
receive timestamps (SO_TIMESTAMPNS, CLOCK_REALTIME), one line per incoming
IPv4 UDP datagram to port 3784: "<epoch seconds> <ifname> <source address>".
The loss is applied in the *sender's* nftables output chain, so what is
seen here is exactly what the receiving daemon gets.
"""
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
BFD_PORT = 3784


def main(out_file):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    with open(out_file, "a", buffering=1) as out:
        while True:
            data, anc, _flags, addr = s.recvmsg(2048, 64)
            ifname, _proto, pkttype = addr[0], addr[1], addr[2]
            if pkttype == PACKET_OUTGOING or len(data) < 14 + 20 + 8:
                continue
            if data[12:14] != b"\x08\x00":              # IPv4 only (the lab's BFD is IPv4)
                continue
            ip = data[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[9] != 17 or len(ip) < ihl + 8:
                continue
            dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
            if dport != BFD_PORT:
                continue
            ts = None
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    ts = sec + nsec / 1e9
            if ts is None:
                continue
            out.write(f"{ts:.6f} {ifname} {socket.inet_ntoa(ip[12:16])}\n")


if __name__ == "__main__":
    main(sys.argv[1])
