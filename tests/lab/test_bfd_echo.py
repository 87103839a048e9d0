"""BFD Echo interop (RFC 5880 §6.4, §6.8.5, §6.8.9; RFC 5881 §4): fbfd against
FRR 8.4 bfdd in namespaces (BIRD 2 has no Echo function).

fbfd runs in node `f`, FRR bfdd in node `p`, one standalone single-hop
session (`[[bfd_peer]]` / bfdd `peer`), Control packets 100/100 ms x3.

1. fbfd loops FRR's echoes back (`echo_rx = "50ms"`, FRR `echo-mode`):
   FRR's echo counters grow, no echo is lost or duplicated, the session
   stays Up. Who looped them is proven: IPv4 with forwarding off in `f`
   (the default) -> fbfd itself (`fbf_bfd_echo_reflected_total` grows at
   least as fast as FRR's echo input); IPv4 with forwarding on -> the kernel
   (reflected stays 0); IPv6 -> fbfd's UDP reflector (FRR addresses its IPv6
   echoes to fbfd, so forwarding plays no part).
2. fbfd's own echoes (`echo_tx = "50ms"`; FRR advertises Required Min Echo
   RX 50 ms, its node forwards): `echo_active`, `echo_out`/`echo_in` grow,
   the RTT is shown, Control packets are slowed to 1 s. Then an nftables
   rule in FRR's *forward* hook drops UDP 3785 (fbfd's echoes are routed
   back by FRR's kernel, so they cross `forward`, never `input`): fbfd goes
   Down with diag 2 within its echo Detection Time (3 x 50 ms) + 20 ms,
   measured from its log, while Control packets keep flowing (no Control
   detection expiry); FRR counts the session down with remote diagnostic
   "echo function failed". Rule removed: Up again, echoes run, no failure.
   And fbfd frozen (SIGSTOP) for twice its echo Detection Time, three
   times: no echo failure, no flap — it sent no echo meanwhile.
3. FRR advertises Required Min Echo RX 0 (`echo receive-interval
   disabled`): fbfd sends no echoes although `echo_tx` is set, and keeps its
   normal Required Min RX. FRR then advertising 50 ms (live) starts them,
   0 again stops them (§6.8.6 "MUST cease") without an echo failure, and
   fbfd asks for Control packets every 100 ms again.
4. RFC-style echoes (source = destination = the peer, as other vendors send
   them; FRR sends them only for IPv4) crafted in FRR's node for each
   combination of fbfd's `all`/`<if>` forwarding sysctls must come back
   exactly once, by the kernel or by fbfd. This found that IPv6 forwarding
   follows `net.ipv6.conf.all.forwarding` (ip6_forward(); since 6.17 also
   the input interface's `force_forwarding`), not `<if>.forwarding`, which
   fbfd read at first: all=0/if=1 lost every echo, all=1/if=0 returned each
   twice.

What FRR 8.4 bfdd does (read from its source, bfdd/bfd_packet.c, and seen
here):
- IPv4 echoes are sent on an AF_PACKET socket to the peer's MAC (looked up
  with SIOCGARP when a Control packet arrives), IP source and destination =
  FRR's own address, TTL 255, UDP 3785; they are accepted back on an
  AF_PACKET socket (BPF: UDP dport 3785) only with TTL 254. RTT is measured
  (`rtt-min/avg/max` in `show bfd peers json`, microseconds).
- FRR has no userspace loop-back for IPv4 echoes on Linux: a peer's
  RFC-style echo crosses FRR's host only if the kernel forwards
  (`net.ipv4.conf.<if>.forwarding = 1`; IPv6: `all.forwarding`). Yet FRR advertises
  Required Min Echo RX 50 ms by default, without `echo-mode` and whether or
  not its host forwards: a peer that sends echoes to a non-forwarding FRR
  host loses them all. (Observed: fbfd with `echo_tx` against such a host
  fails with diag 2 every echo Detection Time and comes straight back Up
  over the healthy Control path -- a flap every 150 ms.) Hence node `p`
  forwards in tests 2 and 3, and test 3 uses `echo receive-interval
  disabled` to get a Required Min Echo RX of 0.
- IPv6 echoes are plain UDP to the peer's address (hop limit 255), which
  the peer must send back from userspace with hop limit 254 (bfdd warns
  "only works when the peer is also FRR for IPv6"); no RTT for them
  (`rtt-*` stay 0). Echo is single hop only ("Echo mode is only available
  for single hop sessions").
- Counters: `show bfd peers counters json` has `echo-packet-input` /
  `echo-packet-output`; `show bfd peers json` has `echo-receive-interval`
  (what it advertises), `echo-transmit-interval` (its running echo
  interval, 0 while its echoes are off) and `remote-echo-receive-interval`.
  FRR's echo Detection Time is the *remote* Detect Mult x its echo interval.

Measured figures are printed (`-s`).
"""
import ipaddress
import json
import re
import sys
import time
from datetime import datetime

