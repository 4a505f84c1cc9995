"""`singlewindow up --traffic N --once` on Cambodia and Viet Nam: beside the trades, Viet
Nam records a consent for two plastic waste shipments from Cambodia; of five shipments, the
one without a Basel code, the one without the consent's reference and the one over what is
left are stopped, the two consented pass. The counts are what Viet Nam's node answered."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from singlewindow.devnet.network import traffic_summary
from tests.nodes import free_ports

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(400)
def test_the_traffic_ships_waste_with_and_without_consent(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "singlewindow"), "up", "--countries", "KH,VN",
         "--traffic", "2", "--once", "--root", str(tmp_path), "--base-port",
         str(free_ports(2))],
        capture_output=True, text=True, timeout=360, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert "failed" not in run.stdout, run.stdout[-3000:]
    assert counts["waste_stopped"] == 3
    assert counts["waste_passed"] == 2


def test_the_summary_names_the_waste_counts() -> None:
    lines = [" ".join(line.replace("│", " ").split()) for line in _rendered(
        traffic_summary({"waste_stopped": 3, "waste_passed": 2}, requested=2))]
    assert "waste shipments stopped (Basel) 3" in lines
    assert "waste shipments passed under consent or attestation 2" in lines


def _rendered(renderable: object) -> list[str]:
    console = Console(file=io.StringIO(), width=160, record=True)
    console.print(renderable)
    return console.export_text().splitlines()
