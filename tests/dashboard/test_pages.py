"""The manager's dashboard: figures from real declarations, CSV downloads, read-only roles."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

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


def test_the_dashboard_shows_targets_origins_chapters_hit_rates_and_pre_arrival(
    node: NodeClient,
) -> None:
    from datetime import date

    from singlewindow.reference import services as reference
    from singlewindow.reference.model import RevenueTarget

    clearance = node.opened.clearance
    for n in range(2):
        clearance.lodge(import_declaration(f"TOP-{n}"), TRADER)
    year = date.today().year
    reference.set_revenue_target(node.opened.database, "VN",
                                 RevenueTarget("VNHCM01", year, Decimal("1000000"), "VND"),
                                 "admin")
    manager = console_as(node, "manager")
    page = manager.get("/dashboard")
    assert page.status_code == 200 and "Figures as of" in page.text
    for section in ("revenue-target", "hit-rates", "pre-arrival", "exchange", "top-origins",
                    "top-chapters"):
        assert f'id="{section}"' in page.text, section
    assert "built-in method" not in page.text
    target = list(csv.DictReader(io.StringIO(manager.get("/dashboard/revenue-target.csv").text)))
    assert target[0]["office"] == "VNHCM01" and Decimal(target[0]["target"]) == 1000000
    origins = list(csv.DictReader(io.StringIO(manager.get("/dashboard/top-origins.csv").text)))
    chapters = list(csv.DictReader(io.StringIO(manager.get("/dashboard/top-chapters.csv").text)))
    assert origins and Decimal(origins[0]["customs_value"]) > 0
    assert sum(int(r["items"]) for r in origins) == sum(int(r["items"]) for r in chapters) >= 2
    random = list(csv.DictReader(io.StringIO(manager.get("/dashboard/hit-rates.csv").text)))
    assert random[-1]["selection"] == "random"
    share = list(csv.DictReader(io.StringIO(manager.get("/dashboard/pre-arrival.csv").text)))
    assert int(share[0]["imports"]) == 2 and int(share[0]["with_pre_arrival"]) == 0


def test_figures_are_computed_at_most_once_a_minute_per_filter(node: NodeClient) -> None:
    manager = console_as(node, "manager")
    first = list(csv.DictReader(io.StringIO(manager.get("/dashboard/revenue.csv").text)))
    node.opened.clearance.lodge(import_declaration("LATER-1"), TRADER)
    again = list(csv.DictReader(io.StringIO(manager.get("/dashboard/revenue.csv").text)))
    assert again == first  # the kept figures, as of the time the page says
    other = manager.get("/dashboard/revenue.csv?office=VNHCM01")  # another filter: fresh
    assert len(list(csv.DictReader(io.StringIO(other.text)))) == 1


def test_a_profiles_hit_rate_counts_the_inspections_that_found_something(
    node: NodeClient,
) -> None:
    from datetime import date

    from singlewindow.risk import services as risk
    from singlewindow.risk.model import Channel, InspectionOutcome
    from singlewindow.risk.statistics import hit_rates
    from tests.builders import OFFICER

    risk.create_rule(node.opened.database, risk.RuleDraft(
        name="All coffee", channel=Channel.RED, valid_from=date(2026, 1, 1),
        criteria=[{"field": "commodity_code", "operator": "prefix", "value": "0901"}]), "admin")
    clearance = node.opened.clearance
    clearance.selectivity.refresh()
    found, clean = (clearance.lodge(import_declaration(f"HIT-{n}"), TRADER) for n in range(2))
    clearance.record_inspection(found.number, InspectionOutcome.SEIZURE, OFFICER, "drugs")
    clearance.record_inspection(clean.number, InspectionOutcome.NO_DISCREPANCY, OFFICER)
    from singlewindow.core.clock import utcnow

    today = utcnow().date()
    rates = {r["selection"]: r for r in hit_rates(node.opened.database, today, today)}
    assert (rates["All coffee"]["inspected"], rates["All coffee"]["findings"]) == (2, 1)
    assert rates["All coffee"]["hit_rate"] == 0.5
    assert rates["random"]["inspected"] == 0
    yesterday = date.fromordinal(today.toordinal() - 1)
    assert "All coffee" not in {r["selection"] for r in hit_rates(node.opened.database,
                                                                  yesterday, yesterday)}
