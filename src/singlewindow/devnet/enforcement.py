"""Shared enforcement intelligence in the traffic, played through the nodes' enforcement
APIs: at the start the first running node sets up a joint operation of every running node
and waits until each member knows it; once a quarter of the trades have ended its officer
raises an alert to the operation: coffee exported by its sample trader (a trafficking route
for wildlife products hidden in sacks). Each member turns it into a risk profile at once. Some
trades match it (coffee from that trader lodged after the alert); so do the consignments the
rider lodges itself at each other member, one matching and one not, so that a short run has
hits too. The officers there clear them as the traffic clears any other (a red channel is
inspected). The counts: the alert raised, the hits recorded at the members, and the hits the
raising node holds as reported back (waited for until they all came, or a minute)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

from singlewindow.devnet.traffic import Traffic, TrafficError

ALERT_COUNTS = ("alerts_raised", "alert_hits", "alert_hits_reported")
COFFEE = {"commodity_code": "09011100",
          "description": "Green robusta coffee beans, not roasted, in 60 kg bags",
          "quantity": "1200", "quantity_unit": "kg", "net_mass": "1200.0",
          "gross_mass": "1248.0", "invoice_amount": "2760.00"}
RICE = {"commodity_code": "10063010",
        "description": "Jasmine rice, wholly milled, in 50 kg bags", "quantity": "5000",
        "quantity_unit": "kg", "net_mass": "5000.0", "gross_mass": "5200.0",
        "invoice_amount": "3100.00"}
WAIT_SECONDS = 60.0


def alerts_of(traffic: Traffic, count: int) -> tuple[list[Callable[[], None]], tuple[str, ...]]:
    """The joint operation of the running nodes (now, before the trades) and the job that
    raises its alert during the run (`traffic.run_traffic`'s riders)."""
    countries = sorted(traffic.desks)
    coordinator = countries[0]
    code = f"OP-TRAFFIC-{traffic.run.upper()}"
    set_up(traffic, code, coordinator, countries)
    job = partial(raise_during_run, traffic, code, coordinator, max(1, count // 4), count)
    return [job], ALERT_COUNTS


def set_up(traffic: Traffic, code: str, coordinator: str, countries: list[str]) -> None:
    today = date.today()
    traffic.desks[coordinator].call("POST", "/enforcement/operations", "officer", json={
        "code": code, "name": "Traffic run: Mekong wildlife", "members": countries,
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=30)).isoformat()})
    for country in countries:
        wait(traffic, country, f"/enforcement/operations/{code}",
             f"joint operation {code} at {country}")


def raise_during_run(traffic: Traffic, code: str, coordinator: str, after: int,
                     trades: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while traffic.counts["trades_ended"] < after and time.monotonic() < deadline:
        time.sleep(0.1)
    desk = traffic.desks[coordinator]
    exporter = traffic.party(coordinator, "exporter")
    today = date.today()
    alert = desk.call("POST", "/enforcement/alerts", "officer", json={
        "category": "wildlife", "title": f"Pangolin scales in coffee sacks from {exporter['id']}",
        "description": "Scales packed in the middle of coffee sacks; weights do not match",
        "criteria": [{"field": "commodity_code", "operator": "prefix", "value": "0901"},
                     {"field": "exporter", "operator": "eq", "value": exporter["id"]}],
        "concealment": ["packets in the middle of the sacks"],
        "valid_from": today.isoformat(), "valid_to": (today + timedelta(days=30)).isoformat(),
        "channel": "red", "operation": code})
    alert_id = alert["id"]
    traffic.count("alerts_raised")
    members = [c for c in sorted(traffic.desks) if c != coordinator]
    for country in members:
        wait(traffic, country, f"/enforcement/alerts/{alert_id}", f"{alert_id} at {country}")
        for n, (item, matches) in enumerate(((COFFEE, True), (RICE, False))):
            lodged = lodge(traffic, coordinator, country, item,
                           f"{country}{alert_id.rsplit('-', 1)[1]}-{n}")
            hit = any(alert_id in reason for reason in lodged.get("reasons") or [])
            if hit != matches:
                raise TrafficError(f"{country} {lodged['number']}: the alert {alert_id} "
                                   f"{'did not select' if matches else 'selected'} it")
            traffic.finish(traffic.desks[country], lodged)
    # The trades lodged after the alert may match too: count once they have all ended.
    while traffic.counts["trades_ended"] < trades and time.monotonic() < deadline:
        time.sleep(0.2)
    hits = sum(len(traffic.desks[c].call("GET", "/enforcement/hits", "officer",
                                         params={"alert": alert_id}))
               for c in members)
    reported = 0
    until = time.monotonic() + WAIT_SECONDS
    while True:
        held = desk.call("GET", f"/enforcement/alerts/{alert_id}", "officer")
        reported = sum(1 for h in held["hits"] if h["country"] != coordinator)
        if reported >= hits or time.monotonic() > until:
            break
        time.sleep(0.2)
    for _ in range(hits):
        traffic.count("alert_hits")
    for _ in range(reported):
        traffic.count("alert_hits_reported")


def lodge(traffic: Traffic, origin: str, destination: str, item: dict[str, str],
          reference: str) -> dict[str, Any]:
    """An import at `destination` of one item from `origin`'s trader; the officer's view."""
    desk = traffic.desks[destination]
    exporter, importer = traffic.party(origin, "exporter"), traffic.party(destination, "importer")
    lodged = desk.call("POST", "/declarations", "trader", json={
        "type": "IM", "lrn": f"IM-ENF-{traffic.run}-{reference}-{time.time_ns() % 10**6:06d}",
        "declarant": importer, "importer": importer, "exporter": exporter, "seller": exporter,
        "buyer": importer, "office": desk.account.office, "export_country": origin,
        "destination_country": destination, "transport_mode": "3", "incoterm": "FCA",
        "invoice_currency": "USD", "freight": "120.00", "insurance": "15.00",
        "documents": [{"code": "N380", "reference": f"INV-{reference}"}],
        "items": [{"sequence": 1, **item, "origin_country": origin}]})
    return desk.call("GET", f"/declarations/{lodged['number']}", "officer")


def wait(traffic: Traffic, country: str, path: str, what: str) -> None:
    desk = traffic.desks[country]
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        response = desk.client.get(path, headers={
            "Authorization": f"Bearer {desk.tokens['officer']}"})
        if response.status_code == 200:
            return
        time.sleep(0.1)
    raise TrafficError(f"{what} not within {WAIT_SECONDS:.0f} s")
