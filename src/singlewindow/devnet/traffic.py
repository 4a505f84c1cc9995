"""Realistic cross-border trades through a running network, played through the nodes' APIs
as traders, issuing authorities and officers would: export at origin, the ACDD and the
e-Form D through the network, import at destination, inspection where selected, payment,
release. Used by `singlewindow up --traffic N`.

The traffic knows each node only as a client would (`Account`): the URL of its API, its
users' tokens, and the parties and office they act for."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from rich.progress import Progress

from singlewindow.core.paths import api_url

# Goods every sample schedule carries: (national code, description, unit, unit price USD,
# kg per unit).
GOODS = [
    ("09011100", "Green robusta coffee beans, not roasted, in 60 kg bags", "kg", "2.30", "1"),
    ("10063010", "Jasmine rice, wholly milled, in 50 kg bags", "kg", "0.62", "1"),
    ("40012210", "Technically specified natural rubber TSNR 10, bales", "kg", "1.55", "1"),
    ("61091000", "Cotton T-shirts, knitted, assorted sizes", "u", "2.40", "0.2"),
    ("94036090", "Wooden dining furniture, rubberwood", "u", "85.00", "18"),
    ("64039990", "Leather footwear, men's shoes", "pair", "14.00", "0.9"),
    ("85171300", "Smartphones, 128 GB, with chargers", "u", "160.00", "0.3"),
]
# Share of trades whose e-Form D misstates the goods, so that the importing node rejects it.
FLAWED_CERTIFICATE_SHARE = 0.15


class TrafficError(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    """A node as its clients know it: the URL of its API, the API token of each of its users
    (admin, officer, trader, issuer, bank, broker), the parties the trader and the broker act
    for, and the customs office where goods are declared."""

    country: str
    url: str
    tokens: Mapping[str, str]
    trader_party: str
    broker_party: str
    office: str
    # The land border office of its border officer, and the trader's transit guarantee.
    border_office: str = ""
    transit_guarantee: str = ""
    access_code: str = ""


@dataclass
class Desk:
    """One node seen from outside: its account and a client of its API."""

    account: Account
    client: httpx.Client

    @property
    def tokens(self) -> Mapping[str, str]:
        return self.account.tokens

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> dict[str, Any]:
        response = self.client.request(
            method, path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs
        )
        if response.status_code >= 400:
            raise TrafficError(
                f"{self.account.country} {method} {path} → {response.status_code}: "
                f"{response.text}"
            )
        result: dict[str, Any] = response.json()
        return result

    def party(self, role: str) -> dict[str, str]:
        """The trader of this node as exporter or importer."""
        names = {"exporter": "Export Trading", "importer": "Import Distribution"}
        country = self.account.country
        return {
            "id": self.account.trader_party,
            "name": f"{country} {names[role]} Co., Ltd.",
            "country": country,
        }

    def broker(self) -> dict[str, str]:
        country = self.account.country
        return {"id": self.account.broker_party,
                "name": f"{country} Customs Brokerage Co., Ltd.", "country": country}


def _items(rng: random.Random, origin: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for sequence, (code, description, unit, price, kg) in enumerate(
        rng.sample(GOODS, rng.randint(1, 2)), start=1
    ):
        quantity = (
            Decimal(rng.randrange(200, 20000, 10))
            if unit == "kg"
            else Decimal(rng.randrange(20, 2000, 10))
        )
        net = (quantity * Decimal(kg)).quantize(Decimal("0.1"))
        items.append(
            {
                "sequence": sequence,
                "commodity_code": code,
                "description": description,
                "origin_country": origin,
                "quantity": str(quantity),
                "quantity_unit": unit,
                "net_mass": str(net),
                "gross_mass": str((net * Decimal("1.04")).quantize(Decimal("0.1"))),
                "invoice_amount": str((quantity * Decimal(price)).quantize(Decimal("0.01"))),
            }
        )
    return items


class Traffic:
    def __init__(self, accounts: list[Account], seed: int = 2026) -> None:
        if len(accounts) < 2:
            raise TrafficError("cross-border traffic needs at least two nodes")
        self.desks = {
            a.country: Desk(a, httpx.Client(base_url=api_url(a.url), timeout=60))
            for a in accounts
        }
        self.rng = random.Random(seed)
        # In every local reference: a network kept from an earlier run (same seed, same
        # trades) must not see them as the same declarations lodged again.
        self.run = uuid.uuid4().hex[:6]
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def close(self) -> None:
        for desk in self.desks.values():
            desk.client.close()

    def party(self, country: str, role: str) -> dict[str, str]:
        """The trader of `country`'s node as exporter or importer."""
        return self.desks[country].party(role)

    def plan(self, count: int) -> list[tuple[int, str, str, bool, list[dict[str, Any]]]]:
        countries = sorted(self.desks)
        trades = []
        for index in range(count):
            origin, destination = self.rng.sample(countries, 2)
            flawed = self.rng.random() < FLAWED_CERTIFICATE_SHARE
            trades.append((index, origin, destination, flawed, _items(self.rng, origin)))
        return trades

    def trade(
        self, index: int, origin: str, destination: str, flawed: bool, items: list[dict[str, Any]]
    ) -> None:
        exporter, importer = self.party(origin, "exporter"), self.party(destination, "importer")
        export = self.export(index, origin, destination, exporter, importer, items)
        certificate = self.certify(index, origin, destination, exporter, importer, items, flawed)
        self.wait_for_documents(destination, origin, export["number"], certificate)
        self.import_(index, origin, destination, exporter, importer, items, export, certificate)
        self.wait_for_answer(origin, certificate)

    def export(
        self,
        index: int,
        origin: str,
        destination: str,
        exporter: dict[str, str],
        importer: dict[str, str],
        items: list[dict[str, Any]],
    ) -> dict[str, Any]:
        desk = self.desks[origin]
        body = {
            "type": "EX",
            "lrn": f"EX-{origin}{destination}-{self.run}-{index:06d}-{self.rng.random():.6f}",
            "declarant": exporter,
            "exporter": exporter,
            "seller": exporter,
            "buyer": importer,
            "office": desk.account.office,
            "export_country": origin,
            "destination_country": destination,
            "transport_mode": "3",
            "incoterm": "FCA",
            "invoice_currency": "USD",  # valued at customs' published rate, filled in
            "items": items,
        }
        declaration = desk.call("POST", "/declarations", "trader", json=body)
        declaration = self.finish(desk, declaration)
        self.count("exports_released")
        return declaration

    def certify(
        self,
        index: int,
        origin: str,
        destination: str,
        exporter: dict[str, str],
        importer: dict[str, str],
        items: list[dict[str, Any]],
        flawed: bool,
    ) -> dict[str, Any]:
        certificate_items = []
        for item in items:
            quantity = Decimal(item["quantity"])
            if flawed:  # the certificate covers less than is shipped
                quantity = (quantity / 2).quantize(Decimal(1))
            certificate_items.append(
                {
                    "number": item["sequence"],
                    "description": item["description"],
                    "subheading": item["commodity_code"][:6],
                    "origin_criterion": "WO"
                    if item["commodity_code"][:2] in ("09", "10", "40")
                    else "RVC 40%",
                    "quantity": str(quantity),
                    "quantity_unit": item["quantity_unit"],
                    "gross_mass": item["gross_mass"],
                    "fob_value": item["invoice_amount"],
                    "currency": "USD",
                    "invoice_number": f"INV-{origin}-{index:06d}",
                    "invoice_date": date.today().isoformat(),
                }
            )
        body = {
            "importing_country": destination,
            "exporter": exporter,
            "consignee": importer,
            "items": certificate_items,
            "transport": "by road",
        }
        return self.desks[origin].call("POST", "/origin/certificates", "issuer", json=body)

    def wait_for_documents(
        self,
        destination: str,
        origin: str,
        export_number: str,
        certificate: dict[str, Any],
        timeout: float = 120,
    ) -> None:
        desk = self.desks[destination]
        deadline = time.monotonic() + timeout
        acdd = certified = False
        while time.monotonic() < deadline:
            if not acdd:
                response = desk.client.get(
                    f"/pre-arrival/{origin}/{export_number}",
                    headers={"Authorization": f"Bearer {desk.tokens['officer']}"},
                )
                acdd = response.status_code == 200
            if not certified:
                response = desk.client.get(
                    f"/origin/certificates/{origin}/{certificate['reference']}",
                    headers={"Authorization": f"Bearer {desk.tokens['officer']}"},
                )
                certified = response.status_code == 200
            if acdd and certified:
                self.count("acdd_delivered")
                return
            time.sleep(0.2)
        raise TrafficError(
            f"ACDD {export_number} or e-Form D {certificate['reference']} did "
            f"not reach {destination} within {timeout} s"
        )

    def import_(
        self,
        index: int,
        origin: str,
        destination: str,
        exporter: dict[str, str],
        importer: dict[str, str],
        items: list[dict[str, Any]],
        export: dict[str, Any],
        certificate: dict[str, Any],
    ) -> None:
        desk = self.desks[destination]
        # Every third import is lodged by the importer's customs broker, under the direct
        # representation the sample registered.
        by_broker = index % 3 == 2
        declarant = desk.broker() if by_broker else importer
        body = {
            "type": "IM",
            "lrn": f"IM-{origin}{destination}-{self.run}-{index:06d}-{self.rng.random():.6f}",
            "declarant": declarant,
            "importer": importer,
            # The exporter as its export named it (the ACDD's), which the cross-check holds
            # the import to; a partner's AEO exporter gets its benefit on that evidence.
            "exporter": exporter,
            "seller": exporter,
            "buyer": importer,
            "office": desk.account.office,
            "export_country": origin,
            "destination_country": destination,
            "transport_mode": "3",
            "incoterm": "FCA",
            "invoice_currency": "USD",
            "freight": "350.00",
            "insurance": "40.00",
            "preference": "ATIGA",
            "proof_of_origin": certificate["reference"],
            "export_reference": export["number"],
            "items": items,
        }
        lodger = "broker" if by_broker else "trader"
        declaration = desk.call("POST", "/declarations", lodger, json=body)
        self.finish(desk, declaration)
        self.count("imports_released")

    def finish(self, desk: Desk, declaration: dict[str, Any]) -> dict[str, Any]:
        """Play the officer where the declaration was selected, and the bank that collects
        the payment notice and confirms it to customs."""
        number = declaration["number"]
        if declaration["status"] == "channelled" and declaration["channel"] != "green":
            declaration = desk.call(
                "POST",
                f"/declarations/{number}/inspection",
                "officer",
                json={"outcome": "no_discrepancy", "findings": "goods as declared"},
            )
            self.count(f"inspected_{declaration['channel']}")
        notice = declaration["payment_notice"]
        if notice is not None and Decimal(declaration["settlement"]["outstanding"]) > 0:
            declaration = desk.call(
                "POST",
                "/payments",
                "bank",
                json={
                    "notice": notice["reference"],
                    "amount": notice["amount"],
                    "currency": notice["currency"],
                    "bank_reference": f"TX-{number}",
                },
            )
        if declaration["status"] != "released":
            raise TrafficError(f"{number} ended {declaration['status']}, not released")
        if self.aeo_benefit(desk, number):
            self.count("aeo_declarations")
        return declaration

    @staticmethod
    def aeo_benefit(desk: Desk, number: str) -> bool:
        """Whether the declaration's selection gave an authorised economic operator its
        benefits, as an officer sees it (the trader is not told why a channel was chosen):
        the AEO the worklist puts first, or a reason naming the benefit."""
        seen = desk.call("GET", f"/declarations/{number}", "officer")
        return bool(seen.get("aeo_operator")) or any(
            "AEO benefit" in reason for reason in seen.get("reasons") or ())

    def wait_for_answer(
        self, origin: str, certificate: dict[str, Any], timeout: float = 120
    ) -> None:
        desk = self.desks[origin]
        path = f"/origin/certificates/{origin}/{certificate['reference']}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = desk.call("GET", path, "issuer")["status"]
            if status in ("accepted", "rejected"):
                self.count(f"eformd_{status}")
                return
            time.sleep(0.2)
        raise TrafficError(f"no answer to e-Form D {certificate['reference']} in {timeout} s")

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def message_counts(self) -> dict[str, int]:
        """Messages sent, delivered and duplicates dropped across the network."""
        totals: Counter[str] = Counter()
        for desk in self.desks.values():
            totals.update(desk.call("GET", "/exchange/statistics", "officer"))
        return dict(totals)


