"""Routing daemons as lab peers: one class per implementation, same interface."""
import os
import shutil

from .base import BFD_AUTH_TYPES, Bfd, BfdPeer, Neighbor, Peer, Route
from .bird import Bird
from .exabgp import ExaBgp
from .frr import Frr
from .gobgp import GoBgp

# The executables each peer class needs, for skip/fail messages.
REQUIRED = {
    Bird: ["bird", "birdc"],
    Frr: ["/usr/lib/frr/zebra", "/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "vtysh"],
    GoBgp: ["gobgpd", "gobgp"],
    ExaBgp: ["exabgp"],
}


def missing(peer_cls):
    """Executables of peer_cls that are not installed."""
    out = []
    for exe in REQUIRED[peer_cls]:
        found = os.access(exe, os.X_OK) if exe.startswith("/") else (
            shutil.which(exe) or shutil.which(exe, path="/usr/sbin:/usr/bin:/sbin:/bin"))
        if not found:
            out.append(exe)
    return out


__all__ = ["Bfd", "BfdPeer", "BFD_AUTH_TYPES", "Neighbor", "Peer", "Route", "Bird", "Frr",
           "GoBgp", "ExaBgp", "REQUIRED",
           "missing"]
