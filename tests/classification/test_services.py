"""The node's classifier on a real SQLite database: a correction learnt ranks first for the
same description afterwards, in this classifier and in another reading the same database;
only officers teach; a released declaration's codes are labels too."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import select

from singlewindow.access.model import Principal, Role
from singlewindow.classification import services
from singlewindow.classification.assistant import Assistant
from singlewindow.classification.errors import DescriptionRefused, InvalidLabel, NotAClassifier
from singlewindow.classification.repository import LabelRow
from singlewindow.classification.services import Classifier
from singlewindow.core.db import Database
from singlewindow.declarations.events import DeclarationReleased

OFFICER = Principal("officer1", Role.OFFICER, office="VNHCM01")
TRADER = Principal("trader1", Role.TRADER, party_id="0312345678")
TITLE = "Bamboo fibre baby bowl set with spoon"


def test_a_correction_ranks_first_for_the_same_description(
        sqlite_database: Database, ranker: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    classifier = Classifier(sqlite_database, ranker=ranker)
    before = classifier.suggest(TITLE)
    corrected = "392410" if before[0].code != "392410" else "441911"
    learnt = classifier.learn(TITLE, corrected, OFFICER)
    assert learnt.code == corrected and learnt.learnt

    after = classifier.suggest(TITLE.lower())
    assert after[0].code == corrected and after[0].learnt
    # Another worker on the same database sees the label at its next look.
    monkeypatch.setattr(services, "LABELS_RECHECK_SECONDS", 0.0)
    assert Classifier(sqlite_database, ranker=ranker).suggest(TITLE)[0].code == corrected
    with sqlite_database.unit_of_work() as session:
        row = session.scalars(select(LabelRow)).one()
    assert (row.subheading, row.given_by, row.confirmed) == (corrected, "officer1", True)
    assert row.suggested == before[0].code


def test_only_officers_teach_and_labels_carry_real_subheadings(
        sqlite_database: Database, ranker: Assistant) -> None:
    classifier = Classifier(sqlite_database, ranker=ranker)
    with pytest.raises(NotAClassifier, match="only customs officers"):
        classifier.learn(TITLE, "392410", TRADER)
    with pytest.raises(InvalidLabel, match="not a subheading of HS 2022"):
        classifier.learn(TITLE, "999999", OFFICER)
    with pytest.raises(DescriptionRefused, match="empty"):
        classifier.learn("  ", "392410", OFFICER)
    with sqlite_database.unit_of_work() as session:
        assert session.scalars(select(LabelRow)).all() == []


def test_an_empty_description_gets_no_suggestion_and_says_why(
        sqlite_database: Database, ranker: Assistant) -> None:
    with pytest.raises(DescriptionRefused, match="the goods description is empty"):
        Classifier(sqlite_database, ranker=ranker).suggest("")


def test_a_released_declaration_s_codes_are_labels(
        sqlite_database: Database, ranker: Assistant) -> None:
    classifier = Classifier(sqlite_database, ranker=ranker)
    items = [SimpleNamespace(description="Rattan garden chair", commodity_code="94017900"),
             SimpleNamespace(description="  ", commodity_code="94017900")]
    event = DeclarationReleased(number="VN-1", declaration=cast(Any, SimpleNamespace(
        items=items)), released_at=datetime.now(UTC), released_by="officer1")
    with sqlite_database.unit_of_work() as session:
        classifier.on_release(session, event)
    with sqlite_database.unit_of_work() as session:
        rows = session.scalars(select(LabelRow)).all()
    assert [(r.subheading, r.confirmed, r.declaration) for r in rows] == [
        ("940179", False, "VN-1")]


def test_a_release_by_rule_teaches_nothing(sqlite_database: Database, ranker: Assistant) -> None:
    """A green declaration released once paid: its codes are the declarant's word, unchecked."""
    classifier = Classifier(sqlite_database, ranker=ranker)
    items = [SimpleNamespace(description="Rattan garden chair", commodity_code="94017900")]
    event = DeclarationReleased(number="VN-2", declaration=cast(Any, SimpleNamespace(
        items=items)), released_at=datetime.now(UTC), released_by="rule:paid")
    with sqlite_database.unit_of_work() as session:
        classifier.on_release(session, event)
    with sqlite_database.unit_of_work() as session:
        assert session.scalars(select(LabelRow)).all() == []


def test_a_worker_reads_only_the_newest_labels_it_holds(
        sqlite_database: Database, ranker: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    teacher = Classifier(sqlite_database, ranker=ranker)
    titles = [f"{kind} garden chair" for kind in ("rattan", "teak", "bamboo", "steel")]
    for title in titles:
        teacher.learn(title, "940179", OFFICER)
    monkeypatch.setattr(services, "LABELS_RECHECK_SECONDS", 0.0)
    worker = Classifier(sqlite_database, ranker=ranker, most_labels=2)
    worker.suggest("garden chair")
    assert [label.description for label in worker._labels.labels] == titles[2:]
    worker.learn("plastic garden chair", "940179", OFFICER)
    assert [label.description for label in worker._labels.labels] == [
        "steel garden chair", "plastic garden chair"]
