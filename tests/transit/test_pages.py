"""The transit pages of the console: the holder's movements, its guarantee's balance and the
transit accompanying document; the officers' release, crossing, arrival and control results;
with the role checks, a form with errors and a form without its token.

Laos's node (the departure) is on the database under test; Thailand's (an office of transit)
and Singapore's (the destination) on SQLite files of their own, each with its sample users
(the `border` officer works at LAVTE01, THNKI01, SGWDL01). What Laos sends is carried to the
others in process, as the gateway would after its check on receipt."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from singlewindow.access import services as access
from singlewindow.access.model import Principal, Role
from singlewindow.api.app import create_app
from singlewindow.core.clock import utcnow
from singlewindow.core.config import Settings
from singlewindow.core.db import Database
from singlewindow.devnet import sample
from singlewindow.exchange.model import UserMessage
from singlewindow.node import Node
from singlewindow.transit.messages import ANTICIPATED, SERVICE
from singlewindow.transit.model import (
    Equipment,
    Itinerary,
    Office,
    TransitDeclaration,
    TransitGoodsItem,
    TransitStatus,
)
from singlewindow.transit.pages import route
from singlewindow.transit.repository import MovementRow
from singlewindow.transit.services import MovementView
from tests.nodes import NodeClient, api_client
from tests.web.console import ConsoleClient, console_as, console_client

ROUTE = Itinerary(Office("LAVTE01", "LA"), (Office("THNKI01", "TH"), Office("MYBKH01", "MY")),
                  Office("SGWDL01", "SG"), ("LA", "TH", "MY", "SG"))


def open_country(country: str, url: str, home: Path) -> NodeClient:
    settings = Settings(country=country, database_url=url, home=home,
                        random_inspection_share=0.0, random_seed=3)
    opened = Node.open(settings, with_sample=True)
    users = sample.saved(home, country)
    return NodeClient(api_client(create_app(opened)), users, opened)


@dataclass
class Corridor:
    """Laos, Thailand and Singapore, and what Laos sent that is not yet carried."""

    la: NodeClient
    th: NodeClient
    sg: NodeClient
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)

    def carry(self) -> list[str]:
        """Deliver the anticipated records Laos sent to the nodes of this corridor."""
        nodes = {"TH": self.th, "SG": self.sg}
        carried = []
        while self.sent:
            to, action, payload = self.sent.pop(0)
            node = nodes.get(to[:2])
            if node is None or action not in ANTICIPATED:
                continue  # Malaysia is not in this test; notices to Laos are not carried
            message = UserMessage(f"{uuid.uuid4()}@LA-CUSTOMS", utcnow(), "LA-CUSTOMS", to,
                                  SERVICE, action, "conv", payload=payload)
            transit = node.opened.transit
            assert transit.admit_anticipated(message) is None
            with transit.database.unit_of_work() as session:
                transit.receive_anticipated(session, message)
            carried.append(f"{action}>{to[:2]}")
        return carried


@pytest.fixture
def corridor(database: Database, tmp_path: Path) -> Iterator[Corridor]:
    la = open_country("LA", database.url, tmp_path / "LA")
    th = open_country("TH", f"sqlite:///{tmp_path}/TH.db", tmp_path / "TH")
    sg = open_country("SG", f"sqlite:///{tmp_path}/SG.db", tmp_path / "SG")
    corridor = Corridor(la, th, sg)

    def send(session: Session, to: str, service: str, action: str, payload: bytes,
             conversation: str) -> str:
        corridor.sent.append((to, action, payload))
        return str(uuid.uuid4())

    la.opened.transit.send = send
    yield corridor
    for node in (la, th, sg):
        node.opened.database.dispose()


def holder(node: NodeClient) -> Principal:
    return Principal("trader", Role.TRADER, party_id=node.users.trader_party)


def lodge(node: NodeClient, code: str = "09011100", lrn: str = "LA-WEB-T1") -> MovementView:
    item = TransitGoodsItem(1, code, "Green coffee beans", 200, Decimal("10500"),
                            Decimal("10000"), Decimal("42000000"))
    declaration = TransitDeclaration(
        lrn=lrn, holder=node.users.trader_party, guarantee=node.users.transit_guarantee,
        access_code=node.users.access_code, itinerary=ROUTE, transport="LA 70-1234",
        items=(item,), time_limit=utcnow() + timedelta(days=3),
        equipment=(Equipment("MSKU9070323", ("LA-88213", "LA-88214")),))
    return node.opened.transit.lodge(declaration, holder(node))


def console_of(node: NodeClient, username: str, role: Role, party_id: str | None = None,
               office: str | None = None) -> ConsoleClient:
    """A console client logged in as a new user of `node` (not a sample one)."""
    access.create_user(node.opened.database, username, role, party_id=party_id, office=office)
    access.set_password(node.opened.database, username, f"{username}-sample-password")
    client = console_client(node)
    client.refresh_csrf()
    answer = client.post_form("/login", {"username": username,
                                         "password": f"{username}-sample-password"})
    assert answer.status_code == 303
    client.refresh_csrf("/login")
    return client


def stored(node: NodeClient, mrn: str) -> MovementRow:
    with node.opened.database.unit_of_work() as session:
        row = session.get(MovementRow, mrn)
        assert row is not None
        session.expunge(row)
        return row


def test_the_holder_sees_its_movement_route_and_guarantee_balance_without_reasons(
    corridor: Corridor,
) -> None:
    la = corridor.la
    movement = lodge(la)
    assert movement.status is TransitStatus.RELEASED
    trader = console_as(la, "trader")
    listed = trader.get("/transit")
    assert listed.status_code == 200
    assert f'data-mrn="{movement.mrn}"' in listed.text and "LA-WEB-T1" in listed.text
    assert "LAVTE01 → THNKI01 → MYBKH01 → SGWDL01" in listed.text
    assert f'data-reference="{la.users.transit_guarantee}"' in listed.text
    page = trader.get(f"/transit/{movement.mrn}")
    assert page.status_code == 200
    assert 'data-status="released"' in page.text
    assert re.findall(r'data-office="(\w+)"', page.text) == ["LAVTE01", "THNKI01", "MYBKH01",
                                                             "SGWDL01"]
    assert 'data-office="LAVTE01" data-kind="departure" data-passed="yes"' in page.text
    assert 'id="duties"' in page.text and 'id="history"' in page.text
    assert 'id="selection"' not in page.text and "Selectivity" not in page.text
    assert 'id="release-form"' not in page.text and 'id="control-form"' not in page.text
    balance = trader.get(f"/transit/guarantees/{la.users.transit_guarantee}")
    assert balance.status_code == 200
    left = Decimal(50_000_000_000) - movement.reserved
    assert f'id="balance">{left:,.2f}' in balance.text
    # the look-up form lands on the same page
    found = trader.get(f"/transit/guarantees?reference={la.users.transit_guarantee}")
    assert found.status_code == 303
    # officers see selectivity's answer
    officer = console_as(la, "border")
    assert 'id="selection"' in officer.get(f"/transit/{movement.mrn}").text


def test_another_trader_gets_404_and_a_trader_403_on_officer_pages(corridor: Corridor) -> None:
    la = corridor.la
    movement = lodge(la)
    other = console_of(la, "other", Role.TRADER, party_id="LATRADER0002")
    assert other.get(f"/transit/{movement.mrn}").status_code == 404
    assert other.get(f"/transit/{movement.mrn}/tad").status_code == 404
    assert other.get(f"/transit/guarantees/{la.users.transit_guarantee}").status_code == 404
    assert movement.mrn not in other.get("/transit").text
    trader = console_as(la, "trader")
    for page in ("/transit/expected", "/transit/overdue", "/transit/guarantees/new"):
        assert trader.get(page).status_code == 403, page
    assert trader.post_form(f"/transit/{movement.mrn}/release").status_code == 403
    menu = trader.get("/transit").text
    assert 'href="/transit"' in menu and 'href="/transit/expected"' not in menu


def test_the_tad_has_the_mrn_as_a_barcode_and_never_the_access_code(corridor: Corridor) -> None:
    la = corridor.la
    movement = lodge(la)
    trader = console_as(la, "trader")
    tad = trader.get(f"/transit/{movement.mrn}/tad")
    assert tad.status_code == 200
    barcode = re.search(r'<div class="barcode" id="barcode">\s*<svg role="img" '
                        rf'aria-label="MRN {movement.mrn}"', tad.text)
    assert barcode and "<rect" in tad.text
    assert "@media print" in tad.text
    for shown in ("LA-88213", "MSKU9070323", "LA 70-1234", "Green coffee beans",
                  la.users.transit_guarantee, la.users.trader_party, "SGWDL01"):
        assert shown in tad.text
    text = tad.text.replace(movement.mrn, "")
    assert la.users.access_code not in re.sub(r"<svg.*</svg>", "", text, flags=re.S)
    assert "access code" not in text.lower() and "AccessCode" not in text


def test_a_movement_held_for_control_has_no_tad_until_the_departure_officer_releases_it(
    corridor: Corridor,
) -> None:
    la = corridor.la
    held = lodge(la, code="24022090", lrn="LA-WEB-CIG")  # cigarettes: the sample red rule
    assert held.status is TransitStatus.ACCEPTED
    trader = console_as(la, "trader")
    assert trader.get(f"/transit/{held.mrn}/tad").status_code == 409
    assert 'id="no-tad"' in trader.get(f"/transit/{held.mrn}").text
    # an officer of another office sees no button, and the service refuses it all the same
    elsewhere = console_of(la, "inland", Role.OFFICER, office="LAPKS01")
    assert 'id="release-form"' not in elsewhere.get(f"/transit/{held.mrn}").text
    assert elsewhere.post_form(f"/transit/{held.mrn}/release").status_code == 403
    border = console_as(la, "border")
    page = border.get(f"/transit/{held.mrn}")
    assert 'id="release-form"' in page.text and "Cigarettes" in page.text
    answer = border.post_form(f"/transit/{held.mrn}/release")
    assert answer.status_code == 303 and answer.headers["location"] == f"/transit/{held.mrn}"
    assert stored(la, held.mrn).status == TransitStatus.RELEASED.value
    assert trader.get(f"/transit/{held.mrn}/tad").status_code == 200
    assert border.post_form(f"/transit/{held.mrn}/release").status_code == 409  # once
    assert corridor.carry() == ["IE050>TH", "IE001>SG"]


def test_the_office_of_transit_records_the_crossing_from_its_list(corridor: Corridor) -> None:
    movement = lodge(corridor.la)
    assert corridor.carry() == ["IE050>TH", "IE001>SG"]
    border = console_as(corridor.th, "border")
    expected = border.get("/transit/expected")
    assert expected.status_code == 200 and f'data-mrn="{movement.mrn}"' in expected.text
    assert f'action="/transit/{movement.mrn}/crossing"' in expected.text
    answer = border.post_form(f"/transit/{movement.mrn}/crossing")
    assert answer.status_code == 303, answer.text
    row = stored(corridor.th, movement.mrn)
    assert [c["office"] for c in row.crossings] == ["THNKI01"]
    assert f'data-mrn="{movement.mrn}"' not in border.get("/transit/expected").text
    page = border.get(f"/transit/{movement.mrn}")
    assert 'data-office="THNKI01" data-kind="transit" data-passed="yes"' in page.text
    assert border.post_form(f"/transit/{movement.mrn}/crossing").status_code == 409


def test_control_results_with_errors_answer_422_and_store_nothing_then_are_recorded(
    corridor: Corridor,
) -> None:
    movement = lodge(corridor.la)
    corridor.carry()
    border = console_as(corridor.sg, "border")
    assert f'/transit/{movement.mrn}/arrival' in border.get("/transit/expected").text
    arrived = border.post_form(f"/transit/{movement.mrn}/arrival")
    assert arrived.status_code == 303
    assert arrived.headers["location"] == f"/transit/{movement.mrn}#control"
    assert movement.mrn in border.get("/transit/expected").text  # waiting for its results
    assert 'id="control-form"' in border.get(f"/transit/{movement.mrn}").text
    bad = border.post_form(f"/transit/{movement.mrn}/control",
                           {"discrepancies": "x" * 600, "remarks": "seal LA-88213 cut"})
    assert bad.status_code == 422
    assert re.search(r'id="err-seals_intact">[^<]+<', bad.text)
    assert "seal LA-88213 cut" in bad.text  # what was typed is kept
    too_long = border.post_form(f"/transit/{movement.mrn}/control",
                                {"seals_intact": "no", "discrepancies": "x" * 600})
    assert too_long.status_code == 422
    assert re.search(r'id="err-discrepancies">[^<]+<', too_long.text)
    row = stored(corridor.sg, movement.mrn)
    assert row.control_results is None and row.status == TransitStatus.ARRIVED.value
    done = border.post_form(f"/transit/{movement.mrn}/control",
                            {"seals_intact": "no", "discrepancies": "2 cartons missing\n\n",
                             "remarks": "seal LA-88213 cut"})
    assert done.status_code == 303
    row = stored(corridor.sg, movement.mrn)
    assert row.status == TransitStatus.DISCREPANCY.value
    assert row.control_results is not None
    assert row.control_results["discrepancies"] == ["2 cartons missing"]
    assert 'id="discrepancies"' in border.get(f"/transit/{movement.mrn}").text


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(
    corridor: Corridor,
) -> None:
    movement = lodge(corridor.la)
    corridor.carry()
    border = console_as(corridor.th, "border")
    answer = border.post(f"/transit/{movement.mrn}/crossing", data={})
    assert answer.status_code == 403 and "security token" in answer.text
    assert stored(corridor.th, movement.mrn).crossings == []


def test_an_officer_registers_a_guarantee_and_a_bad_form_stores_nothing(
    corridor: Corridor,
) -> None:
    officer = console_as(corridor.la, "officer")
    form = {"reference": "LATGR0099", "holder": "LATRADER0001", "amount": "lots",
            "currency": "USD", "valid_from": "2026-01-01", "valid_to": "2026-12-31",
            "access_code": "12"}
    bad = officer.post_form("/transit/guarantees/new", form)
    assert bad.status_code == 422 and re.search(r'id="err-amount">[^<]+<', bad.text)
    assert 'value="12"' not in bad.text  # the access code is never shown back
    worse = officer.post_form("/transit/guarantees/new", {**form, "amount": "1000"})
    assert worse.status_code == 422 and re.search(r'id="err-access_code">[^<]+<', worse.text)
    assert officer.get("/transit/guarantees/LATGR0099").status_code == 404
    made = officer.post_form("/transit/guarantees/new", {**form, "amount": "1000",
                                                         "access_code": "4821"})
    assert made.status_code == 303
    assert made.headers["location"] == "/transit/guarantees/LATGR0099"
    assert 'id="balance">1,000.00 USD' in officer.get(made.headers["location"]).text


def test_the_route_marks_each_office_passed_and_an_undeclared_crossing_as_a_diversion() -> None:
    at = datetime(2026, 12, 2, 9, tzinfo=UTC)
    view = MovementView(
        mrn="26LA0000000000A1J0", role="departure", lrn="L", holder="H",
        status=TransitStatus.RELEASED, itinerary=ROUTE, time_limit=at, reserved=Decimal(1),
        currency="LAK", guarantee="G", duties={}, control=None, reasons=(), lodged_at=at,
        released_at=at,
        crossings=({"office": "THNKI01", "at": at.isoformat(), "declared": True},
                   {"office": "MYPKG01", "at": at.isoformat(), "declared": False}))
    stops = [(s.code, s.kind, s.passed) for s in route(view)]
    assert stops == [("LAVTE01", "departure", True), ("THNKI01", "transit", True),
                     ("MYBKH01", "transit", False), ("MYPKG01", "diversion", True),
                     ("SGWDL01", "destination", False)]
