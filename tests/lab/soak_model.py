"""The expected state of tests/lab/test_soak.py: which routes each router must
hold from fbfd, computed from health x maintenance x link/router state x
BGP damping, and how long after each change the routers may take to get
there (the deadline is derived from the fault kind and the configured
timers, never a blanket margin).

Pure logic, no I/O: the soak's main thread reports what it did (with
time.monotonic() stamps), its samplers ask `expected(router, t)` and report
what they read; everything is serialised by one lock.
"""
import threading
from dataclasses import dataclass, field

BASE = 1.0          # "within 1 s of any change"

# fbfd's configuration in the soak (test_soak.py writes these values).
CHECK_INTERVAL, CHECK_TIMEOUT, RISE, FALL = 0.2, 0.15, 2, 2
BFD_TX, BFD_MULT = 0.3, 3
DETECT = 0.9                                     # BFD_TX x BFD_MULT, both directions
DRAIN_TIME = 2.0
GSHUT_MED = 4294967295                           # [maintenance] lower_preference = true
# fbfd's peer oscillation damping (bgp/backoff.h, docs/operations.md):
# 3 drops of an Established session within 300 s -> Idle for 30 s, doubling.
# A router's Cease/Administrative Reset is no drop; the soak sends none (its
# router restarts end sessions with Administrative Shutdown, Peer
# De-configured or no NOTIFICATION at all, which all count).
DAMP_THRESHOLD, DAMP_WINDOW, DAMP_HOLD, DAMP_MAX = 3, 300.0, 30.0, 300.0

# Reconnecting is bounded by fbfd: it opens a BGP connection after its
# ConnectRetry backoff (connect_retry 1 s doubling up to 60 s, +-25 %
# jitter, reset once a session stayed up 60 s) or, when damped, the idle
# hold. fbfd logs each delay it picks ("connect retry in 6.5s", "idle hold
# 30.0s"); the soak extends a router's deadline to that moment + BASE, after
# checking the delay is within the documented bounds (retry() below). The
# routers connect too, and fbfd accepts them (not while damped: Idle
# refuses), so a session may come back before that deadline.
BACKOFF_MAX = 60.0
PATH_KINDS = ("restart", "link-long-up", "link-short-up", "damping-over")
HEALTH_REACTION = max(RISE, FALL) * CHECK_INTERVAL + CHECK_TIMEOUT   # docs/operations.md


@dataclass
class Service:
    name: str
    prefix: str
    med: int
    checked: bool = False


@dataclass
class Router:
    name: str
    kind: str                          # "bird" | "frr"
    up: bool = True                    # daemon running (False: not sampled)
    link_up: bool = True
    damped: bool = False
    next_hold: float = DAMP_HOLD
    dampings: int = 0
    drops: list = field(default_factory=list)          # observed session drops (times)
    established_since: float = None
    deadline: float = 0.0
    pending: list = field(default_factory=list)        # [(kind, t, changed, own deadline)]
    mismatch_since: float = None
    last_actual: dict = None
    last_expected: dict = None