import pytest

from fbflab import Bfd, BfdPeer, Frr, wait_until
from fbflab.fbfd import Fbfd
from fbflab.peers.base import BfdEcho

pytestmark = pytest.mark.lab

AS_FBFD, AS_PEER = 65001, 65002
POLL = 0.01
ECHO_MS = 50            # every echo interval in this module (fbfd's and FRR's)


# --- helpers -------------------------------------------------------------------------
def session(agent, peer):
    peer = str(ipaddress.ip_address(peer))
    return next((s for s in agent.fbfctl("show", "bfd")["sessions"] if s["peer"] == peer), {})


def wait_fbfd(agent, peer, check, timeout=10, what=None, interval=0.05):
    """Wait until check(fbfd's session with peer) holds; returns the session."""
    def probe():
        s = session(agent, peer)
        if s and check(s):
            return s
        raise AssertionError(f"not yet: {s}")
    return wait_until(probe, timeout, what or f"fbfd's session with {peer}", interval=interval)


def stays(fn, duration, what):
    """Assert fn() stays truthy for `duration` seconds (sampled back to back:
    each sample queries a daemon, which paces the loop); returns the last value."""
    start = time.monotonic()
    while True:
        value = fn()
        assert value, f"{what}: broke after {time.monotonic() - start:.2f} s"
        if time.monotonic() - start >= duration:
            return value


def metrics(agent):
    """Prometheus text -> {(name, ((label, value), ...)): value}."""
    out = {}
    for line in agent.metrics().splitlines():
        m = re.match(r'^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$', line)
        if m and not line.startswith("#"):
            labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(agent, name, **labels):
    return metrics(agent).get((name, tuple(sorted(labels.items()))))


def reflected(agent):
    return metric(agent, "fbf_bfd_echo_reflected_total")


def frr_peer(frr, addr):
    return next((s for s in frr.vtysh_json("show bfd peers json") or []
                 if s.get("peer") == addr), {})


def frr_counters(frr, addr):
    return next((c for c in frr.vtysh_json("show bfd peers counters json") or []
                 if c.get("peer") == addr), {})


def pair(lab, family, *, fbfd_echo, frr_echo, f_forwards=False, p_forwards=False):
    """f (fbfd) and p (FRR bfdd) on one veth, a standalone session each side.
    fbfd_echo: extra keys of fbfd's bfd_peer (echo_rx/echo_tx); frr_echo: a
    BfdEcho for FRR's peer (None: FRR's defaults)."""
    f, p = lab.add_node("f", router=f_forwards), lab.add_node("p", router=p_forwards)
    link = lab.add_link(f, p)
    fip, pip = link.ip_a(family), link.ip_b(family)
    frr = Frr(p, asn=AS_PEER, router_id=link.ip_b(), bfd_peers=[BfdPeer(
        fip, local_address=pip, bfd=Bfd(min_tx=100, min_rx=100, multiplier=3,
                                        echo=frr_echo))]).start()
    agent = Fbfd(f, local_as=AS_FBFD, router_id=link.ip_a(), bfd_peers=[{
        "address": pip, "local_address": fip, "min_tx": "100ms", "min_rx": "100ms",
        "multiplier": 3, **fbfd_echo}]).start()
    wait_fbfd(agent, pip, lambda s: s["state"] == "Up" and s["remote_state"] == "Up", 15,
              f"fbfd: BFD with {pip} Up")
    frr.wait_bfd(fip, "Up", 15)
    return link, fip, pip, agent, frr


def forwarding(node, family, ifname):
    key = f"net.{'ipv6' if family == 'ipv6' else 'ipv4'}.conf.{ifname}.forwarding"
    return node.run(["sysctl", "-n", key]).stdout.strip()


LOG_LINE = re.compile(r"^(\S+) \S+ bfd .*: Up -> Down diag=EchoFunctionFailed$")


