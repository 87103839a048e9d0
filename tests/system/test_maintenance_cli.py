"""fbfctl maintenance start|stop|status and show services, as an operator (or a
Kubernetes preStop hook) runs them: against the real fbfd, and against a
scripted fake agent on a unix socket for what a loopback fbfd without BGP
neighbors cannot show (a drain that takes time, an agent that goes away)."""
import json
import os
import select
import socket
import subprocess
import threading
import time

import pytest

from conftest import FBFCTL, Agent

SERVICE = """
[[service]]
name = "web"
prefixes = ["203.0.113.10/32"]
manage_addresses = false
"""


def fbfctl(socket_path, *args, timeout=45):
    argv = [str(FBFCTL), "-s", str(socket_path)] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def web_agent(tmp_path):
    a = Agent(tmp_path)
    a.config.write_text(a.config.read_text() + SERVICE)
    a.start()
    yield a
    a.stop()


# --- against fbfd ------------------------------------------------------------
# With no neighbors the service announces nothing, so start goes to drained at
# once (nothing to drain) and stop back to active once restored.


def test_start_wait_then_stop_wait(web_agent):
    r = fbfctl(web_agent.socket, "maintenance", "start", "--wait")
    assert r.returncode == 0, r.stderr
    assert "web: drained" in r.stdout.splitlines()
    assert r.stdout.endswith("done: web is drained\n"), r.stdout
    assert r.stderr == ""

    s = json.loads(fbfctl(web_agent.socket, "--json", "maintenance", "status").stdout)
    assert [(x["service"], x["phase"]) for x in s["services"]] == [("web", "drained")]
    assert s["phase"] != "active"

    human = fbfctl(web_agent.socket, "maintenance", "status")
    assert human.returncode == 0, human.stderr
    header, row = human.stdout.splitlines()
    assert header.split()[:3] == ["SERVICE", "PHASE", "SINCE"]
    assert row.split()[:2] == ["web", "drained"]

    # A repeated start changes nothing and is done at once.
    again = fbfctl(web_agent.socket, "maintenance", "start", "web", "--wait", "--timeout", "5s")
    assert again.returncode == 0, again.stderr

    r = fbfctl(web_agent.socket, "maintenance", "stop", "web", "--wait")
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("done: web is active\n"), r.stdout
    s = json.loads(fbfctl(web_agent.socket, "maintenance", "status", "--json").stdout)
    assert s["services"][0]["phase"] == "active"
    assert s["phase"] == "active"


def test_status_json_has_the_documented_members(web_agent):
    r = fbfctl(web_agent.socket, "--json", "maintenance", "status")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    (web,) = s["services"]
    for key in ("service", "phase", "since_seconds", "since_unix_ms", "routes", "sessions_closed",
                "time_left_seconds", "connections", "drain_connections"):
        assert key in web, key
    assert web["phase"] == "active" and web["routes"] == "normal"


def test_start_with_drain_time_prints_the_table(web_agent):
    r = fbfctl(web_agent.socket, "maintenance", "start", "web", "--drain-time", "2m")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("SERVICE"), r.stdout
    assert "web" in r.stdout
    r = fbfctl(web_agent.socket, "--json", "maintenance", "stop")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["services"][0]["phase"] in ("restoring", "active")


def test_unknown_service_is_refused(web_agent):
    for extra in ([], ["--wait"]):
        r = fbfctl(web_agent.socket, "maintenance", "start", "nope", *extra)
        assert r.returncode == 1, r
        assert "unknown service 'nope'" in r.stderr
        assert r.stdout == ""
    r = fbfctl(web_agent.socket, "maintenance", "stop", "web", "nope")
    assert r.returncode == 1 and "unknown service 'nope'" in r.stderr
    # Nothing changed for the known one.
    s = json.loads(fbfctl(web_agent.socket, "--json", "maintenance", "status").stdout)
    assert s["services"][0]["phase"] == "active"


