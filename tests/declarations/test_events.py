"""Clearance publishes its facts on its bus, in the transaction of the change."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from singlewindow.declarations.events import DeclarationLodged, DeclarationReleased
from singlewindow.declarations.lifecycle import LodgedDeclaration
from singlewindow.declarations.model import Status
from singlewindow.declarations.repository import DeclarationRow
from singlewindow.risk.model import Channel
from tests.builders import TRADER, import_declaration, pay


def test_lodgement_passes_the_table_to_channelled_with_its_first_notice():
    state = LodgedDeclaration.lodge(
        "VN1", "VND", Decimal(100), Channel.YELLOW, False, date(2026, 11, 2)
    )
    assert state.status is Status.CHANNELLED
    assert (state.notice_sequence, state.notice_amount) == (1, Decimal(100))
    assert state.notice_due == date(2026, 11, 12)


def test_green_with_nothing_owed_is_released_by_rule_at_lodgement():
    state = LodgedDeclaration.lodge("VN2", "VND", Decimal(0), Channel.GREEN, False, date.today())
    assert state.status is Status.RELEASED
    assert state.released_by == "rule: green channel, nothing owed"
    assert state.notice_reference is None


def test_a_lodgement_is_announced_in_its_own_transaction(clearance, database):
    heard: list[tuple[DeclarationLodged, int]] = []

    def count_in_session(session, event):
        # The row is visible to the handler: it runs in the lodgement's unit of work.
        seen = session.scalar(
            select(func.count()).select_from(DeclarationRow).where(
                DeclarationRow.number == event.number
            )
        )
        heard.append((event, seen))

    clearance.bus.subscribe(DeclarationLodged, count_in_session)
    view = clearance.lodge(import_declaration(), TRADER)
    [(event, seen)] = heard
    assert (event.number, event.declaration.lrn, seen) == (view.number, "LRN-0001", 1)


def test_a_handler_that_fails_undoes_the_lodgement(clearance, database):
    def refuse(session, event):
        raise RuntimeError("the partner room refused")

    clearance.bus.subscribe(DeclarationLodged, refuse)
    with pytest.raises(RuntimeError):
        clearance.lodge(import_declaration(), TRADER)
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(DeclarationRow)) == 0


def test_a_release_is_announced_once(clearance):
    released: list[DeclarationReleased] = []
    clearance.bus.subscribe(DeclarationReleased, lambda session, event: released.append(event))
    view = clearance.lodge(import_declaration(), TRADER)
    assert released == []
    paid = pay(clearance, view.number)
    [event] = released
    assert (event.number, event.released_at, event.released_by) == (
        view.number,
        paid.released_at,
        paid.released_by,
    )