class Model:
    def __init__(self, services, routers):
        self.lock = threading.RLock()
        self.services = {s.name: s for s in services}
        self.present = {s.name for s in services if s.name != "extra"}
        self.healthy = True
        self.phase = {s.name: "active" for s in services}
        self.routers = {r.name: r for r in routers}
        self.timers = []                # [(t, kind, fn, allowance)]
        self.maintenance = False
        self.conv = {}                  # kind -> [seconds] (expected set changed)
        self.blips = {}                 # kind -> count of transient mismatches (no change)
        self.violations = []
        self.overlapped = 0
        self.samples = {r.name: 0 for r in routers}

    # --- the expected state ----------------------------------------------------------
    def _announced(self):
        """{prefix: (graceful_shutdown, med)} fbfd should announce, path state aside."""
        out = {}
        for name in sorted(self.present):
            s = self.services[name]
            phase = self.phase.get(name, "active")
            healthy = self.healthy if s.checked else True
            if not healthy or phase == "drained":
                continue
            draining = phase == "draining"
            out[s.prefix] = (draining, GSHUT_MED if draining else s.med)
        return out

    def _expected(self, r, t):
        if not r.up:
            return None
        if not r.link_up or r.damped:
            return {}
        return self._announced()

    def _fire_timers(self, t):
        self.timers.sort(key=lambda x: x[0])
        while self.timers and self.timers[0][0] <= t:
            when, kind, fn, allowance = self.timers.pop(0)
            self._change(when, kind, fn, allowance)

    def expected(self, name, t):
        with self.lock:
            self._fire_timers(t)
            return self._expected(self.routers[name], t)

    # --- changes -------------------------------------------------------------------------
    def _change(self, t, kind, fn, allowance=None, routers=None):
        """Apply fn() (a state change at time t); every router whose expected
        routes change, or which is named in `routers`, gets the deadline
        t + allowance (allowance may be a function of the router)."""
        before = {n: self._expected(r, t) for n, r in self.routers.items()}
        fn()
        for n, r in self.routers.items():
            after = self._expected(r, t)
            if after is None:           # the router is down: nothing to converge to
                r.pending = []
                continue
            changed = after != before[n]
            if not changed and (routers is None or n not in routers):
                continue
            a = allowance(r) if callable(allowance) else allowance
            if a is None:
                a = BASE
            r.deadline = max(r.deadline, t + a)
            r.pending.append((kind, t, changed, t + a))

    def event(self, t, kind, fn, allowance=None, routers=None):
        with self.lock:
            self._fire_timers(t)
            self._change(t, kind, fn, allowance, routers)

    def set_health(self, t, ok):
        def fn():
            self.healthy = ok
        self.event(t, "health", fn, HEALTH_REACTION + BASE)

    def reload(self, t, kind, fn=None):
        self.event(t, kind, fn or (lambda: None), BASE)

    def maintenance_start(self, t0, t1, sessions_up=True):
        """`fbfctl maintenance start` sent at t0, answered at t1: a service that
        announces drains for DRAIN_TIME, one that does not is drained at once
        — and fbfd counts a service whose routes reach no router (no BGP
        session Established: `sessions_up` False) as announcing nothing."""
        with self.lock:
            self._fire_timers(t0)
            announced = self._announced() if sessions_up else {}

            def fn():
                self.maintenance = True
                for name in self.present:
                    s = self.services[name]
                    self.phase[name] = "draining" if s.prefix in announced else "drained"
            self._change(t0, "maintenance-start", fn, (t1 - t0) + BASE)

            def end():
                for name, ph in self.phase.items():
                    if ph == "draining":
                        self.phase[name] = "drained"
            # fbfd started the drain somewhere between t0 and t1
            self.timers.append((t0 + DRAIN_TIME, "maintenance-drained", end,
                                (t1 - t0) + BASE))

    def maintenance_stop(self, t0, t1):
        def fn():
            self.maintenance = False
            self.timers[:] = [x for x in self.timers if not x[1].startswith("maintenance")]
            for name in self.phase:
                self.phase[name] = "active"
        self.event(t0, "maintenance-stop", fn, (t1 - t0) + BASE)

    def link(self, t, name, up, kind, allowance):
        def fn():
            self.routers[name].link_up = up
        self.event(t, kind, fn, allowance, routers={name})

    def router_running(self, t, name, up, kind, allowance=None):
        def fn():
            r = self.routers[name]
            r.up = up
            r.mismatch_since = None
        self.event(t, kind, fn, allowance, routers={name})

    # --- what fbfd reported -------------------------------------------------------------
    def session_established(self, name, t):
        with self.lock:
            r = self.routers[name]
            if r.established_since is None:
                r.established_since = t

    def session_dropped(self, name, t_lo, t_hi):
        """fbfd's session to `name` left Established between t_lo and t_hi:
        replay fbfd's damping (bgp/backoff.cpp) to know whether it now holds
        the neighbor Idle, and for how long."""
        with self.lock:
            r = self.routers[name]
            uptime = t_hi - r.established_since if r.established_since is not None else 0
            r.established_since = None
            if uptime >= DAMP_WINDOW:
                r.drops.clear()
                r.next_hold = DAMP_HOLD
            r.drops = [d for d in r.drops if t_hi - d <= DAMP_WINDOW][-(DAMP_THRESHOLD - 1):]
            r.drops.append(t_lo)
            if len(r.drops) >= DAMP_THRESHOLD:
                hold = r.next_hold
                r.next_hold = min(r.next_hold * 2, DAMP_MAX)
                r.drops.clear()
                r.dampings += 1

                def damp():
                    r.damped = True

                def undamp():
                    r.damped = False
                self._change(t_lo, "damping", damp, (t_hi - t_lo) + BASE, routers={name})
                # After the hold fbfd connects at once (and logs any retry).
                self.timers.append((t_lo + hold, "damping-over", undamp,
                                    (t_hi - t_lo) + BASE))
                return hold
            return None

    def retry(self, name, t_at):
        """fbfd's next connection attempt to `name` is due at t_at (from its
        log): the routes may be missing until then, and BASE after."""
        with self.lock:
            r = self.routers[name]
            r.deadline = max(r.deadline, t_at + BASE)

    def recent_drops(self, name, t):
        with self.lock:
            r = self.routers[name]
            return len([d for d in r.drops if t - d <= DAMP_WINDOW])

    # --- samples -----------------------------------------------------------------------------
    def observe(self, name, t0, t1, actual):
        """A router's routes from fbfd, read between t0 and t1. Returns a
        violation (dict) or None."""
        with self.lock:
            self._fire_timers(t1)
            r = self.routers[name]
            exp0, exp1 = self._expected(r, t0), self._expected(r, t1)
            if exp1 is None or exp0 is None:
                return None
            self.samples[name] += 1
            ok = actual in (exp0, exp1)
            r.last_actual, r.last_expected = actual, exp1
            if ok:
                done = [p for p in r.pending if p[1] <= t0]
                r.pending = [p for p in r.pending if p[1] > t0]
                # Overlapping changes converge together: the time is charged
                # to the latest of them, the others are counted as overlapped.
                changed = [p for p in done if p[2]]
                for kind, t, _, own in changed:
                    # the path coming back is reported on its own, overlap or not
                    if kind in PATH_KINDS and t != max(p[1] for p in changed):
                        self.conv.setdefault(kind + " (overlapped)", []).append(t1 - t)
                if changed:
                    kind, t, _, own = max(changed, key=lambda p: p[1])
                    if t1 > own:       # allowed by a later deadline: fbfd's reconnect
                        kind += " (+ reconnect)"
                    self.conv.setdefault(kind, []).append(t1 - t)
                    self.overlapped += len(changed) - 1
                if r.mismatch_since is not None:
                    for kind, t, ch, _ in done:
                        if not ch:
                            self.blips[kind] = self.blips.get(kind, 0) + 1
                r.mismatch_since = None
                return None
            if r.mismatch_since is None:
                r.mismatch_since = t0
            if t0 <= r.deadline:
                return None
            v = {"router": name, "t": t0, "expected": exp1, "actual": actual,
                 "deadline": r.deadline, "mismatch_since": r.mismatch_since,
                 "pending": list(r.pending)}
            self.violations.append(v)
            # one report per episode and per 5 s
            r.deadline = t1 + 5.0
            return v

    def settled(self, t):
        """Every running router past its deadline with nothing pending."""
        with self.lock:
            self._fire_timers(t)
            return all(not r.up or (t > r.deadline and not r.pending and r.mismatch_since is None)
                       for r in self.routers.values())