# What rides beside the trades (the transit trucks, the AEO suspension): for a run of `count`
# trades, the jobs to run and the counts they keep. A rider may wait for the "trades_ended"
# count (trades done, released or failed) to act midway.
Riders = Callable[["Traffic", int], tuple[list[Callable[[], None]], tuple[str, ...]]]


def run_traffic(accounts: list[Account], count: int, concurrency: int = 6,
                riders: Riders | None = None) -> dict[str, int]:
    """Run `count` trades between the nodes of `accounts`, and `riders`' jobs beside them;
    return the counts `singlewindow up --once` prints."""
    traffic = Traffic(accounts)
    failures: list[str] = []
    try:
        earlier = Counter(traffic.message_counts())  # a kept network's earlier runs
        trades = traffic.plan(count)
        jobs, rider_counts = riders(traffic, count) if riders else ([], ())
        with Progress() as progress, ThreadPoolExecutor(concurrency) as pool:
            task = progress.add_task("cross-border trades", total=count)
            # The riders' jobs run beside the trades (the late truck waits for its enquiry,
            # the AEO suspension for half the trades).
            beside = ThreadPoolExecutor(max(len(jobs), 1))
            riding = [beside.submit(job) for job in jobs]
            futures = [pool.submit(traffic.trade, *trade) for trade in trades]
            for future in as_completed(futures):
                try:
                    future.result()
                    traffic.count("trades")
                except TrafficError as error:
                    failures.append(str(error))
                traffic.count("trades_ended")
                progress.advance(task)
            if jobs:
                task = progress.add_task("beside the trades", total=len(jobs))
                for future in as_completed(riding):
                    try:
                        future.result()
                    except TrafficError as error:
                        failures.append(str(error))
                    progress.advance(task)
            beside.shutdown()
        # Every trade has ended; give the last receipts a moment to come back.
        _settle(traffic)
        messages = Counter(traffic.message_counts())
        messages.subtract(earlier)
    finally:
        traffic.close()
    for failure in failures:
        print(f"trade failed: {failure}")
    c = traffic.counts
    return {
        "trades": c["trades"],
        "exports_released": c["exports_released"],
        "acdd_delivered": c["acdd_delivered"],
        "eformd_accepted": c["eformd_accepted"],
        "eformd_rejected": c["eformd_rejected"],
        "imports_released": c["imports_released"],
        **{key: c[key] for key in rider_counts},
        "messages_sent": messages.get("sent", 0),
        "messages_delivered": messages.get("delivered", 0),
        "duplicates_dropped": messages.get("duplicates_dropped", 0),
    }


def _settle(traffic: Traffic, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = traffic.message_counts()
        if counts.get("sent", 0) == counts.get("delivered", 0):
            return
        time.sleep(0.3)
