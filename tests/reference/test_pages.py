"""Revenue targets in the console: the admin sets them, bad input changes nothing, and only
admins may; the rules of a target."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from singlewindow.reference import services as reference
from singlewindow.reference.model import RevenueTarget, target_problems
from tests.nodes import NodeClient
from tests.web.console import console_as

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(("year", "amount", "path"), [
    (2026, Decimal("0"), "amount"), (2026, Decimal("10") ** 18, "amount"),
    (2026, Decimal("1.005"), "amount"), (2040, Decimal("1"), "year"),
])
def test_a_target_is_a_positive_amount_for_a_near_year(year: int, amount: Decimal,
                                                       path: str) -> None:
    problems = target_problems(RevenueTarget("VNHCM01", year, amount, "VND"), TODAY)
    assert [p.path for p in problems] == [path]


def test_an_admin_sets_and_changes_a_target(node: NodeClient) -> None:
    admin = console_as(node, "admin")
    year = date.today().year
    set_once = admin.post_form("/admin/targets", {"office": "VNHCM01", "year": str(year),
                                                  "amount": "1,500,000,000"})
    assert set_once.status_code == 303
    admin.post_form("/admin/targets", {"office": "VNHCM01", "year": str(year),
                                       "amount": "2000000000"})
    targets = reference.revenue_targets(node.opened.database, year)
    assert [(t.office, t.amount) for t in targets] == [("VNHCM01", Decimal("2000000000"))]
    assert "2,000,000,000" in admin.get(f"/admin/targets?year={year}").text


def test_a_bad_target_keeps_what_was_typed_and_sets_nothing(node: NodeClient) -> None:
    admin = console_as(node, "admin")
    year = str(date.today().year)
    words = admin.post_form("/admin/targets", {"office": "VNHCM01", "year": year,
                                               "amount": "a lot"})
    assert words.status_code == 422 and 'value="a lot"' in words.text
    unknown = admin.post_form("/admin/targets", {"office": "XX99", "year": year,
                                                 "amount": "5"})
    assert unknown.status_code == 422 and "not a customs office" in unknown.text
    assert reference.revenue_targets(node.opened.database, int(year)) == []


def test_only_admins_set_targets(node: NodeClient) -> None:
    for role in ("manager", "officer", "trader"):
        client = console_as(node, role)
        assert client.get("/admin/targets").status_code == 403
        assert client.post_form("/admin/targets", {"office": "VNHCM01", "year": "2026",
                                                   "amount": "5"}).status_code == 403
