"""The README's first command runs tests/lab/demo.py: it must keep passing
every step (router learns the route, failover on a failing HTTP check,
maintenance round trip, host failure)."""
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

DEMO = Path(__file__).parent / "demo.py"


def test_demo_passes_every_step(need):
    need("fbfd", "bird")
    cp = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=240)
    print(cp.stdout[-4000:])
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-3000:]
    assert "demo finished: every step passed." in cp.stdout
    for step in ("router learned 203.0.113.10/32", "gone from the router's RIB",
                 "draining: the router has 203.0.113.10/32 with communities",
                 "drained: the route is withdrawn", "route gone from the router"):
        assert step in cp.stdout, step
