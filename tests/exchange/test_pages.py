"""The network page and the message log: who may see them, a node that runs alone saying so,
and an e-Form D sent between two networked nodes in the log with its receipt."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from singlewindow.core.db import Database
from singlewindow.exchange import pages as exchange_pages
from tests.nodes import NodeClient
from tests.pair import FORM, Pair, open_pair
from tests.web.console import console_as


def test_a_standalone_node_says_it_is_on_no_network(node: NodeClient) -> None:
    for role in ("officer", "admin", "manager"):
        page = console_as(node, role).get("/network")
        assert page.status_code == 200 and "not on a network" in page.text
    assert console_as(node, "officer").get("/network/traffic").status_code == 200


def test_traders_do_not_see_the_network(node: NodeClient) -> None:
    assert console_as(node, "trader").get("/network").status_code == 403


# --- the message log -----------------------------------------------------------------------
# On the networked pair of tests/origin/test_pages.py: Viet Nam's issuer sends an e-Form D
# to Cambodia, whose receipt comes back; Cambodia's rejection travels the other way.

@pytest.fixture
def pair(database: Database, tmp_path: Path) -> Iterator[Pair]:
    yield from open_pair(database, tmp_path)


def _sent_e_form_d(pair: Pair) -> str:
    """Issue an e-Form D on Viet Nam's console and carry it to Cambodia (receipted)."""
    issuer = console_as(pair.vn, "issuer")
    assert issuer.post_form("/certificates/new", {**FORM, "action": "issue"}).status_code == 303
    assert pair.carry(pair.vn, pair.kh) == 1
    origin = pair.vn.opened.origin
    assert origin is not None
    message_id = origin.get("VN", FORM["reference"]).message_id
    assert message_id is not None
    return message_id


def test_a_sent_e_form_d_is_in_the_log_with_its_receipt(pair: Pair) -> None:
    message_id = _sent_e_form_d(pair)
    officer = console_as(pair.vn, "officer")
    log = officer.get("/messages")
    assert log.status_code == 200
    assert message_id in log.text and 'data-action="FormD"' in log.text
    assert 'data-status="delivered"' in log.text and "receipt" in log.text
    page = officer.get(f"/messages/{quote(message_id, safe='')}")
    assert page.status_code == 200
    assert 'data-direction="outbound"' in page.text and "KH-CUSTOMS" in page.text
    signal = re.search(r'class="signal-id">([^<]+)<', page.text)
    assert signal and signal.group(1).strip()
    assert "Receipt" in page.text  # the ebMS receipt, shown as received
    # Cambodia logged it inbound, processed by its origin handler.
    received = console_as(pair.kh, "admin").get(f"/messages/{quote(message_id, safe='')}")
    assert 'data-direction="inbound"' in received.text
    assert 'data-status="processed"' in received.text


def test_the_log_filters_by_partner_action_status_and_direction(pair: Pair) -> None:
    message_id = _sent_e_form_d(pair)
    kh_origin = pair.kh.opened.origin
    assert kh_origin is not None
    with pair.kh.opened.database.unit_of_work() as session:
        answer_id = kh_origin.answer(session, FORM["reference"], False, ["not covered"],
                                     issuing_country="VN")
    assert pair.carry(pair.kh, pair.vn) == 1
    officer = console_as(pair.vn, "officer")
    everything = officer.get("/messages").text
    assert message_id in everything and answer_id in everything
    assert "2 messages" in everything
    by_action = officer.get("/messages?action=FormD.Rejection").text
    assert answer_id in by_action and message_id not in by_action
    by_status = officer.get("/messages?status=delivered").text
    assert message_id in by_status and answer_id not in by_status
    by_direction = officer.get("/messages?direction=inbound").text
    assert answer_id in by_direction and message_id not in by_direction
    assert "No message matches" in officer.get("/messages?party=TH-CUSTOMS").text
    assert "2 messages" in officer.get("/messages?party=KH-CUSTOMS").text
    # The answer names the message it answers; its conversation lists both.
    answer = officer.get(f"/messages/{quote(answer_id, safe='')}").text
    assert f'href="/messages/{quote(message_id, safe="")}"' in answer
    conversation = re.search(r'href="/messages\?(conversation_id=[^"]+)"', answer)
    assert conversation
    both = officer.get(f"/messages?{conversation.group(1)}").text
    assert message_id in both and answer_id in both


def test_the_log_pages(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange_pages, "PAGE_SIZE", 1)
    _sent_e_form_d(pair)
    officer = console_as(pair.vn, "officer")
    first = officer.get("/messages").text
    assert "1–1 / 1" in first and "Next" not in first
    kh_origin = pair.kh.opened.origin
    assert kh_origin is not None
    with pair.kh.opened.database.unit_of_work() as session:
        kh_origin.answer(session, FORM["reference"], True, [], issuing_country="VN")
    pair.carry(pair.kh, pair.vn)
    first = officer.get("/messages").text
    assert "1–1 / 2" in first and "offset=1" in first
    second = officer.get("/messages?offset=1").text
    assert "2–2 / 2" in second and "Previous" in second


def test_the_message_log_is_for_officers_and_admins(pair: Pair) -> None:
    for role in ("trader", "issuer", "manager"):
        client = console_as(pair.vn, role)
        assert client.get("/messages").status_code == 403
        assert client.get("/messages/anything@VN-CUSTOMS").status_code == 403
    assert console_as(pair.vn, "admin").get("/messages").status_code == 200
    assert 'href="/messages"' in console_as(pair.vn, "officer").get("/messages").text
    assert console_as(pair.vn, "officer").get("/messages/nothing@KH-CUSTOMS").status_code == 404


def test_a_standalone_node_has_an_empty_log(node: NodeClient) -> None:
    page = console_as(node, "officer").get("/messages")
    assert page.status_code == 200 and "not on a network" in page.text
    assert console_as(node, "officer").get("/messages/x@VN-CUSTOMS").status_code == 404
