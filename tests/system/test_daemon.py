"""fbfd as a process: control socket, reload, signals, metrics, bad input."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import promtext
from conftest import FBFD, Agent, wait_until


def scrape(agent):
    with urllib.request.urlopen(f"http://127.0.0.1:{agent.port}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return promtext.parse(r.read().decode())


def test_show_status_json(agent):
    agent.start()
    r = agent.ctl("show", "status", json_out=True)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["version"]
    assert s["uptime_seconds"] >= 0
    assert s["config_file"] == str(agent.config)
    assert s["pid"] == agent.proc.pid
    human = agent.ctl("show", "status")
    assert human.returncode == 0
    assert "uptime" in human.stdout and str(agent.config) in human.stdout
    # --json may also come after the subcommand.
    again = agent.ctl("show", "status", "--json")
    assert json.loads(again.stdout)["pid"] == agent.proc.pid


def test_metrics_parse_as_prometheus_text(agent):
    agent.start()
    fams = scrape(agent)
    assert fams["fbf_build_info"]["type"] == "gauge"
    assert promtext.value(fams, "fbf_build_info") == 1
    assert fams["fbf_uptime_seconds"]["samples"][0][2] >= 0
    assert fams["fbf_config_reloads_total"]["type"] == "counter"
    assert promtext.value(fams, "fbf_config_reloads_total", result="ok") == 0
    assert promtext.value(fams, "fbf_config_reloads_total", result="error") == 0
    # Unknown paths are 404, not metrics.
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{agent.port}/nope", timeout=5)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as e:
        assert e.code == 404


def test_sighup_with_broken_file_keeps_running_config(agent):
    agent.start()
    good = agent.config.read_text()
    agent.config.write_text(good + "\nnot_a_key = 1\n")
    agent.signal(signal.SIGHUP)
    wait_until(lambda: promtext.value(scrape(agent), "fbf_config_reloads_total", result="error") == 1,
               5, "the reload error to be counted")
    assert agent.proc.poll() is None
    assert agent.ctl("show", "status").returncode == 0
    assert promtext.value(scrape(agent), "fbf_config_last_reload_successful") == 0
    assert "not_a_key" in agent.log_text()
    # fbfctl reload reports the same errors and exits 1.
    r = agent.ctl("reload")
    assert r.returncode == 1
    assert "not_a_key" in r.stderr and f"{agent.config}:" in r.stderr
    # Fixed file: reload applies and is counted.
    agent.config.write_text(good.replace('log_level = "debug"', 'log_level = "info"'))
    r = agent.ctl("reload")
    assert r.returncode == 0, r.stderr
    fams = scrape(agent)
    assert promtext.value(fams, "fbf_config_reloads_total", result="ok") == 1
    assert promtext.value(fams, "fbf_config_reloads_total", result="error") == 2
    status = json.loads(agent.ctl("show", "status", json_out=True).stdout)
    assert status["last_reload"]["result"] == "ok"


def test_sigterm_exits_0_within_2s_and_removes_socket(agent):
    agent.start()
    t0 = time.monotonic()
    agent.signal(signal.SIGTERM)
    assert agent.proc.wait(2) == 0
    assert time.monotonic() - t0 < 2
    assert not agent.socket.exists()


def test_sigint_is_a_clean_stop_too(agent):
    agent.start()
    agent.signal(signal.SIGINT)
    assert agent.proc.wait(2) == 0


def test_garbage_on_control_socket_does_not_disturb(agent):
    agent.start()
    # 1,000 garbage lines on one connection: answered with an error, then closed.
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(agent.socket))
        s.settimeout(5)
        try:
            s.sendall(b"".join(b"garbage %d \x00\xff{[\n" % i for i in range(1000)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = s.recv(65536).split(b"\n")[0]
        assert json.loads(reply)["error"]["code"] == "malformed_request"
    # 1,000 garbage lines on 1,000 connections.
    for i in range(1000):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(agent.socket))
            try:
                s.sendall(b"%d garbage\n" % i)
            except (BrokenPipeError, ConnectionResetError):
                pass  # over the client limit: answered "busy" and closed before we wrote

    # Each of the 1,001 bad connections is answered: as malformed, or — while
    # more than 64 were open at once — as busy. None goes unanswered.
    def rejected():
        fams = scrape(agent)
        return (promtext.value(fams, "fbf_control_rejected_total", reason="malformed"),
                promtext.value(fams, "fbf_control_rejected_total", reason="busy"))
    wait_until(lambda: sum(rejected()) == 1001, 10, "every bad connection to be answered")
    malformed, busy = rejected()
    assert malformed >= 64, (malformed, busy)
    wait_until(lambda: promtext.value(scrape(agent), "fbf_control_clients") == 0, 10,
               "the rejected clients to be gone")
    # A 10 MiB line.
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(agent.socket))
        s.settimeout(5)
        sent_error = None
        try:
            s.sendall(b"x" * (10 * 1024 * 1024))
        except (BrokenPipeError, ConnectionResetError) as e:
            sent_error = e
        try:
            reply = s.recv(65536)
        except ConnectionResetError:
            reply = b""
        assert b"request_too_long" in reply or sent_error is not None
    assert agent.proc.poll() is None
    r = agent.ctl("show", "status", json_out=True)
    assert r.returncode == 0 and json.loads(r.stdout)["pid"] == agent.proc.pid
    fams = scrape(agent)
    assert sum(rejected()) == 1001  # nothing more was counted as malformed/busy
    assert promtext.value(fams, "fbf_control_rejected_total", reason="too_long") == 1


def test_restart_after_sigkill_replaces_stale_socket(agent):
    agent.start()
    agent.proc.kill()
    agent.proc.wait()
    assert agent.socket.exists()  # left behind by the killed process
    agent.log.close()
    agent.start()
    assert agent.ctl("show", "status").returncode == 0


def test_second_instance_refuses_a_live_socket(agent, tmp_path):
    agent.start()
    r = subprocess.run([str(FBFD), "-c", str(agent.config)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "another fbfd is answering" in r.stderr
    assert agent.ctl("show", "status").returncode == 0


def test_journal_stream_lines_carry_syslog_priority(tmp_path):
    a = Agent(tmp_path)
    log = open(a.log_path, "wb")
    st = os.fstat(log.fileno())
    a.env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    a.start()
    a.stop()
    lines = [l for l in a.log_text().splitlines() if l]
    assert lines and all(l[:3] in ("<7>", "<6>", "<4>", "<3>", "<2>") for l in lines), lines[:5]
    assert any(l.startswith("<6>fbfd ") for l in lines)
    assert not any(l[3:7].isdigit() for l in lines)  # no timestamps under journald


def test_sd_notify_ready_reloading_stopping_watchdog(tmp_path):
    notify_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify_path))
    sock.settimeout(5)
    a = Agent(tmp_path, env={"NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "200000"})
    try:
        a.start(wait=False)
        got = []

        def receive_until(message):
            while message not in got:
                got.append(sock.recv(4096).decode())
        receive_until("READY=1")
        receive_until("WATCHDOG=1")
        a.signal(signal.SIGHUP)
        receive_until("RELOADING=1")
        assert got.count("READY=1") >= 1
        a.signal(signal.SIGTERM)
        receive_until("STOPPING=1")
        assert a.proc.wait(2) == 0
        assert got.index("READY=1") < got.index("STOPPING=1")
    finally:
        a.stop()
        sock.close()
