"""`singlewindow up --traffic N --once` on Laos, Thailand, Malaysia and Singapore: trucks go
from Vientiane to Woodlands through Nong Khai and Bukit Kayu Hitam, over real node processes.
The counts are the run's own: one late truck goes overdue, into enquiry and to recovery; one
with a broken seal is a discrepancy the office of departure solves; the others are
discharged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nodes import free_ports

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(400)
def test_the_traffic_drives_trucks_to_discharge_discrepancy_and_enquiry(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "singlewindow"), "up", "--countries", "LA,TH,MY,SG",
         "--traffic", "2", "--once", "--root", str(tmp_path), "--base-port",
         str(free_ports(4))],
        capture_output=True, text=True, timeout=360, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert "failed" not in run.stdout, run.stdout
    # Three trucks: the late one (crosses Thailand only), one broken seal, one clean.
    assert counts["transit_released"] == 3
    assert counts["transit_crossings"] == 1 + 2 + 2
    assert counts["transit_arrived"] == 2
    assert counts["transit_discrepancies"] == 1
    assert counts["transit_discharged"] == 2
    assert counts["transit_overdue"] == 1 and counts["transit_recovered"] == 1
    assert counts["messages_sent"] == counts["messages_delivered"]
