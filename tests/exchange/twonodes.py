"""Two real node processes on loopback (uvicorn + `nodeapp`), for e2e tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from singlewindow.core.db import Database
from singlewindow.core.migrate import upgrade
from singlewindow.exchange import pki
from singlewindow.exchange.pmode import ProcessingModes
from singlewindow.exchange.services import Gateway
from tests.nodes import free_port

HERE = Path(__file__).resolve().parent
SERVICE = "urn:asw:pre-arrival"
ACTION = "ACDD"


@dataclass
class Node:
    name: str
    party_id: str
    directory: Path
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = field(default=None)  # type: ignore[type-arg]
    workers: int = 1  # uvicorn worker processes (they share the node's database)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.env["SW_DATABASE_URL"]

    def start(self, timeout: float = 30.0) -> None:
        command = [
            sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "--factory",
            "nodeapp:create_app", "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", "warning", "--no-access-log", "--workers", str(self.workers),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, env={**os.environ, **self.env}, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, like a power cut."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


def make_network(root: Path, encrypt: bool = True) -> tuple[Node, Node, Gateway]:
    """KH (sender) and VN (receiver), and a gateway on KH's database to enqueue with."""
    root.mkdir(parents=True, exist_ok=True)
    ca = pki.init_ca(root / "ca")
    kh_port, vn_port = free_port(), free_port()
    identities = {
        "kh": pki.issue_node(ca, "KH-CUSTOMS", "KH", root / "kh" / "keys"),
        "vn": pki.issue_node(ca, "VN-CUSTOMS", "VN", root / "vn" / "keys"),
    }
    ports = {"kh": kh_port, "vn": vn_port}
    legs = [{"service": SERVICE, "action": ACTION}]
    nodes = {}
    for name, other in (("kh", "vn"), ("vn", "kh")):
        me, them = identities[name], identities[other]
        trust = pki.TrustList(
            [pki.partner_from_certificate(them.certificate, f"http://127.0.0.1:{ports[other]}/as4")]
        )
        trust.save(root / name / "trust.json")
        pmode = {
            "replay_window_seconds": 900,
            "retry": {"first_delay_seconds": 0.2, "max_delay_seconds": 2, "max_attempts": 1000},
            "partners": {them.party_id: {"encrypt": encrypt, "send": legs, "receive": legs}},
        }
        (root / name / "pmode.json").write_text(json.dumps(pmode))
        nodes[name] = Node(
            name=name,
            party_id=me.party_id,
            directory=root / name,
            port=ports[name],
            log=root / name / "node.log",
            env={
                "SW_NODE_DIR": str(root / name / "keys"),
                "SW_TRUST_LIST": str(root / name / "trust.json"),
                "SW_PMODE": str(root / name / "pmode.json"),
                "SW_DATABASE_URL": f"sqlite:///{root / name / 'node.db'}",
            },
        )
    kh_database = Database(nodes["kh"].database_url)
    upgrade(kh_database)
    Database(nodes["vn"].database_url).engine.dispose()
    enqueuer = Gateway(
        kh_database,
        identities["kh"],
        pki.TrustList.load(root / "kh" / "trust.json"),
        ProcessingModes.load(root / "kh" / "pmode.json"),
    )
    return nodes["kh"], nodes["vn"], enqueuer
