"""Schema fuzzing of every API operation, as each role and as nobody (issue 10).

Schemathesis reads the node's own OpenAPI schema and sends what it allows and what it does not
(examples, boundary values, fuzzed bodies, stateful sequences) to a real node process over real
HTTP, with the token of each role in turn. Two checks: no answer is a server error, and every
answer matches the schema it claims. The node is one of a two-country network, so that the
exchange and origin routes are fuzzed too, on SQLite and on PostgreSQL.

The run is bounded (`MAX_EXAMPLES` per operation and phase, a fixed seed per role, so a failure
reproduces); `make fuzz` runs only this file, ten times deeper (`SINGLEWINDOW_FUZZ_EXAMPLES`).
Each role fuzzes a node of its own: the admin's run revokes tokens and disables users, which
would leave a role after it only 401s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from singlewindow.core.paths import OPENAPI
from singlewindow.devnet.network import NodeProcess, provision, stop_network
from tests.nodes import free_ports

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = int(os.environ.get("SINGLEWINDOW_FUZZ_EXAMPLES", "5"))
ROLES = ["anonymous", "trader", "broker", "bank", "issuer", "officer", "admin"]  # anonymous: none
CHECKS = "not_a_server_error,response_schema_conformance"


def _schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install -e '.[dev]')")
    return found


@pytest.fixture
def fuzzed_node(database, tmp_path: Path) -> Iterator[NodeProcess]:
    """Viet Nam's node on `database`, in a network with Cambodia's (on its own SQLite)."""
    base = free_ports(2)
    nodes = provision(tmp_path, ["VN", "KH"], base)
    vn, kh = nodes
    try:
        vn.start({"SINGLEWINDOW_DATABASE_URL": database.url, "SINGLEWINDOW_RANDOM_SHARE": "0"})
        kh.start()
        vn.wait_ready()
        kh.wait_ready()
        yield vn
    finally:
        stop_network(nodes)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_a_server_error_or_breaks_its_schema(fuzzed_node, tmp_path, role):
    st = _schemathesis()
    token = fuzzed_node.tokens().get(role)
    auth = [] if token is None else ["-H", f"Authorization: Bearer {token}"]
    seed = ROLES.index(role) + 1
    command = [
        st, "run", f"{fuzzed_node.url}{OPENAPI}", *auth,
        "--checks", CHECKS,
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(seed),
        "--workers", "1",
        "--no-color",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=800,
                         cwd=tmp_path, env=os.environ | {"NO_COLOR": "1"})
    report = run.stdout + run.stderr
    summary = [line.strip() for line in report.splitlines() if " generated, " in line]
    print(f"{role}: {summary[-1] if summary else 'no summary'}")
    assert summary, f"schemathesis ran no test as {role}:\n{report[-4000:]}"
    assert run.returncode == 0, f"as {role} (seed {seed}):\n{report[-8000:]}"
