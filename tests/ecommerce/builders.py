"""Parcels and manifests for the e-commerce tests, and a Viet Nam room over a real database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from singlewindow.access.model import Principal, Role
from singlewindow.core.db import Database
from singlewindow.ecommerce.model import normalised
from singlewindow.ecommerce.repository import HistoryRow
from singlewindow.ecommerce.services import Ecommerce
from singlewindow.reference.services import ensure_sample_reference
from singlewindow.risk.services import Selectivity
from singlewindow.tariff.services import ensure_sample_schedule, tariff_books

COUNTRY = "VN"
PLATFORM = "VNSHOP0001"
OTHER_PLATFORM = "VNMARKET002"
SHOP = Principal("shop", Role.TRADER, party_id=PLATFORM)
MARKET = Principal("market", Role.TRADER, party_id=OTHER_PLATFORM)
OFFICER = Principal("officer", Role.OFFICER, office="VNHCM01")
ADMIN = Principal("admin", Role.ADMIN)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
JSONL = "application/x-ndjson"
# A national line of the sample schedule: duty 15 %, VAT 10 %.
LINE = "03011100"


def parcel(n: int = 1, **changes: Any) -> dict[str, Any]:
    """A parcel of 20 USD (508,000 VND at the sample rate: under the sample de minimis of
    1,000,000 VND)."""
    base: dict[str, Any] = {
        "order_reference": f"ORD-{n:06d}",
        "seller": f"Seller {n % 7}",
        "buyer": f"Buyer {n}",
        "description": "Phone case, silicone, black",
        "quantity": 1,
        "value": "20.00",
        "currency": "USD",
        "origin": "CN",
        "transport_document": f"HAWB{n:08d}",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def jsonl(parcels: Iterable[dict[str, Any] | str]) -> bytes:
    return b"\n".join(p.encode() if isinstance(p, str) else orjson.dumps(p) for p in parcels)


def as_csv(parcels: Iterable[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    rows = list(parcels)
    names = columns or list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, names, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def room(database: Database, **options: Any) -> Ecommerce:
    """Viet Nam's room on the packaged sample tariff and rates, without random checks."""
    ensure_sample_schedule(database, COUNTRY)
    ensure_sample_reference(database, COUNTRY)
    chooser = Selectivity(database, 0.0, seed=7)
    return Ecommerce(database, COUNTRY, selectivity=chooser, tariff=tariff_books(database),
                     **options)


def known_sellers(service: Ecommerce, sellers: Iterable[str], clean: int = 5) -> None:
    """Give sellers a clean record, as officers' decisions would have."""
    with service.database.unit_of_work() as session:
        for seller in sellers:
            session.merge(HistoryRow(kind="seller", party=normalised(seller), inspected=clean,
                                     irregular=0))
