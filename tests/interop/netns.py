"""Sockets inside a lab namespace, opened from the test process itself.

setns(2) switches only the calling thread; a socket keeps the namespace it
was created in, so the thread switches in, creates the socket and switches
straight back. No helper process, no `ip netns exec` per packet.
"""
import contextlib
import ctypes
import os
import socket

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def inside(ns):
    """Run the block with this thread in network namespace `ns` (a name)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(own)
        finally:
            os.close(target)
    finally:
        os.close(own)


def socket_in(node, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0):
    """A socket living in lab node `node`'s namespace."""
    with inside(node.ns):
        return socket.socket(family, type, proto)
