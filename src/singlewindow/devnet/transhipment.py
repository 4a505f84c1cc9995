"""Consignments through a transhipment hub in the traffic, played through the nodes' APIs:
tyres of Chinese origin arrive at one node's hub port (Singapore's, or Malaysia's, or the
first running node with a hub), its officer records the arrival and the departure for
another node, the hub's trader exports them and the destination's trader imports them citing
the export; the ACDD carries the earlier legs. Of the three trades the second is laundered:
exported and imported as of the hub's country. Its import is at least yellow with the reason
naming the earlier leg (`origin_laundering_caught`); it is left on the officers' worklist,
while the truthful ones are cleared as the traffic clears any other."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from singlewindow.devnet.traffic import Traffic, TrafficError
from singlewindow.transhipment.model import HUB_PORTS

TRANSHIPMENT_COUNTS = ("transhipments", "origin_laundering_caught")
TRADES = 3  # the second laundered
PREFERRED_HUBS = ("SG", "MY", "VN", "TH")
TYRES = {"commodity_code": "40111000",
         "description": "New pneumatic radial tyres for motor cars, 205/55 R16",
         "quantity": "7200", "quantity_unit": "kg", "net_mass": "7200.0",
         "gross_mass": "7490.0", "invoice_amount": "28000.00"}
ACDD_TIMEOUT = 120.0


def hubs_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """The job that runs the trades through a hub (`traffic.run_traffic`'s riders); none on a
    network without a hub node."""
    countries = sorted(traffic.desks)
    hub = next((c for c in (*PREFERRED_HUBS, *countries)
                if c in traffic.desks and HUB_PORTS.get(c)), None)
    if hub is None:
        return [], ()
    destination = next(c for c in countries if c != hub)
    return [partial(through_hub, traffic, hub, destination)], TRANSHIPMENT_COUNTS


def through_hub(traffic: Traffic, hub: str, destination: str, trades: int = TRADES) -> None:
    for n in range(trades):
        laundered = n == 1
        import_ = transship(traffic, hub, destination, n, laundered)
        reasons = import_.get("reasons") or []
        caught = [r for r in reasons if "recorded on leg" in r]
        if laundered:
            if not caught:
                raise TrafficError(f"{destination} did not catch the origin laundered through "
                                   f"{hub} on {import_['number']}: {reasons}")
            traffic.count("origin_laundering_caught")
        else:
            if caught:
                raise TrafficError(f"{destination} doubted the true origin of "
                                   f"{import_['number']}: {caught}")
            traffic.finish(traffic.desks[destination], import_)
        traffic.count("transhipments")


def transship(traffic: Traffic, hub: str, destination: str, n: int,
              laundered: bool) -> dict[str, Any]:
    """One consignment: arrival and departure at the hub, the hub's export released, its
    ACDD at the destination, the import lodged; the destination officer's view of it."""
    desk, arriving = traffic.desks[hub], traffic.desks[destination]
    serial = f"{traffic.run.upper()}{n:03d}{time.time_ns() % 10**6:06d}"
    inbound, outbound = f"COSU{serial}", f"MSKU{serial}"
    port = HUB_PORTS[hub][0]
    today = date.today().isoformat()
    goods = {"sequence": 1, **{k: TYRES[k] for k in ("commodity_code", "description",
                                                     "quantity", "quantity_unit")}}
    desk.call("POST", "/transhipment/arrivals", "officer", json={
        "port": port, "document_type": "N705", "transport_document": inbound,
        "from_port": "CNSHA", "carrier": "COSCO Shipping", "arrived_on": today,
        "goods": [{**goods, "origin_country": "CN", "packages": 40}]})
    desk.call("POST", "/transhipment/departures", "officer", json={
        "port": port, "arrival_document": inbound, "document_type": "N705",
        "transport_document": outbound,
        "to_port": HUB_PORTS.get(destination, (f"{destination}ZZZ",))[0],
        "carrier": "Maersk", "departed_on": today, "goods": [{**goods, "packages": 20}]})
    origin = hub if laundered else "CN"
    items = [{"sequence": 1, **TYRES, "origin_country": origin}]
    documents = [{"code": "N380", "reference": f"INV-{serial}"},
                 {"code": "N705", "reference": outbound}]
    exporter, importer = traffic.party(hub, "exporter"), traffic.party(destination, "importer")
    common = {"exporter": exporter, "seller": exporter, "buyer": importer,
              "export_country": hub, "destination_country": destination,
              "transport_mode": "1", "incoterm": "CIF", "invoice_currency": "USD",
              "documents": documents, "items": items}
    export = desk.call("POST", "/declarations", "trader", json={
        "type": "EX", "lrn": f"EX-HUB-{serial}", "declarant": exporter,
        "office": desk.account.office, **common})
    export = traffic.finish(desk, export)
    wait_for_acdd(traffic, destination, hub, export["number"])
    lodged = arriving.call("POST", "/declarations", "trader", json={
        "type": "IM", "lrn": f"IM-HUB-{serial}", "declarant": importer, "importer": importer,
        "office": arriving.account.office, "freight": str(Decimal("0")),
        "export_reference": export["number"], **common})
    return arriving.call("GET", f"/declarations/{lodged['number']}", "officer")


def wait_for_acdd(traffic: Traffic, destination: str, hub: str, number: str) -> None:
    desk = traffic.desks[destination]
    deadline = time.monotonic() + ACDD_TIMEOUT
    while time.monotonic() < deadline:
        response = desk.client.get(f"/pre-arrival/{hub}/{number}", headers={
            "Authorization": f"Bearer {desk.tokens['officer']}"})
        if response.status_code == 200:
            return
        time.sleep(0.2)
    raise TrafficError(f"ACDD {number} did not reach {destination} within {ACDD_TIMEOUT} s")