def test_show_services(web_agent):
    r = fbfctl(web_agent.socket, "--json", "show", "services")
    assert r.returncode == 0, r.stderr
    (web,) = json.loads(r.stdout)["services"]
    assert web["service"] == "web"
    human = fbfctl(web_agent.socket, "show", "services")
    assert human.returncode == 0, human.stderr
    assert human.stdout.split()[:7] == ["SERVICE", "HEALTH", "ANNOUNCED", "MAINTENANCE", "LAST",
                                        "CHECK", "LATENCY"]


# --- usage errors and an absent agent: no fbfd needed ------------------------


@pytest.mark.parametrize("args", [
    ["maintenance", "start", "--drain-time", "garbage"],
    ["maintenance", "start", "--drain-time", "1.5s"],
    ["maintenance", "start", "--drain-time", "-1s"],
    ["maintenance", "start", "--wait", "--timeout", "soon"],
    ["maintenance", "start", "--timeout", "5s"],          # --timeout needs --wait
    ["maintenance", "stop", "--drain-time", "5s"],         # start only
    ["maintenance", "status", "web"],
    ["maintenance"],
    ["maintenance", "pause"],
])
def test_usage_errors_exit_2_without_contacting_the_agent(tmp_path, args):
    # The socket does not exist: reaching for it would be exit 3.
    r = fbfctl(tmp_path / "nobody.sock", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "cannot reach" not in r.stderr


def test_bad_drain_time_says_why(tmp_path):
    r = fbfctl(tmp_path / "nobody.sock", "maintenance", "start", "--drain-time", "garbage")
    assert r.returncode == 2
    assert "garbage" in r.stderr


@pytest.mark.parametrize("args", [
    ["maintenance", "start"],
    ["maintenance", "start", "web", "--wait"],
    ["maintenance", "stop", "--wait"],
    ["maintenance", "status"],
    ["--json", "maintenance", "status"],
    ["show", "services"],
])
def test_unreachable_agent_exits_3(tmp_path, args):
    r = fbfctl(tmp_path / "nobody.sock", *args)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "cannot reach fbfd" in r.stderr


# --- against a scripted agent ------------------------------------------------


def entry(phase, time_left=None, connections=None, name="web"):
    return {"service": name, "phase": phase, "since_seconds": 1.0, "since_unix_ms": 1,
            "routes": "graceful_shutdown" if phase == "draining" else "normal",
            "sessions_closed": False, "time_left_seconds": time_left,
            "connections": connections, "drain_connections": 0}


def status(*entries):
    return {"phase": "x", "services": list(entries)}


class FakeAgent:
    """Answers each request on a unix socket with the next scripted result;
    the last status is repeated. `vanish_after` status replies, it closes the
    listener and removes the socket, like an agent that stopped."""

    def __init__(self, path, start_reply, statuses, vanish_after=None):
        self.path = str(path)
        self.start_reply = start_reply
        self.statuses = list(statuses)
        self.vanish_after = vanish_after
        self.requests = []
        self.served = 0
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reply_for(self, request):
        command = request["command"]
        if command in ("maintenance start", "maintenance stop"):
            return self.start_reply
        if command == "maintenance status":
            self.served += 1
            result = self.statuses[min(self.served, len(self.statuses)) - 1]
            return result
        return {"ok": False, "error": {"code": "unknown_command", "message": "unknown command"}}

    def serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                if not data:
                    continue
                request = json.loads(data)
                self.requests.append(request)
                reply = self.reply_for(request)
                if "ok" not in reply:
                    reply = {"ok": True, "result": reply}
                conn.sendall((json.dumps(reply) + "\n").encode())
            if self.vanish_after is not None and self.served >= self.vanish_after:
                self.close()
                return

    def close(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.listener.close()


def test_wait_prints_progress_as_it_changes(tmp_path):
    fake = FakeAgent(tmp_path / "fake.sock", status(entry("draining", 2.0, 9)), [
        status(entry("draining", 1.9, 9)),   # nothing new: no line
        status(entry("draining", 1.7, 4)),   # connections changed
        status(entry("draining", 0.9, 4)),   # a second less
        status(entry("drained")),
    ])
    r = fbfctl(fake.path, "maintenance", "start", "web", "--drain-time", "2s", "--wait")
    fake.close()
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "web: draining, 2s left, 9 connections (target <= 0)",
        "web: draining, 2s left, 4 connections (target <= 0)",
        "web: draining, 1s left, 4 connections (target <= 0)",
        "web: drained",
        "done: web is drained",
    ]
    assert fake.requests[0] == {"command": "maintenance start",
                                "args": {"services": ["web"], "drain_time": "2s"}}
    assert all(q["command"] == "maintenance status" for q in fake.requests[1:])


def test_output_is_unbuffered_for_prestop_hooks(tmp_path):
    # The first line must reach a pipe while fbfctl is still waiting.
    fake = FakeAgent(tmp_path / "fake.sock", status(entry("draining", 30.0)),
                     [status(entry("draining", 30.0))])
    proc = subprocess.Popen([str(FBFCTL), "-s", fake.path, "maintenance", "start", "--wait"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 5)
        assert ready, "no progress line within 5 s: output is buffered"
        line = proc.stdout.readline()
        assert line == "web: draining, 30s left\n"
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
        fake.close()


def test_agent_going_away_while_waiting_exits_3(tmp_path):
    fake = FakeAgent(tmp_path / "fake.sock", status(entry("draining", 30.0)),
                     [status(entry("draining", 29.5))] * 3, vanish_after=3)
    r = fbfctl(fake.path, "maintenance", "start", "--wait")
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert r.stdout.startswith("web: draining, 30s left\n")
    assert "cannot reach fbfd" in r.stderr


def test_timeout_gives_up_with_exit_1(tmp_path):
    fake = FakeAgent(tmp_path / "fake.sock", status(entry("draining", 30.0)),
                     [status(entry("draining", 30.0))])
    started = time.monotonic()
    r = fbfctl(fake.path, "maintenance", "start", "--wait", "--timeout", "600ms")
    fake.close()
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr == "fbfctl: gave up after 600ms waiting for drained: web (draining)\n"
    assert time.monotonic() - started < 5


def test_stopped_by_someone_else_while_waiting_exits_1(tmp_path):
    fake = FakeAgent(tmp_path / "fake.sock", status(entry("draining", 30.0)),
                     [status(entry("restoring", 30.0))])
    r = fbfctl(fake.path, "maintenance", "start", "--wait")
    fake.close()
    assert r.returncode == 1
    assert "went restoring while waiting for drained" in r.stderr


def test_json_wait_prints_one_document(tmp_path):
    fake = FakeAgent(tmp_path / "fake.sock", status(entry("restoring", 30.0)),
                     [status(entry("active"))])
    r = fbfctl(fake.path, "--json", "maintenance", "stop", "--wait")
    fake.close()
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["services"][0]["phase"] == "active"


def test_show_services_renders_partial_replies(tmp_path):
    reply = {"services": [
        {"service": "web", "announcement": "announced", "reason": "healthy",
         "prefixes": ["203.0.113.10/32"], "neighbors": ["r1"], "maintenance": "active",
         "health": {"verdict": "healthy", "check": "http http://127.0.0.1/", "last_result": "ok",
                    "detail": "HTTP 200", "latency_ms": 1.5, "consecutive_ok": 3,
                    "consecutive_failed": 0},
         "addresses": {"interface": "lo", "ok": True, "why": "",
                       "addresses": [{"address": "203.0.113.10", "present": True,
                                      "owned": True}]}},
        {"service": "dns", "announcement": "withdrawn", "reason": "disable file exists",
         "health": None, "addresses": None},
    ]}

    class Services(FakeAgent):
        def reply_for(self, request):
            return reply

    fake = Services(tmp_path / "fake.sock", None, [])
    r = fbfctl(fake.path, "show", "services")
    fake.close()
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].split() == ["web", "healthy", "announced", "active", "ok:", "HTTP", "200",
                                "1.5ms", "203.0.113.10", "on", "lo"]
    assert lines[2].split() == ["dns", "-", "withdrawn", "-", "-", "-", "-"]
    assert lines[-1] == "dns: withdrawn: disable file exists"
