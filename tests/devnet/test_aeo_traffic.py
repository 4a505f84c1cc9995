"""`singlewindow up --traffic N --once` on Viet Nam, Laos and Thailand: each node's sample
trader becomes an AEO, the three nodes record one mutual recognition arrangement, and midway
one AEO is suspended at home. The counts are the run's own: declarations whose selection
gave an AEO its benefits, the one suspension, and how long until every partner refused it
the benefit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.nodes import free_ports

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(400)
def test_the_traffic_grants_aeos_their_benefits_and_a_suspension_reaches_every_partner(
        tmp_path: Path) -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "singlewindow"), "up", "--countries", "VN,LA,TH",
         "--traffic", "4", "--once", "--root", str(tmp_path), "--base-port",
         str(free_ports(3))],
        capture_output=True, text=True, timeout=360, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert "failed" not in run.stdout, run.stdout
    assert counts["trades"] == 4
    assert counts["aeo_declarations"] > 0
    assert counts["aeo_suspensions"] == 1
    assert 0 < counts["aeo_propagation_ms_max"] < 5000
    assert counts["messages_sent"] == counts["messages_delivered"]