def echo_downs(agent):
    """Times (time.time() scale) of fbfd's 'Up -> Down diag=EchoFunctionFailed'
    log lines (spdlog writes local time with milliseconds)."""
    out = []
    for line in agent.log_text().splitlines():
        m = LOG_LINE.match(line.strip())
        if m:
            out.append(datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp())
    return out


# --- 1. fbfd loops FRR's echoes back ---------------------------------------------------
LOOPERS = {"ipv4-fbfd": ("ipv4", False), "ipv4-kernel": ("ipv4", True),
           "ipv6-fbfd": ("ipv6", False)}


@pytest.mark.parametrize("case", list(LOOPERS))
def test_frr_echoes_are_looped_back(lab, need, case):
    """FRR echo-mode (transmit-interval 50) against fbfd echo_rx 50 ms: FRR's
    echoes come back (echo-packet-input follows echo-packet-output, IPv4 RTT
    measured), FRR never declares an echo failure, the session stays Up --
    and the loop is fbfd's (reflected counter) or the kernel's, as expected.
    Without looping, FRR would go Down with 'echo function failed' after
    3 x 50 ms."""
    need("frr", "fbfd")
    family, f_forwards = LOOPERS[case]
    link, fip, pip, agent, frr = pair(
        lab, family, fbfd_echo={"echo_rx": f"{ECHO_MS}ms"},
        frr_echo=BfdEcho(mode=True, tx=ECHO_MS), f_forwards=f_forwards)
    assert forwarding(link.a, family, link.ifname_a) == ("1" if f_forwards else "0")

    # FRR sees fbfd's Required Min Echo RX and runs its echoes at max(50, 50).
    p = wait_until(lambda: (lambda x: x if x.get("echo-transmit-interval") == ECHO_MS else None)(
        frr_peer(frr, fip)), 10, "FRR to start its echoes")
    assert p["remote-echo-receive-interval"] == ECHO_MS, p
    s = session(agent, pip)
    assert s["echo_rx_ms"] == ECHO_MS and not s["echo_active"] and s["echo_out"] == 0, s

    # Warm-up: echoes returning.
    wait_until(lambda: frr_counters(frr, fip).get("echo-packet-input", 0) >= 5, 10,
               "FRR to get its first echoes back")
    # A window of >= 20 echoes (~1 s, ~7 FRR echo Detection Times), bracketed:
    # FRR's counters are read just before and after each read of fbfd's, so
    # every echo FRR got back inside [c0, c1] was looped inside [r0, r1], and
    # every echo looped inside [r0, r1] was sent by FRR inside [ca, cb].
    ca = frr_counters(frr, fip)
    r0 = reflected(agent)
    c0 = frr_counters(frr, fip)
    c1 = wait_until(lambda: (lambda c: c if c["echo-packet-input"] >= c0["echo-packet-input"] + 20
                             else None)(frr_counters(frr, fip)), 5, "20 more echoes back at FRR")
    r1 = reflected(agent)
    cb = frr_counters(frr, fip)
    got = c1["echo-packet-input"] - c0["echo-packet-input"]
    sent = c1["echo-packet-output"] - c0["echo-packet-output"]
    p = frr_peer(frr, fip)
    print(f"\n[{case}] FRR echoes in the window: sent {sent}, back {got}; "
          f"fbfd reflected {r1 - r0:.0f}; FRR RTT min/avg/max "
          f"{p['rtt-min']}/{p['rtt-avg']}/{p['rtt-max']} us")
    # Neither lost nor duplicated (one may be in flight at each end of the window).
    assert sent - 1 <= got <= sent + 1, (c0, c1)
    assert c1["session-down"] == 0 and c1["session-up"] == 1, c1
    if case == "ipv4-kernel":
        assert r0 == 0 and r1 == 0, "the kernel forwards: fbfd must leave FRR's echoes alone"
    else:
        assert r1 - r0 >= got, (r0, r1, got)
        # ... and nothing else was looped (one sent before ca may be in flight).
        assert r1 - r0 <= cb["echo-packet-output"] - ca["echo-packet-output"] + 1, (r0, r1, ca, cb)
    if family == "ipv4":
        assert p["rtt-max"] > 0, p   # FRR measured the round trip of its IPv4 echoes
    assert p["status"] == "up" and p["diagnostic"] == "ok", p
    s = session(agent, pip)
    assert s["state"] == "Up" and s["flaps"] == 0 and s["dropped"] == 0, s
    assert s["echo_out"] == 0 and s["echo_failures"] == 0, s


