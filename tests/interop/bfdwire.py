"""BFD Control packets (RFC 5880 §4) built by hand, valid or not, and the
Keyed SHA1 / MD5 signing of §6.7.3/§6.7.4 to play an authenticated peer."""
import hashlib
import struct

STATE = {"AdminDown": 0, "Down": 1, "Init": 2, "Up": 3}
AUTH_SIMPLE, AUTH_MD5, AUTH_MET_MD5, AUTH_SHA1, AUTH_MET_SHA1 = 1, 2, 3, 4, 5
A_BIT, M_BIT = 0x04, 0x01


def control(state="Down", my=1, your=0, mult=3, tx_us=1_000_000, rx_us=1_000_000,
            version=1, diag=0, flags=0, length=None, auth=b""):
    """Mandatory Section (+ an Authentication Section, A bit set when given).
    `length` overrides the Length field, `flags` are OR-ed into byte 1."""
    flags |= STATE[state] << 6
    if auth:
        flags |= A_BIT
    n = 24 + len(auth) if length is None else length
    return struct.pack("!BBBBIIIII", (version << 5) | diag, flags, mult, n, my, your,
                       tx_us, rx_us, 0) + auth


def signed(key, key_id, seq, auth_type=AUTH_MET_SHA1, **fields):
    """A correctly signed packet: §6.7.3/§6.7.4, the key (zero padded) in the
    digest field while hashing, then the digest in its place."""
    sha = auth_type in (AUTH_SHA1, AUTH_MET_SHA1)
    size = 20 if sha else 16
    head = struct.pack("!BBBBI", auth_type, 8 + size, key_id, 0, seq)
    pkt = control(auth=head + key.ljust(size, b"\0"), **fields)
    digest = (hashlib.sha1 if sha else hashlib.md5)(pkt).digest()
    return pkt[:-size] + digest
