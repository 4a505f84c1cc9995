"""The CIDD import format: the public "Customs Import Declaration Datasets" (Jeong et al., 2022).

One CSV row per declaration with the columns below; `HS6 Code` is stored as an integer, so its
leading zeros are restored; `Critical Fraud` is 0 (none), 1 (fraud) or 2 (critical fraud).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from singlewindow.core.errors import Invalid, Problem
from singlewindow.risk.learning.record import ScoringRecord

COLUMNS = (
    "Declaration ID",
    "Date",
    "Office ID",
    "Process Type",
    "Import Type",
    "Import Use",
    "Payment Type",
    "Mode of Transport",
    "Declarant ID",
    "Importer ID",
    "Seller ID",
    "Courier ID",
    "HS6 Code",
    "Country of Departure",
    "Country of Origin",
    "Tax Rate",
    "Tax Type",
    "Country of Origin Indicator",
    "Net Mass",
    "Item Price",
)
LABELS = ("Fraud", "Critical Fraud")


def _number(text: str) -> float:
    return float(text) if text else 0.0


def parse_row(row: dict[str, str], *, with_labels: bool = True) -> ScoringRecord:
    fraud: bool | None = None
    critical: bool | None = None
    if with_labels and row.get("Fraud", "") != "":
        fraud = row["Fraud"] == "1"
        critical = row.get("Critical Fraud", "") == "2"
    hs6 = row["HS6 Code"].strip()
    if hs6.endswith(".0"):
        hs6 = hs6[:-2]
    return ScoringRecord(
        declaration_id=row["Declaration ID"],
        date=date.fromisoformat(row["Date"]),
        office=row["Office ID"],
        importer=row["Importer ID"],
        declarant=row["Declarant ID"],
        seller=row["Seller ID"],
        courier=row["Courier ID"],
        hs6=hs6.zfill(6),
        origin=row["Country of Origin"],
        departure=row["Country of Departure"],
        transport_mode=row["Mode of Transport"],
        tax_rate=_number(row["Tax Rate"]),
        tax_type=row["Tax Type"],
        net_mass=_number(row["Net Mass"]),
        value=_number(row["Item Price"]),
        procedure=row["Import Type"],
        declaration_type=row["Process Type"],
        goods_use=row["Import Use"],
        payment_method=row["Payment Type"],
        origin_claim=row["Country of Origin Indicator"],
        fraud=fraud,
        critical=critical,
    )


def read(
    path: str | Path, *, with_labels: bool = True, limit: int | None = None
) -> list[ScoringRecord]:
    """Every declaration of one CIDD file, in file order.

    `with_labels=False` drops the outcome columns on reading, so that nothing downstream can
    use them (the evaluated file's labels are read separately, only to compute metrics).
    """
    return list(_rows(Path(path), with_labels=with_labels, limit=limit))


def _rows(path: Path, *, with_labels: bool, limit: int | None) -> Iterator[ScoringRecord]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise Invalid([Problem(str(path), f"not a CIDD file: missing {', '.join(missing)}")])
        for number, row in enumerate(reader, start=2):
            if limit is not None and number - 2 >= limit:
                return
            try:
                yield parse_row(row, with_labels=with_labels)
            except ValueError as exc:
                raise Invalid([Problem(f"{path}:{number}", str(exc))]) from exc


def read_many(paths: Iterable[str | Path], *, with_labels: bool = True) -> list[ScoringRecord]:
    records: list[ScoringRecord] = []
    for path in paths:
        records.extend(read(path, with_labels=with_labels))
    return records