# --- 2. fbfd's own echoes, and their failure ----------------------------------------------
NFT_FORWARD = """table inet fbflab_echo {
  chain forward {
    type filter hook forward priority 0; policy accept;
  }
}
"""


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_fbfd_echoes_detect_a_forwarding_failure(lab, need, family):
    """fbfd echo_tx 50 ms, FRR advertising Required Min Echo RX 50 ms on a
    forwarding host: echoes run; dropping UDP 3785 in FRR's forward hook takes
    the session Down with diag 2 within 3 x 50 ms (+20 ms) although Control
    packets still flow; removing the rule brings it back for good."""
    need("frr", "fbfd")
    link, fip, pip, agent, frr = pair(
        lab, family, fbfd_echo={"echo_tx": f"{ECHO_MS}ms"},
        frr_echo=BfdEcho(mode=False, rx=ECHO_MS), p_forwards=True)
    s = wait_fbfd(agent, pip, lambda s: s["echo_active"] and s["echo_in"] >= 10, 10,
                  "fbfd's echoes to come back")
    assert s["remote_echo_rx_ms"] == ECHO_MS and s["echo_interval_ms"] == ECHO_MS, s
    assert s["echo_detection_time_ms"] == 3 * ECHO_MS, s
    assert s["echo_out"] - 2 <= s["echo_in"] <= s["echo_out"], s
    assert s["echo_failures"] == 0 and s["flaps"] == 0, s
    rtt = s["echo_rtt_ms"]
    assert 0 < rtt < ECHO_MS, s
    # §6.8.3 as documented: with echoes running fbfd asks for Control packets
    # every 1 s at most, and FRR applies it.
    s = wait_fbfd(agent, pip, lambda s: not s["poll_active"], 5)
    assert s["required_min_rx_advertised_ms"] == 1000, s
    p = wait_until(lambda: (lambda x: x if x.get("remote-receive-interval") == 1000 else None)(
        frr_peer(frr, fip)), 5, "FRR to slow its Control packets to 1 s")
    assert p["echo-transmit-interval"] == 0, p            # FRR itself sends no echoes ...
    c = frr_counters(frr, fip)
    assert c["echo-packet-input"] == 0 and c["echo-packet-output"] == 0, c
    m = metrics(agent)
    labels = tuple(sorted({"session": s["name"], "peer": pip}.items()))
    assert m[("fbf_bfd_echo_sent_total", labels)] >= s["echo_out"], m
    assert m[("fbf_bfd_echo_received_total", labels)] >= s["echo_in"], m
    assert 0 < m[("fbf_bfd_echo_rtt_seconds", labels)] < ECHO_MS / 1000, m
    assert m[("fbf_bfd_echo_reflected_total", ())] == 0, m   # ... so fbfd loops none

    # Cut the echoes only: FRR's kernel forwards them, Control packets are local.
    link.b.run(["nft", "-f", "-"], input=NFT_FORWARD)
    n = session(agent, pip)["echo_in"]
    wait_fbfd(agent, pip, lambda s: s["echo_in"] >= n + 3, 5, "fresh echoes before the cut",
              interval=POLL)
    packets_in = session(agent, pip)["packets_in"]
    t0 = time.time()
    link.b.run(["nft", "add", "rule", "inet", "fbflab_echo", "forward",
                "udp", "dport", "3785", "drop"])
    t1 = time.time()
    s = wait_fbfd(agent, pip, lambda s: s["echo_failures"] >= 1, 3,
                  "fbfd to declare the echo function failed", interval=POLL)
    seen = (time.time() - t0) * 1000
    downs = [t for t in echo_downs(agent) if t >= t0 - 0.002]
    assert downs, agent.log_text()[-2000:]
    detect = 3 * ECHO_MS
    latency_max, latency_min = (downs[0] - t0) * 1000, (downs[0] - t1) * 1000
    print(f"\n[{family} echo cut] echo RTT {rtt} ms; echo Detection Time {detect} ms; "
          f"Down (diag 2) {latency_min:.0f}..{latency_max:.0f} ms after the cut "
          f"(nft took {(t1 - t0) * 1000:.0f} ms; seen by polling after {seen:.0f} ms)")
    assert s["diag"] == "EchoFunctionFailed", s
    # The last echo came back at most one interval (+ RTT) before the cut, and
    # none after it: Down between Detection Time - interval and Detection Time.
    assert latency_max >= detect - ECHO_MS - 5, (latency_min, latency_max)
    assert latency_min <= detect + 20, (latency_min, latency_max)
    # Control packets kept flowing: it is the echo, not the Control detection.
    s = wait_fbfd(agent, pip, lambda s: s["packets_in"] > packets_in, 3,
                  "FRR's Control packets during the cut")
    assert metric(agent, "fbf_bfd_detection_expiries_total", session=s["name"], peer=pip) == 0
    assert metric(agent, "fbf_bfd_echo_failures_total", session=s["name"], peer=pip) >= 1
    # FRR went Down on fbfd's signal (it comes back Up over the healthy
    # Control path at once, then fails again while the echoes stay cut).
    c = wait_until(lambda: (lambda c: c if c.get("session-down", 0) >= 1 else None)(
        frr_counters(frr, fip)), 3, "FRR to count the session down")
    p = frr_peer(frr, fip)
    assert p["remote-diagnostic"] == "echo function failed", p
    print(f"[{family} echo cut] FRR: session-down {c['session-down']}, "
          f"remote-diagnostic {p['remote-diagnostic']!r}; fbfd echo failures so far "
          f"{session(agent, pip)['echo_failures']}")

    # Echoes back: Up, echoing, and no further failure for 1 s (~7 Detection Times).
    link.b.run(["nft", "delete", "table", "inet", "fbflab_echo"])
    n = session(agent, pip)["echo_in"]
    s = wait_fbfd(agent, pip, lambda s: s["state"] == "Up" and s["echo_active"]
                  and s["echo_in"] >= n + 5, 5, "fbfd's echoes to come back after the cut")
    failures, flaps = s["echo_failures"], s["flaps"]
    downs = frr_counters(frr, fip)["session-down"]
    s = stays(lambda: (lambda x: x if x["state"] == "Up" and x["echo_failures"] == failures
                       and x["flaps"] == flaps else None)(session(agent, pip)), 1.0,
              "the session after the echoes came back")
    assert s["echo_in"] >= n + 20, s
    assert frr_counters(frr, fip)["session-down"] == downs
    assert frr_peer(frr, fip)["status"] == "up"


