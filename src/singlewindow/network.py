"""A local network: one real node process per country on loopback, each with its own
database, started and watched by `singlewindow up`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

console = Console()


@dataclass
class NodeProcess:
    country: str
    port: int
    home: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_node(country: str, port: int, home: Path, sample: bool = True,
               extra_env: dict[str, str] | None = None) -> NodeProcess:
    home.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "SINGLEWINDOW_COUNTRY": country,
        "SINGLEWINDOW_HOME": str(home),
        "SINGLEWINDOW_SAMPLE": "1" if sample else "0",
    } | (extra_env or {})
    if "SINGLEWINDOW_DATABASE_URL" not in (extra_env or {}):
        env.pop("SINGLEWINDOW_DATABASE_URL", None)  # each node its own SQLite database
    log = (home / "node.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "singlewindow.api.server:node_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    return NodeProcess(country, port, home, process)


def wait_ready(node: NodeProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"node {node.country} exited; see {node.home}/node.log")
        try:
            if httpx.get(f"{node.url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"node {node.country} did not answer within {timeout} s")


def run_network(countries: list[str], base_port: int, root: Path = Path("var/network")) -> None:
    nodes = [
        start_node(country, base_port + index, root / country)
        for index, country in enumerate(countries)
    ]
    try:
        for node in nodes:
            wait_ready(node)
        table = Table("country", "API", "docs", "tokens")
        for node in nodes:
            table.add_row(node.country, node.url, f"{node.url}/docs",
                          str(node.home / f"tokens-{node.country}.json"))
        console.print(table)
        console.print("Serving until interrupted (Ctrl-C).")
        while all(node.process.poll() is None for node in nodes):
            time.sleep(0.5)
        raise SystemExit("a node stopped; see its node.log")
    except KeyboardInterrupt:
        pass
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in nodes:
            try:
                node.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                node.process.kill()
