"""bench/bfd_scale's reading of perf's syscall counts (--syscalls)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "bfd_scale"))

import bfd_scale  # noqa: E402

# What `perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_... -p PID`
# wrote for fbfd with one session over 10 s (the 2026-12-06 A/B).
PERF_CSV = """# started on Sun Dec  6 10:58:13 2026

1210,,raw_syscalls:sys_enter,24704934,100.00,,
242,,syscalls:sys_enter_timerfd_settime,24704934,100.00,,
0,,syscalls:sys_enter_epoll_wait,24704934,100.00,,
484,,syscalls:sys_enter_poll,24704934,100.00,,
<not counted>,,syscalls:sys_enter_ppoll,0,0.00,,
242,,syscalls:sys_enter_recvmmsg,24704934,100.00,,
242,,syscalls:sys_enter_sendmmsg,24704934,100.00,,
"""


def test_syscall_rates_are_per_second_by_name_with_the_total_apart():
    assert bfd_scale.syscall_rates(PERF_CSV, 10) == {
        "total": 121.0, "timerfd_settime": 24.2, "poll": 48.4, "recvmmsg": 24.2,
        "sendmmsg": 24.2}


def test_nothing_counted_is_an_empty_result():
    assert bfd_scale.syscall_rates("# started\n\n", 10) == {}
