"""Waste shipments in the traffic, played through the nodes' APIs: beside the trades, one
running node (Viet Nam when it runs, else the first) imports mixed plastic waste (HS
3915.90, Basel Y48) from a partner's sample trader. Its sample officer records the consent of
its competent authority for two shipments; then shipments arrive one after another: one
without a Basel code, one without the consent's reference, then the consented ones, and a
last one over what is left. The first two and the last are stopped (422, with the reason), the
consented ones pass.

The counts are what the importing node answered: the difference of its `/green/figures`
(waste shipments stopped and passed) over the run, and the rider checks each refusal said
why."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

from singlewindow.devnet.traffic import Desk, Traffic, TrafficError

WASTE_COUNTS = ("waste_stopped", "waste_passed")
SHIPMENT_KG = 5000
CONSENTED = 2  # shipments the consent covers
# What each shipment lacks, in the order they arrive; "" is a shipment the consent covers.
SHIPMENTS = ("basel_code", "waste_consent", "", "", "")


def wastes_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """The waste shipments' job (`traffic.run_traffic`'s riders) and the counts it keeps."""
    countries = sorted(traffic.desks)
    importing = "VN" if "VN" in countries else countries[0]
    exporting = next(c for c in countries if c != importing)
    return [partial(ship, traffic, importing, exporting)], WASTE_COUNTS


def ship(traffic: Traffic, importing: str, exporting: str) -> None:
    desk = traffic.desks[importing]
    before = desk.call("GET", "/green/figures", "officer")
    exporter = traffic.party(exporting, "exporter")
    importer = desk.party("importer")
    reference = f"{importing}-{date.today():%Y}-TR{uuid.uuid4().hex[:8].upper()}"
    desk.call("POST", "/green/consents", "officer", json={
        "reference": reference, "importing_country": importing, "exporter": exporter["id"],
        "exporter_name": exporter["name"], "importer": importer["id"],
        "importer_name": importer["name"], "basel_code": "Y48", "hs_code": "391590",
        "quantity": str(SHIPMENT_KG * CONSENTED),
        "valid_from": (date.today() - timedelta(days=1)).isoformat(),
        "valid_to": (date.today() + timedelta(days=90)).isoformat()})
    passed = 0
    for index, lacks in enumerate(SHIPMENTS):
        body = declaration(traffic, desk, exporting, exporter, importer, reference, index)
        item = body["items"][0]
        if lacks:
            del item[lacks]
        response = desk.client.post("/declarations", json=body, headers={
            "Authorization": f"Bearer {desk.tokens['trader']}"})
        expected = 201 if not lacks and passed < CONSENTED else 422
        if response.status_code != expected:
            raise TrafficError(f"{importing} waste shipment {index + 1} (lacking "
                               f"{lacks or 'nothing'}) → {response.status_code}, expected "
                               f"{expected}: {response.text}")
        if expected == 201:
            passed += 1
        elif not response.json().get("errors"):
            raise TrafficError(f"{importing} stopped a waste shipment without saying why")
    after = desk.call("GET", "/green/figures", "officer")
    with traffic.lock:
        for key in WASTE_COUNTS:
            traffic.counts[key] += int(after[key]) - int(before[key])


def declaration(traffic: Traffic, desk: Desk, exporting: str, exporter: dict[str, str],
                importer: dict[str, str], reference: str, index: int) -> dict[str, Any]:
    destination = desk.account.country
    return {
        "type": "IM",
        "lrn": f"WASTE-{exporting}{destination}-{traffic.run}-{index:03d}",
        "declarant": importer,
        "importer": importer,
        "exporter": exporter,
        "seller": exporter,
        "buyer": importer,
        "office": desk.account.office,
        "export_country": exporting,
        "destination_country": destination,
        "transport_mode": "1",
        "incoterm": "FCA",
        "invoice_currency": "USD",
        "freight": "600.00",
        "insurance": "30.00",
        "items": [{
            "sequence": 1,
            "commodity_code": "39159000",
            "description": "Mixed plastic waste, baled, for recycling",
            "origin_country": exporting,
            "quantity": str(SHIPMENT_KG),
            "quantity_unit": "kg",
            "net_mass": str(SHIPMENT_KG),
            "gross_mass": str(SHIPMENT_KG + 120),
            "invoice_amount": "750.00",
            "basel_code": "Y48",
            "waste_consent": reference,
        }],
    }
