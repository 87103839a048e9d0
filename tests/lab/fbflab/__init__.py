"""fbflab: throw-away network-namespace labs with real routing daemons (stdlib only).

    from fbflab import Lab, Neighbor, Route, Bird, Frr, wait_until

    with Lab() as lab:
        r, h = lab.add_node("r", router=True), lab.add_node("h")
        link = lab.add_link(r, h)
        bird = Bird(r, asn=65000, router_id=link.ip_a(),
                    neighbors=[Neighbor(link.ip_b(), 65001)]).start()
        ...

See tests/lab/README.md.
"""
from .fbfd import Fbfd, FbfctlError, missing_binaries
from .peers import (BFD_AUTH_TYPES, Bfd, BfdPeer, Bird, ExaBgp, Frr, GoBgp, Neighbor, Peer,
                    Route)
from .process import Process, leftover_processes
from .topology import RUN_PREFIX, Lab, Link, Node, close_all, leftover_namespaces, leftovers
from .util import LabError, WaitTimeout, wait_until

__all__ = ["Lab", "Node", "Link", "Process", "Peer", "Bird", "Frr", "GoBgp", "ExaBgp",
           "Fbfd", "FbfctlError", "Neighbor", "Route", "Bfd", "BfdPeer", "BFD_AUTH_TYPES",
           "wait_until", "LabError",
           "WaitTimeout", "RUN_PREFIX", "leftovers", "leftover_namespaces",
           "leftover_processes", "close_all", "missing_binaries"]
