"""The manager's dashboard: figures from real declarations, CSV downloads, read-only roles."""

from __future__ import annotations

import csv
import io

from singlewindow.declarations.statistics import percentile
from tests.builders import TRADER, import_declaration
from tests.nodes import NodeClient
from tests.web.console import console_as


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0


def test_the_dashboard_counts_todays_declarations_by_channel(node: NodeClient) -> None:
    clearance = node.opened.clearance
    for n in range(3):
        clearance.lodge(import_declaration(f"DASH-{n}"), TRADER)
    manager = console_as(node, "manager")
    page = manager.get("/dashboard")
    assert page.status_code == 200
    assert 'id="per-day-chart"' in page.text and "VNHCM01" in page.text
    rows = list(csv.DictReader(io.StringIO(manager.get("/dashboard/declarations-per-day.csv")
                                           .text)))
    assert sum(int(r["green"]) + int(r["yellow"]) + int(r["red"]) for r in rows) == 3
    revenue = list(csv.DictReader(io.StringIO(manager.get("/dashboard/revenue.csv").text)))
    assert revenue[0]["office"] == "VNHCM01" and float(revenue[0]["assessed"]) > 0


def test_the_dashboard_refuses_a_bad_period_and_other_roles(node: NodeClient) -> None:
    manager = console_as(node, "manager")
    backwards = manager.get("/dashboard?from=2026-05-02&to=2026-05-01")
    assert backwards.status_code == 422 and "ends before it starts" in backwards.text
    assert manager.get("/dashboard/nothing.csv").status_code == 422
    assert console_as(node, "trader").get("/dashboard").status_code == 403
    assert console_as(node, "officer").get("/dashboard").status_code == 403


def test_a_manager_changes_nothing(node: NodeClient) -> None:
    manager = console_as(node, "manager")
    assert manager.get("/declarations/new").status_code == 403
    assert manager.post_form("/declarations/new", {"lrn": "X"}).status_code == 403
    assert manager.get("/worklist").status_code == 403