def test_a_stall_of_fbfd_longer_than_the_echo_detection_time_is_no_echo_failure(lab, need):
    """fbfd echo_tx 50 ms (echo Detection Time 150 ms) against FRR, its own
    Control packets every 300 ms (FRR's Detection Time 900 ms). fbfd is
    frozen (SIGSTOP) for 300 ms, three times: it sent no echo meanwhile, so
    none could come back, and it does not declare the echo function failed
    (RFC 5880 §6.8.5 leaves the means to the implementation; the deadline
    counts from the first echo sent after the stall). Echoes resume, no
    flap on either side. Before that rule, each stall was an 'echo function
    failed' Down the moment fbfd ran again."""
    need("frr", "fbfd")
    stall, rounds = 0.3, 3
    link, fip, pip, agent, frr = pair(
        lab, "ipv4", fbfd_echo={"echo_tx": f"{ECHO_MS}ms", "min_tx": "300ms"},
        frr_echo=BfdEcho(mode=False, rx=ECHO_MS), p_forwards=True)
    s = wait_fbfd(agent, pip, lambda s: s["echo_active"] and s["echo_in"] >= 10, 10,
                  "fbfd's echoes to come back")
    assert s["echo_detection_time_ms"] == 3 * ECHO_MS < stall * 1000, s
    late0 = metric(agent, "fbf_bfd_wakeups_late_total", by="25ms")
    downs = frr_counters(frr, fip)["session-down"]
    for i in range(rounds):
        n = session(agent, pip)["echo_in"]
        wait_fbfd(agent, pip, lambda s: s["echo_in"] >= n + 2, 5, "fresh echoes", interval=POLL)
        agent.pause()
        time.sleep(stall)
        agent.resume()
        n = session(agent, pip)["echo_in"]
        s = wait_fbfd(agent, pip, lambda s: s["echo_in"] >= n + 3, 5,
                      f"echoes after stall {i + 1}", interval=POLL)
        print(f"\n[stall {i + 1}] {stall * 1000:.0f} ms: state {s['state']}, echo failures "
              f"{s['echo_failures']}, flaps {s['flaps']}, echo in/out {s['echo_in']}/{s['echo_out']}")
        assert s["state"] == "Up" and s["echo_failures"] == 0 and s["flaps"] == 0, s
    late = metric(agent, "fbf_bfd_wakeups_late_total", by="25ms")
    print(f"[stalls] wake-ups >= 25 ms late: {late - late0:.0f}; worst "
          f"{metric(agent, 'fbf_bfd_wakeup_lateness_max_seconds') * 1000:.0f} ms")
    assert late - late0 >= rounds  # fbfd saw each stall
    assert metric(agent, "fbf_bfd_wakeup_lateness_max_seconds") >= stall - 0.1
    assert metric(agent, "fbf_bfd_echo_failures_total", session=s["name"], peer=pip) == 0
    assert frr_counters(frr, fip)["session-down"] == downs
    assert frr_peer(frr, fip)["status"] == "up"


