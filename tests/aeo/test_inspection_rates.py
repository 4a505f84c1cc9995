"""Over 10,000 simulated import declarations, half bought from a recognised partner AEO, half
from an unknown exporter: each group is inspected at the rate the policy sets for it (the AEO
at `aeo_random_share`, never zero; the others at `random_share`), measured with a 99.9 %
Wilson interval. Real database, real AEO register (the partner's list received), real
selectivity: only the random source is seeded."""

from __future__ import annotations

import math
import uuid
from datetime import date

from singlewindow.aeo import messages
from singlewindow.aeo.model import Arrangement, Benefit, PartnerOperator
from singlewindow.aeo.services import Aeo
from singlewindow.core.db import Database
from singlewindow.exchange.model import UserMessage
from singlewindow.risk import services as selectivity
from singlewindow.risk.model import AeoRole, Channel, RiskSubject, SelectivityPolicy
from tests.aeo.builders import NOW
from tests.aeo.test_services import VN_ADMIN

DECLARATIONS = 10_000
Z = 3.29  # 99.9 % two-sided


def wilson(hits: int, n: int, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def subject(exporter: str, n: int) -> RiskSubject:
    header = {"type": "IM", "importer": f"VN{n % 97:010d}", "exporter": exporter,
              "export_country": "TH", "export_reference": f"TH26THBKK{n:010d}",
              "office": "VNHCM01", "declarant": f"VN{n % 97:010d}"}
    items = [{"commodity_code": "10063099", "origin_country": "TH", "net_mass": 20000}]
    return RiskSubject(header, items)


def test_aeos_and_others_are_inspected_at_the_rates_the_policy_sets(
        sqlite_database: Database) -> None:
    aeo = Aeo(sqlite_database, "VN", send=lambda *args: str(uuid.uuid4()), clock=lambda: NOW)
    aeo.record_arrangement(Arrangement(
        "ASEAN-AEO-MRA", "ASEAN AEO MRA", frozenset({"TH", "VN"}), date(2026, 12, 1),
        frozenset(Benefit), frozenset(AeoRole)), VN_ADMIN)
    listed = PartnerOperator("THTRADER0001", "Siam Rice Export", ("importer_exporter",),
                             "granted", 1, NOW)
    payload = messages.list_document("TH", "ASEAN-AEO-MRA", 1, 1, [listed])
    received = UserMessage("m1@TH", NOW, "TH-CUSTOMS", "VN-CUSTOMS", messages.SERVICE,
                           messages.LIST, "ASEAN-AEO-MRA", payload=payload)
    assert aeo.admit_notice(received) is None
    with sqlite_database.unit_of_work() as session:
        aeo.receive_notice(session, received)

    policy = SelectivityPolicy(random_share=0.05, aeo_random_share=0.01)
    selectivity.set_policy(sqlite_database, policy, "admin")
    chooser = selectivity.configure(sqlite_database, 0.05, seed=20261204,
                                    aeo=aeo.register_of_benefits)
    inspected = {"aeo": 0, "other": 0}
    benefit_named = 0
    for n in range(DECLARATIONS):
        group = "aeo" if n % 2 == 0 else "other"
        exporter = "THTRADER0001" if group == "aeo" else "THTRADER0002"
        selection = chooser.decide(subject(exporter, n), NOW.date())
        assert (selection.aeo is not None) == (group == "aeo")
        if selection.aeo is not None:
            benefit_named += any("AEO benefit" in r and "THTRADER0001" in r
                                 for r in selection.reasons)
        inspected[group] += selection.channel is not Channel.GREEN
    per_group = DECLARATIONS // 2
    assert benefit_named == per_group  # every AEO channel says why
    aeo_low, aeo_high = wilson(inspected["aeo"], per_group)
    other_low, other_high = wilson(inspected["other"], per_group)
    assert aeo_low <= policy.aeo_random_share <= aeo_high, (inspected, aeo_low, aeo_high)
    assert other_low <= policy.random_share <= other_high, (inspected, other_low, other_high)
    assert aeo_high < other_low  # told apart, not by luck
    assert inspected["aeo"] > 0  # the random share still applies to AEOs
