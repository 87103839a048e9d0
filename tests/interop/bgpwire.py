"""BGP-4 on the wire, by hand: message builders (well-formed or not) and a
raw-socket speaker that plays a configured neighbor of fbfd.

Everything is built byte by byte so that any field can be made wrong; the
helpers take explicit overrides (length, marker, type, parameter lengths...)
rather than guessing what the caller meant.
"""
import ipaddress
import select
import socket
import struct
import time
from dataclasses import dataclass

from .netns import socket_in

MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
TYPE_NAMES = {1: "OPEN", 2: "UPDATE", 3: "NOTIFICATION", 4: "KEEPALIVE", 5: "ROUTE-REFRESH"}
AS_TRANS = 23456

# Path attribute type codes and their RFC flags (Optional 0x80, Transitive 0x40).
ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR = 1, 2, 3, 4, 5, 6, 7
COMMUNITIES, ORIGINATOR_ID, CLUSTER_LIST, MP_REACH, MP_UNREACH = 8, 9, 10, 14, 15
EXT_COMMUNITIES, AS4_PATH, AS4_AGGREGATOR, IPV6_EXT_COMMUNITIES = 16, 17, 18, 25
LARGE_COMMUNITY, OTC, ATTR_SET = 32, 35, 128
WELL_KNOWN, OPTIONAL, OPTIONAL_TRANSITIVE, EXTENDED = 0x40, 0x80, 0xC0, 0x10
FLAGS = {ORIGIN: WELL_KNOWN, AS_PATH: WELL_KNOWN, NEXT_HOP: WELL_KNOWN, MED: OPTIONAL,
         LOCAL_PREF: WELL_KNOWN, ATOMIC_AGGREGATE: WELL_KNOWN, AGGREGATOR: OPTIONAL_TRANSITIVE,
         COMMUNITIES: OPTIONAL_TRANSITIVE, ORIGINATOR_ID: OPTIONAL, CLUSTER_LIST: OPTIONAL,
         MP_REACH: OPTIONAL, MP_UNREACH: OPTIONAL, EXT_COMMUNITIES: OPTIONAL_TRANSITIVE,
         AS4_PATH: OPTIONAL_TRANSITIVE, AS4_AGGREGATOR: OPTIONAL_TRANSITIVE,
         IPV6_EXT_COMMUNITIES: OPTIONAL_TRANSITIVE, LARGE_COMMUNITY: OPTIONAL_TRANSITIVE,
         OTC: OPTIONAL_TRANSITIVE, ATTR_SET: OPTIONAL_TRANSITIVE}
AS_SET, AS_SEQUENCE = 1, 2
AFI_IPV4, AFI_IPV6, SAFI_UNICAST = 1, 2, 1


# --- framing ---------------------------------------------------------------------------
def message(mtype, body=b"", length=None, marker=MARKER):
    """Header + body; `length` overrides the Length field (default: the truth)."""
    return marker + struct.pack("!HB", 19 + len(body) if length is None else length, mtype) + body


def keepalive():
    return message(KEEPALIVE)


def be16(n):
    return struct.pack("!H", n)


# --- OPEN --------------------------------------------------------------------------------
def capability(code, value=b""):
    return bytes([code, len(value)]) + value


def cap_mp(afi, safi=SAFI_UNICAST):
    return capability(1, struct.pack("!HBB", afi, 0, safi))


def cap_as4(asn):
    return capability(65, struct.pack("!I", asn))


CAP_ROUTE_REFRESH = capability(2)
CAP_ENHANCED_ROUTE_REFRESH = capability(70)


def default_caps(asn):
    return [cap_mp(AFI_IPV4), cap_mp(AFI_IPV6), CAP_ROUTE_REFRESH, CAP_ENHANCED_ROUTE_REFRESH,
            cap_as4(asn)]


def cap_param(caps):
    blob = b"".join(caps)
    return bytes([2, len(blob)]) + blob