# --- 3. a peer that refuses echoes gets none ------------------------------------------------
def test_no_echoes_to_a_peer_advertising_zero(lab, need):
    """FRR `echo receive-interval disabled` (Required Min Echo RX 0): fbfd with
    echo_tx 50 ms sends none and keeps its Required Min RX at 100 ms. FRR
    then advertising 50 ms starts fbfd's echoes; back to 0 stops them
    without an echo failure."""
    need("frr", "fbfd")
    link, fip, pip, agent, frr = pair(
        lab, "ipv4", fbfd_echo={"echo_tx": f"{ECHO_MS}ms"},
        frr_echo=BfdEcho(mode=False, rx=0), p_forwards=True)
    p = frr_peer(frr, fip)
    assert p["echo-receive-interval"] == 0, p
    s = session(agent, pip)
    assert s["remote_echo_rx_ms"] == 0 and s["echo_tx_ms"] == ECHO_MS, s
    # 1 s = 20 of fbfd's echo intervals: not one echo.
    s = stays(lambda: (lambda x: x if x["state"] == "Up" and x["echo_out"] == 0
                       and not x["echo_active"] else None)(session(agent, pip)), 1.0,
              "fbfd sending no echoes to a peer advertising 0")
    assert s["echo_interval_ms"] == 0 and s["required_min_rx_advertised_ms"] == 100, s
    assert metric(agent, "fbf_bfd_echo_sent_total", session=s["name"], peer=pip) == 0

    # The advertisement alone decides: FRR allows 50 ms -> echoes start.
    peer_cmd = f"peer {fip} local-address {pip}"
    frr.configure("bfd", peer_cmd, f"echo receive-interval {ECHO_MS}")
    s = wait_fbfd(agent, pip, lambda s: s["echo_active"] and s["echo_in"] >= 10, 5,
                  "fbfd's echoes once FRR allows them")
    assert s["remote_echo_rx_ms"] == ECHO_MS and s["echo_failures"] == 0, s
    # ... and 0 again stops them (§6.8.6), with no echo failure.
    frr.configure("bfd", peer_cmd, "echo receive-interval disabled")
    s = wait_fbfd(agent, pip, lambda s: not s["echo_active"], 5, "fbfd's echoes to stop")
    out = s["echo_out"]
    s = stays(lambda: (lambda x: x if x["state"] == "Up" and x["echo_out"] == out
                       and x["echo_failures"] == 0 else None)(session(agent, pip)), 0.5,
              "no echo after FRR withdrew its Required Min Echo RX")
    assert s["remote_echo_rx_ms"] == 0 and s["flaps"] == 0, s
    # Without echoes the Control packets detect again: fbfd asks for them at
    # its configured 100 ms once more, and FRR follows.
    s = wait_fbfd(agent, pip, lambda s: s["required_min_rx_advertised_ms"] == 100
                  and not s["poll_active"], 5, "fbfd to advertise Required Min RX 100 ms again")
    assert s["detection_time_ms"] == 300, s
    wait_until(lambda: frr_peer(frr, fip).get("remote-receive-interval") == 100, 5,
               "FRR to send Control packets every 100 ms again")
    print(f"\n[echo rx 0] no echo while FRR advertised 0; {out} echoes while it allowed "
          f"{ECHO_MS} ms; none since")


