"""`singlewindow up --traffic N --once` on Viet Nam and Cambodia: a joint operation of the
two, an alert raised by the first during the run, each declaration it selects at the other
recorded there and reported back. The counts are the run's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nodes import free_ports

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(400)
def test_the_traffic_raises_an_alert_and_its_hits_are_reported_back(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "singlewindow"), "up", "--countries", "KH,VN",
         "--traffic", "4", "--once", "--root", str(tmp_path), "--base-port",
         str(free_ports(2))],
        capture_output=True, text=True, timeout=360, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert "failed" not in run.stdout, run.stdout
    assert counts["alerts_raised"] == 1
    # At least the rider's own matching consignment; the trades may add more.
    assert counts["alert_hits"] >= 1
    assert counts["alert_hits_reported"] == counts["alert_hits"]
    assert counts["messages_sent"] == counts["messages_delivered"]