def open_msg(asn, router_id, hold=90, version=4, caps=None, params=None, my_as=None,
             opt_len=None):
    """An OPEN. params: the raw Optional Parameters (default: one Capabilities
    parameter holding `caps`); opt_len overrides Opt Parm Len."""
    if params is None:
        params = cap_param(default_caps(asn) if caps is None else caps)
    if my_as is None:
        my_as = asn if asn < 65536 else AS_TRANS
    body = struct.pack("!BHHIB", version, my_as, hold, int(ipaddress.IPv4Address(router_id)),
                       len(params) if opt_len is None else opt_len) + params
    return message(OPEN, body)


# --- UPDATE ------------------------------------------------------------------------------
def attr(type_, value, flags=None, length=None):
    """A path attribute; Extended Length when the flags ask or the value needs it.
    `length` overrides the Attribute Length field."""
    flags = FLAGS.get(type_, OPTIONAL_TRANSITIVE) if flags is None else flags
    n = len(value) if length is None else length
    if n > 255:
        flags |= EXTENDED
    if flags & EXTENDED:
        return struct.pack("!BBH", flags, type_, n) + value
    return struct.pack("!BBB", flags, type_, n) + value


def as_path_value(*segments, asn_size=4):
    """segments: (type, [asn, ...]) pairs."""
    out = b""
    for seg_type, asns in segments:
        out += bytes([seg_type, len(asns)])
        out += b"".join(struct.pack("!I" if asn_size == 4 else "!H", a) for a in asns)
    return out


def ip_bytes(addr):
    return ipaddress.ip_address(addr).packed