# --- 4. RFC-style echoes: fbfd's "does the kernel forward?" vs the kernel ------------------
RFC_ECHO_SCRIPT = r"""
import json, socket, struct, sys, time, ipaddress
ifname, mac, addr, n = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3], \
    int(sys.argv[4])
src = ipaddress.ip_address(addr).packed
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((ifname, 0))
own = s.getsockname()[4]

def csum(b):
    b += b"\0" * (len(b) % 2)
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff

def frame(seq):
    payload = b"RFCE" + struct.pack("!I", seq) + bytes(16)
    ulen = 8 + len(payload)
    udp = struct.pack("!HHHH", 3785, 3785, ulen, 0) + payload
    if len(src) == 4:
        ph = src + src + struct.pack("!BBH", 0, 17, ulen)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, 20 + ulen, seq, 0, 255, 17, 0, src, src)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        ethertype = b"\x08\x00"
    else:
        ph = src + src + struct.pack("!I3xB", ulen, 17)
        ip = struct.pack("!IHBB16s16s", 6 << 28, ulen, 17, 255, src, src)
        ethertype = b"\x86\xdd"
    udp = udp[:6] + struct.pack("!H", csum(ph + udp) or 0xffff) + udp[8:]
    return mac + own + ethertype + ip + udp

back = {}
s.settimeout(0.02)
for seq in range(1, n + 1):
    s.send(frame(seq))
    time.sleep(0.01)
end = time.monotonic() + 0.3
while time.monotonic() < end:
    try:
        data, sa = s.recvfrom(2048)
    except socket.timeout:
        continue
    if sa[2] == socket.PACKET_OUTGOING:
        continue
    v4 = data[12:14] == b"\x08\x00"
    ttl, proto, off = (data[22], data[23], 34) if v4 else (data[21], data[20], 54)
    if proto == 17 and ttl == 254 and data[off + 8:off + 12] == b"RFCE":
        seq = struct.unpack("!I", data[off + 12:off + 16])[0]
        back[seq] = back.get(seq, 0) + 1
print(json.dumps(back))
"""

# (all.forwarding, <if>.forwarding); (0, 0) is the lab's start, (1, 1) test 1's kernel case.
FORWARDING_CASES = [(0, 0), (0, 1), (1, 0)]


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_rfc_style_echoes_looped_exactly_once(lab, need, family):
    """FRR's own IPv6 echoes are addressed to fbfd, so no FRR echo exercises
    fbfd's kernel-forwarding decision for IPv6. Here RFC-style echoes (source
    = destination = the peer's address, TTL 255, to fbfd's MAC) are crafted
    in FRR's node for every combination of fbfd's all/<if> forwarding
    sysctls: each must come back exactly once (TTL 254), by the kernel or by
    fbfd, never by neither nor by both."""
    need("frr", "fbfd")
    link, fip, pip, agent, frr = pair(lab, family, fbfd_echo={"echo_rx": f"{ECHO_MS}ms"},
                                      frr_echo=None)
    mac = json.loads(link.a.run(["ip", "-j", "link", "show", link.ifname_a])
                                   .stdout)[0]["address"]
    v, n, results = family, 10, {}
    for all_fwd, if_fwd in FORWARDING_CASES:
        if (all_fwd, if_fwd) != (0, 0):
            link.a.sysctl(f"net.{v}.conf.all.forwarding", all_fwd)
            link.a.sysctl(f"net.{v}.conf.{link.ifname_a}.forwarding", if_fwd)
            # fbfd trusts a read of the sysctl for 1 s (echo_io.cpp kForwardingEvery),
            # and nothing shows when it re-read it: a plain wait, by exception.
            time.sleep(1.1)
        assert forwarding(link.a, family, link.ifname_a) == str(if_fwd)
        r0 = reflected(agent)
        out = link.b.run([sys.executable, "-c", RFC_ECHO_SCRIPT, link.ifname_b, mac, pip,
                          str(n)]).stdout
        back = {int(k): c for k, c in json.loads(out).items()}
        results[(all_fwd, if_fwd)] = (sum(back.values()), reflected(agent) - r0)
    print(f"\n[{family} RFC-style echoes] (all, if) forwarding -> (copies back of {n}, "
          f"fbfd reflected): {results}")
    wrong = {k: r for k, r in results.items() if r[0] != n}
    assert not wrong, f"echoes not looped exactly once: {wrong} (all: {results})"
    assert session(agent, pip)["state"] == "Up"
