"""`singlewindow up` stops its nodes when it is stopped: by Ctrl-C, and by a SIGTERM (a
service manager, a CI timeout), which once left them serving without their parent."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from singlewindow.core.paths import API
from tests.nodes import free_port


def serving(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{API}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_a_sigterm_stops_every_node_of_the_network(tmp_path: Path) -> None:
    port = free_port()
    up = subprocess.Popen(
        [str(Path(sys.executable).parent / "singlewindow"), "up", "--countries", "KH",
         "--base-port", str(port), "--root", str(tmp_path / "network")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while not serving(port):
            assert up.poll() is None, "up exited before its node served"
            assert time.monotonic() < deadline, "the node did not serve within 90 s"
            time.sleep(0.3)
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=30) == 0
        assert not serving(port), "the node still serves after up was stopped"
    finally:
        if up.poll() is None:
            up.kill()