def prefix(p):
    net = ipaddress.ip_network(p)
    return bytes([net.prefixlen]) + net.network_address.packed[:(net.prefixlen + 7) // 8]


def update(withdrawn=b"", attrs=b"", nlri=b"", withdrawn_len=None, attrs_len=None, length=None):
    body = (be16(len(withdrawn) if withdrawn_len is None else withdrawn_len) + withdrawn
            + be16(len(attrs) if attrs_len is None else attrs_len) + attrs + nlri)
    return message(UPDATE, body, length=length)


def mp_reach_value(afi, safi, next_hop, nlri, nh_len=None):
    return (struct.pack("!HBB", afi, safi, len(next_hop) if nh_len is None else nh_len)
            + next_hop + b"\x00" + nlri)


def mp_unreach_value(afi, safi, nlri):
    return struct.pack("!HB", afi, safi) + nlri


def route_refresh(afi=AFI_IPV4, safi=SAFI_UNICAST, subtype=0, extra=b""):
    return message(ROUTE_REFRESH, struct.pack("!HBB", afi, subtype, safi) + extra)


def notification(code, subcode, data=b""):
    return message(NOTIFICATION, bytes([code, subcode]) + data)


# --- reading -------------------------------------------------------------------------------
@dataclass
class Notification:
    code: int
    subcode: int
    data: bytes

    def __str__(self):
        return f"NOTIFICATION {self.code}/{self.subcode} data={self.data.hex() or '-'}"


class Closed(Exception):
    """The peer closed the connection."""


class Speaker:
    """One TCP connection to fbfd's port 179 from a lab node, speaking BGP by
    hand. recv_message() returns (type, body); every message fbfd sent is
    also kept in `received` for the failure messages."""

    def __init__(self, node, src, dst, asn, router_id=None, timeout=5.0):
        self.node, self.src, self.dst, self.asn = node, src, dst, asn
        self.router_id = router_id or src
        self.timeout = timeout
        self.sock = socket_in(node, socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((src, 0))
        self.sock.settimeout(timeout)
        self.sock.connect((dst, 179))
        self.buf = b""
        self.eof = False
        self.received = []

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def send_in_pieces(self, data, size):
        """Send `size` octets per segment (TCP_NODELAY, paced by a few ms so
        the segments arrive, and are read, apart): fbfd's reassembly of a
        message straddling reads."""
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), size):
            try:
                self.sock.sendall(data[i:i + size])
            except (BrokenPipeError, ConnectionResetError):
                return      # fbfd judged (and closed) before the end: read its answer
            time.sleep(0.003)   # pacing the sender, not waiting for a condition

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            if self.eof:
                raise Closed(f"connection closed; received {self.summary()}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no complete message within {self.timeout}s; "
                                   f"received {self.summary()}")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk

    def recv_message(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        self._fill(19, deadline)
        length, mtype = struct.unpack("!HB", self.buf[16:19])
        assert self.buf[:16] == MARKER and length >= 19, \
            f"fbfd sent a bad header: {self.buf[:19].hex()}"
        self._fill(length, deadline)
        body, self.buf = self.buf[19:length], self.buf[length:]
        self.received.append((mtype, body))
        return mtype, body

    def summary(self):
        return [TYPE_NAMES.get(t, t) if t != NOTIFICATION else str(parse_notification(b))
                for t, b in self.received]

    def expect(self, mtype, timeout=None):
        t, body = self.recv_message(timeout)
        assert t == mtype, \
            f"expected {TYPE_NAMES[mtype]}, got {TYPE_NAMES.get(t, t)} ({self.summary()})"
        return body

    def expect_notification(self, timeout=None):
        """Skip KEEPALIVEs and UPDATEs up to the NOTIFICATION; then the
        connection must close. Returns the Notification."""
        while True:
            t, body = self.recv_message(timeout)
            if t == NOTIFICATION:
                break
            assert t in (KEEPALIVE, UPDATE), \
                f"unexpected {TYPE_NAMES.get(t, t)} before the NOTIFICATION"
        n = parse_notification(body)
        self.expect_closed(timeout)
        return n

    def expect_closed(self, timeout=None):
        """Nothing but EOF may follow (no second message)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            self._fill(len(self.buf) + 1, deadline)
        except Closed:
            assert not self.buf, f"trailing bytes after the last message: {self.buf.hex()}"
            return
        raise AssertionError(f"fbfd sent more after the last message: {self.buf[:40].hex()}")

    def expect_silent_close(self, timeout=None):
        """The connection closes with no NOTIFICATION (KEEPALIVEs and UPDATEs
        sent before may still be in the buffer)."""
        while True:
            try:
                t, body = self.recv_message(timeout)
            except Closed:
                assert not self.buf, f"a partial message before the close: {self.buf.hex()}"
                return
            assert t in (KEEPALIVE, UPDATE), \
                f"fbfd answered with {parse_notification(body) if t == NOTIFICATION else t}"

    def drain(self):
        """Read whatever fbfd sent so far without waiting; returns the types.
        Raises Closed on EOF, AssertionError on a NOTIFICATION."""
        types = []
        while True:
            r, _, _ = select.select([self.sock], [], [], 0)
            if not r and len(self.buf) < 19:
                return types
            if not r:
                length = struct.unpack("!H", self.buf[16:18])[0]
                if len(self.buf) < length:
                    return types
            t, body = self.recv_message(timeout=1)
            assert t != NOTIFICATION, f"fbfd sent {parse_notification(body)}"
            types.append(t)

    # --- the handshake --------------------------------------------------------------
    def open_sent(self):
        """Wait for fbfd's OPEN: fbfd is in OpenSent. Returns its body."""
        return self.expect(OPEN)

    def establish(self, hold=90, caps=None):
        """OPEN/KEEPALIVE both ways: the session is Established on both sides."""
        self.open_sent()
        self.send(open_msg(self.asn, self.router_id, hold=hold, caps=caps))
        self.expect(KEEPALIVE)          # fbfd: OpenConfirm
        self.send(keepalive())          # fbfd: Established


def parse_notification(body):
    return Notification(body[0], body[1], bytes(body[2:]))
