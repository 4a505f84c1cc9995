"""From what selectivity sees of a consignment (a `RiskSubject`, or its facts as stored with a
selection) to what the learned model reads (`ScoringRecord`s): one record per goods item.

A declaration's score is the highest of its items' scores: the riskiest goods decide. Fields a
consignment lacks (a pre-arrival record has no office, declarant or customs value) are left
empty or zero; the model reads an empty party as "no history" and a zero value as "no unit
value", as it was trained to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from singlewindow.risk.learning.record import ScoringRecord
from singlewindow.risk.model import InspectionOutcome, RiskSubject


def scoring_records(
    subject: RiskSubject,
    on: date,
    reference: str = "",
    outcome: InspectionOutcome | None = None,
) -> list[ScoringRecord]:
    """The records of one consignment, labelled with its inspection outcome when there is one
    (fraud: something was found; critical: a seizure)."""
    return records_from_facts(subject.header, subject.items, on, reference, outcome)


def records_from_facts(
    header: Mapping[str, object],
    items: Sequence[Mapping[str, object]],
    on: date,
    reference: str = "",
    outcome: InspectionOutcome | None = None,
) -> list[ScoringRecord]:
    fraud = None if outcome is None else outcome.found_something
    critical = None if outcome is None else outcome is InspectionOutcome.SEIZURE
    preference = _text(header.get("preference"))
    kind = _text(header.get("type"))
    importer = _text(header.get("importer")) or _text(header.get("buyer"))
    if kind == "export":
        importer = _text(header.get("exporter")) or importer
    common = {
        "date": on,
        "office": _text(header.get("office")),
        "importer": importer,
        "declarant": _text(header.get("declarant")),
        "seller": _text(header.get("seller")) or _text(header.get("exporter")),
        "courier": _text(header.get("courier")),
        "departure": _text(header.get("export_country")),
        "transport_mode": _text(header.get("transport_mode")),
        "tax_type": preference or "general",
        "procedure": kind,
        "origin_claim": preference,
        "fraud": fraud,
        "critical": critical,
    }
    records = []
    for index, item in enumerate(items or [{}]):
        code = _text(item.get("commodity_code"))
        records.append(
            ScoringRecord(
                declaration_id=f"{reference}#{index + 1}" if reference else str(index + 1),
                hs6=code[:6].ljust(6, "0") if code else "",
                origin=_text(item.get("origin_country")),
                # The tariff room may add the applied duty rate to the item facts; until then
                # it reads as zero, the same for every declaration.
                tax_rate=_number(item.get("duty_rate")),
                net_mass=_number(item.get("net_mass")),
                value=_number(item.get("customs_value")),
                **common,  # type: ignore[arg-type]
            )
        )
    return records


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _number(value: object) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, float | int):
        return float(value)
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return 0.0
