"""An AEO application as an operator would fill it in, and the people who handle it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from singlewindow.access.model import Principal, Role
from singlewindow.aeo.model import Application, Criterion, OperatorType, Site

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
OPERATOR = "THTRADER0001"
APPLICANT = Principal("trader", Role.TRADER, party_id=OPERATOR)
OFFICER = Principal("auditor", Role.OFFICER, office="THBKK01")
ADMIN = Principal("admin", Role.ADMIN)

ANSWERS = {
    Criterion.COMPLIANCE_RECORD: "No customs offence in the last three years; two amended "
                                 "declarations, both voluntary disclosures.",
    Criterion.RECORDS_MANAGEMENT: "ERP with audit trail; invoices and permits kept seven years.",
    Criterion.FINANCIAL_SOLVENCY: "Audited accounts 2023-2025, no arrears of duty.",
    Criterion.SAFETY_SECURITY: "Fenced site, CCTV, sealed containers, staff screening.",
}


def application(operator: str = OPERATOR, consent: bool = True, **changes: Any) -> Application:
    made = Application(
        operator=operator, name="Siam Rice Export Co., Ltd.",
        address="99 Rama IV Road, Bangkok 10110",
        types=(OperatorType.IMPORTER_EXPORTER, OperatorType.MANUFACTURER),
        sites=(Site("Bangkok warehouse", "12 Port Road, Khlong Toei"),
               Site("Ayutthaya mill", "Route 32 km 61")),
        self_assessment=dict(ANSWERS), consent_to_share=consent)
    return replace(made, **changes)


def application_document(operator: str = OPERATOR, consent: bool = True) -> dict[str, Any]:
    """The same application in the API's names."""
    made = application(operator, consent)
    return {"operator": made.operator, "name": made.name, "address": made.address,
            "types": [t.value for t in made.types],
            "sites": [{"name": s.name, "address": s.address} for s in made.sites],
            "self_assessment": {c.value: text for c, text in made.self_assessment.items()},
            "consent_to_share": made.consent_to_share}


VISITED_ON = date(2026, 12, 2)
