"""A long control request must not hold BFD's packets back.

`fbfctl show bfd` and a metrics scrape over 1000 sessions each keep fbfd's
loop busy for tens of milliseconds. Before, every periodic packet due in
that time left late, then all at once: the BIRD peer dropped part of the
burst and declared sessions Down (cmp19, docs/performance.md "Long
requests"). Now the packets that fall due leave from inside the request
(bfd::io::Service::keep_up, called per session while the reply is built and
encoded, and per sample of a scrape).

The peer is a second fbfd (see the comment in the test): a BIRD peer at
1000 sessions, with the machine slow, itself fell behind.
"""
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bfd_scale"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import bfd_scale  # noqa: E402
import pcapbfd  # noqa: E402
from bfd_scale import Capture, Side, addr  # noqa: E402

from fbflab import sanitizer, wait_until  # noqa: E402

# Under ASan+UBSan (scripts/sanitize) fbfd runs several times slower and
# cannot carry 1000 sessions at 50 ms at all, requests or not: 200 there,
# which still makes each request long enough to need keep_up().
SESSIONS = 200 if sanitizer.active() else 1000
INTERVAL_MS = 50
# The peer's kind. A second fbfd by default (see the test);
# FBF_LONG_REQUESTS_PEER=bird reproduces the BIRD-peer figures of
# docs/performance.md "Long requests".
PEER = os.environ.get("FBF_LONG_REQUESTS_PEER", "fbfd")


def metric(agent, name):
    """An unlabelled metric of fbfd's; None where fbfd has no such metric (a
    build from before it, run for the figures: the assertions then fail)."""
    return agent.metric_samples().get((name, ()))


def test_show_bfd_and_scrapes_of_many_sessions_keep_packets_in_the_window(lab, need):
    need("fbfd", PEER)
    m, p = bfd_scale.two_nodes(lab, SESSIONS)
    # The peer is a second fbfd: BIRD needs most of a core for 1000 sessions
    # at 50 ms (95 % in cmp23, docs/performance.md), and on a slow day of
    # this VM it fell behind, dropped thousands of packets in its socket and
    # declared sessions Down on its own while fbfd's packets were on time.
    # The test is about the measured fbfd's transmissions, not the peer's
    # capacity.
    peer = Side(PEER, p, "p", SESSIONS, "to-m", INTERVAL_MS, 3).start()
    fbfd = Side("fbfd", m, "m", SESSIONS, "to-p", INTERVAL_MS, 3).start()
    wait_until(lambda: fbfd.state()["up"] == SESSIONS and peer.state()["up"] == SESSIONS,
               120, f"{SESSIONS} sessions Up", interval=1.0)
    time.sleep(3)  # Poll Sequences to the fast rate (RFC 5880 §6.8.3) finish
    before = fbfd.state()
    kept0 = metric(fbfd.daemon, "fbf_bfd_kept_up_transmissions_total") or 0.0
    peer_udp0 = bfd_scale.udp_errors(p)

    pcap = Path(lab.path("long-requests.pcap"))
    cap = Capture(m, "to-p", pcap)
    time.sleep(0.5)
    t0 = time.time_ns()
    for _ in range(5):
        fbfd.daemon.fbfctl("show", "bfd", timeout=60)
        time.sleep(0.3)
        fbfd.daemon.metrics()
        time.sleep(0.3)
    t1 = time.time_ns()
    time.sleep(0.3)
    cap.stop()

    linktype, frames = pcapbfd.read_pcap(pcap)
    packets = [(ts, b) for ts, b in
               ((ts, pcapbfd.parse_bfd(f, linktype)) for ts, f in frames) if b]
    measured = {addr("m", i) for i in range(SESSIONS)}
    wire = pcapbfd.analyse(packets, measured, t0, t1)
    jitter, wire_flaps = wire["jitter"], wire["wire_flaps"]
    kept = metric(fbfd.daemon, "fbf_bfd_kept_up_transmissions_total")
    worst = metric(fbfd.daemon, "fbf_bfd_wakeup_lateness_max_seconds")
    after = fbfd.state()
    peer_udp = {k: v - peer_udp0.get(k, 0) for k, v in bfd_scale.udp_errors(p).items()}
    flaps = after["flaps"] - before["flaps"]
    by_peer = wire_flaps["origins"]["peer"].get(1, 0)
    # The figures of docs/performance.md "Long requests" (run with -s).
    print(f"\n[long requests] {SESSIONS} sessions: {jitter['gaps']} gaps, "
          f"{jitter['inside_pct']:.2f} % in the §6.8.7 window, {jitter['late']} late, "
          f"longest {jitter['gap_ms']['max']:.1f} ms; worst wake-up since start {worst * 1000:.1f} ms late; "
          f"{(kept or 0) - kept0:.0f} packets sent from inside the requests; "
          f"flaps {flaps}, of them started by the peer's Detection Time {by_peer}; "
          f"peer's UDP receive errors {peer_udp.get('RcvbufErrors', 0)}")
    # ~4 s of sessions at ~42 ms: ~95 gaps each.
    assert jitter["gaps"] > 40 * SESSIONS, jitter
    assert kept is not None and kept > kept0, "no packet left from inside a request"
    # Without keep_up this printed 91.73 and 92.00 % (2fa4a9b, BIRD peer) and
    # 83.15 and 82.56 % (keep_up taken out, fbfd peer, a slower day); with it
    # 99.78-100.00 % (docs/performance.md, "Long requests").
    assert jitter["inside_pct"] >= 98.0, jitter
    assert after["up"] == SESSIONS and peer.state()["up"] == SESSIONS
    assert flaps == 0 and wire_flaps["from_measured"]["gaps_over_detection_time"] == 0, (
        flaps, wire_flaps, peer_udp)
