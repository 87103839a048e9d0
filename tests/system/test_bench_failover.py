"""bench/compare/failover.py's timing of the service failure: the planned
phases cover one check interval evenly and are the same for every setup, and
the bench's service logs the time of every connection the check makes."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "compare"))

import failover  # noqa: E402


def test_phases_are_the_midpoints_of_equal_slices_of_the_interval():
    plan = failover.phase_plan(5, 100, seed=0)
    assert sorted(plan) == pytest.approx([10, 30, 50, 70, 90])
    assert sorted(failover.phase_plan(4, 20, seed=3)) == pytest.approx([2.5, 7.5, 12.5, 17.5])


def test_every_setup_of_a_repetition_gets_the_same_order_and_repetitions_differ():
    assert failover.phase_plan(5, 100, seed=1) == failover.phase_plan(5, 100, seed=1)
    orders = {tuple(failover.phase_plan(5, 100, seed=s)) for s in range(5)}
    assert len(orders) > 1


def test_an_incomplete_last_line_of_the_accept_log_is_not_read(tmp_path):
    log = tmp_path / "accepts.log"
    assert failover.read_accept_log(log) == []
    log.write_text("1.5\n2.25\n3.")
    assert failover.read_accept_log(log) == [1.5, 2.25]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_service_logs_each_check_connection_with_its_time(tmp_path):
    log = tmp_path / "accepts.log"
    tcp, udp = _free_port(), _free_port()
    proc = subprocess.Popen([sys.executable, str(failover.SERVICE), "127.0.0.1", str(udp),
                             str(tcp), "a", str(log)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", tcp), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the service never listened"
                time.sleep(0.02)
        before = time.time()
        socket.create_connection(("127.0.0.1", tcp), timeout=1).close()
        while len(failover.read_accept_log(log)) < 2:
            assert time.monotonic() < deadline, "the second connection was not logged"
            time.sleep(0.01)
        first, second = failover.read_accept_log(log)
        assert first <= second
        assert before - 0.001 <= second <= time.time()
    finally:
        proc.kill()
        proc.wait()


def test_latencies_are_compared_trial_by_trial_at_the_same_phase():
    def s(phase, ms):
        return {"planned_phase_ms": phase, "ms": ms}
    mine = [[s(10, 90), s(50, 50), None], [s(30, 70)]]
    theirs = [[s(50, 65), s(10, 100), s(90, 30)], [s(30, 80), s(70, 45)]]
    # rep 1: phase 10 -> 90 - 100, phase 50 -> 50 - 65 (the failed trial has no pair);
    # rep 2: phase 30 only (theirs at 70 has no partner)
    assert failover.phase_paired_differences(mine, theirs) == [-10, -15, -10]
    assert failover.phase_paired_differences([[s(10, 5)]], [[None]]) == []
